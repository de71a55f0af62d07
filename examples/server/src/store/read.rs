//! Reads for the HTTP API, on read-only connections of their own: never the
//! writer's, so a slow query cannot hold up a commit (WAL lets both run).

use super::rows::StatusRow;
use super::schema::{status_row, STATUS_COLUMNS};
use crate::error::{Context, Result};
use crate::time::iso;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::PathBuf;
use std::sync::Mutex;
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

/// A bot's row, for one the live registry no longer holds.
pub fn bot(conn: &Connection, channel: &str) -> rusqlite::Result<Option<StatusRow>> {
    conn.query_row(&format!("SELECT {STATUS_COLUMNS} FROM bot_status WHERE channel = ?1"), [channel], status_row)
        .optional()
}

/// A bot's status change, as stored and as the API shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Transition {
    /// Increasing; pass the last one seen as `cursor` for older ones.
    pub id: i64,
    pub ts: String,
    pub channel: String,
    pub pid: i64,
    /// Absent for a bot's first appearance.
    pub from: Option<String>,
    pub to: String,
    pub reason: String,
}

/// Newest first: at most `limit` transitions with an id below `before`.
pub fn transitions(
    conn: &Connection,
    since: SystemTime,
    channel: Option<&str>,
    before: Option<i64>,
    limit: usize,
) -> rusqlite::Result<Vec<Transition>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, ts, channel, pid, from_status, to_status, reason FROM bot_transitions
         WHERE id < ?1 AND ts >= ?2 AND (?3 IS NULL OR channel = ?3) ORDER BY id DESC LIMIT ?4",
    )?;
    let rows = statement.query_map(
        rusqlite::params![before.unwrap_or(i64::MAX), iso(since), channel, limit as i64],
        |row| {
            Ok(Transition {
                id: row.get(0)?,
                ts: row.get(1)?,
                channel: row.get(2)?,
                pid: row.get(3)?,
                from: row.get(4)?,
                to: row.get(5)?,
                reason: row.get(6)?,
            })
        },
    )?;
    rows.collect()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub ts: String,
    pub rss_mb: f64,
    pub cpu_pct: f64,
}

/// A bot's rss/cpu samples since `since`, oldest first, at most `limit` (the newest).
pub fn samples(conn: &Connection, channel: &str, since: SystemTime, limit: usize) -> rusqlite::Result<Vec<Sample>> {
    let mut statement = conn.prepare_cached(
        "SELECT ts, rss_mb, cpu_pct FROM bot_metrics WHERE channel = ?1 AND ts >= ?2 ORDER BY ts DESC LIMIT ?3",
    )?;
    let rows = statement.query_map(rusqlite::params![channel, iso(since), limit as i64], |row| {
        Ok(Sample { ts: row.get(0)?, rss_mb: row.get(1)?, cpu_pct: row.get(2)? })
    })?;
    let mut samples: Vec<Sample> = rows.collect::<rusqlite::Result<_>>()?;
    samples.reverse();
    Ok(samples)
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

const SUMS: &str = "SUM(count), SUM(CASE WHEN ok = 0 THEN count ELSE 0 END), SUM(tokens_in), SUM(tokens_out),
    COALESCE(SUM(cache_read_tokens), 0), COALESCE(SUM(reasoning_tokens), 0), COALESCE(SUM(cost_usd), 0),
    SUM(latency_ms * count) / NULLIF(SUM(CASE WHEN latency_ms IS NULL THEN 0 ELSE count END), 0)";

/// Sums by `group_by` (and by bucket when `bucket` is true), ordered.
pub fn usage(conn: &Connection, query: &UsageQuery, bucket: bool) -> rusqlite::Result<Vec<UsageGroup>> {
    let mut keys: Vec<String> = query.group_by.iter().map(|d| d.column().to_owned()).collect();
    let bucket_s = query.bucket_s.filter(|_| bucket);
    if let Some(width) = bucket_s {
        keys.insert(0, format!("(CAST(strftime('%s', ts) AS INTEGER) / {width}) * {width}"));
    }
    let select = if keys.is_empty() { String::new() } else { format!("{}, ", keys.join(", ")) };
    let group = if keys.is_empty() {
        String::new()
    } else {
        let positions: Vec<String> = (1..=keys.len()).map(|i| i.to_string()).collect();
        format!("GROUP BY {0} ORDER BY {0}", positions.join(", "))
    };
    let sql = format!(
        "SELECT {select}{SUMS} FROM llm_usage WHERE ts >= ?1 AND ts < ?2 AND (?3 IS NULL OR channel = ?3) {group}"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(rusqlite::params![iso(query.since), iso(query.until), query.channel], |row| {
        let mut i = 0;
        let bucket_start = match bucket_s {
            Some(_) => {
                i += 1;
                Some(iso(crate::time::from_unix(row.get::<_, i64>(0)? as f64)))
            }
            None => None,
        };
        let mut values = Vec::with_capacity(query.group_by.len());
        for _ in &query.group_by {
            values.push(row.get::<_, String>(i)?);
            i += 1;
        }
        let int = |j: usize| row.get::<_, Option<i64>>(i + j).map(Option::unwrap_or_default);
        Ok(UsageGroup {
            bucket_start,
            values,
            sums: UsageSums {
                calls: int(0)?,
                failed_calls: int(1)?,
                tokens_in: int(2)?,
                tokens_out: int(3)?,
                cache_read_tokens: int(4)?,
                reasoning_tokens: int(5)?,
                cost_usd: row.get::<_, Option<f64>>(i + 6)?.unwrap_or(0.0),
                mean_latency_ms: row.get(i + 7)?,
            },
        })
    })?;
    // An empty range still has a total (of zero) but no groups.
    rows.filter(|row| !matches!(row, Ok(group) if group.sums.calls == 0 && !keys_empty(query, bucket_s))).collect()
}

fn keys_empty(query: &UsageQuery, bucket_s: Option<u64>) -> bool {
    query.group_by.is_empty() && bucket_s.is_none()
}
