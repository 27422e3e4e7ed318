//! `dancu analytics`: full recompute of the dashboard figures, catching up with the change feed,
//! and the benchmark recorded in docs/PERFORMANCE.md.

use std::time::Instant;

use clap::Subcommand;
use kernel::{Actor, Jurisdiction, Lang, Role};
use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::cli::Place;
use crate::config::DATA_DIR;

#[derive(Subcommand)]
pub enum AnalyticsCommand {
    /// Recompute every figure from the registry (same result as the incremental updates), replay
    /// the lodging events and recount e-ID accounts and beds.
    Rebuild {
        #[command(flatten)]
        place: Place,
    },
    /// Apply the registry changes and lodging events not yet counted and recount e-ID accounts and
    /// beds (the server does this every few seconds).
    Update {
        #[command(flatten)]
        place: Place,
    },
    /// Time a rebuild, N changes applied incrementally, and every dashboard page.
    Bench {
        #[command(flatten)]
        place: Place,
        /// Registry changes (corrections, deaths, moves) to make and then apply incrementally;
        /// 0 skips that part. They are real changes: use a scratch database.
        #[arg(long, default_value_t = 0)]
        changes: usize,
        /// Renders per dashboard page.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Skip the rebuild (figures already built).
        #[arg(long)]
        no_rebuild: bool,
    },
}

pub async fn run(cmd: AnalyticsCommand) -> anyhow::Result<()> {
    match cmd {
        AnalyticsCommand::Rebuild { place } => {
            let db = open(&place).await?;
            let s = rebuild(&db).await?;
            print_steps(&s);
            println!("{} rows from the registry at event {:?} in {:.1} s", s.rows, s.position, s.seconds);
            let n = crate::lodging_figures::rebuild(&db).await?;
            println!("{n} lodging events replayed; e-ID accounts and beds recounted");
            Ok(())
        }
        AnalyticsCommand::Update { place } => {
            let db = open(&place).await?;
            let start = Instant::now();
            let opts = analytics::ConsumeOptions { settle_ms: 0, ..Default::default() };
            let n = analytics::catch_up(&db, opts, kernel::clock::now_ms()).await?;
            println!("{n} events applied in {:.2} s", start.elapsed().as_secs_f64());
            let n = crate::lodging_figures::catch_up(&db).await?;
            crate::lodging_figures::recount(&db).await?;
            println!("{n} new lodging events; e-ID accounts and beds recounted");
            Ok(())
        }
        AnalyticsCommand::Bench { place, changes, runs, no_rebuild } => {
            let db = open(&place).await?;
            bench(&db, changes, runs, no_rebuild).await
        }
    }
}

async fn open(place: &Place) -> anyhow::Result<db::Db> {
    let s = place.settings(DATA_DIR)?;
    crate::open_db(&s.database_url).await
}

/// A rebuild with a progress bar over its steps.
pub async fn rebuild(db: &db::Db) -> anyhow::Result<analytics::RebuildStats> {
    let steps = analytics::rebuild::STEPS;
    let pb = crate::progress::bar(steps.len() as u64, "steps");
    let stats = analytics::rebuild(
        db,
        |i| {
            pb.set_position(i as u64);
            if let Some(&step) = steps.get(i) {
                pb.set_message(step);
            }
        },
        kernel::clock::now_ms(),
    )
    .await;
    pb.finish_and_clear();
    Ok(stats?)
}

/// How long each part of a rebuild took.
fn print_steps(stats: &analytics::RebuildStats) {
    for (name, secs) in &stats.steps {
        println!("  {name:<34} {secs:>6.1} s");
    }
}

async fn bench(db: &db::Db, changes: usize, runs: usize, no_rebuild: bool) -> anyhow::Result<()> {
    println!("backend: {:?}, residents: {}", db.backend(), registry::meta::person_count(db).await?);
    if !no_rebuild {
        let s = rebuild(db).await?;
        print_steps(&s);
        println!("rebuild: {:.1} s ({} rows)", s.seconds, s.rows);
    }
    if changes > 0 {
        let made = make_changes(db, changes).await?;
        let start = Instant::now();
        let opts = analytics::ConsumeOptions { settle_ms: 0, ..Default::default() };
        let n = analytics::catch_up(db, opts, kernel::clock::now_ms()).await?;
        let secs = start.elapsed().as_secs_f64();
        println!("incremental: {n} events ({made} changes made) in {secs:.2} s = {:.0} events/s", n as f64 / secs);
    }
    let province = registry::meta::get(db, "generated.province").await?.unwrap_or_else(|| "08".into());
    let leader = web::CurrentUser {
        actor: Actor::new("bench", "bench", Role::Leader, Jurisdiction::Province(province)),
        csrf: None,
    };
    let service = analytics::Service { db: db.clone(), settings: analytics::Settings::default() };
    let filters = analytics::scope::Filters::default();
    for board in analytics::figures::Board::ALL {
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..runs.max(1) {
            let start = Instant::now();
            bytes =
                analytics::pages::render_dashboard(&service, &leader, board.slug(), &filters, Lang::Vi).await?.len();
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "page /analytics/{:<13} median {:>6.1} ms, max {:>6.1} ms ({} KiB)",
            board.slug(),
            times.get(times.len() / 2).copied().unwrap_or_default(),
            times.last().copied().unwrap_or_default(),
            bytes / 1024
        );
    }
    Ok(())
}

/// Corrections, deaths and moves of random living residents through the registry's own write
/// functions, so each one records its event as in production. Returns how many succeeded.
async fn make_changes(db: &db::Db, n: usize) -> anyhow::Result<usize> {
    use registry::sample::{self, Criteria};
    let criteria = Criteria { living: true, housed: true, limit: Some((n * 4) as i64), ..Default::default() };
    let mut residents = sample::residents(db, &criteria).await?;
    let communes = sample::inhabited_communes(db, 200).await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(6);
    residents.shuffle(&mut rng);
    let pb = crate::progress::bar(n as u64, "changes");
    pb.set_message("Changing records");
    let today = kernel::clock::today_vn();
    let mut made = 0;
    for (i, r) in residents.iter().enumerate() {
        if made >= n {
            break;
        }
        let pid = kernel::PersonalId::parse(&r.personal_id)?;
        let version = r.version;
        let j = Jurisdiction::Province(province_of(r.current_commune.as_deref().unwrap_or_default()));
        let ok = match i % 3 {
            0 => {
                let mut changes = serde_json::Map::new();
                changes
                    .insert("religion".into(), serde_json::Value::String(if i % 2 == 0 { "01" } else { "02" }.into()));
                registry::write::update_person(
                    db,
                    "bench",
                    &j,
                    &pid,
                    &changes,
                    "bench correction",
                    version,
                    kernel::clock::now_ms(),
                )
                .await
                .is_ok()
            }
            1 => registry::write::record_death(db, "bench", &j, &pid, today, "bench death", kernel::clock::now_ms())
                .await
                .is_ok(),
            _ => {
                let to = registry::moves::Move {
                    commune_code: crate::bench::cyclic(&communes, i).cloned().unwrap_or_default(),
                    address: "Thôn Bench".into(),
                    date: today,
                };
                registry::moves::record_move(db, "bench", &j, &pid, &to, "bench move", kernel::clock::now_ms())
                    .await
                    .is_ok()
            }
        };
        made += usize::from(ok);
        pb.set_position(made as u64);
    }
    pb.finish_and_clear();
    Ok(made)
}

fn province_of(commune: &str) -> String {
    registry::admin_units::AdminUnits::get().commune(commune).map(|c| c.province_code.clone()).unwrap_or_default()
}
