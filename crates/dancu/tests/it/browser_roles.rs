//! Who sees what, and whether the pages hold on a phone, over the real demo (`dancu demo
//! --no-serve`: every role's account, the hotel, services and programme data) in headless Chromium:
//!
//! - each demo account's menu holds exactly its role's links (`web::menu`), never an officer page
//!   for a citizen or facility staff, `/` and the logo lead to the role's start page;
//! - an unknown URL and a page of another role show the designed error page (heading in the
//!   visitor's language, a way back to their start page, no raw code like `forbidden`), while an
//!   API caller still gets the JSON error body;
//! - a crawl from each account's start page (same-site links, depth 2, one page per route shape)
//!   finds no 4xx/5xx page and no raw error code in the text;
//! - every page the crawl reached, at 390×844 and 1366×900: no sideways scrolling, and every
//!   button and link in `main` rendered with a size, inside the viewport's width, and with text
//!   contrast of at least 4.5:1 against its background (computed in the page); buttons at least
//!   44 px high; every field has a label; on the phone the menu folds behind its button.
//!
//! Runs with the other browser tests (`DANCU_BROWSER_TESTS=1`, see `browser.rs`).

use crate::browser::{left_sign_in, path_of, save_screenshot, screenshot_dir, sign_in, wait_css, Driver};

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;

use anyhow::{ensure, Context};
use fantoccini::{Client, Locator};
use kernel::Role;

const SESSION_COOKIE: &str = "__Host-dancu_session";
/// Pages a crawl visits per account at most.
const CRAWL_LIMIT: usize = 60;
/// Pages the size check visits per account at most.
const SIZE_LIMIT: usize = 24;

/// The demo prepared by the real command, served in this process.
struct Demo {
    base: String,
    accounts: Vec<Account>,
    http: reqwest::Client,
    _running: dancu::server::Running,
    _dir: tempfile::TempDir,
}

#[derive(Debug, Clone)]
struct Account {
    role: Role,
    login: String,
    password: String,
}

impl Demo {
    async fn start() -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap().to_string();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_dancu"))
                .args(["demo", "--no-serve", "--people", "400", "--data-dir", &data])
                .output()
        })
        .await
        .unwrap()
        .unwrap();
        assert!(out.status.success(), "dancu demo failed: {}", String::from_utf8_lossy(&out.stderr));
        let text = std::fs::read_to_string(dir.path().join("demo-accounts.json")).unwrap();
        let raw: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        let accounts = raw
            .iter()
            .map(|a| Account {
                role: Role::parse(a["role"].as_str().unwrap()).unwrap(),
                login: a["login"].as_str().unwrap().to_string(),
                password: a["password"].as_str().unwrap().to_string(),
            })
            .collect();
        let mut settings = dancu::server::local_settings();
        settings.data_dir = dir.path().to_path_buf();
        settings.database_url = format!("sqlite://{}", dir.path().join("dancu.db").display());
        settings.services.payment_provider = services::payments::ProviderKind::Simulator;
        // Every demo account signs in twice from this one address (browser and crawl), more than
        // the default 30 sign-ins a minute per address allow; the limit has its own tests.
        settings.identity.limits.sign_in_per_ip = identity::Limit::per_minute(1000);
        let db = dancu::open_db(&settings.database_url).await.unwrap();
        let running = dancu::server::start(db, &settings).await.unwrap();
        Demo {
            base: format!("http://{}", running.addr),
            accounts,
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            _running: running,
            _dir: dir,
        }
    }

    /// One account of each role (the first listed: the level-2 citizen, the hotel's owner).
    fn one_per_role(&self) -> Vec<Account> {
        let mut seen = BTreeSet::new();
        self.accounts.iter().filter(|a| seen.insert(a.role.code())).cloned().collect()
    }
}

