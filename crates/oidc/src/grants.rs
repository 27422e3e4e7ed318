//! Authorization codes, access tokens and refresh tokens as stored rows. Only hashes are stored.
//!
//! Every token belongs to a *grant* (the code it came from, or a client-credentials issuance).
//! Presenting a used code again, or a refresh token that was already rotated, revokes the whole
//! grant: one of the two presenters is an attacker and we cannot tell which.

use std::collections::HashMap;

use db::sqlx::{self, AnyConnection, Row};
use db::Db;
use identity::secrets::{hash_secret, random_secret};

use crate::error::OAuthError;

/// Lifetime of an authorization code.
pub const CODE_TTL_MS: i64 = 60_000;
/// Lifetime of an access token.
pub const ACCESS_TTL_MS: i64 = 600_000;
/// Lifetime of a refresh token.
pub const REFRESH_TTL_MS: i64 = 30 * 24 * 3600 * 1000;

/// What a code was issued for.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeGrant {
    pub client_id: String,
    pub account_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub acr: String,
    /// Space-separated authentication methods (`pwd otp`).
    pub amr: String,
    pub auth_time: i64,
}

/// A stored access or refresh token.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRow {
    pub kind: String,
    pub client_id: String,
    /// `None` for client-credentials tokens.
    pub account_id: Option<String>,
    pub scope: String,
    pub acr: Option<String>,
    pub auth_time: Option<i64>,
    pub grant_id: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Tokens handed to a client.
#[derive(Debug, Clone)]
pub struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: i64,
}

/// Stores a new code issued at `now` (UTC milliseconds) and returns it.
pub async fn issue_code(db: &Db, g: &CodeGrant, now: i64) -> Result<String, OAuthError> {
    let code = random_secret();
    sqlx::query(
        "INSERT INTO oauth_codes (code_hash, client_id, account_id, redirect_uri, scope, nonce, code_challenge, acr, \
         amr, auth_time, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL)",
    )
    .bind(hash_secret(&code))
    .bind(&g.client_id)
    .bind(&g.account_id)
    .bind(&g.redirect_uri)
    .bind(&g.scope)
    .bind(&g.nonce)
    .bind(&g.code_challenge)
    .bind(&g.acr)
    .bind(&g.amr)
    .bind(g.auth_time)
    .bind(now)
    .bind(now + CODE_TTL_MS)
    .execute(db.write())
    .await
    .map_err(OAuthError::server_error)?;
    Ok(code)
}

fn code_from_row(r: &db::Row) -> CodeGrant {
    CodeGrant {
        client_id: r.get(0),
        account_id: r.get(1),
        redirect_uri: r.get(2),
        scope: r.get(3),
        nonce: r.get(4),
        code_challenge: r.get(5),
        acr: r.get(6),
        amr: r.get(7),
        auth_time: r.get(8),
    }
}

const CODE_COLUMNS: &str = "client_id, account_id, redirect_uri, scope, nonce, code_challenge, acr, amr, auth_time";
/// Index of the first column after [`CODE_COLUMNS`].
const CODE_COLUMN_COUNT: usize = 9;

/// Marks a code used and returns what it was issued for. A code presented a second time revokes
/// every token issued from it; an expired code or one issued to another client is refused. Runs on
/// the caller's connection (the token endpoint's batch transaction). `now` is UTC milliseconds,
/// passed so tests can fix time.
pub async fn redeem_code(
    conn: &mut AnyConnection,
    code: &str,
    client_id: &str,
    now: i64,
) -> Result<(String, CodeGrant), OAuthError> {
    let hash = hash_secret(code);
    if let Some(grant) = claim_codes(conn, client_id, &[&hash], now).await?.remove(&hash) {
        return Ok((hash, grant));
    }
    let known = sqlx::query("SELECT client_id, used_at FROM oauth_codes WHERE code_hash = $1")
        .bind(&hash)
        .fetch_optional(&mut *conn)
        .await
        .map_err(OAuthError::server_error)?;
    match known {
        Some(r) if r.get::<Option<i64>, _>(1).is_some() && r.get::<String, _>(0) == client_id => {
            revoke_grants(conn, &[&hash], now).await?;
            Err(OAuthError::invalid_grant("authorization code already used; tokens issued from it are revoked"))
        }
        Some(r) if r.get::<String, _>(0) != client_id => {
            Err(OAuthError::invalid_grant("authorization code was issued to another client"))
        }
        Some(_) => Err(OAuthError::invalid_grant("authorization code expired")),
        None => Err(OAuthError::invalid_grant("unknown authorization code")),
    }
}

