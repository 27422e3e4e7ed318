//! The database-backed [`web::Authenticator`].
//!
//! Bearer tokens are looked up once and then cached for a few seconds, because API clients send
//! thousands of requests per second; revoking a token through this process clears the cache at
//! once, and other processes see it within [`crate::tokens::TOKEN_CACHE_TTL`]. Sessions are not cached, but the
//! registry check that a citizen is still alive is (see [`crate::liveness`]).

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use db::Db;
use futures::future::BoxFuture;
use futures::FutureExt;
use web::auth::Credential;
use web::{Authenticator, CurrentUser};

use crate::secrets::hash_secret;
use crate::tokens::TOKEN_CACHE_TTL;

/// Resolves sessions and tokens against the database.
#[derive(Clone)]
pub struct DbAuthenticator {
    db: Db,
    cache: Arc<RwLock<HashMap<String, (CurrentUser, Instant)>>>,
}

impl DbAuthenticator {
    pub fn new(db: Db) -> Self {
        Self { db, cache: Arc::new(RwLock::new(HashMap::new())) }
    }

    /// Revokes a token and forgets any cached resolution of it.
    pub async fn revoke_token(&self, token_id: &str) -> Result<bool, kernel::AppError> {
        let revoked = crate::tokens::revoke_token(&self.db, token_id, kernel::clock::now_ms()).await?;
        // A panic while the lock was held leaves a cache that is still a valid map.
        self.cache.write().unwrap_or_else(PoisonError::into_inner).clear();
        Ok(revoked)
    }

    async fn bearer(&self, token: &str) -> Option<CurrentUser> {
        let key = hash_secret(token);
        if let Some((user, at)) = self.cache.read().unwrap_or_else(PoisonError::into_inner).get(&key) {
            if at.elapsed() < TOKEN_CACHE_TTL {
                return Some(user.clone());
            }
        }
        let account = crate::tokens::lookup_token(&self.db, token).await.ok().flatten()?;
        if !crate::liveness::check(&self.db, &account, kernel::clock::now_ms()).await.ok()? {
            return None;
        }
        let user = CurrentUser { actor: account.to_actor(Vec::new()), csrf: None };
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(key, (user.clone(), Instant::now()));
        Some(user)
    }
}

impl Authenticator for DbAuthenticator {
    fn authenticate<'a>(&'a self, credential: Credential<'a>) -> BoxFuture<'a, Option<CurrentUser>> {
        async move {
            match credential {
                Credential::Bearer(t) => self.bearer(t).await,
                Credential::Session(s) => crate::sessions::session_info(&self.db, s, kernel::clock::now_ms())
                    .await
                    .ok()
                    .flatten()
                    .map(|i| CurrentUser { actor: i.account.to_actor(i.amr), csrf: Some(i.csrf) }),
            }
        }
        .boxed()
    }
}
