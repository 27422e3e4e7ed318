//! Check-in by facility staff: one or several guests in one call, each stay written with its
//! lodging notification in one transaction, replay-safe with an idempotency key.

use chrono::{DateTime, FixedOffset};
use db::sqlx;
use db::Db;
use kernel::{Actor, Jurisdiction};
use kernel::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::alerts::Alert;
use crate::deadline::{deadline_ms, is_late};
use crate::facilities::Facility;
use crate::feed::FeedEvent;
use crate::guests::{self, Guest, GuestInput};
use crate::hospital::WardStay;
use crate::writer::{Job, Outcome};
use crate::Service;

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
pub struct Plan {
    pub facility: Facility,
    pub room: String,
    pub reason: String,
    pub arrival: i64,
    pub departure: Option<i64>,
    pub guests: Vec<Guest>,
    /// The coach trip a boarding belongs to.
    pub trip_id: Option<String>,
    /// What a stay at a hospital ward is (inpatient or caregiver).
    pub ward: Option<WardStay>,
}

/// What a check-in is attached to besides its facility (set by the trip and hospital modules,
/// which check it first).
#[derive(Debug, Clone, Default)]
pub struct Attach {
    pub trip_id: Option<String>,
    pub ward: Option<WardStay>,
}

async fn plan(
    svc: &Service,
    j: &Jurisdiction,
    req: CheckinRequest,
    attach: Attach,
    now: i64,
) -> Result<Plan, AppError> {
    let room = req.room.trim().to_string();
    let reason = kernel::text::normalize_name(&req.reason);
    if room.is_empty() || reason.is_empty() {
        return Err(AppError::invalid("room and reason are required").with_message(
            "Cần nhập số phòng và lý do lưu trú.",
            "The room and the reason for the stay are required.",
        ));
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
    let facility = svc
        .facilities
        .get(&req.facility_id, j)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "no facility with this id in your organization"))?;
    if facility.status != "approved" {
        return Err(AppError::new(
            ErrorCode::LodgingFacilityNotApproved,
            format!("facility is {}: only approved facilities take guests", facility.status),
        ));
    }
    match (facility.kind == "hospital_ward", &attach.ward) {
        (true, None) => {
            return Err(AppError::invalid(
                "a hospital ward admits inpatients and caregivers: use /api/v1/lodging/hospital",
            ))
        }
        (false, Some(_)) => {
            return Err(AppError::invalid("inpatients and caregivers stay at a hospital_ward facility"))
        }
        _ => {}
    }
    if attach.ward.is_some() && req.guests.len() != 1 {
        return Err(AppError::invalid("one inpatient or caregiver at a time"));
    }
    let mut resolved: Vec<Guest> = Vec::with_capacity(req.guests.len());
    for g in req.guests {
        let g = guests::resolve(svc, g, now).await?;
        if resolved.iter().any(|r| r.subject() == g.subject()) {
            return Err(AppError::invalid("the same guest appears twice"));
        }
        resolved.push(g);
    }
    let Attach { trip_id, ward } = attach;
    Ok(Plan { facility, room, reason, arrival, departure, guests: resolved, trip_id, ward })
}

/// Checks guests in, writes their notifications (through the group-commit writer), then logs the
/// registry reads and feeds the police, including any watchlist alerts. `now` is UTC
/// milliseconds, the time of the check-in, passed so tests can fix time.
pub async fn check_in(
    svc: &Service,
    user: &Actor,
    key: Option<&str>,
    req: CheckinRequest,
    now: i64,
) -> Result<CheckinResult, AppError> {
    check_in_to(svc, user, key, req, Attach::default(), now).await
}