/// Marks unused, unexpired codes of one client used and returns what each was issued for, keyed
/// by code hash ([`redeem_code`] claims one code with it). Codes it does not return
/// (unknown, expired, already used, another client's) are left as they were, for
/// [`redeem_code`] to tell which and to act on a reuse. A code expires at `now` (UTC milliseconds).
pub async fn claim_codes(
    conn: &mut AnyConnection,
    client_id: &str,
    hashes: &[&str],
    now: i64,
) -> Result<HashMap<String, CodeGrant>, OAuthError> {
    if hashes.is_empty() {
        return Ok(HashMap::new());
    }
    let b = db::backend_of(conn);
    let (p1, p2, p3) = (db::param(b, 1), db::param(b, 2), db::param(b, 3));
    let sql = format!(
        "UPDATE oauth_codes SET used_at = {p1} WHERE client_id = {p2} AND used_at IS NULL AND expires_at > {p3} \
         AND code_hash IN ({}) RETURNING {CODE_COLUMNS}, code_hash",
        db::values_after(b, 3, hashes.len(), 1)
    );
    let mut q = sqlx::query(&sql).bind(now).bind(client_id).bind(now);
    for h in hashes {
        q = q.bind(*h);
    }
    let rows = q.fetch_all(&mut *conn).await.map_err(OAuthError::server_error)?;
    Ok(rows.iter().map(|r| (r.get(CODE_COLUMN_COUNT), code_from_row(r))).collect())
}

/// What a new token pair is for.
pub struct TokenSpec<'a> {
    pub client_id: &'a str,
    pub account_id: Option<&'a str>,
    pub scope: &'a str,
    pub acr: Option<&'a str>,
    pub auth_time: Option<i64>,
    pub grant_id: &'a str,
    pub with_refresh: bool,
}

/// Issues an access token (and a refresh token when asked) in one statement, at `now` (UTC
/// milliseconds).
pub async fn issue_tokens(conn: &mut AnyConnection, s: &TokenSpec<'_>, now: i64) -> Result<Issued, OAuthError> {
    let issued = mint(s.with_refresh);
    store_tokens(conn, &[(s, &issued)], now).await?;
    Ok(issued)
}

/// New random token values for a pair, not stored yet.
pub fn mint(with_refresh: bool) -> Issued {
    Issued {
        access_token: format!("dat_{}", random_secret()),
        refresh_token: with_refresh.then(|| format!("drt_{}", random_secret())),
        expires_in: ACCESS_TTL_MS / 1000,
    }
}

/// Columns of one stored token; `rotated_at` and `revoked_at` start empty.
const NEW_TOKEN_COLUMNS: usize = 10;

