//! Online public services in the demo: the catalogue is loaded with the migrations; here a year of
//! past applications gives the dashboards and the programme KPIs (online share, fees paid online)
//! real figures, once.

/// Login of the demo commune's one-stop desk officer (created with the other demo accounts).
pub const DESK_LOGIN: &str = "motcua.xa";

/// Past applications in the demo province.
const HISTORY: usize = 3_000;

/// Generates the past applications unless the demo already has some.
pub async fn seed(db: &db::Db, province: &str) -> anyhow::Result<()> {
    if services::synthetic::has_applications(db).await? {
        return Ok(());
    }
    let g = services::synthetic::history(db, province, HISTORY, 0.12, 6, &|_| {}, kernel::clock::now_ms()).await?;
    println!("Dịch vụ công / public services: {} hồ sơ 12 tháng qua (dữ liệu mẫu) / past applications", g.applications);
    Ok(())
}

/// Login of the demo's traffic police officer, who records fine decisions.
pub const TRAFFIC_LOGIN: &str = "csgt";

/// A traffic-fine decision naming each demo citizen, recorded as by the demo's traffic police
/// officer, so that paying a fine online can be shown: the citizen applies for
/// `traffic_fine_payment` with the decision number, and pays its amount. Recorded once.
pub async fn fines(db: &db::Db, province: &str, accounts: &[crate::demo::DemoAccount]) -> anyhow::Result<()> {
    let officer = kernel::Actor {
        account_id: "demo".into(),
        login: TRAFFIC_LOGIN.into(),
        display_name: "Cảnh sát giao thông (dữ liệu mẫu)".into(),
        role: kernel::Role::TrafficPolice,
        jurisdiction: kernel::Jurisdiction::Province(province.to_string()),
        organization_id: None,
        eid_level: 0,
        amr: Vec::new(),
        scopes: None,
    };
    let now = kernel::clock::now_ms();
    let day = (kernel::clock::today_vn() - chrono::Duration::days(3)).format("%Y-%m-%d").to_string();
    let citizens = accounts.iter().filter_map(|a| a.person_id.as_deref().filter(|_| a.role == "citizen"));
    for (i, person) in citizens.enumerate() {
        let number = format!("{}/QĐ-XPHC", 1001 + i);
        if !services::fines::of_person_all(db, person).await?.is_empty() {
            continue;
        }
        let d = services::fines::NewDecision {
            number: number.clone(),
            decision_date: day.clone(),
            legal_basis: "Điểm a khoản 5 Điều 7 Nghị định 168/2024/NĐ-CP".into(),
            violation: "Không chấp hành hiệu lệnh của đèn tín hiệu giao thông (phát hiện qua hình ảnh)".into(),
            plate: format!("22B1-{:03}.{:02}", 100 + i, 10 + i),
            amount_vnd: 800_000,
            personal_id: person.to_string(),
        };
        match services::fines::issue(db, &officer, &d, now).await {
            Ok(_) => println!(
                "Dịch vụ công / public services: quyết định xử phạt {number} (dữ liệu mẫu) / demo fine decision"
            ),
            // The number was given to another resident by an earlier run: the demo has its fine.
            Err(e) if e.code == kernel::ErrorCode::Conflict => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