/// [`check_in`], recording the coach trip the guests boarded or the hospital-ward stay (checked
/// by the caller; a caregiver's limit is checked again in the write transaction).
#[tracing::instrument(name = "lodging.check_in", skip_all, fields(facility_id = %req.facility_id, guests = req.guests.len()))]
pub async fn check_in_to(
    svc: &Service,
    user: &Actor,
    key: Option<&str>,
    req: CheckinRequest,
    attach: Attach,
    now: i64,
) -> Result<CheckinResult, AppError> {
    let db = &svc.stores.db;
    if let Some(k) = key {
        if k.is_empty() || k.len() > 100 {
            return Err(AppError::invalid("Idempotency-Key must be 1 to 100 characters"));
        }
    }
    // A retry is answered by the writer's claim of its key, so the request is planned as if new.
    // Only when planning fails is the key looked up: a retry of a call that succeeded gets its
    // stored result even if the facility or a guest changed since.
    let plan = match plan(svc, &user.jurisdiction, req, attach, now).await {
        Ok(plan) => plan,
        Err(e) => {
            let Some(k) = key else { return Err(e) };
            let mut conn = db.read().acquire().await?;
            return crate::writer::stored(&mut conn, &user.account_id, k).await?.ok_or(e);
        }
    };
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
    let job = Job { plan, result, actor: user.account_id.clone(), key: key.map(str::to_string), now };
    let job_ref = svc.writer.submit(job).await?;
    match job_ref {
        (Outcome::Replayed(first), _) => Ok(first),
        (Outcome::Written(events), job) => {
            svc.committed(events);
            log_reads(svc, user, &job).await?;
            Ok(job.result)
        }
    }
}

/// The feed events of a written check-in: one per notification and one per alert it raised. The
/// writer stores them in the NATS outbox in its transaction and hands them back for the live feed.
pub(crate) fn feed_events(job: &Job, alerts: &[(Alert, String)]) -> Vec<FeedEvent> {
    let plan = &job.plan;
    let notifications = job.result.checkins.iter().map(|c| FeedEvent {
        kind: "notification",
        communes: vec![plan.facility.commune_code.clone()],
        province_code: plan.facility.province_code.clone(),
        data: serde_json::json!({
            "notification_id": c.notification_id,
            "facility_id": plan.facility.id,
            "facility_name": plan.facility.name,
            "commune_code": plan.facility.commune_code,
            "guest_kind": c.guest_kind,
            "full_name": c.full_name,
            "nationality": c.nationality,
            "room": plan.room,
            "arrival_at": plan.arrival,
            "deadline_at": c.deadline_at,
            "submitted_at": job.now,
            "late": c.late,
        }),
    });
    notifications.chain(alerts.iter().map(|(a, reason)| crate::alerts::feed_event(a, reason))).collect()
}

/// Logs the registry reads of citizen guests (durable before the answer that releases their data):
/// a scanned card or identity QR released the registry's name, birth date and address; a typed id
/// was only confirmed against what the staff typed.
async fn log_reads(svc: &Service, user: &Actor, job: &Job) -> Result<(), AppError> {
    let plan = &job.plan;
    let (typed, scanned): (Vec<&crate::guests::Guest>, Vec<_>) =
        plan.guests.iter().filter(|g| g.personal_id.is_some()).partition(|g| g.typed);
    for (guests, released) in [(scanned, "full_name,birth_date,address"), (typed, "match_result")] {
        let read = crate::access::Read { action: "lodging.checkin", purpose: "lodging", released, channel: "api" };
        let citizens = guests.iter().filter_map(|g| g.personal_id.clone()).collect();
        crate::access::log_reads(svc, user, citizens, &read, job.now).await?;
    }
    Ok(())
}

/// Records a guest's departure; only staff of the facility's organization may do so. The
/// departure of a hospital inpatient (discharge) also checks out its caregivers, in the same
/// transaction; returns how many caregivers left with the patient.
pub async fn check_out(db: &Db, id: &str, organization_id: &str, at: i64) -> Result<u64, AppError> {
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE lodging_checkins SET checked_out_at = $1 \
         WHERE id = $2 AND organization_id = $3 AND checked_out_at IS NULL",
    )
    .bind(at)
    .bind(id)
    .bind(organization_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 1 {
        let caregivers = crate::hospital::discharge_caregivers(&mut tx, id, at).await?;
        tx.commit().await?;
        return Ok(caregivers);
    }
    drop(tx);
    let exists = sqlx::query("SELECT 1 FROM lodging_checkins WHERE id = $1 AND organization_id = $2")
        .bind(id)
        .bind(organization_id)
        .fetch_optional(db.read())
        .await?;
    match exists {
        Some(_) => Err(AppError::new(ErrorCode::LodgingAlreadyCheckedOut, "guest already checked out")),
        None => Err(AppError::new(ErrorCode::NotFound, "no check-in with this id in your organization")),
    }
}
