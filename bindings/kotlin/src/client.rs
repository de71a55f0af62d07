//! `NativeClient`: the core's `MonitorClient` behind UniFFI. The Kotlin class
//! `io.kissmon.MonitorClient` wraps it. JVM integers are signed and JVM
//! durations arrive as seconds (`f64`): the conversions below refuse what the
//! core's types cannot hold, naming the argument; the core checks the rest.

use crate::error::NativeError;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

type Result<T, E = NativeError> = std::result::Result<T, E>;

/// The core's defaults, which the Kotlin API shows as its default arguments.
#[derive(Debug, uniffi::Record)]
pub struct Defaults {
    pub queue_capacity: i32,
    pub max_aggregates: i32,
    pub heartbeat_interval_s: f64,
    pub flush_timeout_s: f64,
    pub close_timeout_s: f64,
    /// What the JVM shutdown hook may spend closing every open client together.
    pub exit_flush_budget_s: f64,
}

/// The core's defaults.
#[uniffi::export]
pub fn defaults() -> Defaults {
    let count = |value: usize| i32::try_from(value).unwrap_or(i32::MAX);
    Defaults {
        queue_capacity: count(kissmon::DEFAULT_QUEUE_CAPACITY),
        max_aggregates: count(kissmon::DEFAULT_MAX_AGGREGATES),
        heartbeat_interval_s: kissmon::DEFAULT_HEARTBEAT_INTERVAL.as_secs_f64(),
        flush_timeout_s: kissmon::DEFAULT_FLUSH_TIMEOUT.as_secs_f64(),
        close_timeout_s: kissmon::DEFAULT_CLOSE_TIMEOUT.as_secs_f64(),
        exit_flush_budget_s: kissmon::EXIT_FLUSH_BUDGET.as_secs_f64(),
    }
}

/// One LLM call, as `io.kissmon.LlmUsage` hands it over.
#[derive(Debug, uniffi::Record)]
pub struct NativeUsage {
    pub model: String,
    pub feature: String,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub latency_ms: Option<f64>,
    pub provider: Option<String>,
    pub cache_read_tokens: Option<i64>,
    pub reasoning_tokens: Option<i64>,
    pub cost_usd: Option<f64>,
    pub ok: Option<bool>,
}

/// Counters and state of a client (the core's `Stats`).
#[derive(Debug, uniffi::Record)]
pub struct NativeStats {
    pub queued: u64,
    pub sent: u64,
    pub dropped: u64,
    pub coalesced: u64,
    pub reconnects: u64,
    pub connected: bool,
    pub last_error: Option<String>,
    pub acked: u64,
    pub unacked: u64,
    pub resent: u64,
    pub acks_active: bool,
}

impl From<kissmon::Stats> for NativeStats {
    fn from(stats: kissmon::Stats) -> Self {
        NativeStats {
            queued: stats.queued,
            sent: stats.sent,
            dropped: stats.dropped,
            coalesced: stats.coalesced,
            reconnects: stats.reconnects,
            connected: stats.connected,
            last_error: stats.last_error,
            acked: stats.acked,
            unacked: stats.unacked,
            resent: stats.resent,
            acks_active: stats.acks_active,
        }
    }
}

fn unsigned(value: i64, argument: &str) -> Result<u64> {
    u64::try_from(value).map_err(|_| NativeError::invalid(argument, format!("must be at least 0, got {value}")))
}

fn count(value: i32, argument: &str) -> Result<usize> {
    usize::try_from(value).map_err(|_| NativeError::invalid(argument, format!("must be at least 0, got {value}")))
}

fn seconds(value: f64, argument: &'static str) -> Result<Duration> {
    Ok(kissmon::duration_from_secs(argument, value)?)
}

fn tokens(value: Option<i64>, argument: &str) -> Result<Option<u64>> {
    value.map(|v| unsigned(v, argument)).transpose()
}

/// A client of one bot; see `io.kissmon.MonitorClient`.
#[derive(uniffi::Object)]
pub struct NativeClient {
    client: kissmon::MonitorClient,
}

#[uniffi::export]
impl NativeClient {
    /// Checks the settings and starts the sender thread; no I/O happens here.
    /// `pid` absent means this process.
    #[uniffi::constructor]
    pub fn new(
        channel: String,
        pid: Option<i64>,
        socket_path: Option<String>,
        queue_capacity: i32,
        max_aggregates: i32,
        heartbeat_interval_s: f64,
    ) -> Result<Arc<Self>> {
        let mut builder = kissmon::MonitorClient::builder(channel)
            .sdk("kotlin", env!("CARGO_PKG_VERSION"))
            .queue_capacity(count(queue_capacity, "queue_capacity")?)
            .max_aggregates(count(max_aggregates, "max_aggregates")?)
            .heartbeat_interval(seconds(heartbeat_interval_s, "heartbeat_interval")?);
        if let Some(pid) = pid {
            let pid = u32::try_from(pid)
                .map_err(|_| NativeError::invalid("pid", format!("must be in 1..=2147483647, got {pid}")))?;
            builder = builder.pid(pid);
        }
        if let Some(path) = socket_path {
            builder = builder.socket_path(path);
        }
        Ok(Arc::new(NativeClient { client: builder.build()? }))
    }

