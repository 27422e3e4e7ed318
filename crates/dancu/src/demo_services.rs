//! Online public services in the demo: the catalogue is loaded with the migrations; here a year of
//! past applications gives the dashboards and the programme KPIs (online share, fees paid online)
//! real figures, once.

use db::sqlx::{self, Row};

/// Login of the demo commune's one-stop desk officer (created with the other demo accounts).
pub const DESK_LOGIN: &str = "motcua.xa";

/// Past applications in the demo province.
const HISTORY: usize = 3_000;

/// Generates the past applications unless the demo already has some.
pub async fn seed(db: &db::Db, province: &str) -> anyhow::Result<()> {
    let existing: i64 = sqlx::query("SELECT COUNT(*) FROM svc_applications").fetch_one(db.read()).await?.get(0);
    if existing > 0 {
        return Ok(());
    }
    let g = services::synthetic::history(db, province, HISTORY, 0.12, 6, &|_| {}).await?;
    println!("Dịch vụ công / public services: {} hồ sơ 12 tháng qua (dữ liệu mẫu) / past applications", g.applications);
    Ok(())
}
