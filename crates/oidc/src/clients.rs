//! Registered clients (relying parties and organizations' systems), registered by administrators.
//! Secrets are random and stored as SHA-256 hashes; a client's registration is cached for a few
//! seconds because the token endpoint reads it on every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, ErrorCode};
use serde::Serialize;

use crate::scopes::{self, ScopeKind};

/// How a client proves who it is at the token endpoint.
pub const AUTH_METHODS: &[&str] = &["client_secret_basic", "client_secret_post", "private_key_jwt", "none"];

/// A registered client.
#[derive(Debug, Clone, Serialize)]
pub struct Client {
    pub id: String,
    pub name: String,
    #[serde(skip)]
    pub secret_hash: Option<String>,
    pub auth_method: String,
    /// The client's public keys (JWKS JSON) for `private_key_jwt`.
    #[serde(skip)]
    pub jwks: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub allowed_scopes: Vec<String>,
    pub grant_types: Vec<String>,
    /// Lowest e-ID level accepted (1 or 2).
    pub min_level: u8,
    /// Pairwise subject sector: clients of one agency share it, so the agency sees one `sub`.
    pub sector: String,
    /// `pairwise` (default) or `public`.
    pub subject_type: String,
    /// The organization whose system this is (client-credentials clients).
    pub organization_id: Option<String>,
    pub logo_url: Option<String>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

impl Client {
    /// Public clients (apps that cannot keep a secret) must use PKCE.
    pub fn is_public(&self) -> bool {
        self.auth_method == "none"
    }

    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }

    /// Exact string match (no prefix or wildcard matching).
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r == uri)
    }
}

/// What an administrator fills in to register a client.
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    pub name: String,
    pub auth_method: String,
    pub jwks: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub allowed_scopes: Vec<String>,
    /// `authorization_code`, `refresh_token`, `client_credentials`.
    pub grant_types: Vec<String>,
    pub min_level: u8,
    /// Defaults to the host of the first redirect URI.
    pub sector: Option<String>,
    pub subject_type: Option<String>,
    pub organization_id: Option<String>,
    pub logo_url: Option<String>,
}

fn invalid(msg: impl Into<String>) -> AppError {
    AppError::invalid(msg)
}

/// A redirect URI must be absolute https (or http on a loopback host, for development and native
/// apps), without a fragment.
pub fn check_redirect_uri(uri: &str) -> Result<(), AppError> {
    let ok_scheme = uri.starts_with("https://")
        || ["http://localhost", "http://127.0.0.1", "http://[::1]"].iter().any(|p| {
            uri.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with(':') || rest.starts_with('/'))
        });
    if !ok_scheme {
        return Err(invalid(format!("redirect URI must be https (or http on localhost): {uri}")));
    }
    if uri.contains('#') || uri.chars().any(|c| c.is_whitespace()) {
        return Err(invalid(format!("redirect URI must not contain a fragment or spaces: {uri}")));
    }
    Ok(())
}

/// The host part of a URL (sector identifier default).
fn host_of(uri: &str) -> String {
    let rest = uri.split_once("://").map(|(_, r)| r).unwrap_or(uri);
    rest.split(['/', '?', ':']).next().unwrap_or_default().to_string()
}

