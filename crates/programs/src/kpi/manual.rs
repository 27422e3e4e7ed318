//! Manual KPI values: the unit reports a number with evidence (a link or an attached file) and a
//! comment. Every value is kept; the newest one counts.

use base64::Engine;
use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalogue::{self, KpiUnit};

/// An evidence file, base64-encoded in JSON (PDF, JPEG, PNG, .docx or .xlsx up to 5 MiB; see
/// [`super::evidence`]).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewAttachment {
    pub name: String,
    /// The type the client declares; the stored type is the one detected from the content.
    pub content_type: String,
    pub data_base64: String,
}

/// A value as reported.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewValue {
    pub kpi_id: String,
    pub value: f64,
    pub evidence_url: Option<String>,
    pub attachment: Option<NewAttachment>,
    #[serde(default)]
    pub comment: String,
}

/// A stored value (the file itself is downloaded separately).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManualValue {
    pub id: String,
    pub registration_id: String,
    pub kpi_id: String,
    pub value: f64,
    pub evidence_url: Option<String>,
    pub attachment_name: Option<String>,
    pub comment: String,
    pub reported_by: String,
    pub reported_at: i64,
}

/// Whether an evidence link is an http(s) URL without spaces or control characters.
pub(crate) fn valid_url(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://"))
        && u.len() <= 2000
        && !u.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn check_url(u: &str) -> Result<String, AppError> {
    let u = u.trim();
    if valid_url(u) {
        Ok(u.to_string())
    } else {
        Err(AppError::invalid("evidence_url must be an http(s) link"))
    }
}

/// Records a manual value for a KPI of a registration (an attachment comes base64-encoded),
/// reported at `now` (UTC milliseconds).
pub async fn record(
    db: &Db,
    registration_id: &str,
    actor: &str,
    new: &NewValue,
    now: i64,
) -> Result<ManualValue, AppError> {
    let file = match &new.attachment {
        Some(a) => {
            let data = base64::engine::general_purpose::STANDARD
                .decode(a.data_base64.trim())
                .map_err(|_| AppError::invalid("attachment.data_base64 is not valid base64"))?;
            Some((a.name.clone(), data))
        }
        None => None,
    };
    record_with_file(db, registration_id, actor, new, file, now).await
}

/// Records a manual value whose evidence file (name, bytes) was uploaded as it is; `new.attachment`
/// is ignored. `now` is UTC milliseconds, the time of the report.
pub async fn record_with_file(
    db: &Db,
    registration_id: &str,
    actor: &str,
    new: &NewValue,
    file: Option<(String, Vec<u8>)>,
    now: i64,
) -> Result<ManualValue, AppError> {
    let reg = crate::registrations::get(db, registration_id).await?;
    let kpi = catalogue::model_kpis(db, Some(&reg.model_id))
        .await?
        .into_iter()
        .find(|k| k.id == new.kpi_id)
        .ok_or_else(|| AppError::invalid(format!("{} is not a KPI of model {}", new.kpi_id, reg.model_id)))?;
    if kpi.formula.is_some() {
        return Err(AppError::invalid(format!("{} is computed from platform data, not reported", kpi.id)));
    }
    if !new.value.is_finite() || new.value < 0.0 || (kpi.unit == KpiUnit::Percent && new.value > 100.0) {
        return Err(AppError::invalid("value must be 0 or more (0–100 for a share)"));
    }
    let url = new.evidence_url.as_deref().filter(|u| !u.trim().is_empty()).map(check_url).transpose()?;
    let file = match file {
        Some((name, data)) => {
            let name: String = name.chars().filter(|c| !c.is_control() && !"/\\\"".contains(*c)).collect();
            let name = crate::text::required(&name, "attachment.name", 200)?;
            let ctype = super::evidence::check(&name, &data).map_err(|p| AppError::invalid(p.message().1))?;
            Some((name, ctype.to_string(), data))
        }
        None => None,
    };
    if url.is_none() && file.is_none() {
        return Err(AppError::invalid("evidence: give a link (evidence_url) or a file (attachment)"));
    }
    let comment = crate::text::limited(crate::text::nfc(&new.comment), "comment", 2000)?;
    let id = kernel::ids::new_id();
    sqlx::query(
        "INSERT INTO program_kpi_values (id, registration_id, kpi_id, value, evidence_url, attachment_name, \
         attachment_type, attachment, comment, reported_by, reported_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&id)
    .bind(registration_id)
    .bind(&kpi.id)
    .bind(new.value)
    .bind(url.clone())
    .bind(file.as_ref().map(|f| f.0.clone()))
    .bind(file.as_ref().map(|f| f.1.clone()))
    .bind(file.as_ref().map(|f| f.2.clone()))
    .bind(&comment)
    .bind(actor)
    .bind(now)
    .execute(db.write())
    .await?;
    Ok(ManualValue {
        id,
        registration_id: registration_id.to_string(),
        kpi_id: kpi.id,
        value: new.value,
        evidence_url: url,
        attachment_name: file.map(|f| f.0),
        comment,
        reported_by: actor.to_string(),
        reported_at: now,
    })
}

/// The newest value of each manual KPI of a registration.
pub async fn latest(db: &Db, registration_id: &str) -> Result<Vec<ManualValue>, AppError> {
    let rows = sqlx::query(
        "SELECT v.id, v.registration_id, v.kpi_id, v.value, v.evidence_url, v.attachment_name, v.comment, \
         v.reported_by, v.reported_at FROM program_kpi_values v WHERE v.registration_id = $1 \
         AND v.reported_at = (SELECT MAX(w.reported_at) FROM program_kpi_values w \
         WHERE w.registration_id = v.registration_id AND w.kpi_id = v.kpi_id) ORDER BY v.kpi_id",
    )
    .bind(registration_id)
    .fetch_all(db.read())
    .await?;
    Ok(rows
        .iter()
        .map(|r| ManualValue {
            id: r.get(0),
            registration_id: r.get(1),
            kpi_id: r.get(2),
            value: r.get(3),
            evidence_url: r.get(4),
            attachment_name: r.get(5),
            comment: r.get(6),
            reported_by: r.get(7),
            reported_at: r.get(8),
        })
        .collect())
}

/// The evidence file of a value: (name, media type, bytes).
pub async fn attachment(db: &Db, value_id: &str) -> Result<(String, String, Vec<u8>), AppError> {
    let r = sqlx::query(
        "SELECT attachment_name, attachment_type, attachment FROM program_kpi_values WHERE id = $1 \
         AND attachment IS NOT NULL",
    )
    .bind(value_id)
    .fetch_optional(db.read())
    .await?
    .ok_or_else(|| AppError::not_found(format!("evidence file of value {value_id}")))?;
    Ok((r.get(0), r.get(1), r.get(2)))
}
