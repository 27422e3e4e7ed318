//! Project 06 tracking through its HTML forms, on SQLite and PostgreSQL: a commune unit's focal
//! point registers models 9, 24 and 1 with targets and a plan, the working group approves; the
//! computed KPIs carry the commune's real level-2 e-ID and lodging figures; the unit reports a
//! manual value with an uploaded file, opens, saves and submits its monthly report, which the
//! working group first refuses to return without a reason and then approves; the consolidated
//! files download; an administrator edits the catalogue and sees the version history. Every form
//! refuses a missing CSRF token, a bad value, the wrong role and another unit's record, and then
//! changes nothing.

use crate::common;

use base64::Engine;
use common::{hidden, World};
use db::sqlx::{self, Row};
use db::Db;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::{Method, Response};
use serde_json::json;
use web::{Jurisdiction, Role};

const SESSION: &str = "__Host-dancu_session";

/// A signed-in browser: the session cookie and the session's CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
    token: String,
}

async fn person(db: &Db, login: &str, role: Role, j: Jurisdiction) -> (String, Browser) {
    let a = identity::create_account(
        db,
        &identity::PasswordHasher::new(2),
        identity::NewAccount {
            login: login.into(),
            display_name: format!("Tài khoản {login}"),
            role,
            jurisdiction: j,
            password: common::PASSWORD.into(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    let (secret, csrf) =
        identity::create_session(db, &a.id, Some("test"), &["pwd"], kernel::clock::now_ms()).await.unwrap();
    let token = identity::issue_token(db, &a.id, "test", kernel::clock::now_ms()).await.unwrap().1;
    (a.id, Browser { cookie: format!("{SESSION}={secret}"), csrf, token })
}

impl Browser {
    async fn get(&self, w: &World, path: &str) -> (u16, String) {
        let r = w.http.get(format!("{}{path}", w.base)).header(COOKIE, &self.cookie).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Posts a form; the session's CSRF token is added unless `csrf` is false.
    async fn post(&self, w: &World, path: &str, fields: &[(&str, &str)], csrf: bool) -> Response {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if csrf {
            all.push(("csrf", &self.csrf));
        }
        w.http.post(format!("{}{path}", w.base)).header(COOKIE, &self.cookie).form(&all).send().await.unwrap()
    }

    /// Posts a `multipart/form-data` form with one file field named `file`.
    async fn upload(&self, w: &World, path: &str, fields: &[(&str, &str)], file: (&str, &[u8])) -> Response {
        let boundary = "dancu-test-boundary-7b1f";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").bytes());
        }
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n",
                file.0
            )
            .bytes(),
        );
        body.extend_from_slice(file.1);
        body.extend(format!("\r\n--{boundary}--\r\n").bytes());
        w.http
            .post(format!("{}{path}", w.base))
            .header(COOKIE, &self.cookie)
            .header(CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

fn location(r: &Response) -> String {
    r.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

async fn count(db: &Db, sql: &str, arg: &str) -> i64 {
    sqlx::query(sql).bind(arg).fetch_one(db.read()).await.unwrap().get(0)
}

/// Two adults of the commune get a level-2 e-ID, the way a police officer raises them.
async fn level2_accounts(db: &Db, commune: &str) -> Vec<String> {
    let ids: Vec<String> = sqlx::query(
        "SELECT personal_id FROM persons WHERE current_commune = $1 AND status = 'living' \
         AND length(birth_date) = 10 AND birth_date < '2000-01-01' ORDER BY personal_id LIMIT 2",
    )
    .bind(commune)
    .fetch_all(db.read())
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect();
    for (i, id) in ids.iter().enumerate() {
        let pending = identity::registration::PendingRegistration {
            person_id: id.clone(),
            full_name: "Công dân".into(),
            phone: format!("091000000{i}"),
            password_hash: "unused".into(),
        };
        let a = identity::registration::complete(db, &pending, kernel::clock::now_ms()).await.unwrap();
        let officer = identity::levels::LevelActor { id: None, label: "Công an xã".into() };
        identity::levels::raise_to_level2(
            db,
            &a.id,
            identity::levels::LevelMethod::InPersonCard,
            id,
            &officer,
            kernel::clock::now_ms(),
        )
        .await
        .unwrap();
    }
    ids
}

/// Two approved hotels in the commune; one of them checks a guest in (a lodging notification).
async fn hotels(w: &World) {
    let org = identity::organizations::create_organization(
        &w.db,
        identity::organizations::NewOrganization {
            tax_code: "0109876543".into(),
            name: "Công ty Du lịch Sông Lô".into(),
            kind: identity::organizations::OrgKind::parse("hotel").unwrap(),
            address: "1 đường Lê Lợi".into(),
            commune_code: w.commune.clone(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    let (_, staff) = person(&w.db, "le.tan", Role::OrgStaff, Jurisdiction::Own(org.id)).await;
    let mut ids = Vec::new();
    for name in ["Khách sạn Sông Lô", "Nhà nghỉ Bình An"] {
        let body = json!({"kind": "hotel", "name": name, "licence_code": "GP-01", "commune_code": w.commune,
            "address": "5 đường Trần Phú", "rooms": 10, "beds": 20});
        let (s, f) = w.send(Method::POST, &staff.token, "/api/v1/lodging/facilities", body).await;
        assert_eq!(s, 200, "{f}");
        let id = f["id"].as_str().unwrap().to_string();
        let path = format!("/api/v1/lodging/facilities/{id}/decision");
        assert_eq!(w.send(Method::POST, &w.commune_token, &path, json!({"status": "approved"})).await.0, 200);
        ids.push(id);
    }
    let (guest, _) = w.inside_and_outside().await;
    let body = w
        .typed(json!({"facility_id": ids[0], "room": "101", "reason": "Du lịch", "guests": [{"personal_id": guest}]}))
        .await;
    let r = w.http.post(format!("{}/api/v1/lodging/checkins", w.base)).bearer_auth(&staff.token).json(&body);
    assert_eq!(r.send().await.unwrap().status().as_u16(), 200);
}

fn registration_fields<'a>(model: &'a str, targets: &'a [(&'a str, &'a str)]) -> Vec<(String, String)> {
    let mut f = vec![
        ("model".to_string(), model.to_string()),
        ("role".into(), "lead".into()),
        ("note".into(), "Đăng ký theo Kế hoạch của UBND xã".into()),
        ("step_title.1".into(), "Bước 1: Xây dựng kế hoạch".into()),
        ("step_due.1".into(), "31/12/2030".into()),
    ];
    for (kpi, value) in targets {
        f.push((format!("target.{kpi}"), value.to_string()));
        f.push((format!("deadline.{kpi}"), "31/12/2031".into()));
    }
    f
}

async fn register(w: &World, b: &Browser, fields: &[(String, String)], csrf: bool) -> Response {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post(w, "/programs/register", &refs, csrf).await
}

/// Posts a manual value of KPI 9.1 with an evidence file.
async fn upload_value(w: &World, b: &Browser, path: &str, csrf: &str, value: &str, file: (&str, &[u8])) -> Response {
    b.upload(w, path, &[("csrf", csrf), ("kpi", "9.1"), ("value", value)], file).await
}

/// Posts the catalogue editor of model 24 with the given fields, version and reason.
async fn edit_model(w: &World, b: &Browser, fields: &[(String, String)], version: &str, note: &str) -> Response {
    let mut all: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    all.push(("version", version));
    all.push(("note", note));
    b.post(w, "/programs/models/24/edit", &all, true).await
}

async fn forms_over_http(db: Db) {
    let w = common::world(db, 1_500, true).await;
    programs::init(&w.db, "08", kernel::clock::now_ms()).await.unwrap();
    let unit = programs::units::commune_unit_id(&w.commune);
    let (focal_id, focal) = person(&w.db, "daumoi.xa", Role::UnitFocal, Jurisdiction::Commune(w.commune.clone())).await;
    programs::units::add_member(&w.db, &unit, &focal_id, kernel::clock::now_ms()).await.unwrap();
    let other_unit =
        programs::units::list(&w.db, None, None).await.unwrap().into_iter().find(|u| u.id != unit).unwrap();
    let (other_id, other) = person(&w.db, "daumoi.khac", Role::UnitFocal, Jurisdiction::Province("08".into())).await;
    programs::units::add_member(&w.db, &other_unit.id, &other_id, kernel::clock::now_ms()).await.unwrap();
    let (_, wg) = person(&w.db, "tct.xa", Role::WorkingGroup, Jurisdiction::Province("08".into())).await;
    let (_, admin) = person(&w.db, "quantri", Role::Admin, Jurisdiction::Province("08".into())).await;
    let regs_of = |u: String| {
        let db = w.db.clone();
        async move { programs::registrations::list(&db, Some(&u), None).await.unwrap() }
    };

    // The registration form shows the model's KPIs in Vietnamese, with a field per target.
    let (s, html) = focal.get(&w, "/programs/register?model=9").await;
    assert_eq!(s, 200);
    assert!(html.contains("name=\"target.9.1\"") && html.contains("name=\"deadline.9.lodging_active_share\""));
    assert!(html.contains("Tỷ lệ cơ sở kinh doanh lưu trú sử dụng phần mềm thông báo lưu trú ASM"), "{html}");
    let (_, html_en) = focal.get(&w, "/programs/register?model=9&lang=en").await;
    assert!(html_en.contains("share of lodging businesses using the ASM lodging software"));

    // Refused submissions store nothing: no CSRF token, a bad number, a share above 100%, a
    // deadline without a value, the wrong role.
    let good9 = registration_fields("9", &[("9.1", "100"), ("9.lodging_active_share", "90")]);
    assert_eq!(register(&w, &focal, &good9, false).await.status(), 403);
    let bad_number = registration_fields("9", &[("9.1", "abc")]);
    let r = register(&w, &focal, &bad_number, true).await;
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("không phải là số không âm") && body.contains("value=\"abc\""), "{body}");
    let r = register(&w, &focal, &registration_fields("9", &[("9.1", "150")]), true).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("không vượt quá 100%"));
    let mut half = registration_fields("9", &[]);
    half.push(("deadline.9.1".into(), "31/12/2031".into()));
    let r = register(&w, &focal, &half, true).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("cần nhập cả giá trị và thời hạn"));
    assert_eq!(register(&w, &wg, &good9, true).await.status(), 403);
    assert!(regs_of(unit.clone()).await.is_empty());

    // The unit registers models 9, 24 and 1; a second registration of 9 is refused.
    for fields in [
        good9.clone(),
        registration_fields(
            "24",
            &[("24.eid_level2_share", "70"), ("24.adults_valid_card_share", "98"), ("24.3", "70")],
        ),
        registration_fields("1", &[("1.online_applications_share", "50"), ("1.2", "12,5")]),
    ] {
        let r = register(&w, &focal, &fields, true).await;
        assert_eq!((r.status().as_u16(), location(&r)), (303, format!("/programs/units/{unit}")));
    }
    let r = register(&w, &focal, &good9, true).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Dữ liệu đã thay đổi hoặc đã tồn tại"));
    let regs = regs_of(unit.clone()).await;
    assert_eq!(regs.len(), 3);
    let r1 = regs.iter().find(|r| r.model_id == "1").unwrap();
    assert_eq!(r1.targets.iter().find(|t| t.kpi_id == "1.2").unwrap().target_value, 12.5);
    assert_eq!(r1.steps[0].due_date, chrono::NaiveDate::from_ymd_opt(2030, 12, 31).unwrap());

    // The working group approves from the dashboard; returning needs a reason.
    let first = format!("/programs/registrations/{}/decision", regs[0].id);
    let v0 = regs[0].version.to_string();
    let r = wg.post(&w, &first, &[("version", v0.as_str()), ("decision", "return"), ("note", "")], true).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("cần nêu rõ nội dung đơn vị phải điều chỉnh"));
    assert_eq!(regs_of(unit.clone()).await[0].status, programs::registrations::RegStatus::Pending);
    for r in &regs {
        let version = r.version.to_string();
        let fields = [("version", version.as_str()), ("decision", "approve"), ("note", "")];
        let path = format!("/programs/registrations/{}/decision", r.id);
        assert_eq!(focal.post(&w, &path, &fields, true).await.status(), 403);
        assert_eq!(wg.post(&w, &path, &fields, true).await.status(), 303);
    }

    // Live data: two level-2 e-IDs and two approved hotels, one of which notified a guest.
    let eid_ids = level2_accounts(&w.db, &w.commune).await;
    assert_eq!(eid_ids.len(), 2);
    hotels(&w).await;
    assert_eq!(w.send(Method::POST, &wg.token, "/api/v1/programs/snapshots", json!({})).await.0, 200);
    let r24 = &regs.iter().find(|r| r.model_id == "24").unwrap().id;
    let (_, d) = w.get(&wg.token, &format!("/api/v1/programs/registrations/{r24}")).await;
    let eid = d["kpis"].as_array().unwrap().iter().find(|l| l["kpi"]["id"] == "24.eid_level2_share").unwrap();
    assert_eq!(eid["value"]["reading"]["numerator"].as_f64(), Some(2.0), "{eid}");
    let r9 = regs.iter().find(|r| r.model_id == "9").unwrap().id.clone();
    let (_, d) = w.get(&wg.token, &format!("/api/v1/programs/registrations/{r9}")).await;
    let lodging = d["kpis"].as_array().unwrap().iter().find(|l| l["kpi"]["id"] == "9.lodging_active_share").unwrap();
    assert_eq!(
        (lodging["value"]["reading"]["numerator"].as_f64(), lodging["value"]["reading"]["denominator"].as_f64()),
        (Some(1.0), Some(2.0))
    );
    let (_, dash) = focal.get(&w, "/programs").await;
    assert!(dash.contains("id=\"my-unit\"") && dash.contains(&format!("/programs/units/{unit}")));
    let (_, page) = focal.get(&w, &format!("/programs/units/{unit}")).await;
    assert!(page.contains("50,0%") && page.contains("/programs/reports/new"), "the unit page shows 1 of 2 hotels");

    // A manual value with an uploaded PDF; a disguised file, another unit and no CSRF are refused.
    let values = format!("/programs/registrations/{r9}/values");
    assert_eq!(focal.get(&w, &values).await.0, 200);
    assert_eq!(other.get(&w, &values).await.0, 403);
    let stored = || count(&w.db, "SELECT COUNT(*) FROM program_kpi_values WHERE registration_id = $1", &r9);
    let pdf: &[u8] = b"%PDF-1.4\n%test\n";
    let r = upload_value(&w, &focal, &values, &focal.csrf, "80", ("bien-ban.pdf", b"<html><script>x</script>")).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Chỉ nhận tệp PDF"));
    assert_eq!(upload_value(&w, &focal, &values, "wrong", "80", ("bien-ban.pdf", pdf)).await.status(), 403);
    assert_eq!(upload_value(&w, &other, &values, &other.csrf, "80", ("bien-ban.pdf", pdf)).await.status(), 403);
    assert_eq!(upload_value(&w, &focal, &values, &focal.csrf, "120", ("bien-ban.pdf", pdf)).await.status(), 400);
    assert_eq!(stored().await, 0);
    let r = upload_value(&w, &focal, &values, &focal.csrf, "80", ("bien-ban.pdf", pdf)).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("/programs/units/{unit}")));
    let v = programs::kpi::manual::latest(&w.db, &r9).await.unwrap();
    assert_eq!((v.len(), v[0].value, v[0].attachment_name.as_deref()), (1, 80.0, Some("bien-ban.pdf")));
    let (_, ctype, bytes) = programs::kpi::manual::attachment(&w.db, &v[0].id).await.unwrap();
    assert_eq!((ctype.as_str(), bytes.as_slice()), ("application/pdf", pdf));
    // Through the JSON API a file close to the 5 MiB limit fits (base64), one over it does not.
    for (size, status) in [(4 * 1024 * 1024, 201), (5 * 1024 * 1024 + 1, 400)] {
        let mut file = b"%PDF-1.4\n".to_vec();
        file.resize(size, b'0');
        let data = base64::engine::general_purpose::STANDARD.encode(&file);
        let body = json!({"kpi_id": "9.1", "value": 81.0, "comment": "",
            "attachment": {"name": "so-lieu.pdf", "content_type": "application/pdf", "data_base64": data}});
        let (s, e) =
            w.send(Method::POST, &focal.token, &format!("/api/v1/programs/registrations/{r9}/values"), body).await;
        assert_eq!(s, status, "{size}: {e}");
    }

    // The monthly report: opened pre-filled, refused edits change nothing, saved, submitted.
    let (s, html) = focal.get(&w, "/programs/reports/new").await;
    assert_eq!(s, 200);
    let today = kernel::clock::today_vn();
    let period = format!("monthly:{}", today.format("%Y-%m"));
    assert!(html.contains(&format!("value=\"{period}\"")), "{html}");
    assert_eq!(focal.post(&w, "/programs/reports/new", &[("period", &period)], false).await.status(), 403);
    assert_eq!(wg.post(&w, "/programs/reports/new", &[("period", &period)], true).await.status(), 403);
    let r = focal.post(&w, "/programs/reports/new", &[("period", &period)], true).await;
    assert_eq!(r.status(), 303);
    let report_path = location(&r);
    let rid = report_path.trim_start_matches("/programs/reports/").to_string();
    let (s, html) = focal.get(&w, &report_path).await;
    assert_eq!(s, 200);
    assert!(html.contains("50,0%") && html.contains("name=\"value."), "pre-filled with computed and manual KPIs");
    let version = hidden(&html, "version");
    let item = format!("value.{r9}.9.1");
    let report = || programs::reports::get(&w.db, &rid);
    let r = focal.post(&w, &report_path, &[("version", &version), ("action", "save"), (&item, "abc")], true).await;
    assert_eq!(r.status(), 400);
    assert_eq!(report().await.unwrap().version.to_string(), version);
    let summary = ("summary", "Đã triển khai 3 mô hình, 1/2 cơ sở lưu trú gửi thông báo.");
    let save = [("version", version.as_str()), ("action", "save"), (item.as_str(), "85"), summary];
    assert_eq!(other.post(&w, &report_path, &save, true).await.status(), 403);
    assert_eq!(focal.post(&w, &report_path, &save, false).await.status(), 403);
    assert_eq!(report().await.unwrap().version.to_string(), version, "nothing changed");
    assert_eq!(focal.post(&w, &report_path, &save, true).await.status(), 303);
    let draft = report().await.unwrap();
    assert_eq!(draft.status, programs::reports::ReportStatus::Draft);
    let manual = draft.items.iter().find(|i| i.kpi_id == "9.1").unwrap();
    assert_eq!(manual.value, Some(85.0));
    let v = draft.version.to_string();
    let r = focal.post(&w, &report_path, &[("version", &v), ("action", "submit"), ("summary", "")], true).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("trước khi gửi báo cáo"));
    let submit = [("version", v.as_str()), ("action", "submit"), (item.as_str(), "85"), summary];
    assert_eq!(focal.post(&w, &report_path, &submit, true).await.status(), 303);
    let submitted = report().await.unwrap();
    assert_eq!(submitted.status, programs::reports::ReportStatus::Submitted);
    let frozen = submitted.items.iter().find(|i| i.kpi_id == "9.lodging_active_share").unwrap();
    assert_eq!(frozen.value, Some(50.0));

    // The working group must give a reason to return; then it approves from the report's page.
    let (_, html) = wg.get(&w, &report_path).await;
    assert!(html.contains("id=\"decision\""));
    let decision = format!("{report_path}/decision");
    let v = submitted.version.to_string();
    let back = [("version", v.as_str()), ("decision", "return"), ("note", " "), ("back", "report")];
    let r = wg.post(&w, &decision, &back, true).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("cần nêu rõ nội dung"));
    assert_eq!(report().await.unwrap().status, programs::reports::ReportStatus::Submitted);
    let approve = [("version", v.as_str()), ("decision", "approve"), ("note", "Đạt yêu cầu"), ("back", "report")];
    assert_eq!(focal.post(&w, &decision, &approve, true).await.status(), 403);
    let r = wg.post(&w, &decision, &approve, true).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, report_path.clone()));
    assert_eq!(report().await.unwrap().status, programs::reports::ReportStatus::Approved);

    // The consolidated report downloads with the working group's session.
    for (ext, magic) in [("xlsx", &b"PK"[..]), ("pdf", &b"%PDF-"[..])] {
        let url =
            format!("{}/api/v1/programs/reports/consolidated.{ext}?frequency=monthly&period={}", w.base, &period[8..]);
        let resp = w.http.get(&url).header(COOKIE, &wg.cookie).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(resp.bytes().await.unwrap().starts_with(magic), "{ext}");
    }

    // The catalogue editor: administrators only, a reason required, a stale version refused.
    assert_eq!(focal.get(&w, "/programs/models/24/edit").await.0, 403);
    let (s, html) = admin.get(&w, "/programs/models/24/edit").await;
    assert_eq!(s, 200);
    assert!(html.contains("id=\"versions\"") && html.contains("Nhập từ danh mục"));
    let model = programs::catalogue::get_model(&w.db, "24").await.unwrap();
    let mv = model.version.to_string();
    let mut edit: Vec<(String, String)> = ["name_vi", "name_en", "goal_vi", "goal_en"]
        .iter()
        .zip([&model.name_vi, &model.name_en, &model.goal_vi, &model.goal_en])
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (k, v) in [
        ("lead_unit_vi", &model.lead_unit_vi),
        ("lead_unit_en", &model.lead_unit_en),
        ("tools_vi", &model.tools_vi),
        ("tools_en", &model.tools_en),
    ] {
        edit.push((k.into(), v.clone()));
    }
    edit.push(("active".into(), "1".into()));
    for k in programs::catalogue::model_kpis(&w.db, Some("24")).await.unwrap() {
        let name_vi = if k.id == "24.4" {
            "Tỷ lệ công dân được kích hoạt tài khoản định danh điện tử mức 2".to_string()
        } else {
            k.name_vi.clone()
        };
        edit.push((format!("kpi_name_vi.{}", k.id), name_vi));
        edit.push((format!("kpi_name_en.{}", k.id), k.name_en.clone()));
        edit.push((format!("kpi_target.{}", k.id), k.target_text.clone()));
        if k.active {
            edit.push((format!("kpi_active.{}", k.id), "1".into()));
        }
    }
    assert_eq!(edit_model(&w, &focal, &edit, &mv, "Sửa tên").await.status(), 403);
    let r = edit_model(&w, &admin, &edit, &mv, "").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Cần nêu lý do sửa đổi"));
    let stale = (model.version - 1).to_string();
    let r = edit_model(&w, &admin, &edit, &stale, "Sửa tên").await;
    assert_eq!(r.status(), 400, "stale version");
    assert_eq!(programs::catalogue::get_model(&w.db, "24").await.unwrap().version, model.version);
    let r = edit_model(&w, &admin, &edit, &mv, "Thống nhất cách gọi theo Nghị định 69/2024").await;
    assert_eq!(r.status(), 303);
    assert_eq!(programs::catalogue::get_model(&w.db, "24").await.unwrap().version, model.version + 1);
    let (_, html) = admin.get(&w, "/programs/models/24/edit").await;
    assert!(html.contains("Thống nhất cách gọi theo Nghị định 69/2024") && html.contains("24.4.name_vi"), "{html}");
    let (_, page) = admin.get(&w, "/programs/models/24").await;
    assert!(page.contains("Tỷ lệ công dân được kích hoạt tài khoản định danh điện tử mức 2"));
}

db::dual_tests!(crate::common::migrations(); forms_over_http);
