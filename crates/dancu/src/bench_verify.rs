//! `dancu bench verify`: identity verifications per second against the real server over HTTP —
//! card-QR payloads, dynamic identity QR tokens, chip data with ECDSA P-256 and RSA-2048 document
//! signers — and chip passive authentication per second in process. Every HTTP verification is the
//! full production path: caller and rate limit, registry lookups, history row, access-log entry
//! and signed receipt. A response counts only if it is 200 with the expected outcome.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use verification::cccd_qr::CardQr;
use verification::chip::testkit::{SignerKind, TestCsca, TestSigner};
use verification::chip::{ChipBundle, TrustStore};
use verification::dynamic::{self, Share};

use crate::bench_load::phase;

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Database to use; residents are generated only when it is empty, so one database serves
    /// many runs. Default: sqlite:///tmp/dancu-bench-verify/dancu.db.
    #[arg(long, env = "DANCU_BENCH_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Residents to generate into an empty database.
    #[arg(long, default_value_t = 1_000_000)]
    pub people: usize,
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Upper bound on each phase's duration (at most 60: identity QR tokens live 90 s).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Distinct residents the requests cycle through.
    #[arg(long, default_value_t = 20_000)]
    pub sample: usize,
    /// Phases to run, comma-separated: card, dynamic, chip-ecdsa, chip-rsa, pa.
    #[arg(long, default_value = "card,dynamic,chip-ecdsa,chip-rsa,pa")]
    pub phases: String,
    /// Load the HTTP phases with `wrk` (one thread, in its own process) instead of the in-process
    /// client, which costs the server a large share of the two cores. Needs `wrk` on the PATH.
    #[arg(long)]
    pub wrk: bool,
}

/// Chip bundles per signer kind (distinct residents, one SOD each).
const CHIP_BUNDLES: usize = 500;

