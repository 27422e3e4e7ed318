//! `dancu bench`: measured numbers for docs/PERFORMANCE.md (never assertions in tests).

use std::time::{Duration, Instant};

use clap::Subcommand;

/// Item `i` of `items` taken round-robin, as benchmarks spread requests over their data (`None`
/// when there are no items).
pub(crate) fn cyclic<T>(items: &[T], i: usize) -> Option<&T> {
    items.get(i.checked_rem(items.len())?)
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Generate and load N residents into a fresh database; prints residents/s.
    Load {
        /// Database URL; default: a new SQLite file in a temporary directory.
        #[arg(long, env = "DANCU_BENCH_DATABASE_URL")]
        database_url: Option<String>,
        #[arg(long, default_value_t = 1_000_000)]
        people: usize,
        #[arg(long, default_value = "08")]
        province: String,
        #[arg(long, default_value_t = 6)]
        seed: u64,
    },
    /// Load N residents, start the server, and fire GET /api/v1/persons/{id} with a bearer token
    /// from C concurrent connections for D seconds; prints requests/s and latency percentiles.
    Http {
        #[arg(long, env = "DANCU_BENCH_DATABASE_URL")]
        database_url: Option<String>,
        #[arg(long, default_value_t = 1_000_000)]
        people: usize,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
    /// Single sign-on throughput: code exchanges, refresh grants and userinfo over HTTP, and
    /// password verifications per core.
    Oidc {
        #[arg(long, env = "DANCU_BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Authorization codes issued beforehand (one exchange each).
        #[arg(long, default_value_t = 40_000)]
        codes: usize,
        #[arg(long, default_value_t = 32)]
        connections: usize,
        /// Upper bound on each phase's duration.
        #[arg(long, default_value_t = 15)]
        seconds: u64,
        /// Also run the exchange phase with `wrk` in its own process, on a second set of codes,
        /// before the in-process phases.
        #[arg(long)]
        wrk: bool,
        /// Then run the same phases against panva's oidc-provider (Node.js, `bench/oidc-provider`)
        /// with the same arguments and print the ratio per phase.
        #[arg(long)]
        against_oidc_provider: bool,
        /// The `bench/oidc-provider` directory for `--against-oidc-provider`.
        #[arg(long, default_value = "bench/oidc-provider")]
        oidc_provider_dir: std::path::PathBuf,
    },
    /// Identity verification throughput: card QR, dynamic QR and chip data over HTTP, chip passive
    /// authentication in process (reuses the database; residents generated only into an empty one).
    Verify(crate::bench_verify::VerifyArgs),
    /// Lodging check-ins per second over HTTP (group commit), live-feed latency to a police
    /// client, and the cost of watchlist matching.
    Checkin(crate::bench_checkin::CheckinArgs),
    /// Online public services: form render with registry auto-fill, paced submissions, and
    /// paging an inbox of open applications.
    Services(crate::bench_services::ServicesArgs),
    /// Data exchange: signed request/response pairs per second through the gateway over HTTP,
    /// and the offline verification of a transparency log of millions of entries.
    Exchange(crate::bench_exchange::ExchangeArgs),
}

/// A database for a benchmark: the given URL (must be empty) or a temporary SQLite file.
async fn bench_db(url: Option<String>) -> anyhow::Result<(db::Db, Option<tempfile::TempDir>)> {
    match url {
        Some(u) => Ok((crate::open_db(&u).await?, None)),
        None => {
            let dir = tempfile::tempdir()?;
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            Ok((crate::open_db(&url).await?, Some(dir)))
        }
    }
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Load { database_url, people, province, seed } => {
            let (db, _dir) = bench_db(database_url).await?;
            let opts = registry::generate::GenerateOptions::new(&province, people, seed, kernel::clock::today_vn());
            let stats = crate::generate_cmd::generate_into(&db, opts, None, true).await?;
            println!("backend: {:?}", db.backend());
            println!("{stats}");
            Ok(())
        }
        BenchCommand::Http { database_url, people, connections, seconds } => {
            let (db, _dir) = bench_db(database_url).await?;
            let opts = registry::generate::GenerateOptions::new("08", people, 6, kernel::clock::today_vn());
            let stats = crate::generate_cmd::generate_into(&db, opts, None, true).await?;
            println!("loaded: {stats}");
            http(db, connections, Duration::from_secs(seconds)).await
        }
        BenchCommand::Oidc {
            database_url,
            codes,
            connections,
            seconds,
            wrk,
            against_oidc_provider,
            oidc_provider_dir,
        } => {
            let (db, _dir) = bench_db(database_url).await?;
            let against = against_oidc_provider.then_some(crate::bench_oidc_provider::Against {
                dir: oidc_provider_dir,
                codes,
                connections,
                seconds,
            });
            crate::bench_oidc::run(db, codes, connections, seconds, wrk, against).await
        }
        BenchCommand::Verify(args) => crate::bench_verify::run(args).await,
        BenchCommand::Checkin(args) => crate::bench_checkin::run(args).await,
        BenchCommand::Exchange(args) => crate::bench_exchange::run(args).await,
        BenchCommand::Services(args) => {
            let (db, _dir) = bench_db(args.database_url.clone()).await?;
            crate::bench_services::run(db, args).await
        }
    }
}

async fn http(db: db::Db, connections: usize, duration: Duration) -> anyhow::Result<()> {
    let housed = registry::sample::Criteria { housed: true, limit: Some(100_000), ..Default::default() };
    let ids: Vec<String> =
        registry::sample::residents(&db, &housed).await?.into_iter().map(|r| r.personal_id).collect();
    let hasher = identity::PasswordHasher::default();
    let officer = identity::create_account(
        &db,
        &hasher,
        identity::NewAccount {
            login: "bench.officer".into(),
            display_name: "Bench Officer".into(),
            role: kernel::Role::ProvincialOfficer,
            jurisdiction: kernel::Jurisdiction::Province("08".into()),
            password: crate::accounts_cmd::random_password(),
        },
        kernel::clock::now_ms(),
    )
    .await?;
    let (_, token) = identity::issue_token(&db, &officer.id, "bench", kernel::clock::now_ms()).await?;
    let running = crate::server::start(db.clone(), &crate::server::local_settings()).await?;
    let base = format!("http://{}", running.addr);
    println!("server on {base}; {connections} connections for {} s", duration.as_secs());
    println!("(equivalent wrk run: see docs/PERFORMANCE.md)");
    let client = reqwest_client()?;
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for c in 0..connections {
        let client = client.clone();
        let ids = ids.clone();
        let url = format!("{base}/api/v1/persons/");
        let auth = format!("Bearer {token}");
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = c * 7919;
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let Some(id) = cyclic(&ids, i) else { break };
                i += 1;
                let t = Instant::now();
                match client.get(format!("{url}{id}")).header("authorization", &auth).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        all.extend(l);
        errors += e;
    }
    all.sort();
    let n = all.len();
    let pct = |p: f64| all.get(((n as f64 * p) as usize).min(n.saturating_sub(1))).copied().unwrap_or_default();
    println!(
        "requests: {n} ok, {errors} errors; {:.0} req/s; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        n as f64 / duration.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        all.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    running.ctx.access_log.flush().await;
    Ok(())
}

fn reqwest_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().pool_max_idle_per_host(1024).build()?)
}
