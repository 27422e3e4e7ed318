//! The settings of a server and its tools, read once at start in four layers, each overriding the
//! one before: defaults, a TOML file (`--config FILE` or `DANCU_CONFIG`), the environment
//! variables of [`ENV`], and command-line flags.
//!
//! Library crates never read the environment: each defines the plain struct of its own section
//! (`lodging::LodgingSettings`, …) and receives it when it is built, so tests pass settings instead
//! of changing process-wide variables. The one exception is test support: `db::testing` reads
//! `DANCU_TEST_DATABASE_URL` to find the PostgreSQL server the storage tests also run on.
//! Every setting is described in `docs/CONFIGURATION.md`.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Effective settings. Every section is optional in the file; unknown keys are refused.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// `sqlite://FILE` or `postgres://USER@HOST/DB`; empty = `sqlite://DATA_DIR/dancu.db`.
    pub database_url: String,
    /// Address to listen on.
    pub listen: String,
    /// Where the SQLite files, demo accounts and exports live.
    pub data_dir: PathBuf,
    /// The address citizens and relying parties reach the server at: OpenID Connect issuer,
    /// WebAuthn origin, links in messages, receipts and documents. None = the bound address.
    pub public_url: Option<String>,
    /// The server sits behind a reverse proxy: take the client IP from `X-Forwarded-For` and keep
    /// the proxy's `X-Request-Id`. Only behind a proxy that sets both, or clients choose them.
    pub trust_proxy: bool,
    /// Bearer token `/metrics` requires; none = answered to loopback clients only.
    pub metrics_token: Option<String>,
    pub http: web::ServeSettings,
    pub log: LogSettings,
    pub telemetry: TelemetrySettings,
    pub security_events: crate::security_events::SecurityEventSettings,
    pub identity: identity::IdentitySettings,
    pub oidc: oidc::OidcSettings,
    pub verification: verification::VerificationSettings,
    pub lodging: lodging::LodgingSettings,
    pub services: services::ServicesSettings,
    pub analytics: analytics::Settings,
    pub retention: crate::retention::RetentionSettings,
}

/// Default data directory of `serve` and the tools (the demo uses its own).
pub const DATA_DIR: &str = "./dancu-data";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: String::new(),
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from(DATA_DIR),
            public_url: None,
            trust_proxy: false,
            metrics_token: None,
            http: web::ServeSettings::default(),
            log: LogSettings::default(),
            telemetry: TelemetrySettings::default(),
            security_events: Default::default(),
            identity: Default::default(),
            oidc: Default::default(),
            verification: Default::default(),
            lodging: Default::default(),
            services: Default::default(),
            analytics: Default::default(),
            retention: Default::default(),
        }
    }
}

/// The `[log]` section.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `text` for people, `json` (one object per line) for log collectors.
    pub format: LogFormat,
    /// Which events are written, as a `tracing` filter (`info,sqlx=warn`; add `web::trace=debug`
    /// for one line per request).
    pub filter: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings { format: LogFormat::Text, filter: "info,sqlx=warn".into() }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The `[telemetry]` section: OpenTelemetry export, off unless an endpoint is given.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetrySettings {
    /// Base URL of an OTLP/HTTP collector (`http://127.0.0.1:4318`, plain HTTP): traces go to
    /// `/v1/traces`, metrics to `/v1/metrics`. None = nothing is exported.
    pub otlp_endpoint: Option<String>,
    /// `service.name` of the exported resource.
    pub service_name: String,
    /// Seconds between metric exports.
    pub metrics_interval_seconds: u64,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        TelemetrySettings { otlp_endpoint: None, service_name: "dancu".into(), metrics_interval_seconds: 60 }
    }
}

/// What an environment variable holds.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Integer,
    Flag,
}

