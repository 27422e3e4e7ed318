//! Where the security events of `audit::security` go besides the database: the SOC's syslog
//! receiver as RFC 5424 messages (UDP datagrams, or TCP with octet-counting framing, RFC 6587),
//! and the OpenTelemetry collector as log records. Settings are the `[security_events]` section.
//!
//! Messages are formatted by `syslog_fmt` (header, structured-data escaping, UTF-8 BOM); the
//! transport is ours. Each message carries the SD element `dancu@32473` (32473 is the example
//! enterprise number of RFC 5612) with the kind, outcome, pseudonymised subject, client address,
//! route template and request id; the MSGID is the kind and the MSG the coded detail.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use audit::security::{Export, Pseudonymizer, SecurityRecord};
use opentelemetry::logs::{AnyValue, LogRecord, Logger, LoggerProvider, Severity as OtelSeverity};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::logs::{SdkLogger, SdkLoggerProvider};
use serde::{Deserialize, Serialize};
use syslog_fmt::v5424;

/// The structured-data id of the events: a name at the documentation enterprise number.
pub const SD_ID: &str = "dancu@32473";

/// How long a TCP connect or write to the receiver may take before the batch is given up.
const TCP_TIMEOUT: Duration = Duration::from_secs(2);

/// The `[security_events]` section.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityEventSettings {
    /// The SOC's syslog receiver, `udp://HOST:PORT` or `tcp://HOST:PORT`; none = not sent.
    pub syslog: Option<String>,
    /// Secret key of the subjects' pseudonyms (HMAC-SHA256), at least 32 characters. None = a
    /// random key generated once and kept in the database (table `security_keys`).
    pub pseudonym_key: Option<String>,
    /// Also send each event as an OpenTelemetry log record when `telemetry.otlp_endpoint` is set.
    pub otlp: bool,
}

impl Default for SecurityEventSettings {
    fn default() -> Self {
        SecurityEventSettings { syslog: None, pseudonym_key: None, otlp: true }
    }
}

impl std::fmt::Debug for SecurityEventSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityEventSettings")
            .field("syslog", &self.syslog)
            .field("pseudonym_key", &self.pseudonym_key.as_ref().map(|_| "***"))
            .field("otlp", &self.otlp)
            .finish()
    }
}

/// How the syslog receiver is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Udp(String),
    Tcp(String),
}

impl Transport {
    /// Reads `udp://HOST:PORT` or `tcp://HOST:PORT`.
    pub fn parse(s: &str) -> Result<Transport, String> {
        let (scheme, addr) =
            s.split_once("://").ok_or_else(|| format!("must be udp://HOST:PORT or tcp://HOST:PORT, got {s:?}"))?;
        let ok = addr.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        match (scheme, ok) {
            ("udp", true) => Ok(Transport::Udp(addr.to_string())),
            ("tcp", true) => Ok(Transport::Tcp(addr.to_string())),
            _ => Err(format!("must be udp://HOST:PORT or tcp://HOST:PORT, got {s:?}")),
        }
    }
}

impl SecurityEventSettings {
    /// Unusable values, as (setting, why).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(Err(why)) = self.syslog.as_deref().map(Transport::parse) {
            out.push(("syslog", why));
        }
        if let Some(key) = &self.pseudonym_key {
            let n = key.len();
            if n < audit::security::MIN_KEY_LEN {
                out.push((
                    "pseudonym_key",
                    format!("must be at least {} bytes, has {n}", audit::security::MIN_KEY_LEN),
                ));
            }
        }
        out
    }
}

/// The pseudonymizer of the configured key, else of the key kept in the database.
pub async fn pseudonymizer(db: &db::Db, settings: &SecurityEventSettings) -> anyhow::Result<Pseudonymizer> {
    let key = match &settings.pseudonym_key {
        Some(k) => k.as_bytes().to_vec(),
        None => audit::security::stored_key(db).await?,
    };
    Ok(Pseudonymizer::new(&key)?)
}

/// The exporters the settings ask for.
pub fn exporters(
    settings: &SecurityEventSettings,
    telemetry: &crate::config::TelemetrySettings,
    hostname: &str,
) -> anyhow::Result<Vec<Arc<dyn Export>>> {
    let mut out: Vec<Arc<dyn Export>> = Vec::new();
    if let Some(target) = &settings.syslog {
        let transport = Transport::parse(target).map_err(|e| anyhow::anyhow!("security_events.syslog: {e}"))?;
        out.push(Arc::new(Syslog::new(transport, hostname)?));
    }
    if let (true, Some(endpoint)) = (settings.otlp, &telemetry.otlp_endpoint) {
        out.push(Arc::new(OtelLogs::new(endpoint, &telemetry.service_name)?));
    }
    Ok(out)
}

