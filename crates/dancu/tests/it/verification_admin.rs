//! Verification purposes granted and revoked by administrators on the organization page (with a
//! security event), and the candidate and ticket lists organizations upload as CSV, on SQLite and
//! PostgreSQL.

use crate::common;
use crate::services::officer;

use db::sqlx::{self, Row};
use db::Db;
use reqwest::Method;
use serde_json::{json, Value};
use web::{Jurisdiction, Role};

use common::World;

async fn organization(w: &World, tax: &str, name: &str, kind: identity::organizations::OrgKind) -> String {
    identity::organizations::create_organization(
        &w.db,
        identity::organizations::NewOrganization {
            tax_code: tax.into(),
            name: name.into(),
            kind,
            address: "3 Đường Tân Trào".into(),
            commune_code: w.commune.clone(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap()
    .id
}

/// The administrator's purposes form, sent with a bearer token: status and page.
async fn save_purposes(w: &World, token: &str, org: &str, purposes: &[&str]) -> (u16, String) {
    let body: Vec<(&str, &str)> = purposes.iter().map(|p| ("purpose", *p)).collect();
    let r = w
        .http
        .post(format!("{}/admin/organizations/{org}/purposes", w.base))
        .bearer_auth(token)
        .form(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn granted(db: &Db, org: &str) -> Vec<String> {
    verification::caller::allowed_purposes(db, org).await.unwrap()
}

/// Two living residents with full birth dates: (id, name, dd/mm/yyyy).
async fn two_people(w: &World) -> Vec<(String, String, String)> {
    sqlx::query(
        "SELECT personal_id, full_name, birth_date FROM persons WHERE status = 'living' AND LENGTH(birth_date) = 10 \
         AND birth_date < '2000-01-01' ORDER BY personal_id LIMIT 2",
    )
    .fetch_all(w.db.read())
    .await
    .unwrap()
    .iter()
    .map(|r| {
        let birth: String = r.get(2);
        let vn = chrono::NaiveDate::parse_from_str(&birth, "%Y-%m-%d").unwrap().format("%d/%m/%Y").to_string();
        (r.get(0), r.get(1), vn)
    })
    .collect()
}

fn typed(p: &(String, String, String), purpose: &str, list: Option<&str>) -> Value {
    json!({"personal_id": p.0, "full_name": p.1, "birth_date": p.2, "purpose": purpose, "citizen_present": true, "list_code": list})
}

async fn administrators_grant_and_revoke_purposes(db: Db) {
    let w = common::world(db, 200, false).await;
    let admin = officer(&w.db, "quan.tri", Role::Admin, Jurisdiction::Province("08".into())).await;
    let pawn = organization(&w, "0107776665", "Cầm đồ Tân Trào", identity::organizations::OrgKind::PawnShop).await;
    let staff = officer(&w.db, "cam.do", Role::OrgStaff, Jurisdiction::Own(pawn.clone())).await;
    let people = two_people(&w).await;
    let (s, _) = w.send(Method::POST, &staff, "/api/v1/verifications", typed(&people[0], "pawn_customer", None)).await;
    assert_eq!(s, 403, "no purpose granted yet");

    // The organization page lists every purpose; others than administrators change nothing.
    let r =
        w.http.get(format!("{}/admin/organizations/{pawn}/purposes", w.base)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"pawn_customer\"") && html.contains("Cầm đồ Tân Trào"), "{html}");
    assert_eq!(save_purposes(&w, &w.province_token, &pawn, &["pawn_customer"]).await.0, 403);
    assert_eq!(save_purposes(&w, &staff, &pawn, &["pawn_customer"]).await.0, 403);
    assert_eq!(save_purposes(&w, &admin, &pawn, &["marketing"]).await.0, 400);
    assert!(granted(&w.db, &pawn).await.is_empty());

    // Granted: the shop verifies at once; revoked: refused again.
    let (s, html) = save_purposes(&w, &admin, &pawn, &["pawn_customer", "age_check"]).await;
    assert_eq!(s, 200);
    assert!(html.contains("Đã cấp:"), "{html}");
    assert_eq!(granted(&w.db, &pawn).await, ["age_check", "pawn_customer"]);
    let (s, v) = w.send(Method::POST, &staff, "/api/v1/verifications", typed(&people[0], "pawn_customer", None)).await;
    assert_eq!((s, v["result"]["outcome"].as_str()), (200, Some("green")), "{v}");
    let (s, html) = save_purposes(&w, &admin, &pawn, &["age_check"]).await;
    assert_eq!(s, 200);
    assert!(html.contains("Đã thu hồi:"), "{html}");
    let (s, _) = w.send(Method::POST, &staff, "/api/v1/verifications", typed(&people[0], "pawn_customer", None)).await;
    assert_eq!(s, 403, "a revoked purpose is refused at once");

    // Each change is an administrator's action for the SOC.
    w.running.ctx.security.flush().await;
    let actions: i64 =
        sqlx::query("SELECT COUNT(*) FROM security_events WHERE kind = 'admin_action' AND route LIKE '%purposes%'")
            .fetch_one(w.db.read())
            .await
            .unwrap()
            .get(0);
    assert_eq!(actions, 2, "two successful changes, refusals are not actions");
}

async fn organizations_upload_candidate_and_ticket_lists(db: Db) {
    let w = common::world(db, 200, false).await;
    let admin = officer(&w.db, "quan.tri", Role::Admin, Jurisdiction::Province("08".into())).await;
    let exam =
        organization(&w, "0107776666", "Trung tâm sát hạch Tuyên Quang", identity::organizations::OrgKind::Other).await;
    let staff = officer(&w.db, "sat.hach", Role::OrgStaff, Jurisdiction::Own(exam.clone())).await;
    assert_eq!(save_purposes(&w, &admin, &exam, &["exam_candidate"]).await.0, 200);
    let people = two_people(&w).await;
    let upload = |kind: &str, code: &str, csv: String| {
        let (w, staff, path) = (&w, staff.clone(), format!("/api/v1/verifications/lists/{kind}/{code}"));
        async move {
            let r = w
                .http
                .put(format!("{}{path}", w.base))
                .bearer_auth(&staff)
                .header("Content-Type", "text/csv")
                .body(csv)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let count = || async {
        sqlx::query("SELECT COUNT(*) FROM verifier_lists").fetch_one(w.db.read()).await.unwrap().get::<i64, _>(0)
    };

    // Bad lines are all named and nothing is stored.
    let bad = format!("personal_id,label\n{},SBD 001\n12345,SBD 002\n{},SBD 003\n", people[0].0, people[0].0);
    let (s, e) = upload("exam", "GPLX-A1-2026", bad).await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("invalid_input")), "{e}");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("Dòng 3:") && message.contains("Dòng 4:") && !message.contains("Dòng 2:"), "{e}");
    assert_eq!(count().await, 0);
    // A coach list needs the coach purpose.
    let (s, _) = upload("ticket", "TQ-HN-0730", format!("personal_id,label\n{},Ghế 1\n", people[0].0)).await;
    assert_eq!(s, 403);
    assert_eq!(count().await, 0);

    // A good list is used by the checks: on the list → found with its label; not on it → red.
    let (s, r) = upload("exam", "GPLX-A1-2026", format!("\u{feff}personal_id,label\n{},SBD 001\n", people[0].0)).await;
    assert_eq!((s, r["entries"].as_u64()), (200, Some(1)), "{r}");
    let (_, v) = w
        .send(Method::POST, &staff, "/api/v1/verifications", typed(&people[0], "exam_candidate", Some("GPLX-A1-2026")))
        .await;
    assert_eq!(
        (v["result"]["list"]["found"].as_bool(), v["result"]["list"]["label"].as_str()),
        (Some(true), Some("SBD 001")),
        "{v}"
    );
    let (_, v) = w
        .send(Method::POST, &staff, "/api/v1/verifications", typed(&people[1], "exam_candidate", Some("GPLX-A1-2026")))
        .await;
    assert_eq!(
        (v["result"]["outcome"].as_str(), v["result"]["list"]["found"].as_bool()),
        (Some("red"), Some(false)),
        "{v}"
    );
    // A new upload replaces the list.
    let (s, _) = upload("exam", "GPLX-A1-2026", format!("personal_id\n{}\n", people[1].0)).await;
    assert_eq!(s, 200);
    let (_, v) = w
        .send(Method::POST, &staff, "/api/v1/verifications", typed(&people[0], "exam_candidate", Some("GPLX-A1-2026")))
        .await;
    assert_eq!(v["result"]["list"]["found"], false, "{v}");
    assert_eq!(count().await, 1);

    // The page form: bad lines are listed on the page.
    let boundary = "dancu-list-upload";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nexam\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"list_code\"\r\n\r\nGPLX-B2-2026\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ds.csv\"\r\nContent-Type: text/csv\r\n\r\n\
         personal_id,label\nabc,1\n\r\n--{boundary}--\r\n"
    );
    let r = w
        .http
        .post(format!("{}/verify/lists", w.base))
        .bearer_auth(&staff)
        .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Dòng 2:"));
    assert_eq!(count().await, 1);
}

db::dual_tests!(crate::common::migrations(); administrators_grant_and_revoke_purposes, organizations_upload_candidate_and_ticket_lists);
