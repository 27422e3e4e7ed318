//! Access tokens presented at userinfo, read together with their holders' accounts. Under load
//! many calls each look up one token at the same moment: a [`Coalescer`] gathers the tokens asked
//! for while earlier reads run and reads them with one `IN (…)` query, and their accounts with a
//! second, so a busy provider pays two statements for many calls instead of two per call. Nothing
//! is cached: every call reads the token and account as stored when it arrived, so a revocation,
//! rotation or suspension takes effect at once.

use std::collections::HashMap;

use db::coalesce::Coalescer;
use db::held::Held;
use db::sqlx::AnyConnection;
use db::Db;
use identity::Account;
use kernel::AppError;

use crate::error::OAuthError;
use crate::grant_batch::holders;
use crate::grants::{self, TokenRow};

/// Tokens read by one query at most.
const MAX_BATCH: usize = 128;

/// A live access token and its holder's account (`None` for client-credentials tokens, or when
/// the account is gone).
#[derive(Clone)]
pub struct Bearer {
    pub token: TokenRow,
    pub account: Option<Account>,
}

/// Looks up live access tokens by value. Cheap to clone.
#[derive(Clone)]
pub struct AccessLookup(Coalescer<String, Bearer>);

impl AccessLookup {
    /// Starts two reading tasks, each with a read connection of its own; `clock` tells each read
    /// which tokens have expired.
    pub fn start(db: &Db, clock: kernel::clock::Clock) -> AccessLookup {
        let held = (0..2).map(|_| Held::new(db, db.read())).collect();
        AccessLookup(Coalescer::start(MAX_BATCH, held, move |held: &mut Held, hashes: Vec<String>| {
            Box::pin(async move {
                let found = match held.conn().await {
                    Ok(conn) => read(conn, &hashes, clock()).await,
                    Err(e) => Err(OAuthError::server_error(e)),
                };
                held.done(found.is_ok());
                found.map_err(|e| AppError::internal(e.description))
            })
        }))
    }

    /// The live access token of this value, with its holder.
    pub async fn get(&self, token: &str) -> Result<Option<Bearer>, OAuthError> {
        Ok(self.0.get(identity::secrets::hash_secret(token)).await?)
    }
}

async fn read(conn: &mut AnyConnection, hashes: &[String], now: i64) -> Result<HashMap<String, Bearer>, OAuthError> {
    let tokens = grants::live_access_tokens(conn, hashes, now).await?;
    let accounts = holders(conn, tokens.values().filter_map(|t| t.account_id.as_deref())).await?;
    Ok(tokens
        .into_iter()
        .map(|(hash, token)| {
            let account = token.account_id.as_ref().and_then(|id| accounts.get(id).cloned());
            (hash, Bearer { token, account })
        })
        .collect())
}
