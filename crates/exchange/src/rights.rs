//! Rights: which subsystem may call which service, for which purpose, asking which fields, between
//! which dates and how often a day. Granted and revoked by administrators, each change a security
//! event; a revoked right is kept with who revoked it.

use audit::Stores;
use chrono::NaiveDate;
use db::sqlx::{self, Row};
use db::Db;
use kernel::{Actor, AppError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalogue::{Purpose, Service};
use crate::members::{admin_event, require_admin};

/// A right as granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ExchangeGrant)]
pub struct Grant {
    pub member: String,
    pub subsystem: String,
    /// A service code of the catalogue (`person.verify`).
    pub service: String,
    /// A purpose code (legal basis) of the catalogue.
    pub purpose: String,
    /// The service fields the right covers; a request may ask any subset.
    pub fields: Vec<String>,
    /// First day of validity (Vietnam time), `YYYY-MM-DD`.
    #[schema(value_type = String)]
    pub valid_from: NaiveDate,
    /// Last day of validity, inclusive; none = until revoked.
    #[schema(value_type = Option<String>)]
    pub valid_to: Option<NaiveDate>,
    /// Requests accepted per day (Vietnam time).
    pub daily_quota: i64,
}

/// A stored right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ExchangeRight)]
pub struct Right {
    pub id: String,
    /// What was granted.
    pub grant: Grant,
    pub granted_at: i64,
    pub granted_by: String,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
}

/// Most requests a right may allow per day.
pub const MAX_DAILY_QUOTA: i64 = 100_000_000;

/// Grants a right; returns its id. The service, purpose and fields must be in the catalogue and
/// the subsystem registered.
pub async fn grant(stores: &Stores, actor: &Actor, g: &Grant, now: i64) -> Result<String, AppError> {
    require_admin(actor)?;
    let service =
        Service::find(&g.service).ok_or_else(|| AppError::invalid(format!("unknown service {}", g.service)))?;
    if Purpose::find(&g.purpose).is_none() {
        return Err(AppError::invalid(format!("unknown purpose {}", g.purpose)));
    }
    if g.fields.is_empty() {
        return Err(AppError::invalid("fields: name at least one field of the service"));
    }
    if let Some(f) = g.fields.iter().find(|f| !service.has_field(f)) {
        return Err(AppError::invalid(format!("field {f} is not a field of {}", service.code)));
    }
    if g.valid_to.is_some_and(|to| to < g.valid_from) {
        return Err(AppError::invalid("valid_to is before valid_from"));
    }
    if !(1..=MAX_DAILY_QUOTA).contains(&g.daily_quota) {
        return Err(AppError::invalid(format!("daily_quota: 1 to {MAX_DAILY_QUOTA}")));
    }
    if crate::members::subsystem_status(&stores.db, &g.member, &g.subsystem).await?.is_none() {
        return Err(AppError::not_found(format!("subsystem {}/{}", g.member, g.subsystem)));
    }
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO exchange_rights (id, member_code, subsystem_code, service, purpose, fields, valid_from, valid_to, \
         daily_quota, granted_at, granted_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&id)
    .bind(&g.member)
    .bind(&g.subsystem)
    .bind(&g.service)
    .bind(&g.purpose)
    .bind(field_list(&g.fields))
    .bind(g.valid_from.to_string())
    .bind(g.valid_to.map(|d| d.to_string()))
    .bind(g.daily_quota)
    .bind(now)
    .bind(&actor.account_id)
    .execute(stores.db.write())
    .await?;
    admin_event(
        stores,
        actor,
        format!("exchange.right_granted {id} {}/{} {} {}", g.member, g.subsystem, g.service, g.purpose),
        now,
    );
    Ok(id)
}

/// Revokes a right from now on; revoking twice is refused (the first revocation stays recorded).
pub async fn revoke(stores: &Stores, actor: &Actor, id: &str, now: i64) -> Result<(), AppError> {
    require_admin(actor)?;
    let done =
        sqlx::query("UPDATE exchange_rights SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(&actor.account_id)
            .bind(id)
            .execute(stores.db.write())
            .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found(format!("right {id} (or revoked already)")));
    }
    admin_event(stores, actor, format!("exchange.right_revoked {id}"), now);
    Ok(())
}

