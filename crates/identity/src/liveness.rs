//! A death recorded in the population registry closes the citizen's account: checked at sign-in
//! and on every authenticated request. The registry answer is cached for a few seconds per
//! person, like bearer tokens, because a signed-in citizen sends many requests.

use std::collections::HashMap;
use std::sync::{OnceLock, PoisonError, RwLock};
use std::time::Instant;

use db::Db;
use kernel::{AppError, PersonalId};

use crate::accounts::{Account, AccountStatus};

/// How long a "still living" answer from the registry is trusted.
pub const LIVENESS_CACHE_TTL: std::time::Duration = crate::tokens::TOKEN_CACHE_TTL;

/// The cached answers; a panic while the lock was held leaves a map that is still valid, so a
/// poisoned lock is used as it is.
fn cache() -> &'static RwLock<HashMap<String, Instant>> {
    static CACHE: OnceLock<RwLock<HashMap<String, Instant>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// True when the account may act: non-citizen accounts always, citizen accounts while the
/// registry does not record the holder as deceased. A recorded death marks the account
/// `deceased` for good (at `now`, UTC milliseconds).
pub async fn check(db: &Db, account: &Account, now: i64) -> Result<bool, AppError> {
    let Some(person_id) = account.person_id.as_deref() else { return Ok(true) };
    if let Some(at) = cache().read().unwrap_or_else(PoisonError::into_inner).get(person_id) {
        if at.elapsed() < LIVENESS_CACHE_TTL {
            return Ok(true);
        }
    }
    let id = PersonalId::parse(person_id)?;
    let deceased =
        registry::queries::persons::get_self(db, &id).await?.map(|p| p.status == "deceased").unwrap_or(false);
    if deceased {
        crate::accounts::set_status(
            db,
            &account.id,
            &[AccountStatus::Active, AccountStatus::Locked, AccountStatus::Suspended],
            AccountStatus::Deceased,
            now,
        )
        .await?;
        crate::sessions::revoke_other_sessions(db, &account.id, None, now).await?;
        cache().write().unwrap_or_else(PoisonError::into_inner).remove(person_id);
        tracing::info!(account = %account.id, "account closed: death recorded in the registry");
        return Ok(false);
    }
    let mut c = cache().write().unwrap_or_else(PoisonError::into_inner);
    if c.len() > 100_000 {
        c.clear();
    }
    c.insert(person_id.to_string(), Instant::now());
    Ok(true)
}

/// Forgets a cached answer, so the next request asks the registry again. Called when this process
/// learns of a death; other processes notice within [`LIVENESS_CACHE_TTL`].
pub fn forget(person_id: &str) {
    cache().write().unwrap_or_else(PoisonError::into_inner).remove(person_id);
}
