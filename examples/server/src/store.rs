//! SQLite: the schema, a superset of the earlier monitor's, and the writer
//! thread that stores whatever is pending in one transaction at a time.
//!
//! Readers and the state worker never wait on SQLite: they hand rows over
//! under a lock that is only ever held to push or to swap the pending set,
//! never across I/O. What waits is bounded: status rows fold per channel,
//! llm_usage rows fold into aggregates past `max_pending_usage`, and past
//! every bound rows are shed and counted.

use crate::config::Config;
use crate::counters::{Counter, Counters};
use crate::error::{Context, Error, Result};
use crate::time::{iso, iso_from_unix};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

/// Bumped when a column or table is added; stored in `kissmon_meta`.
pub const SCHEMA_VERSION: &str = "1";

/// The earlier monitor's three tables, exactly as it created them.
const LEGACY_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bot_status (
    channel TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    status TEXT NOT NULL,
    features_json TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS llm_usage (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    channel TEXT NOT NULL,
    model TEXT NOT NULL,
    feature TEXT NOT NULL,
    tokens_in INTEGER NOT NULL,
    tokens_out INTEGER NOT NULL,
    latency_ms REAL
);
CREATE TABLE IF NOT EXISTS bot_metrics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    channel TEXT NOT NULL,
    pid INTEGER NOT NULL,
    rss_mb REAL NOT NULL,
    cpu_pct REAL NOT NULL,
    features_json TEXT NOT NULL
);
";

/// kissmon's own tables and indexes.
const KISSMON_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bot_transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    channel TEXT NOT NULL,
    pid INTEGER NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS monitor_counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kissmon_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS llm_usage_ts ON llm_usage(ts);
CREATE INDEX IF NOT EXISTS bot_metrics_ts ON bot_metrics(ts);
CREATE INDEX IF NOT EXISTS bot_transitions_ts ON bot_transitions(ts);
";

/// Columns kissmon adds to the earlier monitor's tables (added in place to an old database).
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("bot_status", "lang", "TEXT"),
    ("bot_status", "sdk_version", "TEXT"),
    ("bot_status", "instance", "TEXT"),
    ("bot_status", "heartbeat_interval_s", "REAL"),
    ("bot_status", "lag_ms", "REAL"),
    ("bot_status", "status_reason", "TEXT"),
    ("bot_status", "status_changed_at", "TEXT"),
    ("bot_status", "pid_unverified", "INTEGER NOT NULL DEFAULT 0"),
    ("bot_status", "peer_mismatch", "INTEGER NOT NULL DEFAULT 0"),
    ("bot_status", "peer_pid", "INTEGER"),
    ("bot_status", "peer_uid", "INTEGER"),
    ("bot_status", "proc_start", "INTEGER"),
    ("llm_usage", "pid", "INTEGER"),
    ("llm_usage", "instance", "TEXT"),
    ("llm_usage", "provider", "TEXT"),
    ("llm_usage", "cache_read_tokens", "INTEGER"),
    ("llm_usage", "reasoning_tokens", "INTEGER"),
    ("llm_usage", "cost_usd", "REAL"),
    ("llm_usage", "ok", "INTEGER"),
    ("llm_usage", "count", "INTEGER NOT NULL DEFAULT 1"),
    ("llm_usage", "peer_mismatch", "INTEGER NOT NULL DEFAULT 0"),
];

/// Tables that mark a database as the monitor's (kissmon's or the earlier one's).
const MONITOR_TABLES: &[&str] = &["bot_status", "llm_usage", "bot_metrics", "kissmon_meta"];

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
        }
    }
}

/// Rows that fold into one aggregate when the writer falls behind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct UsageKey {
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
struct Aggregate {
    ts: f64,
    tokens_in: u64,
    tokens_out: u64,
    cache_read_tokens: Option<u64>,
    reasoning_tokens: Option<u64>,
    cost_usd: Option<f64>,
    count: u64,
    latency_calls: u64,
    latency_sum: f64,
}

