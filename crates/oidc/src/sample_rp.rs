//! A built-in sample relying party: a school's parent portal (pilot model 32) that signs parents
//! in with their e-ID. It is a real OAuth client of this provider — it calls the token and userinfo
//! endpoints over HTTP and validates the ID token against the published keys — so the demo shows
//! the whole flow end to end.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use web::auth::{append_set_cookie, cookie, urlencode};

use crate::clients::{self, NewClient};
use crate::provider::Provider;

const SETTING: &str = "sample_rp_client";
const COOKIE: &str = "__Host-dancu_school";
/// How long a pending sign-in (state, nonce, PKCE verifier) is kept.
const FLOW_TTL_MS: i64 = 600_000;

/// The registered client of the sample portal.
#[derive(Serialize, Deserialize, Clone)]
struct Registration {
    client_id: String,
    client_secret: String,
}

/// What the portal remembers: pending sign-ins and signed-in parents (in memory: it is a sample).
#[derive(Default)]
pub struct Store {
    flows: Mutex<Flows>,
    sessions: Mutex<HashMap<String, SignedIn>>,
}

/// Pending sign-ins by state: (nonce, PKCE verifier, started at).
type Flows = HashMap<String, (String, String, i64)>;

impl Store {
    // A panic while a lock was held leaves maps that are still valid: a poisoned lock is used.
    fn flows(&self) -> MutexGuard<'_, Flows> {
        self.flows.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn sessions(&self) -> MutexGuard<'_, HashMap<String, SignedIn>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Clone)]
struct SignedIn {
    name: String,
    level: u8,
    claims: Vec<(String, String)>,
    id_token: String,
}

/// Registers the portal as a client (once) so the demo can use it; returns its client id.
/// A registration made for another address (the demo restarted on another port) is replaced.
/// `now` is UTC milliseconds, the time of a new registration.
pub async fn ensure_registered(p: &Provider, now: i64) -> Result<String, kernel::AppError> {
    if let Some(r) = registration(p).await? {
        let current = clients::get(&p.db, &r.client_id).await?;
        if current.is_some_and(|c| c.disabled_at.is_none() && c.has_redirect_uri(&p.url("/demo/school/callback"))) {
            return Ok(r.client_id);
        }
    }
    let (client, secret) = clients::register(
        &p.db,
        NewClient {
            name: "Trường THPT mẫu — Sổ liên lạc điện tử".into(),
            auth_method: "client_secret_basic".into(),
            redirect_uris: vec![p.url("/demo/school/callback")],
            post_logout_redirect_uris: vec![p.url("/demo/school")],
            allowed_scopes: ["openid", "profile", "personal_id", "phone"].map(String::from).to_vec(),
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            min_level: 2,
            sector: Some("school.demo.dancu".into()),
            ..Default::default()
        },
        now,
    )
    .await?;
    let reg = Registration { client_id: client.id.clone(), client_secret: secret.unwrap_or_default() };
    let json = serde_json::to_string(&reg)?;
    db::sqlx::query(
        "INSERT INTO oauth_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
        .bind(SETTING)
        .bind(json)
        .execute(p.db.write())
        .await?;
    Ok(client.id)
}

async fn registration(p: &Provider) -> Result<Option<Registration>, kernel::AppError> {
    let row = db::sqlx::query("SELECT value FROM oauth_settings WHERE name = $1")
        .bind(SETTING)
        .fetch_optional(p.db.read())
        .await?;
    Ok(row.and_then(|r| serde_json::from_str(&db::sqlx::Row::get::<String, _>(&r, 0)).ok()))
}

/// Routes of the sample portal under `/demo/school`.
pub fn router() -> Router<Provider> {
    Router::new()
        .route("/demo/school", get(home))
        .route("/demo/school/login", get(login))
        .route("/demo/school/callback", get(callback))
        .route("/demo/school/logout", get(logout))
}

#[derive(Template)]
#[template(path = "school.html")]
struct SchoolPage {
    signed_in: Option<SignedIn>,
    error: Option<String>,
}

fn page(signed_in: Option<SignedIn>, error: Option<String>) -> Response {
    let html = SchoolPage { signed_in, error }.render().unwrap_or_else(|e| e.to_string());
    axum::response::Html(html).into_response()
}

async fn home(State(p): State<Provider>, headers: HeaderMap) -> Response {
    let s = cookie(&headers, COOKIE).and_then(|c| p.sample.sessions().get(c).cloned());
    page(s, None)
}

#[allow(clippy::disallowed_methods, reason = "an HTTP handler of the sample portal: the edge reads the clock")]
async fn login(State(p): State<Provider>) -> Response {
    let Ok(Some(reg)) = registration(&p).await else {
        return page(
            None,
            Some("Cổng mẫu chưa được đăng ký (chạy dancu demo) / The sample portal is not registered".into()),
        );
    };
    let state = identity::secrets::random_secret();
    let nonce = identity::secrets::random_secret();
    let verifier = identity::secrets::random_secret();
    let now = kernel::clock::now_ms();
    {
        let mut flows = p.sample.flows();
        flows.retain(|_, (_, _, at)| now - *at < FLOW_TTL_MS);
        flows.insert(state.clone(), (nonce.clone(), verifier.clone(), now));
    }
    let url = format!(
        "/oidc/authorize?response_type=code&client_id={}&redirect_uri={}&scope={}&state={}&nonce={}&code_challenge={}&code_challenge_method=S256&acr_values={}",
        urlencode(&reg.client_id),
        urlencode(&p.url("/demo/school/callback")),
        urlencode("openid profile personal_id"),
        state,
        nonce,
        crate::pkce::challenge_of(&verifier),
        urlencode(crate::ACR_LEVEL2),
    );
    Redirect::to(&url).into_response()
}

/// The redirect back from the provider.
#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    id_token: String,
}

#[derive(Deserialize)]
struct IdClaims {
    nonce: Option<String>,
    acr: String,
}

async fn callback(State(p): State<Provider>, Query(cb): Query<Callback>) -> Response {
    if let Some(e) = cb.error {
        return page(
            None,
            Some(format!(
                "Đăng nhập không thành công / Sign-in failed: {e} {}",
                cb.error_description.unwrap_or_default()
            )),
        );
    }
    let flow = cb.state.as_deref().and_then(|s| p.sample.flows().remove(s));
    let (Some(code), Some((nonce, verifier, _))) = (cb.code, flow) else {
        return page(None, Some("Phiên đăng nhập không hợp lệ / Invalid sign-in state".into()));
    };
    match finish(&p, &code, &nonce, &verifier).await {
        Ok(signed_in) => {
            let sid = identity::secrets::random_secret();
            p.sample.sessions().insert(sid.clone(), signed_in);
            let mut resp = Redirect::to("/demo/school").into_response();
            append_set_cookie(&mut resp, &format!("{COOKIE}={sid}; Path=/; Secure; HttpOnly; SameSite=Lax"));
            resp
        }
        Err(e) => page(None, Some(format!("Đăng nhập không thành công / Sign-in failed: {e}"))),
    }
}

/// Token exchange, ID token validation against the published keys, then userinfo.
async fn finish(p: &Provider, code: &str, nonce: &str, verifier: &str) -> Result<SignedIn, String> {
    let reg = registration(p).await.map_err(|e| e.detail)?.ok_or("not registered")?;
    let http = reqwest::Client::new();
    let tokens: TokenResponse = http
        .post(p.url("/oidc/token"))
        .basic_auth(&reg.client_id, Some(&reg.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &p.url("/demo/school/callback")),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?
        .error_for_status()
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let jwks: serde_json::Value = http
        .get(p.url("/oidc/jwks"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let verifier_keys = keys::JwksVerifier::from_jwks(&jwks).map_err(|e| e.to_string())?;
    let claims: IdClaims = verifier_keys
        .verify(&tokens.id_token, &keys::Expect::new().issuer(p.issuer.to_string()).audience(reg.client_id.clone()))
        .map_err(|e| e.to_string())?;
    if claims.nonce.as_deref() != Some(nonce) {
        return Err("nonce mismatch".into());
    }
    let info: serde_json::Map<String, serde_json::Value> = http
        .get(p.url("/oidc/userinfo"))
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .error_for_status()
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let name = info.get("name").and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let claims_list =
        info.iter().map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))).collect();
    Ok(SignedIn {
        name,
        level: crate::level_of_acr(&claims.acr).unwrap_or(0),
        claims: claims_list,
        id_token: tokens.id_token,
    })
}

async fn logout(State(p): State<Provider>, headers: HeaderMap) -> Response {
    let s = cookie(&headers, COOKIE).and_then(|c| p.sample.sessions().remove(c));
    let mut resp = match s {
        Some(s) => Redirect::to(&format!(
            "/oidc/logout?id_token_hint={}&post_logout_redirect_uri={}",
            urlencode(&s.id_token),
            urlencode(&p.url("/demo/school"))
        ))
        .into_response(),
        None => Redirect::to("/demo/school").into_response(),
    };
    append_set_cookie(&mut resp, &format!("{COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"));
    resp
}
