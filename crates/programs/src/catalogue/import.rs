//! First import of the embedded catalogue (`data/pilot-models.json`) as version 1.

use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use serde::Deserialize;

use super::store::{insert_kpi, snapshot_json, KpiEdit, ModelEdit};
use super::{Direction, Kpi, KpiUnit, Model};
use crate::kpi::FORMULAS;

/// The catalogue shipped with the binary.
const CATALOGUE_JSON: &str = include_str!("../../data/pilot-models.json");

#[derive(Deserialize)]
struct RawModel {
    id: String,
    canonical_number: Option<i64>,
    name_vi: String,
    name_en: String,
    group: String,
    kind: String,
    goal_vi: String,
    goal_en: String,
    kpis: Vec<RawKpi>,
    lead_unit_vi: Option<String>,
    lead_unit_en: Option<String>,
    tools_vi: Option<String>,
    tools_en: Option<String>,
}

#[derive(Deserialize)]
struct RawKpi {
    metric_vi: String,
    metric_en: String,
    target: String,
    source: String,
}

/// Parses the embedded catalogue into models and their KPIs (catalogue KPIs are manual; computed
/// KPIs come from the formulas that declare the model), stamped as updated at `now`.
pub(crate) fn parse(now: i64) -> Result<Vec<(Model, Vec<Kpi>)>, AppError> {
    let raw: Vec<RawModel> = serde_json::from_str(CATALOGUE_JSON)
        .map_err(|e| AppError::internal(format!("embedded catalogue is not valid: {e}")))?;
    Ok(raw
        .into_iter()
        .map(|m| {
            let mut kpis: Vec<Kpi> = m
                .kpis
                .iter()
                .enumerate()
                .map(|(i, k)| Kpi {
                    id: format!("{}.{}", m.id, i + 1),
                    model_id: m.id.clone(),
                    seq: i as i64 + 1,
                    name_vi: k.metric_vi.clone(),
                    name_en: k.metric_en.clone(),
                    target_text: k.target.clone(),
                    source: k.source.clone(),
                    formula: None,
                    unit: if k.target.contains('%') { KpiUnit::Percent } else { KpiUnit::Count },
                    direction: Direction::Up,
                    active: true,
                })
                .collect();
            for f in FORMULAS.iter().filter(|f| f.models.contains(&m.id.as_str())) {
                kpis.push(Kpi {
                    id: format!("{}.{}", m.id, f.code),
                    model_id: m.id.clone(),
                    seq: 100 + kpis.len() as i64,
                    name_vi: f.name.0.to_string(),
                    name_en: f.name.1.to_string(),
                    target_text: String::new(),
                    source: "dancu".to_string(),
                    formula: Some(f.code.to_string()),
                    unit: f.unit,
                    direction: f.direction,
                    active: true,
                });
            }
            let model = Model {
                number: m.canonical_number,
                name_vi: m.name_vi,
                name_en: m.name_en,
                group: m.group,
                kind: m.kind,
                goal_vi: m.goal_vi,
                goal_en: m.goal_en,
                lead_unit_vi: m.lead_unit_vi.unwrap_or_default(),
                lead_unit_en: m.lead_unit_en.unwrap_or_default(),
                tools_vi: m.tools_vi.unwrap_or_default(),
                tools_en: m.tools_en.unwrap_or_default(),
                active: true,
                version: 1,
                updated_at: now,
                id: m.id,
            };
            (model, kpis)
        })
        .collect())
}

