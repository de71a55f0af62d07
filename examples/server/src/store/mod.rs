//! Storage in SQLite: the writer thread that stores whatever is pending in
//! one transaction at a time, and the handle everything else pushes rows
//! through. The schema is in `schema`, the row types in `rows`, folding in
//! `fold`, and reads for the API and the CLI in `read`.
//!
//! Readers and the state worker never wait on SQLite: they hand rows over
//! under a lock that is only ever held to push or to swap the pending set,
//! never across I/O. What waits is bounded: status rows fold per channel,
//! llm_usage rows fold into aggregates past `max_pending_usage`, and past
//! every bound rows are shed and counted. A transaction SQLite refuses is
//! kept and retried (`fault`), so a full disk, a read-only file or a locked
//! database costs no rows while it lasts within those bounds.

use crate::config::Config;
use crate::counters::{Counter, Counters};
use crate::error::{Context, Result};
use crate::time::{iso, iso_from_unix};
use rusqlite::{params, Connection};
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

pub mod acks;
mod fault;
mod fold;
pub mod migrate;
pub mod postgres;
pub mod read;
mod rows;
mod schema;
pub mod sql;
pub mod totals;

use acks::Acks;
pub use fault::StorageFault;
use fold::{into_row, split, UsageKey};
use kissmon::fold::UsageSums;
pub use rows::{MetricRow, StatusRow, TransitionRow, UsageRow};
pub(crate) use schema::columns;
pub use schema::{load_bots, meta, open_for_reading, open_for_writing};
use std::time::Instant;
use totals::UsageTotals;

/// Everything waiting for the writer.
#[derive(Debug, Default)]
struct Batch {
    /// Latest row per channel: a bot that changes often is written once per batch.
    status: HashMap<String, StatusRow>,
    transitions: Vec<TransitionRow>,
    usage: Vec<UsageRow>,
    aggregates: HashMap<UsageKey, UsageSums>,
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
    /// When the oldest row of `batch` was pushed.
    waiting_since: Option<Instant>,
    /// When the oldest row of the batch the writer is storing was pushed.
    writing_since: Option<Instant>,
    last_commit: Option<SystemTime>,
    /// Set while SQLite refuses transactions.
    fault: Option<StorageFault>,
    /// The status map of the last batch written, emptied: the next batch
    /// starts from it instead of growing a map of every bot from nothing
    /// each second (megabytes of rehashing that the soak saw as RSS swings).
    spare_status: HashMap<String, StatusRow>,
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    counters: Arc<Counters>,
    totals: Arc<UsageTotals>,
    acks: Arc<Acks>,
    max_pending_usage: usize,
    max_usage_aggregates: usize,
}

