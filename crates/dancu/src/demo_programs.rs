//! Project 06 tracking in the demo: the demo unit (the focal point's commune) registers models 9,
//! 24 and 1 with targets and a plan, a third of the commune's card-holding adults get a level-2
//! e-ID, and this month's computed KPIs are stored, so the working group's dashboard and the
//! unit's page show real values from the generated province (lodging figures come from the
//! lodging demo's facilities and guests).

use chrono::{Datelike, Duration};
use programs::registrations::{self, NewRegistration, NewStep, RegRole, Target};

/// Login of the demo unit focal point (created with the other demo accounts).
pub const FOCAL_LOGIN: &str = "donvi.daumoi";

/// The focal point's unit: the commune unit of the demo commune.
pub fn unit_of(commune: &str) -> String {
    programs::units::commune_unit_id(commune)
}

/// Registers the demo models once and refreshes this month's KPI values.
pub async fn seed(db: &db::Db, province: &str) -> anyhow::Result<()> {
    let Some((focal, _, _)) = identity::find_by_login(db, FOCAL_LOGIN).await? else {
        return Ok(());
    };
    let Some(unit) = programs::units::of_account(db, &focal.id).await? else {
        return Ok(());
    };
    if registrations::list(db, Some(&unit.id), None).await?.is_empty() {
        let today = kernel::clock::today_vn();
        let by = today + Duration::days(365);
        let t = |kpi: &str, v: f64| Target { kpi_id: kpi.into(), target_value: v, deadline: by };
        let plan = || {
            vec![
                NewStep {
                    title: "Bước 1: Xây dựng kế hoạch, phân công nhiệm vụ".into(),
                    due_date: today + Duration::days(15),
                },
                NewStep {
                    title: "Bước 2: Tuyên truyền, hướng dẫn người dân".into(),
                    due_date: today + Duration::days(60),
                },
                NewStep {
                    title: "Bước 3: Triển khai, đánh giá kết quả".into(), due_date: today + Duration::days(180)
                },
            ]
        };
        let models = [
            ("9", vec![t("9.lodging_active_share", 100.0), t("9.1", 100.0)]),
            (
                "24",
                vec![
                    t("24.adults_valid_card_share", 98.0),
                    t("24.cards_expired_share", 2.0),
                    t("24.eid_level2_share", 70.0),
                    t("24.3", 70.0),
                ],
            ),
            ("1", vec![t("1.online_applications_share", 50.0), t("1.2", 100.0)]),
        ];
        for (model, targets) in models {
            let new = NewRegistration {
                model_id: model.into(),
                role: RegRole::Lead,
                note: String::new(),
                targets,
                steps: plan(),
            };
            registrations::register(
                db,
                &unit.id,
                &focal.to_actor(Vec::new()).actor_label(),
                &new,
                kernel::clock::now_ms(),
            )
            .await?;
        }
        if let Some(commune) = &unit.commune_code {
            let n = level2_citizens(db, commune).await?;
            println!("Định danh điện tử mức 2 mẫu / sample level-2 e-IDs: {n}");
        }
    }
    let rows = programs::kpi::refresh(db, province, kernel::clock::now_ms()).await?;
    println!("Đề án 06: {} đăng ký mô hình 9, 24, 1; {rows} giá trị chỉ tiêu tháng này / KPI values", unit.name);
    Ok(())
}

/// Gives every third living adult of the commune who holds a valid card, and has no account yet, a
/// level-2 e-ID account, raised the way a commune police officer does after checking the card.
/// Nobody knows these accounts' password (one random password, hashed once and discarded): they
/// exist for the figures; the demo citizens printed at start-up are the ones to sign in with.
async fn level2_citizens(db: &db::Db, commune: &str) -> anyhow::Result<usize> {
    let today = kernel::clock::today_vn();
    // Fourteen today: born on this day fourteen years ago or before.
    let cutoff = today.with_year(today.year() - 14).unwrap_or(today);
    let adults = registry::sample::Criteria {
        living: true,
        commune: Some(commune),
        born_before: cutoff.succ_opt(),
        valid_card: true,
        ..Default::default()
    };
    let rows = crate::accounts_cmd::residents_without_account(db, adults, usize::MAX).await?;
    let hash = identity::PasswordHasher::default().hash(&crate::accounts_cmd::random_password()).await?;
    let officer = identity::levels::LevelActor { id: None, label: "Công an xã (dữ liệu mẫu)".into() };
    let mut n = 0;
    for r in rows.iter().step_by(3) {
        let person_id = r.personal_id.clone();
        let pending = identity::registration::PendingRegistration {
            phone: format!("09{}", &person_id[person_id.len() - 8..]),
            person_id: person_id.clone(),
            full_name: r.full_name.clone(),
            password_hash: hash.clone(),
        };
        let account = identity::registration::complete(db, &pending, kernel::clock::now_ms()).await?;
        let method = identity::levels::LevelMethod::InPersonCard;
        identity::levels::raise_to_level2(db, &account.id, method, &person_id, &officer, kernel::clock::now_ms())
            .await?;
        n += 1;
    }
    Ok(n)
}
