use std::collections::HashMap;

use super::*;

fn load_with(file: Option<&str>, env: &[(&str, &str)], flags: Vec<(&'static str, String)>) -> anyhow::Result<Settings> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dancu.toml");
    if let Some(text) = file {
        std::fs::write(&path, text).unwrap();
    }
    let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let lookup = move |name: &str| env.get(name).cloned();
    let sources = Sources { file: file.map(|_| path.as_path()), env: &lookup, flags, default_data_dir: "./dancu-demo" };
    Settings::load(&sources, false)
}

#[test]
fn defaults_are_the_libraries_defaults() {
    let s = load_with(None, &[], Vec::new()).unwrap();
    assert_eq!(s.database_url, "sqlite://./dancu-demo/dancu.db");
    assert_eq!(s.listen, "127.0.0.1:8080");
    assert_eq!(s.oidc, oidc::OidcSettings::default());
    assert_eq!(s.oidc.token_rate_per_minute, 6_000);
    assert_eq!(s.verification.rate_per_minute, 600);
    assert_eq!((s.lodging.hospital_caregivers, s.lodging.venue_retention_days), (2, 30));
    assert_eq!(s.analytics.min_cell, 5);
    assert_eq!(s.log.format, LogFormat::Text);
    assert!(s.telemetry.otlp_endpoint.is_none() && s.services.payment_secret.is_none() && !s.trust_proxy);
}

#[test]
fn flags_override_environment_which_overrides_the_file() {
    let file = "listen = \"0.0.0.0:9000\"\ndata_dir = \"/srv/dancu\"\n[lodging]\nhospital_caregivers = 4\n\
                venue_retention_days = 10\n[oidc]\ntoken_rate_per_minute = 50\n";
    let s = load_with(
        Some(file),
        &[("DANCU_LISTEN", "127.0.0.1:2"), ("DANCU_HOSPITAL_CAREGIVERS", "3")],
        vec![("listen", "127.0.0.1:1".into())],
    )
    .unwrap();
    assert_eq!(s.listen, "127.0.0.1:1");
    assert_eq!(s.lodging.hospital_caregivers, 3);
    assert_eq!(s.lodging.venue_retention_days, 10);
    assert_eq!(s.oidc.token_rate_per_minute, 50);
    assert_eq!(s.database_url, "sqlite:///srv/dancu/dancu.db");
}

#[test]
fn every_environment_variable_reaches_its_setting() {
    let csca = tempfile::tempdir().unwrap();
    let csca_dir = csca.path().to_str().unwrap();
    let env = [
        ("DANCU_DATABASE_URL", "postgres://app@127.0.0.1/dancu"),
        ("DANCU_LISTEN", "127.0.0.1:9"),
        ("DANCU_DATA_DIR", "/var/lib/dancu"),
        ("DANCU_PUBLIC_URL", "https://dancu.example.vn/"),
        ("DANCU_TRUST_PROXY", "1"),
        ("DANCU_METRICS_TOKEN", "metrics-token-0123456789"),
        ("DANCU_MAX_CONNECTIONS", "12"),
        ("DANCU_LOG", "debug"),
        ("DANCU_LOG_FORMAT", "json"),
        ("DANCU_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
        ("DANCU_SECURITY_SYSLOG", "tcp://soc.example.vn:6514"),
        ("DANCU_SECURITY_PSEUDONYM_KEY", "pseudonym-key-0123456789abcdef-0123"),
        ("DANCU_OIDC_TOKEN_RATE_PER_MINUTE", "7"),
        ("DANCU_CSCA_DIR", csca_dir),
        ("DANCU_VERIFY_RATE_PER_MINUTE", "8"),
        ("DANCU_NATS_URL", "nats://127.0.0.1:4222"),
        ("DANCU_HOSPITAL_CAREGIVERS", "9"),
        ("DANCU_VENUE_RETENTION_DAYS", "10"),
        ("DANCU_PAYMENT_SECRET", "0123456789abcdef0123"),
        ("DANCU_ANALYTICS_MIN_CELL", "11"),
    ];
    assert_eq!(env.len(), ENV.len(), "a variable of the table is not tested");
    let s = load_with(None, &env, Vec::new()).unwrap();
    assert_eq!(s.database_url, "postgres://app@127.0.0.1/dancu");
    assert_eq!(s.listen, "127.0.0.1:9");
    assert_eq!(s.data_dir, PathBuf::from("/var/lib/dancu"));
    assert_eq!(s.public_url.as_deref(), Some("https://dancu.example.vn"));
    assert!(s.trust_proxy);
    assert_eq!(s.http.max_connections, 12);
    assert_eq!(s.metrics_token.as_deref(), Some("metrics-token-0123456789"));
    assert_eq!((s.log.filter.as_str(), s.log.format), ("debug", LogFormat::Json));
    assert_eq!(s.telemetry.otlp_endpoint.as_deref(), Some("http://127.0.0.1:4318"));
    assert_eq!(s.security_events.syslog.as_deref(), Some("tcp://soc.example.vn:6514"));
    assert_eq!(s.security_events.pseudonym_key.as_deref(), Some("pseudonym-key-0123456789abcdef-0123"));
    assert_eq!(s.oidc.token_rate_per_minute, 7);
    assert_eq!(s.verification.csca_dir.as_deref(), Some(csca.path()));
    assert_eq!(s.verification.rate_per_minute, 8);
    assert_eq!(s.lodging.nats_url.as_deref(), Some("nats://127.0.0.1:4222"));
    assert_eq!((s.lodging.hospital_caregivers, s.lodging.venue_retention_days), (9, 10));
    assert_eq!(s.services.payment_secret.as_deref(), Some("0123456789abcdef0123"));
    assert_eq!(s.analytics.min_cell, 11);
}

#[test]
fn empty_variables_count_as_unset_and_bad_ones_are_all_reported() {
    let s = load_with(None, &[("DANCU_NATS_URL", ""), ("DANCU_PUBLIC_URL", "")], Vec::new()).unwrap();
    assert!(s.lodging.nats_url.is_none() && s.public_url.is_none());
    let err = load_with(None, &[("DANCU_VERIFY_RATE_PER_MINUTE", "nhiều"), ("DANCU_TRUST_PROXY", "maybe")], Vec::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("DANCU_VERIFY_RATE_PER_MINUTE: expected a whole number, got \"nhiều\""), "{err}");
    assert!(err.contains("DANCU_TRUST_PROXY: expected 1, true, 0 or false"), "{err}");
}

#[test]
fn unknown_keys_are_refused_with_their_name() {
    let err = load_with(Some("listne = \"x\""), &[], Vec::new()).unwrap_err().to_string();
    assert!(err.contains("listne"), "{err}");
    let err = load_with(Some("[lodging]\nnats = \"nats://127.0.0.1\""), &[], Vec::new()).unwrap_err().to_string();
    assert!(err.contains("nats"), "{err}");
    let err = load_with(Some("[paymnets]\nsecret = \"x\""), &[], Vec::new()).unwrap_err().to_string();
    assert!(err.contains("paymnets"), "{err}");
}

#[test]
fn validation_lists_every_problem_with_its_variable() {
    let file = "public_url = \"http://dancu.example.vn\"\n[services]\npayment_secret = \"short\"\n\
                [oidc]\ntoken_rate_per_minute = 0\n[verification]\nrate_per_minute = 0\n\
                [lodging]\nhospital_caregivers = 0\n[log]\nfilter = \"info,=[\"\n\
                [http]\nrequest_timeout_seconds = 0\nmax_connections = 0\n\
                [security_events]\nsyslog = \"udp://soc\"\npseudonym_key = \"ngan\"\n\
                [retention]\nsecurity_event_days = 0\n[retention.access_log_days_by_purpose]\nlodging = 0\n";
    let err = load_with(Some(file), &[], Vec::new()).unwrap_err().to_string();
    for expected in [
        "services.payment_secret (DANCU_PAYMENT_SECRET): must be at least 16 characters, has 5",
        "oidc.token_rate_per_minute (DANCU_OIDC_TOKEN_RATE_PER_MINUTE): must be at least 1",
        "verification.rate_per_minute (DANCU_VERIFY_RATE_PER_MINUTE): must be at least 1",
        "lodging.hospital_caregivers (DANCU_HOSPITAL_CAREGIVERS): must be at least 1",
        "public_url (DANCU_PUBLIC_URL): must be https:// outside loopback addresses",
        "log.filter (DANCU_LOG): not a valid filter",
        "http.request_timeout_seconds: must be at least 1",
        "http.max_connections (DANCU_MAX_CONNECTIONS): must be at least 1",
        "security_events.syslog (DANCU_SECURITY_SYSLOG): must be udp://HOST:PORT or tcp://HOST:PORT",
        "security_events.pseudonym_key (DANCU_SECURITY_PSEUDONYM_KEY): must be at least 32 bytes, has 4",
        "retention.security_event_days: must be at least 1",
        "retention.access_log_days_by_purpose.lodging: must be at least 1",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in {err}");
    }
}

#[test]
fn plain_http_is_accepted_on_loopback_and_in_the_demo() {
    for ok in ["http://127.0.0.1:8080", "http://localhost:8080/", "http://[::1]:1", "https://dancu.example.vn"] {
        assert!(check_public_url(ok, false).is_ok(), "{ok}");
    }
    assert!(check_public_url("http://192.168.1.10:8080", false).is_err());
    assert!(check_public_url("http://192.168.1.10:8080", true).is_ok());
    assert!(check_public_url("ftp://dancu.example.vn", true).is_err());
    assert!(check_public_url("dancu.example.vn", true).is_err());
}

#[test]
fn printing_masks_secrets_and_reads_back() {
    let s = load_with(
        None,
        &[
            ("DANCU_PAYMENT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("DANCU_DATABASE_URL", "postgres://app:pw@db/dancu"),
            ("DANCU_SECURITY_PSEUDONYM_KEY", "khoa-bi-danh-0123456789-abcdefghij"),
        ],
        Vec::new(),
    )
    .unwrap();
    let text = s.printable().unwrap();
    assert!(!text.contains("0123456789abcdef") && !text.contains(":pw@"), "{text}");
    assert!(text.contains("payment_secret = \"*** (32 chars)\""), "{text}");
    assert!(text.contains("postgres://app:***@db/dancu"), "{text}");
    assert!(!text.contains("khoa-bi-danh") && text.contains("pseudonym_key = \"*** (34 chars)\""), "{text}");
    assert!(text.contains("# public_url: not set"), "{text}");
    let back: Settings = toml::from_str(&text).unwrap();
    assert_eq!(back.lodging, s.lodging);
    assert_eq!(back.identity, s.identity);
    assert!(!format!("{s:?}").contains("0123456789abcdef"), "Debug shows the secret");
    assert!(!format!("{s:?}").contains("khoa-bi-danh"), "Debug shows the pseudonym key");
}

#[test]
fn check_file_refuses_a_missing_file() {
    let err = check_file(Path::new("/nonexistent/dancu.toml")).unwrap_err().to_string();
    assert!(err.contains("cannot read /nonexistent/dancu.toml"), "{err}");
}
