//! Alerts in the monitor's database (SQLite, or the PostgreSQL several
//! monitors share, where every row carries `monitor_id`): each alert
//! instance (one row from the moment it fires until it resolves, then
//! history), every notification attempt, and silences. The engine and the
//! notifiers hand rows to a writer thread of their own through a bounded
//! queue and never wait for it; a full queue, or a database that stays
//! unreachable, drops the rows and counts them. Silences are written where
//! they are made (the CLI, the HTTP API) and read back by the engine every
//! evaluation; on PostgreSQL every monitor applies every silence.

use super::notify::Job;
use super::payload::Notice;
use crate::counters::{Counter, Counters};
use crate::error::{Context, Error, Result};
use crate::store::postgres::{self, Target};
use crate::store::sql::{self, Dialect, Query, Row};
use crate::time::iso;
use rusqlite::{params, Connection, Transaction};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Rows that may wait for the alerts writer.
const QUEUE: usize = 4096;

/// Schema step: the three alert tables.
pub fn schema(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS alerts (
            key TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            alertname TEXT NOT NULL,
            severity TEXT NOT NULL,
            channel TEXT,
            state TEXT NOT NULL,
            labels_json TEXT NOT NULL,
            annotations_json TEXT NOT NULL,
            starts_at TEXT NOT NULL,
            ends_at TEXT,
            last_notified_at TEXT,
            notified INTEGER NOT NULL DEFAULT 0
         );
         CREATE INDEX IF NOT EXISTS alerts_state ON alerts(state);
         CREATE INDEX IF NOT EXISTS alerts_starts_at ON alerts(starts_at);
         CREATE TABLE IF NOT EXISTS alert_notifications (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ts TEXT NOT NULL,
            alert_key TEXT NOT NULL,
            notifier TEXT NOT NULL,
            status TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            error TEXT
         );
         CREATE INDEX IF NOT EXISTS alert_notifications_key ON alert_notifications(alert_key);
         CREATE TABLE IF NOT EXISTS alert_silences (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            rule TEXT NOT NULL,
            channel TEXT NOT NULL,
            starts_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            comment TEXT NOT NULL,
            created_by TEXT NOT NULL
         );",
    )
}

/// An alert instance as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    pub key: String,
    pub fingerprint: String,
    pub alertname: String,
    pub severity: String,
    pub channel: Option<String>,
    /// `firing` or `resolved`.
    pub state: String,
    pub labels_json: String,
    pub annotations_json: String,
    pub starts_at: String,
    pub ends_at: Option<String>,
    pub last_notified_at: Option<String>,
    pub notified: bool,
    /// The monitor that raised it (PostgreSQL); `None` on SQLite.
    pub monitor_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRow {
    pub ts: String,
    pub alert_key: String,
    pub notifier: String,
    pub status: String,
    pub attempt: u32,
    pub outcome: &'static str,
    pub error: Option<String>,
}

impl AttemptRow {
    pub fn new(job: &Job, notifier: &str, attempt: u32, outcome: &'static str, error: Option<String>) -> AttemptRow {
        AttemptRow {
            ts: iso(SystemTime::now()),
            alert_key: job.alert_key.clone(),
            notifier: notifier.to_owned(),
            status: job.notice.status.to_owned(),
            attempt,
            outcome,
            error,
        }
    }
}

enum Write {
    Alert(AlertRow),
    Attempt(AttemptRow),
    /// Answered once every row queued before it is committed (or failed).
    Flush(SyncSender<()>),
}

/// The handle rows go through; cheap to clone.
#[derive(Clone)]
pub struct Db {
    queue: SyncSender<Write>,
    counters: Arc<Counters>,
}

/// Where the alerts writer stores: a migrated SQLite file, or PostgreSQL as this monitor.
pub enum Storage<'a> {
    Sqlite(&'a Path),
    Postgres(Box<Target>),
}

impl Db {
    /// Starts the writer thread, with its own connection.
    pub fn start(storage: Storage<'_>, counters: Arc<Counters>) -> Result<Db> {
        let (queue, rows) = sync_channel(QUEUE);
        let for_writer = Arc::clone(&counters);
        let thread = std::thread::Builder::new().name("kissmon-alerts-db".into());
        match storage {
            Storage::Sqlite(path) => {
                let conn = Connection::open(path).context(|| format!("alerts: cannot open {}", path.display()))?;
                conn.busy_timeout(Duration::from_secs(5)).context(|| "alerts: cannot set the busy timeout".into())?;
                thread.spawn(move || write_loop(conn, rows, &for_writer))
            }
            Storage::Postgres(target) => thread.spawn(move || write_loop_postgres(*target, rows, &for_writer)),
        }
        .context(|| "alerts: cannot start the writer thread".into())?;
        Ok(Db { queue, counters })
    }

