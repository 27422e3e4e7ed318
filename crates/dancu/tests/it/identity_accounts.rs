//! Citizen e-ID accounts over HTTP: registration against the registry with a phone code, level 2
//! by a police officer, account states and the administrators' suspension page, TOTP sign-in with
//! sealed keys, forgotten passwords, rate limits, CSRF, organizations, and the citizen's access
//! log.

use crate::common;

use common::{cookie_value, hidden, World};
use db::sqlx::{self, Row};
use db::Db;
use reqwest::header::{COOKIE, LOCATION};
use reqwest::Response;

const FORM: &str = "__Host-dancu_login";
const SESSION: &str = "__Host-dancu_session";
const CITIZEN_PASSWORD: &str = "mot-cau-rat-dai-de-nho";

/// An anonymous form: its CSRF cookie and HTML.
async fn form(w: &World, path: &str) -> (String, String) {
    let r = w.http.get(format!("{}{path}", w.base)).send().await.unwrap();
    let c = cookie_value(&r, FORM).expect("form cookie");
    (c, r.text().await.unwrap())
}

async fn post_anon(w: &World, path: &str, form_cookie: Option<&str>, fields: &[(&str, &str)]) -> Response {
    let mut r = w.http.post(format!("{}{path}", w.base)).form(fields);
    if let Some(c) = form_cookie {
        r = r.header(COOKIE, format!("{FORM}={c}"));
    }
    r.send().await.unwrap()
}

/// Signs in with a password; returns the response (303 with a session cookie on success).
async fn sign_in(w: &World, login: &str, password: &str) -> Response {
    let (c, html) = form(w, "/login").await;
    let csrf = hidden(&html, "csrf");
    post_anon(w, "/login", Some(&c), &[("login", login), ("password", password), ("csrf", &csrf)]).await
}

async fn session_of(w: &World, login: &str, password: &str) -> String {
    let r = sign_in(w, login, password).await;
    assert_eq!(r.status(), 303, "sign-in of {login}");
    cookie_value(&r, SESSION).expect("session cookie")
}

async fn get(w: &World, session: &str, path: &str) -> Response {
    w.http.get(format!("{}{path}", w.base)).header(COOKIE, format!("{SESSION}={session}")).send().await.unwrap()
}

