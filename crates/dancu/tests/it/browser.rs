//! The server-rendered pages driven end to end in headless Chromium: sign-in (wrong and right
//! password), resident search, a person's page, and the data-quality dashboard in both languages;
//! single sign-on to the sample school portal with two-step verification and consent; and the
//! identity verifier page (scanner-gun input, green/red/amber result cards, both languages); and a
//! passkey added and used with Chromium's virtual authenticator.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (override with `DANCU_CHROMIUM` and
//! `DANCU_CHROMEDRIVER`) and runs only when compiled with `DANCU_BROWSER_TESTS=1` (`.ci/run` sets
//! it; otherwise the tests are reported as ignored, see `crates/db/test_gates.rs`). A screenshot
//! of the English quality dashboard is written to `target/browser-screenshots/quality.png`.

use crate::common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use db::sqlx::{self, Row};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

/// Upper bound of every wait for an element.
const WAIT: Duration = Duration::from_secs(20);
/// The session cookie set by a successful sign-in.
const SESSION_COOKIE: &str = "__Host-dancu_session";
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
    "--lang=vi-VN",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dancu_browser), ignore = "needs Chromium: set DANCU_BROWSER_TESTS=1")]
async fn pages_in_headless_chromium() {
    let t = db::testing::TestDb::sqlite(&common::migrations()).await;
    let w = common::world(t.db().clone(), 2_000, true).await;
    let quality = registry::quality::run(&w.db, kernel::clock::now_ms()).await.expect("quality run");
    println!("quality run: {} findings over {} persons", quality.findings, quality.persons_checked);

    // A name prefix that exists in the officer's province: the first two words of a resident's name.
    let full_name: String =
        sqlx::query("SELECT full_name FROM persons WHERE current_commune IS NOT NULL ORDER BY personal_id LIMIT 1")
            .fetch_one(w.db.read())
            .await
            .expect("a resident")
            .get(0);
    let prefix = full_name.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    assert!(!prefix.is_empty(), "resident without a name");

    let driver = Driver::start().await.expect("start chromedriver");
    let client = driver.connect().await.expect("open a Chromium session");
    let outcome = drive(&client, &w.base, &w.password, &prefix).await;
    // Close the session (and Chromium) whatever happened, then report.
    let closed = client.close().await;
    drop(driver);
    let screenshot = outcome.unwrap();
    closed.expect("close the browser session");
    println!("screenshot: {}", screenshot.display());
}

/// The browser part; returns the path of the quality-dashboard screenshot.
async fn drive(c: &Client, base: &str, password: &str, prefix: &str) -> anyhow::Result<PathBuf> {
    let shots = screenshot_dir()?;

    // A wrong password: the error is shown and no session cookie is set.
    c.goto(&format!("{base}/login")).await?;
    sign_in(c, "tinh.test", "not-the-password-42").await?;
    // `p.error`, not any `[role=alert]`: the login page also has a hidden passkey status, which
    // the old page still shows while the form's navigation is under way.
    let alert = wait_css(c, "p.error[role=alert]").await?;
    let alert_text = alert.text().await?;
    ensure!(!alert_text.trim().is_empty(), "the sign-in error is empty");
    ensure!(path_of(c).await? == "/login", "a failed sign-in left the login page");
    ensure!(!has_session_cookie(c).await?, "a failed sign-in set {SESSION_COOKIE}");
    save_screenshot(c, &shots, "login-error.png").await?;

    // The right password lands on the resident search.
    c.goto(&format!("{base}/login")).await?;
    sign_in(c, "tinh.test", password).await?;
    wait_css(c, "form[role=search] input[name=q]").await?;
    ensure!(path_of(c).await? == "/persons", "sign-in landed on {} instead of /persons", c.current_url().await?);
    ensure!(has_session_cookie(c).await?, "sign-in did not set {SESSION_COOKIE}");

    // Search by a name prefix (typed with its diacritics).
    let q = c.find(Locator::Css("form[role=search] input[name=q]")).await?;
    q.clear().await?;
    q.send_keys(prefix).await?;
    c.find(Locator::Css("form[role=search] button[type=submit]")).await?.click().await?;
    wait_css(c, "table#results").await?;
    let rows = c.find_all(Locator::Css("table#results tbody tr")).await?;
    ensure!(!rows.is_empty(), "no result for {prefix:?}");
    let folded_q = kernel::text::fold(prefix);
    for row in &rows {
        let name = row.find(Locator::Css("td:nth-child(2)")).await?.text().await?;
        ensure!(
            kernel::text::fold(&name).starts_with(&folded_q),
            "result {name:?} does not start with {prefix:?} (folded {folded_q:?})"
        );
    }
    println!("search {prefix:?}: {} rows on the first page", rows.len());
    save_screenshot(c, &shots, "persons.png").await?;

    // The first result opens the person's page.
    let link = rows[0].find(Locator::Css("td:first-child a")).await?;
    let clicked_id = link.text().await?.trim().to_string();
    ensure!(!clicked_id.is_empty(), "first result has an empty id link");
    link.click().await?;
    // The purpose is asked before the record opens; an investigation needs its case file number.
    let purpose = wait_css(c, "form#purpose-form select#purpose").await?;
    ensure!(c.find_all(Locator::Css("#pid")).await?.is_empty(), "the record showed before a purpose was chosen");
    purpose.select_by_value("investigation").await?;
    c.find(Locator::Css("form#purpose-form button[type=submit]")).await?.click().await?;
    let refusal = wait_css(c, "p.error[role=alert]").await?.text().await?;
    ensure!(refusal.contains("số hồ sơ"), "no case reference asked for: {refusal:?}");
    ensure!(c.find_all(Locator::Css("#pid")).await?.is_empty(), "the record showed without a case reference");
    c.find(Locator::Css("form#purpose-form input#case_ref")).await?.send_keys("VV-2026-17").await?;
    c.find(Locator::Css("form#purpose-form button[type=submit]")).await?.click().await?;
    let pid = wait_css(c, "#pid").await?;
    let pid_text = pid.text().await?;
    let shown_id = pid_text.trim();
    ensure!(shown_id == clicked_id, "person page shows {pid_text:?}, clicked {clicked_id:?}");
    ensure!(path_of(c).await? == format!("/persons/{clicked_id}"), "person page at {}", c.current_url().await?);
    save_screenshot(c, &shots, "person.png").await?;

    // The quality dashboard, in Vietnamese then English.
    c.goto(&format!("{base}/quality")).await?;
    wait_css(c, "table#rules").await?;
    let rules = c.find_all(Locator::Css("table#rules tbody tr")).await?;
    ensure!(!rules.is_empty(), "the quality rules table has no rows");
    let h1 = c.find(Locator::Css("main h1")).await?.text().await?;
    ensure!(h1 == "Chất lượng dữ liệu dân cư", "Vietnamese heading is {h1:?}");
    c.find(Locator::Css("a.lang")).await?.click().await?;
    wait_css(c, "html[lang=en] table#rules").await?;
    let h1 = c.find(Locator::Css("main h1")).await?.text().await?;
    ensure!(h1 == "Population data quality", "English heading is {h1:?}");
    ensure!(path_of(c).await? == "/quality", "language toggle went to {}", c.current_url().await?);

    // The whole page in one screenshot: grow the viewport to the document's height.
    let sizes = c
        .execute("return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight];", vec![])
        .await?;
    let page_height = sizes[0].as_u64().unwrap_or(900).clamp(600, 4000);
    let frame = sizes[1].as_u64().unwrap_or(0).min(300);
    c.set_window_size(1280, (page_height + frame) as u32).await?;
    save_screenshot(c, &shots, "quality.png").await
}

