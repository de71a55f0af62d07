//! OTLP export (`serve --otlp-endpoint URL`): the monitor's LLM usage and
//! bot states as OpenTelemetry metrics, sent over OTLP/HTTP protobuf by
//! `opentelemetry-otlp`, with the GenAI semantic conventions' names
//! (spec/PROTOCOL.md §8):
//!
//! - `gen_ai.client.token.usage` (histogram, `{token}`, `gen_ai.token.type`
//!   = input / output) and `gen_ai.client.operation.duration` (histogram,
//!   `s`), per call, with `gen_ai.request.model`, `gen_ai.provider.name`,
//!   `error.type` for failed calls, `kissmon.channel` and `kissmon.feature`;
//! - `kissmon.llm.cost` (counter, `USD`);
//! - `kissmon.bot.state` (gauge, 1 for a bot's state and 0 for the others).
//!
//! Calls are recorded after the writer commits them (so OTLP, /metrics and
//! the database agree), into the SDK's in-memory aggregates; the SDK's
//! periodic reader exports on a thread of its own. Nothing here runs on the
//! ingest path, and nothing waits for the endpoint but that thread. An
//! endpoint that is down costs nothing: temporality is cumulative, so the
//! next export that gets through carries every call; failed exports are
//! counted (`otlp_export_failures`) and the next attempts back off.

use crate::counters::{Counter, Counters};
use crate::error::{Error, Result};
use crate::registry::{Fleet, Status};
use crate::store::totals::{UsageTotals, LATENCY_BUCKETS_S};
use crate::store::UsageRow;
use opentelemetry::metrics::{Counter as OtelCounter, Histogram, MeterProvider as _};
use opentelemetry::KeyValue;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};
use opentelemetry_sdk::Resource;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long one export may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest pause between attempts while the endpoint is down.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Bucket bounds of `gen_ai.client.token.usage`: the convention's advice.
const TOKEN_BUCKETS: [f64; 14] = [
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0, 16777216.0,
    67108864.0,
];

/// Refuses an endpoint the exporter cannot reach, with the reason.
pub fn check_endpoint(endpoint: &str) -> std::result::Result<(), String> {
    if endpoint.starts_with("https://") {
        return Err(format!(
            "{endpoint}: https is not built in; send to a local collector over http:// (e.g. \
             http://127.0.0.1:4318/v1/metrics) and let it forward over TLS"
        ));
    }
    let Some(rest) = endpoint.strip_prefix("http://") else {
        return Err(format!("expected an http:// URL like http://127.0.0.1:4318/v1/metrics, got {endpoint:?}"));
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("{endpoint}: no host"));
    }
    Ok(())
}

/// A running exporter; [`Otlp::shutdown`] sends what is left.
pub struct Otlp {
    provider: SdkMeterProvider,
}

impl Otlp {
    /// Starts exporting to `endpoint` every `OTEL_METRIC_EXPORT_INTERVAL`
    /// (milliseconds; 60 s by default): the calls committed into `totals`
    /// from now on, and the bot states of `fleet`.
    pub fn start(
        endpoint: &str,
        monitor_id: &str,
        totals: &UsageTotals,
        fleet: watch::Receiver<Arc<Fleet>>,
        counters: Arc<Counters>,
    ) -> Result<Otlp> {
        check_endpoint(endpoint).map_err(|why| Error::new(format!("--otlp-endpoint: {why}")))?;
        let exporter = opentelemetry_otlp::MetricExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(endpoint)
            .with_timeout(EXPORT_TIMEOUT)
            .with_temporality(Temporality::Cumulative)
            .build()
            .map_err(|err| Error::new(format!("--otlp-endpoint {endpoint}: cannot build the exporter: {err}")))?;
        let exporter = Counted { inner: exporter, counters, endpoint: endpoint.to_owned(), backoff: Mutex::default() };
        let resource = Resource::builder()
            .with_service_name("kissmon-server")
            .with_attribute(KeyValue::new("service.instance.id", monitor_id.to_owned()))
            .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .build();
        let provider = SdkMeterProvider::builder()
            .with_resource(resource)
            .with_reader(PeriodicReader::builder(exporter).build())
            .build();
        let meter = provider.meter("kissmon-server");
        let recorder = Recorder {
            tokens: meter
                .u64_histogram("gen_ai.client.token.usage")
                .with_unit("{token}")
                .with_description("Tokens per LLM call, by type (input, output)")
                .with_boundaries(TOKEN_BUCKETS.to_vec())
                .build(),
            duration: meter
                .f64_histogram("gen_ai.client.operation.duration")
                .with_unit("s")
                .with_description("Duration of the LLM calls that reported a latency")
                .with_boundaries(LATENCY_BUCKETS_S.to_vec())
                .build(),
            cost: meter
                .f64_counter("kissmon.llm.cost")
                .with_unit("USD")
                .with_description("LLM cost in US dollars, as the bots reported it")
                .build(),
        };
        if !totals.observe(Box::new(move |rows| recorder.record(rows))) {
            return Err(Error::new("the OTLP exporter was started twice"));
        }
        let _state = meter
            .u64_observable_gauge("kissmon.bot.state")
            .with_description("1 for the bot's status, 0 for each other status")
            .with_callback(move |observer| {
                let fleet = Arc::clone(&fleet.borrow());
                for bot in &fleet.bots {
                    for status in Status::ALL {
                        let attributes = [
                            KeyValue::new("kissmon.channel", bot.channel.clone()),
                            KeyValue::new("kissmon.state", status.as_str()),
                        ];
                        observer.observe(u64::from(bot.status == status), &attributes);
                    }
                }
            })
            .build();
        tracing::info!("OTLP: exporting metrics to {endpoint}");
        Ok(Otlp { provider })
    }

