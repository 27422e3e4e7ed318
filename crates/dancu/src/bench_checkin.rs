//! `dancu bench checkin`: sustained lodging check-in ingest over HTTP against the real server —
//! staff token, registry auto-fill, idempotency key, group-commit writer, watchlist matching,
//! access log — with a police client connected to the live feed measuring how long a check-in
//! takes to reach it. Phases without a watchlist, then with `--watchlist` entries, show
//! what matching costs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use db::sqlx;
use kernel::{Jurisdiction, Role};

use crate::bench_load::{histogram, paced, phase, record};

#[derive(Args, Debug)]
pub struct CheckinArgs {
    /// Database (must be empty); default: a new SQLite file in a temporary directory.
    #[arg(long, env = "DANCU_BENCH_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Residents to generate (guests are drawn from them).
    #[arg(long, default_value_t = 20_000)]
    pub people: usize,
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Upper bound on each phase's duration.
    #[arg(long, default_value_t = 15)]
    pub seconds: u64,
    /// Watchlist entries loaded before the second phase (0 skips it).
    #[arg(long, default_value_t = 100_000)]
    pub watchlist: usize,
    /// SQLite `synchronous` for the writer: `full` (every commit reaches the disk) or `normal`.
    #[arg(long, default_value = "full")]
    pub synchronous: String,
    /// Load the check-ins with `wrk` (one thread, in its own process) instead of the in-process
    /// client; the police client stays in process. Needs `wrk` on the PATH.
    #[arg(long)]
    pub wrk: bool,
    /// Send check-ins at this many per second (open loop) instead of as fast as the connections
    /// allow: a soak at a chosen fraction of capacity.
    #[arg(long, conflicts_with = "wrk")]
    pub rate: Option<u64>,
    /// Every this many seconds, print the process's memory (`VmRSS`, `RssAnon`, `RssFile` from
    /// `/proc/self/status`) and the sizes of the SQLite write-ahead logs.
    #[arg(long)]
    pub memory_every: Option<u64>,
}

/// Feed latencies seen by the police client (from the request being accepted).
struct FeedStats {
    received: AtomicU64,
    latencies: std::sync::Mutex<hdrhistogram::Histogram<u64>>,
}