/// Where each role must land, said independently of `web::menu` (a path, or a path prefix for the
/// focal point, whose start page is their own unit's page).
fn expected_start(role: Role) -> &'static str {
    match role {
        Role::Admin => "/admin/accounts",
        Role::ProvincialOfficer => "/persons",
        Role::CommunePolice => "/lodging/police",
        Role::DeskOfficer => "/officer/applications",
        Role::Leader => "/analytics",
        Role::WorkingGroup => "/programs",
        Role::UnitFocal => "/programs/units/",
        Role::Citizen => "/me",
        Role::OrgStaff => "/lodging",
        Role::TrafficPolice => "/officer/fines",
    }
}

fn lands_on_start(role: Role, path: &str) -> bool {
    let want = expected_start(role);
    if want.ends_with('/') {
        path.starts_with(want)
    } else {
        path == want
    }
}

/// Signs `a` in on a browser with no session and waits until the sign-in page is left.
async fn browser_sign_in(c: &Client, base: &str, a: &Account) -> anyhow::Result<()> {
    c.goto(&format!("{base}/login")).await?;
    c.delete_all_cookies().await?;
    c.goto(&format!("{base}/login")).await?;
    sign_in(c, &a.login, &a.password).await?;
    left_sign_in(c).await?;
    wait_css(c, "nav#menu").await?;
    Ok(())
}

/// The paths the menu of the current page links to.
async fn menu_links(c: &Client) -> anyhow::Result<Vec<String>> {
    let links = c
        .execute(
            "return Array.from(document.querySelectorAll('nav#menu a[data-menu]'), a => a.getAttribute('href'));",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(links)?)
}

/// Pages no citizen or facility staff may be offered.
const OFFICER_PAGES: &[&str] =
    &["/persons", "/quality", "/analytics", "/programs", "/officer/applications", "/lodging/police"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dancu_browser), ignore = "needs Chromium: set DANCU_BROWSER_TESTS=1")]
async fn each_role_has_its_menu_start_page_error_pages_and_no_dead_link() {
    let demo = Demo::start().await;
    let driver = Driver::start().await.expect("start chromedriver");
    let client = driver.connect().await.expect("open a Chromium session");
    let outcome = roles_and_errors(&client, &demo).await;
    let closed = client.close().await;
    drop(driver);
    outcome.unwrap();
    closed.expect("close the browser session");
    // The crawl runs over HTTP with each account's session (fast, and it sees the status codes).
    let mut dead = Vec::new();
    for a in &demo.accounts {
        let session = http_session(&demo, a).await;
        let report = crawl(&demo, &session, a.role).await;
        println!("crawl {} ({}): {} pages", a.login, a.role.code(), report.visited.len());
        dead.extend(report.problems.into_iter().map(|p| format!("{} ({}): {p}", a.login, a.role.code())));
    }
    assert!(dead.is_empty(), "the crawl found {} broken pages:\n{}", dead.len(), dead.join("\n"));
}

