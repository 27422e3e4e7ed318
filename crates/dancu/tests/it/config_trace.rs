//! The built binary with a configuration file: `config check` refuses a bad file with every
//! message, `serve --print-config` masks secrets, and a served request is traced end to end —
//! `X-Request-Id` returned (a trusted proxy's id kept, an untrusted client's replaced) and a JSON
//! log line carrying the request id and route template but no personal id or token. With an OTLP
//! endpoint configured, the spans and the request metrics reach a collector (a recording one on
//! loopback here) by the time the server has stopped.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

const PERSONAL_ID: &str = "008190012345";
const TOKEN: &str = "dct_not-a-real-token-but-secret";

fn dancu() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dancu"));
    for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with("DANCU_")) {
        c.env_remove(var);
    }
    c
}

fn write_config(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("dancu.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn config_check_lists_every_problem_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write_config(
        dir.path(),
        "public_url = \"http://dancu.example.vn\"\n[services]\npayment_secret = \"short\"\n[oidc]\ntoken_rate_per_minute = 0\n",
    );
    let out = dancu().args(["config", "check"]).arg(&bad).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a bad file must fail");
    assert!(stderr.contains("services.payment_secret (DANCU_PAYMENT_SECRET): must be at least 16"), "{stderr}");
    assert!(stderr.contains("oidc.token_rate_per_minute"), "{stderr}");
    assert!(stderr.contains("public_url (DANCU_PUBLIC_URL): must be https://"), "{stderr}");

    let unknown = write_config(dir.path(), "[lodging]\nnats = \"nats://127.0.0.1:4222\"\n");
    let out = dancu().args(["config", "check"]).arg(&unknown).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `nats`"));

    let good = write_config(dir.path(), "[lodging]\nnats_url = \"nats://127.0.0.1:4222\"\n");
    let out = dancu().args(["config", "check"]).arg(&good).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn print_config_shows_every_layer_with_secrets_masked() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(dir.path(), "listen = \"127.0.0.1:9999\"\n[lodging]\nhospital_caregivers = 4\n");
    let out = dancu()
        .args(["serve", "--print-config", "--config"])
        .arg(&file)
        .env("DANCU_PAYMENT_SECRET", "0123456789abcdef0123456789abcdef")
        .env("DANCU_HOSPITAL_CAREGIVERS", "3")
        .env("DANCU_DATABASE_URL", "postgres://app:hunter2@127.0.0.1/dancu")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: toml::Table = toml::from_str(&stdout).unwrap();
    assert_eq!(printed["listen"].as_str(), Some("127.0.0.1:9999"));
    assert_eq!(printed["lodging"]["hospital_caregivers"].as_integer(), Some(3));
    assert_eq!(printed["services"]["payment_secret"].as_str(), Some("*** (32 chars)"));
    assert_eq!(printed["database_url"].as_str(), Some("postgres://app:***@127.0.0.1/dancu"));
    assert!(!stdout.contains("0123456789abcdef") && !stdout.contains("hunter2"), "{stdout}");

    let out = dancu().args(["serve", "--print-config"]).env("DANCU_PAYMENT_SECRET", "short").output().unwrap();
    assert!(!out.status.success(), "a short payment secret is refused, not ignored");
}

/// A server process with JSON logs on stderr; its address is read from its first line of output.
struct Server {
    child: Child,
    base: String,
    /// Kept open: the server may write more to its standard output.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Server {
    fn start(dir: &std::path::Path, trust_proxy: bool) -> Server {
        Server::with_config(
            dir,
            &format!(
                "listen = \"127.0.0.1:0\"\ntrust_proxy = {trust_proxy}\n[log]\nformat = \"json\"\n\
                 filter = \"warn,web::trace=debug\"\n"
            ),
        )
    }

    fn with_config(dir: &std::path::Path, text: &str) -> Server {
        let config = write_config(dir, text);
        let mut child = dancu()
            .args(["serve", "--migrate", "--data-dir"])
            .arg(dir)
            .arg("--config")
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line.trim().strip_prefix("dancu listening on ").unwrap_or_else(|| panic!("unexpected: {line}"));
        Server { child, base: addr.to_string(), _stdout: stdout }
    }

    /// Stops the server as a service manager does (SIGTERM) and waits until it has exited.
    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        self.child.wait().unwrap()
    }

    /// Stops the server and returns what it logged.
    fn logs(mut self) -> String {
        self.child.kill().unwrap();
        let mut text = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut text).unwrap();
        self.child.wait().unwrap();
        text
    }
}

async fn get(base: &str, path: &str, request_id: Option<&str>) -> (u16, String) {
    let mut req = reqwest::Client::new().get(format!("{base}{path}")).bearer_auth(TOKEN);
    if let Some(id) = request_id {
        req = req.header("x-request-id", id);
    }
    let r = req.send().await.unwrap();
    let id = r.headers().get("x-request-id").expect("X-Request-Id returned").to_str().unwrap().to_string();
    (r.status().as_u16(), id)
}

