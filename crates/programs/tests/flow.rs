//! The programme end to end on both backends: catalogue and units, registrations of models 9, 24
//! and 1 with targets, computed KPIs from a generated province checked against direct counts,
//! manual values with evidence, a monthly report submitted and approved, and the consolidated
//! XLSX and PDF read back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::disallowed_methods)]

use chrono::{Datelike, Duration};
use db::sqlx::{self, Row};
use db::Db;
use kernel::ErrorCode;
use programs::calendar::{Frequency, Period};
use programs::kpi::{self, Reading, Scope};
use programs::registrations::{self, NewRegistration, NewStep, RegRole, RegStatus, Target};
use programs::reports::{self, ReportEdit, ReportStatus};
use programs::units;
use registry::generate::{GenerateOptions, Generator};

fn migrations() -> db::MigrationSet {
    db::MigrationSet::new()
        .with(audit::MIGRATIONS)
        .with(registry::MIGRATIONS)
        .with(identity::MIGRATIONS)
        .with(lodging::MIGRATIONS)
        .with(services::MIGRATIONS)
        .with(programs::MIGRATIONS)
}

/// A generated province 08 of `people` residents with a data-quality run.
async fn province(db: &Db, people: usize) {
    registry::admin_units::ensure_loaded(db).await.unwrap();
    let mut g = Generator::new(GenerateOptions::new("08", people, 6, kernel::clock::today_vn())).unwrap();
    while let Some((batch, _)) = g.next_batch(10_000) {
        registry::load::write_batch(db, &batch, kernel::clock::now_ms()).await.unwrap();
    }
    registry::quality::run(db, kernel::clock::now_ms()).await.unwrap();
}

async fn busiest_commune(db: &Db) -> String {
    sqlx::query(
        "SELECT current_commune, COUNT(*) AS n FROM persons WHERE current_commune IS NOT NULL \
         GROUP BY current_commune ORDER BY n DESC, current_commune LIMIT 1",
    )
    .fetch_one(db.read())
    .await
    .unwrap()
    .get(0)
}

async fn count(db: &Db, sql: &str, commune: &str, day: &str) -> f64 {
    sqlx::query(sql).bind(commune).bind(day).fetch_one(db.read()).await.unwrap().get::<i64, _>(0) as f64
}

fn target(kpi: &str, value: f64) -> Target {
    Target { kpi_id: kpi.into(), target_value: value, deadline: kernel::clock::today_vn() + Duration::days(365) }
}

fn steps() -> Vec<NewStep> {
    let today = kernel::clock::today_vn();
    vec![
        NewStep {
            title: "Bước 1: Khảo sát, lựa chọn địa bàn".into(), due_date: today + Duration::days(30)
        },
        NewStep { title: "Bước 2: Triển khai thí điểm".into(), due_date: today + Duration::days(120) },
    ]
}

