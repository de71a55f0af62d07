//! Reads of a shared PostgreSQL: what one monitor starts from (its own bots
//! and usage totals) and the fleet view across every monitor (`status`,
//! `usage`, the HTTP API's `/api/v1/fleet`), and the read pool of the HTTP
//! API and the alert engine ([`Pool`]), whose queries are in `store::read`.

use super::super::read::{left_watched, status_row};
use super::super::rows::StatusRow;
use super::super::sql;
use super::super::totals::{Totals, UsageSeries, UsageSums as TotalSums, LATENCY_BUCKETS_S};
use super::{block_on, explain, Target};
use crate::error::{Error, Result};
use crate::report::{BotStatus, MonitorInfo, StatusReport, UsageLine, UsageReport};
use crate::time::{iso, parse_iso};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use tokio_postgres::Client;

/// This monitor's bots left watched, and those gone at or after `gone_since`.
pub async fn load_bots(
    client: &Client,
    monitor_id: &str,
    gone_since: SystemTime,
) -> std::result::Result<Vec<StatusRow>, tokio_postgres::Error> {
    let query = left_watched(gone_since, Some(monitor_id));
    Ok(sql::postgres(client, &query).await?.iter().map(status_row).collect())
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
pub async fn check_migrated(client: &Client, target: &Target) -> Result<()> {
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
    let alerts = sql::postgres(client, &crate::alerts::db::firing(None))
        .await
        .map_err(failed(target, "alerts"))?
        .iter()
        .map(|row| crate::report::active_alert(crate::alerts::db::alert_row(row)))
        .collect();
    Ok(StatusReport {
        monitor: MonitorInfo { monitor_id: None, pid: None, started_at: None, stopped_at: None },
        monitors: monitors.into_values().collect(),
        bots,
        counters,
        alerts,
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