async fn roles_and_errors(c: &Client, demo: &Demo) -> anyhow::Result<()> {
    let base = &demo.base;
    let shots = screenshot_dir()?;
    let mut problems = Vec::new();
    for a in &demo.accounts {
        browser_sign_in(c, base, a).await.with_context(|| format!("sign in as {}", a.login))?;
        let landed = path_of(c).await?;
        if !lands_on_start(a.role, &landed) {
            problems.push(format!("{} ({:?}) landed on {landed}, not {}", a.login, a.role, expected_start(a.role)));
        }
        // `/` and the logo lead to the same start page.
        c.goto(&format!("{base}/")).await?;
        let home = path_of(c).await?;
        if !lands_on_start(a.role, &home) {
            problems.push(format!("{}: / led to {home}", a.login));
        }
        c.find(Locator::Css("header a.brand")).await?.click().await?;
        wait_css(c, "nav#menu").await?;
        let logo = path_of(c).await?;
        if !lands_on_start(a.role, &logo) {
            problems.push(format!("{}: the logo leads to {logo}", a.login));
        }
        // The menu is exactly the role's table, in order, and spares citizens and staff the
        // officers' pages.
        let menu = menu_links(c).await?;
        let table: Vec<String> = web::menu::links(a.role).iter().map(|l| l.href.to_string()).collect();
        if menu != table {
            problems.push(format!("{}: menu {menu:?}, the role's table says {table:?}", a.login));
        }
        if matches!(a.role, Role::Citizen | Role::OrgStaff) {
            for page in OFFICER_PAGES {
                if menu.iter().any(|m| m == page) {
                    problems.push(format!("{} is offered the officers' page {page}", a.login));
                }
            }
        }
        // Every menu entry opens (no error page), and marks itself as the current one.
        for href in &menu {
            c.goto(&format!("{base}{href}")).await?;
            wait_css(c, "main").await?;
            if c.find(Locator::Css("section.error-page")).await.is_ok() {
                problems.push(format!("{}: menu entry {href} opens an error page", a.login));
                continue;
            }
            let current = c
                .execute("return Array.from(document.querySelectorAll('nav#menu a[aria-current=page]'), a => a.getAttribute('href'));", vec![])
                .await?;
            let current: Vec<String> = serde_json::from_value(current)?;
            let own = path_of(c).await?;
            if own == *href && current != [href.clone()] {
                problems.push(format!("{}: on {href} the menu marks {current:?} as current", a.login));
            }
        }
    }
    if let Some(p) = problems.first() {
        anyhow::bail!(
            "{} problems with menus and start pages, the first: {p}\n{}",
            problems.len(),
            problems.join("\n")
        );
    }

    // Error pages, as the citizen: another role's page (403) and an unknown address (404), in
    // Vietnamese then English, each with a way back to the citizen's start page.
    let citizen = demo.accounts.iter().find(|a| a.role == Role::Citizen).context("a demo citizen")?;
    browser_sign_in(c, base, citizen).await?;
    for (path, vi, en) in [
        ("/analytics", "Bạn không có quyền mở trang này", "You may not open this page"),
        ("/programs", "Bạn không có quyền mở trang này", "You may not open this page"),
        ("/khong-co-trang-nay", "Không tìm thấy trang", "Page not found"),
    ] {
        for (lang, heading) in [("vi", vi), ("en", en)] {
            c.goto(&format!("{base}{path}?lang={lang}")).await?;
            let h1 = wait_css(c, "section.error-page h1").await?.text().await?;
            ensure!(h1 == heading, "{path} ({lang}) shows the heading {h1:?}, not {heading:?}");
            let text = c.find(Locator::Css("body")).await?.text().await?;
            ensure!(raw_codes(&text).is_empty(), "{path} shows raw codes {:?}: {text}", raw_codes(&text));
            let back = c.find(Locator::Css("a#error-back")).await?.attr("href").await?.unwrap_or_default();
            ensure!(back == "/me", "{path}: the way back leads to {back:?}");
            let menu = menu_links(c).await?;
            ensure!(
                menu.iter().any(|m| m == "/applications"),
                "{path}: the error page lost the citizen's menu: {menu:?}"
            );
        }
    }
    save_screenshot(c, &shots, "error-page.png").await?;
    c.find(Locator::Css("a#error-back")).await?.click().await?;
    wait_css(c, "#citizen-services").await?;
    ensure!(path_of(c).await? == "/me", "the way back went to {}", path_of(c).await?);
    for link in ["/applications", "/me/identity-qr", "/me/lodging", "/notifications", "/account/access-log", "/account"]
    {
        let css = format!("#citizen-services a[href='{link}']");
        ensure!(c.find(Locator::Css(&css)).await.is_ok(), "the citizen's home page does not link {link}");
    }

    // A visitor who is not signed in: the unknown address says so and leads to sign-in.
    c.delete_all_cookies().await?;
    c.goto(&format!("{base}/khong-co-trang-nay")).await?;
    let back = wait_css(c, "a#error-back").await?.attr("href").await?.unwrap_or_default();
    ensure!(back == "/login", "a visitor's way back leads to {back:?}");

    // Programs still get the JSON error body: an unknown API path, and a page of another role
    // asked for as JSON.
    let r = demo.http.get(format!("{base}/api/v1/khong-co")).send().await?;
    ensure!(r.status() == 404, "unknown API path answered {}", r.status());
    let body: serde_json::Value = r.json().await?;
    ensure!(body["error"]["code"] == "not_found", "unknown API path body {body}");
    let session = http_session(demo, citizen).await;
    // A form's address opened as a link: 405, said as a page with a way back.
    let r = demo
        .http
        .get(format!("{base}/account/sessions/revoke"))
        .header(reqwest::header::COOKIE, format!("{SESSION_COOKIE}={session}"))
        .send()
        .await?;
    ensure!(r.status() == 405, "GET of a form's address answered {}", r.status());
    let html = r.text().await?;
    ensure!(
        html.contains("Không thể làm thao tác này theo cách đó") && html.contains("id=\"error-back\" href=\"/me\""),
        "the 405 page: {html}"
    );
    ensure!(raw_codes(&visible_text(&html)).is_empty(), "the 405 page shows a raw code: {html}");
    let r = demo
        .http
        .get(format!("{base}/analytics"))
        .header(reqwest::header::COOKIE, format!("{SESSION_COOKIE}={session}"))
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await?;
    ensure!(r.status() == 403, "a citizen's JSON request for the dashboards answered {}", r.status());
    let body: serde_json::Value = r.json().await?;
    ensure!(body["error"]["code"] == "forbidden", "a JSON request for a forbidden page got {body}");
    Ok(())
}

