//! Members (agencies, companies, banks), their subsystems (information systems) and the
//! subsystems' public keys: registered and approved by the province's administrator.

use audit::security::{Kind, Origin, SecurityEvent};
use audit::Stores;
use db::sqlx::{self, Row};
use db::Db;
use kernel::{Actor, AppError, ErrorCode, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What kind of organization a member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ExchangeMemberClass)]
#[serde(rename_all = "snake_case")]
pub enum MemberClass {
    Government,
    Business,
    Bank,
}

impl MemberClass {
    pub fn code(self) -> &'static str {
        match self {
            MemberClass::Government => "government",
            MemberClass::Business => "business",
            MemberClass::Bank => "bank",
        }
    }

    fn parse(s: &str) -> Result<MemberClass, AppError> {
        [MemberClass::Government, MemberClass::Business, MemberClass::Bank]
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| AppError::internal(format!("stored member class {s:?} is unknown")))
    }
}

/// Where a member or subsystem stands. Only `approved` ones may call services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ExchangeStatus)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Approved,
    Suspended,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Suspended => "suspended",
        }
    }

    fn parse(s: &str) -> Result<Status, AppError> {
        [Status::Pending, Status::Approved, Status::Suspended]
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| AppError::internal(format!("stored status {s:?} is unknown")))
    }
}

/// A member as the administrator lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ExchangeMember)]
pub struct Member {
    pub code: String,
    pub name: String,
    pub class: MemberClass,
    pub status: Status,
    pub status_reason: String,
    pub created_at: i64,
    pub subsystems: Vec<Subsystem>,
}

/// An information system of a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ExchangeSubsystem)]
pub struct Subsystem {
    pub code: String,
    pub name: String,
    pub status: Status,
    pub keys: Vec<SubsystemKey>,
}

/// A public key of a subsystem, with its validity (UTC milliseconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ExchangeSubsystemKey)]
pub struct SubsystemKey {
    pub kid: String,
    #[schema(value_type = Object)]
    pub jwk: serde_json::Value,
    pub valid_from: i64,
    pub valid_to: Option<i64>,
}

/// Only the province's administrators manage the exchange.
pub(crate) fn require_admin(actor: &Actor) -> Result<(), AppError> {
    actor.require(&[Role::Admin])
}

/// Codes are what requests carry in `member` and `subsystem`: short, printable, no spaces.
fn check_code(what: &str, code: &str) -> Result<(), AppError> {
    let ok = (1..=64).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(format!("{what} code: 1 to 64 letters, digits, '-', '_' or '.'")))
    }
}

fn check_name(name: &str) -> Result<String, AppError> {
    let name = kernel::text::normalize_name(name);
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid("name: 1 to 200 characters"));
    }
    Ok(name)
}

/// Records an administrator's change of the exchange's configuration for the SOC.
pub(crate) fn admin_event(stores: &Stores, actor: &Actor, detail: String, now: i64) {
    stores.security.record(
        SecurityEvent::new(Kind::AdminAction, detail).about(actor.account_id.clone()),
        Origin { at: now, route: "exchange".into(), ..Origin::default() },
    );
}

/// Registers a member, pending approval.
pub async fn register_member(
    stores: &Stores,
    actor: &Actor,
    code: &str,
    name: &str,
    class: MemberClass,
    now: i64,
) -> Result<(), AppError> {
    require_admin(actor)?;
    check_code("member", code)?;
    let name = check_name(name)?;
    let done = sqlx::query(
        "INSERT INTO exchange_members (code, name, class, status, status_reason, created_at, status_changed_at) \
         VALUES ($1, $2, $3, 'pending', '', $4, $4) ON CONFLICT (code) DO NOTHING",
    )
    .bind(code)
    .bind(&name)
    .bind(class.code())
    .bind(now)
    .execute(stores.db.write())
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::new(ErrorCode::Conflict, format!("member {code} exists")));
    }
    admin_event(stores, actor, format!("exchange.member_registered {code}"), now);
    Ok(())
}

/// Approves, suspends or returns a member to pending; a suspended member is refused from its next
/// request on (the gateway reads the status on every call).
pub async fn set_member_status(
    stores: &Stores,
    actor: &Actor,
    code: &str,
    status: Status,
    reason: &str,
    now: i64,
) -> Result<(), AppError> {
    require_admin(actor)?;
    if status == Status::Suspended && reason.trim().is_empty() {
        return Err(AppError::invalid("reason: say why the member is suspended"));
    }
    let done = sqlx::query(
        "UPDATE exchange_members SET status = $1, status_reason = $2, status_changed_at = $3 WHERE code = $4",
    )
    .bind(status.code())
    .bind(reason.trim())
    .bind(now)
    .bind(code)
    .execute(stores.db.write())
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found(format!("member {code}")));
    }
    admin_event(stores, actor, format!("exchange.member_{} {code}", status.code()), now);
    Ok(())
}

