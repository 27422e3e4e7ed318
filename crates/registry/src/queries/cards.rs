//! Identity cards of a person and their status today.

use chrono::NaiveDate;
use db::fast::Columns;
use db::sqlx;
use db::{Arg, Db, Filter};
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

/// Every card of a person, newest first (through the fast read path on SQLite: verification
/// reads a person's cards on every check).
pub async fn of_person(db: &Db, personal_id: &str, today: NaiveDate) -> Result<Vec<CardView>, AppError> {
    let mut f = Filter::new();
    f.and("personal_id = ?", Arg::Text(personal_id.to_string()));
    let sql = format!(
        "SELECT id, kind, issue_date, expiry_date, issuer, status FROM identity_cards WHERE {} \
         ORDER BY issue_date DESC, id DESC",
        f.sql()
    );
    if let Some(fast) = db.fast() {
        return Ok(fast.query_all(&sql, &f, |r| card_from_row(r, today))?);
    }
    let rows = f.bind(sqlx::query(&sql)).fetch_all(db.read()).await?;
    Ok(rows.iter().map(|r| card_from_row(r, today)).collect::<Result<_, _>>()?)
}

fn card_from_row(r: &impl Columns, today: NaiveDate) -> Result<CardView, db::DbError> {
    let expiry = r.text(3)?;
    let recorded = r.required(5)?;
    let expiry_date = expiry.as_deref().and_then(|e| NaiveDate::parse_from_str(e, "%Y-%m-%d").ok());
    let status = CardStatus::parse(&recorded)
        .map(|s| effective_status(s, expiry_date, today).code().to_string())
        .unwrap_or_else(|| recorded.clone());
    Ok(CardView {
        id: r.required(0)?,
        kind: r.required(1)?,
        issue_date: r.required(2)?,
        expiry_date: expiry,
        issuer: r.required(4)?,
        recorded_status: recorded,
        status_vi: kernel::vocab::card_status_label(&status).0.to_string(),
        status,
    })
}
