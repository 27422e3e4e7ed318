//! Rotating refresh tokens in batches, shaped like [`crate::code_exchange`]: the rotations waiting
//! at one moment are settled with one `UPDATE … RETURNING` per client that spends their tokens,
//! one read of their accounts, one multi-row insert of every new pair, then one commit.
//!
//! A token the batch cannot spend (unknown, expired, revoked, already rotated, another client's)
//! is refused through [`grants::spend_refresh`] afterwards, which says why and, for a token
//! presented again after its rotation, revokes its whole grant: one of the two presenters is an
//! attacker.

use std::collections::HashMap;

use db::sqlx::AnyConnection;
use db::Db;
use identity::{Account, AccountStatus};

use crate::clients::Client;
use crate::error::OAuthError;
use crate::grant_batch::{distinct, holders, Claimed, GrantBatch, Outcome};
use crate::grants::{self, Issued, TokenRow, TokenSpec};
use crate::provider::Provider;
use crate::scopes;
use crate::token_endpoint::required;

/// One refresh request as the client sent it, with the token already hashed.
#[derive(Debug)]
pub struct Rotation {
    token: String,
    token_hash: String,
    client_id: String,
    /// The narrower scope asked for, if any.
    scope: Option<String>,
}

impl Rotation {
    /// The rotation a token request asks for; `refresh_token` is required.
    pub fn from_form(client: &Client, form: &HashMap<String, String>) -> Result<Rotation, OAuthError> {
        let token = required(form, "refresh_token")?;
        Ok(Rotation {
            token_hash: identity::secrets::hash_secret(token),
            token: token.to_owned(),
            client_id: client.id.clone(),
            scope: form.get("scope").cloned(),
        })
    }
}

/// The new pair of a rotation, and its scope.
pub struct Rotated {
    pub issued: Issued,
    pub scope: String,
}

/// The batching task of refresh rotations.
pub type Rotator = GrantBatch<Rotation, Rotated>;

/// Starts the batching task on the current runtime; `clock` gives each batch its time.
pub fn start(db: Db, clock: kernel::clock::Clock) -> Rotator {
    GrantBatch::start(db, "refresh rotation", |db, batch, now| Box::pin(rotate_batch(db, batch, now)), clock)
}

/// Spends a refresh token for a new pair. `now` (UTC milliseconds) is the time of the request,
/// used when the token is refused one by one.
pub async fn rotate(p: &Provider, r: Rotation, now: i64) -> Result<Rotated, OAuthError> {
    match p.refreshes.submit(r).await? {
        Outcome::Done(result) => result.map(|r| *r),
        Outcome::Unclaimed(r) => refuse(p, r, now).await,
    }
}

/// What a spent token earns.
enum Verdict {
    /// A new pair with this scope.
    Issue(String),
    /// Refused for the request alone: the token goes back unspent.
    Unclaim(OAuthError),
    /// Refused for the grant: its tokens are revoked.
    Revoke(OAuthError),
}

/// The checks a spent token must pass: a grant with `offline_access` (a refresh token issued
/// before that rule, for a grant without it, is not honoured: its grant is revoked), a scope no
/// wider than the grant's, and an account that may still sign in (when it may not, the grant's
/// tokens are revoked).
fn judge(r: &Rotation, old: &TokenRow, holder: Option<&Account>) -> Verdict {
    if !scopes::refresh_allowed(true, &old.scope) {
        return Verdict::Revoke(OAuthError::invalid_grant(
            "the grant does not include offline_access; sign the user in again",
        ));
    }
    let scope = match narrowed(r.scope.as_deref(), &old.scope) {
        Ok(s) => s,
        Err(e) => return Verdict::Unclaim(e),
    };
    let active = holder.is_some_and(|a| Some(&a.id) == old.account_id.as_ref() && a.status == AccountStatus::Active);
    if !active {
        return Verdict::Revoke(OAuthError::invalid_grant("the account can no longer sign in"));
    }
    Verdict::Issue(scope)
}

/// A narrower scope may be asked for on refresh, never a wider one.
fn narrowed(requested: Option<&str>, granted: &str) -> Result<String, OAuthError> {
    match requested {
        None => Ok(granted.to_string()),
        Some(r) => {
            let want = scopes::split(r);
            if !scopes::covers(granted, &want) {
                return Err(OAuthError::invalid_scope("requested scope exceeds the original grant"));
            }
            Ok(want.join(" "))
        }
    }
}

/// The new pair of a rotation: a refresh token again only while the scope keeps `offline_access`
/// (a client that narrows it away gets an access token alone).
fn spec<'a>(old: &'a TokenRow, scope: &'a str) -> TokenSpec<'a> {
    TokenSpec {
        client_id: &old.client_id,
        account_id: old.account_id.as_deref(),
        scope,
        acr: old.acr.as_deref(),
        auth_time: old.auth_time,
        grant_id: &old.grant_id,
        with_refresh: scopes::refresh_allowed(true, scope),
    }
}

