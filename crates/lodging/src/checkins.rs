//! Check-in by facility staff: one or several guests in one call, each stay written with its
//! lodging notification in one transaction, replay-safe with an idempotency key.

use chrono::{DateTime, FixedOffset};
use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use web::{Ctx, CurrentUser, Jurisdiction};

use crate::deadline::{deadline_ms, is_late};
use crate::facilities::{self, Facility};
use crate::feed::{Feed, FeedEvent};
use crate::guests::{self, Guest, GuestInput};

/// Most guests one group check-in may carry.
pub const MAX_GROUP: usize = 100;
/// How far in the future an arrival time may lie (clock skew of staff phones).
const FUTURE_SLACK_MS: i64 = 10 * 60_000;

/// A check-in of one or several guests into one room.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CheckinRequest {
    pub facility_id: String,
    pub room: String,
    /// RFC 3339; now when absent.
    #[schema(value_type = Option<String>)]
    pub arrival_at: Option<DateTime<FixedOffset>>,
    /// RFC 3339.
    #[schema(value_type = Option<String>)]
    pub expected_departure_at: Option<DateTime<FixedOffset>>,
    /// Reason for the stay.
    pub reason: String,
    pub guests: Vec<GuestInput>,
}

/// One guest's stay and its notification, as returned to the staff.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckedIn {
    pub id: String,
    /// `citizen` or `foreigner`.
    pub guest_kind: String,
    pub full_name: String,
    pub personal_id: Option<String>,
    pub passport_number: Option<String>,
    pub nationality: String,
    pub birth_date: Option<String>,
    pub address: Option<String>,
    pub notification_id: String,
    /// Legal deadline of the notification (UTC milliseconds).
    pub deadline_at: i64,
    pub late: bool,
}

/// The result of a check-in call (also what a retry with the same idempotency key returns).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckinResult {
    pub group_id: String,
    pub facility_id: String,
    pub room: String,
    pub arrival_at: i64,
    pub checkins: Vec<CheckedIn>,
}

/// The validated request, before writing.
struct Plan {
    facility: Facility,
    room: String,
    reason: String,
    arrival: i64,
    departure: Option<i64>,
    guests: Vec<Guest>,
}

async fn plan(db: &Db, j: &Jurisdiction, req: CheckinRequest, now: i64) -> Result<Plan, AppError> {
    let room = req.room.trim().to_string();
    let reason = kernel::text::normalize_name(&req.reason);
    if room.is_empty() || reason.is_empty() {
        return Err(AppError::invalid("room and reason are required"));
    }
    if req.guests.is_empty() || req.guests.len() > MAX_GROUP {
        return Err(AppError::invalid(format!("a check-in carries 1 to {MAX_GROUP} guests")));
    }
    let arrival = req.arrival_at.map(|a| a.timestamp_millis()).unwrap_or(now);
    if arrival > now + FUTURE_SLACK_MS {
        return Err(AppError::invalid("arrival_at lies in the future"));
    }
    let departure = req.expected_departure_at.map(|d| d.timestamp_millis());
    if departure.is_some_and(|d| d <= arrival) {
        return Err(AppError::invalid("expected_departure_at must be after arrival_at"));
    }
    let facility = facilities::get(db, &req.facility_id, j)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "no facility with this id in your organization"))?;
    if facility.status != "approved" {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("facility is {}: only approved facilities take guests", facility.status),
        ));
    }
    let mut resolved: Vec<Guest> = Vec::with_capacity(req.guests.len());
    for g in req.guests {
        let g = guests::resolve(db, g).await?;
        if resolved.iter().any(|r| r.subject() == g.subject()) {
            return Err(AppError::invalid("the same guest appears twice"));
        }
        resolved.push(g);
    }
    Ok(Plan { facility, room, reason, arrival, departure, guests: resolved })
}

/// A stored result for `(actor, key)`, if any.
async fn stored(db: &Db, actor: &str, key: &str) -> Result<Option<CheckinResult>, AppError> {
    let row = sqlx::query("SELECT response FROM lodging_idempotency WHERE actor_id = $1 AND idem_key = $2")
        .bind(actor)
        .bind(key)
        .fetch_optional(db.write())
        .await
        .map_err(db::internal)?;
    row.map(|r| serde_json::from_str(&r.get::<String, _>(0)).map_err(db::internal)).transpose()
}

