//! Command-line interface.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{Settings, Sources};

#[derive(Parser)]
#[command(name = "dancu", version, about = "Đề án 06 platform for a province: population registry, e-ID, services.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where the server and tools find their settings and data. The environment variables of these
/// settings (`DANCU_DATABASE_URL`, `DANCU_DATA_DIR`, …) are read by [`crate::config`].
#[derive(Args, Clone, Debug)]
pub struct Place {
    /// TOML configuration file (docs/CONFIGURATION.md).
    #[arg(long, env = "DANCU_CONFIG")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Data directory (SQLite file, demo accounts, exports).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

#[derive(Args, Clone, Debug)]
pub struct ProvinceArgs {
    /// 2025 province code (08 = Tuyên Quang).
    #[arg(long, default_value = "08")]
    pub province: String,
    /// Number of residents to generate.
    #[arg(long, default_value_t = 200_000)]
    pub people: usize,
    /// Random seed (same seed, same province).
    #[arg(long, default_value_t = 6)]
    pub seed: u64,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server.
    Serve {
        #[command(flatten)]
        place: Place,
        /// Address to listen on.
        #[arg(long)]
        listen: Option<String>,
        /// Print the effective settings (secrets masked) and exit.
        #[arg(long)]
        print_config: bool,
        /// Apply pending migrations first, as `dancu migrate` does. Without it the server refuses
        /// a database whose schema is missing, partial or newer than this binary.
        #[arg(long)]
        migrate: bool,
    },
    /// Create (or reuse) a synthetic province in ./dancu-demo, demo accounts, and serve it.
    Demo {
        #[command(flatten)]
        place: Place,
        #[command(flatten)]
        province: ProvinceArgs,
        /// Address to listen on (default 127.0.0.1:8080); every printed link follows it.
        #[arg(long)]
        listen: Option<String>,
        /// Serve HTTPS with a certificate made at start for the listen address, the machine's LAN
        /// address and host name (its SHA-256 fingerprint is printed): needed for a demo reached
        /// from other machines, e.g. with --listen 0.0.0.0:8443.
        #[arg(long)]
        tls_self_signed: bool,
        /// Prepare the data and accounts, then exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Configuration files.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Apply pending database migrations.
    Migrate {
        #[command(flatten)]
        place: Place,
    },
    /// Copy the database while the server runs: a consistent copy of both SQLite files with a
    /// manifest of checksums, migrations and row counts (on PostgreSQL: prints the pg_dump and
    /// pg_basebackup commands and exits with status 2). With --verify, check a backup instead.
    Backup {
        #[command(flatten)]
        place: Place,
        /// New or empty directory for the backup; with --verify, the backup to check.
        dir: PathBuf,
        /// Check the backup in DIR (checksums, integrity, migrations); non-zero exit with the list
        /// of problems if any.
        #[arg(long)]
        verify: bool,
    },
    /// Archive and delete access-log entries and verifications older than the legal period of
    /// their purpose, and security events older than a year ([retention] settings): JSON Lines
    /// files chained in MANIFEST.jsonl. With
    /// --verify, check the archive's chain and files instead.
    Retention {
        #[command(flatten)]
        place: Place,
        /// Check the archive (manifest chain, checksums, row counts); non-zero exit on a problem.
        #[arg(long)]
        verify: bool,
    },
    /// Put a backup made by `dancu backup` in place of the configured database, after checking it
    /// (the server stopped; on PostgreSQL: prints the pg_restore commands and exits with status 2).
    Restore {
        #[command(flatten)]
        place: Place,
        /// The backup directory.
        dir: PathBuf,
        /// Replace the existing database files.
        #[arg(long)]
        force: bool,
    },
    /// Generate a synthetic province into the database.
    Generate {
        #[command(flatten)]
        place: Place,
        #[command(flatten)]
        province: ProvinceArgs,
        /// Inject no data-quality defects.
        #[arg(long)]
        clean: bool,
        /// Write the injected defects (ground truth) to this JSON Lines file.
        #[arg(long)]
        truth: Option<PathBuf>,
    },
    /// Import residents from CSV files written by `dancu export`.
    Import {
        #[command(flatten)]
        place: Place,
        /// Directory holding households.csv, persons.csv, residences.csv, cards.csv.
        dir: PathBuf,
    },
    /// Export the registry as CSV files.
    Export {
        #[command(flatten)]
        place: Place,
        /// Output directory.
        dir: PathBuf,
    },
    /// Data quality ("đúng, đủ, sạch, sống").
    Quality {
        #[command(subcommand)]
        command: QualityCommand,
    },
    /// Accounts and API tokens.
    Accounts {
        #[command(subcommand)]
        command: crate::accounts_cmd::AccountsCommand,
    },
    /// OpenID Connect / OAuth clients (add, list, disable, rotate-secret).
    Clients {
        #[command(subcommand)]
        command: crate::clients_cmd::ClientsCommand,
    },
    /// Signing keys of tokens and receipts (list, rotate).
    Keys {
        #[command(subcommand)]
        command: crate::keys_cmd::KeysCommand,
    },
    /// The transparency log of the data exchange (verify).
    Log {
        #[command(subcommand)]
        command: crate::log_cmd::LogCommand,
    },
    /// IOC dashboard figures: full rebuild, catch-up, benchmark.
    Analytics {
        #[command(subcommand)]
        command: crate::analytics_cmd::AnalyticsCommand,
    },
    /// Lodging and venue maintenance (purge of raw venue scans).
    Lodging {
        #[command(subcommand)]
        command: crate::lodging_cmd::LodgingCommand,
    },
    /// Project 06 tracking: catalogue and units, monthly KPI snapshot.
    Programs {
        #[command(subcommand)]
        command: crate::programs_cmd::ProgramsCommand,
    },
    /// Benchmarks (results go to docs/PERFORMANCE.md).
    Bench {
        #[command(subcommand)]
        command: crate::bench::BenchCommand,
    },
}

#[derive(Subcommand)]
pub enum QualityCommand {
    /// Run every rule and print counts per rule and commune.
    Report {
        #[command(flatten)]
        place: Place,
        /// Only this commune.
        #[arg(long)]
        commune: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Validate a configuration file alone (no environment); prints every problem and fails if
    /// there is one.
    Check {
        /// The TOML file.
        file: PathBuf,
    },
}

impl Place {
    /// Settings for tools that do not listen.
    pub fn settings(&self, default_data_dir: &str) -> anyhow::Result<Settings> {
        self.settings_with(None, default_data_dir, false)
    }

    /// The settings from the file, the process environment and these flags. `demo`: plain
    /// `http://` public addresses are accepted on any host.
    pub fn settings_with(
        &self,
        listen: Option<String>,
        default_data_dir: &str,
        demo: bool,
    ) -> anyhow::Result<Settings> {
        let mut flags = Vec::new();
        if let Some(url) = &self.database_url {
            flags.push(("database_url", url.clone()));
        }
        if let Some(dir) = &self.data_dir {
            flags.push(("data_dir", dir.display().to_string()));
        }
        if let Some(listen) = listen {
            flags.push(("listen", listen));
        }
        let sources =
            Sources { file: self.config.as_deref(), env: &crate::config::process_env, flags, default_data_dir };
        Settings::load(&sources, demo)
    }
}