/// Splits a row into its key (its strings move, nothing is copied) and its sums.
fn split(row: UsageRow) -> (UsageKey, Aggregate) {
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
    fn merge(&mut self, other: Aggregate) {
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

    fn into_row(key: UsageKey, sums: Aggregate) -> UsageRow {
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

/// Everything waiting for the writer.
#[derive(Debug, Default)]
struct Batch {
    /// Latest row per channel: a bot that changes often is written once per batch.
    status: HashMap<String, StatusRow>,
    transitions: Vec<TransitionRow>,
    usage: Vec<UsageRow>,
    aggregates: HashMap<UsageKey, Aggregate>,
    metrics: Vec<MetricRow>,
    counters: Option<Vec<(&'static str, u64)>>,
    meta: Vec<(&'static str, String)>,
    delete_before: Option<SystemTime>,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.status.is_empty()
            && self.transitions.is_empty()
            && self.usage.is_empty()
            && self.aggregates.is_empty()
            && self.metrics.is_empty()
            && self.counters.is_none()
            && self.meta.is_empty()
            && self.delete_before.is_none()
    }

    fn rows(&self) -> u64 {
        (self.status.len() + self.transitions.len() + self.usage.len() + self.aggregates.len() + self.metrics.len())
            as u64
    }
}

#[derive(Default)]
struct Pending {
    batch: Batch,
    stopping: bool,
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    counters: Arc<Counters>,
    max_pending_usage: usize,
    max_usage_aggregates: usize,
}

/// Bounds on rows that only pile up while SQLite is stuck.
const MAX_PENDING_METRICS: usize = 100_000;
const MAX_PENDING_TRANSITIONS: usize = 100_000;

/// The handle readers, the state worker and the prober push rows through.
#[derive(Clone)]
pub struct Store {
    shared: Arc<Shared>,
    writer: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Store {
    /// Starts the writer thread on an open database (see [`open_for_writing`]).
    pub fn start(conn: Connection, counters: Arc<Counters>, config: &Config) -> Result<Store> {
        let shared = Arc::new(Shared {
            pending: Mutex::default(),
            wake: Condvar::new(),
            counters,
            max_pending_usage: config.max_pending_usage.max(1),
            max_usage_aggregates: config.max_usage_aggregates.max(1),
        });
        let for_writer = Arc::clone(&shared);
        let writer = std::thread::Builder::new()
            .name("kissmon-writer".into())
            .spawn(move || write_loop(conn, &for_writer))
            .context(|| "cannot start the storage writer thread".into())?;
        Ok(Store { shared, writer: Arc::new(Mutex::new(Some(writer))) })
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.shared.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn push(&self, push: impl FnOnce(&mut Batch, &Shared)) {
        let mut pending = self.lock();
        push(&mut pending.batch, &self.shared);
        drop(pending);
        self.shared.wake.notify_one();
    }

    pub fn push_status(&self, rows: impl IntoIterator<Item = StatusRow>) {
        self.push(|batch, _| {
            for row in rows {
                batch.status.insert(row.channel.clone(), row);
            }
        });
    }

    pub fn push_transitions(&self, rows: Vec<TransitionRow>) {
        self.push(|batch, shared| {
            let room = MAX_PENDING_TRANSITIONS.saturating_sub(batch.transitions.len());
            let shed = rows.len().saturating_sub(room);
            batch.transitions.extend(rows.into_iter().take(room));
            shared.counters.add(Counter::transitions_shed, shed as u64);
        });
    }

    pub fn push_metrics(&self, rows: Vec<MetricRow>) {
        self.push(|batch, shared| {
            let room = MAX_PENDING_METRICS.saturating_sub(batch.metrics.len());
            let shed = rows.len().saturating_sub(room);
            batch.metrics.extend(rows.into_iter().take(room));
            shared.counters.add(Counter::metrics_shed, shed as u64);
        });
    }

    /// Queues llm_usage rows; past `max_pending_usage` they fold into
    /// aggregates (one row with the summed count), past the aggregate bound
    /// they are shed. Both are counted, in calls.
    pub fn push_usage(&self, rows: Vec<UsageRow>) {
        if rows.is_empty() {
            return;
        }
        self.push(|batch, shared| {
            let room = shared.max_pending_usage.saturating_sub(batch.usage.len());
            if rows.len() <= room {
                batch.usage.extend(rows);
                return;
            }
            let mut rows = rows.into_iter();
            batch.usage.extend(rows.by_ref().take(room));
            let (mut folded, mut shed) = (0u64, 0u64);
            for row in rows {
                let (key, sums) = split(row);
                let calls = sums.count;
                if let Some(aggregate) = batch.aggregates.get_mut(&key) {
                    aggregate.merge(sums);
                    folded += calls;
                } else if batch.aggregates.len() < shared.max_usage_aggregates {
                    batch.aggregates.insert(key, sums);
                    folded += calls;
                } else {
                    shed += calls;
                }
            }
            shared.counters.add(Counter::usage_folded, folded);
            shared.counters.add(Counter::usage_shed, shed);
        });
    }

    pub fn push_counters(&self, snapshot: Vec<(&'static str, u64)>) {
        self.push(|batch, _| batch.counters = Some(snapshot));
    }

    pub fn push_meta(&self, key: &'static str, value: String) {
        self.push(|batch, _| batch.meta.push((key, value)));
    }

    /// Deletes `bot_metrics` and `bot_transitions` rows older than `before`.
    pub fn delete_before(&self, before: SystemTime) {
        self.push(|batch, _| batch.delete_before = Some(before));
    }

    /// Writes everything pending, stops the writer and waits for it. Later pushes are ignored.
    pub fn close(&self) {
        self.lock().stopping = true;
        self.shared.wake.notify_one();
        let writer = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        if let Some(writer) = writer {
            let _ = writer.join();
        }
    }
}

fn write_loop(mut conn: Connection, shared: &Shared) {
    loop {
        let (batch, stopping) = {
            let mut pending = shared.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            while pending.batch.is_empty() && !pending.stopping {
                pending = shared.wake.wait(pending).unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            (std::mem::take(&mut pending.batch), pending.stopping)
        };
        if !batch.is_empty() {
            let rows = batch.rows();
            if let Err(err) = write_batch(&mut conn, batch, &shared.counters) {
                shared.counters.add(Counter::storage_errors, 1);
                shared.counters.add(Counter::storage_rows_lost, rows);
                tracing::error!("storage: a transaction of {rows} rows failed and was lost: {err}");
            }
            continue;
        }
        if stopping {
            break;
        }
    }
    if let Err(err) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);") {
        tracing::warn!("storage: final WAL checkpoint failed: {err}");
    }
}

const UPSERT_STATUS: &str = "
INSERT INTO bot_status (channel, pid, status, features_json, registered_at, last_seen, lang, sdk_version,
    instance, heartbeat_interval_s, lag_ms, status_reason, status_changed_at, pid_unverified, peer_mismatch,
    peer_pid, peer_uid, proc_start)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
ON CONFLICT(channel) DO UPDATE SET pid = excluded.pid, status = excluded.status,
    features_json = excluded.features_json, registered_at = excluded.registered_at,
    last_seen = excluded.last_seen, lang = excluded.lang, sdk_version = excluded.sdk_version,
    instance = excluded.instance, heartbeat_interval_s = excluded.heartbeat_interval_s,
    lag_ms = excluded.lag_ms, status_reason = excluded.status_reason,
    status_changed_at = excluded.status_changed_at, pid_unverified = excluded.pid_unverified,
    peer_mismatch = excluded.peer_mismatch, peer_pid = excluded.peer_pid, peer_uid = excluded.peer_uid,
    proc_start = excluded.proc_start";

/// llm_usage rows bound into one INSERT statement (16 parameters each).
const USAGE_ROWS_PER_INSERT: usize = 64;

fn insert_usage(rows: usize) -> String {
    let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; rows].join(", ");
    format!(
        "INSERT INTO llm_usage (ts, channel, model, feature, tokens_in, tokens_out, latency_ms, pid, instance, \
         provider, cache_read_tokens, reasoning_tokens, cost_usd, ok, count, peer_mismatch) VALUES {values}"
    )
}

static INSERT_USAGE_ONE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| insert_usage(1));
static INSERT_USAGE_MANY: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| insert_usage(USAGE_ROWS_PER_INSERT));

/// Binds one row's 16 values from parameter `index` on.
fn bind_usage(
    statement: &mut rusqlite::CachedStatement<'_>,
    index: &mut usize,
    row: &UsageRow,
) -> rusqlite::Result<()> {
    let ts = iso_from_unix(row.ts);
    let values: [&dyn rusqlite::ToSql; 16] = [
        &ts,
        &row.channel,
        &row.model,
        &row.feature,
        &int(row.tokens_in),
        &int(row.tokens_out),
        &row.latency_ms,
        &row.pid,
        &row.instance,
        &row.provider,
        &row.cache_read_tokens.map(int),
        &row.reasoning_tokens.map(int),
        &row.cost_usd,
        &row.ok,
        &int(row.count),
        &row.peer_mismatch,
    ];
    for value in values {
        statement.raw_bind_parameter(*index, value)?;
        *index += 1;
    }
    Ok(())
}

/// SQLite integers are signed; token sums saturate at i64::MAX.
fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn write_batch(conn: &mut Connection, batch: Batch, counters: &Counters) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    let usage_calls: u64;
    let usage_rows = batch.usage.len() + batch.aggregates.len();
    {
        let aggregates = batch.aggregates.into_iter().map(|(key, sums)| Aggregate::into_row(key, sums));
        let rows: Vec<UsageRow> = batch.usage.into_iter().chain(aggregates).collect();
        usage_calls = rows.iter().map(|row| row.count).sum();
        // Many rows per statement: SQLite's per-statement work (AUTOINCREMENT's
        // sqlite_sequence lookup and update among it) is paid once per chunk.
        let mut chunks = rows.chunks_exact(USAGE_ROWS_PER_INSERT);
        let mut insert_many = tx.prepare_cached(&INSERT_USAGE_MANY)?;
        for chunk in &mut chunks {
            let mut index = 1;
            for row in chunk {
                bind_usage(&mut insert_many, &mut index, row)?;
            }
            insert_many.raw_execute()?;
        }
        let mut insert_one = tx.prepare_cached(&INSERT_USAGE_ONE)?;
        for row in chunks.remainder() {
            let mut index = 1;
            bind_usage(&mut insert_one, &mut index, row)?;
            insert_one.raw_execute()?;
        }
    }
    let status_rows = batch.status.len();
    {
        let mut upsert = tx.prepare_cached(UPSERT_STATUS)?;
        for row in batch.status.into_values() {
            upsert.execute(params![
                row.channel,
                row.pid,
                row.status,
                row.features_json,
                iso(row.registered_at),
                iso(row.last_seen),
                row.lang,
                row.sdk_version,
                row.instance,
                row.heartbeat_interval_s,
                row.lag_ms,
                row.status_reason,
                iso(row.status_changed_at),
                row.pid_unverified,
                row.peer_mismatch,
                row.peer_pid,
                row.peer_uid,
                row.proc_start.map(int),
            ])?;
        }
    }
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO bot_transitions (ts, channel, pid, from_status, to_status, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for row in &batch.transitions {
            insert.execute(params![iso(row.at), row.channel, row.pid, row.from, row.to, row.reason])?;
        }
    }
    let metrics_rows = batch.metrics.len();
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO bot_metrics (ts, channel, pid, rss_mb, cpu_pct, features_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for row in &batch.metrics {
            insert.execute(params![iso(row.at), row.channel, row.pid, row.rss_mb, row.cpu_pct, row.features_json])?;
        }
    }
    let mut deleted = 0;
    if let Some(before) = batch.delete_before {
        let before = iso(before);
        deleted = tx.execute("DELETE FROM bot_metrics WHERE ts < ?1", [&before])?;
        tx.execute("DELETE FROM bot_transitions WHERE ts < ?1", [&before])?;
    }
    let now = iso(SystemTime::now());
    for (key, value) in &batch.meta {
        tx.execute("INSERT OR REPLACE INTO kissmon_meta (key, value) VALUES (?1, ?2)", params![key, value])?;
    }
    if let Some(snapshot) = &batch.counters {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO monitor_counters (name, value, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )?;
        for (name, value) in snapshot {
            upsert.execute(params![name, int(*value), now])?;
        }
    }
    tx.commit()?;
    counters.add(Counter::usage_rows_written, usage_rows as u64);
    counters.add(Counter::usage_calls_written, usage_calls);
    counters.add(Counter::status_rows_written, status_rows as u64);
    counters.add(Counter::metrics_rows_written, metrics_rows as u64);
    counters.add(Counter::metrics_rows_deleted, deleted as u64);
    Ok(())
}

/// The names of the tables in `conn`, or a clear error for a file that is not SQLite.
fn table_names(conn: &Connection, path: &Path) -> Result<Vec<String>> {
    let not_sqlite = |err: rusqlite::Error| match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => {
            Error::new(format!("{} is not a SQLite database, so not a kissmon monitor database", path.display()))
        }
        _ => Error::new(format!("cannot read the database {}: {err}", path.display())),
    };
    let mut statement = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").map_err(not_sqlite)?;
    let names = statement.query_map([], |row| row.get::<_, String>(0)).map_err(not_sqlite)?;
    names.collect::<rusqlite::Result<Vec<_>>>().map_err(not_sqlite)
}

/// Refuses a database that holds other tables but none of the monitor's.
fn check_is_monitor_db(tables: &[String], path: &Path) -> Result<()> {
    let ours = tables.iter().any(|t| MONITOR_TABLES.contains(&t.as_str()));
    if !tables.is_empty() && !ours {
        let mut shown: Vec<&str> = tables.iter().map(String::as_str).take(8).collect();
        shown.sort_unstable();
        return Err(Error::new(format!(
            "{} is not a kissmon monitor database: it has none of the tables bot_status, llm_usage, bot_metrics \
             (its tables: {})",
            path.display(),
            shown.join(", ")
        )));
    }
    Ok(())
}

pub(crate) fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let names = statement.query_map([], |row| row.get::<_, String>(1))?;
    names.collect()
}

