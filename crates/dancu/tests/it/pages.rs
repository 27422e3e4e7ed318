//! Sign-in and the officer pages over HTTP, as a browser without JavaScript would use them.

use crate::common;

use db::sqlx::{self, Row};
use db::Db;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use common::{cookie_value, hidden};

async fn sign_in_search_and_sign_out(db: Db) {
    let w = common::world(db, 800, false).await;
    let login_page = w.http.get(format!("{}/login", w.base)).send().await.unwrap();
    let form_cookie = cookie_value(&login_page, "__Host-dancu_login").unwrap();
    let html = login_page.text().await.unwrap();
    assert!(html.contains("Đăng nhập"));
    let csrf = hidden(&html, "csrf");
    let post = |fields: Vec<(&'static str, String)>, cookie: Option<String>| {
        let mut r = w.http.post(format!("{}/login", w.base)).form(&fields);
        if let Some(c) = cookie {
            r = r.header(COOKIE, format!("__Host-dancu_login={c}"));
        }
        r.send()
    };
    // Wrong password and unknown login get the same generic answer and no session.
    for login in ["tinh.test", "khong.ton.tai"] {
        let r = post(
            vec![("login", login.into()), ("password", "sai-mat-khau-1".into()), ("csrf", csrf.clone())],
            Some(form_cookie.clone()),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 401);
        assert!(cookie_value(&r, "__Host-dancu_session").is_none());
        assert!(r.text().await.unwrap().contains("Tên đăng nhập hoặc mật khẩu không đúng"));
    }
    // Without the form's CSRF cookie the form is refused.
    let r = post(vec![("login", "tinh.test".into()), ("password", w.password.clone()), ("csrf", csrf.clone())], None)
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(cookie_value(&r, "__Host-dancu_session").is_none());
    // The right password signs in and follows `next`, but never off-site.
    let r = post(
        vec![
            ("login", "TINH.test".into()),
            ("password", w.password.clone()),
            ("csrf", csrf.clone()),
            ("next", "//evil.example/".into()),
        ],
        Some(form_cookie.clone()),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/persons");
    let session = cookie_value(&r, "__Host-dancu_session").unwrap();
    let set =
        r.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>().join("\n");
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attr), "{attr} missing in {set}");
    }
    let page = |path: String, with_session: bool| {
        let mut r = w.http.get(format!("{}{path}", w.base));
        if with_session {
            r = r.header(COOKIE, format!("__Host-dancu_session={session}"));
        }
        r.send()
    };
    // Anonymous visitors are sent to the login page with `next`.
    let r = page("/persons?q=nguyen".into(), false).await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/login?next=/persons%3Fq%3Dnguyen");
    // Search and a person page in Vietnamese, then in English.
    let row = sqlx::query("SELECT personal_id, full_name FROM persons ORDER BY personal_id LIMIT 1")
        .fetch_one(w.db.read())
        .await
        .unwrap();
    let (id, name): (String, String) = (row.get(0), row.get(1));
    let folded = kernel::text::fold(&name).replace(' ', "+");
    let html = page(format!("/persons?q={folded}"), true).await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"results\""), "{html}");
    assert!(html.contains(&format!("/persons/{id}")));
    // The record opens only once a purpose is chosen: first the question, nothing of the person.
    let html = page(format!("/persons/{id}"), true).await.unwrap().text().await.unwrap();
    assert!(html.contains("name=\"purpose\"") && !html.contains(&name), "{html}");
    let html = page(format!("/persons/{id}?purpose=administration"), true).await.unwrap().text().await.unwrap();
    assert!(html.contains(&name) && html.contains("Số định danh cá nhân") && html.contains("Lịch sử cư trú"));
    let html = page(format!("/persons/{id}?purpose=administration&lang=en"), true).await.unwrap().text().await.unwrap();
    assert!(html.contains("Residence history") && html.contains("<html lang=\"en\">"));
    let r = page("/persons?q=abc123".into(), true).await.unwrap();
    assert!(r.text().await.unwrap().contains("role=\"alert\""));
    let r = page("/persons/123".into(), true).await.unwrap();
    assert_eq!(r.status(), 400);
    // The quality page before any run says so; after a run it lists the rules.
    let html = page("/quality".into(), true).await.unwrap().text().await.unwrap();
    assert!(html.contains("Chưa chạy kiểm tra chất lượng"));
    registry::quality::run(&w.db, kernel::clock::now_ms()).await.unwrap();
    let html = page("/quality".into(), true).await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"rules\"") && html.contains("Sạch"));
    // Sign-out needs the session's CSRF token.
    let logout = |token: String| {
        w.http
            .post(format!("{}/logout", w.base))
            .header(COOKIE, format!("__Host-dancu_session={session}"))
            .form(&[("csrf", token)])
            .send()
    };
    let r = logout("forged".into()).await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(page("/persons".into(), true).await.unwrap().status(), 200);
    let html = page("/persons".into(), true).await.unwrap().text().await.unwrap();
    let r = logout(hidden(&html, "csrf")).await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(page("/persons".into(), true).await.unwrap().status(), 303, "session revoked");
}

async fn lockout_after_repeated_failures(db: Db) {
    let w = common::world(db, 300, false).await;
    let attempt = |password: String| async {
        let p = w.http.get(format!("{}/login", w.base)).send().await.unwrap();
        let c = cookie_value(&p, "__Host-dancu_login").unwrap();
        let csrf = hidden(&p.text().await.unwrap(), "csrf");
        w.http
            .post(format!("{}/login", w.base))
            .header(COOKIE, format!("__Host-dancu_login={c}"))
            .form(&[("login", "xa.test".to_string()), ("password", password), ("csrf", csrf)])
            .send()
            .await
            .unwrap()
            .status()
    };
    for _ in 0..5 {
        assert_eq!(attempt("sai-mat-khau-1".into()).await, 401);
    }
    // Locked: even the right password is refused, with the same message.
    assert_eq!(attempt(w.password.clone()).await, 401);
    let locked: Option<i64> = sqlx::query("SELECT locked_until FROM accounts WHERE login = 'xa.test'")
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    assert!(locked.unwrap() > kernel::clock::now_ms());
}

db::dual_tests!(crate::common::migrations(); sign_in_search_and_sign_out, lockout_after_repeated_failures);
