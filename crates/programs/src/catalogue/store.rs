//! Reading and editing the catalogue. An edit updates the current row and appends the model's full
//! content (with its KPIs) to `program_model_versions` in the same transaction.

use db::sqlx::{self, Any, Row, Transaction};
use db::Db;
use kernel::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Direction, Kpi, KpiUnit, Model};

const MODEL_COLUMNS: &str = "id, number, name_vi, name_en, group_code, kind, goal_vi, goal_en, lead_unit_vi, \
     lead_unit_en, tools_vi, tools_en, active, version, updated_at";

const KPI_COLUMNS: &str = "id, model_id, seq, name_vi, name_en, target_text, source, formula, unit, direction, active";

fn model_from(r: &db::Row) -> Model {
    Model {
        id: r.get(0),
        number: r.get(1),
        name_vi: r.get(2),
        name_en: r.get(3),
        group: r.get(4),
        kind: r.get(5),
        goal_vi: r.get(6),
        goal_en: r.get(7),
        lead_unit_vi: r.get(8),
        lead_unit_en: r.get(9),
        tools_vi: r.get(10),
        tools_en: r.get(11),
        active: r.get::<i64, _>(12) != 0,
        version: r.get(13),
        updated_at: r.get(14),
    }
}

fn kpi_from(r: &db::Row) -> Kpi {
    Kpi {
        id: r.get(0),
        model_id: r.get(1),
        seq: r.get(2),
        name_vi: r.get(3),
        name_en: r.get(4),
        target_text: r.get(5),
        source: r.get(6),
        formula: r.get(7),
        unit: KpiUnit::parse(&r.get::<String, _>(8)).unwrap_or(KpiUnit::Count),
        direction: Direction::parse(&r.get::<String, _>(9)).unwrap_or(Direction::Up),
        active: r.get::<i64, _>(10) != 0,
    }
}

/// Every model in catalogue order.
pub async fn list_models(db: &Db) -> Result<Vec<Model>, AppError> {
    let rows = sqlx::query(&format!("SELECT {MODEL_COLUMNS} FROM program_models ORDER BY sort_key"))
        .fetch_all(db.read())
        .await?;
    Ok(rows.iter().map(model_from).collect())
}