    /// Exports what is left (bounded by the export timeout) and stops.
    pub fn shutdown(self) {
        if let Err(err) = self.provider.shutdown() {
            tracing::debug!("OTLP: shutdown: {err}");
        }
    }
}

/// The instruments calls are recorded into.
struct Recorder {
    tokens: Histogram<u64>,
    duration: Histogram<f64>,
    cost: OtelCounter<f64>,
}

impl Recorder {
    fn record(&self, rows: &[UsageRow]) {
        for row in rows {
            let mut attributes = Vec::with_capacity(6);
            attributes.push(KeyValue::new("gen_ai.request.model", row.model.clone()));
            if let Some(provider) = &row.provider {
                attributes.push(KeyValue::new("gen_ai.provider.name", provider.clone()));
            }
            if row.ok == Some(false) {
                attributes.push(KeyValue::new("error.type", "_OTHER"));
            }
            attributes.push(KeyValue::new("kissmon.channel", row.channel.clone()));
            attributes.push(KeyValue::new("kissmon.feature", row.feature.clone()));
            if let Some(cost) = row.cost_usd {
                self.cost.add(cost, &attributes);
            }
            // A folded row stands for `count` calls: it is recorded as that
            // many samples of its mean, the remainder spread so that the
            // token sums stay exact (spec §8).
            let calls = row.count.max(1);
            if let Some(ms) = row.latency_ms {
                for _ in 0..calls {
                    self.duration.record(ms / 1000.0, &attributes);
                }
            }
            for (kind, total) in [("input", row.tokens_in), ("output", row.tokens_out)] {
                attributes.push(KeyValue::new("gen_ai.token.type", kind));
                let (each, rest) = (total / calls, total % calls);
                for i in 0..calls {
                    self.tokens.record(each + u64::from(i < rest), &attributes);
                }
                attributes.pop();
            }
        }
    }
}

/// The OTLP exporter, counted, with backoff while the endpoint is down:
/// exports due during a pause are skipped (the next one carries their data).
#[derive(Debug)]
struct Counted<E> {
    inner: E,
    counters: Arc<Counters>,
    endpoint: String,
    backoff: Mutex<Backoff>,
}

#[derive(Debug, Default)]
struct Backoff {
    failures: u32,
    next_try: Option<Instant>,
}

impl<E: PushMetricExporter> PushMetricExporter for Counted<E> {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let due = self.backoff.lock().map_or(true, |b| b.next_try.map_or(true, |at| Instant::now() >= at));
        if !due {
            self.counters.add(Counter::otlp_exports_deferred, 1);
            return Ok(());
        }
        let result = self.inner.export(metrics).await;
        let mut backoff = self.backoff.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match &result {
            Ok(()) => {
                if backoff.failures > 0 {
                    tracing::info!("OTLP: {} takes exports again", self.endpoint);
                }
                *backoff = Backoff::default();
                self.counters.add(Counter::otlp_exports, 1);
            }
            Err(err) => {
                backoff.failures += 1;
                let pause = Duration::from_secs(1 << backoff.failures.min(6)).min(MAX_BACKOFF);
                backoff.next_try = Some(Instant::now() + pause);
                self.counters.add(Counter::otlp_export_failures, 1);
                if backoff.failures == 1 || backoff.failures.is_power_of_two() {
                    tracing::warn!(
                        "OTLP: export to {} failed ({} in a row), next attempt in {}s or later: {err}",
                        self.endpoint,
                        backoff.failures,
                        pause.as_secs()
                    );
                }
            }
        }
        result
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}

#[cfg(test)]
mod tests {
    use super::check_endpoint;

    #[test]
    fn endpoints_are_checked() {
        assert!(check_endpoint("http://127.0.0.1:4318/v1/metrics").is_ok());
        assert!(check_endpoint("https://collector/v1/metrics").unwrap_err().contains("https is not built in"));
        assert!(check_endpoint("collector:4318").unwrap_err().contains("expected an http:// URL"));
        assert!(check_endpoint("http:///v1/metrics").unwrap_err().contains("no host"));
    }
}
