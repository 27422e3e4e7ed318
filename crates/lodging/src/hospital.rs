//! Hospital wards (pilot model 11): at a `hospital_ward` facility a stay is either an inpatient
//! (ward, bed, admission and expected discharge) or a caregiver staying overnight with an
//! inpatient of the same facility. Both are check-ins, so each is a lodging notification to the
//! police of the ward's commune with the legal deadline. Caregivers per inpatient are limited
//! (`lodging.hospital_caregivers`, default 2), checked in the write transaction with the inpatient's
//! row locked; discharging the inpatient checks its caregivers out.

use chrono::{DateTime, FixedOffset};
use db::sqlx::{self, Row};
use db::Db;
use kernel::Actor;
use kernel::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::checkins::{self, Attach, CheckinRequest, CheckinResult};
use crate::guests::GuestInput;
use crate::Service;

/// Reasons recorded on the notifications.
const INPATIENT_REASON: &str = "Điều trị nội trú";
const CAREGIVER_REASON: &str = "Chăm sóc người bệnh";

/// What a hospital-ward stay is, carried by the check-in plan into the write transaction.
#[derive(Debug, Clone)]
pub enum WardStay {
    Inpatient {
        ward: String,
        bed: String,
    },
    /// A caregiver of the inpatient whose check-in id this is, with the caregiver limit.
    Caregiver {
        patient_checkin_id: String,
        limit: i64,
    },
}

/// The admission of an inpatient.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Admission {
    /// An approved `hospital_ward` facility of the caller's organization.
    pub facility_id: String,
    /// Ward or department (khoa, phòng).
    pub ward: String,
    pub bed: String,
    /// RFC 3339; now when absent.
    #[schema(value_type = Option<String>)]
    pub admitted_at: Option<DateTime<FixedOffset>>,
    /// RFC 3339.
    #[schema(value_type = Option<String>)]
    pub expected_discharge_at: Option<DateTime<FixedOffset>>,
    /// The patient, as a check-in guest (personal id, card QR, identity QR or passport).
    pub patient: GuestInput,
}

/// A caregiver staying with an inpatient.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewCaregiver {
    /// The facility where the caregiver stays; the inpatient must be there.
    pub facility_id: String,
    /// Check-in id of the inpatient's stay.
    pub patient_id: String,
    /// RFC 3339; now when absent.
    #[schema(value_type = Option<String>)]
    pub arrival_at: Option<DateTime<FixedOffset>>,
    pub caregiver: GuestInput,
}

/// A caregiver as listed with their inpatient.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Caregiver {
    pub checkin_id: String,
    pub full_name: String,
    pub personal_id: Option<String>,
    pub passport_number: Option<String>,
    pub arrival_at: i64,
}

/// An inpatient still on the ward, with the caregivers staying with them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Inpatient {
    pub checkin_id: String,
    pub full_name: String,
    pub personal_id: Option<String>,
    pub passport_number: Option<String>,
    pub nationality: String,
    pub ward: String,
    pub bed: String,
    pub admitted_at: i64,
    pub expected_discharge_at: Option<i64>,
    pub caregivers: Vec<Caregiver>,
}

/// A ward or bed label: trimmed, 1 to 50 characters.
fn label(s: &str, what: &str) -> Result<String, AppError> {
    let v = kernel::text::normalize_name(s);
    if v.is_empty() || v.chars().count() > 50 {
        return Err(AppError::invalid(format!("{what} is required (at most 50 characters)")));
    }
    Ok(v)
}

/// Admits an inpatient at an approved hospital ward of the caller's organization at `now` (UTC
/// milliseconds).
pub async fn admit(
    svc: &Service,
    user: &Actor,
    key: Option<&str>,
    a: Admission,
    now: i64,
) -> Result<CheckinResult, AppError> {
    let ward = label(&a.ward, "ward")?;
    let bed = label(&a.bed, "bed")?;
    let req = CheckinRequest {
        facility_id: a.facility_id,
        room: format!("{ward} — giường {bed}"),
        arrival_at: a.admitted_at,
        expected_departure_at: a.expected_discharge_at,
        reason: INPATIENT_REASON.into(),
        guests: vec![a.patient],
    };
    let attach = Attach { ward: Some(WardStay::Inpatient { ward, bed }), ..Default::default() };
    checkins::check_in_to(svc, user, key, req, attach, now).await
}