/// The environment variables read, the setting each one sets, and its kind. Their names are the
/// ones deployments already use; an empty variable counts as unset.
const ENV: &[(&str, &str, Kind)] = &[
    ("DANCU_DATABASE_URL", "database_url", Kind::Text),
    ("DANCU_LISTEN", "listen", Kind::Text),
    ("DANCU_DATA_DIR", "data_dir", Kind::Text),
    ("DANCU_PUBLIC_URL", "public_url", Kind::Text),
    ("DANCU_TRUST_PROXY", "trust_proxy", Kind::Flag),
    ("DANCU_METRICS_TOKEN", "metrics_token", Kind::Text),
    ("DANCU_MAX_CONNECTIONS", "http.max_connections", Kind::Integer),
    ("DANCU_LOG", "log.filter", Kind::Text),
    ("DANCU_LOG_FORMAT", "log.format", Kind::Text),
    ("DANCU_OTLP_ENDPOINT", "telemetry.otlp_endpoint", Kind::Text),
    ("DANCU_SECURITY_SYSLOG", "security_events.syslog", Kind::Text),
    ("DANCU_SECURITY_PSEUDONYM_KEY", "security_events.pseudonym_key", Kind::Text),
    ("DANCU_OIDC_TOKEN_RATE_PER_MINUTE", "oidc.token_rate_per_minute", Kind::Integer),
    ("DANCU_CSCA_DIR", "verification.csca_dir", Kind::Text),
    ("DANCU_VERIFY_RATE_PER_MINUTE", "verification.rate_per_minute", Kind::Integer),
    ("DANCU_NATS_URL", "lodging.nats_url", Kind::Text),
    ("DANCU_HOSPITAL_CAREGIVERS", "lodging.hospital_caregivers", Kind::Integer),
    ("DANCU_VENUE_RETENTION_DAYS", "lodging.venue_retention_days", Kind::Integer),
    ("DANCU_PAYMENT_SECRET", "services.payment_secret", Kind::Text),
    ("DANCU_ANALYTICS_MIN_CELL", "analytics.min_cell", Kind::Integer),
];

/// Settings whose values are never printed.
const SECRETS: &[&str] = &["services.payment_secret", "metrics_token", "security_events.pseudonym_key"];

/// The environment variable of a setting, for messages.
pub fn env_var_of(key: &str) -> Option<&'static str> {
    ENV.iter().find(|(_, k, _)| *k == key).map(|(var, _, _)| *var)
}

/// Where settings come from, besides the defaults.
pub struct Sources<'a> {
    pub file: Option<&'a Path>,
    /// Looks an environment variable up (`std::env::var` in the binary, a map in tests).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Settings given as flags: (key, value) as in the file, e.g. `("listen", "0.0.0.0:80")`.
    pub flags: Vec<(&'static str, String)>,
    /// The data directory when no layer sets one.
    pub default_data_dir: &'a str,
}

