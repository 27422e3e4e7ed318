//! Redeeming authorization codes in batches. Exchanges arriving together are handed to one task,
//! which redeems them with a fixed number of statements however many there are: one `UPDATE …
//! RETURNING` per client claims the codes, one read loads their accounts, one multi-row insert
//! stores every new token, then one commit. Each caller gets its tokens only after that commit.
//!
//! A code the batch cannot claim (unknown, expired, already used, another client's) is refused
//! through [`grants::redeem_code`] afterwards, which tells the caller which of these it was and
//! revokes the tokens of a code presented twice, exactly as a single redemption would.

use std::collections::HashMap;

use db::Db;
use identity::{Account, AccountStatus};

use crate::clients::Client;
use crate::error::OAuthError;
use crate::grant_batch::{distinct, holders, Claimed, GrantBatch, Outcome};
use crate::grants::{self, CodeGrant, Issued, TokenSpec};
use crate::provider::Provider;
use crate::token_endpoint::required;
use crate::{pkce, scopes};

/// One exchange as the client sent it, with the code already hashed.
#[derive(Debug)]
pub struct Redemption {
    code: String,
    code_hash: String,
    client_id: String,
    redirect_uri: String,
    verifier: Option<String>,
    /// The client is registered for the `refresh_token` grant; the code's scope decides the rest.
    client_may_refresh: bool,
}

impl Redemption {
    /// The redemption a token request asks for; `code` and `redirect_uri` are required.
    pub fn from_form(client: &Client, form: &HashMap<String, String>) -> Result<Redemption, OAuthError> {
        let code = required(form, "code")?;
        Ok(Redemption {
            code_hash: identity::secrets::hash_secret(code),
            code: code.to_owned(),
            client_id: client.id.clone(),
            redirect_uri: required(form, "redirect_uri")?.to_owned(),
            verifier: form.get("code_verifier").cloned(),
            client_may_refresh: client.allows_grant("refresh_token"),
        })
    }

    /// A refresh token comes with the code's tokens only when the granted scope has
    /// `offline_access` (OpenID Connect Core 1.0 §11).
    fn with_refresh(&self, g: &CodeGrant) -> bool {
        scopes::refresh_allowed(self.client_may_refresh, &g.scope)
    }

    fn spec<'a>(&'a self, g: &'a CodeGrant) -> TokenSpec<'a> {
        TokenSpec {
            client_id: &self.client_id,
            account_id: Some(&g.account_id),
            scope: &g.scope,
            acr: Some(&g.acr),
            auth_time: Some(g.auth_time),
            grant_id: &self.code_hash,
            with_refresh: self.with_refresh(g),
        }
    }
}

/// What a redeemed code produced.
pub struct Exchanged {
    pub grant: CodeGrant,
    pub account: Account,
    pub issued: Issued,
}

/// The batching task of code redemptions.
pub type Redeemer = GrantBatch<Redemption, Exchanged>;

/// Starts the batching task on the current runtime; `clock` gives each batch its time.
pub fn start(db: Db, clock: kernel::clock::Clock) -> Redeemer {
    GrantBatch::start(db, "code redemption", |db, batch, now| Box::pin(redeem_batch(db, batch, now)), clock)
}

/// Redeems a code for its tokens. `now` (UTC milliseconds) is the time of the request, used when
/// the code is refused one by one.
pub async fn exchange(p: &Provider, r: Redemption, now: i64) -> Result<Exchanged, OAuthError> {
    match p.codes.submit(r).await? {
        Outcome::Done(result) => result.map(|e| *e),
        Outcome::Unclaimed(r) => refuse(p, r, now).await,
    }
}

/// The single-redemption path for a code the batch did not claim. It finds the code unusable in
/// practice and says why (revoking a reused code's tokens); should the code have become
/// claimable in between, it is redeemed here like in a batch.
async fn refuse(p: &Provider, r: Redemption, now: i64) -> Result<Exchanged, OAuthError> {
    p.in_batch(move |conn| {
        Box::pin(async move {
            let (_, grant) = grants::redeem_code(conn, &r.code, &r.client_id, now).await?;
            let holder =
                identity::accounts_by_ids(conn, &[&grant.account_id]).await.map_err(OAuthError::server_error)?;
            let account = settle(&r, &grant, holder.first())?;
            let issued = grants::issue_tokens(conn, &r.spec(&grant), now).await?;
            Ok(Exchanged { grant, account, issued })
        })
    })
    .await
}

/// The checks a claimed code must pass before tokens are issued: the same redirect URI, PKCE, and
/// an account that may still sign in. A code failing them stays spent. No token was issued from
/// a code claimed just now, so there is nothing to revoke.
fn settle(r: &Redemption, g: &CodeGrant, holder: Option<&Account>) -> Result<Account, OAuthError> {
    if g.redirect_uri != r.redirect_uri {
        return Err(OAuthError::invalid_grant("redirect_uri differs from the authorization request"));
    }
    match (&g.code_challenge, &r.verifier) {
        (Some(challenge), Some(verifier)) if pkce::verify(verifier, challenge) => {}
        (Some(_), Some(_)) => return Err(OAuthError::invalid_grant("PKCE verification failed")),
        (Some(_), None) => return Err(OAuthError::invalid_grant("code_verifier is missing")),
        (None, Some(_)) => return Err(OAuthError::invalid_grant("code_verifier sent but no code_challenge was")),
        (None, None) => {}
    }
    holder
        .filter(|a| a.id == g.account_id && a.status == AccountStatus::Active)
        .cloned()
        .ok_or_else(|| OAuthError::invalid_grant("the account can no longer sign in"))
}

/// One transaction over a batch; the outcomes are in the batch's order.
async fn redeem_batch(db: &Db, batch: &[Redemption], now: i64) -> Result<Vec<Claimed<Exchanged>>, OAuthError> {
    let mut tx = db.begin().await.map_err(OAuthError::server_error)?;
    let mut claimed = HashMap::with_capacity(batch.len());
    for client in distinct(batch, |r| &r.client_id) {
        let hashes: Vec<&str> = batch.iter().filter(|r| r.client_id == client).map(|r| r.code_hash.as_str()).collect();
        claimed.extend(grants::claim_codes(&mut tx, client, &hashes, now).await?);
    }
    let accounts = holders(&mut tx, claimed.values().map(|g| g.account_id.as_str())).await?;
    // A code sent twice in one batch is claimed once: the first request takes it, the second is
    // refused afterwards as a reuse.
    let outcomes: Vec<Claimed<Exchanged>> = batch
        .iter()
        .map(|r| {
            let grant = claimed.remove(&r.code_hash)?;
            let refresh = r.with_refresh(&grant);
            Some(
                settle(r, &grant, accounts.get(&grant.account_id))
                    .map(|account| Box::new(Exchanged { issued: grants::mint(refresh), grant, account })),
            )
        })
        .collect();
    let specs: Vec<(TokenSpec, &Issued)> = batch
        .iter()
        .zip(&outcomes)
        .filter_map(|(r, o)| match o {
            Some(Ok(e)) => Some((r.spec(&e.grant), &e.issued)),
            _ => None,
        })
        .collect();
    let pairs: Vec<(&TokenSpec, &Issued)> = specs.iter().map(|(s, i)| (s, *i)).collect();
    grants::store_tokens(&mut tx, &pairs, now).await?;
    tx.commit().await.map_err(OAuthError::server_error)?;
    Ok(outcomes)
}
