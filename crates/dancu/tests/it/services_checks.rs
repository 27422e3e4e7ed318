//! Online public services over HTTP on both backends, for what an applicant and an officer can
//! no longer get wrong: submissions with impossible data refused in Vietnamese with nothing
//! stored, the newborn of the head's spouse registered as the head's child with the declared
//! ethnicity, religion and nationality, the birth certificate's content (residence address,
//! parents, signer), results without content refused, notices and SMS on each change of state,
//! the public status lookup with its second factor and limits, one rating per result, and fines
//! paid at the amount of the traffic police's decision.

use crate::common;
use crate::services::{act, callback, citizen, count, external_provider, officer};

use db::sqlx::{self, Row};
use reqwest::Method;
use serde_json::{json, Value};
use web::{Jurisdiction, Role};

use common::World;

fn day(offset_days: i64) -> String {
    (kernel::clock::today_vn() + chrono::Duration::days(offset_days)).format("%d/%m/%Y").to_string()
}

async fn file(w: &World, token: &str, answers: Value) -> (u16, Value) {
    let body = json!({"procedure": "birth_registration", "submit": true, "answers": answers});
    w.send(Method::POST, token, "/api/v1/services/applications", body).await
}

/// The problems of a refused filing: (detail for programs, Vietnamese message, English message).
fn refusal(e: &Value) -> (String, String, String) {
    let s = |k: &str| e["error"][k].as_str().unwrap_or_default().to_string();
    (s("detail"), s("message"), s("message_en"))
}

