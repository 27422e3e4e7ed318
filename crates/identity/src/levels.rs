//! Raising a citizen's e-ID from level 1 to level 2: in person, by a police officer who checked the
//! identity card, or from verified chip data. Every change is a `level_changes` row with who, how
//! and when; the citizen sees the level and its date on their account page.

use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, ErrorCode};
use serde::Serialize;

use crate::accounts::Account;

/// How a level was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelMethod {
    /// A police officer saw the card in person.
    InPersonCard,
    /// The card's chip was read and its data verified (passive authentication).
    Chip,
}

impl LevelMethod {
    pub fn code(self) -> &'static str {
        match self {
            LevelMethod::InPersonCard => "in_person_card",
            LevelMethod::Chip => "chip",
        }
    }

    /// Vietnamese and English wording for the citizen.
    pub fn label(code: &str) -> (&'static str, &'static str) {
        match code {
            "in_person_card" => {
                ("Cán bộ công an kiểm tra thẻ căn cước trực tiếp", "Card checked in person by a police officer")
            }
            "chip" => ("Xác thực dữ liệu chip trên thẻ căn cước", "Chip data of the identity card verified"),
            _ => ("Khác", "Other"),
        }
    }
}

/// One recorded level change.
#[derive(Debug, Clone, Serialize)]
pub struct LevelChange {
    pub from_level: i64,
    pub to_level: i64,
    pub method: String,
    pub actor_label: String,
    pub created_at: i64,
}

/// Who raised the level.
#[derive(Debug, Clone)]
pub struct LevelActor {
    /// Account id of the officer, or `None` for an automated verification.
    pub id: Option<String>,
    pub label: String,
}

/// Raises a level-1 citizen account to level 2. `evidence` names what was checked (the card
/// number seen, or the chip verification's reference). Refuses accounts that are not active at
/// level 1. `now` is UTC milliseconds, passed so tests can fix time.
pub async fn raise_to_level2(
    db: &Db,
    account_id: &str,
    method: LevelMethod,
    evidence: &str,
    actor: &LevelActor,
    now: i64,
) -> Result<Account, AppError> {
    let mut tx = db.begin().await?;
    let r = sqlx::query(
        "UPDATE accounts SET level = 2, level_raised_at = $1 WHERE id = $2 AND level = 1 AND status = 'active'",
    )
    .bind(now)
    .bind(account_id)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() != 1 {
        return Err(AppError::new(ErrorCode::Conflict, "not an active level-1 account"));
    }
    sqlx::query(
        "INSERT INTO level_changes (id, account_id, from_level, to_level, method, evidence, actor_id, actor_label, \
         created_at) VALUES ($1, $2, 1, 2, $3, $4, $5, $6, $7)",
    )
    .bind(kernel::ids::new_id())
    .bind(account_id)
    .bind(method.code())
    .bind(evidence)
    .bind(&actor.id)
    .bind(&actor.label)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    crate::accounts::account_by_id(db, account_id).await?.ok_or_else(|| AppError::not_found("account"))
}

/// Level 2 from verified chip data, for the verification module: `reference` identifies the
/// verification (never the chip data itself), at `now` (UTC milliseconds).
pub async fn raise_level_by_chip(
    db: &Db,
    account_id: &str,
    verifier_label: &str,
    reference: &str,
    now: i64,
) -> Result<Account, AppError> {
    let actor = LevelActor { id: None, label: verifier_label.to_string() };
    raise_to_level2(db, account_id, LevelMethod::Chip, reference, &actor, now).await
}

/// The level history of an account, newest first.
pub async fn level_history(db: &Db, account_id: &str) -> Result<Vec<LevelChange>, AppError> {
    let rows = sqlx::query(
        "SELECT from_level, to_level, method, actor_label, created_at FROM level_changes WHERE account_id = $1 \
         ORDER BY created_at DESC",
    )
    .bind(account_id)
    .fetch_all(db.read())
    .await?;
    Ok(rows
        .iter()
        .map(|r| LevelChange {
            from_level: r.get(0),
            to_level: r.get(1),
            method: r.get(2),
            actor_label: r.get(3),
            created_at: r.get(4),
        })
        .collect())
}
