//! `NativeClient`: the core's `MonitorClient` behind UniFFI. The Kotlin class
//! `io.kissmon.MonitorClient` wraps it. JVM integers are signed and JVM
//! durations arrive as seconds (`f64`): the conversions below refuse what the
//! core's types cannot hold, naming the argument; the core checks the rest.

use crate::error::NativeError;
use crate::names::Names;
use std::borrow::Cow;
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

/// The bits of `log_llm_usage_ids`'s `present`: which optional fields are
/// set, and whether the call succeeded.
#[derive(Debug, Clone, Copy, uniffi::Record)]
pub struct PresentBits {
    pub latency_ms: i32,
    pub cache_read_tokens: i32,
    pub reasoning_tokens: i32,
    pub cost_usd: i32,
    /// `ok` is set; its value is `ok_true`.
    pub ok: i32,
    pub ok_true: i32,
}

const PRESENT: PresentBits =
    PresentBits { latency_ms: 1, cache_read_tokens: 2, reasoning_tokens: 4, cost_usd: 8, ok: 16, ok_true: 32 };

/// The bits of `log_llm_usage_ids`'s `present`, read once by the JVM side.
#[uniffi::export]
pub fn present_bits() -> PresentBits {
    PRESENT
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
    names: Names,
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
        Ok(Arc::new(NativeClient { client: builder.build()?, names: Names::default() }))
    }

    pub fn register(&self, features: HashMap<String, bool>) -> Result<()> {
        Ok(self.client.register(features)?)
    }

    pub fn heartbeat(&self) {
        self.client.heartbeat();
    }

    /// One LLM call, as a record: for names without an id (see `intern`).
    pub fn log_llm_usage(&self, usage: NativeUsage) -> Result<()> {
        let optional = Optional {
            latency_ms: usage.latency_ms,
            cache_read_tokens: usage.cache_read_tokens,
            reasoning_tokens: usage.reasoning_tokens,
            cost_usd: usage.cost_usd,
            ok: usage.ok,
        };
        self.log(usage.model, usage.feature, usage.provider, usage.tokens_in, usage.tokens_out, optional)
    }

    /// The id of `name` in this client's table (at least 1), for
    /// `log_llm_usage_ids`. A name gets none when it is longer than any name
    /// the core accepts (0: pass the record), or when it is new and the table
    /// is full (negative: so is every later new name). Checks nothing: the
    /// core checks names on every call.
    pub fn intern(&self, name: String) -> i32 {
        self.names.intern(&name)
    }

    /// One LLM call, with names by their `intern` id (`provider` 0: none)
    /// and numbers as they are. `present` says which optional fields are set
    /// (the bits of `present_bits()`); the others' values are ignored. The
    /// core checks the call exactly as it checks `log_llm_usage`.
    #[allow(clippy::too_many_arguments)]
    pub fn log_llm_usage_ids(
        &self,
        model: i32,
        feature: i32,
        provider: i32,
        tokens_in: i64,
        tokens_out: i64,
        present: i32,
        latency_ms: f64,
        cache_read_tokens: i64,
        reasoning_tokens: i64,
        cost_usd: f64,
    ) -> Result<()> {
        let name = |id: i32, argument: &str| {
            self.names
                .get(id)
                .ok_or_else(|| NativeError::invalid(argument, format!("no name has id {id} in this client")))
        };
        let provider = if provider == 0 { None } else { Some(name(provider, "provider")?) };
        let set = |bit: i32| present & bit != 0;
        let optional = Optional {
            latency_ms: set(PRESENT.latency_ms).then_some(latency_ms),
            cache_read_tokens: set(PRESENT.cache_read_tokens).then_some(cache_read_tokens),
            reasoning_tokens: set(PRESENT.reasoning_tokens).then_some(reasoning_tokens),
            cost_usd: set(PRESENT.cost_usd).then_some(cost_usd),
            ok: set(PRESENT.ok).then_some(set(PRESENT.ok_true)),
        };
        self.log(name(model, "model")?, name(feature, "feature")?, provider, tokens_in, tokens_out, optional)
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

/// The optional fields of an LLM call, as the JVM hands them over.
struct Optional {
    latency_ms: Option<f64>,
    cache_read_tokens: Option<i64>,
    reasoning_tokens: Option<i64>,
    cost_usd: Option<f64>,
    ok: Option<bool>,
}

impl NativeClient {
    /// Both shapes of `log_llm_usage` end here: the core checks and queues.
    fn log<'a>(
        &self,
        model: impl Into<Cow<'a, str>>,
        feature: impl Into<Cow<'a, str>>,
        provider: Option<impl Into<Cow<'a, str>>>,
        tokens_in: i64,
        tokens_out: i64,
        optional: Optional,
    ) -> Result<()> {
        let mut call = kissmon::LlmUsage::new(
            model,
            feature,
            unsigned(tokens_in, "tokens_in")?,
            unsigned(tokens_out, "tokens_out")?,
        );
        if let Some(latency_ms) = optional.latency_ms {
            call = call.latency_ms(latency_ms);
        }
        if let Some(provider) = provider {
            call = call.provider(provider);
        }
        if let Some(tokens) = tokens(optional.cache_read_tokens, "cache_read_tokens")? {
            call = call.cache_read_tokens(tokens);
        }
        if let Some(tokens) = tokens(optional.reasoning_tokens, "reasoning_tokens")? {
            call = call.reasoning_tokens(tokens);
        }
        if let Some(cost_usd) = optional.cost_usd {
            call = call.cost_usd(cost_usd);
        }
        if let Some(ok) = optional.ok {
            call = call.ok(ok);
        }
        Ok(self.client.log_llm_usage(call)?)
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
    fn the_ids_call_is_refused_exactly_as_the_record_call() {
        let client = client(Some(42), 8, 30.0).unwrap();
        let record = |model: &str, provider: Option<&str>, tokens_in, cost_usd| NativeUsage {
            model: model.into(),
            feature: "f".into(),
            tokens_in,
            tokens_out: 1,
            latency_ms: None,
            provider: provider.map(Into::into),
            cache_read_tokens: None,
            reasoning_tokens: None,
            cost_usd,
            ok: None,
        };
        let ids = |model: &str, provider: Option<&str>, tokens_in, cost_usd: Option<f64>| {
            let present = if cost_usd.is_some() { PRESENT.cost_usd } else { 0 };
            let provider = provider.map_or(0, |p| client.intern(p.into()));
            let (model, feature) = (client.intern(model.into()), client.intern("f".into()));
            client.log_llm_usage_ids(
                model,
                feature,
                provider,
                tokens_in,
                1,
                present,
                0.0,
                0,
                0,
                cost_usd.unwrap_or(0.0),
            )
        };
        let long = "m".repeat(kissmon::wire::MAX_MODEL_BYTES);
        // model, provider, tokens_in, cost_usd, the argument refused
        type Case<'a> = (&'a str, Option<&'a str>, i64, Option<f64>, &'a str);
        let cases: [Case; 5] = [
            ("", None, 1, None, "model"),
            ("a\nb", None, 1, None, "model"),
            (&long[1..], Some(&long[..65]), 1, None, "provider"),
            ("m", None, -1, None, "tokensIn"),
            ("m", Some("p"), 1, Some(-0.5), "costUsd"),
        ];
        for (model, provider, tokens_in, cost_usd, argument) in cases {
            let by_record = client.log_llm_usage(record(model, provider, tokens_in, cost_usd)).unwrap_err().to_string();
            let by_ids = ids(model, provider, tokens_in, cost_usd).unwrap_err().to_string();
            assert_eq!(by_ids, by_record);
            assert!(by_ids.contains(&format!("`{argument}`")), "{by_ids}");
        }
        let model = client.intern("m".into());
        for (model, feature, provider, argument) in
            [(99, model, 0, "model"), (model, -1, 0, "feature"), (model, model, 999, "provider")]
        {
            let err = client.log_llm_usage_ids(model, feature, provider, 1, 1, 0, 0.0, 0, 0, 0.0);
            assert_eq!(refused_argument(err), argument);
        }
        assert!(
            client.log_llm_usage_ids(model, model, 0, 1, 1, 0, f64::NAN, -1, -1, f64::NAN).is_ok(),
            "absent fields are ignored"
        );
        client.close(0.0).unwrap();
    }

    #[test]
    fn defaults_are_the_cores() {
        let defaults = defaults();
        assert_eq!(defaults.queue_capacity as usize, kissmon::DEFAULT_QUEUE_CAPACITY);
        assert_eq!(defaults.exit_flush_budget_s, kissmon::EXIT_FLUSH_BUDGET.as_secs_f64());
    }
}
