//! Security events for the SOC, end to end: a local syslog receiver gets RFC 5424 datagrams of a
//! failed sign-in and a CSRF refusal with the same pseudonym and no id in clear; the events are
//! listed by the administrators' API and page with their filters, and nobody else may read them;
//! a local OTLP collector receives them as log records.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::common::{self, cookie_value, hidden, World};
use db::Db;
use reqwest::header::COOKIE;
use tokio::net::UdpSocket;

const FORM: &str = "__Host-dancu_login";
const SESSION: &str = "__Host-dancu_session";

/// The sign-in form posted as a browser does: its cookie and token, then `login` and `password`.
async fn sign_in(w: &World, login: &str, password: &str) -> reqwest::Response {
    let r = w.http.get(format!("{}/login", w.base)).send().await.unwrap();
    let form_cookie = cookie_value(&r, FORM).unwrap();
    let csrf = hidden(&r.text().await.unwrap(), "csrf");
    w.http
        .post(format!("{}/login", w.base))
        .header(COOKIE, format!("{FORM}={form_cookie}"))
        .form(&[("login", login), ("password", password), ("csrf", &csrf)])
        .send()
        .await
        .unwrap()
}

/// A failed sign-in of `login`.
async fn wrong_password(w: &World, login: &str) {
    assert_eq!(sign_in(w, login, "khong-dung-mat-khau").await.status(), 401);
}

/// A browser session of `login`.
async fn session(w: &World, login: &str) -> String {
    let r = sign_in(w, login, common::PASSWORD).await;
    assert_eq!(r.status(), 303, "sign-in of {login}");
    cookie_value(&r, SESSION).unwrap()
}

