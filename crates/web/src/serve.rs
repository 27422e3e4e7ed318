//! The HTTP listener: time limits on every phase of a request, a cap on open connections, and a
//! shutdown that finishes.
//!
//! `axum::serve` has no time limits: a client that sends half a request, or keeps a connection
//! open and idle, holds a socket and a file descriptor for ever, and a thousand such clients lock
//! everyone out. This loop serves each connection with hyper directly so that it can set them:
//!
//! - **headers** must arrive within `header_timeout_seconds`, counted from the moment the server
//!   waits for a request — on a new connection and on a kept-alive one between requests, so the
//!   same limit closes idle keep-alive connections (HTTP/2 connections are pinged instead and
//!   closed when the ping is not answered);
//! - **the body** must keep coming: a pause longer than `body_timeout_seconds` ends the request;
//! - **the whole request** must be answered within `request_timeout_seconds` (408 with the JSON
//!   error body); streaming responses such as the live feed are answered at once and stream on;
//! - **connections** beyond `max_connections` get a 503 `server_busy` with `Retry-After` and are
//!   closed, instead of queueing until descriptors run out.
//!
//! With a [`TlsAcceptor`] every connection is served over TLS (`dancu demo --tls-self-signed`); the
//! handshake runs in the connection's own task under the header time limit, so a client that
//! stalls it holds nothing but its slot.
//!
//! At shutdown the listener closes, server-sent-event streams end (they never finish on their
//! own, and a connection that streams would hold the shutdown for ever), connections that are
//! idle or still sending a request's headers close at once, every connection finishes the request
//! it is handling and closes, and whatever is still open after `shutdown_deadline_seconds` is
//! dropped.

use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures::StreamExt;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use kernel::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
pub use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower::Service;

use crate::error::ApiError;

/// The `[http]` section: limits of the listener.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServeSettings {
    /// Seconds to receive a request's headers, and the longest a kept-alive connection may stay
    /// idle between requests.
    pub header_timeout_seconds: u64,
    /// Longest pause, in seconds, while a request body is being received.
    pub body_timeout_seconds: u64,
    /// Seconds to answer a request, body included (not the streaming of a live feed).
    pub request_timeout_seconds: u64,
    /// Connections served at once; more are answered 503 and closed. Lowered at start-up when
    /// the process may not open that many files.
    pub max_connections: usize,
    /// Seconds that shutdown waits for requests in flight before dropping their connections.
    pub shutdown_deadline_seconds: u64,
}

impl Default for ServeSettings {
    fn default() -> Self {
        ServeSettings {
            header_timeout_seconds: 15,
            body_timeout_seconds: 30,
            request_timeout_seconds: 60,
            max_connections: 4096,
            shutdown_deadline_seconds: 10,
        }
    }
}

impl ServeSettings {
    /// Names of the settings that are zero: every limit must be at least 1.
    pub fn invalid(&self) -> Vec<&'static str> {
        [
            ("header_timeout_seconds", self.header_timeout_seconds),
            ("body_timeout_seconds", self.body_timeout_seconds),
            ("request_timeout_seconds", self.request_timeout_seconds),
            ("max_connections", u64::try_from(self.max_connections).unwrap_or(u64::MAX)),
            ("shutdown_deadline_seconds", self.shutdown_deadline_seconds),
        ]
        .into_iter()
        .filter(|(_, v)| *v == 0)
        .map(|(k, _)| k)
        .collect()
    }
}