/// The error codes (`kernel::ErrorCode`) that appear as words in a page's text. Only codes that no
/// sentence contains: those with `_` or `.`, and `forbidden`/`unauthenticated`.
fn raw_codes(text: &str) -> Vec<&'static str> {
    let words: BTreeSet<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .map(|w| w.trim_matches('.'))
        .collect();
    kernel::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|code| code.contains(['_', '.']) || ["forbidden", "unauthenticated"].contains(code))
        .filter(|code| words.contains(code))
        .collect()
}

/// A session of `a` for the crawl: signed in through the sign-in form over HTTP.
async fn http_session(demo: &Demo, a: &Account) -> String {
    let page = demo.http.get(format!("{}/login", demo.base)).send().await.unwrap();
    let form_cookie: Vec<String> = page
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").to_string())
        .collect();
    let html = page.text().await.unwrap();
    let csrf = crate::common::hidden(&html, "csrf");
    let r = demo
        .http
        .post(format!("{}/login", demo.base))
        .header(reqwest::header::COOKIE, form_cookie.join("; "))
        .form(&[("login", a.login.as_str()), ("password", a.password.as_str()), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "sign-in of {} answered {}", a.login, r.status());
    crate::common::cookie_value(&r, SESSION_COOKIE).unwrap_or_else(|| panic!("no session for {}", a.login))
}

struct CrawlReport {
    /// Pages reached (path and query), in the order visited.
    visited: Vec<String>,
    problems: Vec<String>,
}

/// The shape of a route: segments holding digits (ids, codes) are one shape, so that the crawl
/// opens one person, one application, one unit, not all of them.
fn shape(path: &str) -> String {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let segments: Vec<&str> =
        path.split('/').map(|s| if s.chars().any(|c| c.is_ascii_digit()) && s.len() > 3 { "*" } else { s }).collect();
    let keys: BTreeSet<&str> =
        query.split('&').filter_map(|kv| kv.split('=').next()).filter(|k| !k.is_empty()).collect();
    format!("{}?{}", segments.join("/"), keys.into_iter().collect::<Vec<_>>().join("&"))
}

/// Same-site links of a page worth following: not sign-out, not the language toggle, not files.
fn links_of(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in html.split("<a ").skip(1) {
        let tag = part.split('>').next().unwrap_or("");
        let Some(start) = tag.find("href=\"") else { continue };
        let href = &tag[start + 6..];
        let Some(end) = href.find('"') else { continue };
        let href = href[..end].replace("&amp;", "&");
        let href = href.split('#').next().unwrap_or("").to_string();
        let skip = !href.starts_with('/')
            || href.starts_with("//")
            || [
                "logout",
                "lang=",
                "/static/",
                ".csv",
                ".pdf",
                ".xlsx",
                "/pdf",
                "/files/",
                "download",
                "force=1",
                "/demo/school",
            ]
            .iter()
            .any(|s| href.contains(s));
        if !skip {
            out.push(href);
        }
    }
    out
}

/// Follows same-site links from the account's start page, breadth first, to depth 2 (one page per
/// route shape, at most [`CRAWL_LIMIT`]); every answer must be a page, not an error.
async fn crawl(demo: &Demo, session: &str, role: Role) -> CrawlReport {
    let cookie = format!("{SESSION_COOKIE}={session}");
    let mut queue = VecDeque::from([("/".to_string(), 0usize)]);
    let mut shapes = BTreeSet::new();
    let mut report = CrawlReport { visited: Vec::new(), problems: Vec::new() };
    while let Some((path, depth)) = queue.pop_front() {
        if report.visited.len() >= CRAWL_LIMIT || !shapes.insert(shape(&path)) {
            continue;
        }
        let mut url = path.clone();
        let mut resp = None;
        // Redirects are followed here (at most 3), keeping the session cookie.
        for _ in 0..4 {
            let r = demo.http.get(format!("{}{url}", demo.base)).header(reqwest::header::COOKIE, &cookie).send().await;
            let Ok(r) = r else { break };
            if r.status().is_redirection() {
                url =
                    r.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                if url.starts_with("/login") {
                    report.problems.push(format!("{path} sends a signed-in {role:?} to sign in"));
                    break;
                }
                continue;
            }
            resp = Some(r);
            break;
        }
        let Some(r) = resp else { continue };
        let status = r.status();
        let is_html = r
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        let body = r.text().await.unwrap_or_default();
        report.visited.push(url.clone());
        if status.is_client_error() || status.is_server_error() {
            report.problems.push(format!("{path} → {url}: HTTP {status}"));
            continue;
        }
        if !is_html {
            continue;
        }
        let codes = raw_codes(&visible_text(&body));
        if !codes.is_empty() {
            report.problems.push(format!("{url} shows raw error codes {codes:?}"));
        }
        if depth < 2 {
            for link in links_of(&body) {
                queue.push_back((link, depth + 1));
            }
        }
    }
    report
}

/// The text of a page without its tags, scripts and styles (roughly what a person reads).
fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        out.push(' ');
        let tail = &rest[lt..];
        let lower = tail.get(..8).unwrap_or("").to_ascii_lowercase();
        let close = if lower.starts_with("<script") {
            "</script>"
        } else if lower.starts_with("<style") {
            "</style>"
        } else {
            ">"
        };
        rest = match tail.find(close) {
            Some(i) => &tail[i + close.len()..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// What the page check reports, computed in the page: sideways scrolling; each rendered button or
/// link in `main` that has no size, leaves the viewport's width, has text contrast below 4.5:1, or
/// (buttons) is lower than 44 px; and each field without a label.
const PAGE_CHECK: &str = r#"
const issues = [];
const W = window.innerWidth;
const de = document.documentElement;
if (de.scrollWidth > W) issues.push(`the page scrolls sideways: ${de.scrollWidth} > ${W}`);
const rgba = (s) => { const m = /rgba?\(([^)]+)\)/.exec(s || ""); if (!m) return null;
  const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3]));
