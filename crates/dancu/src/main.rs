//! `dancu`: one binary for the server and its tools.

use clap::Parser;
use dancu::cli::{Cli, Command, QualityCommand};

/// mimalloc instead of the system allocator: request handling allocates many small, short-lived
/// objects on every core, and glibc's malloc spent a tenth of the server's CPU time in profiles of
/// the verification and check-in benchmarks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Default data directory of `serve` and the tools.
const DATA_DIR: &str = "./dancu-data";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DANCU_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { place, listen, print_config } => {
            let s = place.settings_with(listen, DATA_DIR)?;
            if print_config {
                println!("{}", toml::to_string(&dancu::config::redacted(&s))?);
                return Ok(());
            }
            std::fs::create_dir_all(&s.data_dir)?;
            let db = dancu::open_db(&s.database_url).await?;
            let running = dancu::server::start(db, &s.listen).await?;
            analytics::spawn_consumer(running.ctx.db.clone(), std::time::Duration::from_secs(2));
            dancu::lodging_figures::spawn(
                running.ctx.db.clone(),
                std::time::Duration::from_secs(2),
                std::time::Duration::from_secs(60),
            );
            println!("dancu listening on http://{}", running.addr);
            running.wait().await
        }
        Command::Demo { place, province, listen, no_serve } => {
            dancu::demo::run(place, province, listen, no_serve).await
        }
        Command::Migrate { place } => {
            let s = place.settings(DATA_DIR)?;
            std::fs::create_dir_all(&s.data_dir)?;
            let db = db::Db::connect(&s.database_url).await?;
            let n = dancu::migrations().run(&db).await?;
            registry::admin_units::ensure_loaded(&db).await?;
            println!("{n} migration(s) applied");
            Ok(())
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
        Command::Analytics { command } => dancu::analytics_cmd::run(command).await,
        Command::Lodging { command } => dancu::lodging_cmd::run(command, DATA_DIR).await,
        Command::Programs { command } => dancu::programs_cmd::run(command).await,
        Command::Bench { command } => dancu::bench::run(command).await,
    }
}