pub async fn run(a: VerifyArgs) -> anyhow::Result<()> {
    let seconds = a.seconds.clamp(1, 60);
    let duration = Duration::from_secs(seconds);
    let wants = |p: &str| a.phases.split(',').any(|x| x.trim() == p);
    let url = a.database_url.clone().unwrap_or_else(|| {
        let dir = PathBuf::from("/tmp/dancu-bench-verify");
        let _ = std::fs::create_dir_all(&dir);
        format!("sqlite://{}", dir.join("dancu.db").display())
    });
    let db = crate::open_db(&url).await?;
    let residents = registry::meta::person_count(&db).await?;
    if residents == 0 {
        let opts = registry::generate::GenerateOptions::new("08", a.people, 6, kernel::clock::today_vn());
        println!("generating {} residents…", a.people);
        println!("{}", crate::generate_cmd::generate_into(&db, opts, None, true).await?);
    }
    let residents = registry::meta::person_count(&db).await?;
    let people = sample(&db, a.sample).await?;
    println!("backend {:?}, {residents} residents, {} sampled with a valid card", db.backend(), people.len());
    anyhow::ensure!(!people.is_empty(), "no resident with a valid card and a full birth date");

    let csca = TestCsca::new("dancu bench CSCA", 2024, 2045);
    let trust = tempfile::tempdir()?;
    std::fs::write(trust.path().join("bench-csca.pem"), &csca.pem)?;
    let mut settings = crate::server::local_settings();
    settings.verification =
        verification::VerificationSettings { csca_dir: Some(trust.path().to_path_buf()), rate_per_minute: u32::MAX };
    let tokens = Arc::new(staff_tokens(&db, a.connections).await?);
    let running = crate::server::start(db.clone(), &settings).await?;
    let base = running.public_url.clone();
    let http = reqwest::Client::builder().pool_max_idle_per_host(1024).build()?;
    println!("{} connections (one staff account each), {seconds} s per phase at most", a.connections);
    let load = || std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average before: {}", load().trim());

    let loader = Load { http: &http, base: &base, tokens: &tokens, args: &a, duration };
    if wants("card") {
        let bodies = people
            .iter()
            .map(|(_, card)| body(serde_json::json!({"qr_payload": card.to_payload()})))
            .collect::<Vec<_>>();
        loader.run("card QR (HTTP)", "/api/v1/verifications", bodies, usize::MAX).await?;
    }
    if wants("dynamic") {
        let ring = keys::KeyRing::load(&db, kernel::clock::now_ms).await?;
        // Enough single-use tokens for the phase at well above the target rate; issued just before
        // it, in parallel, so none expires while it runs.
        let n = (seconds as usize * 12_000).min(400_000);
        let people = Arc::new(people.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>());
        let share = Share { name: true, birth_date: true, age_over_18: true };
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let mut jobs = Vec::new();
        for c in 0..cores {
            let (ring, people) = (ring.clone(), people.clone());
            jobs.push(tokio::task::spawn_blocking(move || {
                (c..n)
                    .step_by(cores)
                    .filter_map(|i| crate::bench::cyclic(&people, i))
                    .map(|person| dynamic::issue(&ring, person, 2, share, kernel::clock::now_ms()).map(|t| t.token))
                    .collect::<Result<Vec<_>, _>>()
            }));
        }
        let mut bodies = Vec::with_capacity(n);
        for j in jobs {
            bodies.extend(j.await??.into_iter().map(|t| body(serde_json::json!({"token": t}))));
        }
        let items = bodies.len();
        loader.run("dynamic QR (HTTP)", "/api/v1/verifications/dynamic", bodies, items).await?;
    }
    for (name, http_name, kind) in [
        ("chip-ecdsa", "chip ECDSA P-256 (HTTP)", SignerKind::EcdsaP256),
        ("chip-rsa", "chip RSA-2048 (HTTP)", SignerKind::Rsa2048),
    ] {
        if !wants(name) {
            continue;
        }
        let bundles = chip_bundles(&csca.document_signer(kind, 2025, 2035), &people);
        let bodies = bundles.iter().map(|b| body(verification::api::chip_json(b))).collect();
        loader.run(http_name, "/api/v1/verifications/chip", bodies, usize::MAX).await?;
    }
    if wants("pa") {
        let store = Arc::new(TrustStore::new(vec![csca.certificate.clone()]));
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        for (name, kind) in
            [("passive auth ECDSA", SignerKind::EcdsaP256), ("passive auth RSA-2048", SignerKind::Rsa2048)]
        {
            let bundles = Arc::new(chip_bundles(&csca.document_signer(kind, 2025, 2035), &people));
            let work = {
                let store = store.clone();
                move |i: usize| {
                    let (bundles, store) = (bundles.clone(), store.clone());
                    async move {
                        let Some(b) = crate::bench::cyclic(&bundles, i) else { return false };
                        verification::chip::passive_auth(b, &store, chrono::Utc::now()).authentic
                    }
                }
            };
            let p = phase(name, cores, usize::MAX, duration.min(Duration::from_secs(5)), work).await;
            let per_core = p.ok() as f64 / p.elapsed.as_secs_f64() / cores as f64;
            p.print();
            println!("  in process on {cores} cores: {per_core:.0}/s per core");
        }
    }
    println!("load average after: {}", load().trim());
    running.ctx.access_log.flush().await;
    Ok(())
}

/// Up to `n` random living residents with a full birth date whose newest card is valid, with the
/// QR that card prints.
async fn sample(db: &db::Db, n: usize) -> anyhow::Result<Vec<(registry::queries::persons::PersonView, CardQr)>> {
    let adults = registry::sample::Criteria {
        living: true,
        born_before: chrono::NaiveDate::from_ymd_opt(2005, 1, 1),
        order: registry::sample::Order::Random,
        limit: Some(n as i64 * 2),
        ..Default::default()
    };
    let ids: Vec<String> = registry::sample::residents(db, &adults).await?.into_iter().map(|r| r.personal_id).collect();
    let today = kernel::clock::today_vn();
    let mut out = Vec::with_capacity(n);
    for id in ids {
        let Some(person) = registry::queries::persons::get_self(db, &kernel::PersonalId::parse(&id)?).await? else {
            continue;
        };
        let cards = registry::queries::cards::of_person(db, &id, today).await?;
        if let Some(card) = cards.first().filter(|c| c.status == "valid").and_then(|c| CardQr::of_registry(&person, c))
        {
            out.push((person, card));
        }
        if out.len() == n {
            break;
        }
    }
    Ok(out)
}

