//! Passkeys over HTTP on both backends, with a software authenticator (`webauthn-authenticator-rs`'
//! `SoftPasskey`, which performs the browser's and the authenticator's checks): registration from
//! the account page, sign-in, replays, tampered challenges, decoy options for accounts without
//! passkeys, CSRF, account states and removal.

use crate::common;

use common::{cookie_value, hidden, World};
use db::sqlx::{self, Row};
use reqwest::header::COOKIE;
use serde_json::{json, Value};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};

const FORM: &str = "__Host-dancu_login";
const SESSION: &str = "__Host-dancu_session";

/// The origin the browser would be at: the server's loopback address written `localhost`.
fn origin(w: &World) -> Url {
    Url::parse(&w.base.replace("127.0.0.1", "localhost")).unwrap()
}

/// A password session and its CSRF token.
async fn session_of(w: &World, login: &str) -> (String, String) {
    let sign_in_page = w.http.get(format!("{}/login", w.base)).send().await.unwrap();
    let form = cookie_value(&sign_in_page, FORM).unwrap();
    let csrf = hidden(&sign_in_page.text().await.unwrap(), "csrf");
    let r = w
        .http
        .post(format!("{}/login", w.base))
        .header(COOKIE, format!("{FORM}={form}"))
        .form(&[("login", login), ("password", common::PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "password sign-in of {login}");
    let session = cookie_value(&r, SESSION).unwrap();
    let csrf = hidden(&page(w, &session).await, "csrf");
    (session, csrf)
}

async fn json_post(w: &World, path: &str, cookie: &str, csrf: Option<&str>, body: Value) -> (u16, Value) {
    let mut r = w.http.post(format!("{}{path}", w.base)).header(COOKIE, cookie).json(&body);
    if let Some(c) = csrf {
        r = r.header("x-csrf-token", c);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn page(w: &World, session: &str) -> String {
    let r = w
        .http
        .get(format!("{}/account/passkeys", w.base))
        .header(COOKIE, format!("{SESSION}={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// Registration options for a signed-in session: the ticket and the parsed options.
async fn registration_options(w: &World, session: &str, csrf: &str) -> (String, CreationChallengeResponse) {
    let (status, body) =
        json_post(w, "/account/passkeys/options", &format!("{SESSION}={session}"), Some(csrf), json!({})).await;
    assert_eq!(status, 200, "{body}");
    (body["ticket"].as_str().unwrap().to_string(), serde_json::from_value(body["options"].clone()).unwrap())
}

async fn finish_registration(
    w: &World,
    session: &str,
    csrf: &str,
    ticket: &str,
    name: &str,
    credential: Value,
) -> (u16, Value) {
    let body = json!({"ticket": ticket, "name": name, "credential": credential});
    json_post(w, "/account/passkeys", &format!("{SESSION}={session}"), Some(csrf), body).await
}

/// The sign-in page's form cookie and token, then passkey options for `login`.
async fn sign_in_options(w: &World, login: &str) -> (String, String, RequestChallengeResponse) {
    let page = w.http.get(format!("{}/login", w.base)).send().await.unwrap();
    let form = cookie_value(&page, FORM).unwrap();
    let csrf = hidden(&page.text().await.unwrap(), "csrf");
    let (status, body) =
        json_post(w, "/login/passkey/options", &format!("{FORM}={form}"), Some(&csrf), json!({"login": login})).await;
    assert_eq!(status, 200, "{body}");
    let options = serde_json::from_value(body["options"].clone()).unwrap();
    (format!("{FORM}={form}"), body["ticket"].as_str().unwrap().to_string(), options)
}

async fn finish_sign_in(w: &World, form_cookie: &str, ticket: &str, credential: &Value) -> reqwest::Response {
    let csrf = form_cookie.split('=').nth(1).unwrap();
    w.http
        .post(format!("{}/login/passkey", w.base))
        .header(COOKIE, form_cookie)
        .header("x-csrf-token", csrf)
        .json(&json!({"ticket": ticket, "credential": credential, "next": "/account/passkeys"}))
        .send()
        .await
        .unwrap()
}

async fn count(db: &db::Db, sql: &str, account_id: &str) -> i64 {
    sqlx::query(sql).bind(account_id).fetch_one(db.write()).await.unwrap().get(0)
}

async fn account_id(db: &db::Db, login: &str) -> String {
    sqlx::query("SELECT id FROM accounts WHERE login = $1").bind(login).fetch_one(db.read()).await.unwrap().get(0)
}

/// The decoy credential ids the server's key gives `login`.
async fn decoys(db: &db::Db, login: &str) -> Vec<Vec<u8>> {
    let key: String = sqlx::query("SELECT value FROM identity_secrets WHERE name = 'webauthn_fake_credentials'")
        .fetch_one(db.read())
        .await
        .unwrap()
        .get(0);
    let key = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, key).unwrap();
    webauthn_rs::fake::WebauthnFakeCredentialGenerator::<webauthn_rs::fake::FakePasskeyDistribution>::new(&key)
        .unwrap()
        .generate(login.as_bytes())
        .unwrap()
}

fn allowed_ids(options: &RequestChallengeResponse) -> Vec<Vec<u8>> {
    options.public_key.allow_credentials.iter().map(|c| c.id.to_vec()).collect()
}

async fn passkeys_register_sign_in_and_remove(db: db::Db) {
    let w = common::world(db, 60, false).await;
    let me = account_id(&w.db, "xa.test").await;
    let live = "SELECT COUNT(*) FROM webauthn_credentials WHERE account_id = $1 AND removed_at IS NULL";
    let sessions = "SELECT COUNT(*) FROM sessions WHERE account_id = $1 AND revoked_at IS NULL";
    let (session, csrf) = session_of(&w, "xa.test").await;
    assert!(page(&w, &session).await.contains("passkeys-empty"));

    // Registration needs the session's CSRF header, and a browser session rather than a token.
    let cookie = format!("{SESSION}={session}");
    let (status, body) = json_post(&w, "/account/passkeys/options", &cookie, None, json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("csrf_failed")));
    let r =
        w.http.post(format!("{}/account/passkeys/options", w.base)).bearer_auth(&w.commune_token).send().await.unwrap();
    assert_eq!(r.status(), 403);

    let mut device = SoftPasskey::new(true);
    let (ticket, options) = registration_options(&w, &session, &csrf).await;
    assert_eq!(options.public_key.rp.id, "localhost");
    assert_eq!(options.public_key.user.name, "xa.test");
    let answer = serde_json::to_value(device.do_registration(origin(&w), options).unwrap()).unwrap();

    // A bad name is refused before the ticket is spent.
    let (status, _) = finish_registration(&w, &session, &csrf, &ticket, "   ", answer.clone()).await;
    assert_eq!(status, 400);
    assert_eq!(count(&w.db, live, &me).await, 0);
    let (status, body) = finish_registration(&w, &session, &csrf, &ticket, "Điện thoại của tôi", answer.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(count(&w.db, live, &me).await, 1);
    // The ticket worked once.
    let (status, body) = finish_registration(&w, &session, &csrf, &ticket, "Lần hai", answer).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("passkey_refused")));
    assert_eq!(count(&w.db, live, &me).await, 1);

    // An answer to another challenge does not verify.
    let (ticket, mut options) = registration_options(&w, &session, &csrf).await;
    assert_eq!(options.public_key.exclude_credentials.as_ref().map(Vec::len), Some(1), "the first passkey is excluded");
    options.public_key.challenge = vec![7u8; 32];
    options.public_key.exclude_credentials = None;
    let forged = serde_json::to_value(device.do_registration(origin(&w), options).unwrap()).unwrap();
    let (status, _) = finish_registration(&w, &session, &csrf, &ticket, "Giả", forged).await;
    assert_eq!(status, 400);
    assert_eq!(count(&w.db, live, &me).await, 1);
    let html = page(&w, &session).await;
    assert!(html.contains("Điện thoại của tôi") && !html.contains("passkeys-empty"));

    // Sign-in with the passkey: no password, a session with amr hwk.
    let (form_cookie, ticket, options) = sign_in_options(&w, "xa.test").await;
    let stored: String = sqlx::query("SELECT credential_id FROM webauthn_credentials WHERE account_id = $1")
        .bind(&me)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    let stored = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, stored).unwrap();
    assert_eq!(allowed_ids(&options), vec![stored.clone()]);
    let assertion = serde_json::to_value(device.do_authentication(origin(&w), options).unwrap()).unwrap();
    let before = count(&w.db, sessions, &me).await;
    let r = finish_sign_in(&w, &form_cookie, &ticket, &assertion).await;
    assert_eq!(r.status(), 200);
    let new_session = cookie_value(&r, SESSION).expect("session cookie");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["redirect"], "/account/passkeys");
    let me_json: Value = w
        .http
        .get(format!("{}/api/v1/me", w.base))
        .header(COOKIE, format!("{SESSION}={new_session}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me_json["login"], "xa.test");
    assert_eq!(count(&w.db, sessions, &me).await, before + 1);
    let amr: String = sqlx::query("SELECT amr FROM sessions WHERE account_id = $1 ORDER BY created_at DESC LIMIT 1")
        .bind(&me)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    assert!(amr.split(' ').any(|m| m == "hwk"), "amr {amr}");
    assert!(page(&w, &session).await.contains("Điện thoại của tôi"));
    let used: Option<i64> = sqlx::query("SELECT last_used_at FROM webauthn_credentials WHERE account_id = $1")
        .bind(&me)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    assert!(used.is_some());

    // Replays: the same ticket again, and the same assertion under a new ticket.
    let r = finish_sign_in(&w, &form_cookie, &ticket, &assertion).await;
    assert_eq!(r.status(), 401);
    let (form_cookie, ticket, _) = sign_in_options(&w, "xa.test").await;
    let r = finish_sign_in(&w, &form_cookie, &ticket, &assertion).await;
    assert_eq!(r.status(), 401);
    assert!(cookie_value(&r, SESSION).is_none());
    assert_eq!(count(&w.db, sessions, &me).await, before + 1);

    // Missing CSRF on the sign-in calls.
    let (status, _) = json_post(&w, "/login/passkey/options", &form_cookie, None, json!({"login": "xa.test"})).await;
    assert_eq!(status, 403);

    // Unknown logins and accounts without passkeys get the same shape of options, stable per login,
    // and nothing they send back signs in.
    let (_, _, a1) = sign_in_options(&w, "khong.ton.tai").await;
    let (_, _, a2) = sign_in_options(&w, "khong.ton.tai").await;
    let (form_cookie, other_ticket, b) = sign_in_options(&w, "tinh.test").await;
    // The decoys are the fake-credential generator's ids for the login under the server's key
    // (about one login in seven gets none, like an account without passkeys).
    assert_eq!(allowed_ids(&a1), decoys(&w.db, "khong.ton.tai").await);
    assert_eq!(allowed_ids(&b), decoys(&w.db, "tinh.test").await);
    assert_eq!(allowed_ids(&a1), allowed_ids(&a2));
    assert_ne!(a1.public_key.challenge, a2.public_key.challenge);
    assert_eq!(a1.public_key.rp_id, "localhost");
    let (_, _, real) = sign_in_options(&w, "xa.test").await;
    let fresh = serde_json::to_value(device.do_authentication(origin(&w), real).unwrap()).unwrap();
    let r = finish_sign_in(&w, &form_cookie, &other_ticket, &fresh).await;
    assert_eq!(r.status(), 401, "xa's passkey under tinh's ticket");

    // A suspended account cannot sign in with its passkey.
    sqlx::query("UPDATE accounts SET status = 'suspended' WHERE id = $1")
        .bind(&me)
        .execute(w.db.write())
        .await
        .unwrap();
    let (form_cookie, ticket, options) = sign_in_options(&w, "xa.test").await;
    let assertion = serde_json::to_value(device.do_authentication(origin(&w), options).unwrap()).unwrap();
    let r = finish_sign_in(&w, &form_cookie, &ticket, &assertion).await;
    assert_eq!(r.status(), 403);
    assert!(cookie_value(&r, SESSION).is_none());
    sqlx::query("UPDATE accounts SET status = 'active' WHERE id = $1").bind(&me).execute(w.db.write()).await.unwrap();

    // Removal: CSRF required, then the passkey stops working and the page keeps its history.
    let id: String = sqlx::query("SELECT id FROM webauthn_credentials WHERE account_id = $1")
        .bind(&me)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    let remove = |csrf: &str| {
        w.http
            .post(format!("{}/account/passkeys/{id}/remove", w.base))
            .header(COOKIE, format!("{SESSION}={session}"))
            .form(&[("csrf", csrf)])
            .send()
    };
    assert_eq!(remove("wrong").await.unwrap().status(), 403);
    assert_eq!(count(&w.db, live, &me).await, 1);
    assert_eq!(remove(&csrf).await.unwrap().status(), 303);
    assert_eq!(count(&w.db, live, &me).await, 0);
    assert_eq!(remove(&csrf).await.unwrap().status(), 404);
    assert!(page(&w, &session).await.contains("Đã xóa"));
    let (_, _, after) = sign_in_options(&w, "xa.test").await;
    assert!(!allowed_ids(&after).contains(&stored), "a removed passkey is no longer offered");

    // At most 10 passkeys, even for two registrations started while there were 9.
    for n in 1..=9 {
        let (ticket, options) = registration_options(&w, &session, &csrf).await;
        let answer =
            serde_json::to_value(SoftPasskey::new(true).do_registration(origin(&w), options).unwrap()).unwrap();
        assert_eq!(finish_registration(&w, &session, &csrf, &ticket, &format!("Khóa {n}"), answer).await.0, 201);
    }
    let (t1, o1) = registration_options(&w, &session, &csrf).await;
    let (t2, o2) = registration_options(&w, &session, &csrf).await;
    let a1 = serde_json::to_value(SoftPasskey::new(true).do_registration(origin(&w), o1).unwrap()).unwrap();
    let a2 = serde_json::to_value(SoftPasskey::new(true).do_registration(origin(&w), o2).unwrap()).unwrap();
    assert_eq!(finish_registration(&w, &session, &csrf, &t1, "Khóa 10", a1).await.0, 201);
    let (status, body) = finish_registration(&w, &session, &csrf, &t2, "Khóa 11", a2).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("passkey_refused")));
    assert_eq!(count(&w.db, live, &me).await, 10);
    let (status, _) = json_post(&w, "/account/passkeys/options", &cookie, Some(&csrf), json!({})).await;
    assert_eq!(status, 409, "no eleventh registration starts");
}

db::dual_tests!(crate::common::migrations(); passkeys_register_sign_in_and_remove);