/// RFC 5424 messages to a syslog receiver.
pub struct Syslog {
    formatter: v5424::Formatter,
    transport: Transport,
    udp: Option<UdpSocket>,
    /// The TCP connection, opened on first use and again after a failure.
    tcp: Mutex<Option<TcpStream>>,
}

impl Syslog {
    pub fn new(transport: Transport, hostname: &str) -> anyhow::Result<Syslog> {
        let udp = match &transport {
            Transport::Udp(addr) => {
                let to = addr.to_socket_addrs()?.next().ok_or_else(|| anyhow::anyhow!("{addr} has no address"))?;
                let local = if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
                let socket = UdpSocket::bind(local)?;
                socket.connect(to)?;
                Some(socket)
            }
            Transport::Tcp(_) => None,
        };
        let proc_id = std::process::id().to_string();
        let formatter = v5424::Config {
            facility: syslog_fmt::Facility::Authpriv,
            hostname: Some(hostname),
            app_name: Some("dancu"),
            proc_id: Some(&proc_id),
        }
        .into_formatter();
        Ok(Syslog { formatter, transport, udp, tcp: Mutex::new(None) })
    }

    /// One event as an RFC 5424 message.
    pub fn format(&self, e: &SecurityRecord) -> std::io::Result<Vec<u8>> {
        let severity = syslog_fmt::Severity::try_from(e.severity.code()).unwrap_or(syslog_fmt::Severity::Notice);
        let time = chrono::DateTime::from_timestamp_millis(e.at)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        let timestamp = time.map_or(v5424::Timestamp::None, v5424::Timestamp::PreformattedString);
        let params = [
            ("kind", e.kind.as_str()),
            ("outcome", e.outcome.as_str()),
            ("subject", e.subject.as_str()),
            ("client", e.client.as_str()),
            ("route", e.route.as_str()),
            ("request_id", e.request_id.as_str()),
        ];
        let mut out = Vec::with_capacity(256);
        self.formatter.write_with_data(
            &mut out,
            severity,
            timestamp,
            e.detail.as_str(),
            Some(e.kind.as_str()),
            [(SD_ID, params)],
        )?;
        Ok(out)
    }

    fn send(&self, events: &[SecurityRecord]) -> std::io::Result<()> {
        match (&self.transport, &self.udp) {
            (Transport::Udp(_), Some(socket)) => {
                for e in events {
                    socket.send(&self.format(e)?)?;
                }
                Ok(())
            }
            (Transport::Tcp(addr), _) => {
                let mut framed = Vec::new();
                for e in events {
                    let msg = self.format(e)?;
                    // Octet counting (RFC 6587 section 3.4.1): the length, a space, the message.
                    write!(framed, "{} ", msg.len())?;
                    framed.extend_from_slice(&msg);
                }
                let mut conn = self.tcp.lock().map_err(|_| std::io::Error::other("syslog connection lock poisoned"))?;
                if conn.is_none() {
                    *conn = Some(connect(addr)?);
                }
                let written = conn.as_mut().map_or(Ok(()), |c| c.write_all(&framed));
                if written.is_err() {
                    // Reconnect for the next batch.
                    *conn = None;
                }
                written
            }
            (Transport::Udp(addr), None) => Err(std::io::Error::other(format!("no socket for udp://{addr}"))),
        }
    }
}

fn connect(addr: &str) -> std::io::Result<TcpStream> {
    let to = addr.to_socket_addrs()?.next().ok_or_else(|| std::io::Error::other(format!("{addr} has no address")))?;
    let stream = TcpStream::connect_timeout(&to, TCP_TIMEOUT)?;
    stream.set_write_timeout(Some(TCP_TIMEOUT))?;
    Ok(stream)
}

impl Export for Syslog {
    fn export(&self, events: &[SecurityRecord]) {
        if let Err(e) = self.send(events) {
            tracing::warn!(error = %e, events = events.len(), "security events not sent to syslog");
        }
    }
}

/// Log records to the OpenTelemetry collector (OTLP/HTTP `/v1/logs`), one per event.
pub struct OtelLogs {
    provider: SdkLoggerProvider,
    logger: SdkLogger,
}

impl OtelLogs {
    pub fn new(endpoint: &str, service_name: &str) -> anyhow::Result<OtelLogs> {
        let exporter = opentelemetry_otlp::LogExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(format!("{}/v1/logs", endpoint.trim_end_matches('/')))
            .build()?;
        let resource = opentelemetry_sdk::Resource::builder().with_service_name(service_name.to_string()).build();
        let provider = SdkLoggerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build();
        let logger = provider.logger("dancu.security");
        Ok(OtelLogs { provider, logger })
    }
}

fn otel_severity(code: u8) -> OtelSeverity {
    match code {
        0 => OtelSeverity::Fatal,
        1 => OtelSeverity::Error3,
        2 => OtelSeverity::Error2,
        3 => OtelSeverity::Error,
        4 => OtelSeverity::Warn,
        5 => OtelSeverity::Info2,
        6 => OtelSeverity::Info,
        _ => OtelSeverity::Debug,
    }
}