async fn impossible_births_are_refused_in_vietnamese_and_store_nothing(db: db::Db) {
    let w = common::world(db, 600, false).await;
    let (mother, token) = citizen(&w, "F", true, 2).await;
    let good = |born: String| json!({"child_name": "Trần Thu Hà", "child_gender": "F", "child_birth_date": born, "birth_commune": w.commune});
    let refused = [
        ("child_birth_date", day(1), "Ngày sinh: Ngày này chưa đến"),
        ("child_birth_date", "01/01/1800".to_string(), "Ngày sinh: Năm không hợp lý"),
        ("child_birth_date", "31/02/2026".to_string(), "Ngày sinh: Ngày không hợp lệ, nhập theo dạng ngày/tháng/năm."),
    ];
    for (field, born, vi) in refused {
        let (s, e) = file(&w, &token, good(born.clone())).await;
        assert_eq!((s, e["error"]["code"].as_str()), (400, Some("invalid_input")), "{born}: {e}");
        let (detail, message, message_en) = refusal(&e);
        assert!(detail.starts_with(field), "{detail}");
        assert!(message.starts_with("Hồ sơ chưa hợp lệ.") && message.contains(vi), "{message}");
        assert!(!message.contains("expected") && !message.contains("date"), "one language: {message}");
        assert!(
            message_en.starts_with("The application is not valid.") && !message_en.contains("Ngày"),
            "{message_en}"
        );
    }
    // Born before the mother could be a parent.
    let mother_born: String = sqlx::query("SELECT birth_date FROM persons WHERE personal_id = $1")
        .bind(&mother)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    let too_early = chrono::NaiveDate::parse_from_str(&mother_born, "%Y-%m-%d").unwrap() + chrono::Months::new(12 * 5);
    let (s, e) = file(&w, &token, good(too_early.format("%d/%m/%Y").to_string())).await;
    assert_eq!(s, 400);
    assert!(refusal(&e).1.contains("khi đó bạn chưa đủ 12 tuổi"), "{e}");
    // The applicant named as the other parent; a 13-digit id; an empty required field.
    let mut a = good(day(-2));
    a["other_parent_id"] = json!(mother);
    let (s, e) = file(&w, &token, a).await;
    assert_eq!(s, 400);
    assert!(refusal(&e).1.contains("Số định danh của cha/mẹ còn lại: Bạn là người đi khai sinh"), "{e}");
    let mut a = good(day(-2));
    a["other_parent_id"] = json!("0012345678901");
    let (_, e) = file(&w, &token, a).await;
    assert!(refusal(&e).1.contains("phải gồm đúng 12 chữ số (đã nhập 13 chữ số)"), "{e}");
    let mut a = good(day(-2));
    a["child_name"] = json!("  ");
    let (_, e) = file(&w, &token, a).await;
    assert!(refusal(&e).1.contains("Họ, chữ đệm, tên của trẻ: Vui lòng nhập thông tin này."), "{e}");
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM svc_applications").await, 0, "nothing was stored");

    // The same child twice: the second filing is refused while the first is open.
    let (s, first) = file(&w, &token, good(day(-2))).await;
    assert_eq!(s, 200, "{first}");
    let mut again = good(day(-2));
    again["child_name"] = json!("tran thu ha");
    let (s, e) = file(&w, &token, again).await;
    assert_eq!(s, 400, "{e}");
    assert!(refusal(&e).1.contains("đã được đăng ký khai sinh hoặc đang có hồ sơ khai sinh"), "{e}");
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM svc_applications").await, 1);

    // A child the registry already holds: a parent of one files it again.
    let known = sqlx::query(
        "SELECT c.mother_id, c.full_name, c.birth_date FROM persons c JOIN persons m ON m.personal_id = c.mother_id \
         WHERE m.status = 'living' AND m.household_id IS NOT NULL AND m.current_commune IS NOT NULL \
         AND LENGTH(c.birth_date) = 10 AND c.birth_date > '2000-01-01' AND LENGTH(m.birth_date) = 10 \
         AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.person_id = m.personal_id) ORDER BY c.personal_id LIMIT 1",
    )
    .fetch_one(w.db.read())
    .await
    .unwrap();
    let (parent, name, born): (String, String, String) = (known.get(0), known.get(1), known.get(2));
    let hasher = identity::PasswordHasher::new(2);
    let account = dancu::accounts_cmd::citizen_account(&w.db, &hasher, &parent, "mat-khau-cong-dan", 2).await.unwrap();
    let parent_token = identity::issue_token(&w.db, &account.id, "test", kernel::clock::now_ms()).await.unwrap().1;
    let commune: String = sqlx::query("SELECT current_commune FROM persons WHERE personal_id = $1")
        .bind(&parent)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);
    let answers = json!({"child_name": kernel::text::fold(&name), "child_gender": "M", "child_birth_date": born,
        "birth_commune": commune});
    let (s, e) = file(&w, &parent_token, answers).await;
    assert_eq!(s, 400, "{e}");
    assert!(refusal(&e).0.starts_with("child_name"), "{e}");
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM svc_applications").await, 1);
}

