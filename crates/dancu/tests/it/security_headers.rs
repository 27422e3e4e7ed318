//! Headers every response carries and who may read `/metrics`: a Content-Security-Policy without
//! inline script, `Cache-Control: no-store` on pages and API answers (personal data) but not on
//! static assets, HSTS only when served over https, and metrics for loopback clients or the
//! configured token only.

use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, STRICT_TRANSPORT_SECURITY};

use crate::common;

async fn server(configure: impl FnOnce(&mut dancu::config::Settings)) -> (db::testing::TestDb, common::World) {
    let test_db = db::testing::TestDb::sqlite(&common::migrations()).await;
    let mut settings = dancu::server::local_settings();
    configure(&mut settings);
    let w = common::world_with(test_db.db().clone(), 30, false, settings).await;
    (test_db, w)
}

fn header(r: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    r.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

#[tokio::test]
async fn pages_and_api_are_not_cached_and_scripts_come_from_this_origin() {
    let (_db, w) = server(|_| {}).await;
    let page = w.http.get(format!("{}/login", w.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = header(&page, CONTENT_SECURITY_POLICY).expect("no CSP on a page");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.split(';').any(|d| d.trim().starts_with("script-src") && d.contains("unsafe")), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(header(&page, CACHE_CONTROL).as_deref(), Some("no-store"));
    assert_eq!(header(&page, STRICT_TRANSPORT_SECURITY), None, "HSTS over plain http");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script>"), "inline script on the sign-in page");

    let (inside, _) = w.inside_and_outside().await;
    let api = w
        .http
        .get(format!("{}/api/v1/persons/{inside}?purpose=administration", w.base))
        .bearer_auth(&w.commune_token)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 200);
    assert_eq!(header(&api, CACHE_CONTROL).as_deref(), Some("no-store"));

    let css = w.http.get(format!("{}/static/app.css", w.base)).send().await.unwrap();
    assert_ne!(header(&css, CACHE_CONTROL).as_deref(), Some("no-store"), "static assets should be cacheable");
}

#[tokio::test]
async fn hsts_when_served_over_https() {
    let (_db, w) = server(|s| s.public_url = Some("https://dancu.example.vn".into())).await;
    let page = w.http.get(format!("{}/login", w.base)).send().await.unwrap();
    assert!(header(&page, STRICT_TRANSPORT_SECURITY).is_some_and(|v| v.contains("max-age=31536000")));
}

#[tokio::test]
async fn metrics_for_loopback_clients_or_the_token_only() {
    let (_db, w) = server(|_| {}).await;
    let local = w.http.get(format!("{}/metrics", w.base)).send().await.unwrap();
    assert_eq!(local.status(), 200);
    assert!(local.text().await.unwrap().contains("access_log_queue_depth"));
    // Relayed by a proxy on this machine: the client is elsewhere.
    let relayed =
        w.http.get(format!("{}/metrics", w.base)).header("X-Forwarded-For", "203.0.113.9").send().await.unwrap();
    assert_eq!(relayed.status(), 404);

    let (_db2, w) = server(|s| s.metrics_token = Some("metrics-token-0123456789".into())).await;
    for sent in [None, Some("wrong-token-0123456789"), Some(w.commune_token.as_str())] {
        let mut req = w.http.get(format!("{}/metrics", w.base));
        if let Some(t) = sent {
            req = req.bearer_auth(t);
        }
        assert_eq!(req.send().await.unwrap().status(), 404, "{sent:?}");
    }
    let ok = w.http.get(format!("{}/metrics", w.base)).bearer_auth("metrics-token-0123456789").send().await.unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn control_characters_are_refused_in_each_endpoints_own_error_form() {
    let (_db, w) = server(|_| {}).await;
    // OAuth endpoints answer as RFC 6749 §5.2 says.
    let r = w
        .http
        .post(format!("{}/oidc/token", w.base))
        .form(&[("grant_type", "authorization_code"), ("code", "a\u{0}b")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert!(body["error_description"].as_str().is_some_and(|d| d.contains("control character")), "{body}");
    // The API answers with its own error body.
    let r = w.http.get(format!("{}/api/v1/admin-units/communes?q=a%00b", w.base)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_input", "{body}");
}