    fn push(&self, write: Write) {
        if self.queue.try_send(write).is_err() {
            self.counters.add(Counter::alert_rows_shed, 1);
        }
    }

    pub fn alert(&self, row: AlertRow) {
        self.push(Write::Alert(row));
    }

    pub fn attempt(&self, row: AttemptRow) {
        self.push(Write::Attempt(row));
    }

    /// Waits, at most `timeout`, until every row queued so far is stored:
    /// at shutdown, so that a restart knows what was already notified.
    /// Blocking: call it off the async threads.
    pub fn flush(&self, timeout: Duration) -> bool {
        let (done, stored) = sync_channel(1);
        let deadline = std::time::Instant::now() + timeout;
        let mut write = Write::Flush(done);
        loop {
            match self.queue.try_send(write) {
                Ok(()) => break,
                Err(std::sync::mpsc::TrySendError::Full(back)) if std::time::Instant::now() < deadline => {
                    write = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return false,
            }
        }
        stored.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())).is_ok()
    }
}

fn write_loop(mut conn: Connection, rows: Receiver<Write>, counters: &Counters) {
    while let Ok(first) = rows.recv() {
        let mut batch = vec![first];
        batch.extend(rows.try_iter().take(1024));
        let (batch, flushes): (Vec<Write>, Vec<Write>) = batch.into_iter().partition(|w| !matches!(w, Write::Flush(_)));
        let written = (|| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            for write in &batch {
                match write {
                    Write::Alert(row) => upsert(&tx, row)?,
                    Write::Flush(_) => {}
                    Write::Attempt(row) => {
                        tx.execute(
                            "INSERT INTO alert_notifications (ts, alert_key, notifier, status, attempt, outcome, error)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                            params![
                                row.ts,
                                row.alert_key,
                                row.notifier,
                                row.status,
                                row.attempt,
                                row.outcome,
                                row.error
                            ],
                        )?;
                    }
                }
            }
            tx.commit()
        })();
        if let Err(err) = written {
            counters.add(Counter::alert_rows_shed, batch.len() as u64);
            tracing::warn!("alerts: cannot store {} rows: {err}", batch.len());
        }
        for flush in flushes {
            if let Write::Flush(done) = flush {
                let _ = done.send(());
            }
        }
    }
}

/// Attempts at one batch of alert rows while PostgreSQL cannot be reached
/// (backoff from 100 ms, doubling, up to 2 s: about 10 s in all).
const POSTGRES_ATTEMPTS: u32 = 8;

fn write_loop_postgres(target: Target, rows: Receiver<Write>, counters: &Counters) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!("alerts: cannot start the PostgreSQL writer's runtime: {err}");
            return;
        }
    };
    let mut client: Option<tokio_postgres::Client> = None;
    while let Ok(first) = rows.recv() {
        let mut batch = vec![first];
        batch.extend(rows.try_iter().take(1024));
        let (batch, flushes): (Vec<Write>, Vec<Write>) = batch.into_iter().partition(|w| !matches!(w, Write::Flush(_)));
        let mut backoff = Duration::from_millis(100);
        for attempt in 1..=POSTGRES_ATTEMPTS {
            if batch.is_empty() {
                break;
            }
            let written = runtime.block_on(async {
                let client = match &mut client {
                    Some(client) if !client.is_closed() => client,
                    slot => slot.insert(target.connect().await?),
                };
                let tx = client.transaction().await?;
                for write in &batch {
                    match write {
                        Write::Alert(row) => upsert_postgres(&tx, &target.monitor_id, row).await?,
                        Write::Attempt(row) => insert_attempt_postgres(&tx, &target.monitor_id, row).await?,
                        Write::Flush(_) => {}
                    }
                }
                tx.commit().await
            });
            match written {
                Ok(()) => break,
                Err(err) => {
                    client = None;
                    if attempt == POSTGRES_ATTEMPTS || !postgres::is_transient(&err) {
                        counters.add(Counter::alert_rows_shed, batch.len() as u64);
                        tracing::warn!(
                            "alerts: cannot store {} rows in {}: {}",
                            batch.len(),
                            target.shown,
                            postgres::explain(&err)
                        );
                        break;
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                }
            }
        }
        for flush in flushes {
            if let Write::Flush(done) = flush {
                let _ = done.send(());
            }
        }
    }
}