pub async fn run(args: CheckinArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url =
        args.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    if let Some(every) = args.memory_every {
        let file = url.strip_prefix("sqlite://").map(|f| std::path::PathBuf::from(f.split('?').next().unwrap_or(f)));
        tokio::spawn(memory_report(Duration::from_secs(every.max(1)), file));
    }
    let db = crate::open_db(&url).await?;
    let opts = registry::generate::GenerateOptions::new("08", args.people, 6, kernel::clock::today_vn());
    crate::generate_cmd::generate_into(&db, opts, None, false).await?;
    if db.backend() == db::Backend::Sqlite {
        let mode = if args.synchronous == "normal" { "NORMAL" } else { "FULL" };
        sqlx::query(&format!("PRAGMA synchronous = {mode}")).execute(db.write()).await?;
        println!("SQLite writer: synchronous = {mode}");
    }
    let commune = registry::sample::busiest_commune(&db, None).await?.context("no residents")?;
    let living = registry::sample::Criteria { living: true, limit: Some(20_000), ..Default::default() };
    // Staff type each guest's id with the name and birth date on their document.
    let guests: Arc<Vec<serde_json::Value>> = Arc::new(
        registry::sample::residents(&db, &living)
            .await?
            .into_iter()
            .map(|r| serde_json::json!({"personal_id": r.personal_id, "full_name": r.full_name, "birth_date": r.birth_date}))
            .collect(),
    );
    let (staff, facility) = facility(&db, &commune).await?;
    let officer = token(&db, "bench.tinh", Role::ProvincialOfficer, Jurisdiction::Province("08".into())).await?;
    let running = crate::server::start(db.clone(), &crate::server::local_settings()).await?;
    let base = running.public_url.clone();
    let http = reqwest::Client::builder().pool_max_idle_per_host(1024).build()?;
    println!(
        "backend {:?}, {} residents, {} connections, {} s per phase at most",
        db.backend(),
        args.people,
        args.connections,
        args.seconds
    );
    let feed = Arc::new(FeedStats { received: AtomicU64::new(0), latencies: std::sync::Mutex::new(histogram()) });
    let listener = tokio::spawn(listen(http.clone(), format!("{base}/api/v1/lodging/feed"), officer, feed.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A short warm-up fills the lodging tables before statistics are taken (what autovacuum does
    // on a running server): PostgreSQL would otherwise keep the sequential-scan plans it chose
    // for the empty tables in every pooled connection's statement cache. The second phase without
    // a watchlist runs on a database as grown as the third one's, so the difference between the
    // last two is what matching costs, not what the growth costs.
    let phases = [
        ("warm-up", "check-in (warm-up)", 0),
        ("empty watchlist", "check-in (no watchlist)", 0),
        ("empty watchlist, again", "check-in (no watchlist, again)", 0),
        ("with watchlist", "check-in (watchlist)", args.watchlist),
    ];
    for (i, (label, name, entries)) in phases.into_iter().enumerate() {
        if i > 1 && args.watchlist == 0 {
            break;
        }
        if entries > 0 {
            let t = std::time::Instant::now();
            lodging::watchlist::load_synthetic(&db, entries, "08", "bench", kernel::clock::now_ms())
                .await
                .map_err(|e| anyhow::anyhow!(e.detail))?;
            println!("loaded {entries} watchlist entries in {:.1} s", t.elapsed().as_secs_f64());
        }
        feed.received.store(0, Ordering::Relaxed);
        feed.latencies.lock().map(|mut s| s.reset()).ok();
        let body = {
            let (facility, guests) = (facility.clone(), guests.clone());
            move |i: usize| {
                serde_json::json!({"facility_id": facility, "room": format!("{}", 100 + i % 300),
                    "reason": "Du lịch", "guests": [crate::bench::cyclic(&guests, i)]})
                .to_string()
            }
        };
        let seconds = if i == 0 { args.seconds.min(3) } else { args.seconds };
        let sent = if args.wrk {
            let bodies: Vec<String> = (0..guests.len()).map(&body).collect();
            let bodies: Vec<&str> = bodies.iter().map(String::as_str).collect();
            let prefix = format!("{label}-");
            let line = crate::bench_wrk::WrkLoad {
                base: &base,
                path: "/api/v1/lodging/checkins",
                bodies: &bodies,
                content_type: "application/json",
                authorizations: &[format!("Bearer {staff}")],
                idempotency_prefix: Some(&prefix),
                expect: Some("\"group_id\""),
                connections: args.connections,
                duration: Duration::from_secs(seconds),
            }
            .run()
            .await?;
            println!("{name} (wrk): {line}");
            crate::bench_wrk::good_count(&line).unwrap_or(0)
        } else {
            let work = {
                let (http, base, staff) = (http.clone(), base.clone(), staff.clone());
                let run = label.to_string();
                move |i: usize| {
                    let req = http
                        .post(format!("{base}/api/v1/lodging/checkins"))
                        .bearer_auth(&staff)
                        .header("Idempotency-Key", format!("{run}-{i}"))
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(body(i));
                    async move { matches!(req.send().await, Ok(r) if r.status().is_success()) }
                }
            };
            let duration = Duration::from_secs(seconds);
            let p = match args.rate {
                Some(rate) if i > 0 => paced(name, rate, duration, work).await,
                _ => phase(name, args.connections, usize::MAX, duration, work).await,
            };
            let sent = usize::try_from(p.ok()).unwrap_or(usize::MAX);
            p.print();
            sent
        };
        tokio::time::sleep(Duration::from_millis(1500)).await;
        report_feed(label, sent, &feed);
        if i == 0 {
            sqlx::query("ANALYZE").execute(db.write()).await?;
        }
    }
    listener.abort();
    running.ctx.access_log.flush().await;
    Ok(())
}

/// Follows the police feed and records, per notification, receive time minus `submitted_at`.
async fn listen(http: reqwest::Client, url: String, token: String, stats: Arc<FeedStats>) -> anyhow::Result<()> {
    let mut r = http.get(url).bearer_auth(token).send().await?;
    let mut buf = String::new();
    while let Some(chunk) = r.chunk().await? {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data:")) else { continue };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(data.trim()) else { continue };
            if let Some(at) = v.get("submitted_at").and_then(serde_json::Value::as_i64) {
                let ms = u64::try_from(kernel::clock::now_ms() - at).unwrap_or(0);
                stats.received.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut h) = stats.latencies.lock() {
                    record(&mut h, Duration::from_millis(ms));
                }
            }
        }
    }
    Ok(())
}

fn report_feed(label: &str, sent: usize, stats: &FeedStats) {
    let h = stats.latencies.lock().map(|h| h.clone()).unwrap_or_else(|_| histogram());
    let pct = |q: f64| if h.is_empty() { 0 } else { h.value_at_quantile(q) / 1_000 };
    println!(
        "feed ({label}): {} of {sent} notifications reached the police client; accepted → client p50 {} ms, \
         p99 {} ms, max {} ms",
        stats.received.load(Ordering::Relaxed),
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
}

/// Prints, every `every`, the resident memory of this process (server and clients) and the sizes
/// of the SQLite write-ahead logs of `db` (none on PostgreSQL): the soak's measurements.
/// `RssAnon` is the process's own memory; `RssFile` is mapped database pages (the kernel's
/// shared, reclaimable file cache).
async fn memory_report(every: Duration, db: Option<std::path::PathBuf>) {
    let start = std::time::Instant::now();
    let wal = |suffix: &str| {
        let db = db.as_ref()?;
        let name = format!("{}{suffix}", db.file_stem()?.to_str()?);
        std::fs::metadata(db.with_file_name(name)).map(|m| format!("{} MiB", m.len() >> 20)).ok()
    };
    loop {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let kib = |field: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        println!(
            "memory at {:>5} s: VmRSS {} MiB, RssAnon {} MiB, RssFile {} MiB; WAL main {}, logs {}",
            start.elapsed().as_secs(),
            kib("VmRSS:") >> 10,
            kib("RssAnon:") >> 10,
            kib("RssFile:") >> 10,
            wal(".db-wal").unwrap_or_else(|| "–".into()),
            wal("-logs.db-wal").unwrap_or_else(|| "–".into()),
        );
        tokio::time::sleep(every).await;
    }
}

async fn token(db: &db::Db, login: &str, role: Role, j: Jurisdiction) -> anyhow::Result<String> {
    let a = identity::create_account(
        db,
        &identity::PasswordHasher::new(1),
        identity::NewAccount {
            login: login.into(),
            display_name: login.into(),
            role,
            jurisdiction: j,
            password: crate::accounts_cmd::random_password(),
        },
        kernel::clock::now_ms(),
    )
    .await?;
    Ok(identity::issue_token(db, &a.id, "bench", kernel::clock::now_ms()).await?.1)
}

/// An approved hotel in `commune` and a staff token of its organization.
async fn facility(db: &db::Db, commune: &str) -> anyhow::Result<(String, String)> {
    let org = identity::organizations::create_organization(
        db,
        identity::organizations::NewOrganization {
            tax_code: "0109999999".into(),
            name: "Khách sạn Đo tải".into(),
            kind: identity::organizations::OrgKind::Hotel,
            address: "1 đường Đo tải".into(),
            commune_code: commune.into(),
        },
        kernel::clock::now_ms(),
    )
    .await?;
    let staff = token(db, "bench.letan", Role::OrgStaff, Jurisdiction::Own(org.id.clone())).await?;
    let f = lodging::facilities::create(
        db,
        &org.id,
        lodging::facilities::NewFacility {
            kind: "hotel".into(),
            name: "Khách sạn Đo tải".into(),
            licence_code: "GP-BENCH".into(),
            commune_code: commune.into(),
            address: "1 đường Đo tải".into(),
            rooms: 300,
            beds: 600,
        },
        kernel::clock::now_ms(),
    )
    .await?;
    lodging::facilities::decide(
        db,
        &f.id,
        "approved",
        &Jurisdiction::Commune(commune.into()),
        "bench",
        kernel::clock::now_ms(),
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.detail))?;
    Ok((staff, f.id))
}