/// How the writer keeps up, for /healthz and /metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct WriterHealth {
    /// How long the oldest row not yet committed has waited; zero when none waits.
    pub lag: Duration,
    /// Rows waiting for the writer (not counting a batch it is storing).
    pub pending_rows: u64,
    pub last_commit: Option<SystemTime>,
    /// Set while SQLite refuses transactions (a full disk, a read-only file, a lock).
    pub fault: Option<StorageFault>,
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
        let totals = UsageTotals::load(&conn).context(|| "cannot sum the llm_usage table".into())?;
        let acks = Acks::load(&conn, config.retention).context(|| "cannot read the usage_acks table".into())?;
        Store::spawn(totals, acks, counters, config, move |shared| write_loop(conn, shared))
    }

    /// Starts the writer thread of a backend: `writer` takes batches from the shared pending set.
    fn spawn(
        totals: UsageTotals,
        acks: Acks,
        counters: Arc<Counters>,
        config: &Config,
        writer: impl FnOnce(&Shared) + Send + 'static,
    ) -> Result<Store> {
        let shared = Arc::new(Shared {
            pending: Mutex::default(),
            wake: Condvar::new(),
            counters,
            totals: Arc::new(totals),
            acks: Arc::new(acks),
            max_pending_usage: config.max_pending_usage.max(1),
            max_usage_aggregates: config.max_usage_aggregates.max(1),
        });
        let for_writer = Arc::clone(&shared);
        let writer = std::thread::Builder::new()
            .name("kissmon-writer".into())
            .spawn(move || writer(&for_writer))
            .context(|| "cannot start the storage writer thread".into())?;
        Ok(Store { shared, writer: Arc::new(Mutex::new(Some(writer))) })
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.shared.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The database's llm_usage totals, kept current by the writer.
    pub fn totals(&self) -> Arc<UsageTotals> {
        Arc::clone(&self.shared.totals)
    }

    /// Which numbered llm_usage lines are stored, and their acks (protocol 1.1).
    pub fn acks(&self) -> Arc<Acks> {
        Arc::clone(&self.shared.acks)
    }

    pub fn health(&self) -> WriterHealth {
        let pending = self.lock();
        let oldest = match (pending.waiting_since, pending.writing_since) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        WriterHealth {
            lag: oldest.map_or(Duration::ZERO, |since| since.elapsed()),
            pending_rows: pending.batch.rows() + pending.fault.as_ref().map_or(0, |fault| fault.retained_rows),
            last_commit: pending.last_commit,
            fault: pending.fault.clone(),
        }
    }

    fn push(&self, push: impl FnOnce(&mut Batch, &Shared)) {
        let mut pending = self.lock();
        if pending.batch.status.capacity() == 0 {
            let spare = std::mem::take(&mut pending.spare_status);
            pending.batch.status = spare;
        }
        push(&mut pending.batch, &self.shared);
        if pending.waiting_since.is_none() && !pending.batch.is_empty() {
            pending.waiting_since = Some(Instant::now());
        }
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
            // A numbered line does not fold (its identity would be lost): it
            // is not kept, and its client writes it again for want of an ack.
            let (numbered, rows): (Vec<UsageRow>, Vec<UsageRow>) =
                rows.partition(|row| row.seq.is_some() && row.instance.is_some());
            shared.acks.not_kept(&numbered);
            shared.counters.add(Counter::usage_refused, numbered.iter().map(|row| row.count).sum());
            let (mut folded, mut shed) = (0u64, 0u64);
            for row in rows {
                let (key, sums) = split(row);
                let calls = sums.count;
                if let Some(aggregate) = batch.aggregates.get_mut(&key) {
                    if aggregate.fits(&sums) {
                        aggregate.add(&sums);
                    } else {
                        // Full: it is stored as it is, and a new one starts.
                        let full = std::mem::replace(aggregate, sums);
                        batch.usage.push(into_row(key, full));
                    }
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
    let mut retry = fault::Retry::default();
    loop {
        let (mut batch, stopping) = {
            let mut pending = shared.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match retry.take() {
                // A failed batch goes first; its rows are the oldest (`writing_since` stays).
                Some(failed) => (failed, pending.stopping),
                None => {
                    while pending.batch.is_empty() && !pending.stopping {
                        pending = shared.wake.wait(pending).unwrap_or_else(|poisoned| poisoned.into_inner());
                    }
                    pending.writing_since = pending.waiting_since.take();
                    (std::mem::take(&mut pending.batch), pending.stopping)
                }
            }
        };
        if !batch.is_empty() {
            batch.settle_aggregates();
            let result = write_batch(&mut conn, &mut batch, &shared.counters, &shared.totals, &shared.acks);
            // Emptied before taking the lock: dropping every row is not quick.
            let spare = result.is_ok().then(|| {
                let mut status = std::mem::take(&mut batch.status);
                status.clear();
                status
            });
            let mut pending = shared.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let next = match result {
                Ok(()) => {
                    pending.spare_status = spare.unwrap_or_default();
                    pending.last_commit = Some(SystemTime::now());
                    retry.succeeded(pending.fault.take());
                    fault::Next::Continue
                }
                Err(err) => retry.failed(batch, &err, stopping, &mut pending.fault, &shared.counters),
            };
            match next {
                fault::Next::Continue => pending.writing_since = None,
                fault::Next::Pause(pause) => drop(fault::pause(&shared.wake, pending, pause, stopping)),
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

/// llm_usage rows bound into one INSERT statement (17 parameters each).
const USAGE_ROWS_PER_INSERT: usize = 64;

fn insert_usage(rows: usize) -> String {
    let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; rows].join(", ");
    format!(
        "INSERT INTO llm_usage (ts, channel, model, feature, tokens_in, tokens_out, latency_ms, pid, instance, \
         provider, cache_read_tokens, reasoning_tokens, cost_usd, ok, count, peer_mismatch, seq) VALUES {values}"
    )
}

static INSERT_USAGE_ONE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| insert_usage(1));
static INSERT_USAGE_MANY: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| insert_usage(USAGE_ROWS_PER_INSERT));

/// Binds one row's 17 values from parameter `index` on.
fn bind_usage(
    statement: &mut rusqlite::CachedStatement<'_>,
    index: &mut usize,
    row: &UsageRow,
) -> rusqlite::Result<()> {
    let ts = iso_from_unix(row.ts);
    let seq = row.seq.map(int);
    let values: [&dyn rusqlite::ToSql; 17] = [
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
        &seq,
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

/// Stores `batch` (its aggregates settled into rows) in one transaction; on
/// an error nothing of it is stored and the caller still holds all of it, to
/// try again. Numbered llm_usage rows go through [`Acks`] first: a copy
/// already stored is skipped (and leaves the batch), and the marks that acks
/// report are written in the same transaction and published only after it
/// commits; a failed attempt leaves a hole that the same rows, tried again, fill.
fn write_batch(
    conn: &mut Connection,
    batch: &mut Batch,
    counters: &Counters,
    totals: &UsageTotals,
    acks: &Acks,
) -> rusqlite::Result<()> {
    let (usage, mut admitted) = acks.admit(std::mem::take(&mut batch.usage), counters);
    batch.usage = usage;
    if batch.delete_before.is_some() {
        acks.forget_idle(&mut admitted);
    }
    match write_admitted(conn, batch, counters, totals, &admitted) {
        Ok(()) => {
            acks.committed(admitted, counters);
            Ok(())
        }
        Err(err) => {
            acks.failed(admitted);
            Err(err)
        }
    }
}

fn write_admitted(
    conn: &mut Connection,
    batch: &Batch,
    counters: &Counters,
    totals: &UsageTotals,
    admitted: &acks::Admitted,
) -> rusqlite::Result<()> {
    debug_assert!(batch.aggregates.is_empty(), "settled before writing");
    let tx = conn.transaction()?;
    let usage_calls: u64;
    let usage = &batch.usage;
    let usage_rows = usage.len();
    {
        let rows = usage;
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
        for row in batch.status.values() {
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
    Acks::persist(&tx, admitted, &now)?;
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
    totals.add(usage);
    counters.add(Counter::usage_rows_written, usage_rows as u64);
    counters.add(Counter::usage_calls_written, usage_calls);
    counters.add(Counter::status_rows_written, status_rows as u64);
    counters.add(Counter::metrics_rows_written, metrics_rows as u64);
    counters.add(Counter::metrics_rows_deleted, deleted as u64);
    Ok(())
}