/// The process environment, for [`Sources::env`] (and the password of `dancu accounts create`):
/// the one place the binary reads environment variables.
#[allow(clippy::disallowed_methods, reason = "settings come from the environment here and only here")]
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Settings {
    /// Reads every layer. Fails with every problem found: a file that cannot be read or parsed,
    /// unknown keys, values of the wrong type; then [`Settings::problems`].
    pub fn load(sources: &Sources, allow_plain_http: bool) -> anyhow::Result<Settings> {
        let s = Settings::layered(sources)?;
        let problems = s.problems(allow_plain_http);
        if problems.is_empty() {
            Ok(s)
        } else {
            Err(anyhow::anyhow!("invalid configuration:\n  - {}", problems.join("\n  - ")))
        }
    }

    /// The layers merged, not yet validated.
    fn layered(sources: &Sources) -> anyhow::Result<Settings> {
        let mut table = toml::Table::new();
        table.insert("data_dir".into(), toml::Value::String(sources.default_data_dir.into()));
        if let Some(path) = sources.file {
            for (k, v) in read_file(path)? {
                table.insert(k, v);
            }
        }
        let mut problems = Vec::new();
        for &(var, key, kind) in ENV {
            let Some(raw) = (sources.env)(var).filter(|v| !v.is_empty()) else { continue };
            match env_value(&raw, kind) {
                Ok(v) => set_path(&mut table, key, v),
                Err(expected) => problems.push(format!("{var}: expected {expected}, got {raw:?}")),
            }
        }
        if !problems.is_empty() {
            anyhow::bail!("invalid environment:\n  - {}", problems.join("\n  - "));
        }
        for (key, value) in &sources.flags {
            set_path(&mut table, key, toml::Value::String(value.clone()));
        }
        let mut s: Settings = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| anyhow::anyhow!("invalid setting from the environment or flags: {e}"))?;
        if s.database_url.is_empty() {
            s.database_url = format!("sqlite://{}", s.data_dir.join("dancu.db").display());
        }
        s.public_url = s.public_url.map(|u| u.trim_end_matches('/').to_string()).filter(|u| !u.is_empty());
        Ok(s)
    }

    /// Every value that is well-typed but unusable, each with the setting and its environment
    /// variable. `allow_plain_http`: the demo may announce an `http://` address on any host.
    pub fn problems(&self, allow_plain_http: bool) -> Vec<String> {
        let mut out = Vec::new();
        let mut bad = |key: &str, why: String| {
            let var = env_var_of(key).map(|v| format!(" ({v})")).unwrap_or_default();
            out.push(format!("{key}{var}: {why}"));
        };
        if !["sqlite://", "postgres://", "postgresql://"].iter().any(|p| self.database_url.starts_with(p)) {
            bad("database_url", "must start with sqlite:// or postgres://".into());
        }
        if !self.listen.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok()) {
            bad("listen", format!("must be HOST:PORT, got {:?}", self.listen));
        }
        if let Some(u) = &self.public_url {
            if let Err(why) = check_public_url(u, allow_plain_http) {
                bad("public_url", why);
            }
        }
        if self.metrics_token.as_ref().is_some_and(|t| t.chars().count() < 16 || t.contains(char::is_whitespace)) {
            bad("metrics_token", "must be at least 16 characters without spaces".into());
        }
        for name in self.http.invalid() {
            bad(&format!("http.{name}"), "must be at least 1".into());
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.filter) {
            bad("log.filter", format!("not a valid filter: {e}"));
        }
        if let Some(u) = &self.telemetry.otlp_endpoint {
            // The exporter has no TLS (see `crate::telemetry`).
            if !url::Url::parse(u).is_ok_and(|u| u.scheme() == "http" && u.host().is_some()) {
                bad("telemetry.otlp_endpoint", format!("must be an http:// URL (OTLP/HTTP, no TLS), got {u:?}"));
            }
        }
        if self.telemetry.metrics_interval_seconds == 0 {
            bad("telemetry.metrics_interval_seconds", "must be at least 1".into());
        }
        for (key, why) in self.security_events.problems() {
            bad(&format!("security_events.{key}"), why);
        }
        for name in self.identity.limits.invalid() {
            bad(&format!("identity.limits.{name}"), "max and per_seconds must be at least 1".into());
        }
        if self.oidc.token_rate_per_minute == 0 {
            bad("oidc.token_rate_per_minute", "must be at least 1".into());
        }
        if self.verification.rate_per_minute == 0 {
            bad("verification.rate_per_minute", "must be at least 1".into());
        }
        if let Some(dir) = &self.verification.csca_dir {
            if !dir.is_dir() {
                bad("verification.csca_dir", format!("{} is not a directory", dir.display()));
            }
        }
        if let Some(u) = &self.lodging.nats_url {
            if u.trim().is_empty() || u.contains(char::is_whitespace) {
                bad("lodging.nats_url", format!("not a NATS address: {u:?}"));
            }
        }
        if self.lodging.hospital_caregivers < 1 {
            bad("lodging.hospital_caregivers", "must be at least 1".into());
        }
        if self.lodging.venue_retention_days < 1 {
            bad("lodging.venue_retention_days", "must be at least 1".into());
        }
        if self.lodging.outbox_retention_hours < 1 {
            bad("lodging.outbox_retention_hours", "must be at least 1".into());
        }
        // A period of 0 days would archive and delete every row on the next run.
        let r = &self.retention;
        for (key, days) in [
            ("retention.access_log_days".to_string(), r.access_log_days),
            ("retention.verification_days".to_string(), r.verification_days),
            ("retention.security_event_days".to_string(), r.security_event_days),
        ]
        .into_iter()
        .chain(
            r.access_log_days_by_purpose.iter().map(|(p, d)| (format!("retention.access_log_days_by_purpose.{p}"), *d)),
        )
        .chain(
            r.verification_days_by_purpose
                .iter()
                .map(|(p, d)| (format!("retention.verification_days_by_purpose.{p}"), *d)),
        ) {
            if days < 1 {
                bad(&key, "must be at least 1".into());
            }
        }
        if let Some(secret) = &self.services.payment_secret {
            let n = secret.chars().count();
            if n < services::payments::MIN_SECRET_LEN {
                bad(
                    "services.payment_secret",
                    format!("must be at least {} characters, has {n}", services::payments::MIN_SECRET_LEN),
                );
            }
        }
        for (key, why) in self.services.problems() {
            bad(&format!("services.{key}"), why);
        }
        if self.analytics.min_cell < 1 {
            bad("analytics.min_cell", "must be at least 1".into());
        }
        out
    }

    /// Every setting as TOML, with secrets and the database password masked.
    pub fn printable(&self) -> anyhow::Result<String> {
        let mut value = toml::Value::try_from(self)?;
        for key in SECRETS {
            if let Some(v) = get_path_mut(&mut value, key) {
                let n = v.as_str().map(|s| s.chars().count()).unwrap_or(0);
                *v = toml::Value::String(format!("*** ({n} chars)"));
            }
        }
        if let Some(v) = get_path_mut(&mut value, "database_url") {
            *v = toml::Value::String(mask_password(v.as_str().unwrap_or("")));
        }
        let unset: Vec<String> = [
            ("public_url", self.public_url.is_none()),
            ("metrics_token", self.metrics_token.is_none()),
            ("telemetry.otlp_endpoint", self.telemetry.otlp_endpoint.is_none()),
            ("security_events.syslog", self.security_events.syslog.is_none()),
            ("security_events.pseudonym_key", self.security_events.pseudonym_key.is_none()),
            ("verification.csca_dir", self.verification.csca_dir.is_none()),
            ("lodging.nats_url", self.lodging.nats_url.is_none()),
            ("retention.archive_dir", self.retention.archive_dir.is_none()),
            ("services.payment_secret", self.services.payment_secret.is_none()),
        ]
        .into_iter()
        .filter(|(_, none)| *none)
        .map(|(k, _)| format!("# {k}: not set\n"))
        .collect();
        Ok(format!("{}{}", unset.concat(), toml::to_string(&value)?))
    }
}

