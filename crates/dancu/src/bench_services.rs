//! `dancu bench services`: the online public services under load — rendering a form pre-filled
//! from the registry, submitting applications at a fixed rate, and paging an officer's inbox of
//! open applications.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::bench_load::{paced, phase};

/// Options of `dancu bench services`.
#[derive(Debug, clap::Args)]
pub struct ServicesArgs {
    /// Database URL; default: a new SQLite file in a temporary directory.
    #[arg(long, env = "DANCU_BENCH_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Residents generated into an empty database.
    #[arg(long, default_value_t = 100_000)]
    pub people: usize,
    /// Open applications in the inbox.
    #[arg(long, default_value_t = 100_000)]
    pub open: usize,
    /// Submissions per second in the submit phase.
    #[arg(long, default_value_t = 500)]
    pub rate: u64,
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Upper bound on each phase's duration.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
}

/// Citizens (level 2) with API tokens, and their communes.
async fn citizens(db: &db::Db, n: usize) -> anyhow::Result<Vec<(String, String)>> {
    let adults = registry::sample::Criteria {
        living: true,
        housed: true,
        born_before: chrono::NaiveDate::from_ymd_opt(2000, 1, 1),
        limit: Some(n as i64),
        ..Default::default()
    };
    let hasher = identity::PasswordHasher::new(1);
    let mut out = Vec::new();
    for r in crate::accounts_cmd::residents_without_account(db, adults, n).await? {
        let id = r.personal_id;
        let commune = r.current_commune.unwrap_or_default();
        let password = crate::accounts_cmd::random_password();
        let a = crate::accounts_cmd::citizen_account(db, &hasher, &id, &password, 2).await?;
        out.push((identity::issue_token(db, &a.id, "bench", kernel::clock::now_ms()).await?.1, commune));
    }
    Ok(out)
}

pub async fn run(db: db::Db, args: ServicesArgs) -> anyhow::Result<()> {
    let duration = Duration::from_secs(args.seconds);
    if registry::meta::person_count(&db).await? == 0 {
        println!("generating {} residents…", args.people);
        let opts = registry::generate::GenerateOptions::new("08", args.people, 6, kernel::clock::today_vn());
        crate::generate_cmd::generate_into(&db, opts, None, false).await?;
    }
    let bar = crate::progress::bar(args.open as u64, "open applications");
    let t = Instant::now();
    services::synthetic::history(
        &db,
        "08",
        args.open,
        1.0,
        7,
        &|n| bar.set_position(n as u64),
        kernel::clock::now_ms(),
    )
    .await?;
    bar.finish_and_clear();
    println!("{} open applications in {:.1} s", args.open, t.elapsed().as_secs_f64());
    let people = Arc::new(citizens(&db, 64).await?);
    let officer = identity::create_account(
        &db,
        &identity::PasswordHasher::new(1),
        identity::NewAccount {
            login: format!("bench.tinh.{}", kernel::clock::now_ms()),
            display_name: "Bench officer".into(),
            role: kernel::Role::ProvincialOfficer,
            jurisdiction: kernel::Jurisdiction::Province("08".into()),
            password: crate::accounts_cmd::random_password(),
        },
        kernel::clock::now_ms(),
    )
    .await?;
    let officer = identity::issue_token(&db, &officer.id, "bench", kernel::clock::now_ms()).await?.1;
    let running = crate::server::start(db.clone(), &crate::server::local_settings()).await?;
    let base = running.public_url.clone();
    let http = reqwest::Client::builder().pool_max_idle_per_host(1024).build()?;
    println!("backend {:?}, {} connections, {} s per phase at most", db.backend(), args.connections, args.seconds);

    let form = {
        let (http, base, people) = (http.clone(), base.clone(), people.clone());
        move |i: usize| {
            let (http, base, people) = (http.clone(), base.clone(), people.clone());
            async move {
                let Some((token, _)) = crate::bench::cyclic(&people, i) else { return false };
                let r = http.get(format!("{base}/services/temporary_residence")).bearer_auth(token).send().await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        r.text().await.map(|b| b.contains("id=\"prefill\"")).unwrap_or(false)
                    }
                    _ => false,
                }
            }
        }
    };
    phase("form with auto-fill", args.connections, usize::MAX, duration, form).await.print();

    let until = (kernel::clock::today_vn() + chrono::Duration::days(90)).format("%Y-%m-%d").to_string();
    let submit = paced("submit (paced)", args.rate, duration, {
        let (http, base, people) = (http.clone(), base.clone(), people.clone());
        move |i: usize| {
            let (http, base, people, until) = (http.clone(), base.clone(), people.clone(), until.clone());
            async move {
                let Some((token, commune)) = crate::bench::cyclic(&people, i) else { return false };
                let body = serde_json::json!({"procedure": "temporary_residence", "submit": true, "answers": {
                    "commune": commune, "address": "Số 1, tổ 2", "until": until, "reason": "work"}});
                let r = http
                    .post(format!("{base}/api/v1/services/applications"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await;
                matches!(r, Ok(r) if r.status().is_success())
            }
        }
    })
    .await;
    submit.print();

    for (name, path) in [
        ("inbox page 1 (API)", "/api/v1/services/inbox?status=open&size=50"),
        ("inbox page 20 (API)", "/api/v1/services/inbox?status=open&size=50&page=20"),
        ("inbox page 1 (HTML)", "/officer/applications"),
    ] {
        let inbox = {
            let (http, base, officer) = (http.clone(), base.clone(), officer.clone());
            move |_| {
                let (http, url, officer) = (http.clone(), format!("{base}{path}"), officer.clone());
                async move { matches!(http.get(url).bearer_auth(&officer).send().await, Ok(r) if r.status().is_success()) }
            }
        };
        phase(name, 4, usize::MAX, duration.min(Duration::from_secs(5)), inbox).await.print();
    }
    running.ctx.access_log.flush().await;
    Ok(())
}
