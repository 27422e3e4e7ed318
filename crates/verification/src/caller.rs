//! Who is verifying: an organization staff account, its organization and the purposes that
//! organization may verify for.

use std::collections::HashMap;
use std::sync::Mutex;

use db::sqlx::{self, Row};
use db::Db;
use kernel::AppError;
use kernel::{Actor, Jurisdiction, Role};

use crate::purpose::VerifyPurpose;

/// A verified caller acting for an organization.
#[derive(Debug, Clone)]
pub struct Caller {
    pub org_id: String,
    pub org_name: String,
    pub account_id: String,
    pub staff_label: String,
    purposes: Vec<String>,
}

impl Caller {
    /// Requires the purpose to be on the organization's list.
    pub fn purpose(&self, code: &str) -> Result<&'static VerifyPurpose, AppError> {
        let p = VerifyPurpose::find(code).ok_or_else(|| {
            AppError::invalid(format!("unknown purpose {code:?}; see GET /api/v1/verifications/purposes"))
        })?;
        if !self.purposes.iter().any(|c| c == code) {
            return Err(AppError::forbidden(format!("your organization may not verify for purpose {code:?}")));
        }
        Ok(p)
    }

    /// The purposes this organization may use, in the platform's order.
    pub fn allowed(&self) -> Vec<&'static VerifyPurpose> {
        crate::purpose::PURPOSES.iter().filter(|p| self.purposes.iter().any(|c| c == p.code)).collect()
    }
}

/// An organization's name and allowed purposes; `None` when it is missing or suspended.
type OrgEntry = Option<(String, Vec<String>)>;

/// Organization names and purpose lists, cached for a few seconds: every verification needs them
/// and they change rarely.
#[derive(Default)]
pub struct Callers {
    cache: Mutex<HashMap<String, (i64, OrgEntry)>>,
}

const CACHE_MS: i64 = 10_000;

impl Callers {
    /// Drops the cached entry of an organization whose purposes changed, so the change applies to
    /// the next verification.
    pub fn forget(&self, org_id: &str) {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).remove(org_id);
    }

    /// Resolves the caller: role `org_staff` with an own-organization jurisdiction, organization
    /// active, and for an organization system's access token the `verify` scope. `now` (UTC
    /// milliseconds) decides whether the cached organization is still fresh.
    pub async fn resolve(&self, db: &Db, user: &Actor, now: i64) -> Result<Caller, AppError> {
        user.require(&[Role::OrgStaff])?;
        user.require_scope("verify")?;
        let Jurisdiction::Own(org_id) = &user.jurisdiction else {
            return Err(AppError::forbidden("organization staff account without an organization"));
        };
        let cached = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(org_id).cloned();
        let entry = match cached {
            Some((at, entry)) if now - at < CACHE_MS => entry,
            _ => {
                let entry = load(db, org_id).await?;
                self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(org_id.clone(), (now, entry.clone()));
                entry
            }
        };
        let (org_name, purposes) = entry.ok_or_else(|| AppError::forbidden("organization missing or suspended"))?;
        Ok(Caller {
            org_id: org_id.clone(),
            org_name,
            account_id: user.account_id.clone(),
            staff_label: user.display_name.clone(),
            purposes,
        })
    }
}

async fn load(db: &Db, org_id: &str) -> Result<OrgEntry, AppError> {
    let Some(org) = identity::organizations::get_organization(db, org_id).await? else { return Ok(None) };
    if org.status != "active" {
        return Ok(None);
    }
    Ok(Some((org.name, allowed_purposes(db, org_id).await?)))
}

/// The purposes an organization may verify for.
pub async fn allowed_purposes(db: &Db, org_id: &str) -> Result<Vec<String>, AppError> {
    let rows = sqlx::query("SELECT purpose FROM verifier_purposes WHERE org_id = $1 ORDER BY purpose")
        .bind(org_id)
        .fetch_all(db.read())
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Grants purposes to an organization (administrators, the demo). Unknown codes are rejected.
pub async fn grant_purposes(db: &Db, org_id: &str, purposes: &[&str]) -> Result<(), AppError> {
    if let Some(bad) = purposes.iter().find(|p| VerifyPurpose::find(p).is_none()) {
        return Err(AppError::invalid(format!("unknown purpose {bad:?}")));
    }
    let mut tx = db.begin().await?;
    for p in purposes {
        sqlx::query("INSERT INTO verifier_purposes (org_id, purpose) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(org_id)
            .bind(*p)
            .execute(&mut *tx)
            .await?;
    }
    Ok(tx.commit().await?)
}

/// Sets an organization's purposes to exactly `purposes` (administrators, on the organization
/// page): the missing ones are granted, the others revoked, in one transaction. Returns the
/// purposes granted and revoked.
pub async fn set_purposes(db: &Db, org_id: &str, purposes: &[&str]) -> Result<(Vec<String>, Vec<String>), AppError> {
    if let Some(bad) = purposes.iter().find(|p| VerifyPurpose::find(p).is_none()) {
        return Err(AppError::invalid(format!("unknown purpose {bad:?}")));
    }
    let before = allowed_purposes(db, org_id).await?;
    let granted: Vec<String> =
        purposes.iter().filter(|p| !before.iter().any(|b| b == *p)).map(|p| p.to_string()).collect();
    let revoked: Vec<String> = before.iter().filter(|b| !purposes.contains(&b.as_str())).cloned().collect();
    let mut tx = db.begin().await?;
    for p in &revoked {
        sqlx::query("DELETE FROM verifier_purposes WHERE org_id = $1 AND purpose = $2")
            .bind(org_id)
            .bind(p)
            .execute(&mut *tx)
            .await?;
    }
    for p in &granted {
        sqlx::query("INSERT INTO verifier_purposes (org_id, purpose) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(org_id)
            .bind(p)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok((granted, revoked))
}

/// Adds a person to one of an organization's lists (an exam's registrations, a trip's tickets).
pub async fn add_to_list(
    db: &Db,
    org_id: &str,
    kind: &str,
    list_code: &str,
    personal_id: &str,
    label: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO verifier_lists (org_id, kind, list_code, personal_id, label) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT DO NOTHING",
    )
    .bind(org_id)
    .bind(kind)
    .bind(list_code)
    .bind(personal_id)
    .bind(label)
    .execute(db.write())
    .await?;
    Ok(())
}

/// The label of the person's entry on a list (seat, ticket number), if they are on it.
pub async fn list_entry(
    db: &Db,
    org_id: &str,
    kind: &str,
    list_code: &str,
    personal_id: &str,
) -> Result<Option<String>, AppError> {
    let row = sqlx::query(
        "SELECT label FROM verifier_lists WHERE org_id = $1 AND kind = $2 AND list_code = $3 AND personal_id = $4",
    )
    .bind(org_id)
    .bind(kind)
    .bind(list_code)
    .bind(personal_id)
    .fetch_optional(db.read())
    .await?;
    Ok(row.map(|r| r.get(0)))
}