/// Fields stored sorted and without repeats, so two grants of the same set look the same.
fn field_list(fields: &[String]) -> String {
    let mut f: Vec<&str> = fields.iter().map(String::as_str).collect();
    f.sort_unstable();
    f.dedup();
    f.join(",")
}

const COLUMNS: &str = "id, member_code, subsystem_code, service, purpose, fields, valid_from, valid_to, daily_quota, \
                       granted_at, granted_by, revoked_at, revoked_by";

fn date(s: &str) -> Result<NaiveDate, AppError> {
    s.parse().map_err(|e| AppError::internal_from("stored right date", e))
}

fn right_of(r: &db::Row) -> Result<Right, AppError> {
    let fields: String = r.try_get(5)?;
    let valid_to: Option<String> = r.try_get(7)?;
    Ok(Right {
        id: r.try_get(0)?,
        grant: Grant {
            member: r.try_get(1)?,
            subsystem: r.try_get(2)?,
            service: r.try_get(3)?,
            purpose: r.try_get(4)?,
            fields: fields.split(',').filter(|f| !f.is_empty()).map(str::to_owned).collect(),
            valid_from: date(&r.try_get::<String, _>(6)?)?,
            valid_to: valid_to.as_deref().map(date).transpose()?,
            daily_quota: r.try_get(8)?,
        },
        granted_at: r.try_get(9)?,
        granted_by: r.try_get(10)?,
        revoked_at: r.try_get(11)?,
        revoked_by: r.try_get(12)?,
    })
}

/// Every right of a member (all members when `member` is none), revoked ones included.
pub async fn list(db: &Db, actor: &Actor, member: Option<&str>) -> Result<Vec<Right>, AppError> {
    require_admin(actor)?;
    let rows = match member {
        Some(m) => {
            sqlx::query(&format!("SELECT {COLUMNS} FROM exchange_rights WHERE member_code = $1 ORDER BY granted_at"))
                .bind(m)
                .fetch_all(db.read())
                .await?
        }
        None => {
            sqlx::query(&format!("SELECT {COLUMNS} FROM exchange_rights ORDER BY member_code, granted_at"))
                .fetch_all(db.read())
                .await?
        }
    };
    rows.iter().map(right_of).collect()
}

/// The right that lets `member`/`subsystem` call `service` for `purpose` asking `fields` on
/// `today`: not revoked, valid today, covering every field. The one with the most quota wins
/// when several do.
pub(crate) async fn matching(
    db: &Db,
    member: &str,
    subsystem: &str,
    service: &str,
    purpose: &str,
    fields: &[&str],
    today: NaiveDate,
) -> Result<Option<Right>, AppError> {
    let day = today.to_string();
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM exchange_rights WHERE member_code = $1 AND subsystem_code = $2 AND service = $3 \
         AND purpose = $4 AND revoked_at IS NULL AND valid_from <= $5 AND (valid_to IS NULL OR valid_to >= $5) \
         ORDER BY daily_quota DESC"
    ))
    .bind(member)
    .bind(subsystem)
    .bind(service)
    .bind(purpose)
    .bind(&day)
    .fetch_all(db.read())
    .await?;
    for r in &rows {
        let right = right_of(r)?;
        if fields.iter().all(|f| right.grant.fields.iter().any(|g| g == f)) {
            return Ok(Some(right));
        }
    }
    Ok(None)
}

/// Requests counted today against each right (Vietnam day `day`), by right id: the quota use the
/// administrators' page shows beside each right.
pub async fn used_on(db: &Db, day: NaiveDate) -> Result<std::collections::HashMap<String, i64>, AppError> {
    let rows = sqlx::query("SELECT right_id, used FROM exchange_quota_use WHERE day = $1")
        .bind(day.to_string())
        .fetch_all(db.read())
        .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}
