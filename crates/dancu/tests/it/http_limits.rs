//! The listener's limits against raw sockets: a half-sent request, an idle keep-alive connection
//! and a stalled body are closed after their timeouts; connections over the cap get a JSON 503 and
//! leave room again when they close; shutdown ends a live-feed stream and finishes; SIGTERM stops
//! the real binary while clients hold connections open. The listener does not depend on the
//! storage backend, so these run on SQLite only.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common;

/// Bound on every wait below: far above the configured limits, so a pass never depends on timing,
/// and a limit that does not work fails instead of hanging the suite.
const BOUND: Duration = Duration::from_secs(20);

/// A request to a public JSON endpoint whose body stops after a few of its 100 bytes.
const STALLED_POST: &[u8] = b"POST /api/v1/admin-units/convert HTTP/1.1\r\nHost: dancu\r\n\
    Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"province\":";

async fn server(configure: impl FnOnce(&mut web::ServeSettings)) -> (db::testing::TestDb, common::World) {
    let test_db = db::testing::TestDb::sqlite(&common::migrations()).await;
    let mut settings = dancu::server::local_settings();
    configure(&mut settings.http);
    let w = common::world_with(test_db.db().clone(), 20, false, settings).await;
    (test_db, w)
}

/// Reads until the peer closes the connection; returns what was read and how long it took.
async fn read_to_close(stream: &mut TcpStream) -> (String, Duration) {
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(BOUND, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "the server kept the connection open for {BOUND:?}; read so far: {:?}",
                String::from_utf8_lossy(&out)
            ),
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), start.elapsed())
}

async fn connect(w: &common::World) -> TcpStream {
    TcpStream::connect(w.running.addr).await.unwrap()
}

