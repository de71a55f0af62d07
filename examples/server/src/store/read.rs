//! Reads for the HTTP API and the alert engine, from either backend
//! ([`Backend`]): on SQLite, read-only connections of their own (never the
//! writer's, so a slow query cannot hold up a commit; WAL lets both run); on
//! PostgreSQL, a small pool. Each query is written once ([`super::sql`]) and
//! its rows mapped once.

use super::postgres::read::Pool;
use super::rows::StatusRow;
use super::sql::{self, Dialect, Query, Row};
use crate::error::{Context, Result};
use crate::time::{iso, parse_iso};
use rusqlite::{Connection, OpenFlags};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Idle read-only connections kept for reuse.
const MAX_IDLE: usize = 4;

/// A pool of read-only connections to the monitor's database.
pub struct Reads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Reads {
    pub fn new(path: impl Into<PathBuf>) -> Reads {
        Reads { path: path.into(), idle: Mutex::new(Vec::new()) }
    }

    /// Runs `read` on an idle connection, or a new one, inside one read
    /// transaction, so that its queries see one snapshot of the database
    /// (a usage report's totals and series agree while bots keep writing).
    /// Blocking: call it off the async threads.
    pub fn with<R>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<R>) -> Result<R> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = Connection::open_with_flags(&self.path, flags)
                    .context(|| format!("cannot open {} for reading", self.path.display()))?;
                conn.busy_timeout(Duration::from_secs(5)).context(|| "cannot set the busy timeout".into())?;
                conn
            }
        };
        let result = conn
            .unchecked_transaction()
            .and_then(|snapshot| {
                let result = read(&snapshot)?;
                snapshot.finish()?;
                Ok(result)
            })
            .context(|| "database read failed".into());
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
        result
    }
}

/// Where reads (and the small writes of silences and alerts) go: this
/// monitor's SQLite file, or the PostgreSQL every monitor shares.
#[derive(Clone)]
pub enum Backend {
    Sqlite { reads: Arc<Reads>, path: PathBuf },
    Postgres(Arc<Pool>),
}

