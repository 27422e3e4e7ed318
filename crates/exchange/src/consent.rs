//! Citizens' consents (sự đồng ý của chủ thể dữ liệu, Decree 13/2023/NĐ-CP): for purposes that
//! need it, a member may ask about a citizen only under a consent the citizen gave that member, for
//! that purpose and those fields, for a limited time; the citizen lists and withdraws consents, and
//! a withdrawn or expired consent is refused on the very next call.
//!
//! The citizen gives a consent on dancu's own page, signed in with their e-ID, and hands the
//! receipt's code to the member (at the bank's counter or in its app); the member names it as
//! `consent_id` in each request. The code is random (60 bits), so it cannot be guessed, and it is
//! bound to the person: a code given for one citizen is refused for questions about another.

use chrono::NaiveDate;
use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, ErrorCode};
use serde::Serialize;

use crate::catalogue::{Purpose, Service};
use crate::members::{self, Status};

/// Longest a consent may last, in days.
pub const MAX_DAYS: u32 = 365;

const DAY_MS: i64 = 86_400_000;

/// A consent as the citizen and the administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consent {
    /// The code the citizen hands to the member.
    pub id: String,
    pub member: String,
    pub member_name: String,
    pub purpose: String,
    pub fields: Vec<String>,
    pub granted_at: i64,
    pub expires_at: i64,
    pub withdrawn_at: Option<i64>,
}

impl Consent {
    /// In force at `now`: neither withdrawn nor expired.
    pub fn in_force(&self, now: i64) -> bool {
        self.withdrawn_at.is_none() && now < self.expires_at
    }
}

/// What the citizen is asked to consent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub member: String,
    pub purpose: String,
    pub fields: Vec<String>,
    pub days: u32,
}

/// A request checked against the catalogue and the members: what the consent screen shows.
#[derive(Debug, Clone)]
pub struct Checked {
    pub member_name: String,
    pub purpose: &'static Purpose,
    pub service: &'static Service,
    pub fields: Vec<String>,
    pub days: u32,
}

/// Checks a request: an approved member, a purpose that needs consent, fields of a service, a
/// duration of 1 to [`MAX_DAYS`] days.
pub async fn check_request(db: &Db, r: &Request) -> Result<Checked, AppError> {
    let purpose = Purpose::find(&r.purpose)
        .filter(|p| p.needs_consent)
        .ok_or_else(|| AppError::invalid(format!("purpose {:?} is not one that asks for consent", r.purpose)))?;
    let (status, member_name) = members::member_status(db, &r.member)
        .await?
        .ok_or_else(|| AppError::not_found(format!("member {}", r.member)))?;
    if status != Status::Approved {
        return Err(AppError::invalid(format!("member {} is not approved", r.member)));
    }
    let mut fields: Vec<String> = r.fields.iter().map(|f| f.trim().to_owned()).filter(|f| !f.is_empty()).collect();
    fields.sort_unstable();
    fields.dedup();
    let service = crate::catalogue::SERVICES
        .iter()
        .find(|s| !fields.is_empty() && fields.iter().all(|f| s.has_field(f)))
        .ok_or_else(|| AppError::invalid("fields: name fields of one service"))?;
    if !(1..=MAX_DAYS).contains(&r.days) {
        return Err(AppError::invalid(format!("days: 1 to {MAX_DAYS}")));
    }
    Ok(Checked { member_name, purpose, service, fields, days: r.days })
}

/// A new consent code: `DY-` and 12 Crockford base32 characters (60 random bits) in groups of four.
fn new_code() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bits = rand::random::<u64>();
    let chars: Vec<char> = (0..12u32)
        .map(|i| {
            let index = usize::try_from((bits >> (i * 5)) & 31).unwrap_or(0);
            ALPHABET.get(index).copied().map_or('0', char::from)
        })
        .collect();
    let groups: Vec<String> = chars.chunks(4).map(|g| g.iter().collect()).collect();
    format!("DY-{}", groups.join("-"))
}