/// Registers a caregiver with an inpatient present at the same facility of the caller's
/// organization; refused when the patient already has as many caregivers staying as
/// [`crate::LodgingSettings::hospital_caregivers`] allows. `now` is UTC milliseconds.
pub async fn add_caregiver(
    svc: &Service,
    user: &Actor,
    key: Option<&str>,
    c: NewCaregiver,
    now: i64,
) -> Result<CheckinResult, AppError> {
    let org = crate::access::organization(user)?;
    let row = sqlx::query(
        "SELECT h.facility_id, k.room, k.checked_out_at FROM lodging_hospital_stays h \
         JOIN lodging_checkins k ON k.id = h.checkin_id \
         WHERE h.checkin_id = $1 AND h.role = 'inpatient' AND k.organization_id = $2",
    )
    .bind(&c.patient_id)
    .bind(org)
    .fetch_optional(svc.stores.db.read())
    .await?
    .ok_or_else(|| AppError::new(ErrorCode::NotFound, "no inpatient with this id in your organization"))?;
    let facility: String = row.get(0);
    if facility != c.facility_id {
        return Err(AppError::new(ErrorCode::Conflict, "the patient is at another facility"));
    }
    if row.get::<Option<i64>, _>(2).is_some() {
        return Err(AppError::new(ErrorCode::Conflict, "the patient has been discharged"));
    }
    let req = CheckinRequest {
        facility_id: facility,
        room: row.get(1),
        arrival_at: c.arrival_at,
        expected_departure_at: None,
        reason: CAREGIVER_REASON.into(),
        guests: vec![c.caregiver],
    };
    let stay = WardStay::Caregiver { patient_checkin_id: c.patient_id, limit: svc.settings.hospital_caregivers };
    checkins::check_in_to(svc, user, key, req, Attach { ward: Some(stay), ..Default::default() }, now).await
}

/// Writes the ward row of a check-in `checkin_id` at `facility_id`, inside the check-in's
/// transaction. A caregiver locks the inpatient's row first (a no-op `UPDATE`), so concurrent
/// registrations for one patient count each other's rows.
pub async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    checkin_id: &str,
    facility_id: &str,
    stay: &WardStay,
    now: i64,
) -> Result<(), AppError> {
    let (role, ward, bed, patient) = match stay {
        WardStay::Inpatient { ward, bed } => ("inpatient", Some(ward.as_str()), Some(bed.as_str()), None),
        WardStay::Caregiver { patient_checkin_id, limit } => {
            check_room_for_caregiver(tx, patient_checkin_id, checkin_id, facility_id, *limit).await?;
            ("caregiver", None, None, Some(patient_checkin_id.as_str()))
        }
    };
    sqlx::query(
        "INSERT INTO lodging_hospital_stays (checkin_id, facility_id, role, ward, bed, patient_checkin_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(checkin_id)
    .bind(facility_id)
    .bind(role)
    .bind(ward)
    .bind(bed)
    .bind(patient)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The inpatient is present at `facility_id`, is not the caregiver of check-in `caregiver`
/// themselves, and has fewer than `limit` caregivers staying.
async fn check_room_for_caregiver(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    patient: &str,
    caregiver: &str,
    facility_id: &str,
    limit: i64,
) -> Result<(), AppError> {
    let locked = sqlx::query(
        "UPDATE lodging_hospital_stays SET role = role WHERE checkin_id = $1 AND role = 'inpatient' \
         AND facility_id = $2",
    )
    .bind(patient)
    .bind(facility_id)
    .execute(&mut **tx)
    .await?;
    if locked.rows_affected() != 1 {
        return Err(AppError::new(ErrorCode::Conflict, "no inpatient with this id at this facility"));
    }
    let present: Option<i64> = sqlx::query("SELECT checked_out_at FROM lodging_checkins WHERE id = $1")
        .bind(patient)
        .fetch_one(&mut **tx)
        .await?
        .get(0);
    if present.is_some() {
        return Err(AppError::new(ErrorCode::Conflict, "the patient has been discharged"));
    }
    let same_person: i64 = sqlx::query(
        "SELECT COUNT(*) FROM lodging_checkins p, lodging_checkins c WHERE p.id = $1 AND c.id = $2 \
         AND ((p.personal_id IS NOT NULL AND p.personal_id = c.personal_id) \
           OR (p.passport_number IS NOT NULL AND p.passport_number = c.passport_number \
               AND p.nationality = c.nationality))",
    )
    .bind(patient)
    .bind(caregiver)
    .fetch_one(&mut **tx)
    .await?
    .get(0);
    if same_person > 0 {
        return Err(AppError::new(ErrorCode::Conflict, "the caregiver is the patient"));
    }
    let staying: i64 = sqlx::query(
        "SELECT COUNT(*) FROM lodging_hospital_stays h JOIN lodging_checkins k ON k.id = h.checkin_id \
         WHERE h.patient_checkin_id = $1 AND k.checked_out_at IS NULL",
    )
    .bind(patient)
    .fetch_one(&mut **tx)
    .await?
    .get(0);
    if staying >= limit {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("the patient already has {staying} caregivers staying (at most {limit})"),
        ));
    }
    Ok(())
}