/// Opens (creating if needed) the monitor's database for `serve`: WAL, the
/// schema created or an earlier monitor's database extended in place.
pub fn open_for_writing(path: &Path) -> Result<Connection> {
    if path.is_dir() {
        return Err(Error::new(format!("--db {} is a directory; give a file path", path.display())));
    }
    let conn = Connection::open(path).context(|| format!("cannot open the database {}", path.display()))?;
    let tables = table_names(&conn, path)?;
    check_is_monitor_db(&tables, path)?;
    conn.busy_timeout(Duration::from_secs(5)).context(|| "cannot set the busy timeout".into())?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .context(|| format!("cannot switch {} to WAL", path.display()))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!("the database {} stays in journal mode {mode}, not WAL", path.display());
    }
    // A larger page cache keeps the tail of llm_usage and its ts index in memory (grows only as used).
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;")
        .context(|| "cannot set the database pragmas".into())?;
    conn.execute_batch(LEGACY_SCHEMA).context(|| format!("cannot create the tables in {}", path.display()))?;
    for (table, column, decl) in ADDED_COLUMNS {
        let existing = columns(&conn, table).context(|| format!("cannot read the columns of {table}"))?;
        if !existing.iter().any(|c| c == column) {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))
                .context(|| format!("cannot add column {table}.{column}"))?;
        }
    }
    conn.execute_batch(KISSMON_SCHEMA).context(|| format!("cannot create the tables in {}", path.display()))?;
    conn.execute("INSERT OR REPLACE INTO kissmon_meta (key, value) VALUES ('schema_version', ?1)", [SCHEMA_VERSION])
        .context(|| "cannot write the schema version".into())?;
    Ok(conn)
}