impl Backend {
    pub fn sqlite(path: impl Into<PathBuf>) -> Backend {
        let path = path.into();
        Backend::Sqlite { reads: Arc::new(Reads::new(&path)), path }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Backend::Sqlite { .. } => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    pub fn postgres(&self) -> Option<&Arc<Pool>> {
        match self {
            Backend::Postgres(pool) => Some(pool),
            Backend::Sqlite { .. } => None,
        }
    }

    /// Runs `queries` on one snapshot of the database (SQLite: one read
    /// transaction on a blocking thread; PostgreSQL: one read-only repeatable
    /// read transaction), so that a report's totals and series agree while
    /// bots keep writing. The error is worded for an API answer or a log.
    pub async fn read(&self, queries: Vec<Query>) -> std::result::Result<Vec<Vec<Row>>, String> {
        match self {
            Backend::Sqlite { reads, .. } => {
                let reads = Arc::clone(reads);
                let read = move || reads.with(|conn| queries.iter().map(|query| sql::sqlite(conn, query)).collect());
                match tokio::task::spawn_blocking(read).await {
                    Ok(result) => result.map_err(|err| err.to_string()),
                    Err(_) => Err("the database read was cancelled".into()),
                }
            }
            Backend::Postgres(pool) => {
                let mut client = pool.client().await?;
                let client: &mut tokio_postgres::Client = &mut client;
                let run = async {
                    let tx = client
                        .build_transaction()
                        .read_only(true)
                        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                        .start()
                        .await?;
                    let mut all = Vec::with_capacity(queries.len());
                    for query in &queries {
                        all.push(sql::postgres(&tx, query).await?);
                    }
                    tx.commit().await?;
                    Ok(all)
                };
                run.await.map_err(|err: tokio_postgres::Error| pool.failed(&err))
            }
        }
    }

    /// Runs `statements` in one transaction; the rows of each (`RETURNING`).
    pub async fn write(&self, statements: Vec<Query>) -> std::result::Result<Vec<Vec<Row>>, String> {
        match self {
            Backend::Sqlite { path, .. } => {
                let path = path.clone();
                let write = move || -> Result<Vec<Vec<Row>>> {
                    let mut conn = crate::alerts::db::open_for_silences(&path)?;
                    write_sqlite(&mut conn, &statements).context(|| format!("cannot write {}", path.display()))
                };
                match tokio::task::spawn_blocking(write).await {
                    Ok(result) => result.map_err(|err| err.to_string()),
                    Err(_) => Err("the database write was cancelled".into()),
                }
            }
            Backend::Postgres(pool) => {
                let mut client = pool.client().await?;
                let client: &mut tokio_postgres::Client = &mut client;
                let run = async {
                    let tx = client.transaction().await?;
                    let mut all = Vec::with_capacity(statements.len());
                    for statement in &statements {
                        all.push(sql::postgres(&tx, statement).await?);
                    }
                    tx.commit().await?;
                    Ok(all)
                };
                run.await.map_err(|err: tokio_postgres::Error| pool.failed(&err))
            }
        }
    }
}

/// Runs `statements` in one SQLite transaction.
pub fn write_sqlite(conn: &mut Connection, statements: &[Query]) -> rusqlite::Result<Vec<Vec<Row>>> {
    let tx = conn.transaction()?;
    let rows = statements.iter().map(|statement| sql::sqlite(&tx, statement)).collect::<rusqlite::Result<_>>()?;
    tx.commit()?;
    Ok(rows)
}

/// The columns [`status_row`] reads, in its order.
pub const STATUS_COLUMNS: &str = "channel, pid, status, features_json, registered_at, last_seen, lang, \
    sdk_version, instance, heartbeat_interval_s, lag_ms, status_reason, status_changed_at, pid_unverified, \
    peer_mismatch, peer_pid, peer_uid, proc_start";

/// One `bot_status` row selected with [`STATUS_COLUMNS`].
pub fn status_row(row: &Row) -> StatusRow {
    let time = |i: usize| row.opt_text(i).as_deref().and_then(parse_iso).unwrap_or_else(SystemTime::now);
    let small = |i: usize| row.opt_int(i).map(|v| v.clamp(0, i64::from(u32::MAX)) as u32);
    StatusRow {
        channel: row.text(0),
        pid: row.int(1).clamp(0, i64::from(i32::MAX)) as u32,
        status: match row.text(2).as_str() {
            "online" => "online",
            "stale" => "stale",
            "dead" => "dead",
            "offline" => "offline",
            _ => "unknown",
        },
        features_json: row.text(3),
        registered_at: time(4),
        last_seen: time(5),
        lang: row.opt_text(6),
        sdk_version: row.opt_text(7),
        instance: row.opt_text(8),
        heartbeat_interval_s: row.opt_real(9),
        lag_ms: row.opt_real(10),
        status_reason: row.text(11),
        status_changed_at: time(12),
        pid_unverified: row.flag(13),
        peer_mismatch: row.flag(14),
        peer_pid: small(15),
        peer_uid: small(16),
        proc_start: row.opt_int(17).map(|v| v.max(0) as u64),
    }
}

/// The bots a monitor left online, stale or unknown, and those that went
/// dead or offline at or after `gone_since`: its registry starts from them
/// (on PostgreSQL, `monitor`'s own).
pub fn left_watched(gone_since: SystemTime, monitor: Option<&str>) -> Query {
    Query::new(format!(
        "SELECT {STATUS_COLUMNS} FROM bot_status WHERE {{monitor_is}}
           AND (status IN ('online', 'stale', 'unknown') OR (status IN ('dead', 'offline') AND status_changed_at >= ?1))"
    ))
    .bind(iso(gone_since))
    .monitor(monitor)
}

/// A bot's stored row (of `monitor` on PostgreSQL), for one the live registry does not hold.
pub fn bot(channel: &str, monitor: &str) -> Query {
    Query::new(format!("SELECT {STATUS_COLUMNS} FROM bot_status WHERE channel = ?1 AND {{monitor_is}}"))
        .bind(channel)
        .monitor(Some(monitor))
}

/// A bot's status change, as stored and as the API shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Transition {
    /// Increasing; pass the last one seen as `cursor` for older ones.
    pub id: i64,
    /// The monitor of the bot: (monitor_id, channel) is a bot.
    pub monitor_id: String,
    pub ts: String,
    pub channel: String,
    pub pid: i64,
    /// Absent for a bot's first appearance.
    pub from: Option<String>,
    pub to: String,
    pub reason: String,
}

