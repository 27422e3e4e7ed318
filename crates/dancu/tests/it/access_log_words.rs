//! The citizen's access log reads like sentences: who looked at which of their data and why, in
//! words (never a field code), repeats of the same read folded into one line with their count,
//! and the citizen's own reads told as theirs; the CSV keeps one line per access.

use crate::common;

use audit::AccessEntry;
use db::sqlx::{self, Row};
use db::Db;
use reqwest::header::COOKIE;

use common::{cookie_value, hidden};

const SESSION: &str = "__Host-dancu_session";

fn entry(at: i64, actor: &str, label: &str, subject: &str, purpose: &str, released: &str) -> AccessEntry {
    AccessEntry {
        at,
        actor_id: actor.into(),
        actor_label: label.into(),
        subject_id: subject.into(),
        action: "person.view".into(),
        purpose: purpose.into(),
        released: released.into(),
        channel: "web".into(),
    }
}

async fn citizen_access_log_reads_as_sentences(db: Db) {
    let w = common::world(db.clone(), 300, false).await;
    let person: String =
        sqlx::query("SELECT personal_id FROM persons WHERE status = 'living' ORDER BY personal_id LIMIT 1")
            .fetch_one(db.read())
            .await
            .unwrap()
            .get(0);
    let account =
        dancu::accounts_cmd::citizen_account(&db, &identity::PasswordHasher::new(2), &person, common::PASSWORD, 2)
            .await
            .unwrap();
    let now = kernel::clock::now_ms();
    let officer = "Cán bộ Nguyễn Văn A (Công an xã)";
    let log = &w.running.ctx.access_log;
    // The officer opens the record twice in a minute (one look), and once for a case.
    log.record_all(vec![
        entry(now - 60_000, "acc-officer-1", officer, &person, "administration", "full_name,commune"),
        entry(now - 30_000, "acc-officer-1", officer, &person, "administration", "full_name,commune"),
        entry(now - 20_000, &account.id, "Công dân (Công dân)", &person, "administration", "residence_history"),
    ])
    .await
    .unwrap();
    log.record_for_case(
        vec![entry(now - 10_000, "acc-officer-1", officer, &person, "investigation", "commune,internal_flag_x")],
        Some("VA-7/2026".into()),
    )
    .await
    .unwrap();
    log.flush().await;

    let login = w.http.get(format!("{}/login", w.base)).send().await.unwrap();
    let form_cookie = cookie_value(&login, "__Host-dancu_login").unwrap();
    let csrf = hidden(&login.text().await.unwrap(), "csrf");
    let r = w
        .http
        .post(format!("{}/login", w.base))
        .header(COOKIE, format!("__Host-dancu_login={form_cookie}"))
        .form(&[("login", account.login.as_str()), ("password", common::PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let session = cookie_value(&r, SESSION).unwrap();
    let page = |path: &'static str, lang: &'static str| {
        w.http.get(format!("{}{path}", w.base)).header(COOKIE, format!("{SESSION}={session}; lang={lang}")).send()
    };

    let html = page("/account/access-log", "vi").await.unwrap().text().await.unwrap();
    let read = format!("{officer} đã xem họ và tên và nơi cư trú của bạn để quản lý dân cư.");
    assert_eq!(html.matches(&read).count(), 1, "the two reads are one line:\n{html}");
    assert!(html.contains("2 lần, từ"), "{html}");
    assert!(
        html.contains(&format!(
            "{officer} đã xem nơi cư trú và thông tin khác của bạn để điều tra, xác minh (hồ sơ VA-7/2026)."
        )),
        "{html}"
    );
    assert!(html.contains("Bạn đã xem lịch sử cư trú của chính mình.") && html.contains("Bạn tự xem"), "{html}");
    let table = html.split("<table id=\"access-log\">").nth(1).and_then(|t| t.split("</table>").next()).unwrap();
    for code in ["internal_flag_x", "full_name", "residence_history", "administration", "investigation"] {
        assert!(!table.contains(code), "an internal name is shown: {code}");
    }

    let html = page("/account/access-log", "en").await.unwrap().text().await.unwrap();
    assert!(
        html.contains(&format!("{officer} viewed your full name and residence for population administration.")),
        "{html}"
    );
    assert!(html.contains("2 times, since") && html.contains("You viewed your own residence history."), "{html}");

    // The CSV keeps every access, one line each, in the same words.
    let csv = page("/account/access-log.csv", "vi").await.unwrap().text().await.unwrap();
    assert_eq!(csv.lines().count(), 1 + 4, "{csv}");
    assert_eq!(csv.matches(&read).count(), 2, "{csv}");
    assert!(!csv.contains("internal_flag_x"));
}

db::dual_tests!(crate::common::migrations(); citizen_access_log_reads_as_sentences);