const background = (el) => { const layers = [];
  for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor);
    if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
  let out = [255, 255, 255]; for (const c of layers.reverse()) out = over(c, out); return out; };
const lum = (c) => { const [r, g, b] = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
for (const el of document.querySelectorAll("main a[href], main button, main input[type=submit], main summary")) {
  if (el.closest("svg") || el.disabled) continue;
  if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
  const name = (el.innerText || el.value || el.getAttribute("aria-label") || el.getAttribute("href") || "").trim().replace(/\s+/g, " ").slice(0, 50);
  const r = el.getBoundingClientRect();
  if (r.width < 1 || r.height < 1) { issues.push(`"${name}" has no size`); continue; }
  if (r.left < -1 || r.right > W + 1) issues.push(`"${name}" is outside the screen (${Math.round(r.left)}..${Math.round(r.right)} of ${W})`);
  const bg = background(el);
  const fg = rgba(getComputedStyle(el).color);
  if (fg && (el.innerText || "").trim() !== "") { const c = ratio(over(fg, bg), bg);
    if (c < 4.5) issues.push(`"${name}" has contrast ${c.toFixed(2)}:1 (${getComputedStyle(el).color} on rgb(${bg.map(Math.round)}))`); }
  const isButton = el.matches("button, input[type=submit], a.button");
  if (isButton && r.height < 43.5) issues.push(`button "${name}" is ${r.height.toFixed(1)} px high`);
}
for (const el of document.querySelectorAll("main input:not([type=hidden]):not([type=submit]), main select, main textarea")) {
  if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
  const named = el.labels.length > 0 || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") || el.getAttribute("title");
  if (!named) issues.push(`the field "${el.name || el.id || el.placeholder}" has no label`);
}
return issues;
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dancu_browser), ignore = "needs Chromium: set DANCU_BROWSER_TESTS=1")]
async fn staff_and_citizen_pages_fit_phone_and_desktop() {
    let demo = Demo::start().await;
    // The pages each account reaches, found by the crawl.
    let mut pages: BTreeMap<String, (Account, Vec<String>)> = BTreeMap::new();
    for a in demo.one_per_role() {
        let session = http_session(&demo, &a).await;
        let report = crawl(&demo, &session, a.role).await;
        let mut reached: Vec<String> = report.visited.into_iter().filter(|p| !p.starts_with("/api/")).collect();
        reached.truncate(SIZE_LIMIT);
        pages.insert(a.login.clone(), (a, reached));
    }
    let driver = Driver::start().await.expect("start chromedriver");
    let client = driver.connect().await.expect("open a Chromium session");
    let outcome = check_sizes(&client, &demo, &pages).await;
    let closed = client.close().await;
    drop(driver);
    let (checked, problems) = outcome.unwrap();
    closed.expect("close the browser session");
    println!("{checked} page views checked");
    assert!(checked > 40, "only {checked} page views were checked");
    assert!(problems.is_empty(), "{} pages do not fit:\n{}", problems.len(), problems.join("\n"));
}