impl NewClient {
    fn validate(&self) -> Result<(), AppError> {
        if self.name.trim().is_empty() {
            return Err(invalid("client name is required"));
        }
        if !AUTH_METHODS.contains(&self.auth_method.as_str()) {
            return Err(invalid(format!(
                "unknown auth method {}; use one of {}",
                self.auth_method,
                AUTH_METHODS.join(", ")
            )));
        }
        for g in &self.grant_types {
            if !["authorization_code", "refresh_token", "client_credentials"].contains(&g.as_str()) {
                return Err(invalid(format!("unknown grant type {g}")));
            }
        }
        if self.grant_types.is_empty() {
            return Err(invalid("at least one grant type is required"));
        }
        let user_flow = self.grant_types.iter().any(|g| g == "authorization_code");
        if user_flow && self.redirect_uris.is_empty() {
            return Err(invalid("a client using the authorization code flow needs a redirect URI"));
        }
        for u in self.redirect_uris.iter().chain(&self.post_logout_redirect_uris) {
            check_redirect_uri(u)?;
        }
        if !(1..=2).contains(&self.min_level) {
            return Err(invalid("minimum level must be 1 or 2"));
        }
        for s in &self.allowed_scopes {
            let def = scopes::find(s).ok_or_else(|| invalid(format!("unknown scope {s}")))?;
            if def.kind == ScopeKind::Api && self.organization_id.is_none() {
                return Err(invalid(format!("API scope {s} needs the organization that runs the client")));
            }
        }
        if user_flow && !self.allowed_scopes.iter().any(|s| s == "openid") {
            return Err(invalid("a sign-in client must be allowed the openid scope"));
        }
        if self.auth_method == "private_key_jwt" {
            let jwks = self.jwks.as_deref().ok_or_else(|| invalid("private_key_jwt needs the client's JWKS"))?;
            let value: serde_json::Value =
                serde_json::from_str(jwks).map_err(|e| invalid(format!("JWKS is not JSON: {e}")))?;
            keys::JwksVerifier::from_jwks(&value).map_err(|e| invalid(format!("unusable JWKS: {e}")))?;
        }
        if self.auth_method == "none" && self.grant_types.iter().any(|g| g == "client_credentials") {
            return Err(invalid("a public client cannot use client credentials"));
        }
        if let Some(t) = &self.subject_type {
            if t != "pairwise" && t != "public" {
                return Err(invalid("subject type must be pairwise or public"));
            }
        }
        Ok(())
    }
}

/// Registers a client at `now` (UTC milliseconds); returns it and, for secret-based methods, the
/// secret (shown once).
pub async fn register(db: &Db, new: NewClient, now: i64) -> Result<(Client, Option<String>), AppError> {
    new.validate()?;
    let id = format!("dcl_{}", kernel::ids::new_id().replace('-', ""));
    let secret = new.auth_method.starts_with("client_secret").then(identity::secrets::random_secret);
    let sector = new
        .sector
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| new.redirect_uris.first().map(|u| host_of(u)).unwrap_or_else(|| id.clone()));
    let client = Client {
        id,
        name: new.name.trim().to_string(),
        secret_hash: secret.as_deref().map(identity::secrets::hash_secret),
        auth_method: new.auth_method,
        jwks: new.jwks,
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        allowed_scopes: new.allowed_scopes,
        grant_types: new.grant_types,
        min_level: new.min_level,
        sector,
        subject_type: new.subject_type.unwrap_or_else(|| "pairwise".into()),
        organization_id: new.organization_id,
        logo_url: new.logo_url,
        created_at: now,
        disabled_at: None,
    };
    sqlx::query(
        "INSERT INTO oauth_clients (id, name, secret_hash, auth_method, jwks, redirect_uris, post_logout_redirect_uris, \
         allowed_scopes, grant_types, min_level, sector, subject_type, organization_id, logo_url, created_at, disabled_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL)",
    )
    .bind(&client.id)
    .bind(&client.name)
    .bind(&client.secret_hash)
    .bind(&client.auth_method)
    .bind(&client.jwks)
    .bind(serde_json::to_string(&client.redirect_uris)?)
    .bind(serde_json::to_string(&client.post_logout_redirect_uris)?)
    .bind(client.allowed_scopes.join(" "))
    .bind(client.grant_types.join(" "))
    .bind(client.min_level as i64)
    .bind(&client.sector)
    .bind(&client.subject_type)
    .bind(&client.organization_id)
    .bind(&client.logo_url)
    .bind(client.created_at)
    .execute(db.write())
    .await?;
    Ok((client, secret))
}

const CLIENT_COLUMNS: &str = "id, name, secret_hash, auth_method, jwks, redirect_uris, post_logout_redirect_uris, \
     allowed_scopes, grant_types, min_level, sector, subject_type, organization_id, logo_url, created_at, disabled_at";

fn from_row(r: &db::Row) -> Client {
    let list = |s: String| serde_json::from_str::<Vec<String>>(&s).unwrap_or_default();
    Client {
        id: r.get(0),
        name: r.get(1),
        secret_hash: r.get(2),
        auth_method: r.get(3),
        jwks: r.get(4),
        redirect_uris: list(r.get(5)),
        post_logout_redirect_uris: list(r.get(6)),
        allowed_scopes: scopes::split(&r.get::<String, _>(7)),
        grant_types: scopes::split(&r.get::<String, _>(8)),
        min_level: r.get::<i64, _>(9).clamp(1, 2) as u8,
        sector: r.get(10),
        subject_type: r.get(11),
        organization_id: r.get(12),
        logo_url: r.get(13),
        created_at: r.get(14),
        disabled_at: r.get(15),
    }
}