/// A hotel allowed to verify guests, and `n` staff accounts with API tokens.
async fn staff_tokens(db: &db::Db, n: usize) -> anyhow::Result<Vec<String>> {
    let run = kernel::ids::new_id();
    let tax: String = run.chars().filter(char::is_ascii_digit).chain(std::iter::repeat('0')).take(10).collect();
    let commune = registry::sample::inhabited_communes(db, 1).await?.pop().context("no residents")?;
    let org = identity::organizations::create_organization(
        db,
        identity::organizations::NewOrganization {
            tax_code: tax,
            name: "Khách sạn Đo Hiệu Năng".into(),
            kind: identity::organizations::OrgKind::Hotel,
            address: "1 đường Đo".into(),
            commune_code: commune,
        },
        kernel::clock::now_ms(),
    )
    .await?;
    verification::caller::grant_purposes(db, &org.id, &["hotel_guest"]).await?;
    let hasher = identity::PasswordHasher::new(2);
    let mut tokens = Vec::with_capacity(n);
    for i in 0..n {
        let account = identity::create_account(
            db,
            &hasher,
            identity::NewAccount {
                login: format!("bench.{run}.{i}"),
                display_name: format!("Lễ tân {i}"),
                role: kernel::Role::OrgStaff,
                jurisdiction: kernel::Jurisdiction::Own(org.id.clone()),
                password: crate::accounts_cmd::random_password(),
            },
            kernel::clock::now_ms(),
        )
        .await?;
        tokens.push(identity::issue_token(db, &account.id, "bench", kernel::clock::now_ms()).await?.1);
    }
    Ok(tokens)
}

/// One chip bundle per resident, up to [`CHIP_BUNDLES`].
fn chip_bundles(signer: &TestSigner, people: &[(registry::queries::persons::PersonView, CardQr)]) -> Vec<ChipBundle> {
    people.iter().take(CHIP_BUNDLES).map(|(_, card)| signer.card_chip(card)).collect()
}

/// A request body for the hotel-guest purpose.
fn body(mut evidence: serde_json::Value) -> Arc<str> {
    if let Some(fields) = evidence.as_object_mut() {
        fields.insert("purpose".into(), "hotel_guest".into());
        fields.insert("citizen_present".into(), true.into());
    }
    evidence.to_string().into()
}

/// How an HTTP phase is loaded: the in-process client, or `wrk` with `--wrk`.
struct Load<'a> {
    http: &'a reqwest::Client,
    base: &'a str,
    tokens: &'a Arc<Vec<String>>,
    args: &'a VerifyArgs,
    duration: Duration,
}

impl Load<'_> {
    /// Posts `bodies` (each at most once when `items` is their count) and prints the phase's rate
    /// of green outcomes with latency percentiles.
    async fn run(&self, name: &'static str, path: &str, bodies: Vec<Arc<str>>, items: usize) -> anyhow::Result<()> {
        if !self.args.wrk {
            let work = poster(self.http, self.base, path, self.tokens.clone(), bodies, "green");
            phase(name, self.args.connections, items, self.duration, work).await.print();
            return Ok(());
        }
        let bodies: Vec<&str> = bodies.iter().map(|b| b.as_ref()).collect();
        let authorizations: Vec<String> = self.tokens.iter().map(|t| format!("Bearer {t}")).collect();
        let line = crate::bench_wrk::WrkLoad {
            base: self.base,
            path,
            bodies: &bodies,
            content_type: "application/json",
            authorizations: &authorizations,
            idempotency_prefix: None,
            expect: Some("\"outcome\":\"green\""),
            connections: self.args.connections,
            duration: self.duration,
        }
        .run()
        .await?;
        println!("{name} (wrk): {line}");
        Ok(())
    }
}

/// Posts body `i` (cycling) with connection `i`'s token; true when the outcome is the expected one.
fn poster(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    tokens: Arc<Vec<String>>,
    bodies: Vec<Arc<str>>,
    outcome: &str,
) -> impl Fn(usize) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> + Send + Sync + 'static {
    let (http, url, bodies) = (http.clone(), format!("{base}{path}"), Arc::new(bodies));
    let expected: Arc<str> = format!("\"outcome\":\"{outcome}\"").into();
    move |i: usize| {
        let (http, url, tokens, bodies, expected) =
            (http.clone(), url.clone(), tokens.clone(), bodies.clone(), expected.clone());
        Box::pin(async move {
            let (Some(body), Some(token)) = (crate::bench::cyclic(&bodies, i), crate::bench::cyclic(&tokens, i)) else {
                return false;
            };
            let body = body.to_string();
            let r = http
                .post(url.as_str())
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            match r {
                Ok(r) if r.status().is_success() => {
                    r.text().await.map(|t| t.contains(expected.as_ref())).unwrap_or(false)
                }
                _ => false,
            }
        })
    }
}