/// Stores the hashes of minted pairs with one multi-row insert, however many pairs a group commit
/// brings. They are created at `now` (UTC milliseconds) and expire after their lifetimes.
pub async fn store_tokens(
    conn: &mut AnyConnection,
    pairs: &[(&TokenSpec<'_>, &Issued)],
    now: i64,
) -> Result<(), OAuthError> {
    let rows: Vec<(&TokenSpec, &'static str, &str, i64)> = pairs
        .iter()
        .flat_map(|(spec, issued)| {
            let access = (*spec, "access", issued.access_token.as_str(), now + ACCESS_TTL_MS);
            let refresh = issued.refresh_token.as_deref().map(|r| (*spec, "refresh", r, now + REFRESH_TTL_MS));
            std::iter::once(access).chain(refresh)
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO oauth_tokens (token_hash, kind, client_id, account_id, scope, acr, auth_time, grant_id, \
         created_at, expires_at) VALUES {}",
        db::values(db::backend_of(conn), rows.len(), NEW_TOKEN_COLUMNS)
    );
    let mut q = sqlx::query(&sql);
    for (s, kind, token, expires_at) in rows {
        q = q
            .bind(hash_secret(token))
            .bind(kind)
            .bind(s.client_id)
            .bind(s.account_id)
            .bind(s.scope)
            .bind(s.acr)
            .bind(s.auth_time)
            .bind(s.grant_id)
            .bind(now)
            .bind(expires_at);
    }
    q.execute(&mut *conn).await.map_err(OAuthError::server_error)?;
    Ok(())
}

const TOKEN_COLUMNS: &str = "kind, client_id, account_id, scope, acr, auth_time, grant_id, created_at, expires_at";
/// Index of the first column after [`TOKEN_COLUMNS`].
const TOKEN_COLUMN_COUNT: usize = 9;

fn token_from_row(r: &db::Row) -> TokenRow {
    TokenRow {
        kind: r.get(0),
        client_id: r.get(1),
        account_id: r.get(2),
        scope: r.get(3),
        acr: r.get(4),
        auth_time: r.get(5),
        grant_id: r.get(6),
        created_at: r.get(7),
        expires_at: r.get(8),
    }
}

/// Rotates a refresh token: the presented one is spent, and its row returned so a new pair can be
/// issued. A refresh token presented after it was spent revokes the grant (reuse detection).
/// `now` is UTC milliseconds, passed so tests can fix time.
pub async fn spend_refresh(
    conn: &mut AnyConnection,
    token: &str,
    client_id: &str,
    now: i64,
) -> Result<TokenRow, OAuthError> {
    let hash = hash_secret(token);
    if let Some(row) = claim_refresh(conn, client_id, &[&hash], now).await?.remove(&hash) {
        return Ok(row);
    }
    let known = sqlx::query(
        "SELECT grant_id, rotated_at, client_id FROM oauth_tokens WHERE token_hash = $1 AND kind = 'refresh'",
    )
    .bind(&hash)
    .fetch_optional(&mut *conn)
    .await
    .map_err(OAuthError::server_error)?;
    match known {
        Some(r) if r.get::<Option<i64>, _>(1).is_some() && r.get::<String, _>(2) == client_id => {
            revoke_grants(conn, &[&r.get::<String, _>(0)], now).await?;
            Err(OAuthError::invalid_grant("refresh token already used; the whole grant is revoked"))
        }
        _ => Err(OAuthError::invalid_grant("refresh token is invalid, expired or revoked")),
    }
}

/// Marks live refresh tokens of one client spent and returns their rows, keyed by token hash
/// ([`spend_refresh`] spends one token with it). Tokens it does not return (unknown, expired,
/// revoked, already rotated, another client's) are left as they were, for [`spend_refresh`] to
/// tell which and to act on a reuse. A token expires at `now` (UTC milliseconds).
pub async fn claim_refresh(
    conn: &mut AnyConnection,
    client_id: &str,
    hashes: &[&str],
    now: i64,
) -> Result<HashMap<String, TokenRow>, OAuthError> {
    if hashes.is_empty() {
        return Ok(HashMap::new());
    }
    let b = db::backend_of(conn);
    let (p1, p2, p3) = (db::param(b, 1), db::param(b, 2), db::param(b, 3));
    let sql = format!(
        "UPDATE oauth_tokens SET rotated_at = {p1} WHERE client_id = {p2} AND kind = 'refresh' \
         AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > {p3} AND token_hash IN ({}) \
         RETURNING {TOKEN_COLUMNS}, token_hash",
        db::values_after(b, 3, hashes.len(), 1)
    );
    let mut q = sqlx::query(&sql).bind(now).bind(client_id).bind(now);
    for h in hashes {
        q = q.bind(*h);
    }
    let rows = q.fetch_all(&mut *conn).await.map_err(OAuthError::server_error)?;
    Ok(rows.iter().map(|r| (r.get(TOKEN_COLUMN_COUNT), token_from_row(r))).collect())
}

/// Gives claimed refresh tokens back unspent, in the transaction that claimed them: a rotation
/// refused for its request alone (a wider scope) leaves the token usable.
pub async fn unclaim_refresh(conn: &mut AnyConnection, hashes: &[&str]) -> Result<(), OAuthError> {
    if hashes.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE oauth_tokens SET rotated_at = NULL WHERE kind = 'refresh' AND token_hash IN ({})",
        db::values(db::backend_of(conn), hashes.len(), 1)
    );
    let mut q = sqlx::query(&sql);
    for h in hashes {
        q = q.bind(*h);
    }
    q.execute(&mut *conn).await.map_err(OAuthError::server_error)?;
    Ok(())
}

/// A token by its value that is live at `now` (UTC milliseconds).
pub async fn find_active(db: &Db, token: &str, now: i64) -> Result<Option<TokenRow>, OAuthError> {
    let row = sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS} FROM oauth_tokens WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2 \
         AND rotated_at IS NULL"
    ))
    .bind(hash_secret(token))
    .bind(now)
    .fetch_optional(db.read())
    .await
    .map_err(OAuthError::server_error)?;
    Ok(row.as_ref().map(token_from_row))
}