/// Adds an approved subsystem to a member.
pub async fn add_subsystem(
    stores: &Stores,
    actor: &Actor,
    member: &str,
    code: &str,
    name: &str,
    now: i64,
) -> Result<(), AppError> {
    require_admin(actor)?;
    check_code("subsystem", code)?;
    let name = check_name(name)?;
    if member_status(&stores.db, member).await?.is_none() {
        return Err(AppError::not_found(format!("member {member}")));
    }
    let done = sqlx::query(
        "INSERT INTO exchange_subsystems (member_code, code, name, status, created_at) \
         VALUES ($1, $2, $3, 'approved', $4) ON CONFLICT (member_code, code) DO NOTHING",
    )
    .bind(member)
    .bind(code)
    .bind(&name)
    .bind(now)
    .execute(stores.db.write())
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::new(ErrorCode::Conflict, format!("subsystem {member}/{code} exists")));
    }
    admin_event(stores, actor, format!("exchange.subsystem_added {member}/{code}"), now);
    Ok(())
}

/// Suspends or re-approves one subsystem.
pub async fn set_subsystem_status(
    stores: &Stores,
    actor: &Actor,
    member: &str,
    code: &str,
    status: Status,
    now: i64,
) -> Result<(), AppError> {
    require_admin(actor)?;
    if status == Status::Pending {
        return Err(AppError::invalid("status: a subsystem is approved or suspended"));
    }
    let done = sqlx::query("UPDATE exchange_subsystems SET status = $1 WHERE member_code = $2 AND code = $3")
        .bind(status.code())
        .bind(member)
        .bind(code)
        .execute(stores.db.write())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found(format!("subsystem {member}/{code}")));
    }
    admin_event(stores, actor, format!("exchange.subsystem_{} {member}/{code}", status.code()), now);
    Ok(())
}

/// When a subsystem key verifies requests: from `from` until `to` (UTC milliseconds; none = until
/// retired).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub from: i64,
    pub to: Option<i64>,
}

/// Adds a public key (a JWK, without private parts) to a subsystem; returns its kid: the JWK's
/// own `kid`, else its RFC 7638 thumbprint. Requests name it in their JWS header.
pub async fn add_key(
    stores: &Stores,
    actor: &Actor,
    member: &str,
    subsystem: &str,
    jwk: &serde_json::Value,
    validity: Validity,
    now: i64,
) -> Result<String, AppError> {
    require_admin(actor)?;
    let serde_json::Value::Object(fields) = jwk else {
        return Err(AppError::invalid("jwk: a JSON object"));
    };
    if ["d", "p", "q", "dp", "dq", "qi", "k"].iter().any(|f| fields.contains_key(*f)) {
        return Err(AppError::invalid("jwk: a public key only; never send the private key"));
    }
    if validity.to.is_some_and(|to| to <= validity.from) {
        return Err(AppError::invalid("valid_to must be after valid_from"));
    }
    let parsed: jsonwebtoken::jwk::Jwk =
        serde_json::from_value(jwk.clone()).map_err(|e| AppError::invalid(format!("jwk: {e}")))?;
    let kid = match parsed.common.key_id.clone() {
        Some(k) if !k.is_empty() => k,
        _ => parsed
            .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
            .map_err(|e| AppError::invalid(format!("jwk: {e}")))?,
    };
    let mut stored = fields.clone();
    stored.insert("kid".into(), kid.clone().into());
    let stored = serde_json::Value::Object(stored);
    // A key the verifier cannot use is refused now rather than at the first request.
    keys::JwksVerifier::from_jwks(&serde_json::json!({ "keys": [stored.clone()] }))
        .ok()
        .filter(|v| v.kids().count() == 1)
        .ok_or_else(|| AppError::invalid("jwk: not a signing key of an accepted algorithm (ES256, EdDSA, RS256…)"))?;
    let sub: Option<db::Row> =
        sqlx::query("SELECT status FROM exchange_subsystems WHERE member_code = $1 AND code = $2")
            .bind(member)
            .bind(subsystem)
            .fetch_optional(stores.db.read())
            .await?;
    if sub.is_none() {
        return Err(AppError::not_found(format!("subsystem {member}/{subsystem}")));
    }
    let done = sqlx::query(
        "INSERT INTO exchange_keys (kid, member_code, subsystem_code, jwk, valid_from, valid_to, added_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (kid) DO NOTHING",
    )
    .bind(&kid)
    .bind(member)
    .bind(subsystem)
    .bind(stored.to_string())
    .bind(validity.from)
    .bind(validity.to)
    .bind(now)
    .execute(stores.db.write())
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::new(ErrorCode::Conflict, format!("key {kid} is registered already")));
    }
    admin_event(stores, actor, format!("exchange.key_added {member}/{subsystem} {kid}"), now);
    Ok(kid)
}