/// The page check itself finds the defects it is there for: a white-on-white button, a button
/// pushed off the screen, a small button, and a page that scrolls sideways.
async fn checker_sees_defects(
    c: &Client,
    demo: &Demo,
    (account, paths): &(Account, Vec<String>),
) -> anyhow::Result<()> {
    browser_sign_in(c, &demo.base, account).await?;
    c.set_window_size(390, 844).await?;
    c.goto(&format!("{}{}", demo.base, paths.first().context("no page")?)).await?;
    wait_css(c, "main").await?;
    let clean: Vec<String> = serde_json::from_value(c.execute(PAGE_CHECK, vec![]).await?)?;
    ensure!(clean.is_empty(), "the first page already has issues: {clean:?}");
    let planted = r#"
        const main = document.querySelector("main");
        const add = (html) => { const d = document.createElement("div"); d.innerHTML = html; main.append(d); };
        add('<button type="button" style="color:#fff;background:#fff">Lưu nháp</button>');
        add('<button type="button" style="margin-left:600px">Trả phòng</button>');
        add('<button type="button" style="min-height:0;padding:0 2px;font-size:10px">Nhỏ</button>');
        add('<div style="width:1200px;height:4px"></div>');
        add('<input name="unlabelled" placeholder="Số định danh">');
    "#;
    c.execute(planted, vec![]).await?;
    let found: Vec<String> = serde_json::from_value(c.execute(PAGE_CHECK, vec![]).await?)?;
    let all = found.join("\n");
    for expected in [
        "\"Lưu nháp\" has contrast 1.00:1",
        "\"Trả phòng\" is outside the screen",
        "button \"Nhỏ\" is",
        "scrolls sideways",
        "\"unlabelled\" has no label",
    ] {
        ensure!(all.contains(expected), "the page check missed {expected:?}; it found:\n{all}");
    }
    Ok(())
}

