//! Where the process's logs, traces and metrics go: text or JSON lines on standard error filtered
//! by the `[log]` settings, and, when `telemetry.otlp_endpoint` is set, OpenTelemetry export over
//! OTLP/HTTP (protobuf) of every span and of the request metrics.
//!
//! The exporter uses reqwest's blocking client without TLS: the workspace's one crypto provider
//! is aws-lc-rs, and reqwest's TLS would bring ring as a second one. Collectors are therefore
//! reached over plain `http://`, as a collector agent beside the server is.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::{LogFormat, LogSettings, TelemetrySettings};

/// What is exported: every span at `info` and above, and the request lines (which carry the
/// request-duration histogram), whatever the log filter says.
const EXPORT_FILTER: &str = "info,sqlx=warn,web::trace=debug";

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// The exporters, to flush when the process stops.
#[must_use = "call shutdown() when the server stops, or the last spans and metrics are lost"]
pub struct Telemetry {
    exporters: Option<(SdkTracerProvider, SdkMeterProvider)>,
}

/// Installs the process-wide subscriber. Call once, before anything logs.
pub fn init(log: &LogSettings, telemetry: &TelemetrySettings) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_new(&log.filter).map_err(|e| anyhow::anyhow!("log.filter: {e}"))?;
    let format: BoxedLayer = match log.format {
        LogFormat::Text => tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(filter).boxed(),
        LogFormat::Json => {
            tracing_subscriber::fmt::layer().json().with_writer(std::io::stderr).with_filter(filter).boxed()
        }
    };
    let mut layers = vec![format];
    let mut exporters = None;
    if let Some(endpoint) = &telemetry.otlp_endpoint {
        let (tracer, meter) = otlp(endpoint, telemetry)?;
        let otel = tracing_opentelemetry::layer().with_tracer(tracer.tracer("dancu"));
        layers.push(otel.with_filter(EnvFilter::new(EXPORT_FILTER)).boxed());
        let metrics = tracing_opentelemetry::MetricsLayer::new(meter.clone());
        layers.push(metrics.with_filter(EnvFilter::new(EXPORT_FILTER)).boxed());
        exporters = Some((tracer, meter));
    }
    tracing_subscriber::registry().with(layers).try_init()?;
    if let Some(endpoint) = &telemetry.otlp_endpoint {
        tracing::info!(endpoint = %endpoint, "exporting traces and metrics over OTLP");
    }
    Ok(Telemetry { exporters })
}

/// A tracer provider (spans in batches) and a meter provider (periodic) that export to the
/// collector's `/v1/traces` and `/v1/metrics`.
fn otlp(endpoint: &str, t: &TelemetrySettings) -> anyhow::Result<(SdkTracerProvider, SdkMeterProvider)> {
    let base = endpoint.trim_end_matches('/');
    let resource = Resource::builder().with_service_name(t.service_name.clone()).build();
    let spans = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(format!("{base}/v1/traces"))
        .build()?;
    let tracer = SdkTracerProvider::builder().with_batch_exporter(spans).with_resource(resource.clone()).build();
    let metrics = opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(format!("{base}/v1/metrics"))
        .build()?;
    let reader =
        PeriodicReader::builder(metrics).with_interval(Duration::from_secs(t.metrics_interval_seconds)).build();
    let meter = SdkMeterProvider::builder().with_reader(reader).with_resource(resource).build();
    Ok((tracer, meter))
}

impl Telemetry {
    /// Exports what is still buffered and stops the exporters. Blocks (the exporter's HTTP client
    /// is a blocking one), so it runs on a blocking thread.
    pub async fn shutdown(self) {
        let Some((tracer, meter)) = self.exporters else { return };
        let done = tokio::task::spawn_blocking(move || {
            if let Err(e) = tracer.shutdown() {
                tracing::warn!(error = %e, "trace export at shutdown failed");
            }
            if let Err(e) = meter.shutdown() {
                tracing::warn!(error = %e, "metric export at shutdown failed");
            }
        });
        let _ = done.await;
    }
}