/// A signed-in form post; the session's CSRF token is read from `/account` unless given.
async fn post(w: &World, session: &str, path: &str, fields: &[(&str, &str)]) -> Response {
    w.http
        .post(format!("{}{path}", w.base))
        .header(COOKIE, format!("{SESSION}={session}"))
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn csrf_of(w: &World, session: &str) -> String {
    hidden(&get(w, session, "/account").await.text().await.unwrap(), "csrf")
}

/// The last one-time code sent to a phone, read from the demo outbox.
async fn last_code(db: &Db, phone: &str) -> String {
    let body: String =
        sqlx::query("SELECT body FROM sms_outbox WHERE recipient = $1 ORDER BY created_at DESC, id DESC LIMIT 1")
            .bind(phone)
            .fetch_one(db.read())
            .await
            .unwrap()
            .get(0);
    let start = body.find(" la ").unwrap() + 4;
    body[start..start + 6].to_string()
}

/// Living adults of a commune with a full date of birth and a valid card, not yet registered.
async fn residents(db: &Db, commune: &str, n: i64) -> Vec<(String, String, String)> {
    let rows = sqlx::query(
        "SELECT p.personal_id, p.full_name, p.birth_date FROM persons p WHERE p.current_commune = $1 \
         AND p.status = 'living' AND LENGTH(p.birth_date) = 10 AND p.birth_date < '2000-01-01' \
         AND EXISTS (SELECT 1 FROM identity_cards c WHERE c.personal_id = p.personal_id AND c.status = 'valid' \
           AND (c.expiry_date IS NULL OR c.expiry_date > '2030-01-01')) \
         AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.person_id = p.personal_id) \
         ORDER BY p.personal_id LIMIT $2",
    )
    .bind(commune)
    .bind(n)
    .fetch_all(db.read())
    .await
    .unwrap();
    rows.iter()
        .map(|r| {
            let d: String = r.get(2);
            (r.get(0), r.get(1), format!("{}/{}/{}", &d[8..10], &d[5..7], &d[0..4]))
        })
        .collect()
}

async fn account_level(db: &Db, person_id: &str) -> Option<i64> {
    sqlx::query("SELECT level FROM accounts WHERE person_id = $1")
        .bind(person_id)
        .fetch_optional(db.read())
        .await
        .unwrap()
        .map(|r| r.get(0))
}

/// Registers a citizen through the pages; returns the phone used.
async fn register(w: &World, person: &(String, String, String), phone: &str) -> Response {
    let (c, html) = form(w, "/register").await;
    let csrf = hidden(&html, "csrf");
    let fields = [
        ("csrf", csrf.as_str()),
        ("person_id", person.0.as_str()),
        ("full_name", person.1.as_str()),
        ("birth_date", person.2.as_str()),
        ("phone", phone),
        ("password", CITIZEN_PASSWORD),
        ("password2", CITIZEN_PASSWORD),
    ];
    post_anon(w, "/register", Some(&c), &fields).await
}

/// Enters a code on a confirmation page (`page_html`: the page that asked for it). The page's
/// token is also its double-submit cookie.
async fn confirm(w: &World, page_html: &str, action: &str, code: &str) -> Response {
    let csrf = hidden(page_html, "csrf");
    let flow = hidden(page_html, "flow");
    post_anon(w, action, Some(&csrf), &[("csrf", &csrf), ("flow", &flow), ("code", code)]).await
}

/// The second sign-in step with a TOTP or recovery code.
async fn second_step(w: &World, mfa: &str, code: &str) -> Response {
    let page = w
        .http
        .get(format!("{}/login/second-factor", w.base))
        .header(COOKIE, format!("__Host-dancu_mfa={mfa}"))
        .send()
        .await
        .unwrap();
    let c = cookie_value(&page, FORM).unwrap();
    let csrf = hidden(&page.text().await.unwrap(), "csrf");
    w.http
        .post(format!("{}/login/second-factor", w.base))
        .header(COOKIE, format!("__Host-dancu_mfa={mfa}; {FORM}={c}"))
        .form(&[("csrf", csrf.as_str()), ("code", code)])
        .send()
        .await
        .unwrap()
}

/// Accepts an invitation link as a new staff member.
async fn accept(w: &World, path: &str, login: &str) -> Response {
    let (c, html) = form(w, path).await;
    let csrf = hidden(&html, "csrf");
    let fields = [
        ("csrf", csrf.as_str()),
        ("full_name", "Trần Văn Chủ"),
        ("login", login),
        ("password", "mat-khau-chu-co-so"),
        ("password2", "mat-khau-chu-co-so"),
    ];
    post_anon(w, path, Some(&c), &fields).await
}

/// The invitation path in a page.
fn invite_path(html: &str) -> String {
    let start = html.find("/org/invite/").expect("invitation link");
    html[start..start + html[start..].find('<').unwrap()].trim().to_string()
}

async fn register_and_confirm(w: &World, person: &(String, String, String), phone: &str) {
    let r = register(w, person, phone).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let r = confirm(w, &html, "/register/confirm", &last_code(&w.db, phone).await).await;
    assert_eq!(r.status(), 303);
}

async fn registration_checks_the_registry_and_the_phone(db: Db) {
    let w = common::world(db, 800, false).await;
    let people = residents(&w.db, &w.commune, 3).await;
    let (a, b) = (&people[0], &people[1]);
    let mismatch = "Thông tin không khớp";
    // Wrong name, wrong date of birth and an unknown id all get the same answer and no code.
    let wrong_name = (a.0.clone(), format!("{} Thị", a.1), a.2.clone());
    let wrong_dob = (a.0.clone(), a.1.clone(), "01/01/1901".to_string());
    let unknown = ("099999999999".to_string(), a.1.clone(), a.2.clone());
    for p in [&wrong_name, &wrong_dob, &unknown] {
        let r = register(&w, p, "0912000001").await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains(mismatch));
    }
    let sent: i64 = sqlx::query("SELECT COUNT(*) FROM otp_codes").fetch_one(w.db.read()).await.unwrap().get(0);
    assert_eq!(sent, 0);
    // Without the form's CSRF cookie nothing happens.
    let r = post_anon(&w, "/register", None, &[("csrf", "x"), ("person_id", &a.0)]).await;
    assert_eq!(r.status(), 403);
    // The name is compared without case or diacritics; a wrong code counts down.
    let folded = (a.0.clone(), kernel::text::fold(&a.1).to_uppercase(), a.2.clone());
    let r = register(&w, &folded, "+84 912 000 001").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("*******001"));
    let code = last_code(&w.db, "0912000001").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = confirm(&w, &html, "/register/confirm", wrong).await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("còn 4 lần"));
    assert_eq!(account_level(&w.db, &a.0).await, None);
    let r = confirm(&w, &html, "/register/confirm", &code).await;
    assert_eq!(r.status(), 303);
    assert_eq!(account_level(&w.db, &a.0).await, Some(1));
    // The code works once; the id cannot register twice.
    assert_eq!(confirm(&w, &html, "/register/confirm", &code).await.status(), 410);
    let r = register(&w, a, "0912000002").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("đã có tài khoản"));
    // Five wrong codes void the flow, even for the right code afterwards.
    let r = register(&w, b, "0912000003").await;
    let html = r.text().await.unwrap();
    let code = last_code(&w.db, "0912000003").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        assert_eq!(confirm(&w, &html, "/register/confirm", wrong).await.status(), 401);
    }
    assert_eq!(confirm(&w, &html, "/register/confirm", wrong).await.status(), 410);
    assert_eq!(confirm(&w, &html, "/register/confirm", &code).await.status(), 410);
    assert_eq!(account_level(&w.db, &b.0).await, None);
    // An expired code is refused (the expiry is moved instead of waiting five minutes).
    let r = register(&w, b, "0912000003").await;
    let html = r.text().await.unwrap();
    let code = last_code(&w.db, "0912000003").await;
    sqlx::query("UPDATE otp_codes SET expires_at = $1 WHERE consumed_at IS NULL")
        .bind(kernel::clock::now_ms() - 1)
        .execute(w.db.write())
        .await
        .unwrap();
    assert_eq!(confirm(&w, &html, "/register/confirm", &code).await.status(), 410);
    assert_eq!(account_level(&w.db, &b.0).await, None);
    // The new citizen signs in with their personal id and lands on their home page, at level 1.
    let r = sign_in(&w, &a.0, CITIZEN_PASSWORD).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/me");
    let session = cookie_value(&r, SESSION).unwrap();
    let html = get(&w, &session, "/account").await.text().await.unwrap();
    assert!(html.contains("Mức 1") && html.contains("0912000001"), "{html}");
}