/// Live access tokens by hash, read with one padded `IN (…)` list (see `db::coalesce`) on the
/// caller's connection; tokens that are unknown, revoked or expired at `now` (UTC milliseconds)
/// are missing from the result.
pub async fn live_access_tokens(
    conn: &mut AnyConnection,
    hashes: &[String],
    now: i64,
) -> Result<HashMap<String, TokenRow>, OAuthError> {
    let select = format!(
        "SELECT {TOKEN_COLUMNS}, token_hash FROM oauth_tokens WHERE kind = 'access' AND revoked_at IS NULL \
         AND rotated_at IS NULL AND token_hash"
    );
    let rows = db::coalesce::fetch_in(&mut *conn, &select, hashes).await.map_err(OAuthError::server_error)?;
    Ok(rows
        .iter()
        .map(|r| (r.get(TOKEN_COLUMN_COUNT), token_from_row(r)))
        .filter(|(_, t): &(String, TokenRow)| t.expires_at > now)
        .collect())
}

/// Revokes every token of the given grants at `now` (UTC milliseconds).
pub async fn revoke_grants(conn: &mut AnyConnection, grant_ids: &[&str], now: i64) -> Result<(), OAuthError> {
    if grant_ids.is_empty() {
        return Ok(());
    }
    let b = db::backend_of(conn);
    let sql = format!(
        "UPDATE oauth_tokens SET revoked_at = {} WHERE revoked_at IS NULL AND grant_id IN ({})",
        db::param(b, 1),
        db::values_after(b, 1, grant_ids.len(), 1)
    );
    let mut q = sqlx::query(&sql).bind(now);
    for g in grant_ids {
        q = q.bind(*g);
    }
    q.execute(&mut *conn).await.map_err(OAuthError::server_error)?;
    Ok(())
}

/// RFC 7009 revocation by the client the token was issued to: an access token alone, or a refresh
/// token together with its whole grant. Unknown tokens are ignored (the response is the same).
/// `now` is UTC milliseconds, the time of the revocation.
pub async fn revoke_by_client(db: &Db, token: &str, client_id: &str, now: i64) -> Result<(), OAuthError> {
    let row = sqlx::query(&format!("SELECT {TOKEN_COLUMNS} FROM oauth_tokens WHERE token_hash = $1"))
        .bind(hash_secret(token))
        .fetch_optional(db.read())
        .await
        .map_err(OAuthError::server_error)?;
    let Some(t) = row.as_ref().map(token_from_row) else { return Ok(()) };
    if t.client_id != client_id {
        return Ok(());
    }
    if t.kind == "refresh" {
        let mut conn = db.write().acquire().await.map_err(OAuthError::server_error)?;
        return revoke_grants(&mut conn, &[&t.grant_id], now).await;
    }
    sqlx::query("UPDATE oauth_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(hash_secret(token))
        .execute(db.write())
        .await
        .map_err(OAuthError::server_error)?;
    Ok(())
}

/// Revokes everything a client holds for an account (the citizen withdrew consent) at `now` (UTC
/// milliseconds).
pub async fn revoke_for_account(db: &Db, account_id: &str, client_id: &str, now: i64) -> Result<u64, OAuthError> {
    let n = sqlx::query(
        "UPDATE oauth_tokens SET revoked_at = $1 WHERE account_id = $2 AND client_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(account_id)
    .bind(client_id)
    .execute(db.write())
    .await
    .map_err(OAuthError::server_error)?
    .rows_affected();
    Ok(n)
}

/// Moves the expiry of every unused code to `until`: a benchmark issues its codes before the run,
/// and on a slow machine they would otherwise expire before they are exchanged.
pub async fn postpone_unused_codes(db: &Db, until: i64) -> Result<u64, OAuthError> {
    let n = sqlx::query("UPDATE oauth_codes SET expires_at = $1 WHERE used_at IS NULL")
        .bind(until)
        .execute(db.write())
        .await
        .map_err(OAuthError::server_error)?
        .rows_affected();
    Ok(n)
}