#[tokio::test]
async fn half_sent_request_is_closed_after_the_header_timeout() {
    let (_db, w) = server(|h| h.header_timeout_seconds = 1).await;
    let mut s = connect(&w).await;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: dancu\r\n").await.unwrap();
    let (answer, took) = read_to_close(&mut s).await;
    assert!(!answer.contains("200 OK"), "a half-sent request was answered: {answer}");
    assert!(took >= Duration::from_millis(900), "closed before the timeout ({took:?}): not the header timer");
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed() {
    let (_db, w) = server(|h| h.header_timeout_seconds = 1).await;
    let mut s = connect(&w).await;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: dancu\r\n\r\n").await.unwrap();
    let (answer, took) = read_to_close(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(!answer.to_ascii_lowercase().contains("connection: close"), "the server did not keep the connection alive");
    assert!(took >= Duration::from_millis(900), "closed before the idle timeout ({took:?})");
}

#[tokio::test]
async fn stalled_body_ends_the_request() {
    let (_db, w) = server(|h| h.body_timeout_seconds = 1).await;
    let mut s = connect(&w).await;
    s.write_all(STALLED_POST).await.unwrap();
    let (answer, took) = read_to_close(&mut s).await;
    assert!(!answer.starts_with("HTTP/1.1 2"), "a request with a stalled body succeeded: {answer}");
    assert!(took >= Duration::from_millis(900), "ended before the body timeout ({took:?})");
}

#[tokio::test]
async fn slow_answer_gets_408_with_the_json_body() {
    let (_db, w) = server(|h| h.request_timeout_seconds = 1).await;
    // The body arrives in time but the request as a whole does not: the first half now, the
    // rest never, while the body timeout (30 s) is far away.
    let mut s = connect(&w).await;
    s.write_all(STALLED_POST).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(BOUND, s.read(&mut buf)).await.expect("no answer").unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");
}

#[tokio::test]
async fn connections_over_the_cap_get_503_and_room_returns() {
    let (_db, w) = server(|h| h.max_connections = 2).await;
    let held = [connect(&w).await, connect(&w).await];
    // Both held connections are accepted before the third: a request on each proves it.
    let mut held = held;
    for s in &mut held {
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: dancu\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 1024];
        let n = tokio::time::timeout(BOUND, s.read(&mut buf)).await.unwrap().unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    }
    let mut third = connect(&w).await;
    let (answer, _) = read_to_close(&mut third).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after: 1"), "{answer}");
    assert!(answer.contains("\"code\":\"server_busy\""), "{answer}");
    assert!(answer.contains("quá tải"), "the message is not in Vietnamese: {answer}");

    drop(held);
    let deadline = Instant::now() + BOUND;
    loop {
        let status = w.http.get(format!("{}/healthz", w.base)).send().await.map(|r| r.status().as_u16());
        if status.as_ref().ok() == Some(&200) {
            break;
        }
        assert!(Instant::now() < deadline, "no room after the held connections closed: {status:?}");
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn shutdown_ends_the_live_feed_and_finishes() {
    let (_db, mut w) = server(|h| h.shutdown_deadline_seconds = 30).await;
    let feed =
        w.http.get(format!("{}/api/v1/lodging/feed", w.base)).bearer_auth(&w.commune_token).send().await.unwrap();
    assert_eq!(feed.status(), 200);
    let mut feed = feed;
    let start = Instant::now();
    w.running.shutdown.cancel();
    let stopped = tokio::time::timeout(BOUND, &mut w.running.handle).await;
    assert!(stopped.is_ok(), "the server did not stop within {BOUND:?} with a live feed open");
    stopped.unwrap().unwrap().unwrap();
    // Well inside the 30 s deadline: the stream was ended, not dropped at the deadline.
    assert!(start.elapsed() < Duration::from_secs(10), "shutdown waited {:?}", start.elapsed());
    let rest = tokio::time::timeout(BOUND, async { while let Ok(Some(_)) = feed.chunk().await {} }).await;
    assert!(rest.is_ok(), "the feed stream did not end");
    assert!(TcpStream::connect(w.running.addr).await.is_err(), "the listener is still open");
}

#[tokio::test]
async fn sigterm_stops_the_binary_while_clients_hold_connections() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dancu"))
        .args(["serve", "--migrate", "--data-dir", dir.path().to_str().unwrap(), "--listen", &listen])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // The server prints its address once it listens.
    let started = tokio::task::spawn_blocking(move || {
        std::io::BufReader::new(stdout).lines().map_while(Result::ok).any(|l| l.contains("listening"))
    });
    let started = tokio::time::timeout(BOUND, started).await;
    if !matches!(started, Ok(Ok(true))) {
        let _ = child.kill();
        panic!("the server did not start: {started:?}");
    }
    let mut buf = [0u8; 1024];
    let mut idle = TcpStream::connect(&listen).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: dancu\r\n\r\n").await.unwrap();
    let n = tokio::time::timeout(BOUND, idle.read(&mut buf)).await.unwrap().unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let mut half = TcpStream::connect(&listen).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: dancu\r\n").await.unwrap();

    let killed = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let start = Instant::now();
    let pid = child.id();
    let waited = tokio::time::timeout(BOUND, tokio::task::spawn_blocking(move || child.wait())).await;
    let Ok(Ok(Ok(status))) = waited else {
        let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        panic!("SIGTERM did not stop the server within {BOUND:?}");
    };
    assert!(status.success(), "exit status {status}");
    // The default deadline is 10 s; held connections must not keep the process that long.
    assert!(start.elapsed() < Duration::from_secs(5), "shutdown took {:?}", start.elapsed());
}

/// A long URL, many headers, and the router's and extractors' own refusals all answer with the
/// platform's error body, their status kept; the limits leave ordinary requests alone.
#[tokio::test]
async fn refusals_of_the_http_machinery_have_the_error_body() {
    let (_db, w) = server(|_| {}).await;
    let json = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        let kind = r.headers()["content-type"].to_str().unwrap().to_string();
        let body: serde_json::Value = r.json().await.unwrap();
        (status, kind, body)
    };
    let long = format!("{}/api/v1/admin-units/provinces?q={}", w.base, "a".repeat(9_000));
    let (status, kind, body) = json(w.http.get(&long).send().await.unwrap()).await;
    assert_eq!((status, kind.as_str()), (414, "application/json"));
    assert_eq!(body["error"]["code"], "uri_too_long");
    let mut many = w.http.get(format!("{}/api/v1/admin-units/provinces", w.base));
    for i in 0..120 {
        many = many.header(format!("x-extra-{i}"), "1");
    }
    let (status, _, body) = json(many.send().await.unwrap()).await;
    assert_eq!(status, 431);
    assert_eq!(body["error"]["code"], "headers_too_large");
    let big = w.http.get(format!("{}/api/v1/admin-units/provinces", w.base)).header("x-big", "b".repeat(40_000));
    let (status, _, body) = json(big.send().await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (431, Some("headers_too_large")));
    // The router's 405 and a missing API route keep their status and get a code.
    let (status, _, body) =
        json(w.http.delete(format!("{}/api/v1/admin-units/provinces", w.base)).send().await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (405, Some("invalid_input")));
    let (status, _, body) = json(w.http.get(format!("{}/api/v1/no-such-thing", w.base)).send().await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    // A person gets a page, not JSON.
    let page = w.http.get(format!("{}/no-such-page", w.base)).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    // Within the limits: answered.
    let ok = w.http.get(format!("{}/api/v1/admin-units/provinces?q={}", w.base, "a".repeat(100))).send().await.unwrap();
    assert_eq!(ok.status(), 200);
}