async fn the_spouses_newborn_is_the_heads_child_with_a_full_certificate(db: db::Db) {
    let w = common::world(db, 800, false).await;
    let couple = sqlx::query(
        "SELECT s.personal_id, h.personal_id, s.full_name, s.ethnicity, hh.address FROM persons h \
         JOIN persons s ON s.spouse_id = h.personal_id AND s.household_id = h.household_id \
         JOIN households hh ON hh.id = h.household_id \
         WHERE h.relationship = 'head' AND h.gender = 'M' AND s.gender = 'F' AND s.status = 'living' \
         AND h.status = 'living' AND s.current_commune = $1 AND LENGTH(s.birth_date) = 10 \
         AND s.birth_date > '1976-01-01' AND s.ethnicity IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.person_id = s.personal_id) ORDER BY s.personal_id LIMIT 1",
    )
    .bind(&w.commune)
    .fetch_one(w.db.read())
    .await
    .unwrap();
    let (wife, head, wife_name, ethnicity, address): (String, String, String, String, String) =
        (couple.get(0), couple.get(1), couple.get(2), couple.get(3), couple.get(4));
    let hasher = identity::PasswordHasher::new(2);
    let account = dancu::accounts_cmd::citizen_account(&w.db, &hasher, &wife, "mat-khau-cong-dan", 2).await.unwrap();
    let token = identity::issue_token(&w.db, &account.id, "test", kernel::clock::now_ms()).await.unwrap().1;

    // The form asks for the child's ethnicity, religion and nationality, the mother's preselected,
    // and picks communes by province and name.
    let html = w
        .http
        .get(format!("{}/services/birth_registration", w.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-commune-picker") && html.contains("data-province"), "commune picker");
    assert!(html.contains(&format!("<option value=\"{ethnicity}\" selected>")), "the mother's ethnicity preselected");
    assert!(html.contains("name=\"child_religion\"") && html.contains("name=\"child_nationality\""));

    let commune_name = registry::admin_units::AdminUnits::get().commune(&w.commune).unwrap().name.clone();
    let answers = json!({"child_name": "Lê Gia Bảo", "child_gender": "M", "child_birth_date": day(-1),
        "birth_commune": format!("{commune_name} ({})", w.commune), "other_parent_id": head, "child_religion": "01"});
    let (s, app) = file(&w, &token, answers).await;
    assert_eq!(s, 200, "{app}");
    assert_eq!(app["answers"]["birth_commune"], w.commune.as_str(), "the picker's label is read as its code");
    assert_eq!(
        app["answers"]["child_ethnicity"],
        ethnicity.as_str(),
        "the default is recorded, visible to the officer"
    );
    let id = app["id"].as_str().unwrap();
    let shown = w.http.get(format!("{}/applications/{id}", w.base)).bearer_auth(&token).send().await.unwrap();
    let shown = shown.text().await.unwrap();
    let group = kernel::vocab::ethnicity_name(&ethnicity).unwrap();
    assert!(shown.contains(&format!("<dd>{group}</dd>")) && shown.contains("<dd>Phật giáo</dd>"), "codes are named");
    assert!(shown.contains(&format!("<dd>{commune_name} ({})</dd>", w.commune)), "the commune is named");
    let desk = officer(&w.db, "motcua.hn", Role::DeskOfficer, Jurisdiction::Commune(w.commune.clone())).await;
    let path = format!("/api/v1/services/inbox/{id}/actions");
    assert_eq!(w.send(Method::POST, &desk, &path, act("accept", "")).await.0, 200);
    let (s, done) = w.send(Method::POST, &desk, &path, act("approve", "")).await;
    assert_eq!(s, 200, "{done}");

    let child = sqlx::query(
        "SELECT personal_id, relationship, religion, nationality, ethnicity, father_id FROM persons \
         WHERE mother_id = $1 AND full_name = $2",
    )
    .bind(&wife)
    .bind("Lê Gia Bảo")
    .fetch_one(w.db.read())
    .await
    .unwrap();
    let child_id: String = child.get(0);
    assert_eq!(child.get::<String, _>(1), "child", "the child of the head's spouse is Con, not Cháu");
    assert_eq!(child.get::<Option<String>, _>(2).as_deref(), Some("01"), "the declared religion");
    assert_eq!(child.get::<Option<String>, _>(3).as_deref(), Some("VN"), "nationality as the registry codes it");
    assert_eq!(child.get::<Option<String>, _>(4), Some(ethnicity));
    assert_eq!(child.get::<Option<String>, _>(5), Some(head), "both parents recorded");

    // The certificate: about the child, in the form's order, with the address and the signer.
    let code = done["result_code"].as_str().unwrap();
    let (_, doc) = w.get("", &format!("/api/v1/services/documents/{code}")).await;
    let p = &doc["payload"];
    assert_eq!((p["holder_name"].as_str(), p["holder_id"].as_str()), (Some("Lê Gia Bảo"), Some(child_id.as_str())));
    let line = |label: &str| {
        p["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["label"] == label)
            .map(|l| l["value"].as_str().unwrap().to_string())
    };
    let residence = line("Nơi thường trú của trẻ").unwrap();
    assert!(residence.starts_with(&address) && residence.contains(&commune_name) && !residence.starts_with("Hộ "));
    assert_eq!(line("Quan hệ với chủ hộ").as_deref(), Some("Con"));
    assert_eq!(line("Họ, chữ đệm, tên người mẹ"), Some(wife_name));
    assert_eq!(line("Tôn giáo"), None, "the statutory form has no religion line");
    assert_eq!(p["signer_name"], "Cán bộ motcua.hn");
    assert!(p["signer_title"].as_str().unwrap().contains("Ủy ban nhân dân"), "{p}");
    // The QR code carries the verification page's address, which confirms the document.
    let link = services::documents::verification_link(&format!("{}/documents/verify", w.base), code);
    let page = w.http.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-valid=\"true\"") && page.contains("Cán bộ motcua.hn"), "verified with its signer");
}

/// A paid criminal-record application of a new citizen; returns (application, citizen id, token).
async fn paid_criminal_record(w: &World) -> (Value, String, String) {
    let (id, token) = citizen(w, "F", true, 2).await;
    let body = json!({"procedure": "criminal_record", "submit": true,
        "answers": {"form": "1", "purpose": "Bổ sung hồ sơ xin việc"}});
    let (s, app) = w.send(Method::POST, &token, "/api/v1/services/applications", body).await;
    assert_eq!(s, 200, "{app}");
    let path = format!("/api/v1/services/applications/{}/payment", app["id"].as_str().unwrap());
    let (_, p) = w.send(Method::POST, &token, &path, json!({})).await;
    let (s, _) = callback(w, p["payment"]["id"].as_str().unwrap(), app["fee_vnd"].as_i64().unwrap(), "TXN-JR").await;
    assert_eq!(s, 200);
    (app, id, token)
}

async fn notices_status_lookup_ratings_and_no_empty_results(db: db::Db) {
    let w = common::world_with(db, 500, false, external_provider()).await;
    let (app, person, token) = paid_criminal_record(&w).await;
    let id = app["id"].as_str().unwrap().to_string();
    let receipt = app["receipt_code"].as_str().unwrap().to_string();
    let digits = &person[person.len() - 4..];
    let name: String = sqlx::query("SELECT full_name FROM persons WHERE personal_id = $1")
        .bind(&person)
        .fetch_one(w.db.read())
        .await
        .unwrap()
        .get(0);

    // The public lookup: the right code and digits answer the state and dates only.
    let lookup = |code: String, digits: String| {
        let w = &w;
        async move { w.get("", &format!("/api/v1/services/status?code={code}&digits={digits}")).await }
    };
    let (s, st) = lookup(receipt.to_lowercase(), digits.to_string()).await;
    assert_eq!(s, 200, "{st}");
    assert_eq!((st["status"].as_str(), st["procedure_code"].as_str()), (Some("submitted"), Some("criminal_record")));
    let keys: Vec<&str> = st.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "decided_at",
            "due_at",
            "procedure_code",
            "procedure_en",
            "procedure_vi",
            "receipt_code",
            "status",
            "status_en",
            "status_vi",
            "submitted_at"
        ]
    );
    let text = st.to_string();
    assert!(!text.contains(&person) && !text.contains(&name), "no personal data: {text}");
    let wrong = format!("{:04}", (digits.parse::<u32>().unwrap() + 1) % 10_000);
    let (s, e) = lookup(receipt.clone(), wrong.clone()).await;
    assert_eq!((s, e["error"]["code"].as_str()), (404, Some("not_found")), "the code alone is not enough");
    assert_eq!(lookup(receipt.clone(), "12".into()).await.0, 404);
    let page = w.http.get(format!("{}/services/status?code={receipt}&digits={digits}", w.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("data-status=\"submitted\"") && !html.contains(&name), "the page shows the state only");

    // Rating waits for the result.
    let rate = format!("/api/v1/services/applications/{id}/rating");
    assert_eq!(w.send(Method::POST, &token, &rate, json!({"stars": 5})).await.0, 409);

    // Each change of state is a notice in the account and a message in the outbox.
    let path = format!("/api/v1/services/inbox/{id}/actions");
    assert_eq!(w.send(Method::POST, &w.province_token, &path, act("accept", "")).await.0, 200);
    let (_, n) = w.get(&token, "/api/v1/services/notifications").await;
    assert_eq!((n["unread"].as_i64(), n["items"][0]["kind"].as_str()), (Some(1), Some("accepted")), "{n}");
    let phone = format!("09{}", &person[person.len() - 8..]);
    let outbox = |w: &World| {
        let db = w.db.clone();
        let phone = phone.clone();
        async move {
            sqlx::query("SELECT body FROM sms_outbox WHERE recipient = $1 ORDER BY created_at")
                .bind(phone)
                .fetch_all(db.read())
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>(0))
                .collect::<Vec<_>>()
        }
    };
    let sent = outbox(&w).await;
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].contains(&receipt) && sent[0].contains("đã được tiếp nhận") && !sent[0].contains(&name),
        "{sent:?}"
    );

    // A judicial record is not issued empty: the officer must enter its content first.
    let r = w
        .http
        .post(format!("{}/officer/applications/{id}", w.base))
        .bearer_auth(&w.province_token)
        .form(&[("action", "approve"), ("note", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(html.contains("Chưa có nội dung kết quả") && !html.contains("no result content"), "one language");
    let (s, e) = w.send(Method::POST, &w.province_token, &path, act("approve", "")).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("services.result_missing")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().starts_with("Chưa có nội dung kết quả"));
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM svc_documents").await, 0);
    let (_, still) = w.get(&w.province_token, &format!("/api/v1/services/inbox/{id}")).await;
    assert_eq!(still["application"]["status"], "processing");
    let (s, done) = w.send(Method::POST, &w.province_token, &path, act("approve", "Không có án tích.")).await;
    assert_eq!(s, 200, "{done}");
    let (_, doc) = w.get("", &format!("/api/v1/services/documents/{}", done["result_code"].as_str().unwrap())).await;
    let lines = doc["payload"]["lines"].as_array().unwrap();
    assert!(lines.iter().any(|l| l["label"] == "Nội dung" && l["value"] == "Không có án tích."), "{doc}");

    let (_, n) = w.get(&token, "/api/v1/services/notifications").await;
    let kinds: Vec<&str> = n["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!((n["unread"].as_i64(), kinds), (Some(2), vec!["approved", "accepted"]));
    assert_eq!(outbox(&w).await.len(), 2, "one message per change, none for the refused approval");
    let (_, m) = w.send(Method::POST, &token, "/api/v1/services/notifications/read", json!({})).await;
    assert_eq!(m["marked"], 2);
    assert_eq!(w.get(&token, "/api/v1/services/notifications").await.1["unread"], 0);
    assert_eq!(w.get(&w.province_token, "/api/v1/services/notifications").await.0, 403);

    // One rating per result, counted in the monthly figures.
    let (s, e) = w.send(Method::POST, &token, &rate, json!({"stars": 6})).await;
    assert_eq!(s, 400, "{e}");
    let (s, r) = w.send(Method::POST, &token, &rate, json!({"stars": 4, "comment": "Nhanh, đúng hẹn"})).await;
    assert_eq!((s, r["stars"].as_i64()), (200, Some(4)), "{r}");
    let (s, e) = w.send(Method::POST, &token, &rate, json!({"stars": 1})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("services.already_rated")));
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM svc_ratings").await, 1);
    let (_, rows) = w.get(&w.province_token, "/api/v1/services/stats").await;
    let row = rows.as_array().unwrap().iter().find(|r| r["procedure_code"] == "criminal_record").unwrap();
    assert_eq!((row["rated"].as_i64(), row["mean_rating"].as_f64()), (Some(1), Some(4.0)));

    // Guessing the digits of one code is cut off, the right digits included.
    let mut refused_at = None;
    for i in 0..12 {
        if lookup(receipt.clone(), wrong.clone()).await.0 == 429 {
            refused_at = Some(i);
            break;
        }
    }
    assert!(refused_at.is_some(), "lookups of one code are limited");
    assert_eq!(lookup(receipt.clone(), digits.to_string()).await.0, 429);
}

async fn fines_are_paid_at_the_decisions_amount(db: db::Db) {
    let w = common::world_with(db, 500, false, external_provider()).await;
    let (offender, token) = citizen(&w, "M", true, 1).await;
    let (_, other) = citizen(&w, "F", true, 1).await;
    let police =
        w.staff_token("csgt.test", kernel::Role::TrafficPolice, kernel::Jurisdiction::Province("08".into())).await;
    let decision = |amount: i64| {
        json!({"number": "1234/QĐ-XPHC", "decision_date": day(-5), "amount_vnd": amount, "personal_id": offender,
            "legal_basis": "Điểm a khoản 5 Điều 7 Nghị định 168/2024/NĐ-CP", "plate": "22B1-123.45",
            "violation": "Không chấp hành hiệu lệnh của đèn tín hiệu giao thông"})
    };
    assert_eq!(w.send(Method::POST, &w.commune_token, "/api/v1/services/fines", decision(800_000)).await.0, 403);
    assert_eq!(w.send(Method::POST, &token, "/api/v1/services/fines", decision(800_000)).await.0, 403);
    // A provincial officer who is not traffic police records no penalty decision either.
    assert_eq!(w.send(Method::POST, &w.province_token, "/api/v1/services/fines", decision(800_000)).await.0, 403);
    assert_eq!(w.send(Method::POST, &police, "/api/v1/services/fines", decision(1000)).await.0, 400);
    let (s, d) = w.send(Method::POST, &police, "/api/v1/services/fines", decision(800_000)).await;
    assert_eq!((s, d["amount_vnd"].as_i64()), (200, Some(800_000)), "{d}");
    assert_eq!(w.send(Method::POST, &police, "/api/v1/services/fines", decision(800_000)).await.0, 409);

    // The traffic police's page lists the decision without the offender's id and refuses a typo
    // in Vietnamese; the offender's form offers the unpaid decision.
    let page = |token: &str| w.http.get(format!("{}/officer/fines", w.base)).bearer_auth(token.to_string()).send();
    let r = page(&police).await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("1234/QĐ-XPHC") && html.contains("800.000 đ") && !html.contains(&offender), "{html}");
    assert_eq!(page(&w.commune_token).await.unwrap().status(), 403);
    let typo = [
        ("number", "99/QĐ-XPHC"),
        ("decision_date", "2026-01-02"),
        ("personal_id", offender.as_str()),
        ("plate", "22B1-999.99"),
        ("violation", "Vượt đèn đỏ"),
        ("legal_basis", "Nghị định 168/2024/NĐ-CP"),
        ("amount_vnd", "1000"),
    ];
    let r = w.http.post(format!("{}/officer/fines", w.base)).bearer_auth(&police).form(&typo).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Số tiền phạt phải từ 50.000 đến 150.000.000 đồng.") && !html.contains("amount_vnd:"),
        "{html}"
    );
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM svc_fine_decisions").await, 1);
    let form =
        w.http.get(format!("{}/services/traffic_fine_payment", w.base)).bearer_auth(&token).send().await.unwrap();
    let html = form.text().await.unwrap();
    assert!(html.contains("<option value=\"1234/QĐ-XPHC\""), "the unpaid decision is offered: {html}");

    let pay = |token: String, answers: Value| {
        let w = &w;
        async move {
            let body = json!({"procedure": "traffic_fine_payment", "submit": true, "answers": answers});
            w.send(Method::POST, &token, "/api/v1/services/applications", body).await
        }
    };
    // The amount cannot be typed; another person's decision cannot be paid.
    let (s, e) = pay(token.clone(), json!({"decision_no": "1234/QĐ-XPHC", "amount": "1000"})).await;
    assert_eq!(s, 400, "{e}");
    assert!(refusal(&e).0.contains("amount: Not a field of this form"), "{e}");
    let (s, e) = pay(other.clone(), json!({"decision_no": "1234/QĐ-XPHC"})).await;
    assert_eq!(s, 400);
    assert!(refusal(&e).1.contains("Không tìm thấy quyết định xử phạt có số này đối với bạn"), "{e}");
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM svc_applications").await, 0);
    assert!(w.get(&other, "/api/v1/services/fines/mine").await.1.as_array().unwrap().is_empty());

    let (s, app) = pay(token.clone(), json!({"decision_no": " 1234/qđ-xphc "})).await;
    assert_eq!(s, 200, "{app}");
    assert_eq!((app["fee_vnd"].as_i64(), app["fee_status"].as_str()), (Some(800_000), Some("unpaid")));
    let (s, e) = pay(token.clone(), json!({"decision_no": "1234/QĐ-XPHC"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("services.fine_not_payable")), "one open payment");
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM svc_applications").await, 1);

    let id = app["id"].as_str().unwrap();
    let (_, p) = w.send(Method::POST, &token, &format!("/api/v1/services/applications/{id}/payment"), json!({})).await;
    let payment = p["payment"]["id"].as_str().unwrap();
    assert_eq!(p["payment"]["amount_vnd"], 800_000);
    assert_eq!(callback(&w, payment, 1000, "TXN-F1").await.0, 400, "the provider must charge the decision's amount");
    assert_eq!(callback(&w, payment, 800_000, "TXN-F1").await.0, 200);
    assert_eq!(callback(&w, payment, 800_000, "TXN-F1").await.1["outcome"], "already_applied");
    let (_, mine) = w.get(&token, "/api/v1/services/fines/mine").await;
    let paid_at = mine[0]["paid_at"].as_i64().expect("the decision is marked paid");
    let (s, e) = pay(token.clone(), json!({"decision_no": "1234/QĐ-XPHC"})).await;
    assert_eq!(s, 400);
    assert!(refusal(&e).1.contains("đã được nộp tiền"), "{e}");
    assert_eq!(w.get(&token, "/api/v1/services/fines/mine").await.1[0]["paid_at"].as_i64(), Some(paid_at), "once");

    // The receipt states the decision it settles.
    let path = format!("/api/v1/services/inbox/{id}/actions");
    assert_eq!(w.send(Method::POST, &w.province_token, &path, act("accept", "")).await.0, 200);
    let (s, done) = w.send(Method::POST, &w.province_token, &path, act("approve", "")).await;
    assert_eq!(s, 200, "{done}");
    let (_, doc) = w.get("", &format!("/api/v1/services/documents/{}", done["result_code"].as_str().unwrap())).await;
    let lines = doc["payload"]["lines"].as_array().unwrap();
    assert!(lines.iter().any(|l| l["label"] == "Quyết định xử phạt số" && l["value"] == "1234/QĐ-XPHC"), "{doc}");
    assert!(lines.iter().any(|l| l["label"] == "Số tiền đã nộp" && l["value"] == "800000 đồng"), "{doc}");
}

db::dual_tests!(crate::common::migrations();
    impossible_births_are_refused_in_vietnamese_and_store_nothing,
    the_spouses_newborn_is_the_heads_child_with_a_full_certificate,
    notices_status_lookup_ratings_and_no_empty_results,
    fines_are_paid_at_the_decisions_amount,
);
