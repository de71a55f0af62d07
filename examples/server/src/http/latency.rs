//! `GET /api/v1/usage/table`: LLM usage by channel, model and feature with
//! latency percentiles (p50, p95), for the dashboard's usage table.
//! Percentiles are nearest-rank over the calls that reported a latency; a
//! folded row (`count` > 1) counts as that many calls at its latency. On
//! PostgreSQL the rows are every monitor's, by monitor too.

use super::error::ErrorBody;
use super::params::{self, Params};
use super::{ApiError, HttpState};
use crate::store::read;
use crate::store::sql::Query;
use crate::time::iso;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<Arc<HttpState>> {
    Router::new().route("/api/v1/usage/table", get(table))
}

/// One row: a channel, model and feature with its sums and latency percentiles.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageTableRow {
    /// The monitor of the bots that made the calls.
    pub monitor_id: String,
    pub channel: String,
    pub model: String,
    pub feature: String,
    #[serde(flatten)]
    pub sums: read::UsageSums,
    /// Median latency of the calls that reported one (nearest rank).
    pub p50_latency_ms: Option<f64>,
    /// 95th percentile latency (nearest rank).
    pub p95_latency_ms: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageTable {
    pub since: String,
    pub until: String,
    /// Ordered by monitor_id, channel, model, feature.
    pub rows: Vec<UsageTableRow>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct UsageTableParams {
    /// Start (inclusive): RFC 3339, Unix seconds, or a duration ago like `24h`. Default: 24 h ago.
    since: Option<String>,
    /// End (exclusive), in the same forms. Default: now.
    until: Option<String>,
    /// Only this channel's calls.
    #[param(min_length = 1, max_length = 128)]
    channel: Option<String>,
    /// Only this monitor's calls (its --monitor-id). Default: every monitor's on PostgreSQL (this monitor's on SQLite, where another id is refused).
    #[param(min_length = 1, max_length = 128)]
    monitor: Option<String>,
}

/// LLM usage by channel, model and feature, with p50 and p95 latency.
#[utoipa::path(get, path = "/api/v1/usage/table", tag = "usage", params(UsageTableParams),
    responses((status = 200, description = "One row per channel, model and feature that had calls", body = UsageTable),
        (status = 400, description = "A bad or unknown parameter, named in the message", body = ErrorBody),
        (status = 401, description = "The monitor has a token and the request lacks it or has another", body = ErrorBody),
        (status = 503, description = "The database cannot be read now", body = ErrorBody)))]
pub async fn table(
    State(state): State<Arc<HttpState>>,
    RawQuery(query): RawQuery,
) -> Result<Json<UsageTable>, ApiError> {
    let mut params = Params::parse(query.as_deref())?;
    let (since, until) = params::range(&mut params, Duration::from_secs(86_400))?;
    let channel = params.take_with("channel", params::channel)?;
    let monitor = super::api::monitor_param(&state, &mut params)?;
    params.finish(&["since", "until", "channel", "monitor"])?;
    let filter = "WHERE ts >= ?1 AND ts < ?2 AND (CAST(?3 AS TEXT) IS NULL OR channel = ?3) AND {monitor_is}";
    let groups = Query::new(format!(
        "SELECT {{monitor_id}}, channel, model, feature, {} FROM llm_usage {filter}
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
        read::SUMS
    ));
    let latencies = Query::new(format!(
        "SELECT {{monitor_id}}, channel, model, feature, latency_ms, CAST(SUM(count) AS BIGINT) FROM llm_usage
         {filter} AND latency_ms IS NOT NULL GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
    ));
    let bound =
        |query: Query| query.bind(iso(since)).bind(iso(until)).bind(channel.clone()).monitor(monitor.as_deref());
    let results = state.query(vec![bound(groups), bound(latencies)]).await?;
    let own = state.monitor_id();
    let key = |row: &crate::store::sql::Row| {
        (row.opt_text(0).unwrap_or_else(|| own.to_owned()), row.text(1), row.text(2), row.text(3))
    };
    let mut sorted: HashMap<RowKey, Vec<(f64, i64)>> = HashMap::new();
    for row in &results[1] {
        sorted.entry(key(row)).or_default().push((row.real(4), row.int(5)));
    }
    let rows = results[0]
        .iter()
        .map(|row| {
            let key = key(row);
            let latencies = sorted.get(&key).map(Vec::as_slice).unwrap_or_default();
            UsageTableRow {
                p50_latency_ms: percentile(latencies, 0.50),
                p95_latency_ms: percentile(latencies, 0.95),
                monitor_id: key.0,
                channel: key.1,
                model: key.2,
                feature: key.3,
                sums: read::sums_at(row, 4),
            }
        })
        .filter(|row| row.sums.calls != 0)
        .collect();
    Ok(Json(UsageTable { since: iso(since), until: iso(until), rows }))
}

/// (monitor_id, channel, model, feature).
type RowKey = (String, String, String, String);

/// Nearest rank over (latency, calls) sorted by latency.
pub fn percentile(sorted: &[(f64, i64)], p: f64) -> Option<f64> {
    let total: i64 = sorted.iter().map(|(_, n)| n.max(&0)).sum();
    if total == 0 {
        return None;
    }
    let rank = ((p * total as f64).ceil() as i64).clamp(1, total);
    let mut seen = 0;
    for &(latency, n) in sorted {
        seen += n.max(0);
        if seen >= rank {
            return Some(latency);
        }
    }
    sorted.last().map(|(latency, _)| *latency)
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_with_folded_rows() {
        assert_eq!(percentile(&[], 0.5), None);
        let one_to_hundred: Vec<(f64, i64)> = (1..=100).map(|i| (i as f64, 1)).collect();
        assert_eq!(percentile(&one_to_hundred, 0.5), Some(50.0));
        assert_eq!(percentile(&one_to_hundred, 0.95), Some(95.0));
        // 10 calls at 100 ms folded in one row, one at 900 ms.
        assert_eq!(percentile(&[(100.0, 10), (900.0, 1)], 0.5), Some(100.0));
        assert_eq!(percentile(&[(100.0, 10), (900.0, 1)], 0.95), Some(900.0));
    }
}
