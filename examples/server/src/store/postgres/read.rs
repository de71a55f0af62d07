//! Reads of a shared PostgreSQL: what one monitor starts from (its own bots
//! and usage totals) and the fleet view across every monitor (`status`,
//! `usage`, the HTTP API's `/api/v1/fleet` and `/api/v1/usage`).

use super::super::read::{Dimension, UsageGroup, UsageQuery, UsageSums};
use super::super::rows::StatusRow;
use super::super::totals::{Totals, UsageSeries, UsageSums as TotalSums, LATENCY_BUCKETS_S};
use super::{block_on, explain, Target};
use crate::error::{Error, Result};
use crate::report::{BotStatus, MonitorInfo, StatusReport, UsageLine, UsageReport};
use crate::time::{iso, parse_iso};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use tokio_postgres::{Client, Row};

const STATUS_COLUMNS: &str = "channel, pid, status, features_json, registered_at, last_seen, lang, sdk_version, \
    instance, heartbeat_interval_s, lag_ms, status_reason, status_changed_at, pid_unverified, peer_mismatch, \
    peer_pid, peer_uid, proc_start";

fn status_row(row: &Row) -> StatusRow {
    let parse = |text: Option<String>| text.as_deref().and_then(parse_iso).unwrap_or(SystemTime::now());
    let status: String = row.get(2);
    let small = |value: Option<i64>| value.map(|v| v.clamp(0, i64::from(u32::MAX)) as u32);
    StatusRow {
        channel: row.get(0),
        pid: row.get::<_, i64>(1).clamp(0, i64::from(i32::MAX)) as u32,
        status: match status.as_str() {
            "online" => "online",
            "stale" => "stale",
            "dead" => "dead",
            "offline" => "offline",
            _ => "unknown",
        },
        features_json: row.get(3),
        registered_at: parse(row.get(4)),
        last_seen: parse(row.get(5)),
        lang: row.get(6),
        sdk_version: row.get(7),
        instance: row.get(8),
        heartbeat_interval_s: row.get(9),
        lag_ms: row.get(10),
        status_reason: row.get::<_, Option<String>>(11).unwrap_or_default(),
        status_changed_at: parse(row.get(12)),
        pid_unverified: row.get(13),
        peer_mismatch: row.get(14),
        peer_pid: small(row.get(15)),
        peer_uid: small(row.get(16)),
        proc_start: row.get::<_, Option<i64>>(17).map(|v| v.max(0) as u64),
    }
}

/// This monitor's bots left watched, and those gone at or after `gone_since`.
pub async fn load_bots(
    client: &Client,
    monitor_id: &str,
    gone_since: SystemTime,
) -> std::result::Result<Vec<StatusRow>, tokio_postgres::Error> {
    let sql = format!(
        "SELECT {STATUS_COLUMNS} FROM bot_status WHERE monitor_id = $1
           AND (status IN ('online', 'stale', 'unknown') OR (status IN ('dead', 'offline') AND status_changed_at >= $2))"
    );
    let rows = client.query(&sql, &[&monitor_id, &iso(gone_since)]).await?;
    Ok(rows.iter().map(status_row).collect())
}

/// Per client instance, the highest llm_usage `seq` this monitor stored (protocol 1.1).
pub async fn load_marks(
    client: &Client,
    monitor_id: &str,
) -> std::result::Result<Vec<(String, u64)>, tokio_postgres::Error> {
    let rows = client.query("SELECT instance, seq FROM usage_acks WHERE monitor_id = $1", &[&monitor_id]).await?;
    Ok(rows.iter().map(|row| (row.get(0), row.get::<_, i64>(1).max(0) as u64)).collect())
}