impl Export for OtelLogs {
    fn export(&self, events: &[SecurityRecord]) {
        for e in events {
            let mut r = self.logger.create_log_record();
            if let Ok(ms) = u64::try_from(e.at) {
                r.set_timestamp(UNIX_EPOCH + Duration::from_millis(ms));
            }
            r.set_event_name("security_event");
            r.set_severity_number(otel_severity(e.severity.code()));
            r.set_severity_text(severity_text(e.severity.code()));
            r.set_body(AnyValue::from(e.detail.clone()));
            r.add_attributes([
                ("security.kind", e.kind.as_str().to_string()),
                ("security.outcome", e.outcome.as_str().to_string()),
                ("security.subject", e.subject.clone()),
                ("client.address", e.client.clone()),
                ("http.route", e.route.clone()),
                ("request.id", e.request_id.clone()),
            ]);
            self.logger.emit(r);
        }
        // The batch leaves now rather than at the processor's next tick: security events are few,
        // and the SOC should see them at once.
        if let Err(e) = self.provider.force_flush() {
            tracing::warn!(error = %e, events = events.len(), "security events not exported over OTLP");
        }
    }
}

fn severity_text(code: u8) -> &'static str {
    ["emergency", "alert", "critical", "error", "warning", "notice", "informational"]
        .get(usize::from(code))
        .copied()
        .unwrap_or("debug")
}

impl Drop for OtelLogs {
    fn drop(&mut self) {
        if let Err(e) = self.provider.shutdown() {
            tracing::debug!(error = %e, "security event logger provider shut down");
        }
    }
}

#[cfg(test)]
mod tests {
    use audit::security::{Kind, Outcome, Severity};

    use super::*;

    fn record() -> SecurityRecord {
        SecurityRecord {
            at: 1_772_330_400_123,
            kind: Kind::CsrfRefused,
            severity: Severity::Warning,
            outcome: Outcome::Failure,
            subject: "3f0c".into(),
            client: "192.0.2.7".into(),
            route: "/admin/accounts/{id}/suspend".into(),
            request_id: "0190a8f2".into(),
            detail: "csrf_failed \"quoted\" ]".into(),
        }
    }

    #[test]
    fn messages_are_rfc5424_with_our_structured_data() {
        let syslog = Syslog::new(Transport::Udp("127.0.0.1:9".into()), "dancu.example.vn").unwrap();
        let text = String::from_utf8(syslog.format(&record()).unwrap()).unwrap();
        // PRI = facility authpriv (10) * 8 + warning (4) = 84.
        let head =
            format!("<84>1 2026-03-01T02:00:00.123Z dancu.example.vn dancu {} csrf_refused ", std::process::id());
        assert!(text.starts_with(&head), "{text}");
        let parsed = syslog_rfc5424::parse_message(&text).unwrap();
        assert_eq!(parsed.msgid.as_deref(), Some("csrf_refused"));
        let sd = |k: &str| parsed.sd.find_tuple(SD_ID, k).map(String::as_str);
        assert_eq!(sd("kind"), Some("csrf_refused"));
        assert_eq!(sd("outcome"), Some("failure"));
        assert_eq!(sd("route"), Some("/admin/accounts/{id}/suspend"));
        assert_eq!(sd("subject"), Some("3f0c"));
        assert_eq!(parsed.msg, "\u{feff}csrf_failed \"quoted\" ]", "the detail follows the UTF-8 byte-order mark");
    }

    #[test]
    fn transports_are_read_from_their_urls() {
        assert_eq!(Transport::parse("udp://127.0.0.1:514"), Ok(Transport::Udp("127.0.0.1:514".into())));
        assert_eq!(Transport::parse("tcp://soc.example.vn:6514"), Ok(Transport::Tcp("soc.example.vn:6514".into())));
        assert!(Transport::parse("http://soc.example.vn:514").is_err());
        assert!(Transport::parse("udp://soc.example.vn").is_err());
    }

    #[test]
    fn tcp_frames_count_octets() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let syslog = Syslog::new(Transport::Tcp(addr), "h").unwrap();
        syslog.send(&[record(), record()]).unwrap();
        let (mut conn, _) = listener.accept().unwrap();
        let mut got = vec![0u8; 4096];
        let mut n = 0;
        let expected = syslog.format(&record()).unwrap();
        let frame = [format!("{} ", expected.len()).into_bytes(), expected].concat();
        while n < 2 * frame.len() {
            n += std::io::Read::read(&mut conn, &mut got[n..]).unwrap();
        }
        assert_eq!(&got[..n], [frame.clone(), frame].concat().as_slice());
    }
}