/// On a phone the menu folds behind its button: the top bar takes little of the screen, the
/// button opens the menu and says so (`aria-expanded`), and closes it again.
async fn folded_menu(c: &Client) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    let script = "const h = document.querySelector('header.topbar').getBoundingClientRect().height;
        const shown = Array.from(document.querySelectorAll('nav#menu a[data-menu]')).filter((a) => a.checkVisibility()).length;
        return [h, shown, window.innerHeight];";
    let folded: (f64, u32, f64) = serde_json::from_value(c.execute(script, vec![]).await?)?;
    if folded.0 > folded.2 / 8.0 || folded.1 > 0 {
        problems.push(format!(
            "the folded top bar is {} px high of {} and shows {} menu links",
            folded.0, folded.2, folded.1
        ));
    }
    let toggle = c.find(Locator::Css("header button.menu-toggle")).await?;
    toggle.click().await?;
    let open: (f64, u32, f64) = serde_json::from_value(c.execute(script, vec![]).await?)?;
    if open.1 == 0 || toggle.attr("aria-expanded").await?.as_deref() != Some("true") {
        problems.push(format!("the menu button did not open the menu ({} links shown)", open.1));
    }
    toggle.click().await?;
    let closed: (f64, u32, f64) = serde_json::from_value(c.execute(script, vec![]).await?)?;
    if closed.1 > 0 || toggle.attr("aria-expanded").await?.as_deref() != Some("false") {
        problems.push("the menu button did not close the menu".to_string());
    }
    Ok(problems)
}

async fn check_sizes(
    c: &Client,
    demo: &Demo,
    pages: &BTreeMap<String, (Account, Vec<String>)>,
) -> anyhow::Result<(usize, Vec<String>)> {
    let shots = screenshot_dir()?;
    let mut problems = Vec::new();
    let mut checked = 0;
    checker_sees_defects(c, demo, pages.values().next().context("no account")?).await?;
    for (login, (account, paths)) in pages {
        browser_sign_in(c, &demo.base, account).await?;
        for (width, height) in [(390u32, 844u32), (1366, 900)] {
            c.set_window_size(width, height).await?;
            let inner = c.execute("return window.innerWidth;", vec![]).await?.as_u64().unwrap_or(0);
            ensure!(inner > 0 && inner <= u64::from(width), "the window is {inner} px wide, asked {width}");
            for (i, path) in paths.iter().enumerate() {
                c.goto(&format!("{}{path}", demo.base)).await?;
                wait_css(c, "main").await?;
                if i == 0 {
                    // Each role's start page, to look at.
                    save_screenshot(c, &shots, &format!("start-{login}-{width}.png")).await?;
                    if width < 800 {
                        problems.extend(folded_menu(c).await?.into_iter().map(|p| format!("{login} {path}: {p}")));
                    }
                }
                let issues: Vec<String> = serde_json::from_value(c.execute(PAGE_CHECK, vec![]).await?)?;
                checked += 1;
                if !issues.is_empty() {
                    let name =
                        format!("fit-{login}-{width}-{}.png", shape(path).replace(['/', '?', '*', '&', '='], "_"));
                    let shot: PathBuf = save_screenshot(c, &shots, &name).await?;
                    problems.push(format!(
                        "{login} {path} at {width}×{height} ({}):\n  {}",
                        shot.display(),
                        issues.join("\n  ")
                    ));
                }
            }
        }
        c.set_window_size(1280, 900).await?;
    }
    Ok((checked, problems))
}