/// Checks guests in, writes their notifications, then logs the registry reads and feeds the police.
pub async fn check_in(
    ctx: &Ctx,
    feed: &Feed,
    user: &CurrentUser,
    key: Option<&str>,
    req: CheckinRequest,
) -> Result<CheckinResult, AppError> {
    let db = &ctx.db;
    if let Some(k) = key {
        if k.is_empty() || k.len() > 100 {
            return Err(AppError::invalid("Idempotency-Key must be 1 to 100 characters"));
        }
        if let Some(done) = stored(db, &user.account_id, k).await? {
            return Ok(done);
        }
    }
    let now = kernel::clock::now_ms();
    let plan = plan(db, &user.jurisdiction, req, now).await?;
    let result = CheckinResult {
        group_id: kernel::ids::new_id(),
        facility_id: plan.facility.id.clone(),
        room: plan.room.clone(),
        arrival_at: plan.arrival,
        checkins: plan
            .guests
            .iter()
            .map(|g| {
                let deadline = deadline_ms(g.kind, plan.arrival);
                CheckedIn {
                    id: kernel::ids::new_id(),
                    guest_kind: g.kind.code().into(),
                    full_name: g.full_name.clone(),
                    personal_id: g.personal_id.clone(),
                    passport_number: g.passport_number.clone(),
                    nationality: g.nationality.clone(),
                    birth_date: g.birth_date.clone(),
                    address: g.address.clone(),
                    notification_id: kernel::ids::new_id(),
                    deadline_at: deadline,
                    late: is_late(deadline, now),
                }
            })
            .collect(),
    };
    let mut tx = db.begin().await.map_err(db::internal)?;
    if let Some(k) = key {
        let json = serde_json::to_string(&result).map_err(db::internal)?;
        let claimed = sqlx::query(
            "INSERT INTO lodging_idempotency (actor_id, idem_key, response, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&user.account_id)
        .bind(k)
        .bind(json)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match claimed {
            Ok(_) => {}
            // A concurrent retry committed first: return its result.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                drop(tx);
                return stored(db, &user.account_id, k)
                    .await?
                    .ok_or_else(|| AppError::internal("lost idempotent result"));
            }
            Err(e) => return Err(db::internal(e)),
        }
    }
    for (g, c) in plan.guests.iter().zip(&result.checkins) {
        write_one(&mut tx, &plan, (&result.group_id, g, c), &user.account_id, now).await.map_err(db::internal)?;
    }
    tx.commit().await.map_err(db::internal)?;
    after_commit(ctx, feed, user, &plan, &result).await;
    Ok(result)
}

async fn write_one(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    plan: &Plan,
    (group_id, g, c): (&str, &Guest, &CheckedIn),
    actor: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let f = &plan.facility;
    sqlx::query(
        "INSERT INTO lodging_checkins (id, group_id, facility_id, organization_id, guest_kind, personal_id, \
         passport_number, nationality, full_name, birth_date, address, visa, entry_date, border_gate, room, \
         arrival_at, expected_departure_at, reason, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
    )
    .bind(&c.id)
    .bind(group_id)
    .bind(&f.id)
    .bind(&f.organization_id)
    .bind(&c.guest_kind)
    .bind(&g.personal_id)
    .bind(&g.passport_number)
    .bind(&g.nationality)
    .bind(&g.full_name)
    .bind(&g.birth_date)
    .bind(&g.address)
    .bind(&g.visa)
    .bind(&g.entry_date)
    .bind(&g.border_gate)
    .bind(&plan.room)
    .bind(plan.arrival)
    .bind(plan.departure)
    .bind(&plan.reason)
    .bind(actor)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO lodging_notifications (id, checkin_id, facility_id, facility_name, commune_code, province_code, \
         guest_kind, personal_id, passport_number, nationality, full_name, reason, arrival_at, expected_departure_at, \
         deadline_at, submitted_at, late) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(&c.notification_id)
    .bind(&c.id)
    .bind(&f.id)
    .bind(&f.name)
    .bind(&f.commune_code)
    .bind(&f.province_code)
    .bind(&c.guest_kind)
    .bind(&g.personal_id)
    .bind(&g.passport_number)
    .bind(&g.nationality)
    .bind(&g.full_name)
    .bind(&plan.reason)
    .bind(plan.arrival)
    .bind(plan.departure)
    .bind(c.deadline_at)
    .bind(now)
    .bind(i64::from(c.late))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Logs the registry reads of citizen guests and publishes one feed event per notification.
async fn after_commit(ctx: &Ctx, feed: &Feed, user: &CurrentUser, plan: &Plan, result: &CheckinResult) {
    for (g, c) in plan.guests.iter().zip(&result.checkins) {
        if let Some(id) = &g.personal_id {
            ctx.access_log
                .record(audit::AccessEntry {
                    at: kernel::clock::now_ms(),
                    actor_id: user.account_id.clone(),
                    actor_label: user.actor_label(),
                    subject_id: id.clone(),
                    action: "lodging.checkin".into(),
                    purpose: "lodging".into(),
                    released: "full_name,birth_date,address".into(),
                    channel: "api".into(),
                })
                .await;
        }
        feed.publish(FeedEvent {
            kind: "notification",
            commune_code: plan.facility.commune_code.clone(),
            province_code: plan.facility.province_code.clone(),
            data: serde_json::json!({
                "notification_id": c.notification_id,
                "facility_id": plan.facility.id,
                "facility_name": plan.facility.name,
                "commune_code": plan.facility.commune_code,
                "guest_kind": c.guest_kind,
                "full_name": c.full_name,
                "nationality": c.nationality,
                "arrival_at": plan.arrival,
                "deadline_at": c.deadline_at,
                "late": c.late,
            }),
        });
    }
}

/// Records a guest's departure; only staff of the facility's organization may do so.
pub async fn check_out(db: &Db, id: &str, organization_id: &str, at: i64) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE lodging_checkins SET checked_out_at = $1 \
         WHERE id = $2 AND organization_id = $3 AND checked_out_at IS NULL",
    )
    .bind(at)
    .bind(id)
    .bind(organization_id)
    .execute(db.write())
    .await
    .map_err(db::internal)?;
    if done.rows_affected() == 1 {
        return Ok(());
    }
    let exists = sqlx::query("SELECT 1 FROM lodging_checkins WHERE id = $1 AND organization_id = $2")
        .bind(id)
        .bind(organization_id)
        .fetch_optional(db.read())
        .await
        .map_err(db::internal)?;
    match exists {
        Some(_) => Err(AppError::new(ErrorCode::Conflict, "guest already checked out")),
        None => Err(AppError::new(ErrorCode::NotFound, "no check-in with this id in your organization")),
    }
}