async fn done_when(db: Db) {
    province(&db, 2_000).await;
    let init = programs::init(&db, "08", kernel::clock::now_ms()).await.unwrap();
    assert_eq!(init.models_imported, 47);
    let communes = registry::admin_units::AdminUnits::get().communes_of("08").len();
    assert_eq!(init.units_added, 16 + communes);
    // Running again changes nothing; another province is refused.
    assert_eq!(
        programs::init(&db, "08", kernel::clock::now_ms()).await.unwrap(),
        programs::InitSummary { models_imported: 0, units_added: 0 }
    );
    assert_eq!(programs::init(&db, "01", kernel::clock::now_ms()).await.unwrap_err().code, ErrorCode::Conflict);

    let commune = busiest_commune(&db).await;
    let unit = units::get(&db, &units::commune_unit_id(&commune)).await.unwrap();
    let hasher = identity::PasswordHasher::new(2);
    let focal = units::create_focal(
        &db,
        &hasher,
        &unit.id,
        units::NewFocal {
            login: "daumoi.xa".into(),
            display_name: "Đầu mối xã".into(),
            password: "mat-khau-dai-du".into(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    assert_eq!(units::of_account(&db, &focal.id).await.unwrap().unwrap().id, unit.id);
    assert_eq!(
        units::add_member(&db, "so-y-te", &focal.id, kernel::clock::now_ms()).await.unwrap_err().code,
        ErrorCode::Conflict
    );

    // Register models 9, 24 and 1 with targets and a plan.
    let regs = [
        ("9", vec![target("9.lodging_active_share", 100.0), target("9.1", 100.0)]),
        (
            "24",
            vec![
                target("24.adults_valid_card_share", 95.0),
                target("24.cards_expired_share", 2.0),
                target("24.eid_level2_share", 70.0),
                target("24.3", 70.0),
            ],
        ),
        ("1", vec![target("1.online_applications_share", 50.0), target("1.2", 100.0)]),
    ];
    let mut ids = Vec::new();
    for (model, targets) in regs {
        let new = NewRegistration {
            model_id: model.into(),
            role: RegRole::Lead,
            note: String::new(),
            targets,
            steps: steps(),
        };
        let r = registrations::register(&db, &unit.id, "Đầu mối xã", &new, kernel::clock::now_ms()).await.unwrap();
        assert_eq!((r.status, r.steps.len()), (RegStatus::Pending, 2));
        ids.push(r.id);
    }
    // Bad registrations are refused and store nothing.
    let bad = |model: &str, kpi: &str, v: f64| NewRegistration {
        model_id: model.into(),
        role: RegRole::Coordinating,
        note: String::new(),
        targets: vec![target(kpi, v)],
        steps: vec![],
    };
    for (model, kpi, v, code) in [
        ("24", "24.3", 70.0, ErrorCode::Conflict),
        ("25", "24.3", 70.0, ErrorCode::InvalidInput),
        ("9", "9.1", 170.0, ErrorCode::InvalidInput),
        ("99", "99.1", 1.0, ErrorCode::NotFound),
    ] {
        let e = registrations::register(&db, &unit.id, "x", &bad(model, kpi, v), kernel::clock::now_ms())
            .await
            .unwrap_err();
        assert_eq!(e.code, code, "{model} {kpi}");
    }
    assert_eq!(registrations::list(&db, Some(&unit.id), None).await.unwrap().len(), 3);
    let not_registered = registrations::units_not_registered(&db).await.unwrap();
    assert_eq!(not_registered.len(), 16 + communes - 1);
    assert!(not_registered.iter().all(|u| u.id != unit.id));

    // The working group approves; a return needs a note; a decided registration is not decided twice.
    let r0 = registrations::get(&db, &ids[0]).await.unwrap();
    assert_eq!(
        registrations::decide(&db, &ids[0], false, " ", "TCT", r0.version, kernel::clock::now_ms())
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidInput
    );
    for id in &ids {
        let r = registrations::get(&db, id).await.unwrap();
        assert_eq!(
            registrations::decide(&db, id, true, "", "TCT", r.version, kernel::clock::now_ms()).await.unwrap().status,
            RegStatus::Approved
        );
    }
    assert_eq!(
        registrations::decide(&db, &ids[0], true, "", "TCT", 2, kernel::clock::now_ms()).await.unwrap_err().code,
        ErrorCode::Conflict
    );

    // Computed KPIs show the registry's real numbers for the commune and the province.
    let at = kernel::clock::now_ms();
    let today = kernel::clock::date_vn(at);
    let day = today.format("%Y-%m-%d").to_string();
    let current = kpi::current(&db, "08", at).await.unwrap();
    let scope = Scope::Commune(commune.clone());
    let expired = current.reading(kpi::formula("cards_expired_share").unwrap(), &scope);
    let cards = count(
        &db,
        "SELECT COUNT(*) FROM identity_cards c JOIN persons p ON p.personal_id = c.personal_id \
         WHERE p.current_commune = $1 AND p.status = 'living' AND c.status IN ('valid', 'expired') AND $2 <> ''",
        &commune,
        &day,
    )
    .await;
    let expired_n = count(
        &db,
        "SELECT COUNT(*) FROM identity_cards c JOIN persons p ON p.personal_id = c.personal_id \
         WHERE p.current_commune = $1 AND p.status = 'living' AND (c.status = 'expired' OR (c.status = 'valid' \
         AND c.expiry_date < $2))",
        &commune,
        &day,
    )
    .await;
    assert!(cards > 20.0, "the busiest commune has cards: {cards}");
    match &expired {
        Reading::Value { value: Some(v), numerator, denominator, .. } => {
            assert_eq!((*numerator, *denominator), (expired_n, cards));
            assert!((v - expired_n * 100.0 / cards).abs() < 1e-9);
        }
        other => panic!("expected a value, got {other:?}"),
    }
    let adults = current.reading(kpi::formula("adults_valid_card_share").unwrap(), &scope);
    let v = adults.value().expect("a value");
    assert!(v > 50.0 && v <= 100.0, "{v}");
    let quality = current.reading(kpi::formula("quality_pass_share").unwrap(), &Scope::Province("08".into()));
    let q = quality.value().expect("quality run exists");
    assert!(q > 50.0 && q < 100.0, "defects were injected, so not every record passes: {q}");
    // The venue module exists but no relic site scanned anyone: no data, not 0.
    assert_eq!(current.reading(kpi::formula("relic_site_checkins").unwrap(), &scope), Reading::NoData);
    // The services module exists but no application was filed: no data, not 0%.
    for code in ["online_applications_share", "online_payments_share"] {
        assert_eq!(current.reading(kpi::formula(code).unwrap(), &scope), Reading::NoData, "{code}");
    }
    // No approved lodging facility in the commune yet: "no data", never a made-up 0%.
    let lodging = current.reading(kpi::formula("lodging_active_share").unwrap(), &scope);
    assert_eq!(lodging, Reading::NoData);
    // Level-2 e-ID: the living residents aged 14+ of the commune, and the one with a level-2 account.
    let cutoff = today.with_year(today.year() - 14).unwrap().format("%Y-%m-%d").to_string();
    let adult_sql = "FROM persons WHERE current_commune = $1 AND status = 'living' AND length(birth_date) = 10 \
                     AND birth_date <= $2";
    let (adults_n, someone): (i64, String) = (
        sqlx::query(&format!("SELECT COUNT(*) {adult_sql}"))
            .bind(&commune)
            .bind(&cutoff)
            .fetch_one(db.read())
            .await
            .unwrap()
            .get(0),
        sqlx::query(&format!("SELECT personal_id {adult_sql} ORDER BY personal_id LIMIT 1"))
            .bind(&commune)
            .bind(&cutoff)
            .fetch_one(db.read())
            .await
            .unwrap()
            .get(0),
    );
    let eid = current.reading(kpi::formula("eid_level2_share").unwrap(), &scope);
    assert!(matches!(eid, Reading::Value { numerator: 0.0, .. }), "no e-ID accounts yet: {eid:?}");
    let account = identity::registration::complete(
        &db,
        &identity::registration::PendingRegistration {
            person_id: someone.clone(),
            full_name: "Công dân thử".into(),
            phone: "0912345678".into(),
            password_hash: "x".into(),
        },
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    let officer = identity::levels::LevelActor { id: None, label: "Công an xã".into() };
    identity::levels::raise_to_level2(
        &db,
        &account.id,
        identity::levels::LevelMethod::InPersonCard,
        &someone,
        &officer,
        kernel::clock::now_ms(),
    )
    .await
    .unwrap();
    kpi::refresh(&db, "08", at).await.unwrap();
    let eid = kpi::current(&db, "08", at).await.unwrap().reading(kpi::formula("eid_level2_share").unwrap(), &scope);
    match eid {
        Reading::Value { numerator, denominator, value: Some(v), .. } => {
            assert_eq!(numerator, 1.0);
            assert!(denominator >= adults_n as f64 && denominator > 1.0, "{denominator} vs {adults_n}");
            assert!((v - 100.0 / denominator).abs() < 1e-9);
        }
        other => panic!("expected a value, got {other:?}"),
    }

    // Monthly history: one row per month and scope; refreshing the same month replaces it.
    kpi::refresh(&db, "08", at).await.unwrap();
    kpi::refresh(&db, "08", at - Duration::days(40).num_milliseconds()).await.unwrap();
    let hist = kpi::history(&db, "cards_expired_share", &scope).await.unwrap();
    assert_eq!(hist.len(), 2);
    assert!(hist[0].month < hist[1].month);

    // Manual values need evidence.
    let no_evidence = programs::kpi::manual::NewValue {
        kpi_id: "24.3".into(),
        value: 65.0,
        evidence_url: None,
        attachment: None,
        comment: String::new(),
    };
    assert!(programs::kpi::manual::record(&db, &ids[1], "x", &no_evidence, kernel::clock::now_ms()).await.is_err());
    let computed = programs::kpi::manual::NewValue {
        kpi_id: "24.cards_expired_share".into(),
        evidence_url: Some("https://a.vn/x".into()),
        ..no_evidence.clone()
    };
    assert!(programs::kpi::manual::record(&db, &ids[1], "x", &computed, kernel::clock::now_ms()).await.is_err());
    assert!(programs::kpi::manual::latest(&db, &ids[1]).await.unwrap().is_empty());
    let with_file = programs::kpi::manual::NewValue {
        attachment: Some(programs::kpi::manual::NewAttachment {
            name: "bien-ban.pdf".into(),
            content_type: "application/pdf".into(),
            data_base64: "JVBERi0xLjQK".into(),
        }),
        comment: "Theo báo cáo của thôn".into(),
        ..no_evidence.clone()
    };
    let mv =
        programs::kpi::manual::record(&db, &ids[1], "Đầu mối xã", &with_file, kernel::clock::now_ms()).await.unwrap();
    let (name, ctype, bytes) = programs::kpi::manual::attachment(&db, &mv.id).await.unwrap();
    assert_eq!(
        (name.as_str(), ctype.as_str(), bytes.as_slice()),
        ("bien-ban.pdf", "application/pdf", b"%PDF-1.4\n".as_slice())
    );

    // The monthly report: pre-filled, edited, submitted, approved.
    let period = Period::containing(Frequency::Monthly, today);
    let draft =
        reports::create_draft(&db, &unit, Frequency::Monthly, &period.label, "Đầu mối xã", kernel::clock::now_ms())
            .await
            .unwrap();
    assert_eq!(draft.due_date, period.due_date(15));
    assert_eq!(
        reports::create_draft(&db, &unit, Frequency::Monthly, &period.label, "x", kernel::clock::now_ms())
            .await
            .unwrap_err()
            .code,
        ErrorCode::Conflict
    );
    assert_eq!(
        reports::create_draft(&db, &unit, Frequency::Weekly, "2025-W01", "x", kernel::clock::now_ms())
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidInput
    );
    let item = draft.items.iter().find(|i| i.kpi_id == "24.cards_expired_share").unwrap();
    assert!(item.computed && item.value == expired.value());
    assert_eq!(draft.items.iter().find(|i| i.kpi_id == "24.3").unwrap().value, Some(65.0));
    assert!(draft.items.iter().find(|i| i.kpi_id == "9.lodging_active_share").unwrap().value.is_none());
    assert_eq!(
        reports::submit(&db, &draft.id, &unit, draft.version, kernel::clock::now_ms()).await.unwrap_err().code,
        ErrorCode::InvalidInput
    );
    let edit = |version, kpi: &str, value| ReportEdit {
        version,
        summary: Some("Đã triển khai 3 mô hình trên địa bàn xã.".into()),
        difficulties: Some("Thiếu thiết bị quét mã.".into()),
        items: vec![reports::ItemEdit {
            registration_id: ids[1].clone(),
            kpi_id: kpi.into(),
            value: Some(value),
            note: None,
        }],
    };
    assert_eq!(
        reports::edit(&db, &draft.id, &edit(draft.version, "24.cards_expired_share", 1.0)).await.unwrap_err().code,
        ErrorCode::InvalidInput
    );
    let edited = reports::edit(&db, &draft.id, &edit(draft.version, "24.3", 66.0)).await.unwrap();
    assert_eq!(
        reports::edit(&db, &draft.id, &edit(draft.version, "24.3", 67.0)).await.unwrap_err().code,
        ErrorCode::Conflict
    );
    let submitted = reports::submit(&db, &draft.id, &unit, edited.version, kernel::clock::now_ms()).await.unwrap();
    assert_eq!(submitted.status, ReportStatus::Submitted);
    assert_eq!(
        reports::edit(&db, &draft.id, &edit(submitted.version, "24.3", 1.0)).await.unwrap_err().code,
        ErrorCode::Conflict
    );
    let approved =
        reports::decide(&db, &draft.id, true, "Đạt yêu cầu", "TCT", submitted.version, kernel::clock::now_ms())
            .await
            .unwrap();
    assert_eq!(approved.status, ReportStatus::Approved);

    // The consolidated report, exported and read back.
    let c = reports::consolidated::build(&db, Frequency::Monthly, &period.label, at).await.unwrap();
    assert_eq!(c.units.len(), 1);
    assert_eq!(
        (c.units[0].rank, c.units[0].report_status, c.units[0].on_time),
        (1, Some(ReportStatus::Approved), Some(true))
    );
    let xlsx = reports::xlsx::write(&c).unwrap();
    let cells = read_xlsx(&xlsx);
    for want in [
        "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        unit.name.as_str(),
        "Đã duyệt",
        "chưa có dữ liệu",
        &format!("ngày {:02} tháng {:02} năm {}", today.day(), today.month(), today.year()),
        &programs::catalogue::KpiUnit::Percent.format(expired.value().unwrap()),
    ] {
        assert!(cells.iter().any(|c| c.contains(want)), "XLSX lacks {want:?}");
    }
    let pdf = reports::pdf::write(&c).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    // Line breaks inside table cells vanish in extraction, so compare without white space.
    let flat: String = text.split_whitespace().collect();
    for want in [
        "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "TỔ CÔNG TÁC TRIỂN KHAI ĐỀ ÁN 06",
        unit.name.as_str(),
        "chưa có dữ liệu",
    ] {
        let want: String = want.split_whitespace().collect();
        assert!(flat.contains(&want), "PDF text lacks {want:?}: {flat}");
    }
}

/// Every non-empty cell of every sheet.
fn read_xlsx(bytes: &[u8]) -> Vec<String> {
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        out.extend(range.rows().flatten().map(|c| c.to_string()).filter(|s| !s.is_empty()));
    }
    out
}

async fn catalogue_edits_are_versioned(db: Db) {
    registry::admin_units::ensure_loaded(&db).await.unwrap();
    programs::init(&db, "08", kernel::clock::now_ms()).await.unwrap();
    let m = programs::catalogue::get_model(&db, "24").await.unwrap();
    assert_eq!(m.version, 1);
    let edit = programs::catalogue::ModelEdit {
        version: 1,
        note: "Bổ sung chỉ tiêu".into(),
        name_en: Some("Digital citizen conditions".into()),
        kpis: vec![
            programs::catalogue::KpiEdit {
                id: Some("24.3".into()),
                name_vi: Some("Tỷ lệ công dân cài đặt VNeID mức 1".into()),
                name_en: None,
                target_text: None,
                unit: None,
                direction: None,
                active: None,
            },
            programs::catalogue::KpiEdit {
                id: None,
                name_vi: Some("Số điểm hỗ trợ kích hoạt".into()),
                name_en: Some("Activation help desks".into()),
                target_text: Some("10".into()),
                unit: Some(programs::catalogue::KpiUnit::Count),
                direction: None,
                active: None,
            },
        ],
        ..Default::default()
    };
    let m2 = programs::catalogue::update_model(&db, "24", &edit, "admin", kernel::clock::now_ms()).await.unwrap();
    assert_eq!((m2.version, m2.name_en.as_str()), (2, "Digital citizen conditions"));
    let kpis = programs::catalogue::model_kpis(&db, Some("24")).await.unwrap();
    assert_eq!(kpis.iter().find(|k| k.id == "24.3").unwrap().name_vi, "Tỷ lệ công dân cài đặt VNeID mức 1");
    assert!(kpis.iter().any(|k| k.name_en == "Activation help desks" && k.formula.is_none()));
    // A stale version or an empty note changes nothing.
    assert_eq!(
        programs::catalogue::update_model(&db, "24", &edit, "admin", kernel::clock::now_ms()).await.unwrap_err().code,
        ErrorCode::Conflict
    );
    let no_note = programs::catalogue::ModelEdit { version: 2, note: " ".into(), ..Default::default() };
    assert_eq!(
        programs::catalogue::update_model(&db, "24", &no_note, "admin", kernel::clock::now_ms())
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidInput
    );
    let versions = programs::catalogue::versions(&db, "24").await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(versions[1].data["model"]["name_en"], m.name_en.as_str());
    assert_eq!(versions[0].data["model"]["name_en"], "Digital citizen conditions");
    assert_eq!(programs::catalogue::get_model(&db, "24").await.unwrap().version, 2);
}

db::dual_tests!(crate::migrations(); done_when, catalogue_edits_are_versioned);