/// The totals of this monitor's llm_usage rows (its /metrics counts its own
/// calls, so that federating several monitors counts each call once).
pub async fn load_totals(client: &Client, monitor_id: &str) -> std::result::Result<Totals, tokio_postgres::Error> {
    let mut totals = Totals::default();
    let rows = client
        .query(
            "SELECT channel, model, feature, COALESCE(provider, ''), ok, SUM(count)::int8, SUM(tokens_in)::int8,
                    SUM(tokens_out)::int8, COALESCE(SUM(cache_read_tokens), 0)::int8,
                    COALESCE(SUM(reasoning_tokens), 0)::int8, COALESCE(SUM(cost_usd), 0)::float8
             FROM llm_usage WHERE monitor_id = $1 GROUP BY 1, 2, 3, 4, 5",
            &[&monitor_id],
        )
        .await?;
    for row in rows {
        let series = UsageSeries {
            channel: row.get(0),
            model: row.get(1),
            feature: row.get(2),
            provider: row.get(3),
            ok: row.get(4),
        };
        let count = |i: usize| row.get::<_, i64>(i).max(0) as u64;
        let sums = TotalSums {
            calls: count(5),
            tokens_in: count(6),
            tokens_out: count(7),
            cache_read_tokens: count(8),
            reasoning_tokens: count(9),
            cost_usd: row.get(10),
        };
        totals.usage.insert(series, sums);
    }
    let mut slot = String::from("CASE");
    for (i, bound) in LATENCY_BUCKETS_S.iter().enumerate() {
        slot.push_str(&format!(" WHEN latency_ms <= {} THEN {i}", bound * 1000.0));
    }
    slot.push_str(&format!(" ELSE {} END", LATENCY_BUCKETS_S.len()));
    let rows = client
        .query(
            &format!(
                "SELECT model, COALESCE(provider, ''), {slot}, SUM(count)::int8, SUM(latency_ms * count) / 1000.0
                 FROM llm_usage WHERE monitor_id = $1 AND latency_ms IS NOT NULL GROUP BY 1, 2, 3"
            ),
            &[&monitor_id],
        )
        .await?;
    for row in rows {
        let latency = totals.latency.entry((row.get(0), row.get(1))).or_default();
        let slot = row.get::<_, i32>(2).clamp(0, LATENCY_BUCKETS_S.len() as i32) as usize;
        latency.buckets[slot] += row.get::<_, i64>(3).max(0) as u64;
        latency.sum_s += row.get::<_, f64>(4);
    }
    Ok(totals)
}

/// Connects for one CLI command; the monitor id does not matter to reads.
fn reader(url: &str) -> Result<Target> {
    Target::parse(url, "reader")
}

fn failed<'a>(target: &'a Target, what: &str) -> impl Fn(tokio_postgres::Error) -> Error + 'a {
    let what = what.to_owned();
    move |err| Error::new(format!("cannot read {what} in {}: {}", target.shown, explain(&err)))
}

/// Refuses a database no monitor has written to yet.
async fn check_migrated(client: &Client, target: &Target) -> Result<()> {
    let version = super::migrate::version(client).await.map_err(failed(target, "the schema version"))?;
    if version == 0 {
        return Err(Error::new(format!(
            "{}: no monitor database there, kissmon's tables do not exist (a monitor creates them: \
             `kissmon-server serve --db {}`)",
            target.shown, target.shown
        )));
    }
    Ok(())
}

/// Every monitor's bots, with each monitor and the counters summed over monitors.
pub async fn fleet_status(client: &Client, target: &Target) -> Result<StatusReport> {
    let now = SystemTime::now();
    let rows = client
        .query(
            "SELECT monitor_id, channel, pid, status, features_json, registered_at, last_seen, status_reason, lang,
                    sdk_version, heartbeat_interval_s, pid_unverified, peer_mismatch
             FROM bot_status ORDER BY monitor_id, channel",
            &[],
        )
        .await
        .map_err(failed(target, "bot_status"))?;
    let bots = rows
        .iter()
        .map(|row| {
            let features_json: String = row.get(4);
            let last_seen: String = row.get(6);
            BotStatus {
                monitor_id: Some(row.get(0)),
                channel: row.get(1),
                pid: row.get(2),
                status: row.get(3),
                features: serde_json::from_str(&features_json).unwrap_or(serde_json::Value::String(features_json)),
                registered_at: row.get(5),
                last_seen_age_s: parse_iso(&last_seen)
                    .map(|at| now.duration_since(at).unwrap_or(Duration::ZERO).as_secs_f64()),
                last_seen,
                reason: row.get(7),
                lang: row.get(8),
                sdk_version: row.get(9),
                heartbeat_interval_s: row.get(10),
                pid_unverified: row.get(11),
                peer_mismatch: row.get(12),
            }
        })
        .collect();
    let meta = client
        .query(
            "SELECT monitor_id, key, value FROM kissmon_meta
             WHERE key IN ('monitor_pid', 'monitor_started_at', 'monitor_stopped_at') ORDER BY monitor_id",
            &[],
        )
        .await
        .map_err(failed(target, "kissmon_meta"))?;
    let mut monitors: BTreeMap<String, MonitorInfo> = BTreeMap::new();
    for row in meta {
        let id: String = row.get(0);
        let value: String = row.get(2);
        let monitor = monitors.entry(id.clone()).or_insert_with(|| MonitorInfo {
            monitor_id: Some(id),
            pid: None,
            started_at: None,
            stopped_at: None,
        });
        let value = Some(value).filter(|v| !v.is_empty());
        match row.get::<_, &str>(1) {
            "monitor_pid" => monitor.pid = value,
            "monitor_started_at" => monitor.started_at = value,
            _ => monitor.stopped_at = value,
        }
    }
    let counters = client
        .query("SELECT name, SUM(value)::int8 FROM monitor_counters GROUP BY name", &[])
        .await
        .map_err(failed(target, "monitor_counters"))?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    Ok(StatusReport {
        monitor: MonitorInfo { monitor_id: None, pid: None, started_at: None, stopped_at: None },
        monitors: monitors.into_values().collect(),
        bots,
        counters,
        alerts: Vec::new(),
    })
}

