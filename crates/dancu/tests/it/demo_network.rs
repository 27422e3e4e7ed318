//! The demo shown on a network: `dancu demo --listen 0.0.0.0:0 --tls-self-signed` serves HTTPS
//! with a certificate made at start whose fingerprint it prints; a client that pins that
//! fingerprint signs in with a demo password (the `__Host-` cookies are Secure), every account of
//! `demo-accounts.json` has an API token that works for its role, and the links the demo wrote
//! (the hotel owner's invitation) name the address it serves. Without `--tls-self-signed` a
//! network address is refused at once with the way out, and `serve` stays https-only there.

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use hyper::header::{CONTENT_TYPE, COOKIE, HOST, LOCATION, SET_COOKIE};
use hyper_util::rt::TokioIo;
use tokio_rustls::rustls;

use crate::common::hidden;

/// An HTTPS client that trusts one certificate: the one whose SHA-256 the demo printed.
#[derive(Clone)]
struct Pinned {
    config: Arc<rustls::ClientConfig>,
    /// Where to connect (the demo listens on every address; loopback reaches it).
    connect: std::net::SocketAddr,
    /// The printed URL's host and port, for SNI and the `Host` header.
    host: String,
    authority: String,
}

#[derive(Debug)]
struct PinVerifier {
    fingerprint: String,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if dancu::tls::fingerprint(end_entity) == self.fingerprint {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("certificate does not match the printed fingerprint".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

struct Answer {
    status: u16,
    headers: hyper::HeaderMap,
    body: String,
}

impl Pinned {
    fn new(url: &url::Url, fingerprint: &str) -> Pinned {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = PinVerifier { fingerprint: fingerprint.to_string(), provider: provider.clone() };
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        let port = url.port().unwrap();
        let host = url.host_str().unwrap().trim_start_matches('[').trim_end_matches(']').to_string();
        Pinned {
            config: Arc::new(config),
            connect: ([127, 0, 0, 1], port).into(),
            host,
            authority: format!("{}:{port}", url.host_str().unwrap()),
        }
    }

    /// One request on a new TLS connection.
    async fn send(&self, method: &str, path: &str, headers: &[(&str, String)], body: Option<String>) -> Answer {
        let tcp = tokio::net::TcpStream::connect(self.connect).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from(self.host.clone()).unwrap();
        let tls = tokio_rustls::TlsConnector::from(self.config.clone()).connect(name, tcp).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.unwrap();
        tokio::spawn(connection);
        let mut req = hyper::Request::builder().method(method).uri(path).header(HOST, &self.authority);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let req = req.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap();
        let resp = sender.send_request(req).await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(Body::new(resp.into_body()), 16 << 20).await.unwrap();
        Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    async fn get_json(&self, token: &str, path: &str) -> (u16, serde_json::Value) {
        let a = self.send("GET", path, &[("authorization", format!("Bearer {token}"))], None).await;
        (a.status, serde_json::from_str(&a.body).unwrap_or(serde_json::Value::Null))
    }
}

fn cookies(a: &Answer) -> HashMap<String, (String, String)> {
    a.headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| {
            let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = pair.split_once('=')?;
            Some((k.to_string(), (val.to_string(), attrs.to_string())))
        })
        .collect()
}

/// A GET each demo role may make with its API token.
fn call_of(role: &str) -> &'static str {
    match role {
        "admin" => "/api/v1/admin/security-events",
        "provincial_officer" => "/api/v1/quality/report",
        "commune_police" => "/api/v1/lodging/notifications",
        "desk_officer" => "/api/v1/services/inbox",
        "leader" => "/api/v1/analytics/population",
        "working_group" => "/api/v1/programs/units",
        "unit_focal" => "/api/v1/programs/registrations",
        "citizen" => "/api/v1/services/applications/mine",
        "org_staff" => "/api/v1/lodging/facilities",
        "traffic_police" => "/api/v1/me",
        other => panic!("no call for role {other}"),
    }
}

/// Starts the demo with `args` and returns what it printed up to "Ctrl-C" (or until it exited).
fn start_demo(data: &str, args: &[&str]) -> (std::process::Child, tokio::task::JoinHandle<String>) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dancu"))
        .args(["demo", "--people", "300", "--data-dir", data])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let printed = tokio::task::spawn_blocking(move || {
        let mut out = String::new();
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            out.push_str(&line);
            out.push('\n');
            if line.contains("Ctrl-C") {
                return out;
            }
        }
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            out.push_str(&line);
            out.push('\n');
        }
        out
    });
    (child, printed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_on_the_network_serves_https_with_the_printed_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();

    // Plain http on a network address: refused before any work, with the way out.
    let (mut child, printed) = start_demo(&data, &["--listen", "0.0.0.0:0"]);
    let printed = tokio::time::timeout(Duration::from_secs(120), printed).await.expect("the demo hung").unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "plain http on 0.0.0.0 was served:\n{printed}");
    assert!(printed.contains("--tls-self-signed"), "{printed}");
    assert!(!dir.path().join("demo-accounts.json").exists(), "the refused demo wrote accounts");

    let (mut child, printed) = start_demo(&data, &["--listen", "0.0.0.0:0", "--tls-self-signed"]);
    let printed = tokio::time::timeout(Duration::from_secs(300), printed).await;
    let outcome = async {
        let printed = printed.expect("the demo did not get ready").unwrap();
        assert!(printed.contains("Ctrl-C"), "the demo stopped early:\n{printed}");
        let base = printed
            .lines()
            .find_map(|l| l.strip_prefix("dancu demo: "))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("no URL printed:\n{printed}"))
            .trim_end_matches('/')
            .to_string();
        let url = url::Url::parse(&base).unwrap();
        assert_eq!(url.scheme(), "https", "{printed}");
        assert_ne!(url.host_str(), Some("0.0.0.0"), "the unspecified address is not a URL colleagues can open");
        assert_ne!(url.port(), Some(0));
        let fingerprint = printed
            .lines()
            .find_map(|l| l.trim().strip_prefix("SHA-256: "))
            .unwrap_or_else(|| panic!("no fingerprint printed:\n{printed}"))
            .trim()
            .to_string();
        // Every printed link names the address served, none the default port or localhost.
        for line in printed.lines().filter(|l| l.contains("://")) {
            assert!(line.contains(&base), "a printed link ignores --listen: {line}");
        }

        let client = Pinned::new(&url, &fingerprint);
        // A wrong pin fails the handshake: the fingerprint is what is checked.
        let wrong = Pinned::new(&url, &fingerprint.replace(|c: char| c.is_ascii_digit(), "0"));
        let tcp = tokio::net::TcpStream::connect(wrong.connect).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from(wrong.host.clone()).unwrap();
        assert!(tokio_rustls::TlsConnector::from(wrong.config.clone()).connect(name, tcp).await.is_err());

        let accounts: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("demo-accounts.json")).unwrap()).unwrap();
        assert!(accounts.len() >= 14, "{} accounts", accounts.len());

        // Sign in with a password over TLS, as a colleague's browser would.
        let officer = accounts.iter().find(|a| a["role"] == "commune_police").unwrap();
        let page = client.send("GET", "/login", &[], None).await;
        assert_eq!(page.status, 200);
        let form_cookie = cookies(&page).into_iter().find(|(k, _)| k == "__Host-dancu_login").unwrap().1 .0;
        let form = serde_urlencoded::to_string([
            ("csrf", hidden(&page.body, "csrf")),
            ("login", officer["login"].as_str().unwrap().to_string()),
            ("password", officer["password"].as_str().unwrap().to_string()),
        ])
        .unwrap();
        let headers = [
            (CONTENT_TYPE.as_str(), "application/x-www-form-urlencoded".to_string()),
            (COOKIE.as_str(), format!("__Host-dancu_login={form_cookie}")),
        ];
        let signed_in = client.send("POST", "/login", &headers, Some(form)).await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        assert!(signed_in.headers.get(LOCATION).is_some());
        let (session, attrs) = cookies(&signed_in).remove("__Host-dancu_session").expect("a session cookie");
        assert!(attrs.contains("Secure"), "{attrs}");
        let me = client
            .send("GET", "/api/v1/me", &[(COOKIE.as_str(), format!("__Host-dancu_session={session}"))], None)
            .await;
        assert_eq!(me.status, 200, "{}", me.body);
        assert!(me.body.contains(officer["login"].as_str().unwrap()), "{}", me.body);

        // Every account's token works, for a call its role may make.
        for a in &accounts {
            let token = a["api_token"].as_str().unwrap_or_default();
            assert!(!token.is_empty(), "{} ({}) has no API token", a["login"], a["role"]);
            let (s, me) = client.get_json(token, "/api/v1/me").await;
            assert_eq!(s, 200, "{}: {me}", a["login"]);
            assert_eq!(me["role"], a["role"], "{}", a["login"]);
            let path = call_of(a["role"].as_str().unwrap());
            let (s, body) = client.get_json(token, path).await;
            assert_eq!(s, 200, "{} ({}) at {path}: {body}", a["login"], a["role"]);
        }
        base
    };
    let outcome = tokio::time::timeout(Duration::from_secs(300), outcome).await;
    let _ = child.kill();
    let _ = child.wait();
    let base = outcome.expect("the checks over TLS hung");

    // The hotel owner's invitation, written before the server started, names the served address.
    let db = db::Db::connect(&format!("sqlite://{data}/dancu.db")).await.unwrap();
    let bodies: Vec<String> = db::sqlx::query_scalar("SELECT body FROM sms_outbox WHERE body LIKE '%/org/invite/%'")
        .fetch_all(db.read())
        .await
        .unwrap();
    assert!(!bodies.is_empty());
    for b in bodies {
        assert!(b.contains(&format!("{base}/org/invite/")), "{b}");
    }
}

/// `serve` on a network address without an `https://` public URL (its TLS proxy's) is refused
/// before it serves anything.
#[tokio::test]
async fn serve_refuses_plain_http_on_a_network_address() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_dancu"))
            .args(["serve", "--migrate", "--listen", "0.0.0.0:0", "--data-dir", &data])
            .env_remove("DANCU_PUBLIC_URL")
            .env_remove("DANCU_CONFIG")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "plain http on 0.0.0.0 was served");
    assert!(stderr.contains("DANCU_PUBLIC_URL") && stderr.contains("https://"), "{stderr}");
}