/// One transaction over a batch; the outcomes are in the batch's order.
async fn rotate_batch(db: &Db, batch: &[Rotation], now: i64) -> Result<Vec<Claimed<Rotated>>, OAuthError> {
    let mut tx = db.begin().await.map_err(OAuthError::server_error)?;
    let mut spent = HashMap::with_capacity(batch.len());
    for client in distinct(batch, |r| &r.client_id) {
        let hashes: Vec<&str> = batch.iter().filter(|r| r.client_id == client).map(|r| r.token_hash.as_str()).collect();
        spent.extend(grants::claim_refresh(&mut tx, client, &hashes, now).await?);
    }
    let accounts = holders(&mut tx, spent.values().filter_map(|t| t.account_id.as_deref())).await?;
    // A token sent twice in one batch is spent once: the first request takes it, the second is
    // refused afterwards as a reuse, which revokes the pair issued here.
    let mut olds = Vec::with_capacity(batch.len());
    let (mut unclaim, mut revoke) = (Vec::new(), Vec::new());
    let outcomes: Vec<Claimed<Rotated>> = batch
        .iter()
        .map(|r| {
            let old = spent.remove(&r.token_hash)?;
            let holder = old.account_id.as_ref().and_then(|id| accounts.get(id));
            Some(match judge(r, &old, holder) {
                Verdict::Issue(scope) => {
                    olds.push(old);
                    Ok(Box::new(Rotated { issued: grants::mint(scopes::refresh_allowed(true, &scope)), scope }))
                }
                Verdict::Unclaim(e) => {
                    unclaim.push(r.token_hash.as_str());
                    Err(e)
                }
                Verdict::Revoke(e) => {
                    revoke.push(old.grant_id);
                    Err(e)
                }
            })
        })
        .collect();
    grants::unclaim_refresh(&mut tx, &unclaim).await?;
    let revoke: Vec<&str> = revoke.iter().map(String::as_str).collect();
    grants::revoke_grants(&mut tx, &revoke, now).await?;
    let rotated = outcomes.iter().filter_map(|o| o.as_ref()?.as_ref().ok());
    let specs: Vec<(TokenSpec, &Issued)> =
        olds.iter().zip(rotated).map(|(old, r)| (spec(old, &r.scope), &r.issued)).collect();
    let pairs: Vec<(&TokenSpec, &Issued)> = specs.iter().map(|(s, i)| (s, *i)).collect();
    grants::store_tokens(&mut tx, &pairs, now).await?;
    tx.commit().await.map_err(OAuthError::server_error)?;
    Ok(outcomes)
}

/// The single-rotation path for a token the batch did not spend. It finds the token unusable in
/// practice and says why (revoking a reused token's grant); should the token have become
/// spendable in between (given back by a batch), it is rotated here like in a batch.
async fn refuse(p: &Provider, r: Rotation, now: i64) -> Result<Rotated, OAuthError> {
    p.in_batch(move |conn| Box::pin(async move { rotate_one(conn, &r, now).await })).await
}

async fn rotate_one(conn: &mut AnyConnection, r: &Rotation, now: i64) -> Result<Rotated, OAuthError> {
    let old = grants::spend_refresh(conn, &r.token, &r.client_id, now).await?;
    let accounts = holders(conn, old.account_id.as_deref()).await?;
    let holder = old.account_id.as_ref().and_then(|id| accounts.get(id));
    match judge(r, &old, holder) {
        Verdict::Issue(scope) => {
            let issued = grants::issue_tokens(conn, &spec(&old, &scope), now).await?;
            Ok(Rotated { issued, scope })
        }
        Verdict::Unclaim(e) => {
            grants::unclaim_refresh(conn, &[&r.token_hash]).await?;
            Err(e)
        }
        Verdict::Revoke(e) => {
            grants::revoke_grants(conn, &[&old.grant_id], now).await?;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(scope: &str) -> TokenRow {
        TokenRow {
            kind: "refresh".into(),
            client_id: "dcl_1".into(),
            account_id: Some("a1".into()),
            scope: scope.into(),
            acr: None,
            auth_time: None,
            grant_id: "g1".into(),
            created_at: 0,
            expires_at: 1,
        }
    }

    fn rotation(scope: Option<&str>) -> Rotation {
        Rotation {
            token: "drt_x".into(),
            token_hash: "h".into(),
            client_id: "dcl_1".into(),
            scope: scope.map(Into::into),
        }
    }

    #[test]
    fn only_offline_grants_rotate_and_keep_a_refresh_token() {
        let holder = Account {
            id: "a1".into(),
            login: "c".into(),
            display_name: "C".into(),
            role: kernel::Role::Citizen,
            jurisdiction: kernel::Jurisdiction::Own("p".into()),
            status: AccountStatus::Active,
            level: 1,
            level_raised_at: None,
            person_id: None,
            organization_id: None,
            org_role: None,
            phone: None,
            guardian_account_id: None,
            totp_enabled: false,
        };
        match judge(&rotation(None), &row("openid profile"), Some(&holder)) {
            Verdict::Revoke(e) => assert!(e.description.contains("offline_access"), "{e:?}"),
            _ => panic!("a grant without offline_access must not rotate"),
        }
        match judge(&rotation(Some("openid")), &row("openid offline_access"), Some(&holder)) {
            Verdict::Issue(scope) => {
                assert_eq!(scope, "openid");
                assert!(!spec(&row("openid offline_access"), &scope).with_refresh, "narrowed away: no refresh token");
            }
            _ => panic!("a narrower scope rotates"),
        }
        assert!(spec(&row("openid offline_access"), "openid offline_access").with_refresh);
    }

    #[test]
    fn refresh_scope_may_only_narrow() {
        assert_eq!(narrowed(Some("openid"), "openid profile").unwrap(), "openid");
        assert_eq!(narrowed(None, "openid profile").unwrap(), "openid profile");
        assert_eq!(narrowed(Some("openid phone"), "openid profile").unwrap_err().error, "invalid_scope");
    }
}