fn is_uuid_v7(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok_and(|u| u.get_version_num() == 7)
}

#[tokio::test]
async fn request_ids_and_json_logs() {
    let trusted_dir = tempfile::tempdir().unwrap();
    let untrusted_dir = tempfile::tempdir().unwrap();
    let trusted = Server::start(trusted_dir.path(), true);
    let untrusted = Server::start(untrusted_dir.path(), false);
    let person = format!("/api/v1/persons/{PERSONAL_ID}?purpose=investigation");

    // Made by the server when none is sent.
    let (status, made) = get(&trusted.base, &person, None).await;
    assert_eq!(status, 401);
    assert!(is_uuid_v7(&made), "{made}");
    // A trusted proxy's id is kept; one that is not plain short text is replaced.
    let (_, kept) = get(&trusted.base, &person, Some("proxy-7f3a.1")).await;
    assert_eq!(kept, "proxy-7f3a.1");
    let (_, replaced) = get(&trusted.base, &person, Some("x\" injected=1")).await;
    assert!(is_uuid_v7(&replaced), "{replaced}");
    // From an untrusted client the id is always the server's.
    let (_, untrusted_id) = get(&untrusted.base, &person, Some("chosen-by-client")).await;
    assert!(is_uuid_v7(&untrusted_id), "{untrusted_id}");
    // Unmatched paths get one too.
    let (status, _) = get(&untrusted.base, &format!("/no-such-page/{PERSONAL_ID}"), None).await;
    assert_eq!(status, 404);

    let logs = trusted.logs();
    let untrusted_logs = untrusted.logs();
    for text in [&logs, &untrusted_logs] {
        assert!(!text.contains(PERSONAL_ID), "a personal id reached the logs:\n{text}");
        assert!(!text.contains(TOKEN), "a token reached the logs:\n{text}");
    }
    let lines: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let finished = |id: &str| {
        lines
            .iter()
            .find(|l| l["fields"]["message"] == "request finished" && l["span"]["request_id"] == id)
            .unwrap_or_else(|| panic!("no log line of request {id} in:\n{logs}"))
            .clone()
    };
    for id in [&made, &kept] {
        let line = finished(id);
        assert_eq!(line["span"]["route"], "/api/v1/persons/{id}", "{line}");
        assert_eq!(line["span"]["method"], "GET", "{line}");
        assert_eq!(line["fields"]["status"], 401, "{line}");
        assert!(line["fields"]["histogram.http_request_duration_ms"].as_f64().is_some(), "{line}");
    }
    let unmatched = untrusted_logs.lines().find(|l| l.contains("\"status\":404")).expect("the 404 is logged");
    assert!(unmatched.contains("\"route\":\"unmatched\""), "{unmatched}");
}

/// What a collector received: (path, body) of each export.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, Vec<u8>)>>>;

/// A minimal OTLP/HTTP collector on loopback that keeps every export it is sent.
async fn collector() -> (String, Received) {
    let received = Received::default();
    let store = received.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri, body: axum::body::Bytes| {
        let store = store.clone();
        async move {
            store.lock().unwrap().push((uri.path().to_string(), body.to_vec()));
            axum::http::StatusCode::OK
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), received)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

// Two workers: the collector must answer while the test thread waits for the server to exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_and_metrics_reach_an_otlp_collector() {
    let (endpoint, received) = collector().await;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_config(
        dir.path(),
        &format!(
            "listen = \"127.0.0.1:0\"\n[log]\nfilter = \"warn\"\n[telemetry]\notlp_endpoint = \"{endpoint}\"\n\
             service_name = \"dancu-test\"\n"
        ),
    );
    let (status, _) = get(&server.base, &format!("/api/v1/persons/{PERSONAL_ID}"), None).await;
    assert_eq!(status, 401);
    let exit = server.terminate();
    assert!(exit.success(), "{exit:?}");

    let received = received.lock().unwrap();
    let traces: Vec<&Vec<u8>> = received.iter().filter(|(p, _)| p == "/v1/traces").map(|(_, b)| b).collect();
    let metrics: Vec<&Vec<u8>> = received.iter().filter(|(p, _)| p == "/v1/metrics").map(|(_, b)| b).collect();
    assert!(
        traces.iter().any(|b| contains(b, "/api/v1/persons/{id}") && contains(b, "dancu-test")),
        "no request span among {} trace exports",
        traces.len()
    );
    assert!(metrics.iter().any(|b| contains(b, "http_request_duration_ms")), "no request metric exported");
    for (_, body) in received.iter() {
        assert!(!contains(body, PERSONAL_ID) && !contains(body, TOKEN), "exported data holds a personal id or token");
    }
}