/// `status --db postgres://...`: every monitor's bots, each with its monitor_id.
pub fn status_report(url: &str) -> Result<StatusReport> {
    let target = reader(url)?;
    block_on(async {
        let client = target.connect_or_explain().await?;
        check_migrated(&client, &target).await?;
        fleet_status(&client, &target).await
    })
}

/// `usage --db postgres://...`: LLM usage by monitor, channel, model and feature.
pub fn usage_report(url: &str, since: Option<Duration>) -> Result<UsageReport> {
    let target = reader(url)?;
    let cutoff = since.map(|since| iso(SystemTime::now().checked_sub(since).unwrap_or(SystemTime::UNIX_EPOCH)));
    block_on(async {
        let client = target.connect_or_explain().await?;
        check_migrated(&client, &target).await?;
        let rows = client
            .query(
                "SELECT monitor_id, channel, model, feature, SUM(count)::int8, SUM(tokens_in)::int8,
                        SUM(tokens_out)::int8, SUM(cost_usd)::float8,
                        SUM(latency_ms * count) / NULLIF(SUM(CASE WHEN latency_ms IS NULL THEN 0 ELSE count END), 0)
                 FROM llm_usage WHERE ts >= $1 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
                &[&cutoff.clone().unwrap_or_default()],
            )
            .await
            .map_err(failed(&target, "llm_usage"))?;
        let lines: Vec<UsageLine> = rows
            .iter()
            .map(|row| UsageLine {
                monitor_id: Some(row.get(0)),
                channel: row.get(1),
                model: row.get(2),
                feature: row.get(3),
                calls: row.get(4),
                tokens_in: row.get(5),
                tokens_out: row.get(6),
                cost_usd: row.get(7),
                mean_latency_ms: row.get(8),
            })
            .collect();
        let total_cost = lines.iter().filter_map(|l| l.cost_usd).reduce(|a, b| a + b);
        Ok(UsageReport {
            since: cutoff,
            total_calls: lines.iter().map(|l| l.calls).sum(),
            total_tokens_in: lines.iter().map(|l| l.tokens_in).sum(),
            total_tokens_out: lines.iter().map(|l| l.tokens_out).sum(),
            total_cost_usd: total_cost,
            lines,
        })
    })
}

/// What llm_usage rows can be grouped by in PostgreSQL: the dimensions, and `monitor_id`.
fn column(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Provider => "COALESCE(provider, '')",
        other => other.name(),
    }
}

