//! `dancu bench oidc`: single sign-on throughput over HTTP — authorization-code exchanges, refresh
//! grants and userinfo calls per second — and password verifications per second with the
//! production argon2id settings.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::Mutex;

use crate::bench_load::phase;

/// The benchmark: `codes` pre-issued codes are exchanged, then the refresh tokens rotated, then
/// userinfo called with the access tokens, each from `connections` concurrent connections. With
/// `wrk`, another `codes` codes are first exchanged by wrk. With `against`, the same phases are
/// then run against oidc-provider and the ratios printed.
pub async fn run(
    db: db::Db,
    codes: usize,
    connections: usize,
    seconds: u64,
    wrk: bool,
    against: Option<crate::bench_oidc_provider::Against>,
) -> anyhow::Result<()> {
    let duration = Duration::from_secs(seconds);
    let opts = registry::generate::GenerateOptions::new("08", 2_000, 6, kernel::clock::today_vn());
    crate::generate_cmd::generate_into(&db, opts, None, false).await?;
    let living = registry::sample::Criteria { living: true, limit: Some(1), ..Default::default() };
    let person = registry::sample::residents(&db, &living).await?.pop().context("no living resident")?.personal_id;
    let password = crate::accounts_cmd::random_password();
    let account =
        crate::accounts_cmd::citizen_account(&db, &identity::PasswordHasher::new(1), &person, &password, 2).await?;
    // One client makes every request, far above the production per-client allowance: lifted.
    let mut settings = crate::server::local_settings();
    settings.oidc.token_rate_per_minute = u32::MAX;
    let running = crate::server::start(db.clone(), &settings).await?;
    let base = running.public_url.clone();
    let redirect = "http://127.0.0.1:9/cb".to_string();
    let (client, secret) = oidc::clients::register(
        &db,
        oidc::NewClient {
            name: "Bench RP".into(),
            auth_method: "client_secret_basic".into(),
            redirect_uris: vec![redirect.clone()],
            allowed_scopes: vec!["openid".into(), "profile".into(), "offline_access".into()],
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            min_level: 1,
            ..Default::default()
        },
        kernel::clock::now_ms(),
    )
    .await?;
    let secret = secret.unwrap_or_default();
    let verifier = "b".repeat(64);
    let challenge = oidc::pkce::challenge_of(&verifier);
    let issued = if wrk { 2 * codes } else { codes };
    print!("issuing {issued} authorization codes… ");
    let mut code_list = Vec::with_capacity(issued);
    for _ in 0..issued {
        let g = oidc::grants::CodeGrant {
            client_id: client.id.clone(),
            account_id: account.id.clone(),
            redirect_uri: redirect.clone(),
            // offline_access: the refresh phase needs the refresh tokens it brings.
            scope: "openid profile offline_access".into(),
            nonce: Some("n".into()),
            code_challenge: Some(challenge.clone()),
            acr: oidc::ACR_LEVEL2.into(),
            amr: "pwd".into(),
            auth_time: kernel::clock::now_ms(),
        };
        code_list.push(
            oidc::grants::issue_code(&db, &g, kernel::clock::now_ms())
                .await
                .map_err(|e| anyhow::anyhow!(e.description))?,
        );
    }
    // Codes live 60 s: move their expiry out so a slow machine measures exchanges, not expiry.
    oidc::grants::postpone_unused_codes(&db, kernel::clock::now_ms() + 3_600_000)
        .await
        .map_err(|e| anyhow::anyhow!(e.description))?;
    println!("done.\nbackend {:?}, {connections} connections, {seconds} s per phase at most", db.backend());

    if wrk {
        let wrk_codes = code_list.split_off(codes);
        let bodies: Vec<String> = wrk_codes
            .iter()
            .map(|c| {
                serde_urlencoded::to_string([
                    ("grant_type", "authorization_code"),
                    ("code", c.as_str()),
                    ("redirect_uri", redirect.as_str()),
                    ("code_verifier", verifier.as_str()),
                ])
            })
            .collect::<Result<_, _>>()?;
        let bodies: Vec<&str> = bodies.iter().map(String::as_str).collect();
        let basic =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{}:{}", client.id, secret));
        let line = crate::bench_wrk::WrkLoad {
            base: &base,
            path: "/oidc/token",
            bodies: &bodies,
            content_type: "application/x-www-form-urlencoded",
            authorizations: &[format!("Basic {basic}")],
            idempotency_prefix: None,
            expect: Some("\"access_token\""),
            connections,
            duration,
        }
        .run()
        .await?;
        println!("code -> token (wrk): {line}");
    }
    let http = reqwest::Client::builder().pool_max_idle_per_host(1024).build()?;
    let codes = Arc::new(code_list);
    let refresh_tokens = Arc::new(Mutex::new(Vec::new()));
    let access_tokens = Arc::new(Mutex::new(Vec::new()));
    let exchange = {
        let (http, base, codes, cid, secret) =
            (http.clone(), base.clone(), codes.clone(), client.id.clone(), secret.clone());
        let (refresh_tokens, access_tokens, redirect, verifier) =
            (refresh_tokens.clone(), access_tokens.clone(), redirect.clone(), verifier.clone());
        move |i: usize| {
            let (http, base, codes, cid, secret) =
                (http.clone(), base.clone(), codes.clone(), cid.clone(), secret.clone());
            let (refresh_tokens, access_tokens, redirect, verifier) =
                (refresh_tokens.clone(), access_tokens.clone(), redirect.clone(), verifier.clone());
            async move {
                let Some(code) = codes.get(i) else { return false };
                let form = [
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", redirect.as_str()),
                    ("code_verifier", verifier.as_str()),
                ];
                let r =
                    http.post(format!("{base}/oidc/token")).basic_auth(&cid, Some(&secret)).form(&form).send().await;
                let Ok(r) = r else { return false };
                let Ok(v) = r.json::<serde_json::Value>().await else { return false };
                let text = |key: &str| v.get(key).and_then(serde_json::Value::as_str);
                match (text("access_token"), text("refresh_token")) {
                    (Some(a), Some(rt)) => {
                        access_tokens.lock().await.push(a.to_string());
                        refresh_tokens.lock().await.push(rt.to_string());
                        true
                    }
                    _ => false,
                }
            }
        }
    };
    let mut rates = [0.0; 3];
    let p = phase("code -> token", connections, codes.len(), duration, exchange).await;
    rates[0] = p.rate();
    p.print();

    let refreshes = Arc::new(refresh_tokens.lock().await.clone());
    let refresh = {
        let (http, base, cid, secret, refreshes) =
            (http.clone(), base.clone(), client.id.clone(), secret.clone(), refreshes.clone());
        move |i: usize| {
            let (http, base, cid, secret, refreshes) =
                (http.clone(), base.clone(), cid.clone(), secret.clone(), refreshes.clone());
            async move {
                let Some(refresh) = refreshes.get(i) else { return false };
                let form = [("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())];
                let r =
                    http.post(format!("{base}/oidc/token")).basic_auth(&cid, Some(&secret)).form(&form).send().await;
                matches!(r, Ok(r) if r.status().is_success())
            }
        }
    };
    let p = phase("refresh grant", connections, refreshes.len(), duration, refresh).await;
    rates[1] = p.rate();
    p.print();

    // Access tokens from the exchange were not revoked by refreshing (rotation replaces refresh
    // tokens only), so they serve the userinfo phase; each is used many times.
    let access = Arc::new(access_tokens.lock().await.clone());
    let userinfo = {
        let (http, base, access) = (http.clone(), base.clone(), access.clone());
        move |i: usize| {
            let (http, base, access) = (http.clone(), base.clone(), access.clone());
            async move {
                let Some(t) = crate::bench::cyclic(&access, i) else { return false };
                let r = http.get(format!("{base}/oidc/userinfo")).bearer_auth(t).send().await;
                matches!(r, Ok(r) if r.status().is_success())
            }
        }
    };
    let p = phase("userinfo", connections, usize::MAX, duration, userinfo).await;
    rates[2] = p.rate();
    p.print();
    running.ctx.access_log.flush().await;
    if let Some(against) = against {
        // dancu's server stays up but idle while Node.js runs: nothing is sent to it.
        println!("\noidc-provider, same codes, connections and time limit:");
        let theirs = tokio::task::spawn_blocking(move || against.run()).await??;
        crate::bench_oidc_provider::print_ratios(&rates, &theirs);
        println!();
    }

    let hasher = identity::PasswordHasher::default();
    let hash = hasher.hash("mat-khau-do-kiem").await?;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let logins = {
        let (hasher, hash) = (hasher.clone(), hash.clone());
        move |_| {
            let (hasher, hash) = (hasher.clone(), hash.clone());
            async move { hasher.verify("mat-khau-do-kiem", Some(&hash)).await }
        }
    };
    let p = phase("argon2id verify", cores * 2, usize::MAX, Duration::from_secs(seconds.min(10)), logins).await;
    let per_core = p.ok() as f64 / p.elapsed.as_secs_f64() / cores as f64;
    p.print();
    println!("password logins per second per core (argon2id 19 MiB, t=2, p=1): {per_core:.1} on {cores} cores");
    Ok(())
}