/// Ends a key's validity at `valid_to` (the end of the overlap of a rotation, or now to cut off a
/// compromised key).
pub async fn retire_key(stores: &Stores, actor: &Actor, kid: &str, valid_to: i64, now: i64) -> Result<(), AppError> {
    require_admin(actor)?;
    let done = sqlx::query("UPDATE exchange_keys SET valid_to = $1 WHERE kid = $2")
        .bind(valid_to)
        .bind(kid)
        .execute(stores.db.write())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found(format!("key {kid}")));
    }
    admin_event(stores, actor, format!("exchange.key_retired {kid}"), now);
    Ok(())
}

/// A member's status, if it exists.
pub(crate) async fn member_status(db: &Db, code: &str) -> Result<Option<(Status, String)>, AppError> {
    let row = sqlx::query("SELECT status, name FROM exchange_members WHERE code = $1")
        .bind(code)
        .fetch_optional(db.read())
        .await?;
    row.map(status_row).transpose()
}

fn status_row(r: db::Row) -> Result<(Status, String), AppError> {
    Ok((Status::parse(&r.try_get::<String, _>(0)?)?, r.try_get(1)?))
}

/// A subsystem's status and name, if it exists.
pub(crate) async fn subsystem_status(db: &Db, member: &str, code: &str) -> Result<Option<(Status, String)>, AppError> {
    let row = sqlx::query("SELECT status, name FROM exchange_subsystems WHERE member_code = $1 AND code = $2")
        .bind(member)
        .bind(code)
        .fetch_optional(db.read())
        .await?;
    row.map(status_row).transpose()
}

/// A registered key by kid: its owner, JWK and validity.
pub(crate) struct KeyRecord {
    pub member: String,
    pub subsystem: String,
    pub jwk: serde_json::Value,
    pub valid_from: i64,
    pub valid_to: Option<i64>,
}

pub(crate) async fn key(db: &Db, kid: &str) -> Result<Option<KeyRecord>, AppError> {
    let row =
        sqlx::query("SELECT member_code, subsystem_code, jwk, valid_from, valid_to FROM exchange_keys WHERE kid = $1")
            .bind(kid)
            .fetch_optional(db.read())
            .await?;
    row.map(|r| -> Result<KeyRecord, AppError> {
        let jwk: String = r.try_get(2)?;
        Ok(KeyRecord {
            member: r.try_get(0)?,
            subsystem: r.try_get(1)?,
            jwk: serde_json::from_str(&jwk).map_err(|e| AppError::internal_from("stored JWK", e))?,
            valid_from: r.try_get(3)?,
            valid_to: r.try_get(4)?,
        })
    })
    .transpose()
}

/// Every member with its subsystems and keys, by code.
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<Member>, AppError> {
    require_admin(actor)?;
    let mut members: Vec<Member> =
        sqlx::query("SELECT code, name, class, status, status_reason, created_at FROM exchange_members ORDER BY code")
            .fetch_all(db.read())
            .await?
            .into_iter()
            .map(|r| -> Result<Member, AppError> {
                Ok(Member {
                    code: r.try_get(0)?,
                    name: r.try_get(1)?,
                    class: MemberClass::parse(&r.try_get::<String, _>(2)?)?,
                    status: Status::parse(&r.try_get::<String, _>(3)?)?,
                    status_reason: r.try_get(4)?,
                    created_at: r.try_get(5)?,
                    subsystems: Vec::new(),
                })
            })
            .collect::<Result<_, AppError>>()?;
    let subs =
        sqlx::query("SELECT member_code, code, name, status FROM exchange_subsystems ORDER BY member_code, code")
            .fetch_all(db.read())
            .await?;
    let keys = sqlx::query(
        "SELECT member_code, subsystem_code, kid, jwk, valid_from, valid_to FROM exchange_keys ORDER BY valid_from",
    )
    .fetch_all(db.read())
    .await?;
    for r in subs {
        let member: String = r.try_get(0)?;
        let code: String = r.try_get(1)?;
        let mut sub = Subsystem {
            code: code.clone(),
            name: r.try_get(2)?,
            status: Status::parse(&r.try_get::<String, _>(3)?)?,
            keys: Vec::new(),
        };
        for k in &keys {
            if k.try_get::<String, _>(0)? == member && k.try_get::<String, _>(1)? == code {
                let jwk: String = k.try_get(3)?;
                sub.keys.push(SubsystemKey {
                    kid: k.try_get(2)?,
                    jwk: serde_json::from_str(&jwk).map_err(|e| AppError::internal_from("stored JWK", e))?,
                    valid_from: k.try_get(4)?,
                    valid_to: k.try_get(5)?,
                });
            }
        }
        if let Some(m) = members.iter_mut().find(|m| m.code == member) {
            m.subsystems.push(sub);
        }
    }
    Ok(members)
}
