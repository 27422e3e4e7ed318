//! The token endpoint's per-client rate limit, with a low limit given in the server's settings
//! (`oidc.token_rate_per_minute`): once a client's allowance is used up, `/oidc/token` answers 429 `slow_down` and changes nothing, and
//! other clients are unaffected.

use crate::common;

use db::sqlx::{self, Row};
use db::Db;
use serde_json::Value;

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const LIMIT: usize = 3;

async fn client(db: &Db, name: &str) -> (String, String) {
    let (c, secret) = oidc::clients::register(
        db,
        oidc::NewClient {
            name: name.into(),
            auth_method: "client_secret_basic".into(),
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
    (c.id, secret.unwrap())
}

/// A code for `client_id`, as the authorization endpoint would have issued it.
async fn code_for(db: &Db, client_id: &str, account_id: &str) -> String {
    oidc::grants::issue_code(
        db,
        &oidc::grants::CodeGrant {
            client_id: client_id.into(),
            account_id: account_id.into(),
            redirect_uri: REDIRECT.into(),
            scope: "openid".into(),
            nonce: None,
            code_challenge: None,
            acr: oidc::ACR_LEVEL1.into(),
            amr: "pwd".into(),
            auth_time: kernel::clock::now_ms(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap()
}

async fn redeem(w: &common::World, client_id: &str, secret: &str, code: &str) -> (u16, Option<String>, Value) {
    let r = w
        .http
        .post(format!("{}/oidc/token", w.base))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT)])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    (status, retry, r.json().await.unwrap_or(Value::Null))
}

async fn tokens_of(db: &Db, client_id: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM oauth_tokens WHERE client_id = $1")
        .bind(client_id)
        .fetch_one(db.read())
        .await
        .unwrap()
        .get(0)
}

async fn token_endpoint_limits_each_client(db: Db) {
    let mut settings = dancu::server::local_settings();
    settings.oidc.token_rate_per_minute = LIMIT as u32;
    let w = common::world_with(db, 200, false, settings).await;
    let person: String =
        sqlx::query("SELECT personal_id FROM persons WHERE status = 'living' ORDER BY personal_id LIMIT 1")
            .fetch_one(w.db.read())
            .await
            .unwrap()
            .get(0);
    let account =
        dancu::accounts_cmd::citizen_account(&w.db, &identity::PasswordHasher::new(2), &person, common::PASSWORD, 1)
            .await
            .unwrap();
    let (busy, busy_secret) = client(&w.db, "Dịch vụ bận").await;
    let (other, other_secret) = client(&w.db, "Dịch vụ khác").await;
    // Requests that fail client authentication do not count: anyone could send them.
    for _ in 0..LIMIT + 1 {
        assert_eq!(redeem(&w, &busy, "wrong-secret", "not-a-code").await.0, 401);
    }
    // The allowance is spent by requests that authenticated, whatever their outcome.
    for _ in 0..LIMIT - 1 {
        assert_eq!(redeem(&w, &busy, &busy_secret, "not-a-code").await.0, 400);
    }
    let code = code_for(&w.db, &busy, &account.id).await;
    assert_eq!(redeem(&w, &busy, &busy_secret, &code).await.0, 200);
    // Over the limit: 429 slow_down with Retry-After, and the fresh code stays unspent.
    let fresh = code_for(&w.db, &busy, &account.id).await;
    let (status, retry, body) = redeem(&w, &busy, &busy_secret, &fresh).await;
    assert_eq!((status, retry.as_deref(), body["error"].as_str()), (429, Some("60"), Some("slow_down")), "{body}");
    let used: Option<i64> = sqlx::query("SELECT used_at FROM oauth_codes WHERE code_hash = $1")
        .bind(identity::secrets::hash_secret(&fresh))
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    assert_eq!(used, None, "the refused request did not consume the code");
    let issued = tokens_of(&w.db, &busy).await;
    assert_eq!(redeem(&w, &busy, &busy_secret, &fresh).await.0, 429);
    assert_eq!(tokens_of(&w.db, &busy).await, issued, "no token was issued while limited");
    // Other clients have their own allowance.
    let code = code_for(&w.db, &other, &account.id).await;
    assert_eq!(redeem(&w, &other, &other_secret, &code).await.0, 200);
}

db::dual_tests!(crate::common::migrations();
    token_endpoint_limits_each_client,
);
