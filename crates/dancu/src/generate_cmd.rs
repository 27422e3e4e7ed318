//! `dancu generate`: a synthetic province streamed from the generator into the database.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use registry::generate::{DefectRates, GenerateOptions, Generator, InjectedDefect};
use registry::model::Batch;

use crate::cli::ProvinceArgs;

/// What a generation run produced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenerateStats {
    pub people: usize,
    pub households: usize,
    pub rows: usize,
    pub defects: usize,
    pub seconds: f64,
}

impl fmt::Display for GenerateStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} residents in {} households ({} rows, {} injected defects) loaded in {:.1} s ({:.0} residents/s)",
            self.people,
            self.households,
            self.rows,
            self.defects,
            self.seconds,
            self.people as f64 / self.seconds.max(1e-9)
        )
    }
}

/// Persons per batch: one transaction each. Larger batches insert in longer key-ordered runs
/// (1 M residents on SQLite: 121 s with 20,000, 86 s with 100,000, 75 s with 250,000 at 2.2 GB).
const BATCH_PEOPLE: usize = 100_000;

/// Generates from the command-line arguments.
pub async fn generate(
    db: &db::Db,
    args: &ProvinceArgs,
    clean: bool,
    truth: Option<&Path>,
) -> anyhow::Result<GenerateStats> {
    let mut opts = GenerateOptions::new(&args.province, args.people, args.seed, kernel::clock::today_vn());
    if clean {
        opts.defects = DefectRates::none();
    }
    generate_into(db, opts, truth, true).await
}

/// Streams generated batches into the database: generation runs on a blocking thread while the
/// previous batch is being written.
pub async fn generate_into(
    db: &db::Db,
    opts: GenerateOptions,
    truth: Option<&Path>,
    show_progress: bool,
) -> anyhow::Result<GenerateStats> {
    let existing = registry::meta::person_count(db).await?;
    if existing > 0 {
        anyhow::bail!("the registry already holds {existing} persons; generate into an empty database");
    }
    let people = opts.people;
    let meta = [
        ("generated.province", opts.province_code.clone()),
        ("generated.people", opts.people.to_string()),
        ("generated.seed", opts.seed.to_string()),
        ("generated.reference_date", opts.reference_date.to_string()),
    ];
    let mut generator = Generator::new(opts)?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Batch, Vec<InjectedDefect>)>(2);
    let producer = tokio::task::spawn_blocking(move || {
        while let Some(b) = generator.next_batch(BATCH_PEOPLE) {
            if tx.blocking_send(b).is_err() {
                break;
            }
        }
    });
    let pb = crate::progress::bar(people as u64, "residents");
    pb.set_message("Generating");
    if !show_progress {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut truth_file = truth.map(std::fs::File::create).transpose()?.map(std::io::BufWriter::new);
    let start = Instant::now();
    let mut stats = GenerateStats { people: 0, households: 0, rows: 0, defects: 0, seconds: 0.0 };
    let dropped = registry::load::drop_secondary_indexes(db).await?;
    let loaded = load_all(db, &mut rx, &mut stats, truth_file.as_mut(), &pb).await;
    // Indexes come back whether or not the load succeeded.
    pb.set_message("Indexing");
    registry::load::restore_indexes(db, dropped).await?;
    loaded?;
    producer.await?;
    pb.finish_and_clear();
    stats.seconds = start.elapsed().as_secs_f64();
    for (k, v) in meta {
        registry::meta::set(db, k, &v).await?;
    }
    Ok(stats)
}

async fn load_all(
    db: &db::Db,
    rx: &mut tokio::sync::mpsc::Receiver<(Batch, Vec<InjectedDefect>)>,
    stats: &mut GenerateStats,
    mut truth_file: Option<&mut std::io::BufWriter<std::fs::File>>,
    pb: &indicatif::ProgressBar,
) -> anyhow::Result<()> {
    while let Some((batch, defects)) = rx.recv().await {
        registry::load::write_batch(db, &batch, kernel::clock::now_ms()).await?;
        stats.people += batch.persons.len();
        stats.households += batch.households.len();
        stats.rows += batch.rows();
        stats.defects += defects.len();
        if let Some(f) = truth_file.as_deref_mut() {
            for d in &defects {
                writeln!(f, "{}", serde_json::to_string(d)?)?;
            }
        }
        pb.set_position(stats.people as u64);
    }
    Ok(())
}