async fn officer_raises_level_within_jurisdiction(db: Db) {
    let w = common::world(db, 800, false).await;
    let people = residents(&w.db, &w.commune, 2).await;
    let a = &people[0];
    register_and_confirm(&w, a, "0912000011").await;
    // An officer of another commune neither sees the citizen nor raises the level.
    let other: String =
        sqlx::query("SELECT code FROM admin_communes WHERE province_code = '08' AND code <> $1 LIMIT 1")
            .bind(&w.commune)
            .fetch_one(w.db.read())
            .await
            .unwrap()
            .get(0);
    let hasher = identity::PasswordHasher::new(2);
    identity::create_account(
        &w.db,
        &hasher,
        identity::NewAccount {
            login: "xa.khac".into(),
            display_name: "Công an xã khác".into(),
            role: web::Role::CommunePolice,
            jurisdiction: web::Jurisdiction::Commune(other),
            password: w.password.clone(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    let outsider = session_of(&w, "xa.khac", &w.password).await;
    assert_eq!(get(&w, &outsider, &format!("/officer/eid?person_id={}", a.0)).await.status(), 404);
    let csrf = csrf_of(&w, &outsider).await;
    let raise =
        [("csrf", csrf.as_str()), ("person_id", a.0.as_str()), ("card_seen", "on"), ("card_number", a.0.as_str())];
    assert_eq!(post(&w, &outsider, "/officer/eid/raise", &raise).await.status(), 404);
    assert_eq!(account_level(&w.db, &a.0).await, Some(1));
    // A citizen cannot use the officer page.
    let citizen = session_of(&w, &a.0, CITIZEN_PASSWORD).await;
    assert_eq!(get(&w, &citizen, &format!("/officer/eid?person_id={}", a.0)).await.status(), 403);
    // The commune's officer must tick the card check and type the card's number.
    let officer = session_of(&w, "xa.test", &w.password).await;
    let html = get(&w, &officer, &format!("/officer/eid?person_id={}", a.0)).await.text().await.unwrap();
    assert!(html.contains(&a.1) && html.contains("Nâng lên mức 2"));
    let csrf = csrf_of(&w, &officer).await;
    let unticked = [("csrf", csrf.as_str()), ("person_id", a.0.as_str()), ("card_number", a.0.as_str())];
    assert_eq!(post(&w, &officer, "/officer/eid/raise", &unticked).await.status(), 400);
    let wrong_number =
        [("csrf", csrf.as_str()), ("person_id", a.0.as_str()), ("card_seen", "on"), ("card_number", "012345678901")];
    assert_eq!(post(&w, &officer, "/officer/eid/raise", &wrong_number).await.status(), 400);
    let no_csrf = [("csrf", "forged"), ("person_id", a.0.as_str()), ("card_seen", "on"), ("card_number", a.0.as_str())];
    assert_eq!(post(&w, &officer, "/officer/eid/raise", &no_csrf).await.status(), 403);
    assert_eq!(account_level(&w.db, &a.0).await, Some(1));
    let ok = [("csrf", csrf.as_str()), ("person_id", a.0.as_str()), ("card_seen", "on"), ("card_number", a.0.as_str())];
    let r = post(&w, &officer, "/officer/eid/raise", &ok).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("id=\"done\""));
    assert_eq!(account_level(&w.db, &a.0).await, Some(2));
    let method: String =
        sqlx::query("SELECT method FROM level_changes l JOIN accounts a ON a.id = l.account_id WHERE a.person_id = $1")
            .bind(&a.0)
            .fetch_one(w.db.read())
            .await
            .unwrap()
            .get(0);
    assert_eq!(method, "in_person_card");
    // The citizen sees level 2 with its date, and the officer's reads in their access log.
    w.running.ctx.access_log.flush().await;
    let html = get(&w, &citizen, "/account").await.text().await.unwrap();
    assert!(html.contains("Mức 2") && html.contains("từ ngày") && html.contains("Cán bộ công an kiểm tra thẻ"));
    let html = get(&w, &citizen, "/account/access-log").await.text().await.unwrap();
    let lower = html.to_lowercase();
    assert!(
        html.contains("Cán bộ xa.test") && lower.contains("xác thực danh tính") && lower.contains("thẻ căn cước"),
        "{html}"
    );
    assert!(!html.contains("Cán bộ xa.khac"), "the outsider saw nothing, so nothing was logged");
    let html = get(&w, &citizen, "/account/access-log?kind=service").await.text().await.unwrap();
    assert!(!html.contains("Cán bộ xa.test"));
    let r = get(&w, &citizen, "/account/access-log.csv?kind=officer").await;
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = r.text().await.unwrap();
    assert!(csv.lines().count() >= 3 && csv.contains("Cán bộ xa.test"));
    // An officer has no personal access log page.
    assert_eq!(get(&w, &officer, "/account/access-log").await.status(), 403);
}

async fn account_states_stop_sign_in(db: Db) {
    let w = common::world(db, 800, false).await;
    let people = residents(&w.db, &w.commune, 2).await;
    let a = &people[0];
    register_and_confirm(&w, a, "0912000021").await;
    let session = session_of(&w, &a.0, CITIZEN_PASSWORD).await;
    // Locking needs the session's CSRF token.
    assert_eq!(post(&w, &session, "/account/lock", &[("csrf", "forged")]).await.status(), 403);
    assert_eq!(get(&w, &session, "/account").await.status(), 200);
    let csrf = csrf_of(&w, &session).await;
    assert_eq!(post(&w, &session, "/account/lock", &[("csrf", &csrf)]).await.status(), 200);
    assert_eq!(get(&w, &session, "/account").await.status(), 303, "locking ends every session");
    let r = sign_in(&w, &a.0, CITIZEN_PASSWORD).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("/account/unlock"));
    let r = sign_in(&w, &a.0, "sai-mat-khau-123").await;
    assert_eq!(r.status(), 401, "a wrong password learns nothing about the lock");
    // Unlocking: password, then the code sent to the phone.
    let (c, html) = form(&w, "/account/unlock").await;
    let r = post_anon(
        &w,
        "/account/unlock",
        Some(&c),
        &[("csrf", &hidden(&html, "csrf")), ("login", &a.0), ("password", CITIZEN_PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let r = confirm(&w, &html, "/account/unlock/confirm", &last_code(&w.db, "0912000021").await).await;
    assert_eq!(r.status(), 200);
    let session = session_of(&w, &a.0, CITIZEN_PASSWORD).await;
    // Suspended by an administrator: sessions end and sign-in is refused with its own message.
    let account = identity::account_by_person(&w.db, &a.0).await.unwrap().unwrap();
    let admin = identity::levels::LevelActor { id: None, label: "Quản trị viên".into() };
    assert!(identity::suspension::suspend(&w.db, &account.id, "kiểm thử", &admin, kernel::clock::now_ms())
        .await
        .unwrap());
    assert_eq!(get(&w, &session, "/account").await.status(), 303);
    let r = sign_in(&w, &a.0, CITIZEN_PASSWORD).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("tạm ngừng"));
    assert!(identity::suspension::reactivate(&w.db, &account.id, "", &admin, kernel::clock::now_ms()).await.unwrap());
    // A death recorded in the registry ends the live session and closes the account.
    let session = session_of(&w, &a.0, CITIZEN_PASSWORD).await;
    assert!(identity::session_info(&w.db, &session, kernel::clock::now_ms()).await.unwrap().is_some());
    let id = kernel::PersonalId::parse(&a.0).unwrap();
    registry::write::record_death(
        &w.db,
        "test",
        &web::Jurisdiction::Province("08".into()),
        &id,
        kernel::clock::today_vn(),
        "giấy báo tử",
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    identity::liveness::forget(&a.0);
    assert_eq!(get(&w, &session, "/account").await.status(), 303);
    assert!(identity::session_info(&w.db, &session, kernel::clock::now_ms()).await.unwrap().is_none());
    let closed = identity::account_by_id(&w.db, &account.id).await.unwrap().unwrap();
    assert_eq!(closed.status, identity::AccountStatus::Deceased);
    let r = sign_in(&w, &a.0, CITIZEN_PASSWORD).await;
    assert_eq!(r.status(), 403);
    assert!(cookie_value(&r, SESSION).is_none());
}

fn totp_code(secret: &str, at: u64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.into()).to_bytes().unwrap();
    totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, String::new()).generate(at)
}

/// Turns TOTP on from the account page; returns the key, the time the enrolment code was made
/// for, that code and the recovery codes.
async fn enable_totp(w: &World, session: &str) -> (String, u64, String, Vec<String>) {
    let html = get(w, session, "/account/totp").await.text().await.unwrap();
    assert!(html.contains("<svg"), "QR code shown");
    let secret = hidden(&html, "secret");
    let csrf = hidden(&html, "csrf");
    let now = (kernel::clock::now_ms() / 1000) as u64;
    let wrong = [("csrf", csrf.as_str()), ("secret", secret.as_str()), ("code", "12345x")];
    assert_eq!(post(w, session, "/account/totp/enable", &wrong).await.status(), 400);
    let code = totp_code(&secret, now);
    let r = post(w, session, "/account/totp/enable", &[("csrf", &csrf), ("secret", &secret), ("code", &code)]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let start = html.find("id=\"codes\">").unwrap() + 11;
    let codes: Vec<String> = html[start..start + html[start..].find('<').unwrap()].lines().map(str::to_owned).collect();
    (secret, now, code, codes)
}

async fn stored_totp_secret(db: &Db, person_id: &str) -> String {
    sqlx::query("SELECT totp_secret FROM accounts WHERE person_id = $1")
        .bind(person_id)
        .fetch_one(db.read())
        .await
        .unwrap()
        .get(0)
}

async fn totp_second_factor_and_recovery_codes(db: Db) {
    let w = common::world(db, 800, false).await;
    let people = residents(&w.db, &w.commune, 1).await;
    let a = &people[0];
    register_and_confirm(&w, a, "0912000031").await;
    let session = session_of(&w, &a.0, CITIZEN_PASSWORD).await;
    let (secret, now, code, codes) = enable_totp(&w, &session).await;
    assert_eq!(codes.len(), 10);
    // The key is stored sealed (AES-256-GCM), never as the base32 text.
    let stored = stored_totp_secret(&w.db, &a.0).await;
    assert!(stored.starts_with("v1.") && !stored.contains(&secret), "{stored}");
    // The password alone now leads to the second step, not to a session.
    let r = sign_in(&w, &a.0, CITIZEN_PASSWORD).await;
    assert_eq!(r.headers()[LOCATION], "/login/second-factor");
    assert!(cookie_value(&r, SESSION).is_none());
    let mfa = cookie_value(&r, "__Host-dancu_mfa").unwrap();
    assert_eq!(second_step(&w, &mfa, "000000").await.status(), 401);
    // The code used to enrol cannot be replayed; the next step's code works.
    assert_eq!(second_step(&w, &mfa, &code).await.status(), 401);
    let r = second_step(&w, &mfa, &totp_code(&secret, now + 30)).await;
    assert_eq!(r.status(), 303);
    let s = cookie_value(&r, SESSION).unwrap();
    let info = identity::session_info(&w.db, &s, kernel::clock::now_ms()).await.unwrap().unwrap();
    assert_eq!(info.amr, ["pwd", "otp"]);
    assert!(info.auth_time_ms <= kernel::clock::now_ms());
    // A recovery code works once.
    for expected in [303, 401] {
        let r = sign_in(&w, &a.0, CITIZEN_PASSWORD).await;
        let mfa = cookie_value(&r, "__Host-dancu_mfa").unwrap();
        let r = second_step(&w, &mfa, &codes[0].to_uppercase()).await;
        assert_eq!(r.status(), expected);
    }
    let left = get(&w, &s, "/account/totp").await.text().await.unwrap();
    assert!(left.contains("id=\"codes-left\">9<"));
    // A key stored plain by an earlier version still works and is sealed at its next use.
    sqlx::query("UPDATE accounts SET totp_secret = $1, totp_last_step = NULL WHERE person_id = $2")
        .bind(&secret)
        .bind(&a.0)
        .execute(w.db.write())
        .await
        .unwrap();
    let r = sign_in(&w, &a.0, CITIZEN_PASSWORD).await;
    let mfa = cookie_value(&r, "__Host-dancu_mfa").unwrap();
    let now = (kernel::clock::now_ms() / 1000) as u64;
    assert_eq!(second_step(&w, &mfa, &totp_code(&secret, now)).await.status(), 303);
    let resealed = stored_totp_secret(&w.db, &a.0).await;
    assert!(resealed.starts_with("v1.") && !resealed.contains(&secret) && resealed != stored, "{resealed}");
}

async fn rate_limits_and_prompt_login(db: Db) {
    let w = common::world(db, 300, false).await;
    // Per account: the 11th attempt within a minute is refused before the password is checked.
    for _ in 0..10 {
        assert_eq!(sign_in(&w, "tinh.test", "sai-mat-khau-1").await.status(), 401);
    }
    assert_eq!(sign_in(&w, "tinh.test", &w.password).await.status(), 429);
    // Per IP: registration probes of the registry are limited too.
    let probe = ("012345678901".to_string(), "Nguyễn Văn A".to_string(), "01/01/1990".to_string());
    for _ in 0..20 {
        assert_eq!(register(&w, &probe, "0912000041").await.status(), 400);
    }
    assert_eq!(register(&w, &probe, "0912000041").await.status(), 429);
    // A signed-in user is sent on from /login, unless force=1 (prompt=login) asks for the form.
    let s = session_of(&w, "xa.test", &w.password).await;
    let r = get(&w, &s, "/login?next=/quality").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/quality");
    let r = get(&w, &s, "/login?next=/quality&force=1").await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("name=\"force\" value=\"1\""));
    let r = get(&w, &s, "/login?next=https://evil.example/").await;
    assert_eq!(r.headers()[LOCATION], "/lodging/police", "an unsafe next leads to the start page");
}

async fn guardian_registers_a_child(db: Db) {
    let w = common::world(db, 1_500, false).await;
    // A living parent (16+) with a full date of birth, and their child under 14.
    let row = sqlx::query(
        "SELECT c.personal_id, c.full_name, c.birth_date, p.personal_id, p.full_name, p.birth_date FROM persons c \
         JOIN persons p ON p.personal_id = c.mother_id OR p.personal_id = c.father_id \
         WHERE c.status = 'living' AND p.status = 'living' AND LENGTH(c.birth_date) = 10 AND LENGTH(p.birth_date) = 10 \
         AND c.birth_date > $1 AND p.birth_date < '2005-01-01' ORDER BY c.personal_id LIMIT 1",
    )
    .bind((kernel::clock::today_vn() - chrono::Duration::days(13 * 366)).format("%Y-%m-%d").to_string())
    .fetch_one(w.db.read())
    .await
    .unwrap();
    let vn = |d: String| format!("{}/{}/{}", &d[8..10], &d[5..7], &d[0..4]);
    let child = (row.get::<String, _>(0), row.get::<String, _>(1), vn(row.get(2)));
    let parent = (row.get::<String, _>(3), row.get::<String, _>(4), vn(row.get(5)));
    register_and_confirm(&w, &parent, "0912000051").await;
    let s = session_of(&w, &parent.0, CITIZEN_PASSWORD).await;
    let csrf = csrf_of(&w, &s).await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("person_id", child.0.as_str()),
        ("full_name", child.1.as_str()),
        ("birth_date", child.2.as_str()),
        ("password", "mat-khau-cua-con-1"),
        ("password2", "mat-khau-cua-con-1"),
    ];
    // Level 1 is not enough.
    assert_eq!(post(&w, &s, "/account/children/new", &fields).await.status(), 403);
    let account = identity::account_by_person(&w.db, &parent.0).await.unwrap().unwrap();
    identity::raise_level_by_chip(&w.db, &account.id, "Kiểm thử chip", "test-ref", kernel::clock::now_ms())
        .await
        .unwrap();
    // Someone else's child is refused; the parent's own child is registered under them.
    let stranger = residents(&w.db, &w.commune, 1).await.remove(0);
    let other = [
        ("csrf", csrf.as_str()),
        ("person_id", stranger.0.as_str()),
        ("full_name", stranger.1.as_str()),
        ("birth_date", stranger.2.as_str()),
        ("password", "mat-khau-cua-con-1"),
        ("password2", "mat-khau-cua-con-1"),
    ];
    assert_eq!(post(&w, &s, "/account/children/new", &other).await.status(), 400);
    assert_eq!(account_level(&w.db, &stranger.0).await, None);
    let r = post(&w, &s, "/account/children/new", &fields).await;
    assert_eq!(r.status(), 303);
    let kid = identity::account_by_person(&w.db, &child.0).await.unwrap().unwrap();
    assert_eq!(kid.guardian_account_id.as_deref(), Some(account.id.as_str()));
    assert_eq!(kid.level, 1);
    assert!(get(&w, &s, "/account").await.text().await.unwrap().contains(&child.1));
    // The child cannot register themself.
    let r = register(&w, &child, "0912000052").await;
    assert_eq!(r.status(), 400);
}

async fn organization_staff_by_invitation(db: Db) {
    let w = common::world(db, 300, false).await;
    let hasher = identity::PasswordHasher::new(2);
    identity::create_account(
        &w.db,
        &hasher,
        identity::NewAccount {
            login: "quan.tri".into(),
            display_name: "Quản trị".into(),
            role: web::Role::Admin,
            jurisdiction: web::Jurisdiction::Province("08".into()),
            password: w.password.clone(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    let admin = session_of(&w, "quan.tri", &w.password).await;
    let csrf = csrf_of(&w, &admin).await;
    let mut fields = vec![
        ("csrf", csrf.clone()),
        ("tax_code", "01012345".to_string()),
        ("name", "Khách sạn Sông Lô".to_string()),
        ("kind", "hotel".to_string()),
        ("address", "12 đường Bình Thuận".to_string()),
        ("commune_code", w.commune.clone()),
        ("owner_contact", "chu@songlo.example".to_string()),
    ];
    let send = |f: Vec<(&'static str, String)>| {
        w.http
            .post(format!("{}/admin/organizations", w.base))
            .header(COOKIE, format!("{SESSION}={admin}"))
            .form(&f)
            .send()
    };
    assert_eq!(send(fields.clone()).await.unwrap().status(), 400, "bad tax code");
    let orgs: i64 = sqlx::query("SELECT COUNT(*) FROM organizations").fetch_one(w.db.read()).await.unwrap().get(0);
    assert_eq!(orgs, 0);
    fields[1].1 = "0101234567-001".into();
    let r = send(fields).await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let path = invite_path(&html);
    let body: String = sqlx::query("SELECT body FROM sms_outbox WHERE recipient = 'chu@songlo.example'")
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    assert!(body.contains(&path), "the link went to the outbox");
    // Only administrators see the outbox.
    assert_eq!(get(&w, &admin, "/admin/sms-outbox").await.status(), 200);
    let officer = session_of(&w, "xa.test", &w.password).await;
    assert_eq!(get(&w, &officer, "/admin/sms-outbox").await.status(), 403);
    // The owner accepts, signs in and invites a member.
    assert_eq!(accept(&w, &path, "chu.songlo").await.status(), 303);
    assert_eq!(w.http.get(format!("{}{path}", w.base)).send().await.unwrap().status(), 404, "a link works once");
    let owner = session_of(&w, "chu.songlo", "mat-khau-chu-co-so").await;
    let html = get(&w, &owner, "/org").await.text().await.unwrap();
    assert!(html.contains("Khách sạn Sông Lô"));
    let csrf = hidden(&html, "csrf");
    let r =
        post(&w, &owner, "/org/invite", &[("csrf", &csrf), ("contact", "0912 000 061"), ("org_role", "staff")]).await;
    let html = r.text().await.unwrap();
    assert_eq!(accept(&w, &invite_path(&html), "le.tan").await.status(), 303);
    let staff = identity::find_by_login(&w.db, "le.tan").await.unwrap().unwrap().0;
    assert_eq!(staff.role, web::Role::OrgStaff);
    assert_eq!(staff.org_role.as_deref(), Some("staff"));
    assert!(matches!(staff.jurisdiction, web::Jurisdiction::Own(ref o) if Some(o) == staff.organization_id.as_ref()));
    // Staff cannot invite; the owner removes the member, who can no longer sign in.
    let staff_session = session_of(&w, "le.tan", "mat-khau-chu-co-so").await;
    let scsrf = hidden(&get(&w, &staff_session, "/org").await.text().await.unwrap(), "csrf");
    assert_eq!(
        post(&w, &staff_session, "/org/invite", &[("csrf", &scsrf), ("contact", "x@y.example"), ("org_role", "staff")])
            .await
            .status(),
        403
    );
    let r = post(&w, &owner, "/org/members", &[("csrf", &csrf), ("account_id", &staff.id), ("action", "remove")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(get(&w, &staff_session, "/org").await.status(), 303);
    assert_eq!(sign_in(&w, "le.tan", "mat-khau-chu-co-so").await.status(), 403);
}

/// An administrator account (login `quan.tri`, the officers' password).
async fn administrator(w: &World) -> identity::Account {
    identity::create_account(
        &w.db,
        &identity::PasswordHasher::new(2),
        identity::NewAccount {
            login: "quan.tri".into(),
            display_name: "Quản trị".into(),
            role: web::Role::Admin,
            jurisdiction: web::Jurisdiction::Province("08".into()),
            password: w.password.clone(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap()
}

async fn status_of(db: &Db, account_id: &str) -> String {
    sqlx::query("SELECT status FROM accounts WHERE id = $1").bind(account_id).fetch_one(db.read()).await.unwrap().get(0)
}

async fn status_changes(db: &Db, account_id: &str) -> Vec<(String, String, String)> {
    sqlx::query(
        "SELECT to_status, reason, actor_label FROM account_status_changes WHERE account_id = $1 ORDER BY created_at, id",
    )
    .bind(account_id)
    .fetch_all(db.read())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

async fn administrator_suspends_and_reactivates(db: Db) {
    let w = common::world(db, 800, false).await;
    let people = residents(&w.db, &w.commune, 1).await;
    let a = &people[0];
    register_and_confirm(&w, a, "0912000071").await;
    let citizen = identity::account_by_person(&w.db, &a.0).await.unwrap().unwrap();
    let citizen_session = session_of(&w, &a.0, CITIZEN_PASSWORD).await;
    let me = administrator(&w).await;
    let admin = session_of(&w, "quan.tri", &w.password).await;
    let suspend = format!("/admin/accounts/{}/suspend", citizen.id);
    let reactivate = format!("/admin/accounts/{}/reactivate", citizen.id);
    // Officers who are not administrators neither see the page nor suspend.
    let officer = session_of(&w, "xa.test", &w.password).await;
    assert_eq!(get(&w, &officer, "/admin/accounts").await.status(), 403);
    let ocsrf = csrf_of(&w, &officer).await;
    assert_eq!(post(&w, &officer, &suspend, &[("csrf", &ocsrf), ("reason", "không được phép")]).await.status(), 403);
    // The administrator finds the citizen by login or by name; the listing is access-logged.
    let html = get(&w, &admin, &format!("/admin/accounts?q={}", a.0)).await.text().await.unwrap();
    assert!(html.contains(&format!("data-login=\"{}\"", a.0)) && html.contains("Đang hoạt động"), "{html}");
    let by_name = get(&w, &admin, &format!("/admin/accounts?q={}", web::auth::urlencode(&a.1))).await;
    assert!(by_name.text().await.unwrap().contains(&format!("data-login=\"{}\"", a.0)));
    let html = get(&w, &admin, "/admin/accounts?q=khong-ai-co-ten-nay").await.text().await.unwrap();
    assert!(!html.contains("data-login="));
    assert_eq!(get(&w, &admin, "/admin/accounts?page=0").await.status(), 400);
    w.running.ctx.access_log.flush().await;
    let listed: i64 =
        sqlx::query("SELECT COUNT(*) FROM access_log WHERE subject_id = $1 AND action = 'account.listed'")
            .bind(&a.0)
            .fetch_one(w.db.read())
            .await
            .unwrap()
            .get(0);
    assert_eq!(listed, 2);
    // A forged token, a missing reason and the administrator's own account change nothing.
    let csrf = csrf_of(&w, &admin).await;
    assert_eq!(post(&w, &admin, &suspend, &[("csrf", "forged"), ("reason", "lý do")]).await.status(), 403);
    assert_eq!(post(&w, &admin, &suspend, &[("csrf", &csrf), ("reason", " ")]).await.status(), 400);
    let own = format!("/admin/accounts/{}/suspend", me.id);
    assert_eq!(post(&w, &admin, &own, &[("csrf", &csrf), ("reason", "tự tạm ngừng")]).await.status(), 400);
    assert_eq!(
        post(&w, &admin, "/admin/accounts/khong-co/suspend", &[("csrf", &csrf), ("reason", "lý do")]).await.status(),
        404
    );
    assert_eq!(status_of(&w.db, &citizen.id).await, "active");
    assert_eq!(status_of(&w.db, &me.id).await, "active");
    assert!(status_changes(&w.db, &citizen.id).await.is_empty());
    assert_eq!(get(&w, &citizen_session, "/account").await.status(), 200);
    // Suspension: recorded with reason and actor, the citizen's session ends, sign-in is refused.
    let r = post(&w, &admin, &suspend, &[("csrf", &csrf), ("reason", "Nghi vấn bị chiếm đoạt")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(status_of(&w.db, &citizen.id).await, "suspended");
    assert_eq!(
        status_changes(&w.db, &citizen.id).await,
        [("suspended".to_string(), "Nghi vấn bị chiếm đoạt".to_string(), "Quản trị (Quản trị hệ thống)".to_string())]
    );
    assert_eq!(get(&w, &citizen_session, "/account").await.status(), 303);
    let r = sign_in(&w, &a.0, CITIZEN_PASSWORD).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("tạm ngừng"));
    let html = get(&w, &admin, &format!("/admin/accounts?q={}", a.0)).await.text().await.unwrap();
    assert!(html.contains("Bị tạm ngừng") && html.contains("Nghi vấn bị chiếm đoạt") && html.contains(&reactivate));
    // Suspending twice is a conflict; reactivation restores sign-in.
    assert_eq!(post(&w, &admin, &suspend, &[("csrf", &csrf), ("reason", "lần hai")]).await.status(), 409);
    assert_eq!(post(&w, &officer, &reactivate, &[("csrf", &ocsrf)]).await.status(), 403);
    assert_eq!(post(&w, &admin, &reactivate, &[("csrf", &csrf), ("reason", "Đã xác minh")]).await.status(), 200);
    assert_eq!(status_of(&w.db, &citizen.id).await, "active");
    assert_eq!(status_changes(&w.db, &citizen.id).await.len(), 2);
    assert_eq!(post(&w, &admin, &reactivate, &[("csrf", &csrf)]).await.status(), 409);
    assert_eq!(sign_in(&w, &a.0, CITIZEN_PASSWORD).await.status(), 303);
}

/// Asks for a password reset; returns the response page.
async fn forgot(w: &World, login: &str, phone: &str) -> Response {
    let (c, html) = form(w, "/password/forgot").await;
    post_anon(w, "/password/forgot", Some(&c), &[("csrf", &hidden(&html, "csrf")), ("login", login), ("phone", phone)])
        .await
}

/// Submits the code and a new password on a reset page.
async fn reset(w: &World, page_html: &str, code: &str, password: &str) -> Response {
    let csrf = hidden(page_html, "csrf");
    let fields = [
        ("csrf", csrf.as_str()),
        ("flow", &hidden(page_html, "flow")),
        ("login", &hidden(page_html, "login")),
        ("phone", &hidden(page_html, "phone")),
        ("code", code),
        ("password", password),
        ("password2", password),
    ];
    post_anon(w, "/password/forgot/confirm", Some(&csrf), &fields).await
}

async fn sms_count(db: &Db, phone: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM sms_outbox WHERE recipient = $1")
        .bind(phone)
        .fetch_one(db.read())
        .await
        .unwrap()
        .get(0)
}

async fn forgotten_password_by_phone_code(db: Db) {
    let w = common::world(db, 800, false).await;
    let people = residents(&w.db, &w.commune, 1).await;
    let a = &people[0];
    let phone = "0912000081";
    register_and_confirm(&w, a, phone).await;
    let old_session = session_of(&w, &a.0, CITIZEN_PASSWORD).await;
    let (totp_secret, _, _, _) = enable_totp(&w, &old_session).await;
    let account = identity::account_by_person(&w.db, &a.0).await.unwrap().unwrap();
    let (token_id, token) =
        identity::issue_token(&w.db, &account.id, "ứng dụng cá nhân", kernel::clock::now_ms()).await.unwrap();
    let token_revoked = || async {
        sqlx::query("SELECT revoked_at FROM api_tokens WHERE id = $1")
            .bind(&token_id)
            .fetch_one(w.db.read())
            .await
            .unwrap()
            .get::<Option<i64>, _>(0)
            .is_some()
    };
    let sent_before = sms_count(&w.db, phone).await;
    // An unknown account and a phone that is not the account's get the same page, and no message.
    let unknown = forgot(&w, "099999999999", phone).await;
    let wrong_phone = forgot(&w, &a.0, "0912000089").await;
    let mut decoy = String::new();
    for r in [unknown, wrong_phone] {
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("id=\"sent\"") && html.contains("name=\"flow\""), "{html}");
        decoy = html;
    }
    assert_eq!(sms_count(&w.db, phone).await, sent_before);
    assert_eq!(sms_count(&w.db, "0912000089").await, 0);
    // Its codes count down like real ones.
    let r = reset(&w, &decoy, "000000", "mat-khau-moi-rat-dai").await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("còn 4 lần"));
    // The account's own phone receives a code.
    let r = forgot(&w, &a.0, "+84 912 000 081").await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert_eq!(sms_count(&w.db, phone).await, sent_before + 1);
    let code = last_code(&w.db, phone).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    const NEW: &str = "mat-khau-moi-rat-dai";
    // A weak password is refused before the code is looked at; a wrong code changes nothing.
    assert_eq!(reset(&w, &page, &code, "ngan").await.status(), 400);
    assert_eq!(reset(&w, &page, wrong, NEW).await.status(), 401);
    assert_eq!(get(&w, &old_session, "/account").await.status(), 200);
    assert_eq!(sign_in(&w, &a.0, NEW).await.status(), 401);
    assert!(!token_revoked().await);
    // The right code sets the password and ends every session.
    let r = reset(&w, &page, &code, NEW).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Đã đặt mật khẩu mới"));
    assert_eq!(get(&w, &old_session, "/account").await.status(), 303);
    assert_eq!(sign_in(&w, &a.0, CITIZEN_PASSWORD).await.status(), 401);
    // ... and revokes the personal API tokens.
    assert!(token_revoked().await);
    assert_eq!(w.get(&token, "/api/v1/me").await.0, 401);
    // Two-step verification is still asked for.
    let r = sign_in(&w, &a.0, NEW).await;
    assert_eq!(r.headers()[LOCATION], "/login/second-factor");
    assert!(cookie_value(&r, SESSION).is_none());
    let mfa = cookie_value(&r, "__Host-dancu_mfa").unwrap();
    let now = (kernel::clock::now_ms() / 1000) as u64;
    assert_eq!(second_step(&w, &mfa, &totp_code(&totp_secret, now + 30)).await.status(), 303);
    // A used code does not work again.
    assert_eq!(reset(&w, &page, &code, "mat-khau-khac-nua-di").await.status(), 410);
    assert_eq!(sign_in(&w, &a.0, "mat-khau-khac-nua-di").await.status(), 401);
}

db::dual_tests!(crate::common::migrations();
    registration_checks_the_registry_and_the_phone,
    officer_raises_level_within_jurisdiction,
    account_states_stop_sign_in,
    totp_second_factor_and_recovery_codes,
    rate_limits_and_prompt_login,
    guardian_registers_a_child,
    organization_staff_by_invitation,
    administrator_suspends_and_reactivates,
    forgotten_password_by_phone_code,
);