/// Serves `app` on `listener` (over TLS when `tls` is given) until `shutdown` completes, then shuts
/// down as the module says.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    settings: &ServeSettings,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let streams = CancellationToken::new();
    let app = limits(app, settings, streams.clone());
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(settings.header_timeout_seconds))
        .max_headers(crate::request_head::HYPER_MAX_HEADERS);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Duration::from_secs(settings.header_timeout_seconds))
        .keep_alive_timeout(Duration::from_secs(settings.header_timeout_seconds));
    let slots = Arc::new(Semaphore::new(settings.max_connections));
    let stop = CancellationToken::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors or a connection reset before it was accepted:
                    // pause briefly so the loop does not spin, then go on.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            connections.spawn(refuse_busy(stream));
            continue;
        };
        let busy = Arc::new(AtomicUsize::new(0));
        let app = app.clone();
        let counter = busy.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let mut app = app.clone();
            let handling = Handling::start(counter.clone());
            async move {
                let response = app.call(req.map(Body::new)).await.unwrap_or_else(|e| match e {});
                drop(handling);
                Ok::<_, Infallible>(response)
            }
        });
        let builder = builder.clone();
        let stop = stop.clone();
        let tls = tls.clone();
        let handshake_limit = Duration::from_secs(settings.header_timeout_seconds);
        connections.spawn(async move {
            let ended = match tls {
                None => run_connection(&builder, stream, service, &busy, &stop).await,
                Some(acceptor) => {
                    let handshake = tokio::select! {
                        done = tokio::time::timeout(handshake_limit, acceptor.accept(stream)) => done,
                        () = stop.cancelled() => return,
                    };
                    match handshake {
                        Ok(Ok(tls_stream)) => run_connection(&builder, tls_stream, service, &busy, &stop).await,
                        Ok(Err(e)) => {
                            tracing::debug!(error = %e, "TLS handshake failed");
                            Ok(())
                        }
                        Err(_) => {
                            tracing::debug!("TLS handshake timed out");
                            Ok(())
                        }
                    }
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    streams.cancel();
    stop.cancel();
    let open = connections.len();
    let deadline = Duration::from_secs(settings.shutdown_deadline_seconds);
    let drained = tokio::time::timeout(deadline, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            open,
            deadline_seconds = settings.shutdown_deadline_seconds,
            "connections dropped at the shutdown deadline"
        );
    }
    connections.shutdown().await;
    Ok(())
}

/// Serves one connection until it ends; when `stop` is cancelled, a connection between requests,
/// or still receiving a request's headers, is closed at once, and one whose request is being
/// handled finishes it first.
async fn run_connection<I, S>(
    builder: &auto::Builder<TokioExecutor>,
    io: I,
    service: S,
    busy: &AtomicUsize,
    stop: &CancellationToken,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<hyper::Request<hyper::body::Incoming>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(connection);
    tokio::select! {
        ended = connection.as_mut() => ended,
        () = stop.cancelled() => {
            if busy.load(Ordering::Acquire) == 0 {
                return Ok(());
            }
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    }
}

/// Counts a request of a connection as being handled while it lives.
struct Handling(Arc<AtomicUsize>);

impl Handling {
    fn start(counter: Arc<AtomicUsize>) -> Handling {
        counter.fetch_add(1, Ordering::AcqRel);
        Handling(counter)
    }
}

impl Drop for Handling {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The request time limits and the shutdown of streams, as layers around the application.
fn limits(app: Router, settings: &ServeSettings, streams: CancellationToken) -> Router {
    let request_timeout = Duration::from_secs(settings.request_timeout_seconds);
    app.layer(middleware::from_fn(move |req: Request, next: Next| {
        let streams = streams.clone();
        async move {
            match tokio::time::timeout(request_timeout, next.run(req)).await {
                Ok(response) => end_streams_at(response, streams),
                Err(_) => ApiError(AppError::new(ErrorCode::RequestTimeout, "request_timeout_seconds")).into_response(),
            }
        }
    }))
    .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(Duration::from_secs(settings.body_timeout_seconds)))
}

/// A server-sent-event response ends when `streams` is cancelled; other responses are untouched.
fn end_streams_at(response: Response, streams: CancellationToken) -> Response {
    let is_stream = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if !is_stream {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = body.into_data_stream().take_until(streams.cancelled_owned());
    Response::from_parts(parts, Body::from_stream(body))
}

/// Answers a connection over the cap with 503 and closes it, without reading the request.
async fn refuse_busy(mut stream: TcpStream) {
    let error = ApiError(AppError::new(ErrorCode::ServerBusy, "max_connections")).into_response();
    let body = match axum::body::to_bytes(error.into_body(), 64 * 1024).await {
        Ok(b) => b,
        Err(_) => return,
    };
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let write = async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body).await?;
        stream.shutdown().await
    };
    // A client that does not read cannot hold the slot-less task for long.
    let _ = tokio::time::timeout(Duration::from_secs(5), write).await;
}
