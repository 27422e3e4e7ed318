//! Identity cards of a person and their status today.

use chrono::NaiveDate;
use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::card::effective_status;
use crate::model::CardStatus;

/// A card with its recorded and effective status.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct CardView {
    pub id: String,
    /// `cccd_chip` or `can_cuoc_2024`.
    pub kind: String,
    pub issue_date: String,
    /// Absent when the card never expires (issued from age 58).
    pub expiry_date: Option<String>,
    pub issuer: String,
    /// Status as recorded.
    pub recorded_status: String,
    /// Status today: a recorded `valid` card past its expiry is `expired`.
    pub status: String,
    pub status_vi: String,
}

/// Every card of a person, newest first.
pub async fn of_person(db: &Db, personal_id: &str, today: NaiveDate) -> Result<Vec<CardView>, AppError> {
    let rows = sqlx::query(
        "SELECT id, kind, issue_date, expiry_date, issuer, status FROM identity_cards \
         WHERE personal_id = $1 ORDER BY issue_date DESC, id DESC",
    )
    .bind(personal_id)
    .fetch_all(db.read())
    .await
    .map_err(db::internal)?;
    Ok(rows
        .iter()
        .map(|r| {
            let expiry: Option<String> = r.get(3);
            let recorded: String = r.get(5);
            let expiry_date = expiry.as_deref().and_then(|e| NaiveDate::parse_from_str(e, "%Y-%m-%d").ok());
            let status = CardStatus::parse(&recorded)
                .map(|s| effective_status(s, expiry_date, today).code().to_string())
                .unwrap_or_else(|| recorded.clone());
            CardView {
                id: r.get(0),
                kind: r.get(1),
                issue_date: r.get(2),
                expiry_date: expiry,
                issuer: r.get(4),
                recorded_status: recorded,
                status_vi: kernel::vocab::card_status_label(&status).0.to_string(),
                status,
            }
        })
        .collect())
}