/// One model, or `not_found`.
pub async fn get_model(db: &Db, id: &str) -> Result<Model, AppError> {
    sqlx::query(&format!("SELECT {MODEL_COLUMNS} FROM program_models WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.read())
        .await?
        .map(|r| model_from(&r))
        .ok_or_else(|| AppError::not_found(format!("pilot model {id}")))
}

/// The KPIs of one model (all models when `model_id` is `None`), in order.
pub async fn model_kpis(db: &Db, model_id: Option<&str>) -> Result<Vec<Kpi>, AppError> {
    let rows = match model_id {
        Some(id) => {
            sqlx::query(&format!("SELECT {KPI_COLUMNS} FROM program_kpis WHERE model_id = $1 ORDER BY seq"))
                .bind(id)
                .fetch_all(db.read())
                .await
        }
        None => {
            sqlx::query(&format!("SELECT {KPI_COLUMNS} FROM program_kpis ORDER BY model_id, seq"))
                .fetch_all(db.read())
                .await
        }
    }?;
    Ok(rows.iter().map(kpi_from).collect())
}

pub(crate) async fn insert_kpi(tx: &mut Transaction<'static, Any>, k: &Kpi) -> Result<(), AppError> {
    sqlx::query(&format!(
        "INSERT INTO program_kpis ({KPI_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&k.id)
    .bind(&k.model_id)
    .bind(k.seq)
    .bind(&k.name_vi)
    .bind(&k.name_en)
    .bind(&k.target_text)
    .bind(&k.source)
    .bind(k.formula.clone())
    .bind(k.unit.code())
    .bind(k.direction.code())
    .bind(i64::from(k.active))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The content stored in a version row.
pub(crate) fn snapshot_json(m: &Model, kpis: &[Kpi]) -> String {
    serde_json::json!({ "model": m, "kpis": kpis }).to_string()
}

/// Changes to a model; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ModelEdit {
    /// The version the editor started from (optimistic locking).
    pub version: i64,
    /// Why the model changed (kept with the version).
    pub note: String,
    pub name_vi: Option<String>,
    pub name_en: Option<String>,
    pub goal_vi: Option<String>,
    pub goal_en: Option<String>,
    pub lead_unit_vi: Option<String>,
    pub lead_unit_en: Option<String>,
    pub tools_vi: Option<String>,
    pub tools_en: Option<String>,
    pub active: Option<bool>,
    /// KPI changes: an existing `id` is updated, no `id` adds a manual KPI.
    #[serde(default)]
    pub kpis: Vec<KpiEdit>,
}

/// A change to one KPI of a model.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct KpiEdit {
    pub id: Option<String>,
    pub name_vi: Option<String>,
    pub name_en: Option<String>,
    pub target_text: Option<String>,
    pub unit: Option<KpiUnit>,
    pub direction: Option<Direction>,
    pub active: Option<bool>,
}

/// Sets a text field: names are required and single-line; other texts keep their line breaks.
fn apply(field: &mut String, new: &Option<String>, what: &str, required: bool) -> Result<(), AppError> {
    if let Some(v) = new {
        let v = if required { kernel::text::normalize_name(v) } else { crate::text::nfc(v) };
        if required && v.is_empty() {
            return Err(AppError::invalid(format!("{what} must not be empty")));
        }
        *field = v;
    }
    Ok(())
}

/// Applies the edit of one KPI of a model.
fn apply_kpi(k: &mut Kpi, ke: &KpiEdit) -> Result<(), AppError> {
    apply(&mut k.name_vi, &ke.name_vi, "kpi name_vi", false)?;
    apply(&mut k.name_en, &ke.name_en, "kpi name_en", false)?;
    apply(&mut k.target_text, &ke.target_text, "target_text", false)?;
    if let Some(u) = ke.unit {
        if k.formula.is_some() && u != k.unit {
            return Err(AppError::invalid("the unit of a computed KPI is set by its formula"));
        }
        k.unit = u;
    }
    if let Some(d) = ke.direction {
        k.direction = d;
    }
    if let Some(a) = ke.active {
        k.active = a;
    }
    if k.name_vi.is_empty() && k.name_en.is_empty() {
        return Err(AppError::invalid("a KPI needs a name"));
    }
    Ok(())
}

/// Applies an administrator's edit and records the new version; returns the updated model.
pub async fn update_model(db: &Db, id: &str, edit: &ModelEdit, actor: &str, now: i64) -> Result<Model, AppError> {
    if edit.note.trim().is_empty() {
        return Err(AppError::invalid("note: say why the model changes"));
    }
    let mut m = get_model(db, id).await?;
    if m.version != edit.version {
        return Err(AppError::new(ErrorCode::Conflict, format!("model {id} is at version {}", m.version)));
    }
    apply(&mut m.name_vi, &edit.name_vi, "name_vi", true)?;
    apply(&mut m.name_en, &edit.name_en, "name_en", true)?;
    apply(&mut m.goal_vi, &edit.goal_vi, "goal_vi", false)?;
    apply(&mut m.goal_en, &edit.goal_en, "goal_en", false)?;
    apply(&mut m.lead_unit_vi, &edit.lead_unit_vi, "lead_unit_vi", false)?;
    apply(&mut m.lead_unit_en, &edit.lead_unit_en, "lead_unit_en", false)?;
    apply(&mut m.tools_vi, &edit.tools_vi, "tools_vi", false)?;
    apply(&mut m.tools_en, &edit.tools_en, "tools_en", false)?;
    if let Some(a) = edit.active {
        m.active = a;
    }
    let mut kpis = model_kpis(db, Some(id)).await?;
    let mut added = Vec::new();
    for ke in &edit.kpis {
        match &ke.id {
            Some(kid) => {
                let k = kpis
                    .iter_mut()
                    .find(|k| &k.id == kid)
                    .ok_or_else(|| AppError::invalid(format!("kpi {kid} does not belong to model {id}")))?;
                apply_kpi(k, ke)?;
            }
            None => {
                let seq = kpis.iter().chain(added.iter()).map(|k: &Kpi| k.seq).max().unwrap_or(0) + 1;
                let mut k = Kpi {
                    id: format!("{id}.m{seq}"),
                    model_id: id.to_string(),
                    seq,
                    name_vi: String::new(),
                    name_en: String::new(),
                    target_text: String::new(),
                    source: format!("edit by {actor}"),
                    formula: None,
                    unit: KpiUnit::Percent,
                    direction: Direction::Up,
                    active: true,
                };
                apply_kpi(&mut k, ke)?;
                added.push(k);
            }
        }
    }
    m.version += 1;
    m.updated_at = now;
    let mut tx = db.begin().await?;
    let res = sqlx::query(
        "UPDATE program_models SET name_vi = $1, name_en = $2, goal_vi = $3, goal_en = $4, lead_unit_vi = $5, \
         lead_unit_en = $6, tools_vi = $7, tools_en = $8, active = $9, version = $10, updated_at = $11 \
         WHERE id = $12 AND version = $13",
    )
    .bind(&m.name_vi)
    .bind(&m.name_en)
    .bind(&m.goal_vi)
    .bind(&m.goal_en)
    .bind(&m.lead_unit_vi)
    .bind(&m.lead_unit_en)
    .bind(&m.tools_vi)
    .bind(&m.tools_en)
    .bind(i64::from(m.active))
    .bind(m.version)
    .bind(m.updated_at)
    .bind(id)
    .bind(edit.version)
    .execute(&mut *tx)
    .await?;
    if res.rows_affected() != 1 {
        return Err(AppError::new(ErrorCode::Conflict, format!("model {id} changed meanwhile")));
    }
    for k in &kpis {
        sqlx::query(
            "UPDATE program_kpis SET name_vi = $1, name_en = $2, target_text = $3, unit = $4, direction = $5, \
             active = $6 WHERE id = $7",
        )
        .bind(&k.name_vi)
        .bind(&k.name_en)
        .bind(&k.target_text)
        .bind(k.unit.code())
        .bind(k.direction.code())
        .bind(i64::from(k.active))
        .bind(&k.id)
        .execute(&mut *tx)
        .await?;
    }
    for k in &added {
        insert_kpi(&mut tx, k).await?;
    }
    kpis.extend(added);
    sqlx::query(
        "INSERT INTO program_model_versions (model_id, version, data, note, edited_by, edited_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(m.version)
    .bind(snapshot_json(&m, &kpis))
    .bind(edit.note.trim())
    .bind(actor)
    .bind(m.updated_at)
    .execute(&mut *tx)
    .await?;
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    Ok(m)
}

/// One stored version of a model.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelVersion {
    pub version: i64,
    pub note: String,
    pub edited_by: String,
    pub edited_at: i64,
    /// The model and its KPIs as they were at this version.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// Every version of a model, newest first.
pub async fn versions(db: &Db, id: &str) -> Result<Vec<ModelVersion>, AppError> {
    let rows = sqlx::query(
        "SELECT version, note, edited_by, edited_at, data FROM program_model_versions WHERE model_id = $1 \
         ORDER BY version DESC",
    )
    .bind(id)
    .fetch_all(db.read())
    .await?;
    Ok(rows
        .iter()
        .map(|r| ModelVersion {
            version: r.get(0),
            note: r.get(1),
            edited_by: r.get(2),
            edited_at: r.get(3),
            data: serde_json::from_str(&r.get::<String, _>(4)).unwrap_or_default(),
        })
        .collect())
}
