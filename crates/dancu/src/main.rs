//! `dancu`: one binary for the server and its tools.

#![allow(
    clippy::disallowed_methods,
    reason = "the binary is the edge: it reads the clock and hands it to the library crates"
)]

use clap::Parser;
use dancu::cli::{Cli, Command, ConfigCommand, QualityCommand};
use dancu::config::{Settings, Sources, DATA_DIR};

/// mimalloc instead of the system allocator: request handling allocates many small, short-lived
/// objects on every core, and glibc's malloc spent a tenth of the server's CPU time in profiles of
/// the verification and check-in benchmarks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The server and the demo log as their settings say, once they are read.
    if !matches!(cli.command, Command::Serve { .. } | Command::Demo { .. }) {
        tools_logging()?;
    }
    match cli.command {
        Command::Serve { place, listen, print_config, migrate } => {
            let s = place.settings_with(listen, DATA_DIR, false)?;
            if print_config {
                print!("{}", s.printable()?);
                return Ok(());
            }
            let telemetry = dancu::telemetry::init(&s.log, &s.telemetry)?;
            std::fs::create_dir_all(&s.data_dir)?;
            let db = dancu::startup::open_for_serving(&s.database_url, migrate).await?;
            let running = dancu::server::start(db, &s).await?;
            analytics::spawn_consumer(running.ctx.db.clone(), std::time::Duration::from_secs(2), kernel::clock::now_ms);
            dancu::lodging_figures::spawn(
                running.ctx.db.clone(),
                std::time::Duration::from_secs(2),
                std::time::Duration::from_secs(60),
            );
            println!("dancu listening on http://{}", running.addr);
            let stopped = running.wait().await;
            telemetry.shutdown().await;
            stopped
        }
        Command::Demo { place, province, listen, tls_self_signed, no_serve } => {
            let s = place.settings_with(listen, dancu::demo::DATA_DIR, true)?;
            let telemetry = dancu::telemetry::init(&s.log, &s.telemetry)?;
            let transport =
                if tls_self_signed { dancu::server::Transport::SelfSigned } else { dancu::server::Transport::Plain };
            let stopped = dancu::demo::run(s, province, no_serve, transport).await;
            telemetry.shutdown().await;
            stopped
        }
        Command::Config { command: ConfigCommand::Check { file } } => {
            dancu::config::check_file(&file)?;
            println!("{}: ok", file.display());
            Ok(())
        }

        Command::Migrate { place } => {
            let s = place.settings(DATA_DIR)?;
            std::fs::create_dir_all(&s.data_dir)?;
            let db = db::Db::connect(&s.database_url).await?;
            let n = dancu::migrations().run(&db, kernel::clock::now_ms()).await?;
            registry::admin_units::ensure_loaded(&db).await?;
            println!("{n} migration(s) applied");
            Ok(())
        }
        Command::Backup { place, dir, verify } => {
            if verify {
                println!("{}", dancu::backup_cmd::verify(&dir)?);
                return Ok(());
            }
            let s = place.settings(DATA_DIR)?;
            finish(dancu::backup_cmd::backup(&s.database_url, &dir, kernel::clock::now_ms())?)
        }
        Command::Retention { place, verify } => {
            let s = place.settings(DATA_DIR)?;
            let dir = s.retention.archive_dir.clone().unwrap_or_else(|| s.data_dir.join("archive"));
            if verify {
                let problems = dancu::retention::verify_manifest(&dir)?;
                if problems.is_empty() {
                    println!("Kho lưu trữ nguyên vẹn / archive intact: {}", dir.display());
                    return Ok(());
                }
                anyhow::bail!("archive {}:\n{}", dir.display(), problems.join("\n"));
            }
            let db = dancu::open_db(&s.database_url).await?;
            for a in dancu::retention::run(&db, &s.retention, &dir, kernel::clock::now_ms()).await? {
                match &a.file {
                    Some(f) => {
                        println!("{}: {} rows archived to {} and deleted", a.table, a.rows, dir.join(f).display())
                    }
                    None => println!("{}: nothing past its period", a.table),
                }
            }
            Ok(())
        }
        Command::Restore { place, dir, force } => {
            let s = place.settings(DATA_DIR)?;
            finish(dancu::backup_cmd::restore(&s.database_url, &dir, force)?)
        }
        Command::Generate { place, province, clean, truth } => {
            let s = place.settings(DATA_DIR)?;
            std::fs::create_dir_all(&s.data_dir)?;
            let db = dancu::open_db(&s.database_url).await?;
            let stats = dancu::generate_cmd::generate(&db, &province, clean, truth.as_deref()).await?;
            println!("{stats}");
            Ok(())
        }
        Command::Import { place, dir } => {
            let s = place.settings(DATA_DIR)?;
            std::fs::create_dir_all(&s.data_dir)?;
            let db = dancu::open_db(&s.database_url).await?;
            let n = dancu::io_cmd::import(&db, &dir).await?;
            println!("{n} rows imported");
            Ok(())
        }
        Command::Export { place, dir } => {
            let s = place.settings(DATA_DIR)?;
            let db = dancu::open_db(&s.database_url).await?;
            let n = dancu::io_cmd::export(&db, &dir).await?;
            println!("{n} rows exported to {}", dir.display());
            Ok(())
        }
        Command::Quality { command: QualityCommand::Report { place, commune, json } } => {
            let s = place.settings(DATA_DIR)?;
            let db = dancu::open_db(&s.database_url).await?;
            dancu::io_cmd::quality_report(&db, commune.as_deref(), json).await
        }
        Command::Accounts { command } => dancu::accounts_cmd::run(command, DATA_DIR).await,
        Command::Clients { command } => dancu::clients_cmd::run(command, DATA_DIR).await,
        Command::Keys { command } => dancu::keys_cmd::run(command, DATA_DIR).await,
        Command::Log { command } => dancu::log_cmd::run(command, DATA_DIR).await,
        Command::Analytics { command } => dancu::analytics_cmd::run(command).await,
        Command::Lodging { command } => dancu::lodging_cmd::run(command, DATA_DIR).await,
        Command::Programs { command } => dancu::programs_cmd::run(command).await,
        Command::Bench { command } => dancu::bench::run(command).await,
    }
}

/// Prints what `backup` or `restore` did; on PostgreSQL, the commands to run instead, with exit
/// status [`dancu::backup_cmd::NOT_ON_POSTGRES`] since nothing was done.
fn finish(outcome: dancu::backup_cmd::Outcome) -> anyhow::Result<()> {
    match outcome {
        dancu::backup_cmd::Outcome::Done(summary) => {
            println!("{summary}");
            Ok(())
        }
        dancu::backup_cmd::Outcome::Postgres(commands) => {
            print!("{commands}");
            std::process::exit(dancu::backup_cmd::NOT_ON_POSTGRES)
        }
    }
}

/// The tools log as `DANCU_LOG` and `DANCU_LOG_FORMAT` say: their configuration file is read
/// later, by each tool. An invalid environment is reported by the tool itself.
fn tools_logging() -> anyhow::Result<()> {
    let sources =
        Sources { file: None, env: &dancu::config::process_env, flags: Vec::new(), default_data_dir: DATA_DIR };
    let log = Settings::load(&sources, false).map(|s| s.log).unwrap_or_default();
    // Tools export nothing: there are no exporters to stop.
    dancu::telemetry::init(&log, &Default::default()).map(drop)
}