/// Newest first: at most `limit` transitions with an id below `before`, of
/// `channel` and `monitor` when given (on SQLite every row is this monitor's).
pub fn transitions(
    since: SystemTime,
    channel: Option<&str>,
    monitor: Option<&str>,
    before: Option<i64>,
    limit: usize,
) -> Query {
    Query::new(
        "SELECT id, {monitor_id}, ts, channel, pid, from_status, to_status, reason FROM bot_transitions
         WHERE id < ?1 AND ts >= ?2 AND (CAST(?3 AS TEXT) IS NULL OR channel = ?3) AND {monitor_is}
         ORDER BY id DESC LIMIT ?4",
    )
    .bind(before.unwrap_or(i64::MAX))
    .bind(iso(since))
    .bind(channel)
    .bind(limit as i64)
    .monitor(monitor)
}

/// One row of [`transitions`]; `own_id` names the monitor of a SQLite row.
pub fn transition(row: &Row, own_id: &str) -> Transition {
    Transition {
        id: row.int(0),
        monitor_id: row.opt_text(1).unwrap_or_else(|| own_id.to_owned()),
        ts: row.text(2),
        channel: row.text(3),
        pid: row.int(4),
        from: row.opt_text(5),
        to: row.text(6),
        reason: row.text(7),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub ts: String,
    pub rss_mb: f64,
    pub cpu_pct: f64,
}

/// A bot's rss/cpu samples since `since`, newest first, at most `limit`.
pub fn samples(channel: &str, monitor: &str, since: SystemTime, limit: usize) -> Query {
    Query::new(
        "SELECT ts, rss_mb, cpu_pct FROM bot_metrics WHERE channel = ?1 AND ts >= ?2 AND {monitor_is}
         ORDER BY ts DESC LIMIT ?3",
    )
    .bind(channel)
    .bind(iso(since))
    .bind(limit as i64)
    .monitor(Some(monitor))
}

/// The rows of [`samples`], oldest first.
pub fn samples_of(rows: &[Row]) -> Vec<Sample> {
    rows.iter().rev().map(|row| Sample { ts: row.text(0), rss_mb: row.real(1), cpu_pct: row.real(2) }).collect()
}

/// What llm_usage rows can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Channel,
    Model,
    Feature,
    Provider,
}

impl Dimension {
    pub const ALL: [Dimension; 4] = [Dimension::Channel, Dimension::Model, Dimension::Feature, Dimension::Provider];

