//! `dancu bench exchange`: signed request/response pairs per second through the data-exchange
//! gateway over HTTP (`person.verify`, yes/no), each request checked (signature, key, audience,
//! expiry, replay, member, right, quota), answered from the registry, written to the citizen's
//! access log and the transparency log, and answered with a response signed by the platform key;
//! then the offline verification of a transparency log of many entries (`dancu log verify`).
//!
//! Requests are signed before the phase, as a member's own system would sign them on its own
//! machine; the in-process client checks every response's signature against the platform's
//! published keys, so a pair counts only when both sides' signatures were verified.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use exchange::members::{self, MemberClass, Status, Validity};
use exchange::rights::{self, Grant};
use kernel::{Actor, Jurisdiction, Role};

use crate::bench_load::phase;

#[derive(Args, Debug)]
pub struct ExchangeArgs {
    /// Database to use; residents are generated only when it is empty, so one database serves
    /// many runs. Default: sqlite:///tmp/dancu-bench-exchange/dancu.db.
    #[arg(long, env = "DANCU_BENCH_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Residents to generate into an empty database.
    #[arg(long, default_value_t = 1_000_000)]
    pub people: usize,
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Upper bound on the signed-exchange phase (at most 240: requests live 5 minutes).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Distinct residents the requests ask about.
    #[arg(long, default_value_t = 20_000)]
    pub sample: usize,
    /// Phases, comma-separated: verify (signed pairs over HTTP), subscribe (deliver --events
    /// changes to an HTTP subscriber), log (fill the transparency log to --log-entries and time
    /// its offline verification).
    #[arg(long, default_value = "verify,subscribe,log")]
    pub phases: String,
    /// Changes delivered in the subscribe phase.
    #[arg(long, default_value_t = 100_000)]
    pub events: usize,
    /// Entries the transparency log is filled to before the log phase verifies it.
    #[arg(long, default_value_t = 10_000_000)]
    pub log_entries: u64,
    /// Load the verify phase with `wrk` in its own process (responses are then checked for being
    /// a JWS, not verified).
    #[arg(long)]
    pub wrk: bool,
}

const MEMBER: &str = "BENCH";
const SUBSYSTEM: &str = "bench";

pub async fn run(a: ExchangeArgs) -> anyhow::Result<()> {
    let seconds = a.seconds.clamp(1, 240);
    let wants = |p: &str| a.phases.split(',').any(|x| x.trim() == p);
    let url = a.database_url.clone().unwrap_or_else(|| {
        let dir = PathBuf::from("/tmp/dancu-bench-exchange");
        let _ = std::fs::create_dir_all(&dir);
        format!("sqlite://{}", dir.join("dancu.db").display())
    });
    let db = crate::open_db(&url).await?;
    if registry::meta::person_count(&db).await? == 0 {
        let opts = registry::generate::GenerateOptions::new("08", a.people, 6, kernel::clock::today_vn());
        println!("generating {} residents…", a.people);
        println!("{}", crate::generate_cmd::generate_into(&db, opts, None, true).await?);
    }
    let residents = registry::meta::person_count(&db).await?;
    println!("backend {:?}, {residents} residents", db.backend());
    let load = || std::fs::read_to_string("/proc/loadavg").unwrap_or_default();

    if wants("verify") {
        let settings = crate::server::local_settings();
        let running = crate::server::start(db.clone(), &settings).await?;
        let key = member(&db).await?;
        let people = sample(&db, a.sample).await?;
        anyhow::ensure!(!people.is_empty(), "no living adult resident with a full birth date");
        let n = (seconds as usize * 8_000).min(1_000_000);
        let started = Instant::now();
        let requests = sign_all(&key, &running.public_url, &people, n).await?;
        println!(
            "{} requests signed in {:.1} s beforehand (ES256, one request id each), {} residents asked about",
            requests.len(),
            started.elapsed().as_secs_f64(),
            people.len()
        );
        println!("load average before: {}", load().trim());
        let path = "/api/v1/exchange/services/person.verify";
        let before = translog::store::size(&db).await?;
        if a.wrk {
            let bodies: Vec<&str> = requests.iter().map(|r| r.as_ref()).collect();
            let line = crate::bench_wrk::WrkLoad {
                base: &running.public_url,
                path,
                bodies: &bodies,
                content_type: "application/jose",
                authorizations: &[],
                idempotency_prefix: None,
                expect: Some("eyJ"),
                connections: a.connections,
                duration: Duration::from_secs(seconds),
            }
            .run()
            .await?;
            println!("signed exchange person.verify (wrk): {line}");
        } else {
            let jwks: serde_json::Value =
                reqwest::get(format!("{}/api/v1/exchange/jwks.json", running.public_url)).await?.json().await?;
            let verifier = Arc::new(keys::JwksVerifier::from_jwks(&jwks)?);
            let work = caller(&running.public_url, path, requests, verifier)?;
            phase("signed exchange person.verify (HTTP)", a.connections, n, Duration::from_secs(seconds), work)
                .await
                .print();
        }
        println!("load average after: {}", load().trim());
        let after = translog::store::size(&db).await?;
        println!(
            "transparency log: {} entries appended during the phase (exchanges and access-log seals)",
            after - before
        );
        running.ctx.access_log.flush().await;
        running.shutdown.cancel();
    }
    if wants("subscribe") {
        subscribe_phase(&db, a.events).await?;
    }
    if wants("log") {
        log_phase(&db, a.log_entries).await?;
    }
    Ok(())
}