    pub fn register(&self, features: HashMap<String, bool>) -> Result<()> {
        Ok(self.client.register(features)?)
    }

    pub fn heartbeat(&self) {
        self.client.heartbeat();
    }

    pub fn log_llm_usage(&self, usage: NativeUsage) -> Result<()> {
        let mut call = kissmon::LlmUsage::new(
            usage.model,
            usage.feature,
            unsigned(usage.tokens_in, "tokens_in")?,
            unsigned(usage.tokens_out, "tokens_out")?,
        );
        if let Some(latency_ms) = usage.latency_ms {
            call = call.latency_ms(latency_ms);
        }
        if let Some(provider) = usage.provider {
            call = call.provider(provider);
        }
        if let Some(tokens) = tokens(usage.cache_read_tokens, "cache_read_tokens")? {
            call = call.cache_read_tokens(tokens);
        }
        if let Some(tokens) = tokens(usage.reasoning_tokens, "reasoning_tokens")? {
            call = call.reasoning_tokens(tokens);
        }
        if let Some(cost_usd) = usage.cost_usd {
            call = call.cost_usd(cost_usd);
        }
        if let Some(ok) = usage.ok {
            call = call.ok(ok);
        }
        Ok(self.client.log_llm_usage(call)?)
    }

    pub fn unregister(&self) {
        self.client.unregister();
    }

    /// The core's sender thread fires the beats: no JVM thread is involved.
    pub fn start_heartbeat(&self, interval_s: f64) -> Result<()> {
        Ok(self.client.start_heartbeat(seconds(interval_s, "interval")?)?)
    }

    pub fn stop_heartbeat(&self) {
        self.client.stop_heartbeat();
    }

    pub fn flush(&self, timeout_s: f64) -> Result<bool> {
        Ok(self.client.flush(seconds(timeout_s, "timeout")?))
    }

    pub fn close(&self, timeout_s: f64) -> Result<bool> {
        Ok(self.client.close(seconds(timeout_s, "timeout")?))
    }

    pub fn stats(&self) -> NativeStats {
        self.client.stats().into()
    }

    pub fn pid(&self) -> i64 {
        self.client.pid().into()
    }

    pub fn channel(&self) -> String {
        self.client.channel().to_owned()
    }

    pub fn instance(&self) -> String {
        self.client.instance()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(pid: Option<i64>, capacity: i32, interval_s: f64) -> Result<Arc<NativeClient>> {
        let socket = std::env::temp_dir().join("kissmon-kotlin-unit-absent.sock");
        NativeClient::new("unit".into(), pid, Some(socket.display().to_string()), capacity, 16, interval_s)
    }

    fn refused_argument(result: Result<impl Sized>) -> String {
        match result {
            Err(NativeError::InvalidArgument { argument, .. }) => argument,
            Err(other) => panic!("not an argument error: {other}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn refuses_jvm_values_the_core_types_cannot_hold() {
        assert_eq!(refused_argument(client(Some(-1), 8, 30.0)), "pid");
        assert_eq!(refused_argument(client(Some(1 << 32), 8, 30.0)), "pid");
        assert_eq!(refused_argument(client(None, -1, 30.0)), "queueCapacity");
        assert_eq!(refused_argument(client(None, 8, -30.0)), "heartbeatInterval");
        let client = client(Some(42), 8, 30.0).unwrap();
        let usage = |tokens_in| NativeUsage {
            model: "m".into(),
            feature: "f".into(),
            tokens_in,
            tokens_out: 1,
            latency_ms: None,
            provider: None,
            cache_read_tokens: None,
            reasoning_tokens: Some(-5),
            cost_usd: None,
            ok: None,
        };
        assert_eq!(refused_argument(client.log_llm_usage(usage(-1))), "tokensIn");
        assert_eq!(refused_argument(client.log_llm_usage(usage(1))), "reasoningTokens");
        assert_eq!(refused_argument(client.flush(f64::NAN)), "timeout");
        assert_eq!(refused_argument(client.start_heartbeat(0.0)), "interval");
        assert!(client.close(0.0).unwrap());
    }

    #[test]
    fn defaults_are_the_cores() {
        let defaults = defaults();
        assert_eq!(defaults.queue_capacity as usize, kissmon::DEFAULT_QUEUE_CAPACITY);
        assert_eq!(defaults.exit_flush_budget_s, kissmon::EXIT_FLUSH_BUDGET.as_secs_f64());
    }
}