async fn upsert_postgres(
    tx: &tokio_postgres::Transaction<'_>,
    monitor_id: &str,
    row: &AlertRow,
) -> std::result::Result<(), tokio_postgres::Error> {
    tx.execute(
        "INSERT INTO alerts (monitor_id, key, fingerprint, alertname, severity, channel, state, labels_json,
                             annotations_json, starts_at, ends_at, last_notified_at, notified)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (monitor_id, key) DO UPDATE SET state = excluded.state,
             annotations_json = excluded.annotations_json, ends_at = excluded.ends_at,
             last_notified_at = excluded.last_notified_at, notified = excluded.notified",
        &[
            &monitor_id,
            &row.key,
            &row.fingerprint,
            &row.alertname,
            &row.severity,
            &row.channel,
            &row.state,
            &row.labels_json,
            &row.annotations_json,
            &row.starts_at,
            &row.ends_at,
            &row.last_notified_at,
            &row.notified,
        ],
    )
    .await?;
    Ok(())
}

async fn insert_attempt_postgres(
    tx: &tokio_postgres::Transaction<'_>,
    monitor_id: &str,
    row: &AttemptRow,
) -> std::result::Result<(), tokio_postgres::Error> {
    tx.execute(
        "INSERT INTO alert_notifications (monitor_id, ts, alert_key, notifier, status, attempt, outcome, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &monitor_id,
            &row.ts,
            &row.alert_key,
            &row.notifier,
            &row.status,
            &i64::from(row.attempt),
            &row.outcome,
            &row.error,
        ],
    )
    .await?;
    Ok(())
}

fn upsert(tx: &Transaction<'_>, row: &AlertRow) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO alerts (key, fingerprint, alertname, severity, channel, state, labels_json, annotations_json,
                             starts_at, ends_at, last_notified_at, notified)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT(key) DO UPDATE SET state = excluded.state, annotations_json = excluded.annotations_json,
             ends_at = excluded.ends_at, last_notified_at = excluded.last_notified_at, notified = excluded.notified",
        params![
            row.key,
            row.fingerprint,
            row.alertname,
            row.severity,
            row.channel,
            row.state,
            row.labels_json,
            row.annotations_json,
            row.starts_at,
            row.ends_at,
            row.last_notified_at,
            row.notified
        ],
    )?;
    Ok(())
}

const ALERT_COLUMNS: &str = "key, fingerprint, alertname, severity, channel, state, labels_json, annotations_json, \
                             starts_at, ends_at, last_notified_at, notified, {monitor_id}";

/// One row selected with `ALERT_COLUMNS`.
pub fn alert_row(row: &Row) -> AlertRow {
    AlertRow {
        key: row.text(0),
        fingerprint: row.text(1),
        alertname: row.text(2),
        severity: row.text(3),
        channel: row.opt_text(4),
        state: row.text(5),
        labels_json: row.text(6),
        annotations_json: row.text(7),
        starts_at: row.text(8),
        ends_at: row.opt_text(9),
        last_notified_at: row.opt_text(10),
        notified: row.flag(11),
        monitor_id: row.opt_text(12),
    }
}

/// The alerts that were firing when `monitor` (every monitor, for `None`) last stopped.
pub fn firing(monitor: Option<&str>) -> Query {
    Query::new(format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE state = 'firing' AND {{monitor_is}} ORDER BY starts_at"
    ))
    .monitor(monitor)
}

/// `monitor`'s resolved alerts, newest first.
pub fn history(limit: usize, monitor: &str) -> Query {
    Query::new(format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE state = 'resolved' AND {{monitor_is}} ORDER BY ends_at DESC LIMIT ?1"
    ))
    .bind(limit as i64)
    .monitor(Some(monitor))
}

/// Builds a notice from a stored row (for the API and `status`).
pub fn labels(row: &AlertRow) -> std::collections::BTreeMap<String, String> {
    serde_json::from_str(&row.labels_json).unwrap_or_default()
}

pub fn annotations(row: &AlertRow) -> std::collections::BTreeMap<String, String> {
    serde_json::from_str(&row.annotations_json).unwrap_or_default()
}

/// A silence: notifications of firing alerts whose name matches `rule` and
/// whose channel matches `channel` (both globs) are held back until `ends_at`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Silence {
    pub id: i64,
    /// A glob on the alert name (`*` for every rule).
    pub rule: String,
    /// A glob on the alert's channel (`*` for every channel, and alerts without one).
    pub channel: String,
    pub starts_at: String,
    pub ends_at: String,
    pub comment: String,
    pub created_by: String,
}

impl Silence {
    pub fn active_at(&self, now: &str) -> bool {
        self.starts_at.as_str() <= now && now < self.ends_at.as_str()
    }
}

const SILENCE_COLUMNS: &str = "id, rule, channel, starts_at, ends_at, comment, created_by";