/// Records `n` moves in the change feed (as person events of existing residents, through the
/// registry's history without the residence rows: the phase measures delivery, not the registry's
/// writes), subscribes an in-process HTTP
/// subscriber that acknowledges every batch, and times delivering them all: each batch read from
/// the feed, every change's access-log entry committed, the batch signed and posted.
async fn subscribe_phase(db: &db::Db, n: usize) -> anyhow::Result<()> {
    let stores = crate::demo_lodging::stores(db).await?;
    let admin = Actor::new("bench", "admin", Role::Admin, Jurisdiction::Province("08".into()));
    let now = kernel::clock::now_ms();
    member(db).await?;
    let service = exchange::catalogue::PERSON_CHANGES;
    let right = Grant {
        member: MEMBER.into(),
        subsystem: SUBSYSTEM.into(),
        service: service.into(),
        purpose: "social_insurance".into(),
        fields: vec!["deceased".into(), "moved".into()],
        valid_from: kernel::clock::today_vn(),
        valid_to: None,
        daily_quota: 1,
    };
    rights::grant(&stores, &admin, &right, now).await?;
    let received = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let target = format!("http://{}/changes", listener.local_addr()?);
    let counter = received.clone();
    let app = axum::Router::new().route(
        "/changes",
        axum::routing::post(move |body: String| {
            let counter = counter.clone();
            async move {
                // Counts the batches acknowledged.
                counter.fetch_add(usize::from(!body.is_empty()), std::sync::atomic::Ordering::Relaxed);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let sub = exchange::subscriptions::create(
        &stores,
        &admin,
        &exchange::subscriptions::NewSubscription {
            member: MEMBER.into(),
            subsystem: SUBSYSTEM.into(),
            purpose: "social_insurance".into(),
            kinds: vec!["moved".into()],
            transport: exchange::subscriptions::Transport::Http,
            target,
        },
        now,
    )
    .await?;
    let people = registry::sample::residents(
        db,
        &registry::sample::Criteria { living: true, limit: Some(10_000), ..Default::default() },
    )
    .await?;
    anyhow::ensure!(!people.is_empty(), "no residents");
    let bar = crate::progress::bar(n as u64, "changes");
    bar.set_message("recording changes");
    let at = kernel::clock::now_ms() - exchange::subscriptions::SETTLE_MS - 1;
    for start in (0..n).step_by(1_000) {
        let end = (start + 1_000).min(n);
        let mut tx = db.begin().await?;
        for i in start..end {
            let p = crate::bench::cyclic(&people, i).context("no residents")?;
            let mut current = serde_json::Map::new();
            current.insert("current_commune".into(), serde_json::json!(p.current_commune));
            registry::history::record(
                &mut tx,
                &p.personal_id,
                "moved",
                "bench",
                "bench",
                &serde_json::Map::new(),
                &current,
                at,
            )
            .await?;
        }
        tx.commit().await?;
        bar.set_position(end as u64);
    }
    bar.finish_and_clear();
    let deliverer = exchange::subscriptions::Deliverer {
        stores: stores.clone(),
        ring: keys::KeyRing::load(db, kernel::clock::now_ms).await?,
        issuer: "https://dancu.bench".into(),
        http: reqwest::Client::new(),
        nats: None,
        stream_ready: Arc::default(),
    };
    let started = Instant::now();
    let delivered = deliverer.deliver_pending(kernel::clock::now_ms()).await?;
    let took = started.elapsed().as_secs_f64();
    stores.access_log.flush().await;
    println!(
        "subscription delivery: {delivered} changes in {took:.2} s ({:.0}/s), {} batches acknowledged, \
         each change's access-log entry committed before its batch left",
        delivered as f64 / took,
        received.load(std::sync::atomic::Ordering::Relaxed)
    );
    exchange::subscriptions::cancel(&stores, &admin, &sub, kernel::clock::now_ms()).await?;
    server.abort();
    Ok(())
}

/// The bench member with a right to every `person.verify` question for social insurance; returns
/// its signing key and kid. Registered once per database.
async fn member(db: &db::Db) -> anyhow::Result<(jsonwebtoken::EncodingKey, String)> {
    let stores = crate::demo_lodging::stores(db).await?;
    let admin = Actor::new("bench", "admin", Role::Admin, Jurisdiction::Province("08".into()));
    let now = kernel::clock::now_ms();
    if members::list(db, &admin).await?.iter().all(|m| m.code != MEMBER) {
        members::register_member(&stores, &admin, MEMBER, "Đơn vị đo hiệu năng", MemberClass::Government, now).await?;
        members::set_member_status(&stores, &admin, MEMBER, Status::Approved, "", now).await?;
        members::add_subsystem(&stores, &admin, MEMBER, SUBSYSTEM, "Hệ thống đo", now).await?;
        let service = exchange::catalogue::Service::find(exchange::catalogue::PERSON_VERIFY)
            .context("person.verify is in the catalogue")?;
        rights::grant(
            &stores,
            &admin,
            &Grant {
                member: MEMBER.into(),
                subsystem: SUBSYSTEM.into(),
                service: service.code.into(),
                purpose: "social_insurance".into(),
                fields: service.fields.iter().map(|f| f.code.to_string()).collect(),
                valid_from: kernel::clock::today_vn(),
                valid_to: None,
                daily_quota: rights::MAX_DAILY_QUOTA,
            },
            now,
        )
        .await?;
    }
    // A fresh key each run: the private key of an earlier run is not kept.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let jwk = crate::demo_exchange::public_jwk(key.public_key_raw())?;
    let kid = members::add_key(&stores, &admin, MEMBER, SUBSYSTEM, &jwk, Validity { from: now, to: None }, now).await?;
    Ok((jsonwebtoken::EncodingKey::from_ec_der(&key.serialize_der()), kid))
}

/// Up to `n` random living adults with a full birth date: (personal id, name, birth date).
async fn sample(db: &db::Db, n: usize) -> anyhow::Result<Vec<(String, String, String)>> {
    let adults = registry::sample::Criteria {
        living: true,
        born_before: chrono::NaiveDate::from_ymd_opt(2005, 1, 1),
        order: registry::sample::Order::Random,
        limit: Some(n as i64),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(n);
    for r in registry::sample::residents(db, &adults).await? {
        let Some(p) = registry::queries::persons::get_self(db, &kernel::PersonalId::parse(&r.personal_id)?).await?
        else {
            continue;
        };
        if let Some(birth) = p.birth_date.filter(|b| b.len() == 10) {
            out.push((p.personal_id, p.full_name, birth));
        }
    }
    Ok(out)
}

/// `n` signed requests over `people` (cycled), signed on every core.
async fn sign_all(
    key: &(jsonwebtoken::EncodingKey, String),
    audience: &str,
    people: &[(String, String, String)],
    n: usize,
) -> anyhow::Result<Vec<Arc<str>>> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let people = Arc::new(people.to_vec());
    let key = Arc::new(key.clone());
    let run = kernel::ids::new_id();
    let mut jobs = Vec::new();
    for c in 0..cores {
        let (people, key, audience, run) = (people.clone(), key.clone(), audience.to_string(), run.clone());
        jobs.push(tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<Arc<str>>> {
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
            header.kid = Some(key.1.clone());
            let now = kernel::clock::now_ms() / 1000;
            (c..n)
                .step_by(cores)
                .map(|i| {
                    let (id, name, birth) = crate::bench::cyclic(&people, i).context("no people")?;
                    let claims = serde_json::json!({
                        "member": MEMBER, "subsystem": SUBSYSTEM, "service": "person.verify",
                        "purpose": "social_insurance", "jti": format!("{run}-{i}"), "iat": now, "exp": now + 290,
                        "aud": audience,
                        "body": {"personal_id": id, "full_name": name, "birth_date": birth,
                                 "questions": ["living_resident", "over_18"]},
                    });
                    Ok(jsonwebtoken::encode(&header, &claims, &key.0)?.into())
                })
                .collect()
        }));
    }
    let mut out = Vec::with_capacity(n);
    for j in jobs {
        out.extend(j.await??);
    }
    Ok(out)
}

/// Posts request `i` once; true when the answer is a response signed by the platform for it.
fn caller(
    base: &str,
    path: &str,
    requests: Vec<Arc<str>>,
    verifier: Arc<keys::JwksVerifier>,
) -> anyhow::Result<impl Fn(usize) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> + Send + Sync> {
    let http = reqwest::Client::builder().pool_max_idle_per_host(1024).build()?;
    let (url, requests) = (format!("{base}{path}"), Arc::new(requests));
    let audience = base.to_string();
    Ok(move |i: usize| {
        let (http, url, requests, verifier, audience) =
            (http.clone(), url.clone(), requests.clone(), verifier.clone(), audience.clone());
        Box::pin(async move {
            let Some(request) = requests.get(i) else { return false };
            let sent = http
                .post(url.as_str())
                .header("content-type", "application/jose")
                .body(request.to_string())
                .send()
                .await;
            let Ok(r) = sent else { return false };
            if !r.status().is_success() {
                return false;
            }
            let Ok(jws) = r.text().await else { return false };
            let expect = keys::Expect::new().issuer(&audience).without_required_exp();
            verifier.verify::<exchange::ResponseClaims>(&jws, &expect).is_ok_and(|c| c.aud == MEMBER)
        }) as std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>
    })
}

/// Fills the transparency log to `target` entries with exchange-shaped entries (appended in large
/// batches, as the group-commit writer does under load), signs a head and times
/// `translog::verify_log` over the whole log.
async fn log_phase(db: &db::Db, target: u64) -> anyhow::Result<()> {
    let size = translog::store::size(db).await?;
    if size < target {
        let bar = crate::progress::bar(target - size, "entries");
        bar.set_message("filling the transparency log");
        let started = Instant::now();
        let mut at = size;
        while at < target {
            let batch = (target - at).min(20_000);
            let entries: Vec<translog::store::NewEntry> = (0..batch)
                .map(|i| translog::store::NewEntry {
                    data: format!(
                        "{{\"type\":\"dancu.exchange.v1\",\"at\":{},\"member\":\"BENCH\",\"subsystem\":\"bench\",\
                         \"service\":\"person.verify\",\"purpose\":\"social_insurance\",\"request_id\":\"fill-{}\",\
                         \"request_sha256\":\"{:044}\",\"answer_sha256\":\"{:044}\"}}",
                        kernel::clock::now_ms(),
                        at + i,
                        at + i,
                        at + i
                    )
                    .into_bytes(),
                    at: kernel::clock::now_ms(),
                })
                .collect();
            translog::store::append(db, &entries).await?;
            at += batch;
            bar.inc(batch);
        }
        bar.finish_and_clear();
        let took = started.elapsed().as_secs_f64();
        println!("appended {} entries in {took:.1} s ({:.0}/s)", target - size, (target - size) as f64 / took);
    }
    let ring = keys::KeyRing::load(db, kernel::clock::now_ms).await?;
    translog::sign_head(db, &ring, kernel::clock::now_ms()).await?;
    let verifier = keys::JwksVerifier::from_jwks(&ring.jwks())?;
    let total = translog::store::size(db).await?;
    let bar = crate::progress::bar(total, "entries");
    bar.set_message("verifying the transparency log");
    let started = Instant::now();
    let report = translog::verify_log(db, &verifier, &mut |n| bar.set_position(n)).await?;
    bar.finish_and_clear();
    let took = started.elapsed().as_secs_f64();
    anyhow::ensure!(report.ok(), "the log does not verify: {:?}", report.problems);
    println!(
        "log verify: {} entries, {} signed heads, in {took:.1} s ({:.0} entries/s)",
        report.entries,
        report.heads_verified,
        report.entries as f64 / took
    );
    Ok(())
}