/// A client by id, disabled ones included (callers decide).
pub async fn get(db: &Db, id: &str) -> Result<Option<Client>, AppError> {
    let row = sqlx::query(&format!("SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.read())
        .await?;
    Ok(row.as_ref().map(from_row))
}

/// Every client, newest first.
pub async fn list(db: &Db) -> Result<Vec<Client>, AppError> {
    let rows = sqlx::query(&format!("SELECT {CLIENT_COLUMNS} FROM oauth_clients ORDER BY created_at DESC, id"))
        .fetch_all(db.read())
        .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Disables a client at `now` (UTC milliseconds): it can no longer obtain tokens, and its live
/// tokens are revoked.
pub async fn disable(db: &Db, id: &str, now: i64) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let n = sqlx::query("UPDATE oauth_clients SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::new(ErrorCode::NotFound, "no such active client"));
    }
    sqlx::query("UPDATE oauth_tokens SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces a secret-based client's secret; returns the new secret (shown once).
pub async fn rotate_secret(db: &Db, id: &str) -> Result<String, AppError> {
    let secret = identity::secrets::random_secret();
    let n =
        sqlx::query("UPDATE oauth_clients SET secret_hash = $1 WHERE id = $2 AND auth_method LIKE 'client_secret%'")
            .bind(identity::secrets::hash_secret(&secret))
            .bind(id)
            .execute(db.write())
            .await?
            .rows_affected();
    if n == 0 {
        return Err(AppError::new(ErrorCode::NotFound, "no client with a secret has this id"));
    }
    Ok(secret)
}

/// Cached registrations with the time (ms) each was read.
type CacheMap = HashMap<String, (i64, Arc<Client>)>;

#[cfg(test)]
impl Client {
    /// A registered relying party for unit tests: `dcl_1` at `rp.example`, pairwise subjects.
    pub(crate) fn sample() -> Client {
        Client {
            id: "dcl_1".into(),
            name: "RP".into(),
            secret_hash: None,
            auth_method: "client_secret_basic".into(),
            jwks: None,
            redirect_uris: vec!["https://rp.example/cb".into()],
            post_logout_redirect_uris: Vec::new(),
            allowed_scopes: vec!["openid".into()],
            grant_types: vec!["authorization_code".into()],
            min_level: 1,
            sector: "rp.example".into(),
            subject_type: "pairwise".into(),
            organization_id: None,
            logo_url: None,
            created_at: 0,
            disabled_at: None,
        }
    }
}

/// A short-lived in-process cache of registrations, for the hot token endpoint.
#[derive(Clone, Default)]
pub struct ClientCache {
    inner: Arc<Mutex<CacheMap>>,
}

/// How long a cached registration is trusted (a disabled client stops within this time even on
/// other processes; on this process `forget` applies at once).
const CACHE_MS: i64 = 5_000;

impl ClientCache {
    /// The cached registrations; a panic while the lock was held leaves a map that is still valid.
    fn map(&self) -> MutexGuard<'_, CacheMap> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The client, from the cache when fresh at `now` (UTC milliseconds).
    pub async fn get(&self, db: &Db, id: &str, now: i64) -> Result<Option<Arc<Client>>, AppError> {
        if let Some((at, c)) = self.map().get(id) {
            if now - at < CACHE_MS {
                return Ok(Some(c.clone()));
            }
        }
        let Some(c) = get(db, id).await? else { return Ok(None) };
        let c = Arc::new(c);
        let mut map = self.map();
        if map.len() > 10_000 {
            map.clear();
        }
        map.insert(id.to_string(), (now, c.clone()));
        Ok(Some(c))
    }

    /// Drops a client from the cache after it changed.
    pub fn forget(&self, id: &str) {
        self.map().remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uri_rules() {
        assert!(check_redirect_uri("https://school.example.vn/cb").is_ok());
        assert!(check_redirect_uri("http://localhost:8080/cb").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1/cb").is_ok());
        assert!(check_redirect_uri("http://localhost.evil.com/cb").is_err());
        assert!(check_redirect_uri("http://school.example.vn/cb").is_err());
        assert!(check_redirect_uri("https://school.example.vn/cb#x").is_err());
        assert_eq!(host_of("https://a.b.vn:8443/x?y"), "a.b.vn");
    }
}
