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