/// A state-changing request of a session without its CSRF token (refused, 403).
async fn post_without_csrf(w: &World, session: &str) {
    let r = w
        .http
        .post(format!("{}/account/sessions/revoke-others", w.base))
        .header(COOKIE, format!("{SESSION}={session}"))
        .form(&[("x", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

/// The account id behind a session.
async fn account_id(w: &World, session: &str) -> String {
    let r = w.http.get(format!("{}/api/v1/me", w.base)).header(COOKIE, format!("{SESSION}={session}")).send().await;
    r.unwrap().json::<serde_json::Value>().await.unwrap()["account_id"].as_str().unwrap().to_string()
}

async fn syslog_receives_pseudonymised_events(db: Db) {
    let receiver = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut settings = dancu::server::local_settings();
    settings.security_events.syslog = Some(format!("udp://{}", receiver.local_addr().unwrap()));
    let w = common::world_with(db, 20, false, settings).await;

    wrong_password(&w, "xa.test").await;
    let s = session(&w, "xa.test").await;
    post_without_csrf(&w, &s).await;
    let id = account_id(&w, &s).await;
    w.running.ctx.security.flush().await;

    let mut messages = Vec::new();
    let mut buf = vec![0u8; 8192];
    while messages.len() < 2 {
        let n = tokio::time::timeout(Duration::from_secs(10), receiver.recv(&mut buf))
            .await
            .expect("a datagram within 10 s")
            .unwrap();
        let text = String::from_utf8(buf[..n].to_vec()).unwrap();
        assert!(!text.contains(&id) && !text.contains("xa.test"), "an id in clear was sent: {text}");
        messages.push(syslog_rfc5424::parse_message(&text).unwrap());
    }
    let sd =
        |m: &syslog_rfc5424::SyslogMessage, k: &str| m.sd.find_tuple("dancu@32473", k).cloned().unwrap_or_default();
    let failed = messages.iter().find(|m| m.msgid.as_deref() == Some("sign_in_failed")).expect("sign_in_failed sent");
    let csrf = messages.iter().find(|m| m.msgid.as_deref() == Some("csrf_refused")).expect("csrf_refused sent");

    assert_eq!(failed.appname.as_deref(), Some("dancu"));
    assert_eq!(failed.facility, syslog_rfc5424::SyslogFacility::LOG_AUTHPRIV);
    assert_eq!(failed.severity, syslog_rfc5424::SyslogSeverity::SEV_NOTICE);
    assert_eq!(csrf.severity, syslog_rfc5424::SyslogSeverity::SEV_WARNING);
    assert_eq!((sd(failed, "kind").as_str(), sd(failed, "outcome").as_str()), ("sign_in_failed", "failure"));
    assert_eq!(sd(failed, "route"), "/login");
    // The MSG is UTF-8 behind its byte-order mark (RFC 5424 section 6.4).
    assert_eq!(failed.msg, "\u{feff}wrong_password");
    assert_eq!(sd(csrf, "route"), "/account/sessions/revoke-others");
    assert_eq!(sd(csrf, "client"), "127.0.0.1");
    assert!(!sd(csrf, "request_id").is_empty(), "the request id travels with the event");

    let pseudonym = sd(failed, "subject");
    assert_eq!(pseudonym.len(), 32);
    assert_eq!(sd(csrf, "subject"), pseudonym, "one person, one pseudonym across events");
    assert_eq!(pseudonym, w.running.ctx.security.pseudonym(&id));
    assert_ne!(pseudonym, id);
}

/// An administrator with a bearer token.
async fn admin_token(w: &World) -> String {
    let hasher = identity::PasswordHasher::new(2);
    let new = identity::NewAccount {
        login: "quantri.soc".into(),
        display_name: "Quản trị".into(),
        role: web::Role::Admin,
        jurisdiction: web::Jurisdiction::Province("08".into()),
        password: common::PASSWORD.into(),
    };
    let a = identity::create_account(&w.db, &hasher, new, kernel::clock::now_ms()).await.unwrap();
    identity::issue_token(&w.db, &a.id, "soc", kernel::clock::now_ms()).await.unwrap().1
}

fn kinds(body: &serde_json::Value) -> Vec<String> {
    body["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect()
}

async fn administrators_list_and_filter_the_events(db: Db) {
    let w = common::world(db, 20, false).await;
    let admin = admin_token(&w).await;
    wrong_password(&w, "tinh.test").await;
    wrong_password(&w, "khong.ton.tai").await;
    let s = session(&w, "xa.test").await;
    post_without_csrf(&w, &s).await;
    let (status, _) = w.get("dct_not_a_real_token", "/api/v1/me").await;
    assert_eq!(status, 401);
    let other = w.other_commune().await;
    let (status, _) = w.get(&w.commune_token, &format!("/api/v1/persons?commune={other}")).await;
    assert_eq!(status, 403);
    w.running.ctx.security.flush().await;

    let (status, all) = w.get(&admin, "/api/v1/admin/security-events").await;
    assert_eq!(status, 200, "{all}");
    let found = kinds(&all);
    for k in ["sign_in_failed", "csrf_refused", "token_refused", "jurisdiction_refused"] {
        assert!(found.iter().any(|f| f == k), "{k} missing from {found:?}");
    }
    let refused = all["items"].as_array().unwrap().iter().find(|e| e["kind"] == "jurisdiction_refused").unwrap();
    assert_eq!(refused["route"], "/api/v1/persons", "the route template, not the path with its query");
    assert_eq!((refused["severity"].as_str(), refused["outcome"].as_str()), (Some("warning"), Some("failure")));
    assert_eq!(found.iter().filter(|k| *k == "sign_in_failed").count(), 2, "unknown logins count too");
    let ats: Vec<i64> = all["items"].as_array().unwrap().iter().map(|e| e["at"].as_i64().unwrap()).collect();
    assert!(ats.windows(2).all(|p| p[0] >= p[1]), "newest first: {ats:?}");

    let (_, csrf) = w.get(&admin, "/api/v1/admin/security-events?kind=csrf_refused").await;
    assert_eq!(kinds(&csrf), vec!["csrf_refused"]);
    let subject = csrf["items"][0]["subject"].as_str().unwrap().to_string();
    let (_, of_one) = w.get(&admin, &format!("/api/v1/admin/security-events?subject={subject}")).await;
    assert!(of_one["items"].as_array().unwrap().iter().all(|e| e["subject"] == subject.as_str()));
    assert!(!kinds(&of_one).is_empty());
    let today = kernel::clock::today_vn().format("%d/%m/%Y").to_string();
    let (_, by_day) = w.get(&admin, &format!("/api/v1/admin/security-events?from={today}&to={today}")).await;
    assert!(kinds(&by_day).len() >= found.len(), "today's events");
    let (_, none) = w.get(&admin, "/api/v1/admin/security-events?from=01/01/2099").await;
    assert!(kinds(&none).is_empty());

    // Bad filters are refused clearly; nobody but administrators reads the events.
    let (status, body) = w.get(&admin, "/api/v1/admin/security-events?kind=everything").await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_input")));
    let (status, _) = w.get(&admin, "/api/v1/admin/security-events?subject=001090000001").await;
    assert_eq!(status, 400, "an id in clear is not a pseudonym");
    let (status, body) = w.get(&w.province_token, "/api/v1/admin/security-events").await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")));
    let r = w.http.get(format!("{}/admin/security-events", w.base)).bearer_auth(&w.province_token).send().await;
    assert_eq!(r.unwrap().status(), 403);

    // The page: filters, rows, empty state.
    let page = |q: &'static str| {
        let (http, base, admin) = (w.http.clone(), w.base.clone(), admin.clone());
        async move {
            let r = http.get(format!("{base}/admin/security-events{q}")).bearer_auth(admin).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.text().await.unwrap()
        }
    };
    let html = page("?kind=csrf_refused").await;
    assert!(html.contains("Sự kiện an ninh") && html.contains("data-kind=\"csrf_refused\""), "{html}");
    assert!(!html.contains("data-kind=\"sign_in_failed\""));
    assert!(page("?from=01/01/2099").await.contains("Không có sự kiện nào."));

    // Reading the events is itself an administrator's action.
    w.running.ctx.security.flush().await;
    let (_, admin_actions) = w.get(&admin, "/api/v1/admin/security-events?kind=admin_action").await;
    let details: Vec<&str> =
        admin_actions["items"].as_array().unwrap().iter().map(|e| e["detail"].as_str().unwrap()).collect();
    assert!(details.iter().filter(|d| **d == "viewed security events").count() >= 5, "{details:?}");
    assert!(details.iter().all(|d| *d == "viewed security events"), "refused reads are not admin actions");
}

/// A collector that counts the OTLP log exports it receives.
async fn collector() -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let app = axum::Router::new().route(
        "/v1/logs",
        axum::routing::post(move |body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                assert!(!body.is_empty(), "an export carries records");
                seen.fetch_add(1, Ordering::SeqCst);
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), count)
}

async fn otlp_collector_receives_the_events(db: Db) {
    let (endpoint, exports) = collector().await;
    let mut settings = dancu::server::local_settings();
    settings.telemetry.otlp_endpoint = Some(endpoint);
    let w = common::world_with(db, 20, false, settings).await;
    assert_eq!(exports.load(Ordering::SeqCst), 0);
    wrong_password(&w, "xa.test").await;
    w.running.ctx.security.flush().await;
    assert!(exports.load(Ordering::SeqCst) >= 1, "no OTLP log export reached the collector");
}

db::dual_tests!(crate::common::migrations();
    syslog_receives_pseudonymised_events,
    administrators_list_and_filter_the_events,
    otlp_collector_receives_the_events
);