/// The HTTP API's usage query over every monitor's rows (or one monitor's):
/// the same groups and sums as SQLite's [`super::super::read::usage`].
pub async fn usage(
    client: &Client,
    query: &UsageQuery,
    monitor_id: Option<&str>,
    bucket: bool,
) -> std::result::Result<Vec<UsageGroup>, tokio_postgres::Error> {
    let mut keys: Vec<String> = query.group_by.iter().map(|d| column(*d).to_owned()).collect();
    let bucket_s = query.bucket_s.filter(|_| bucket);
    if let Some(width) = bucket_s {
        keys.insert(0, format!("(floor(extract(epoch FROM ts::timestamptz) / {width}) * {width})::int8"));
    }
    let select = if keys.is_empty() { String::new() } else { format!("{}, ", keys.join(", ")) };
    let group = if keys.is_empty() {
        String::new()
    } else {
        let positions: Vec<String> = (1..=keys.len()).map(|i| i.to_string()).collect();
        format!("GROUP BY {0} ORDER BY {0}", positions.join(", "))
    };
    let sql = format!(
        "SELECT {select}SUM(count)::int8, SUM(CASE WHEN ok = false THEN count ELSE 0 END)::int8,
            SUM(tokens_in)::int8, SUM(tokens_out)::int8, COALESCE(SUM(cache_read_tokens), 0)::int8,
            COALESCE(SUM(reasoning_tokens), 0)::int8, COALESCE(SUM(cost_usd), 0)::float8,
            SUM(latency_ms * count) / NULLIF(SUM(CASE WHEN latency_ms IS NULL THEN 0 ELSE count END), 0)
         FROM llm_usage WHERE ts >= $1 AND ts < $2 AND ($3::text IS NULL OR channel = $3)
            AND ($4::text IS NULL OR monitor_id = $4) {group}"
    );
    let rows = client.query(&sql, &[&iso(query.since), &iso(query.until), &query.channel, &monitor_id]).await?;
    let mut groups = Vec::with_capacity(rows.len());
    for row in rows {
        let mut i = 0;
        let bucket_start = bucket_s.map(|_| {
            i += 1;
            iso(crate::time::from_unix(row.get::<_, i64>(0) as f64))
        });
        let mut values = Vec::with_capacity(query.group_by.len());
        for _ in &query.group_by {
            values.push(row.get::<_, String>(i));
            i += 1;
        }
        let int = |j: usize| row.get::<_, Option<i64>>(i + j).unwrap_or_default();
        let sums = UsageSums {
            calls: int(0),
            failed_calls: int(1),
            tokens_in: int(2),
            tokens_out: int(3),
            cache_read_tokens: int(4),
            reasoning_tokens: int(5),
            cost_usd: row.get::<_, Option<f64>>(i + 6).unwrap_or(0.0),
            mean_latency_ms: row.get(i + 7),
        };
        // An empty range still has a total (of zero) but no groups.
        if sums.calls == 0 && !(query.group_by.is_empty() && bucket_s.is_none()) {
            continue;
        }
        groups.push(UsageGroup { bucket_start, values, sums });
    }
    Ok(groups)
}

/// Read connections for the HTTP API of a monitor on PostgreSQL, on the
/// monitor's runtime; a connection PostgreSQL dropped is replaced on the next read.
pub struct Pool {
    pool: deadpool_postgres::Pool,
    pub target: Target,
}

/// Read connections kept for the HTTP API.
const POOL_SIZE: usize = 4;

impl Pool {
    /// A pool for `config`'s PostgreSQL, or `None` for SQLite. Connects lazily.
    pub fn of(config: &crate::config::Config) -> Result<Option<std::sync::Arc<Pool>>> {
        let Some(url) = config.postgres_url() else { return Ok(None) };
        let target = Target::parse(url, &config.monitor_id)?;
        let manager = deadpool_postgres::Manager::from_config(
            target.config.clone(),
            tokio_postgres::NoTls,
            deadpool_postgres::ManagerConfig { recycling_method: deadpool_postgres::RecyclingMethod::Fast },
        );
        let pool = deadpool_postgres::Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|err| Error::new(format!("cannot make a connection pool for {}: {err}", target.shown)))?;
        Ok(Some(std::sync::Arc::new(Pool { pool, target })))
    }

    /// A pooled connection (it derefs to a `Client`); the error is worded for an API answer.
    pub async fn client(&self) -> std::result::Result<deadpool_postgres::Object, String> {
        self.pool.get().await.map_err(|err| format!("cannot connect to {}: {err}", self.target.shown))
    }

    /// A read's error, worded for an API answer.
    pub fn failed(&self, err: &tokio_postgres::Error) -> String {
        format!("cannot read {}: {}", self.target.shown, explain(err))
    }
}
