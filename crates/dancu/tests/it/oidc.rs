//! The OpenID Connect provider over HTTP: a citizen signs in to a relying party with consent,
//! tokens are exchanged, refreshed, introspected and revoked, and every protocol violation gets
//! its RFC error and changes nothing.

use crate::common;

use std::collections::HashMap;

use base64::Engine;
use db::sqlx::{self, Row};
use db::Db;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::Value;

const REDIRECT: &str = "http://127.0.0.1:9/cb";

/// A cookie-keeping HTTP client that does not follow redirects (the test follows them itself).
struct Browser {
    http: reqwest::Client,
    base: String,
    jar: HashMap<String, String>,
}

impl Browser {
    fn new(base: &str) -> Browser {
        Browser {
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            base: base.to_string(),
            jar: HashMap::new(),
        }
    }

    fn keep(&mut self, r: &reqwest::Response) {
        for v in r.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            let pair = v.split(';').next().unwrap_or_default();
            if let Some((k, val)) = pair.split_once('=') {
                if val.is_empty() {
                    self.jar.remove(k);
                } else {
                    self.jar.insert(k.to_string(), val.to_string());
                }
            }
        }
    }

    fn cookies(&self) -> String {
        self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn get(&mut self, path: &str) -> reqwest::Response {
        let r = self.http.get(self.url(path)).header(COOKIE, self.cookies()).send().await.unwrap();
        self.keep(&r);
        r
    }

    async fn post(&mut self, path: &str, form: &[(&str, String)]) -> reqwest::Response {
        let r = self.http.post(self.url(path)).header(COOKIE, self.cookies()).form(form).send().await.unwrap();
        self.keep(&r);
        r
    }

    async fn sign_in(&mut self, login: &str, password: &str) {
        let html = self.get("/login").await.text().await.unwrap();
        let r = self
            .post("/login", &[("csrf", hidden(&html, "csrf")), ("login", login.into()), ("password", password.into())])
            .await;
        assert_eq!(r.status(), 303, "sign-in of {login} failed");
    }

    /// Signs in on the sign-in page at `login_url` (the provider's hand-off, with `next` and maybe
    /// `force`); returns where the sign-in sends the browser.
    async fn sign_in_at(&mut self, login_url: &str, login: &str, password: &str) -> String {
        let html = self.get(login_url).await.text().await.unwrap();
        let mut form = vec![
            ("csrf", hidden(&html, "csrf")),
            ("next", hidden(&html, "next")),
            ("login", login.into()),
            ("password", password.into()),
        ];
        if html.contains("name=\"force\"") {
            form.push(("force", hidden(&html, "force")));
        }
        let r = self.post("/login", &form).await;
        assert_eq!(r.status(), 303, "sign-in of {login} failed");
        location(&r)
    }

    /// Another browser with the same cookies (to look at pages in English without switching the
    /// language of this one, which a `lang` cookie remembers).
    fn twin(&self) -> Browser {
        Browser { http: self.http.clone(), base: self.base.clone(), jar: self.jar.clone() }
    }

    /// Whether the browser's session is alive (the account page opens).
    async fn signed_in(&mut self) -> bool {
        self.get("/account").await.status() == 200
    }
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no hidden {name} in {html}")) + marker.len();
    unescape(&html[start..start + html[start..].find('"').unwrap()])
}