/// Imports the catalogue when the database has none yet; returns how many models were imported
/// (0 when a catalogue is already there, so administrators' edits are never overwritten). `now`
/// (UTC milliseconds) is the time of the import.
pub async fn ensure_imported(db: &Db, now: i64) -> Result<usize, AppError> {
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM program_models").fetch_one(db.read()).await?.get(0);
    if n > 0 {
        fill_vietnamese_wording(db, now).await?;
        return Ok(0);
    }
    let models = parse(now)?;
    let mut tx = db.begin().await?;
    for (i, (m, kpis)) in models.iter().enumerate() {
        sqlx::query(
            "INSERT INTO program_models (id, number, sort_key, name_vi, name_en, group_code, kind, goal_vi, goal_en, \
             lead_unit_vi, lead_unit_en, tools_vi, tools_en, active, version, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, 1, $14)",
        )
        .bind(&m.id)
        .bind(m.number)
        .bind(i as i64)
        .bind(&m.name_vi)
        .bind(&m.name_en)
        .bind(&m.group)
        .bind(&m.kind)
        .bind(&m.goal_vi)
        .bind(&m.goal_en)
        .bind(&m.lead_unit_vi)
        .bind(&m.lead_unit_en)
        .bind(&m.tools_vi)
        .bind(&m.tools_en)
        .bind(m.updated_at)
        .execute(&mut *tx)
        .await?;
        for k in kpis {
            insert_kpi(&mut tx, k).await?;
        }
        sqlx::query(
            "INSERT INTO program_model_versions (model_id, version, data, note, edited_by, edited_at) \
             VALUES ($1, 1, $2, $3, $4, $5)",
        )
        .bind(&m.id)
        .bind(snapshot_json(m, kpis))
        .bind("Nhập từ danh mục mô hình điểm / imported from the pilot-model catalogue")
        .bind("dancu")
        .bind(m.updated_at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(models.len())
}

/// Catalogues imported before the KPIs had a Vietnamese wording get it from the embedded data:
/// only KPIs whose Vietnamese name is still empty, as a new version of each model concerned (an
/// administrator's wording is never replaced).
async fn fill_vietnamese_wording(db: &Db, now: i64) -> Result<(), AppError> {
    let stored = super::store::model_kpis(db, None).await?;
    for (m, kpis) in parse(now)? {
        let edits: Vec<KpiEdit> = stored
            .iter()
            .filter(|k| k.model_id == m.id && k.name_vi.is_empty())
            .filter_map(|k| kpis.iter().find(|e| e.id == k.id && !e.name_vi.is_empty()))
            .map(|e| KpiEdit { id: Some(e.id.clone()), name_vi: Some(e.name_vi.clone()), ..KpiEdit::default() })
            .collect();
        if edits.is_empty() {
            continue;
        }
        let current = super::store::get_model(db, &m.id).await?;
        let edit = ModelEdit {
            version: current.version,
            note: "Bổ sung tên tiếng Việt của chỉ tiêu theo danh mục / Vietnamese KPI wording from the catalogue"
                .into(),
            kpis: edits,
            ..ModelEdit::default()
        };
        super::store::update_model(db, &m.id, &edit, "dancu", now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn embedded_catalogue_has_the_47_models() {
        let models = parse(1_750_000_000_000).unwrap();
        assert_eq!(models.len(), 47);
        let ids: Vec<&str> = models.iter().map(|(m, _)| m.id.as_str()).collect();
        for id in ["1", "9", "24", "44", "TH-3", "BG-1"] {
            assert!(ids.contains(&id), "{id} missing");
        }
        assert!(!ids.contains(&"15"), "15 is not used by any seed");
        let (m24, k24) = models.iter().find(|(m, _)| m.id == "24").unwrap();
        assert_eq!(m24.name_vi, "Đảm bảo điều kiện công dân số");
        assert!(k24.iter().any(|k| k.formula.as_deref() == Some("eid_level2_share")));
        assert!(k24.iter().any(|k| k.formula.is_none() && k.target_text == "70%" && k.unit == KpiUnit::Percent));
        let total: usize = models.iter().map(|(_, k)| k.iter().filter(|k| k.formula.is_none()).count()).sum();
        assert_eq!(total, 52, "every catalogue KPI is imported");
        let k = k24.iter().find(|k| k.id == "24.4").unwrap();
        assert_eq!(
            (k.name_vi.as_str(), k.name(kernel::Lang::En)),
            ("Tỷ lệ công dân có tài khoản VNeID mức 2", k.name_en.as_str())
        );
        assert_eq!(k.name(kernel::Lang::Vi), "Tỷ lệ công dân có tài khoản VNeID mức 2");
        for (m, kpis) in &models {
            for k in kpis {
                assert!(!k.name_vi.is_empty(), "{}: KPI {} has no Vietnamese wording", m.id, k.id);
                assert_ne!(k.name_vi, k.name_en, "{}", k.id);
                assert!(k.name_vi.nfc().eq(k.name_vi.chars()), "{} is not NFC", k.id);
            }
        }
    }
}
