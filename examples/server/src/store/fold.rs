//! Folding llm_usage rows that wait for a writer that fell behind: one
//! aggregate per key, by the core's one folding rule (`kissmon::fold`), so
//! totals survive. The monitor's key is wider than a client's: it keeps
//! bots, processes and flags apart.

use super::rows::UsageRow;
use kissmon::fold::UsageSums;

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

/// Splits a row into its key (its strings move, nothing is copied) and its sums.
pub(super) fn split(row: UsageRow) -> (UsageKey, UsageSums) {
    let sums = UsageSums::of_line(
        row.count,
        row.tokens_in,
        row.tokens_out,
        row.cache_read_tokens,
        row.reasoning_tokens,
        row.cost_usd,
        row.latency_ms,
        row.ts,
    );
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
    (key, sums)
}

/// The row an aggregate is stored as.
pub(super) fn into_row(key: UsageKey, sums: UsageSums) -> UsageRow {
    UsageRow {
        ts: sums.ts,
        channel: key.channel,
        model: key.model,
        feature: key.feature,
        tokens_in: sums.tokens_in,
        tokens_out: sums.tokens_out,
        latency_ms: sums.latency_ms(),
        pid: key.pid,
        instance: key.instance,
        provider: key.provider,
        cache_read_tokens: sums.cache_read_tokens,
        reasoning_tokens: sums.reasoning_tokens,
        cost_usd: sums.cost_usd,
        ok: key.ok,
        count: sums.count,
        peer_mismatch: key.peer_mismatch,
        seq: None,
    }
}
