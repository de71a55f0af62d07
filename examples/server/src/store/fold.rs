//! Folding llm_usage rows that wait for a writer that fell behind: one
//! aggregate per key, with summed calls and tokens, so totals survive.

use super::rows::UsageRow;

/// Rows that fold into one aggregate when the writer falls behind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct UsageKey {
    channel: String,
    model: String,
    feature: String,
    provider: Option<String>,
    ok: Option<bool>,
    pid: Option<u32>,
    instance: Option<String>,
    peer_mismatch: bool,
}

/// The sums of the rows folded under one [`UsageKey`].
#[derive(Debug)]
pub(super) struct Aggregate {
    ts: f64,
    tokens_in: u64,
    tokens_out: u64,
    cache_read_tokens: Option<u64>,
    reasoning_tokens: Option<u64>,
    cost_usd: Option<f64>,
    pub(super) count: u64,
    latency_calls: u64,
    latency_sum: f64,
}

/// Splits a row into its key (its strings move, nothing is copied) and its sums.
pub(super) fn split(row: UsageRow) -> (UsageKey, Aggregate) {
    let (latency_calls, latency_sum) = match row.latency_ms {
        Some(latency) => (row.count, latency * row.count as f64),
        None => (0, 0.0),
    };
    let key = UsageKey {
        channel: row.channel,
        model: row.model,
        feature: row.feature,
        provider: row.provider,
        ok: row.ok,
        pid: row.pid,
        instance: row.instance,
        peer_mismatch: row.peer_mismatch,
    };
    let sums = Aggregate {
        ts: row.ts,
        tokens_in: row.tokens_in,
        tokens_out: row.tokens_out,
        cache_read_tokens: row.cache_read_tokens,
        reasoning_tokens: row.reasoning_tokens,
        cost_usd: row.cost_usd,
        count: row.count,
        latency_calls,
        latency_sum,
    };
    (key, sums)
}

impl Aggregate {
    pub(super) fn merge(&mut self, other: Aggregate) {
        let add = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        };
        self.ts = self.ts.max(other.ts);
        self.tokens_in = self.tokens_in.saturating_add(other.tokens_in);
        self.tokens_out = self.tokens_out.saturating_add(other.tokens_out);
        self.cache_read_tokens = add(self.cache_read_tokens, other.cache_read_tokens);
        self.reasoning_tokens = add(self.reasoning_tokens, other.reasoning_tokens);
        self.cost_usd = match (self.cost_usd, other.cost_usd) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        };
        self.count = self.count.saturating_add(other.count);
        self.latency_calls += other.latency_calls;
        self.latency_sum += other.latency_sum;
    }

    pub(super) fn into_row(key: UsageKey, sums: Aggregate) -> UsageRow {
        UsageRow {
            ts: sums.ts,
            channel: key.channel,
            model: key.model,
            feature: key.feature,
            tokens_in: sums.tokens_in,
            tokens_out: sums.tokens_out,
            latency_ms: (sums.latency_calls > 0).then(|| sums.latency_sum / sums.latency_calls as f64),
            pid: key.pid,
            instance: key.instance,
            provider: key.provider,
            cache_read_tokens: sums.cache_read_tokens,
            reasoning_tokens: sums.reasoning_tokens,
            cost_usd: sums.cost_usd,
            ok: key.ok,
            count: sums.count,
            peer_mismatch: key.peer_mismatch,
        }
    }
}
