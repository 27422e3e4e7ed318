//! Files a procedure still requires, attached to a draft (or to an application whose officer asked
//! for more information). The declared type must be allowed for the slot and must match the file's
//! first bytes; the size is capped per slot. Content is kept in the database with its SHA-256.

use std::collections::BTreeSet;

use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, ErrorCode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::applications::model::{status, Application};
use crate::catalogue::Procedure;

/// A stored file, without its content.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attachment {
    pub id: String,
    pub slot: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// The type a file's first bytes show.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// Stores (or replaces) the file of one slot, attached at `now` (UTC milliseconds).
pub async fn upload(
    db: &Db,
    app: &Application,
    p: &Procedure,
    slot: &str,
    file_name: &str,
    bytes: &[u8],
    now: i64,
) -> Result<Attachment, AppError> {
    if ![status::DRAFT, status::INFO_REQUESTED].contains(&app.status.as_str()) {
        return Err(AppError::new(ErrorCode::Conflict, "files can be attached to drafts and when asked for"));
    }
    let s = p
        .attachments
        .iter()
        .find(|s| s.name == slot)
        .ok_or_else(|| AppError::invalid(format!("slot: this procedure has no attachment {slot:?}")))?;
    if bytes.is_empty() {
        return Err(AppError::invalid(format!("{slot}: the file is empty")));
    }
    if bytes.len() as u64 > s.max_kb * 1024 {
        return Err(AppError::invalid(format!("{slot}: larger than {} KB", s.max_kb)));
    }
    let kind = sniff(bytes)
        .filter(|k| s.types.iter().any(|t| t == k))
        .ok_or_else(|| AppError::invalid(format!("{slot}: only {} files are accepted", s.types.join(", "))))?;
    let name: String = file_name.chars().filter(|c| !c.is_control() && !matches!(c, '/' | '\\')).take(120).collect();
    let name = if name.trim().is_empty() { format!("{slot}.bin") } else { kernel::text::normalize_name(&name) };
    let sha = hex::encode(Sha256::digest(bytes));
    let id = kernel::ids::new_id();
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM svc_attachments WHERE application_id = $1 AND slot = $2")
        .bind(&app.id)
        .bind(slot)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO svc_attachments (id, application_id, slot, file_name, content_type, size_bytes, sha256, content, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(&app.id)
    .bind(slot)
    .bind(&name)
    .bind(kind)
    .bind(bytes.len() as i64)
    .bind(&sha)
    .bind(bytes.to_vec())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    Ok(Attachment {
        id,
        slot: slot.into(),
        file_name: name,
        content_type: kind.into(),
        size_bytes: bytes.len() as i64,
        sha256: sha,
    })
}

/// The files of an application.
pub async fn list(db: &Db, application_id: &str) -> Result<Vec<Attachment>, AppError> {
    let rows = sqlx::query(
        "SELECT id, slot, file_name, content_type, size_bytes, sha256 FROM svc_attachments WHERE application_id = $1 \
         ORDER BY slot",
    )
    .bind(application_id)
    .fetch_all(db.read())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Attachment {
            id: r.get(0),
            slot: r.get(1),
            file_name: r.get(2),
            content_type: r.get(3),
            size_bytes: r.get(4),
            sha256: r.get(5),
        })
        .collect())
}

/// The slots that have a file.
pub async fn slots_of(db: &Db, application_id: &str) -> Result<BTreeSet<String>, AppError> {
    Ok(list(db, application_id).await?.into_iter().map(|a| a.slot).collect())
}

/// A file's type and content.
pub async fn content(db: &Db, application_id: &str, id: &str) -> Result<(String, String, Vec<u8>), AppError> {
    let row = sqlx::query(
        "SELECT file_name, content_type, content FROM svc_attachments WHERE id = $1 AND application_id = $2",
    )
    .bind(id)
    .bind(application_id)
    .fetch_optional(db.read())
    .await?
    .ok_or_else(|| AppError::not_found("no such file"))?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn recognizes_files_by_their_first_bytes() {
        assert_eq!(super::sniff(b"%PDF-1.7 ..."), Some("application/pdf"));
        assert_eq!(super::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(super::sniff(b"<html>"), None);
    }
}