/// Records the consent of the citizen `person_id` to `request`; returns it.
pub async fn grant(db: &Db, person_id: &str, request: &Request, now: i64) -> Result<Consent, AppError> {
    let c = check_request(db, request).await?;
    let id = new_code();
    let expires_at = now.saturating_add(i64::from(c.days) * DAY_MS);
    sqlx::query(
        "INSERT INTO exchange_consents (id, person_id, member_code, purpose, fields, granted_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(person_id)
    .bind(&request.member)
    .bind(c.purpose.code)
    .bind(c.fields.join(","))
    .bind(now)
    .bind(expires_at)
    .execute(db.write())
    .await?;
    Ok(Consent {
        id,
        member: request.member.clone(),
        member_name: c.member_name,
        purpose: c.purpose.code.into(),
        fields: c.fields,
        granted_at: now,
        expires_at,
        withdrawn_at: None,
    })
}

const COLUMNS: &str = "c.id, c.member_code, m.name, c.purpose, c.fields, c.granted_at, c.expires_at, c.withdrawn_at";

fn consent_of(r: &db::Row) -> Result<Consent, AppError> {
    let fields: String = r.try_get(4)?;
    Ok(Consent {
        id: r.try_get(0)?,
        member: r.try_get(1)?,
        member_name: r.try_get(2)?,
        purpose: r.try_get(3)?,
        fields: fields.split(',').filter(|f| !f.is_empty()).map(str::to_owned).collect(),
        granted_at: r.try_get(5)?,
        expires_at: r.try_get(6)?,
        withdrawn_at: r.try_get(7)?,
    })
}

/// The citizen's consents, newest first (withdrawn and expired ones included).
pub async fn list_for_person(db: &Db, person_id: &str) -> Result<Vec<Consent>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM exchange_consents c JOIN exchange_members m ON m.code = c.member_code \
         WHERE c.person_id = $1 ORDER BY c.granted_at DESC, c.id"
    ))
    .bind(person_id)
    .fetch_all(db.read())
    .await?;
    rows.iter().map(consent_of).collect()
}

/// Withdraws one of the citizen's own consents from `now` on; refused when it is not theirs or is
/// withdrawn already.
pub async fn withdraw(db: &Db, person_id: &str, id: &str, now: i64) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE exchange_consents SET withdrawn_at = $1 WHERE id = $2 AND person_id = $3 AND withdrawn_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(person_id)
    .execute(db.write())
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found(format!("consent {id} (or withdrawn already)")));
    }
    Ok(())
}

/// What a request asks under a consent.
pub(crate) struct Asked<'a> {
    pub consent_id: Option<&'a str>,
    pub member: &'a str,
    pub purpose: &'a str,
    pub person_id: &'a str,
    pub fields: &'a [&'a str],
}

fn refused(detail: &str) -> AppError {
    AppError::new(ErrorCode::ExchangeConsentRefused, detail)
}

/// Checks that the consent named covers the request at `now`.
pub(crate) async fn check(db: &Db, a: &Asked<'_>, now: i64) -> Result<(), AppError> {
    let id =
        a.consent_id.filter(|c| !c.is_empty()).ok_or_else(|| refused("consent_id is required for this purpose"))?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, c.person_id FROM exchange_consents c JOIN exchange_members m ON m.code = c.member_code \
         WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(db.read())
    .await?
    .ok_or_else(|| refused("no such consent"))?;
    let consent = consent_of(&row)?;
    let person: String = row.try_get(8)?;
    if consent.member != a.member || person != a.person_id {
        // One answer for both: a member must not learn whom another member's code is about.
        return Err(refused("the consent was not given to this member for this person"));
    }
    if consent.withdrawn_at.is_some() {
        return Err(refused("the citizen withdrew the consent"));
    }
    if now >= consent.expires_at {
        return Err(refused("the consent has expired"));
    }
    if consent.purpose != a.purpose {
        return Err(refused("the consent was given for another purpose"));
    }
    if let Some(f) = a.fields.iter().find(|f| !consent.fields.iter().any(|c| c == *f)) {
        return Err(refused(&format!("the consent does not cover {f}")));
    }
    Ok(())
}

/// Consents per member and purpose, for the administrators' overview: (member, purpose, in
/// force, withdrawn, expired).
pub async fn overview(db: &Db, now: i64) -> Result<Vec<(String, String, i64, i64, i64)>, AppError> {
    let rows = sqlx::query(
        "SELECT member_code, purpose, \
         SUM(CASE WHEN withdrawn_at IS NULL AND expires_at > $1 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN withdrawn_at IS NOT NULL THEN 1 ELSE 0 END), \
         SUM(CASE WHEN withdrawn_at IS NULL AND expires_at <= $1 THEN 1 ELSE 0 END) \
         FROM exchange_consents GROUP BY member_code, purpose ORDER BY member_code, purpose",
    )
    .bind(now)
    .fetch_all(db.read())
    .await?;
    rows.iter()
        .map(|r| {
            let n = |i: usize| -> Result<i64, AppError> { Ok(r.try_get::<Option<i64>, _>(i)?.unwrap_or(0)) };
            Ok((r.try_get(0)?, r.try_get(1)?, n(2)?, n(3)?, n(4)?))
        })
        .collect()
}

/// The last day a consent is in force, in Vietnam time, for the receipt.
pub fn last_day(c: &Consent) -> NaiveDate {
    kernel::clock::date_vn(c.expires_at - 1)
}
