//! The rows the writer stores: built by the registry, the readers and the
//! prober, and moved, never shared, into the writer's pending batch.

use std::time::SystemTime;

/// One bot's row in `bot_status`: always written whole, from the live registry.
#[derive(Debug, Clone)]
pub struct StatusRow {
    pub channel: String,
    pub pid: u32,
    pub status: &'static str,
    pub features_json: String,
    pub registered_at: SystemTime,
    pub last_seen: SystemTime,
    pub lang: Option<String>,
    pub sdk_version: Option<String>,
    pub instance: Option<String>,
    pub heartbeat_interval_s: Option<f64>,
    pub lag_ms: Option<f64>,
    pub status_reason: String,
    pub status_changed_at: SystemTime,
    pub pid_unverified: bool,
    pub peer_mismatch: bool,
    pub peer_pid: Option<u32>,
    pub peer_uid: Option<u32>,
    pub proc_start: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct TransitionRow {
    pub at: SystemTime,
    pub channel: String,
    pub pid: u32,
    pub from: Option<&'static str>,
    pub to: &'static str,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct MetricRow {
    pub at: SystemTime,
    pub channel: String,
    pub pid: u32,
    pub rss_mb: f64,
    pub cpu_pct: f64,
    pub features_json: String,
}

/// One llm_usage line as stored. `count` calls; tokens and cost are sums,
/// latency the mean.
#[derive(Debug, Clone)]
pub struct UsageRow {
    /// Unix seconds: the client's `ts`, or when the line arrived.
    pub ts: f64,
    pub channel: String,
    pub model: String,
    pub feature: String,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub latency_ms: Option<f64>,
    pub pid: Option<u32>,
    pub instance: Option<String>,
    pub provider: Option<String>,
    pub cache_read_tokens: Option<u64>,
    pub reasoning_tokens: Option<u64>,
    pub cost_usd: Option<f64>,
    pub ok: Option<bool>,
    pub count: u64,
    pub peer_mismatch: bool,
    /// The line's sequence number (protocol 1.1): stored once per (instance, seq).
    pub seq: Option<u64>,
}

impl UsageRow {
    pub fn from_message(usage: kissmon::wire::LlmUsage, received: f64, peer_mismatch: bool) -> UsageRow {
        UsageRow {
            ts: usage.envelope.ts.unwrap_or(received),
            count: usage.calls(),
            channel: usage.channel,
            model: usage.model,
            feature: usage.feature,
            tokens_in: usage.tokens_in,
            tokens_out: usage.tokens_out,
            latency_ms: usage.latency_ms,
            pid: usage.pid,
            instance: usage.envelope.instance,
            provider: usage.provider,
            cache_read_tokens: usage.cache_read_tokens,
            reasoning_tokens: usage.reasoning_tokens,
            cost_usd: usage.cost_usd,
            ok: usage.ok,
            peer_mismatch,
            seq: usage.seq,
        }
    }
}