pub fn silence_row(row: &Row) -> Silence {
    Silence {
        id: row.int(0),
        rule: row.text(1),
        channel: row.text(2),
        starts_at: row.text(3),
        ends_at: row.text(4),
        comment: row.text(5),
        created_by: row.text(6),
    }
}

/// Silences that have not ended by `now` (newest first); with `all`, every
/// one. On PostgreSQL, every monitor's: a silence holds for the whole fleet.
pub fn silences(now: SystemTime, all: bool) -> Query {
    Query::new(format!(
        "SELECT {SILENCE_COLUMNS} FROM alert_silences WHERE ?1 OR ends_at > ?2 ORDER BY id DESC LIMIT 1000"
    ))
    .bind(all)
    .bind(iso(now))
}

/// What `silence add` and `POST /api/v1/silences` take.
#[derive(Debug, Clone)]
pub struct NewSilence {
    pub rule: super::glob::Glob,
    pub channel: super::glob::Glob,
    pub ends_at: SystemTime,
    pub comment: String,
    pub created_by: String,
}

/// Adds a silence, returning it. On PostgreSQL `made_by` (the monitor id,
/// or `cli`) is stored as its `monitor_id`: where it was made, not where it holds.
pub fn add_silence(dialect: Dialect, new: &NewSilence, made_by: &str) -> Query {
    let (column, value) = match dialect {
        Dialect::Sqlite => ("", ""),
        Dialect::Postgres => ("monitor_id, ", "?7, "),
    };
    let query = Query::new(format!(
        "INSERT INTO alert_silences ({column}rule, channel, starts_at, ends_at, comment, created_by)
         VALUES ({value}?1, ?2, ?3, ?4, ?5, ?6) RETURNING {SILENCE_COLUMNS}"
    ))
    .bind(new.rule.as_str())
    .bind(new.channel.as_str())
    .bind(iso(SystemTime::now()))
    .bind(iso(new.ends_at))
    .bind(new.comment.clone())
    .bind(new.created_by.clone());
    match dialect {
        Dialect::Sqlite => query,
        Dialect::Postgres => query.bind(made_by),
    }
}

/// Ends silence `id` now: run both in one transaction; the second's row is
/// the silence (none when there is no such silence).
pub fn expire_silence(id: i64) -> [Query; 2] {
    let now = iso(SystemTime::now());
    [
        Query::new("UPDATE alert_silences SET ends_at = ?2 WHERE id = ?1 AND ends_at > ?2").bind(id).bind(now),
        Query::new(format!("SELECT {SILENCE_COLUMNS} FROM alert_silences WHERE id = ?1")).bind(id),
    ]
}

/// A read-write connection for silences made by the CLI or the HTTP API.
pub fn open_for_silences(path: &Path) -> Result<Connection> {
    if !path.exists() {
        return Err(crate::Error::new(format!("{} does not exist: no monitor database there", path.display())));
    }
    let mut conn = Connection::open(path).context(|| format!("cannot open {}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(5)).context(|| "cannot set the busy timeout".into())?;
    crate::store::migrate::migrate(&mut conn, path)?;
    Ok(conn)
}

/// Runs `statements` in one transaction on the database `--db` names (a
/// SQLite file or a PostgreSQL URL), for the `silence` commands.
pub fn run_on(db: &Path, statements: &[Query]) -> Result<Vec<Vec<Row>>> {
    match postgres::url(db) {
        None => {
            let mut conn = open_for_silences(db)?;
            crate::store::read::write_sqlite(&mut conn, statements)
                .context(|| format!("cannot use the silences in {}", db.display()))
        }
        Some(url) => {
            let target = Target::parse(url, "cli")?;
            postgres::block_on(async {
                let mut client = target.connect_or_explain().await?;
                postgres::read::check_migrated(&client, &target).await?;
                let fail = |err: tokio_postgres::Error| {
                    Error::new(format!("cannot use the silences in {}: {}", target.shown, postgres::explain(&err)))
                };
                let tx = client.transaction().await.map_err(fail)?;
                let mut all = Vec::with_capacity(statements.len());
                for statement in statements {
                    all.push(sql::postgres(&tx, statement).await.map_err(fail)?);
                }
                tx.commit().await.map_err(fail)?;
                Ok(all)
            })
        }
    }
}

/// Used by the engine's notices: a stored row's notice (for a restart).
pub fn notice_of(row: &AlertRow) -> Notice {
    Notice {
        status: if row.state == "resolved" { "resolved" } else { "firing" },
        labels: labels(row),
        annotations: annotations(row),
        starts_at: row.starts_at.clone(),
        ends_at: row.ends_at.clone().unwrap_or_else(|| super::payload::ZERO_TIME.to_owned()),
        generator_url: String::new(),
        fingerprint: row.fingerprint.clone(),
    }
}