    pub fn name(self) -> &'static str {
        match self {
            Dimension::Channel => "channel",
            Dimension::Model => "model",
            Dimension::Feature => "feature",
            Dimension::Provider => "provider",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Dimension::Provider => "COALESCE(provider, '')",
            other => other.name(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct UsageQuery {
    pub since: SystemTime,
    pub until: SystemTime,
    pub group_by: Vec<Dimension>,
    /// Width of a time bucket, in whole seconds, for a series.
    pub bucket_s: Option<u64>,
    pub channel: Option<String>,
    /// Only this monitor's calls (PostgreSQL); every monitor's when `None`.
    pub monitor: Option<String>,
}

/// Sums of LLM calls; `calls` counts folded rows by their `count`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct UsageSums {
    /// Calls: `SUM(count)`, since a folded row stands for several calls.
    pub calls: i64,
    /// Calls that reported `ok: false`.
    pub failed_calls: i64,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub cache_read_tokens: i64,
    pub reasoning_tokens: i64,
    pub cost_usd: f64,
    /// Mean over the calls that reported a latency.
    pub mean_latency_ms: Option<f64>,
}

/// One group (and, in a series, one bucket): the grouped dimensions' values in `group_by` order.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageGroup {
    pub bucket_start: Option<String>,
    pub values: Vec<String>,
    pub sums: UsageSums,
}

/// [`UsageSums`] in its order, the same text for both backends.
pub const SUMS: &str = "CAST(SUM(count) AS BIGINT), CAST(SUM(CASE WHEN ok = FALSE THEN count ELSE 0 END) AS BIGINT),
    CAST(SUM(tokens_in) AS BIGINT), CAST(SUM(tokens_out) AS BIGINT),
    CAST(COALESCE(SUM(cache_read_tokens), 0) AS BIGINT), CAST(COALESCE(SUM(reasoning_tokens), 0) AS BIGINT),
    CAST(COALESCE(SUM(cost_usd), 0) AS DOUBLE PRECISION),
    CAST(SUM(latency_ms * count) / NULLIF(SUM(CASE WHEN latency_ms IS NULL THEN 0 ELSE count END), 0) AS DOUBLE PRECISION)";

/// The [`SUMS`] of a row, from column `i` on.
pub fn sums_at(row: &Row, i: usize) -> UsageSums {
    UsageSums {
        calls: row.int(i),
        failed_calls: row.int(i + 1),
        tokens_in: row.int(i + 2),
        tokens_out: row.int(i + 3),
        cache_read_tokens: row.int(i + 4),
        reasoning_tokens: row.int(i + 5),
        cost_usd: row.real(i + 6),
        mean_latency_ms: row.opt_real(i + 7),
    }
}

/// The start of a `width`-second bucket of the ISO text column `ts`, in Unix seconds.
fn bucket_of_ts(dialect: Dialect, width: u64) -> String {
    match dialect {
        Dialect::Sqlite => format!("(CAST(strftime('%s', ts) AS INTEGER) / {width}) * {width}"),
        Dialect::Postgres => {
            format!("CAST(floor(extract(epoch FROM CAST(ts AS timestamptz)) / {width}) * {width} AS BIGINT)")
        }
    }
}

/// Sums by `group_by` (and by bucket when `bucket` is true), ordered.
pub fn usage(dialect: Dialect, query: &UsageQuery, bucket: bool) -> Query {
    let mut keys: Vec<String> = query.group_by.iter().map(|d| d.column().to_owned()).collect();
    if let Some(width) = query.bucket_s.filter(|_| bucket) {
        keys.insert(0, bucket_of_ts(dialect, width));
    }
    let select = if keys.is_empty() { String::new() } else { format!("{}, ", keys.join(", ")) };
    let group = if keys.is_empty() {
        String::new()
    } else {
        let positions: Vec<String> = (1..=keys.len()).map(|i| i.to_string()).collect();
        format!("GROUP BY {0} ORDER BY {0}", positions.join(", "))
    };
    Query::new(format!(
        "SELECT {select}{SUMS} FROM llm_usage
         WHERE ts >= ?1 AND ts < ?2 AND (CAST(?3 AS TEXT) IS NULL OR channel = ?3) AND {{monitor_is}} {group}"
    ))
    .bind(iso(query.since))
    .bind(iso(query.until))
    .bind(query.channel.clone())
    .monitor(query.monitor.as_deref())
}

/// The rows of [`usage`]. An empty range still has a total (of zero) but no groups.
pub fn usage_groups(rows: &[Row], query: &UsageQuery, bucket: bool) -> Vec<UsageGroup> {
    let bucket_s = query.bucket_s.filter(|_| bucket);
    let totals_only = query.group_by.is_empty() && bucket_s.is_none();
    rows.iter()
        .map(|row| {
            let mut i = 0;
            let bucket_start = bucket_s.map(|_| {
                i += 1;
                iso(crate::time::from_unix(row.int(0) as f64))
            });
            let values = query.group_by.iter().map(|_| {
                i += 1;
                row.text(i - 1)
            });
            let values = values.collect();
            UsageGroup { bucket_start, values, sums: sums_at(row, i) }
        })
        .filter(|group| totals_only || group.sums.calls != 0)
        .collect()
}