/// Undoes HTML escaping of an attribute value, as a browser does before submitting a form.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').map(|e| i + e).expect("entity end");
        let entity = &rest[i + 1..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            e if e.starts_with("#x") => char::from_u32(u32::from_str_radix(&e[2..], 16).unwrap()).unwrap(),
            e if e.starts_with('#') => char::from_u32(e[1..].parse().unwrap()).unwrap(),
            e => panic!("unknown entity {e}"),
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get(LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// A citizen account at an e-ID level for a resident of the generated province.
async fn citizen(db: &Db, nth: i64, level: u8) -> (String, String) {
    let person: String =
        sqlx::query("SELECT personal_id FROM persons WHERE status = 'living' ORDER BY personal_id LIMIT 1 OFFSET $1")
            .bind(nth)
            .fetch_one(db.read())
            .await
            .unwrap()
            .get(0);
    dancu::accounts_cmd::citizen_account(db, &identity::PasswordHasher::new(2), &person, common::PASSWORD, level)
        .await
        .unwrap();
    (person.clone(), person)
}

async fn client(db: &Db, min_level: u8, auth: &str) -> (String, Option<String>) {
    let (c, secret) = oidc::clients::register(
        db,
        oidc::NewClient {
            name: format!("Dịch vụ thử nghiệm mức {min_level}"),
            auth_method: auth.into(),
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec!["http://127.0.0.1:9/bye".into()],
            allowed_scopes: ["openid", "profile", "address", "personal_id", "offline_access", "services"]
                .map(String::from)
                .to_vec(),
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            min_level,
            ..Default::default()
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    (c.id, secret)
}

fn authorize_url(client_id: &str, challenge: &str, extra: &str) -> String {
    scoped_authorize_url(client_id, challenge, "openid profile address personal_id", extra)
}

fn scoped_authorize_url(client_id: &str, challenge: &str, scope: &str, extra: &str) -> String {
    format!(
        "/oidc/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope={}&state=st-1&nonce=n-1&code_challenge={challenge}&code_challenge_method=S256{extra}",
        web::auth::urlencode(REDIRECT),
        web::auth::urlencode(scope)
    )
}

/// Authorizes (consenting when asked) and returns the redirect back to the client.
async fn authorize(b: &mut Browser, url: &str) -> String {
    let r = b.get(url).await;
    if r.status() == 303 {
        return location(&r);
    }
    assert_eq!(r.status(), 200, "expected the consent page");
    let html = r.text().await.unwrap();
    assert!(html.contains("Cho phép chia sẻ thông tin"), "{html}");
    let r = b
        .post(
            "/oidc/authorize/decision",
            &[
                ("csrf", hidden(&html, "csrf")),
                ("request", hidden(&html, "request")),
                ("decision", "allow".into()),
                ("remember", "on".into()),
            ],
        )
        .await;
    let status = r.status();
    let loc = location(&r);
    assert_eq!(status, 303, "{}", r.text().await.unwrap());
    loc
}

async fn token(
    http: &reqwest::Client,
    base: &str,
    client_id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let r =
        http.post(format!("{base}/oidc/token")).basic_auth(client_id, Some(secret)).form(form).send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// Redeems a code with the matching redirect URI and PKCE verifier.
async fn exchange(w: &common::World, client_id: &str, secret: &str, code: &str, verifier: &str) -> (u16, Value) {
    let form =
        [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT), ("code_verifier", verifier)];
    token(&w.http, &w.base, client_id, secret, &form).await
}

fn jwt_payload(jwt: &str) -> Value {
    let p = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
}

async fn access_log_actions(db: &Db, person: &str) -> Vec<String> {
    sqlx::query("SELECT action FROM access_log WHERE subject_id = $1 AND channel = 'oidc' ORDER BY at")
        .bind(person)
        .fetch_all(db.read())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn code_flow_consent_refresh_and_revocation(db: Db) {
    let w = common::world(db.clone(), 300, false).await;
    let (login, person) = citizen(&db, 3, 2).await;
    let (client_id, secret) = client(&db, 2, "client_secret_basic").await;
    let secret = secret.unwrap();
    let verifier = "v".repeat(43) + "-verifier";
    let challenge = oidc::pkce::challenge_of(&verifier);

    let mut b = Browser::new(&w.base);
    // Not signed in: sent to the sign-in page, and back to the authorization afterwards.
    let r = b.get(&authorize_url(&client_id, &challenge, "")).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/login?"), "{}", location(&r));
    b.sign_in(&login, common::PASSWORD).await;
    let back = authorize(&mut b, &authorize_url(&client_id, &challenge, "")).await;
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(query_param(&back, "state").as_deref(), Some("st-1"));
    assert_eq!(query_param(&back, "iss").as_deref(), Some(w.base.as_str()));
    let code = query_param(&back, "code").unwrap();

    // Wrong PKCE verifier: refused, and the code is spent.
    let (s, body) = token(
        &w.http,
        &w.base,
        &client_id,
        &secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &"x".repeat(43)),
        ],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));

    // A fresh code (consent is remembered now: straight back to the client).
    let back = authorize(&mut b, &authorize_url(&client_id, &challenge, "")).await;
    let code = query_param(&back, "code").unwrap();
    let (s, t) = exchange(&w, &client_id, &secret, &code, &verifier).await;
    assert_eq!(s, 200, "{t}");
    let id = jwt_payload(t["id_token"].as_str().unwrap());
    assert_eq!(id["aud"], client_id.as_str());
    assert_eq!(id["iss"], w.base.as_str());
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["acr"], oidc::ACR_LEVEL2);
    assert_ne!(id["sub"].as_str().unwrap(), person, "the subject is pairwise, not the personal id");
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(t["id_token"].as_str().unwrap().split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "ES256");

    // Userinfo releases the consented claims, and the release is in the citizen's access log.
    let access = t["access_token"].as_str().unwrap().to_string();
    let info: Value = w
        .http
        .get(format!("{}/oidc/userinfo", w.base))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["personal_id"], person.as_str());
    assert_eq!(info["sub"], id["sub"]);
    let name: String = sqlx::query("SELECT full_name FROM persons WHERE personal_id = $1")
        .bind(&person)
        .fetch_one(db.read())
        .await
        .unwrap()
        .get(0);
    assert_eq!(info["name"], name.as_str());
    assert!(info["birthdate_precision"].is_string());
    assert!(info["address"]["formatted"].is_string());
    w.running.ctx.access_log.flush().await;
    let actions = access_log_actions(&db, &person).await;
    assert!(
        actions.contains(&"oidc.sign_in".to_string()) && actions.contains(&"oidc.userinfo".to_string()),
        "{actions:?}"
    );

    // The same code again: refused, and the tokens it produced are revoked.
    let (s, body) = exchange(&w, &client_id, &secret, &code, &verifier).await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
    let r = w.http.get(format!("{}/oidc/userinfo", w.base)).bearer_auth(&access).send().await.unwrap();
    assert_eq!(r.status(), 401, "tokens from a replayed code must be revoked");

    // A new grant with offline_access for refresh, rotation, reuse detection, introspection and
    // revocation.
    let offline = scoped_authorize_url(&client_id, &challenge, "openid profile offline_access", "");
    let back = authorize(&mut b, &offline).await;
    let code = query_param(&back, "code").unwrap();
    let (_, t) = exchange(&w, &client_id, &secret, &code, &verifier).await;
    let r1 = t["refresh_token"].as_str().unwrap().to_string();
    let (s, t2) =
        token(&w.http, &w.base, &client_id, &secret, &[("grant_type", "refresh_token"), ("refresh_token", &r1)]).await;
    assert_eq!(s, 200);
    let r2 = t2["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    let introspect = |tok: String| {
        let http = w.http.clone();
        let url = format!("{}/oidc/introspect", w.base);
        let (id, sec) = (client_id.clone(), secret.clone());
        async move {
            http.post(url)
                .basic_auth(id, Some(sec))
                .form(&[("token", tok)])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let a2 = t2["access_token"].as_str().unwrap().to_string();
    let intro = introspect(a2.clone()).await;
    assert_eq!(intro["active"], true);
    assert_eq!(intro["acr"], oidc::ACR_LEVEL2);
    // Reusing the rotated refresh token revokes the grant.
    let (s, body) =
        token(&w.http, &w.base, &client_id, &secret, &[("grant_type", "refresh_token"), ("refresh_token", &r1)]).await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(introspect(a2).await["active"], false);
    assert_eq!(introspect(r2.clone()).await["active"], false);

    // Revocation (RFC 7009) of a live access token.
    let back = authorize(&mut b, &authorize_url(&client_id, &challenge, "")).await;
    let code = query_param(&back, "code").unwrap();
    let (_, t) = exchange(&w, &client_id, &secret, &code, &verifier).await;
    let a = t["access_token"].as_str().unwrap().to_string();
    let r = w
        .http
        .post(format!("{}/oidc/revoke", w.base))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("token", a.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(introspect(a).await["active"], false);

    // The citizen withdraws consent: the next authorization asks again.
    let html = b.get("/account/apps").await.text().await.unwrap();
    assert!(html.contains("Dịch vụ thử nghiệm mức 2"), "{html}");
    let r = b.post(&format!("/account/apps/{client_id}/revoke"), &[("csrf", hidden(&html, "csrf"))]).await;
    assert_eq!(r.status(), 303);
    let r = b.get(&authorize_url(&client_id, &challenge, "")).await;
    assert_eq!(r.status(), 200, "consent is asked again after withdrawal");
    // prompt=none cannot ask, so it says consent_required.
    let r = b.get(&authorize_url(&client_id, &challenge, "&prompt=none")).await;
    assert_eq!(query_param(&location(&r), "error").as_deref(), Some("consent_required"));
}

async fn protocol_errors_change_nothing(db: Db) {
    let w = common::world(db.clone(), 200, false).await;
    let (login1, _) = citizen(&db, 1, 1).await;
    let (client_id, secret) = client(&db, 1, "client_secret_basic").await;
    let secret = secret.unwrap();
    let (level2_client, _) = client(&db, 2, "client_secret_post").await;
    let (public_client, _) = client(&db, 1, "none").await;
    let verifier = "w".repeat(50);
    let challenge = oidc::pkce::challenge_of(&verifier);
    let mut b = Browser::new(&w.base);
    b.sign_in(&login1, common::PASSWORD).await;

    // Unregistered or extra redirect URI: shown to the user, never redirected.
    let bad = authorize_url(&client_id, &challenge, "").replace("127.0.0.1%3A9", "127.0.0.1%3A10");
    let r = b.get(&bad).await;
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 400, "{bad}\n{body}");
    let extra = authorize_url(&client_id, &challenge, "").replace("/cb&", "/cb/extra&");
    assert_eq!(b.get(&extra).await.status(), 400);

    // Public client without PKCE: error sent back to the client.
    let r = b
        .get(&format!(
            "/oidc/authorize?response_type=code&client_id={public_client}&redirect_uri={}&scope=openid&state=s",
            web::auth::urlencode(REDIRECT)
        ))
        .await;
    assert_eq!(query_param(&location(&r), "error").as_deref(), Some("invalid_request"));

    // A level-1 citizen at a level-2 client: an explanation page, never a code.
    let r = b.get(&authorize_url(&level2_client, &challenge, "")).await;
    assert_eq!(r.status(), 403);
    let html = r.text().await.unwrap();
    assert!(html.contains("mức độ 2") && html.contains("Công an cấp xã"), "{html}");
    let r = b.get(&authorize_url(&level2_client, &challenge, "&prompt=none")).await;
    assert_eq!(query_param(&location(&r), "error").as_deref(), Some("unmet_authentication_requirements"));
    // acr_values asking for level 2 at a level-1 client has the same effect.
    let ask2 = format!("&acr_values={}", web::auth::urlencode(oidc::ACR_LEVEL2));
    assert_eq!(b.get(&authorize_url(&client_id, &challenge, &ask2)).await.status(), 403);
    let codes: i64 = sqlx::query("SELECT COUNT(*) FROM oauth_codes").fetch_one(db.read()).await.unwrap().get(0);
    assert_eq!(codes, 0, "no code may be issued for refused requests");

    // Consent form without the session's CSRF token: refused, no code, no consent stored.
    let html = b.get(&authorize_url(&client_id, &challenge, "")).await.text().await.unwrap();
    let r = b
        .post(
            "/oidc/authorize/decision",
            &[
                ("csrf", "forged".into()),
                ("request", hidden(&html, "request")),
                ("decision", "allow".into()),
                ("remember", "on".into()),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    let consents: i64 = sqlx::query("SELECT COUNT(*) FROM oauth_consents").fetch_one(db.read()).await.unwrap().get(0);
    assert_eq!(consents, 0);

    let back = authorize(&mut b, &authorize_url(&client_id, &challenge, "")).await;
    let code = query_param(&back, "code").unwrap();
    // Wrong client secret: 401 invalid_client, and the code is still usable afterwards.
    let (s, body) = token(
        &w.http,
        &w.base,
        &client_id,
        "wrong-secret",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (401, Some("invalid_client")));
    // The registered method is the only one accepted.
    let r = w
        .http
        .post(format!("{}/oidc/token", w.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Redirect URI differing from the authorization request.
    let (s, body) = token(
        &w.http,
        &w.base,
        &client_id,
        &secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/other"),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));

    // Expired code.
    let back = authorize(&mut b, &authorize_url(&client_id, &challenge, "")).await;
    let code = query_param(&back, "code").unwrap();
    sqlx::query("UPDATE oauth_codes SET expires_at = 0 WHERE used_at IS NULL").execute(db.write()).await.unwrap();
    let (s, body) = exchange(&w, &client_id, &secret, &code, &verifier).await;
    assert_eq!(
        (s, body["error"].as_str(), body["error_description"].as_str()),
        (400, Some("invalid_grant"), Some("authorization code expired"))
    );
    let tokens: i64 = sqlx::query("SELECT COUNT(*) FROM oauth_tokens").fetch_one(db.read()).await.unwrap().get(0);
    assert_eq!(tokens, 0, "no token may be issued by any refused exchange");

    // Tampered and alg:none tokens are not accepted as ID token hints or bearer tokens.
    let r = w.http.get(format!("{}/oidc/userinfo", w.base)).bearer_auth("dat_forged").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("www-authenticate").unwrap().to_str().unwrap().contains("invalid_token"));
    let none_jwt = format!(
        "{}.{}.",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!(r#"{{"iss":"{}","aud":"{client_id}"}}"#, w.base))
    );
    let r = b
        .get(&format!(
            "/oidc/logout?id_token_hint={none_jwt}&post_logout_redirect_uri={}",
            web::auth::urlencode("http://127.0.0.1:9/bye")
        ))
        .await;
    assert_eq!(r.status(), 200, "an unsigned hint must not earn a redirect");
    assert!(location(&r).is_empty());

    // Discovery and keys.
    let d: Value =
        w.http.get(format!("{}/.well-known/openid-configuration", w.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(d["issuer"], w.base.as_str());
    assert_eq!(d["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    let jwks: Value = w.http.get(d["jwks_uri"].as_str().unwrap()).send().await.unwrap().json().await.unwrap();
    assert!(jwks["keys"].as_array().is_some_and(|k| !k.is_empty() && k.iter().all(|k| k.get("d").is_none())));
}

/// A stored code for `account`, as the authorization endpoint would issue it.
async fn issued_code(db: &Db, client_id: &str, account_id: &str, challenge: &str) -> String {
    let g = oidc::grants::CodeGrant {
        client_id: client_id.into(),
        account_id: account_id.into(),
        redirect_uri: REDIRECT.into(),
        scope: "openid profile offline_access".into(),
        nonce: None,
        code_challenge: Some(challenge.into()),
        acr: oidc::ACR_LEVEL1.into(),
        amr: "pwd".into(),
        auth_time: kernel::clock::now_ms(),
    };
    oidc::grants::issue_code(db, &g, kernel::clock::now_ms()).await.unwrap()
}

/// Exchanges sent at the same moment are redeemed together: each good code gets its own tokens,
/// a code sent three times at once is redeemed once and its tokens are then revoked, a wrong PKCE
/// verifier spends only its own code, and a suspended holder gets nothing.
async fn concurrent_exchanges_are_redeemed_together(db: Db) {
    let w = common::world(db.clone(), 100, false).await;
    let (login, _) = citizen(&db, 1, 1).await;
    let (suspended_login, _) = citizen(&db, 2, 1).await;
    let account = identity::find_by_login(&db, &login).await.unwrap().unwrap().0;
    let suspended = identity::find_by_login(&db, &suspended_login).await.unwrap().unwrap().0;
    sqlx::query("UPDATE accounts SET status = 'suspended' WHERE id = $1")
        .bind(&suspended.id)
        .execute(db.write())
        .await
        .unwrap();
    let (client_id, secret) = client(&db, 1, "client_secret_basic").await;
    let secret = secret.unwrap();
    let verifier = "v".repeat(48);
    let challenge = oidc::pkce::challenge_of(&verifier);
    let mut good = Vec::new();
    for _ in 0..40 {
        good.push(issued_code(&db, &client_id, &account.id, &challenge).await);
    }
    let tripled = issued_code(&db, &client_id, &account.id, &challenge).await;
    let bad_pkce = issued_code(&db, &client_id, &account.id, &challenge).await;
    let of_suspended = issued_code(&db, &client_id, &suspended.id, &challenge).await;

    let mut sent: Vec<(&str, String)> = good.iter().map(|c| ("good", c.clone())).collect();
    sent.extend([("tripled", tripled.clone()), ("tripled", tripled.clone()), ("tripled", tripled.clone())]);
    sent.extend([("bad_pkce", bad_pkce.clone()), ("suspended", of_suspended.clone())]);
    let calls = sent.iter().map(|(kind, code)| {
        let v = if *kind == "bad_pkce" { "x".repeat(48) } else { verifier.clone() };
        let (w, client_id, secret) = (&w, &client_id, &secret);
        async move { (*kind, exchange(w, client_id, secret, code, &v).await) }
    });
    let answers = futures::future::join_all(calls).await;

    let mut access = std::collections::HashSet::new();
    let mut tripled_ok = Vec::new();
    let mut tripled_refused = 0;
    for (kind, (status, body)) in &answers {
        match *kind {
            "good" => {
                assert_eq!(*status, 200, "{body}");
                assert!(access.insert(body["access_token"].as_str().unwrap().to_string()), "tokens must differ");
                assert!(body["refresh_token"].is_string() && body["id_token"].is_string());
            }
            "tripled" if *status == 200 => tripled_ok.push(body["access_token"].as_str().unwrap().to_string()),
            "tripled" => {
                assert_eq!(body["error"], "invalid_grant");
                assert!(body["error_description"].as_str().unwrap().contains("already used"), "{body}");
                tripled_refused += 1;
            }
            "bad_pkce" => {
                assert_eq!((status, body["error_description"].as_str()), (&400, Some("PKCE verification failed")))
            }
            _ => assert_eq!(
                (status, body["error_description"].as_str()),
                (&400, Some("the account can no longer sign in"))
            ),
        }
    }
    assert_eq!((tripled_ok.len(), tripled_refused), (1, 2), "a code is redeemed once");
    let userinfo = |t: String| {
        let w = &w;
        async move { w.http.get(format!("{}/oidc/userinfo", w.base)).bearer_auth(t).send().await.unwrap().status() }
    };
    assert_eq!(userinfo(tripled_ok[0].clone()).await, 401, "the reused code's tokens are revoked");
    assert_eq!(userinfo(access.iter().next().unwrap().clone()).await, 200);
    // The failed verifier spent its code: the right one no longer helps.
    let (s, body) = exchange(&w, &client_id, &secret, &bad_pkce, &verifier).await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
    let tokens: i64 = sqlx::query("SELECT COUNT(*) FROM oauth_tokens").fetch_one(db.read()).await.unwrap().get(0);
    assert_eq!(tokens, 2 * 41, "an access and a refresh token for each redeemed code, nothing for the refused ones");
    let unused: i64 = sqlx::query("SELECT COUNT(*) FROM oauth_codes WHERE used_at IS NULL")
        .fetch_one(db.read())
        .await
        .unwrap()
        .get(0);
    assert_eq!(unused, 0, "every presented code is spent");
}

/// Refreshes a token, optionally asking for a scope.
async fn refresh(
    w: &common::World,
    client_id: &str,
    secret: &str,
    refresh_token: &str,
    scope: Option<&str>,
) -> (u16, Value) {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
    form.extend(scope.map(|s| ("scope", s)));
    token(&w.http, &w.base, client_id, secret, &form).await
}

/// Refresh requests sent at the same moment are rotated together: each live token gets its own
/// new pair, a token sent three times at once is rotated once and its grant is then revoked, a
/// wider scope is refused and leaves its token usable, and a suspended holder's grant is revoked,
/// none of it touching the other rotations.
async fn concurrent_refreshes_are_rotated_together(db: Db) {
    let w = common::world(db.clone(), 100, false).await;
    let (login, _) = citizen(&db, 1, 1).await;
    let (suspended_login, _) = citizen(&db, 2, 1).await;
    let account = identity::find_by_login(&db, &login).await.unwrap().unwrap().0;
    let suspended = identity::find_by_login(&db, &suspended_login).await.unwrap().unwrap().0;
    let (client_id, secret) = client(&db, 1, "client_secret_basic").await;
    let secret = secret.unwrap();
    let verifier = "v".repeat(48);
    let challenge = oidc::pkce::challenge_of(&verifier);
    // Each grant: (access token, refresh token) from an exchanged code.
    let grant = |holder: String| {
        let (w, db, client_id, secret, challenge, verifier) = (&w, &db, &client_id, &secret, &challenge, &verifier);
        async move {
            let code = issued_code(db, client_id, &holder, challenge).await;
            let (s, t) = exchange(w, client_id, secret, &code, verifier).await;
            assert_eq!(s, 200, "{t}");
            (t["access_token"].as_str().unwrap().to_string(), t["refresh_token"].as_str().unwrap().to_string())
        }
    };
    let mut good = Vec::new();
    for _ in 0..40 {
        good.push(grant(account.id.clone()).await.1);
    }
    let (_, tripled) = grant(account.id.clone()).await;
    let (_, wider) = grant(account.id.clone()).await;
    let (suspended_access, of_suspended) = grant(suspended.id.clone()).await;
    sqlx::query("UPDATE accounts SET status = 'suspended' WHERE id = $1")
        .bind(&suspended.id)
        .execute(db.write())
        .await
        .unwrap();

    let mut sent: Vec<(&str, &str, Option<&str>)> = good.iter().map(|t| ("good", t.as_str(), None)).collect();
    sent.extend([("tripled", tripled.as_str(), None); 3]);
    sent.extend([("wider", wider.as_str(), Some("openid phone")), ("suspended", of_suspended.as_str(), None)]);
    let calls = sent.iter().map(|&(kind, t, scope)| {
        let (w, client_id, secret) = (&w, &client_id, &secret);
        async move { (kind, t, refresh(w, client_id, secret, t, scope).await) }
    });
    let answers = futures::future::join_all(calls).await;

    let mut fresh = std::collections::HashSet::new();
    let mut tripled_ok = Vec::new();
    let mut tripled_refused = 0;
    for (kind, old, (status, body)) in &answers {
        match *kind {
            "good" => {
                assert_eq!(*status, 200, "{body}");
                let new = body["refresh_token"].as_str().unwrap();
                assert_ne!(new, *old);
                assert!(fresh.insert(new.to_string()), "every rotation gets its own token");
                assert!(fresh.insert(body["access_token"].as_str().unwrap().to_string()));
                assert_eq!(body["scope"], "openid profile offline_access");
            }
            "tripled" if *status == 200 => tripled_ok.push(body["access_token"].as_str().unwrap().to_string()),
            "tripled" => {
                assert_eq!(body["error"], "invalid_grant");
                assert!(body["error_description"].as_str().unwrap().contains("already used"), "{body}");
                tripled_refused += 1;
            }
            "wider" => assert_eq!((*status, body["error"].as_str()), (400, Some("invalid_scope"))),
            _ => assert_eq!(
                (*status, body["error_description"].as_str()),
                (400, Some("the account can no longer sign in"))
            ),
        }
    }
    assert_eq!((tripled_ok.len(), tripled_refused), (1, 2), "a refresh token is rotated once");
    let active = |t: String| {
        let (w, client_id, secret) = (&w, &client_id, &secret);
        async move {
            let r = w.http.post(format!("{}/oidc/introspect", w.base)).basic_auth(client_id, Some(secret));
            let v: Value = r.form(&[("token", t)]).send().await.unwrap().json().await.unwrap();
            v["active"].as_bool().unwrap()
        }
    };
    assert!(!active(tripled_ok[0].clone()).await, "the reused token's grant is revoked, new pair included");
    assert!(!active(suspended_access).await, "a suspended holder's grant is revoked");
    for t in fresh.iter().take(4) {
        assert!(active(t.clone()).await, "the other rotations are untouched");
    }
    // The refused scope left its token unspent: it still rotates, with the original scope.
    let (s, body) = refresh(&w, &client_id, &secret, &wider, None).await;
    assert_eq!((s, body["scope"].as_str()), (200, Some("openid profile offline_access")), "{body}");
    let rotated: i64 =
        sqlx::query("SELECT COUNT(*) FROM oauth_tokens WHERE kind = 'refresh' AND rotated_at IS NOT NULL")
            .fetch_one(db.read())
            .await
            .unwrap()
            .get(0);
    assert_eq!(rotated, 40 + 1 + 1 + 1, "good, tripled once, wider afterwards, and the suspended holder's token");
    let tokens: i64 = sqlx::query("SELECT COUNT(*) FROM oauth_tokens").fetch_one(db.read()).await.unwrap().get(0);
    assert_eq!(tokens, 2 * 43 + 2 * 42, "a pair per exchange and per successful rotation, nothing for refusals");
}

async fn client_credentials_for_an_organization(db: Db) {
    let w = common::world(db.clone(), 100, false).await;
    let (c, secret) = oidc::clients::register(
        &db,
        oidc::NewClient {
            name: "Phần mềm quản lý khách sạn".into(),
            auth_method: "client_secret_post".into(),
            allowed_scopes: vec!["verify".into(), "lodging".into()],
            grant_types: vec!["client_credentials".into()],
            min_level: 1,
            organization_id: Some("org-1".into()),
            ..Default::default()
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    let secret = secret.unwrap();
    let post = |form: Vec<(&'static str, String)>| w.http.post(format!("{}/oidc/token", w.base)).form(&form).send();
    let base_form = || {
        vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_id", c.id.clone()),
            ("client_secret", secret.clone()),
        ]
    };
    let mut f = base_form();
    f.push(("scope", "verify".into()));
    let t: Value = post(f).await.unwrap().json().await.unwrap();
    assert_eq!(t["scope"], "verify");
    // The token identifies the organization, limited to its scope.
    let (s, me) = w.get(t["access_token"].as_str().unwrap(), "/api/v1/me").await;
    assert_eq!(s, 200);
    assert_eq!(me["role"], "org_staff");
    assert_eq!(me["jurisdiction"]["code"], "org-1");
    // A scope the client was not given.
    let mut f = base_form();
    f.push(("scope", "verify services".into()));
    let r = post(f).await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_scope");
    // The authorization code grant is not allowed for this client.
    let mut f = base_form();
    f[0].1 = "authorization_code".into();
    assert_eq!(post(f).await.unwrap().json::<Value>().await.unwrap()["error"], "unauthorized_client");
    // Disabled clients lose their tokens at once.
    oidc::clients::disable(&db, &c.id, kernel::clock::now_ms()).await.unwrap();
    let (s, _) = w.get(t["access_token"].as_str().unwrap(), "/api/v1/me").await;
    assert_eq!(s, 401);
}

/// docs/SERVICES.md: an e-ID app registered as a public client gets, through sign-in, consent and
/// PKCE, a token of scope `services` with which it files and reads the applications of the
/// citizen who signed in, and nothing else of theirs; an organization's client-credentials token
/// never gets that scope.
async fn an_app_files_applications_for_the_citizen_who_delegated(db: Db) {
    let w = common::world(db.clone(), 300, false).await;
    let (login, person) = citizen(&db, 5, 2).await;
    let (other_login, _) = citizen(&db, 6, 2).await;
    let (app, _) = oidc::clients::register(
        &db,
        oidc::NewClient {
            name: "Ứng dụng định danh thử nghiệm".into(),
            auth_method: "none".into(),
            redirect_uris: vec![REDIRECT.into()],
            allowed_scopes: ["openid", "services"].map(String::from).to_vec(),
            grant_types: vec!["authorization_code".into()],
            min_level: 1,
            ..Default::default()
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    let verifier = "e".repeat(43) + "-app";
    let challenge = oidc::pkce::challenge_of(&verifier);
    let mut b = Browser::new(&w.base);
    b.sign_in(&login, common::PASSWORD).await;
    let back = authorize(&mut b, &scoped_authorize_url(&app.id, &challenge, "openid services", "")).await;
    let code = query_param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", app.id.as_str()),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", &verifier),
    ];
    let t: Value =
        w.http.post(format!("{}/oidc/token", w.base)).form(&form).send().await.unwrap().json().await.unwrap();
    assert_eq!(t["scope"], "openid services", "{t}");
    let token = t["access_token"].as_str().unwrap();

    // The other citizen files an application with their own personal token.
    let (other, _, _) = identity::find_by_login(&db, &other_login).await.unwrap().unwrap();
    let (_, other_token) = identity::issue_token(&db, &other.id, "test", kernel::clock::now_ms()).await.unwrap();
    let until = (kernel::clock::today_vn() + chrono::Duration::days(180)).format("%Y-%m-%d").to_string();
    let body = serde_json::json!({"procedure": "temporary_residence", "submit": true, "answers": {
        "commune": w.commune, "address": "Số 5, tổ dân phố 3", "until": until, "reason": "work"}});
    let (s, theirs) = w.send(reqwest::Method::POST, &other_token, "/api/v1/services/applications", body.clone()).await;
    assert_eq!(s, 200, "{theirs}");

    // The app files for the citizen who delegated, and sees only their applications.
    let (s, filed) = w.send(reqwest::Method::POST, token, "/api/v1/services/applications", body).await;
    assert_eq!(s, 200, "{filed}");
    let (s, mine) = w.get(token, "/api/v1/services/applications/mine").await;
    assert_eq!(s, 200, "{mine}");
    let ids: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [filed["id"].as_str().unwrap()]);
    let applicant: String = sqlx::query("SELECT applicant_person_id FROM svc_applications WHERE id = $1")
        .bind(filed["id"].as_str().unwrap())
        .fetch_one(db.read())
        .await
        .unwrap()
        .get(0);
    assert_eq!(applicant, person);
    let (s, _) = w.get(token, &format!("/api/v1/services/applications/{}", theirs["id"].as_str().unwrap())).await;
    assert!(s == 403 || s == 404, "another citizen's application answered {s}");

    // Nothing else of the citizen's: not even their account.
    let (s, e) = w.get(token, "/api/v1/me").await;
    assert_eq!(s, 403, "{e}");
    // A sign-in token without the scope does not reach the services API.
    let verifier2 = "f".repeat(43) + "-app";
    let back =
        authorize(&mut b, &scoped_authorize_url(&app.id, &oidc::pkce::challenge_of(&verifier2), "openid", "")).await;
    let code = query_param(&back, "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", app.id.as_str()),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", &verifier2),
    ];
    let plain: Value =
        w.http.post(format!("{}/oidc/token", w.base)).form(&form).send().await.unwrap().json().await.unwrap();
    let (s, _) = w.get(plain["access_token"].as_str().unwrap(), "/api/v1/services/applications/mine").await;
    assert_eq!(s, 401);

    // An organization's system may hold `services` among its allowed scopes, yet client
    // credentials never grant it: it acts as the organization, not as a citizen.
    let (org_client, secret) = oidc::clients::register(
        &db,
        oidc::NewClient {
            name: "Hệ thống của tổ chức".into(),
            auth_method: "client_secret_post".into(),
            allowed_scopes: vec!["verify".into(), "services".into()],
            grant_types: vec!["client_credentials".into()],
            min_level: 1,
            organization_id: Some("org-1".into()),
            ..Default::default()
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    let secret = secret.unwrap();
    let cc = |scope: Option<&'static str>| {
        let mut f = vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_id", org_client.id.clone()),
            ("client_secret", secret.clone()),
        ];
        if let Some(scope) = scope {
            f.push(("scope", scope.to_string()));
        }
        w.http.post(format!("{}/oidc/token", w.base)).form(&f).send()
    };
    let r = cc(Some("services")).await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_scope");
    let t: Value = cc(None).await.unwrap().json().await.unwrap();
    assert_eq!(t["scope"], "verify");
    let (s, _) = w.get(t["access_token"].as_str().unwrap(), "/api/v1/services/applications/mine").await;
    assert_eq!(s, 403);
}

/// Directory with the Python packages of the third-party relying party, installed on first use.
fn python_deps() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("pydeps");
    let has = std::process::Command::new("python3")
        .args(["-c", "import authlib, requests, cryptography"])
        .env("PYTHONPATH", &dir)
        .status()
        .is_ok_and(|s| s.success());
    if !has {
        let status = std::process::Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target"])
            .arg(&dir)
            .args(["authlib==1.3.2", "requests", "cryptography"])
            .status()
            .expect("python3 with pip is needed for the third-party relying-party test");
        assert!(status.success(), "installing authlib failed");
    }
    dir
}

async fn third_party_relying_party_completes_the_flow(db: Db) {
    let deps = python_deps();
    let w = common::world(db.clone(), 150, false).await;
    let (login, person) = citizen(&db, 5, 2).await;
    let (client_id, secret) = client(&db, 1, "client_secret_basic").await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rp/authlib_rp.py");
    let args = [w.base.clone(), client_id, secret.unwrap(), REDIRECT.into(), login, common::PASSWORD.into()];
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3").arg(script).args(args).env("PYTHONPATH", &deps).output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(out.status.success(), "authlib relying party failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["alg"], "ES256");
    assert_eq!(seen["acr"], oidc::ACR_LEVEL2);
    assert_eq!(seen["personal_id"], person.as_str());
    assert_eq!(seen["userinfo_after_revoke"], 401);
    // The services scope, granted through sign-in and consent: the citizen's applications (none
    // yet) through the services API, and no other API.
    assert!(seen["scope"].as_str().unwrap().split(' ').any(|s| s == "services"), "{seen}");
    assert_eq!((seen["services_mine"].as_i64(), seen["services_items"].as_i64()), (Some(200), Some(0)), "{seen}");
    assert_eq!(seen["me"], 403);
}

/// Refresh tokens only with `offline_access` (OpenID Connect Core 1.0 §11), which only the consent
/// screen grants: without it a client registered for the refresh grant still gets none, a
/// remembered choice does not cover it, `prompt=none` leaves it out, and a refresh token of a grant
/// without it (issued before the rule) is refused with its grant revoked.
async fn refresh_tokens_need_offline_access(db: Db) {
    let w = common::world(db.clone(), 100, false).await;
    let (login, _) = citizen(&db, 1, 1).await;
    let (client_id, secret) = client(&db, 1, "client_secret_basic").await;
    let secret = secret.unwrap();
    let verifier = "o".repeat(48);
    let challenge = oidc::pkce::challenge_of(&verifier);
    let mut b = Browser::new(&w.base);
    b.sign_in(&login, common::PASSWORD).await;
    let refresh_rows = || async {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM oauth_tokens WHERE kind = 'refresh'")
            .fetch_one(db.read())
            .await
            .unwrap()
            .get(0);
        n
    };

    // openid profile: an access token and an ID token, no refresh token.
    let online = scoped_authorize_url(&client_id, &challenge, "openid profile", "");
    let back = authorize(&mut b, &online).await;
    let (s, t) = exchange(&w, &client_id, &secret, &query_param(&back, "code").unwrap(), &verifier).await;
    assert_eq!(s, 200, "{t}");
    assert!(t["access_token"].is_string() && t["id_token"].is_string(), "{t}");
    assert!(t.get("refresh_token").is_none(), "no offline_access, no refresh token: {t}");
    assert_eq!(refresh_rows().await, 0);

    // offline_access: the consent screen says so in both languages, although openid profile is
    // remembered, and the grant then has a refresh token.
    let offline = scoped_authorize_url(&client_id, &challenge, "openid profile offline_access", "");
    let r = b.get(&offline).await;
    assert_eq!(r.status(), 200, "offline_access needs the consent screen");
    let html = r.text().await.unwrap();
    assert!(html.contains("Duy trì truy cập khi bạn không trực tuyến"), "{html}");
    let en = b.twin().get(&format!("{offline}&lang=en")).await.text().await.unwrap();
    assert!(en.contains("Keep access while you are offline"), "{en}");
    let back = authorize(&mut b, &offline).await;
    let (s, t) = exchange(&w, &client_id, &secret, &query_param(&back, "code").unwrap(), &verifier).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["scope"], "openid profile offline_access");
    let refresh_token = t["refresh_token"].as_str().expect("offline_access brings a refresh token").to_string();
    let (s, rotated) = refresh(&w, &client_id, &secret, &refresh_token, None).await;
    assert_eq!(s, 200, "{rotated}");
    assert!(rotated["refresh_token"].is_string());
    // Narrowing offline_access away on refresh leaves an access token alone.
    let (s, narrowed) =
        refresh(&w, &client_id, &secret, rotated["refresh_token"].as_str().unwrap(), Some("openid")).await;
    assert_eq!((s, narrowed["scope"].as_str()), (200, Some("openid")), "{narrowed}");
    assert!(narrowed.get("refresh_token").is_none(), "{narrowed}");

    // Remembered, offline_access still shows the screen; prompt=none cannot, so the code comes
    // without it.
    assert_eq!(b.get(&offline).await.status(), 200, "a remembered choice does not cover offline_access");
    let r = b.get(&format!("{offline}&prompt=none")).await;
    let back = location(&r);
    assert!(back.starts_with(REDIRECT), "{back}");
    let (s, t) = exchange(&w, &client_id, &secret, &query_param(&back, "code").unwrap(), &verifier).await;
    assert_eq!((s, t["scope"].as_str()), (200, Some("openid profile")), "{t}");
    assert!(t.get("refresh_token").is_none(), "{t}");

    // A refresh token of a grant without offline_access, as issued before this rule.
    let account = identity::find_by_login(&db, &login).await.unwrap().unwrap().0;
    let spec = oidc::grants::TokenSpec {
        client_id: &client_id,
        account_id: Some(&account.id),
        scope: "openid profile",
        acr: Some(oidc::ACR_LEVEL1),
        auth_time: Some(kernel::clock::now_ms()),
        grant_id: "legacy-grant",
        with_refresh: true,
    };
    let mut conn = db.write().acquire().await.unwrap();
    let legacy = oidc::grants::issue_tokens(&mut conn, &spec, kernel::clock::now_ms()).await.unwrap();
    drop(conn);
    let (s, body) = refresh(&w, &client_id, &secret, legacy.refresh_token.as_deref().unwrap(), None).await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("offline_access"), "{body}");
    let r = w.http.get(format!("{}/oidc/userinfo", w.base)).bearer_auth(&legacy.access_token).send().await.unwrap();
    assert_eq!(r.status(), 401, "the legacy grant is revoked");

    let d: Value =
        w.http.get(format!("{}/.well-known/openid-configuration", w.base)).send().await.unwrap().json().await.unwrap();
    assert!(d["scopes_supported"].as_array().unwrap().iter().any(|s| s == "offline_access"), "{d}");
}

/// `max_age=0` asks for a sign-in made for this very request: the sign-in it sends the user to
/// answers it once (the ID token's `auth_time` is that sign-in's), while an earlier session, a
/// forged mark, or a mark taken from another request do not.
async fn max_age_zero_accepts_the_fresh_sign_in(db: Db) {
    let w = common::world(db.clone(), 100, false).await;
    let (login, _) = citizen(&db, 1, 1).await;
    let (client_id, secret) = client(&db, 1, "client_secret_basic").await;
    let secret = secret.unwrap();
    let verifier = "m".repeat(48);
    let challenge = oidc::pkce::challenge_of(&verifier);
    let mut b = Browser::new(&w.base);
    b.sign_in(&login, common::PASSWORD).await;
    let age_sessions = || async {
        sqlx::query("UPDATE sessions SET created_at = created_at - 3600000").execute(db.write()).await.unwrap();
    };
    age_sessions().await;

    let started = kernel::clock::now_ms();
    let r = b.get(&authorize_url(&client_id, &challenge, "&max_age=0")).await;
    assert_eq!(r.status(), 303);
    let login_url = location(&r);
    assert!(login_url.starts_with("/login?force=1&"), "an hour-old session is too old: {login_url}");
    let next = b.sign_in_at(&login_url, &login, common::PASSWORD).await;
    assert!(next.starts_with("/oidc/authorize?"), "{next}");
    let back = authorize(&mut b, &next).await;
    assert!(back.starts_with(REDIRECT), "the sign-in just made must answer max_age=0, not ask again: {back}");
    assert_eq!(query_param(&back, "state").as_deref(), Some("st-1"));
    let (s, t) = exchange(&w, &client_id, &secret, &query_param(&back, "code").unwrap(), &verifier).await;
    assert_eq!(s, 200, "{t}");
    let auth_time = jwt_payload(t["id_token"].as_str().unwrap())["auth_time"].as_i64().unwrap();
    assert!(auth_time >= started / 1000, "auth_time {auth_time} is the fresh sign-in's (request at {started} ms)");

    // A session from before the request does not pass with the request's own mark, a forged mark,
    // or the mark of another request.
    age_sessions().await;
    let asks_sign_in = |r: &reqwest::Response| r.status() == 303 && location(r).starts_with("/login?force=1&");
    let r = b.get(&next).await;
    assert!(asks_sign_in(&r), "{}", location(&r));
    let forged = authorize_url(&client_id, &challenge, "&max_age=0&_fresh=0");
    let r = b.get(&forged).await;
    assert!(asks_sign_in(&r), "{}", location(&r));
    let mark = query_param(&next, "_fresh").unwrap();
    let moved = format!(
        "{}&_fresh={}",
        authorize_url(&client_id, &challenge, "&max_age=0").replace("state=st-1", "state=st-2"),
        web::auth::urlencode(&mark)
    );
    let r = b.get(&moved).await;
    assert!(asks_sign_in(&r), "{}", location(&r));

    // A pushed request with prompt=login cannot be resumed with a forged mark either.
    let r = w
        .http
        .post(format!("{}/oidc/par", w.base))
        .basic_auth(&client_id, Some(&secret))
        .form(&[
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid profile"),
            ("state", "st-par"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("prompt", "login"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let request_uri = r.json::<Value>().await.unwrap()["request_uri"].as_str().unwrap().to_string();
    let pushed = format!("/oidc/authorize?client_id={client_id}&request_uri={}", web::auth::urlencode(&request_uri));
    let r = b.get(&format!("{pushed}&_fresh=0")).await;
    assert!(asks_sign_in(&r), "prompt=login of a pushed request: {}", location(&r));
    // Its genuine hand-off works: sign in, and the code comes back.
    let next = b.sign_in_at(&location(&r), &login, common::PASSWORD).await;
    let back = authorize(&mut b, &next).await;
    assert!(back.starts_with(REDIRECT) && query_param(&back, "code").is_some(), "{back}");
    assert_eq!(query_param(&back, "state").as_deref(), Some("st-par"));
}

/// RP-initiated logout without an ID token hint for the signed-in account asks first: the session
/// ends only on the confirmation form's POST with the session's CSRF token. With a hint for the
/// current account it ends at once and returns to the client's registered address.
async fn logout_without_a_hint_asks_first(db: Db) {
    let w = common::world(db.clone(), 100, false).await;
    let (login, _) = citizen(&db, 1, 1).await;
    let (other_login, _) = citizen(&db, 2, 1).await;
    let (client_id, secret) = client(&db, 1, "client_secret_basic").await;
    let secret = secret.unwrap();
    let verifier = "l".repeat(48);
    let challenge = oidc::pkce::challenge_of(&verifier);
    let bye = web::auth::urlencode("http://127.0.0.1:9/bye");
    let mut b = Browser::new(&w.base);
    b.sign_in(&login, common::PASSWORD).await;
    assert!(b.signed_in().await);

    // A bare link (what any site can send a browser to): a question, the session goes on.
    let r = b.get(&format!("/oidc/logout?post_logout_redirect_uri={bye}&state=s1")).await;
    assert_eq!(r.status(), 200);
    assert!(location(&r).is_empty());
    let html = r.text().await.unwrap();
    assert!(html.contains("Đăng xuất khỏi tài khoản định danh điện tử?"), "{html}");
    assert!(html.contains("action=\"/oidc/logout\""), "{html}");
    let en = b.twin().get("/oidc/logout?lang=en").await.text().await.unwrap();
    assert!(en.contains("Sign out of your e-ID account?"), "{en}");
    assert!(b.signed_in().await, "a GET without a hint must not end the session");
    // The confirmation without the session's token is refused.
    let r = b.post("/oidc/logout", &[("csrf", "forged".into())]).await;
    assert_eq!(r.status(), 403);
    assert!(b.signed_in().await);
    // Confirmed: signed out; without a hint, no way back to the client.
    let r = b
        .post(
            "/oidc/logout",
            &[
                ("csrf", hidden(&html, "csrf")),
                ("post_logout_redirect_uri", hidden(&html, "post_logout_redirect_uri")),
                ("state", hidden(&html, "state")),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(location(&r).is_empty());
    assert!(!b.signed_in().await, "the confirmed logout ends the session");

    // An ID token for the signed-in account: the session ends at once, back to the client.
    b.sign_in(&login, common::PASSWORD).await;
    let back = authorize(&mut b, &authorize_url(&client_id, &challenge, "")).await;
    let (_, t) = exchange(&w, &client_id, &secret, &query_param(&back, "code").unwrap(), &verifier).await;
    let id_token = t["id_token"].as_str().unwrap().to_string();
    let with_hint = format!("/oidc/logout?id_token_hint={id_token}&post_logout_redirect_uri={bye}&state=s2");
    let r = b.get(&with_hint).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "http://127.0.0.1:9/bye?state=s2".to_string()));
    assert!(!b.signed_in().await);

    // The same ID token while another account is signed in: asked first; confirmed, back to the
    // client (the hint proves the client).
    let mut other = Browser::new(&w.base);
    other.sign_in(&other_login, common::PASSWORD).await;
    let r = other.get(&with_hint).await;
    assert_eq!(r.status(), 200, "a hint for another account must not end this session");
    let html = r.text().await.unwrap();
    assert!(html.contains("Dịch vụ thử nghiệm mức 1"), "the client that asks is named: {html}");
    assert!(other.signed_in().await);
    let form: Vec<(&str, String)> =
        ["csrf", "id_token_hint", "post_logout_redirect_uri", "state"].iter().map(|n| (*n, hidden(&html, n))).collect();
    let r = other.post("/oidc/logout", &form).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "http://127.0.0.1:9/bye?state=s2".to_string()));
    assert!(!other.signed_in().await);
}

/// `private_key_jwt` assertions live ten minutes at most; request objects, by value or by
/// reference, are refused with their OpenID Connect errors (sent back to the client when its
/// redirect URI is registered), and discovery says they are not supported.
async fn client_assertions_and_request_objects(db: Db) {
    let w = common::world(db.clone(), 100, false).await;
    // The client's own key pair, kept apart from the platform's.
    let client_keys = db::testing::TestDb::sqlite(&db::MigrationSet::new().with(keys::MIGRATIONS)).await;
    keys::ensure_key(client_keys.db(), keys::KeyAlg::Es256, kernel::clock::now_ms()).await.unwrap();
    let ring = keys::KeyRing::load(client_keys.db(), kernel::clock::now_ms).await.unwrap();
    let (c, _) = oidc::clients::register(
        &db,
        oidc::NewClient {
            name: "Hệ thống bệnh viện".into(),
            auth_method: "private_key_jwt".into(),
            jwks: Some(ring.jwks().to_string()),
            redirect_uris: vec![REDIRECT.into()],
            allowed_scopes: vec!["openid".into()],
            grant_types: vec!["authorization_code".into()],
            min_level: 1,
            ..Default::default()
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    let assertion = |iat: Option<i64>, lifetime_s: i64, jti: &str| {
        let now_s = kernel::clock::now_ms() / 1000;
        let mut claims = serde_json::json!({
            "iss": c.id, "sub": c.id, "aud": format!("{}/oidc/token", w.base), "jti": jti,
            "exp": iat.unwrap_or(now_s) + lifetime_s,
        });
        if let Some(iat) = iat {
            claims["iat"] = iat.into();
        }
        ring.sign(&claims).unwrap()
    };
    let present = |a: String| {
        let w = &w;
        async move {
            let r = w
                .http
                .post(format!("{}/oidc/token", w.base))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", "no-such-code"),
                    ("redirect_uri", REDIRECT),
                    ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                    ("client_assertion", a.as_str()),
                ])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let stored = || async {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM oauth_assertions").fetch_one(db.read()).await.unwrap().get(0);
        n
    };
    let now_s = kernel::clock::now_ms() / 1000;
    let (s, body) = present(assertion(Some(now_s), 3_600, "hour")).await;
    assert_eq!((s, body["error"].as_str()), (401, Some("invalid_client")), "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("exceeds 10 minutes"), "{body}");
    let (s, body) = present(assertion(None, 3_600, "hour-without-iat")).await;
    assert_eq!((s, body["error"].as_str()), (401, Some("invalid_client")), "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("10 minutes"), "{body}");
    assert_eq!(stored().await, 0, "a refused assertion's jti is not kept");
    // Five minutes, with or without iat: the client is authenticated and the request goes on to
    // the grant (whose code does not exist).
    let (s, body) = present(assertion(Some(now_s), 300, "five")).await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    let (s, body) = present(assertion(None, 300, "five-without-iat")).await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    assert_eq!(stored().await, 2);

    // Request objects.
    let base = format!(
        "/oidc/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=st-r",
        c.id,
        web::auth::urlencode(REDIRECT)
    );
    let mut b = Browser::new(&w.base);
    let r = b.get(&format!("{base}&request=eyJhbGciOiJub25lIn0.e30.")).await;
    let loc = location(&r);
    assert!(loc.starts_with(REDIRECT), "{loc}");
    assert_eq!(query_param(&loc, "error").as_deref(), Some("request_not_supported"));
    assert_eq!(query_param(&loc, "state").as_deref(), Some("st-r"));
    let by_reference = web::auth::urlencode("https://rp.example/request.jwt");
    let r = b.get(&format!("{base}&request_uri={by_reference}")).await;
    let loc = location(&r);
    assert_eq!(query_param(&loc, "error").as_deref(), Some("request_uri_not_supported"), "{loc}");
    assert_eq!(query_param(&loc, "state").as_deref(), Some("st-r"));
    // With a redirect URI that is not registered the error is shown, never redirected.
    let unregistered = base.replace("127.0.0.1%3A9", "127.0.0.1%3A10");
    let r = b.get(&format!("{unregistered}&request=eyJhbGciOiJub25lIn0.e30.")).await;
    assert_eq!((r.status().as_u16(), location(&r)), (400, String::new()));
    let codes: i64 = sqlx::query("SELECT COUNT(*) FROM oauth_codes").fetch_one(db.read()).await.unwrap().get(0);
    assert_eq!(codes, 0);

    let d: Value =
        w.http.get(format!("{}/.well-known/openid-configuration", w.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(d["request_parameter_supported"], false);
    assert_eq!(d["request_uri_parameter_supported"], false);
}

db::dual_tests!(crate::common::migrations();
    code_flow_consent_refresh_and_revocation,
    protocol_errors_change_nothing,
    concurrent_exchanges_are_redeemed_together,
    concurrent_refreshes_are_rotated_together,
    client_credentials_for_an_organization,
    an_app_files_applications_for_the_citizen_who_delegated,
    third_party_relying_party_completes_the_flow,
    refresh_tokens_need_offline_access,
    max_age_zero_accepts_the_fresh_sign_in,
    logout_without_a_hint_asks_first,
    client_assertions_and_request_objects
);
