//! `dancu programs`: set up Project 06 tracking (catalogue and units) and store the monthly
//! snapshot of the computed KPIs (run it from a scheduler, e.g. daily).

use clap::Subcommand;

use crate::cli::Place;
use crate::config::DATA_DIR;

#[derive(Subcommand)]
pub enum ProgramsCommand {
    /// Import the pilot-model catalogue and create the province's units (safe to run again).
    Init {
        #[command(flatten)]
        place: Place,
        /// 2025 province code; defaults to the generated province.
        #[arg(long)]
        province: Option<String>,
    },
    /// Compute every KPI that has a data source and store this month's values.
    Snapshot {
        #[command(flatten)]
        place: Place,
    },
}

pub async fn run(cmd: ProgramsCommand) -> anyhow::Result<()> {
    match cmd {
        ProgramsCommand::Init { place, province } => {
            let db = crate::open_db(&place.settings(DATA_DIR)?.database_url).await?;
            let province = match province {
                Some(p) => p,
                None => registry::meta::get(&db, "generated.province")
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("no generated province: pass --province CODE"))?,
            };
            let s = programs::init(&db, &province, kernel::clock::now_ms()).await?;
            println!("{} models imported, {} units added (province {province})", s.models_imported, s.units_added);
            Ok(())
        }
        ProgramsCommand::Snapshot { place } => {
            let db = crate::open_db(&place.settings(DATA_DIR)?.database_url).await?;
            let province = programs::settings::require_province(&db).await?;
            let now = kernel::clock::now_ms();
            let today = kernel::clock::date_vn(now);
            let rows = programs::kpi::refresh(&db, &province, now).await?;
            println!("{rows} KPI values stored for {}", today.format("%m/%Y"));
            Ok(())
        }
    }
}