/// Checks out the caregivers of inpatient `patient` still staying (the patient's discharge),
/// inside the check-out transaction; returns how many.
pub async fn discharge_caregivers(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    patient: &str,
    at: i64,
) -> Result<u64, AppError> {
    let done = sqlx::query(
        "UPDATE lodging_checkins SET checked_out_at = $1 WHERE checked_out_at IS NULL \
         AND id IN (SELECT checkin_id FROM lodging_hospital_stays WHERE patient_checkin_id = $2)",
    )
    .bind(at)
    .bind(patient)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Inpatients still on the ward at `facility_id` of the organization, by ward and bed, each with
/// the caregivers staying with them.
pub async fn inpatients(db: &Db, organization_id: &str, facility_id: &str) -> Result<Vec<Inpatient>, AppError> {
    let rows = sqlx::query(
        "SELECT h.checkin_id, h.role, h.ward, h.bed, h.patient_checkin_id, k.full_name, k.personal_id, \
         k.passport_number, k.nationality, k.arrival_at, k.expected_departure_at \
         FROM lodging_hospital_stays h JOIN lodging_checkins k ON k.id = h.checkin_id \
         WHERE h.facility_id = $1 AND k.organization_id = $2 AND k.checked_out_at IS NULL \
         ORDER BY h.ward, h.bed, k.arrival_at, h.checkin_id LIMIT 5000",
    )
    .bind(facility_id)
    .bind(organization_id)
    .fetch_all(db.read())
    .await?;
    let mut out: Vec<Inpatient> = Vec::new();
    let mut caregivers: Vec<(String, Caregiver)> = Vec::new();
    for r in &rows {
        if r.get::<String, _>(1) == "inpatient" {
            out.push(Inpatient {
                checkin_id: r.get(0),
                ward: r.get::<Option<String>, _>(2).unwrap_or_default(),
                bed: r.get::<Option<String>, _>(3).unwrap_or_default(),
                full_name: r.get(5),
                personal_id: r.get(6),
                passport_number: r.get(7),
                nationality: r.get(8),
                admitted_at: r.get(9),
                expected_discharge_at: r.get(10),
                caregivers: Vec::new(),
            });
        } else {
            let patient: Option<String> = r.get(4);
            let c = Caregiver {
                checkin_id: r.get(0),
                full_name: r.get(5),
                personal_id: r.get(6),
                passport_number: r.get(7),
                arrival_at: r.get(9),
            };
            caregivers.push((patient.unwrap_or_default(), c));
        }
    }
    for (patient, c) in caregivers {
        if let Some(p) = out.iter_mut().find(|p| p.checkin_id == patient) {
            p.caregivers.push(c);
        }
    }
    Ok(out)
}