/// Fills and submits the sign-in form of the current page.
pub(crate) async fn sign_in(c: &Client, login: &str, password: &str) -> anyhow::Result<()> {
    let form = "form[action='/login']";
    let login_input = wait_css(c, &format!("{form} input[name=login]")).await?;
    login_input.clear().await?;
    login_input.send_keys(login).await?;
    c.find(Locator::Css(&format!("{form} input[name=password]"))).await?.send_keys(password).await?;
    c.find(Locator::Css(&format!("{form} button[type=submit]"))).await?.click().await?;
    Ok(())
}

/// Waits (bounded) until an element matching `css` is on the page.
pub(crate) async fn wait_css(c: &Client, css: &str) -> anyhow::Result<Element> {
    match c.wait().at_most(WAIT).for_element(Locator::Css(css)).await {
        Ok(e) => Ok(e),
        Err(e) => {
            let url = c.current_url().await.map(|u| u.to_string()).unwrap_or_default();
            Err(anyhow::Error::new(e).context(format!("waiting for {css:?} on {url}")))
        }
    }
}

/// Waits (bounded) until the browser has left `/login`: a click on the sign-in button returns
/// before the form's navigation ends, and the session cookie only exists after it.
pub(crate) async fn left_sign_in(c: &Client) -> anyhow::Result<()> {
    let until = std::time::Instant::now() + WAIT;
    while path_of(c).await? == "/login" {
        ensure!(std::time::Instant::now() < until, "still on /login after {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

pub(crate) async fn path_of(c: &Client) -> anyhow::Result<String> {
    Ok(c.current_url().await?.path().to_string())
}

async fn has_session_cookie(c: &Client) -> anyhow::Result<bool> {
    Ok(c.get_all_cookies().await?.iter().any(|k| k.name() == SESSION_COOKIE && !k.value().is_empty()))
}

/// `target/browser-screenshots` (under `CARGO_TARGET_DIR` when set), created if missing.
pub(crate) fn screenshot_dir() -> anyhow::Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("browser-screenshots");
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    Ok(dir.canonicalize()?)
}

pub(crate) async fn save_screenshot(c: &Client, dir: &std::path::Path, name: &str) -> anyhow::Result<PathBuf> {
    let png = c.screenshot().await?;
    let path = dir.join(name);
    std::fs::write(&path, png).with_context(|| format!("write {}", path.display()))?;
    Ok(path)
}

/// A chromedriver started for this test on a free port; killed (with the Chromium it started) on drop.
pub(crate) struct Driver {
    child: Child,
    port: u16,
    /// Chromium's fresh profile; removed after the processes are gone.
    profile: tempfile::TempDir,
}

impl Driver {
    pub(crate) async fn start() -> anyhow::Result<Driver> {
        let bin = std::env::var("DANCU_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut cmd = Command::new(&bin);
        cmd.arg(format!("--port={port}")).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        // Its own process group, so the browsers it starts can be stopped with it.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd.spawn().with_context(|| format!("cannot start {bin}"))?;
        let mut driver = Driver { child, port, profile: tempfile::tempdir()? };
        let status_url = format!("http://127.0.0.1:{port}/status");
        let http = reqwest::Client::new();
        let started = Instant::now();
        for _ in 0..100 {
            if let Some(status) = driver.child.try_wait()? {
                bail!("{bin} exited ({status}) before answering on port {port}");
            }
            let ready = match http.get(&status_url).timeout(Duration::from_secs(1)).send().await {
                Ok(r) => r.json::<serde_json::Value>().await.map(|v| v["value"]["ready"] == true).unwrap_or(false),
                Err(_) => false,
            };
            if ready {
                return Ok(driver);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("{bin} did not report ready on port {port} after {:.1} s", started.elapsed().as_secs_f64())
    }

    /// A new headless Chromium session.
    pub(crate) async fn connect(&self) -> anyhow::Result<Client> {
        let binary = std::env::var("DANCU_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", self.profile.path().display()));
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert("goog:chromeOptions".into(), serde_json::json!({ "binary": binary, "args": args }));
        let client = ClientBuilder::rustls()?
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .context("new WebDriver session")?;
        Ok(client)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole process group this test created (chromedriver and any browser left behind).
        #[cfg(unix)]
        let _ =
            Command::new("kill").args(["-TERM", "--", &format!("-{}", self.child.id())]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Single sign-on in a real browser: a level-2 citizen with two-step verification signs in to the
/// sample school portal (password, then a TOTP code), consents, and the portal shows their name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dancu_browser), ignore = "needs Chromium: set DANCU_BROWSER_TESTS=1")]
async fn sso_with_totp_and_consent_in_headless_chromium() {
    let t = db::testing::TestDb::sqlite(&common::migrations()).await;
    let w = common::world(t.db().clone(), 300, false).await;
    let (person, name): (String, String) = sqlx::query(
        "SELECT personal_id, full_name FROM persons WHERE status = 'living' AND birth_date < '2000' ORDER BY personal_id LIMIT 1",
    )
    .fetch_one(w.db.read())
    .await
    .map(|r| (r.get(0), r.get(1)))
    .expect("an adult resident");
    dancu::accounts_cmd::citizen_account(&w.db, &identity::PasswordHasher::new(2), &person, &w.password, 2)
        .await
        .expect("citizen account");
    let provider = oidc::Provider::start(
        w.db.clone(),
        w.running.ctx.access_log.clone(),
        &w.base,
        &Default::default(),
        kernel::clock::now_ms,
    )
    .await
    .expect("provider");
    oidc::sample_rp::ensure_registered(&provider, kernel::clock::now_ms()).await.expect("sample relying party");

    let driver = Driver::start().await.expect("start chromedriver");
    let client = driver.connect().await.expect("open a Chromium session");
    let outcome = drive_sso(&client, &w.base, &person, &w.password, &name).await;
    let closed = client.close().await;
    drop(driver);
    let screenshot = outcome.unwrap();
    closed.expect("close the browser session");
    println!("screenshot: {}", screenshot.display());
    w.running.ctx.access_log.flush().await;
    let released: i64 = sqlx::query(
        "SELECT COUNT(*) FROM access_log WHERE subject_id = $1 AND channel = 'oidc' AND action = 'oidc.userinfo'",
    )
    .bind(&person)
    .fetch_one(w.db.read())
    .await
    .unwrap()
    .get(0);
    assert_eq!(released, 1, "the portal's userinfo call is one release in the citizen's access log");
}

/// The TOTP code of `secret` for the time step `steps_back` steps before now.
fn totp_code(secret: &str, steps_back: u64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_string()).to_bytes().expect("base32 secret");
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "test".into()).expect("totp");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    totp.generate(now - steps_back * 30)
}

async fn drive_sso(c: &Client, base: &str, login: &str, password: &str, name: &str) -> anyhow::Result<PathBuf> {
    let shots = screenshot_dir()?;
    // Turn on two-step verification (enrolled with the previous time step's code, so the sign-in
    // below uses a later step and no code is ever used twice).
    c.goto(&format!("{base}/login")).await?;
    sign_in(c, login, password).await?;
    wait_css(c, "header .who").await?;
    c.goto(&format!("{base}/account/totp")).await?;
    let secret = wait_css(c, "#totp-secret").await?.text().await?;
    c.find(Locator::Css("form[action='/account/totp/enable'] input[name=code]"))
        .await?
        .send_keys(&totp_code(&secret, 1))
        .await?;
    c.find(Locator::Css("form[action='/account/totp/enable'] button[type=submit]")).await?.click().await?;
    let recovery = wait_css(c, "#codes").await?.text().await?;
    ensure!(recovery.lines().count() == 10, "expected 10 recovery codes, got {recovery:?}");
    c.delete_all_cookies().await?;

    // The school portal sends the parent to dancu to sign in.
    c.goto(&format!("{base}/demo/school")).await?;
    wait_css(c, "#rp-login").await?.click().await?;
    sign_in(c, login, password).await?;
    let code = wait_css(c, "form[action='/login/second-factor'] input[name=code]").await?;
    code.send_keys(&totp_code(&secret, 0)).await?;
    c.find(Locator::Css("form[action='/login/second-factor'] button[type=submit]")).await?.click().await?;

    // Consent lists what the portal will receive; allowing it returns to the portal, signed in.
    let allow = wait_css(c, "#consent-allow").await?;
    let consent_text = c.find(Locator::Css("main")).await?.text().await?;
    ensure!(consent_text.contains("Số định danh cá nhân"), "consent does not list the personal id: {consent_text}");
    save_screenshot(c, &shots, "sso-consent.png").await?;
    allow.click().await?;
    let welcome = wait_css(c, "#rp-welcome").await?.text().await?;
    ensure!(welcome.contains(name), "the portal greets {welcome:?}, expected {name}");
    ensure!(path_of(c).await? == "/demo/school", "not back on the portal");
    let page = c.find(Locator::Css("main")).await?.text().await?;
    ensure!(page.contains(login), "the portal did not receive the personal id");
    let portal = save_screenshot(c, &shots, "sso-portal.png").await?;

    // A sign-out request without an ID token asks first; at phone size the question fits the
    // screen, and confirming ends the session at dancu.
    c.set_window_size(390, 844).await?;
    c.goto(&format!("{base}/oidc/logout")).await?;
    let confirm = wait_css(c, "#logout-confirm").await?;
    ensure!(has_session_cookie(c).await?, "the session ended before the question was answered");
    let overflow = c.execute("return document.documentElement.scrollWidth - window.innerWidth", vec![]).await?;
    ensure!(
        overflow.as_i64().is_some_and(|o| o <= 0),
        "the sign-out question is wider than the phone screen by {overflow}px"
    );
    save_screenshot(c, &shots, "sso-logout-confirm-phone.png").await?;
    confirm.click().await?;
    for _ in 0..50 {
        if !has_session_cookie(c).await? {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    ensure!(!has_session_cookie(c).await?, "confirming the sign-out left the session cookie");
    c.set_window_size(1280, 900).await?;
    Ok(portal)
}

/// Passkeys in a real browser, with Chromium's virtual authenticator (WebDriver's WebAuthn
/// extension): an officer adds a passkey from `/account/passkeys` and, signed out, signs in with it
/// from the sign-in page without a password. Opened at `127.0.0.1`, the page points to the
/// `localhost` address instead. Screenshot: `target/browser-screenshots/passkeys.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dancu_browser), ignore = "needs Chromium: set DANCU_BROWSER_TESTS=1")]
async fn passkey_sign_in_in_headless_chromium() {
    let t = db::testing::TestDb::sqlite(&common::migrations()).await;
    let w = common::world(t.db().clone(), 60, false).await;
    let driver = Driver::start().await.expect("start chromedriver");
    let client = driver.connect().await.expect("open a Chromium session");
    let outcome = drive_passkeys(&client, &w.base, &w.password).await;
    let closed = client.close().await;
    drop(driver);
    let screenshot = outcome.unwrap();
    closed.expect("close the browser session");
    println!("screenshot: {}", screenshot.display());
    let used: Option<i64> = sqlx::query(
        "SELECT w.last_used_at FROM webauthn_credentials w JOIN accounts a ON a.id = w.account_id WHERE a.login = 'xa.test'",
    )
    .fetch_one(w.db.read())
    .await
    .expect("one passkey stored")
    .get(0);
    assert!(used.is_some(), "the stored passkey records its use");
}

/// The live police feed shows times in Vietnam time whatever the time zone of the officer's
/// computer: a stay declared by a citizen arrives on a page whose browser is set to New York and
/// reads as the arrival's Vietnam date and hour (dd/mm/yyyy HH:mm).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dancu_browser), ignore = "needs Chromium: set DANCU_BROWSER_TESTS=1")]
async fn the_police_feed_shows_vietnam_time_in_any_time_zone() {
    let t = db::testing::TestDb::sqlite(&common::migrations()).await;
    let w = common::world(t.db().clone(), 300, false).await;
    let (_, visitor) = w.inside_and_outside().await;
    let account =
        dancu::accounts_cmd::citizen_account(&w.db, &identity::PasswordHasher::new(2), &visitor, &w.password, 2)
            .await
            .expect("citizen account");
    let (_, token) = identity::issue_token(&w.db, &account.id, "test", kernel::clock::now_ms()).await.unwrap();
    // Two hours ago, to the minute, as a citizen would type it.
    let arrival = (kernel::clock::now_ms() - 2 * 3_600_000) / 60_000 * 60_000;
    let expected = kernel::clock::format_ms_vn(arrival);

    let driver = Driver::start().await.expect("start chromedriver");
    let police = driver.connect().await.expect("police browser");
    let outcome = async {
        police.goto(&format!("{}/login?next=/lodging/police", w.base)).await?;
        sign_in(&police, "xa.test", &w.password).await?;
        police.issue_cmd(TimezoneOverride("America/New_York")).await.context("override the time zone")?;
        police.refresh().await?;
        wait_css(&police, "#live-status.ok").await?;
        let zone = police.execute("return Intl.DateTimeFormat().resolvedOptions().timeZone", vec![]).await?;
        ensure!(zone == "America/New_York", "the browser's zone is {zone}");
        let body = serde_json::json!({"commune_code": w.commune, "address": "Số 3 ngõ 7", "host_name": "Trần Văn Chủ",
            "reason": "Thăm người thân", "arrival_at": kernel::clock::ms_to_vn(arrival).to_rfc3339()});
        let (s, d) = w.send(reqwest::Method::POST, &token, "/api/v1/me/lodging/declarations", body).await;
        ensure!(s == 200, "declaration refused: {d}");
        let live = wait_css(&police, "#live li.live-declaration").await?;
        anyhow::Ok(live.text().await?)
    }
    .await;
    let closed = police.close().await;
    drop(driver);
    let text = outcome.unwrap();
    closed.expect("close the browser");
    assert!(text.starts_with(&expected), "expected {expected} (Vietnam time), shown: {text}");
}

/// Chromium's time zone for the session, through ChromeDriver's DevTools passthrough.
#[derive(Debug)]
struct TimezoneOverride(&'static str);

impl fantoccini::wd::WebDriverCompatibleCommand for TimezoneOverride {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({"cmd": "Emulation.setTimezoneOverride", "params": {"timezoneId": self.0}});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// WebDriver's "Add Virtual Authenticator" (W3C WebAuthn §11.3): a platform authenticator with
/// user verification that always succeeds.
#[derive(Debug)]
struct AddVirtualAuthenticator;

impl fantoccini::wd::WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/webauthn/authenticator", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({"protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
            "hasUserVerification": true, "isUserVerified": true, "isUserConsenting": true});
        (http::Method::POST, Some(body.to_string()))
    }
}

async fn drive_passkeys(c: &Client, base: &str, password: &str) -> anyhow::Result<PathBuf> {
    let shots = screenshot_dir()?;
    c.issue_cmd(AddVirtualAuthenticator).await.context("add a virtual authenticator")?;
    // At 127.0.0.1 the sign-in page offers the localhost address instead of the button.
    c.goto(&format!("{base}/login")).await?;
    let status = wait_css(c, "#passkey-status a").await?;
    let local = base.replace("127.0.0.1", "localhost");
    ensure!(status.attr("href").await?.as_deref() == Some(&format!("{local}/login")), "no link to localhost");

    c.goto(&format!("{local}/login")).await?;
    sign_in(c, "xa.test", password).await?;
    left_sign_in(c).await?;
    c.goto(&format!("{local}/account/passkeys")).await?;
    wait_css(c, "#passkeys-empty").await?;
    wait_css(c, "#passkey-add input[name=name]").await?.send_keys("Máy tính văn phòng").await?;
    c.find(Locator::Css("#passkey-add button[type=submit]")).await?.click().await?;
    let table = wait_css(c, "#passkeys").await?.text().await?;
    ensure!(table.contains("Máy tính văn phòng") && table.contains("Chưa dùng"), "passkey not listed: {table}");

    c.delete_all_cookies().await?;
    c.goto(&format!("{local}/login")).await?;
    wait_css(c, "form[action='/login'] input[name=login]").await?.send_keys("xa.test").await?;
    wait_css(c, "#passkey-signin button").await?.click().await?;
    left_sign_in(c).await?;
    ensure!(has_session_cookie(c).await?, "no session after the passkey sign-in");
    ensure!(
        path_of(c).await? == "/lodging/police",
        "landed on {}, not the commune police start page",
        path_of(c).await?
    );
    c.goto(&format!("{local}/account/passkeys")).await?;
    let table = wait_css(c, "#passkeys").await?.text().await?;
    ensure!(!table.contains("Chưa dùng"), "the last use is not shown: {table}");
    save_screenshot(c, &shots, "passkeys.png").await
}

/// A leader signs in and opens the population dashboard: the province map, the pyramid and the
/// tables are drawn from the pre-aggregated figures, a commune filter narrows the map to one
/// point, and a figure with no source says so. Screenshot: `target/browser-screenshots/analytics.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dancu_browser), ignore = "needs Chromium: set DANCU_BROWSER_TESTS=1")]
async fn analytics_dashboard_in_headless_chromium() {
    let t = db::testing::TestDb::sqlite(&common::migrations()).await;
    let w = common::world(t.db().clone(), 3_000, true).await;
    analytics::rebuild(&w.db, |_| {}, kernel::clock::now_ms()).await.expect("rebuild");
    identity::create_account(
        &w.db,
        &identity::PasswordHasher::new(2),
        identity::NewAccount {
            login: "lanhdao.test".into(),
            display_name: "Lãnh đạo thử nghiệm".into(),
            role: web::Role::Leader,
            jurisdiction: web::Jurisdiction::Province("08".into()),
            password: w.password.clone(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .expect("leader account");
    let driver = Driver::start().await.expect("start chromedriver");
    let client = driver.connect().await.expect("open a Chromium session");
    let outcome = drive_dashboard(&client, &w.base, &w.password, &w.commune).await;
    let closed = client.close().await;
    drop(driver);
    let screenshot = outcome.unwrap();
    closed.expect("close the browser session");
    println!("screenshot: {}", screenshot.display());
}

async fn drive_dashboard(c: &Client, base: &str, password: &str, commune: &str) -> anyhow::Result<PathBuf> {
    let shots = screenshot_dir()?;
    c.goto(&format!("{base}/login")).await?;
    sign_in(c, "lanhdao.test", password).await?;
    left_sign_in(c).await?;
    ensure!(has_session_cookie(c).await?, "the leader's sign-in did not set {SESSION_COOKIE}");
    c.goto(&format!("{base}/analytics")).await?;
    wait_css(c, "a.board[href='/analytics/population']").await?.click().await?;
    wait_css(c, "#fig-density svg circle[data-commune]").await?;
    let points = c.find_all(Locator::Css("#fig-density svg circle[data-commune]")).await?;
    ensure!(points.len() > 20, "the province map has {} points", points.len());
    let bars = c.find_all(Locator::Css("#fig-pyramid svg rect")).await?;
    ensure!(bars.len() > 20, "the pyramid has {} bars", bars.len());
    let no_source = c.find(Locator::Css("#fig-eid .no-source")).await?.text().await?;
    ensure!(no_source == "Chưa có nguồn dữ liệu", "e-ID figure says {no_source:?}");
    let csv = c.find(Locator::Css("#fig-religion a.csv")).await?.attr("href").await?.unwrap_or_default();
    ensure!(csv.starts_with("/analytics/population/religion.csv"), "CSV link {csv:?}");

    // Filter on one commune: the map keeps one point.
    let select = c.find(Locator::Css("form.filters select[name=commune]")).await?;
    select.select_by_value(commune).await?;
    c.find(Locator::Css("form.filters button[type=submit]")).await?.click().await?;
    wait_css(c, &format!("#fig-density svg circle[data-commune='{commune}']")).await?;
    let points = c.find_all(Locator::Css("#fig-density svg circle[data-commune]")).await?;
    ensure!(points.len() == 1, "filtered map has {} points", points.len());

    // Back to the whole province, in English, opened table, full-page screenshot.
    c.goto(&format!("{base}/analytics/population?lang=en")).await?;
    wait_css(c, "html[lang=en] #fig-density svg").await?;
    let h2 = c.find(Locator::Css("#fig-pyramid h2")).await?.text().await?;
    ensure!(h2 == "Age-sex pyramid", "English title is {h2:?}");
    c.execute("document.querySelectorAll('details').forEach(d => d.open = false);", vec![]).await?;
    let sizes = c
        .execute("return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight];", vec![])
        .await?;
    let page_height = sizes[0].as_u64().unwrap_or(900).clamp(600, 8000);
    let frame = sizes[1].as_u64().unwrap_or(0).min(300);
    c.set_window_size(1280, (page_height + frame) as u32).await?;
    save_screenshot(c, &shots, "analytics.png").await
}

/// Hotel staff verify at `/verify` as a scanner gun would type: the card QR of a resident gives the
/// green card with the registry name, a QR whose name differs gives the red card, the citizen's
/// identity QR token gives green, a pasted chip bundle (no CSCA configured) gives amber, and the
/// English page words every status. Screenshot: `target/browser-screenshots/verify.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dancu_browser), ignore = "needs Chromium: set DANCU_BROWSER_TESTS=1")]
async fn verifier_page_in_headless_chromium() {
    let t = db::testing::TestDb::sqlite(&common::migrations()).await;
    let w = common::world(t.db().clone(), 300, false).await;
    let org = identity::organizations::create_organization(
        &w.db,
        identity::organizations::NewOrganization {
            tax_code: "0301234567".into(),
            name: "Khách sạn Thử Nghiệm".into(),
            kind: identity::organizations::OrgKind::Hotel,
            address: "1 Đường Thử".into(),
            commune_code: w.commune.clone(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .expect("organization");
    verification::caller::grant_purposes(&w.db, &org.id, &["hotel_guest"]).await.expect("purposes");
    identity::create_account(
        &w.db,
        &identity::PasswordHasher::new(2),
        identity::NewAccount {
            login: "le.tan.test".into(),
            display_name: "Lễ tân Thử".into(),
            role: web::Role::OrgStaff,
            jurisdiction: web::Jurisdiction::Own(org.id.clone()),
            password: w.password.clone(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .expect("staff account");
    let (person, card) = card_holder(&w.db).await;
    let ring = keys::KeyRing::load(&w.db, kernel::clock::now_ms).await.expect("signing keys");
    let share = verification::dynamic::Share { name: true, birth_date: false, age_over_18: true };
    let token =
        verification::dynamic::issue(&ring, &person, 2, share, kernel::clock::now_ms()).expect("identity QR").token;
    let signer = verification::chip::testkit::TestCsca::new("dancu test CSCA", 2024, 2040).document_signer(
        verification::chip::testkit::SignerKind::EcdsaP256,
        2025,
        2035,
    );
    let chip = verification::api::chip_json(&signer.card_chip(&card)).to_string();

    let driver = Driver::start().await.expect("start chromedriver");
    let client = driver.connect().await.expect("open a Chromium session");
    let outcome = drive_verifier(&client, &w.base, &w.password, &card, &token, &chip).await;
    let closed = client.close().await;
    drop(driver);
    let screenshot = outcome.unwrap();
    closed.expect("close the browser session");
    println!("screenshot: {}", screenshot.display());
    let methods: Vec<String> = sqlx::query("SELECT method FROM verifications ORDER BY created_at")
        .fetch_all(w.db.read())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(methods, ["card_qr", "card_qr", "dynamic_qr", "chip", "card_qr"], "one history row per check");
}

/// A living adult whose newest card is valid, and the QR that card prints.
async fn card_holder(db: &db::Db) -> (registry::queries::persons::PersonView, verification::cccd_qr::CardQr) {
    let today = kernel::clock::today_vn();
    let ids: Vec<String> = sqlx::query(
        "SELECT personal_id FROM persons WHERE status = 'living' AND LENGTH(birth_date) = 10 \
         AND birth_date < '2000-01-01' ORDER BY personal_id",
    )
    .fetch_all(db.read())
    .await
    .expect("residents")
    .iter()
    .map(|r| r.get(0))
    .collect();
    for id in ids {
        let person = registry::queries::persons::get_self(db, &kernel::PersonalId::parse(&id).unwrap())
            .await
            .unwrap()
            .expect("listed resident");
        let cards = registry::queries::cards::of_person(db, &id, today).await.unwrap();
        let newest = cards.first().filter(|c| c.status == "valid");
        if let Some(card) = newest.and_then(|c| verification::cccd_qr::CardQr::of_registry(&person, c)) {
            return (person, card);
        }
    }
    panic!("no resident with a valid card");
}

/// Types `text` into the evidence field and presses Enter, as a scanner gun does; waits for a result
/// card of class `verdict-{outcome}` and returns its text.
async fn scan(c: &Client, text: &str, outcome: &str) -> anyhow::Result<String> {
    let input = wait_css(c, "#evidence").await?;
    input.send_keys(&format!("{text}\u{E007}")).await?;
    Ok(wait_css(c, &format!("#result .verdict-{outcome}")).await?.text().await?)
}

async fn drive_verifier(
    c: &Client,
    base: &str,
    password: &str,
    card: &verification::cccd_qr::CardQr,
    token: &str,
    chip: &str,
) -> anyhow::Result<PathBuf> {
    let shots = screenshot_dir()?;
    c.goto(&format!("{base}/login")).await?;
    sign_in(c, "le.tan.test", password).await?;
    left_sign_in(c).await?;
    ensure!(has_session_cookie(c).await?, "the staff sign-in did not set {SESSION_COOKIE}");
    c.goto(&format!("{base}/verify")).await?;

    let green = scan(c, &card.to_payload(), "green").await?;
    ensure!(green.contains("HỢP LỆ") && green.contains(&card.full_name), "green card: {green}");
    ensure!(green.contains("Còn hiệu lực") && green.contains("Khớp CSDL dân cư"), "statuses in words: {green}");
    save_screenshot(c, &shots, "verify.png").await?;

    let mut wrong = card.clone();
    wrong.full_name = format!("{} Giả", card.full_name);
    let red = scan(c, &wrong.to_payload(), "red").await?;
    ensure!(red.contains("KHÔNG HỢP LỆ") && red.contains("Không khớp"), "red card: {red}");
    ensure!(red.contains("Thông tin không khớp với CSDL dân cư: full_name"), "reason: {red}");
    save_screenshot(c, &shots, "verify-mismatch.png").await?;

    let dynamic = scan(c, token, "green").await?;
    ensure!(dynamic.contains("Mã QR định danh có chữ ký số"), "dynamic QR assurance: {dynamic}");

    // A chip bundle pasted from the reader's file: intact, but no CSCA is configured here.
    c.find(Locator::Css("#chip-data summary")).await?.click().await?;
    c.find(Locator::Css("textarea[name=chip]")).await?.send_keys(chip).await?;
    c.find(Locator::Css("#verify-form button[type=submit]")).await?.click().await?;
    let amber = wait_css(c, "#result .verdict-amber").await?.text().await?;
    ensure!(amber.contains("Chip toàn vẹn, chưa xác minh chuỗi chứng thư"), "chip assurance: {amber}");
    ensure!(amber.contains("Chuỗi chứng thư đến CSCA") && amber.contains("Không thực hiện"), "chip steps: {amber}");

    c.goto(&format!("{base}/verify?lang=en")).await?;
    wait_css(c, "html[lang=en] #evidence").await?;
    let english = scan(c, &card.to_payload(), "green").await?;
    ensure!(english.contains("VALID") && english.contains("Card status"), "English card: {english}");
    ensure!(english.contains("Matches the registry (card not authenticated)"), "English assurance: {english}");
    save_screenshot(c, &shots, "verify-en.png").await
}

/// Lodging in two browsers: the commune police page is open and live; the hotel's staff check a
/// guest in from the check-in page by typing the id (a scanner gun types the same way) and the
/// police page shows the notification without a reload, then a watchlisted guest raises an alert
/// there. A check-in made while the network is down waits in the page's queue and is sent once,
/// with its idempotency key, when the network returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dancu_browser), ignore = "needs Chromium: set DANCU_BROWSER_TESTS=1")]
async fn lodging_checkin_reaches_the_police_page_live() {
    let t = db::testing::TestDb::sqlite(&common::migrations()).await;
    let w = common::world(t.db().clone(), 300, false).await;
    let org = identity::organizations::create_organization(
        &w.db,
        identity::organizations::NewOrganization {
            tax_code: "0301234568".into(),
            name: "Khách sạn Lưu Trú".into(),
            kind: identity::organizations::OrgKind::Hotel,
            address: "2 Đường Thử".into(),
            commune_code: w.commune.clone(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .expect("organization");
    identity::create_account(
        &w.db,
        &identity::PasswordHasher::new(2),
        identity::NewAccount {
            login: "le.tan.luutru".into(),
            display_name: "Lễ tân Lưu trú".into(),
            role: web::Role::OrgStaff,
            jurisdiction: web::Jurisdiction::Own(org.id.clone()),
            password: w.password.clone(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .expect("staff account");
    let new = lodging::facilities::NewFacility {
        kind: "hotel".into(),
        name: "Khách sạn Lưu Trú".into(),
        licence_code: "GP-9".into(),
        commune_code: w.commune.clone(),
        address: "2 Đường Thử".into(),
        rooms: 10,
        beds: 20,
    };
    let hotel = lodging::facilities::create(&w.db, &org.id, new, kernel::clock::now_ms()).await.expect("facility");
    let officer = web::Jurisdiction::Commune(w.commune.clone());
    lodging::facilities::decide(&w.db, &hotel.id, "approved", &officer, "test", kernel::clock::now_ms())
        .await
        .expect("approved");
    let (guest, watched) = w.inside_and_outside().await;
    let body = serde_json::json!({"personal_id": watched, "category": "wanted", "reason": "Truy nã thử nghiệm"});
    let (s, _) = w.send(reqwest::Method::POST, &w.commune_token, "/api/v1/lodging/watchlist", body).await;
    assert_eq!(s, 200);

    let police_driver = Driver::start().await.expect("start chromedriver");
    let staff_driver = Driver::start().await.expect("start a second chromedriver");
    let police = police_driver.connect().await.expect("police browser");
    let staff = staff_driver.connect().await.expect("staff browser");
    // What staff type from each guest's document beside the id: name and birth date.
    let mut typed = Vec::new();
    for id in [&guest, &watched] {
        let r = sqlx::query("SELECT full_name, birth_date FROM persons WHERE personal_id = $1")
            .bind(id)
            .fetch_one(w.db.read())
            .await
            .unwrap();
        let birth =
            kernel::PartialDate::parse(&r.get::<String, _>(1)).unwrap().earliest().format("%d/%m/%Y").to_string();
        typed.push((id.clone(), r.get::<String, _>(0), birth));
    }
    let outcome = drive_lodging(&police, &staff, &w.base, &w.password, (&typed[0], &typed[1])).await;
    let closed = (police.close().await, staff.close().await);
    drop((police_driver, staff_driver));
    let screenshot = outcome.unwrap();
    closed.0.expect("close the police browser");
    closed.1.expect("close the staff browser");
    println!("screenshot: {}", screenshot.display());
    let rows: i64 =
        sqlx::query("SELECT COUNT(*) FROM lodging_notifications").fetch_one(w.db.read()).await.unwrap().get(0);
    assert_eq!(rows, 3, "two check-ins plus the queued one, sent once");
}

async fn drive_lodging(
    police: &Client,
    staff: &Client,
    base: &str,
    password: &str,
    (guest, watched): (&(String, String, String), &(String, String, String)),
) -> anyhow::Result<PathBuf> {
    let shots = screenshot_dir()?;
    police.goto(&format!("{base}/login?next=/lodging/police")).await?;
    sign_in(police, "xa.test", password).await?;
    wait_css(police, "#live-status.ok").await?;

    staff.goto(&format!("{base}/login?next=/lodging")).await?;
    sign_in(staff, "le.tan.luutru", password).await?;
    // A typed id asks for the name and birth date on the guest's document.
    let check_in = |(id, name, birth): (String, String, String), room: &'static str| async move {
        let input = wait_css(staff, "#evidence").await?;
        input.send_keys(&format!("{id}\n")).await?;
        staff.send_alert_text(&name).await?;
        staff.accept_alert().await?;
        staff.send_alert_text(&birth).await?;
        staff.accept_alert().await?;
        staff.find(Locator::Css("input[name=room]")).await?.send_keys(room).await?;
        staff.find(Locator::Css("#checkin-form button[type=submit]")).await?.click().await?;
        anyhow::Ok(())
    };
    check_in(guest.clone(), "201").await?;
    let done = wait_css(staff, "#checkin-result li[data-checkin]").await?;
    ensure!(done.text().await?.contains("Đúng hạn"), "the staff page shows the auto-filled guest on time");
    let live = wait_css(police, "#live li.live-notification").await?;
    ensure!(live.text().await?.contains("201"), "the police page shows the new guest live");

    check_in(watched.clone(), "202").await?;
    let alert = wait_css(police, "#alert-list li.alert-item").await?;
    ensure!(alert.text().await?.contains("Truy nã thử nghiệm"), "the watchlist alert appears live");
    save_screenshot(police, &shots, "lodging-police.png").await?;

    // Network down: the check-in is queued; back up: it is sent once.
    let offline = "window.realFetch = window.fetch; window.fetch = () => Promise.reject(new TypeError('offline'));";
    staff.execute(offline, vec![]).await?;
    check_in(guest.clone(), "203").await?;
    let queued = wait_css(staff, "#queue-status").await?;
    ensure!(queued.text().await?.contains('1'), "one check-in waits in the queue");
    staff.execute("window.fetch = window.realFetch; window.dispatchEvent(new Event('online'));", vec![]).await?;
    staff.wait().at_most(WAIT).for_element(Locator::XPath("//p[@id='queue-status' and normalize-space(.)='']")).await?;
    wait_css(police, "#live li.live-notification:nth-child(3)").await?;
    save_screenshot(staff, &shots, "lodging-checkin.png").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dancu_browser), ignore = "needs Chromium: set DANCU_BROWSER_TESTS=1")]
async fn kiosk_flow_in_headless_chromium() {
    let t = db::testing::TestDb::sqlite(&common::migrations()).await;
    let w = common::world(t.db().clone(), 300, false).await;
    identity::create_account(
        &w.db,
        &identity::PasswordHasher::new(2),
        identity::NewAccount {
            login: "kiosk.test".into(),
            display_name: "Ki-ốt Trung tâm Hành chính công".into(),
            role: web::Role::DeskOfficer,
            jurisdiction: web::Jurisdiction::Commune(w.commune.clone()),
            password: w.password.clone(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .expect("kiosk account");
    let (person, card) = card_holder(&w.db).await;
    let driver = Driver::start().await.expect("start chromedriver");
    let client = driver.connect().await.expect("open a Chromium session");
    let outcome = drive_kiosk(&client, &w.base, &w.password, &person.full_name, &card).await;
    let closed = client.close().await;
    drop(driver);
    let (screenshot, receipt) = outcome.unwrap();
    closed.expect("close the browser session");
    println!("screenshot: {}", screenshot.display());
    let row = sqlx::query("SELECT channel, applicant_person_id, status FROM svc_applications WHERE receipt_code = $1")
        .bind(&receipt)
        .fetch_one(w.db.read())
        .await
        .expect("the printed receipt names a stored application");
    assert_eq!(row.get::<String, _>(0), "kiosk");
    assert_eq!(row.get::<String, _>(1), person.personal_id);
    assert_eq!(row.get::<String, _>(2), "submitted");
}

/// Scans a forged card (refused), then the real one, picks a service, submits the pre-filled form,
/// reads the receipt and returns to the start screen. Returns the screenshot and the receipt code.
async fn drive_kiosk(
    c: &Client,
    base: &str,
    password: &str,
    name: &str,
    card: &verification::cccd_qr::CardQr,
) -> anyhow::Result<(PathBuf, String)> {
    let shots = screenshot_dir()?;
    c.goto(&format!("{base}/kiosk")).await?;
    sign_in(c, "kiosk.test", password).await?;
    let forged = verification::cccd_qr::CardQr { full_name: "Trần Văn Giả".into(), ..card.clone() };
    wait_css(c, "#payload").await?.send_keys(&format!("{}\u{E007}", forged.to_payload())).await?;
    wait_css(c, "#kiosk-error").await?;
    wait_css(c, "#payload").await?.send_keys(&format!("{}\u{E007}", card.to_payload())).await?;
    let greeting = wait_css(c, "#citizen").await?.text().await?;
    ensure!(greeting == name, "kiosk greets {greeting:?}, expected {name:?}");
    wait_css(c, "#services a[href^='/kiosk/services/old_id_confirmation']").await?.click().await?;
    let prefill = wait_css(c, "#prefill").await?.text().await?;
    ensure!(prefill.contains(name), "pre-filled data shows the citizen: {prefill}");
    wait_css(c, "#kiosk-form button[type=submit]").await?.click().await?;
    let receipt = wait_css(c, "#receipt-code").await?.text().await?;
    let shot = save_screenshot(c, &shots, "kiosk.png").await?;
    wait_css(c, "#done").await?.click().await?;
    wait_css(c, "#payload").await?;
    let page = c.source().await?;
    ensure!(!page.contains(name), "the start screen keeps nothing of the citizen");
    Ok((shot, receipt))
}