/// Opens an existing monitor database read-only for `status` and `usage`.
/// `needs` is the table the command reads.
pub fn open_for_reading(path: &Path, needs: &str) -> Result<Connection> {
    match std::fs::metadata(path) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::new(format!(
                "--db {}: no monitor database there, the file does not exist (a monitor creates it: \
                 `kissmon-server serve --db {}`)",
                path.display(),
                path.display()
            )))
        }
        Err(err) => return Err(Error::new(format!("cannot read the database {}: {err}", path.display()))),
        Ok(meta) if meta.is_dir() => {
            return Err(Error::new(format!("--db {} is a directory; give the database file", path.display())))
        }
        Ok(_) => {}
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .context(|| format!("cannot open the database {}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(5)).context(|| "cannot set the busy timeout".into())?;
    let tables = table_names(&conn, path)?;
    if !tables.iter().any(|t| t == needs) {
        return Err(Error::new(format!(
            "{} is not a kissmon monitor database: it has no {needs} table{}",
            path.display(),
            if tables.is_empty() {
                " (it is empty)".to_string()
            } else {
                format!(" (its tables: {})", tables.join(", "))
            }
        )));
    }
    Ok(conn)
}

/// Bots the previous monitor left online, stale or unknown: the registry starts from them.
pub fn load_live_bots(conn: &Connection) -> Result<Vec<StatusRow>> {
    let mut statement = conn
        .prepare(
            "SELECT channel, pid, status, features_json, registered_at, last_seen, lang, sdk_version, instance,
                    heartbeat_interval_s, lag_ms, status_reason, status_changed_at, pid_unverified, peer_mismatch,
                    peer_pid, peer_uid, proc_start
             FROM bot_status WHERE status IN ('online', 'stale', 'unknown')",
        )
        .context(|| "cannot read bot_status".into())?;
    let parse = |text: Option<String>| text.as_deref().and_then(crate::time::parse_iso).unwrap_or(SystemTime::now());
    let rows = statement
        .query_map([], |row| {
            let status: String = row.get(2)?;
            Ok(StatusRow {
                channel: row.get(0)?,
                pid: row.get::<_, i64>(1)?.clamp(0, i64::from(i32::MAX)) as u32,
                status: match status.as_str() {
                    "online" => "online",
                    "stale" => "stale",
                    _ => "unknown",
                },
                features_json: row.get(3)?,
                registered_at: parse(row.get(4)?),
                last_seen: parse(row.get(5)?),
                lang: row.get(6)?,
                sdk_version: row.get(7)?,
                instance: row.get(8)?,
                heartbeat_interval_s: row.get(9)?,
                lag_ms: row.get(10)?,
                status_reason: row.get::<_, Option<String>>(11)?.unwrap_or_default(),
                status_changed_at: parse(row.get(12)?),
                pid_unverified: row.get(13)?,
                peer_mismatch: row.get(14)?,
                peer_pid: row.get(15)?,
                peer_uid: row.get(16)?,
                proc_start: row.get::<_, Option<i64>>(17)?.map(|v| v.max(0) as u64),
            })
        })
        .context(|| "cannot read bot_status".into())?;
    rows.collect::<rusqlite::Result<Vec<_>>>().context(|| "cannot read bot_status".into())
}

/// A value from `kissmon_meta`, if set.
pub fn meta(conn: &Connection, key: &str) -> Option<String> {
    conn.query_row("SELECT value FROM kissmon_meta WHERE key = ?1", [key], |row| row.get(0)).optional().ok().flatten()
}