/// Checks a file alone (defaults below it, no environment or flags), as `dancu config check`.
pub fn check_file(path: &Path) -> anyhow::Result<Settings> {
    let sources = Sources { file: Some(path), env: &|_| None, flags: Vec::new(), default_data_dir: DATA_DIR };
    Settings::load(&sources, false)
}

/// Parses the file as settings first, so a wrong key or type is reported with its line, then
/// returns it as a table for layering.
fn read_file(path: &Path) -> anyhow::Result<toml::Table> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    toml::from_str::<Settings>(&text).map_err(|e| anyhow::anyhow!("invalid {}: {e}", path.display()))?;
    Ok(toml::from_str(&text)?)
}

/// Converts an environment variable's text; on failure says what was expected.
fn env_value(raw: &str, kind: Kind) -> Result<toml::Value, &'static str> {
    match kind {
        Kind::Text => Ok(toml::Value::String(raw.to_string())),
        Kind::Integer => raw.trim().parse::<i64>().map(toml::Value::Integer).map_err(|_| "a whole number"),
        Kind::Flag => match raw.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(toml::Value::Boolean(true)),
            "0" | "false" | "no" | "off" => Ok(toml::Value::Boolean(false)),
            _ => Err("1, true, 0 or false"),
        },
    }
}

/// Sets a dotted key (`lodging.nats_url`), creating the sections on the way.
fn set_path(table: &mut toml::Table, key: &str, value: toml::Value) {
    match key.split_once('.') {
        None => {
            table.insert(key.to_string(), value);
        }
        Some((section, rest)) => {
            let entry = table.entry(section).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            if let toml::Value::Table(t) = entry {
                set_path(t, rest, value);
            }
        }
    }
}

fn get_path_mut<'v>(value: &'v mut toml::Value, key: &str) -> Option<&'v mut toml::Value> {
    key.split('.').try_fold(value, |v, part| v.get_mut(part))
}

/// `https://` anywhere; `http://` only on a loopback host (or when allowed, for the demo).
fn check_public_url(u: &str, allow_plain_http: bool) -> Result<(), String> {
    let url = url::Url::parse(u).map_err(|e| format!("not a URL ({e}): {u:?}"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => return Err(format!("has no host: {u:?}")),
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback || allow_plain_http => Ok(()),
        "http" => Err(format!("must be https:// outside loopback addresses, got {u:?}")),
        other => Err(format!("must be an https:// URL, not {other}://")),
    }
}

/// A database URL with its password replaced by `***`.
fn mask_password(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((cred, host)) = rest.rsplit_once('@') {
            if let Some((user, _)) = cred.split_once(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    url.to_string()
}

#[cfg(test)]
mod tests;
