//! Alerts in SQLite: each alert instance (one row from the moment it fires
//! until it resolves, then history), every notification attempt, and
//! silences. The engine and the notifiers hand rows to a writer thread of
//! their own through a bounded queue and never wait for it; a full queue
//! drops the row and counts it. Silences are written where they are made
//! (the CLI, the HTTP API) and read back by the engine every evaluation.

use super::notify::Job;
use super::payload::Notice;
use crate::counters::{Counter, Counters};
use crate::error::{Context, Result};
use crate::time::iso;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
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

impl Db {
    /// Opens its own connection to `path` (already migrated) and starts the writer thread.
    pub fn start(path: &Path, counters: Arc<Counters>) -> Result<Db> {
        let conn = Connection::open(path).context(|| format!("alerts: cannot open {}", path.display()))?;
        conn.busy_timeout(Duration::from_secs(5)).context(|| "alerts: cannot set the busy timeout".into())?;
        let (queue, rows) = sync_channel(QUEUE);
        let for_writer = Arc::clone(&counters);
        std::thread::Builder::new()
            .name("kissmon-alerts-db".into())
            .spawn(move || write_loop(conn, rows, &for_writer))
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
                             starts_at, ends_at, last_notified_at, notified";

fn alert_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AlertRow> {
    Ok(AlertRow {
        key: row.get(0)?,
        fingerprint: row.get(1)?,
        alertname: row.get(2)?,
        severity: row.get(3)?,
        channel: row.get(4)?,
        state: row.get(5)?,
        labels_json: row.get(6)?,
        annotations_json: row.get(7)?,
        starts_at: row.get(8)?,
        ends_at: row.get(9)?,
        last_notified_at: row.get(10)?,
        notified: row.get(11)?,
    })
}

/// The alerts that were firing when the monitor last stopped.
pub fn firing(conn: &Connection) -> rusqlite::Result<Vec<AlertRow>> {
    let mut statement =
        conn.prepare(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE state = 'firing' ORDER BY starts_at"))?;
    let rows = statement.query_map([], alert_row)?;
    rows.collect()
}

/// Resolved alerts, newest first.
pub fn history(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<AlertRow>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE state = 'resolved' ORDER BY ends_at DESC LIMIT ?1"
    ))?;
    let rows = statement.query_map([limit as i64], alert_row)?;
    rows.collect()
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

fn silence_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Silence> {
    Ok(Silence {
        id: row.get(0)?,
        rule: row.get(1)?,
        channel: row.get(2)?,
        starts_at: row.get(3)?,
        ends_at: row.get(4)?,
        comment: row.get(5)?,
        created_by: row.get(6)?,
    })
}

/// Silences that have not ended by `now` (newest first); with `all`, every one.
pub fn silences(conn: &Connection, now: SystemTime, all: bool) -> rusqlite::Result<Vec<Silence>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {SILENCE_COLUMNS} FROM alert_silences WHERE ?1 OR ends_at > ?2 ORDER BY id DESC LIMIT 1000"
    ))?;
    let rows = statement.query_map(params![all, iso(now)], silence_row)?;
    rows.collect()
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

pub fn add_silence(conn: &Connection, new: &NewSilence) -> rusqlite::Result<Silence> {
    conn.execute(
        "INSERT INTO alert_silences (rule, channel, starts_at, ends_at, comment, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            new.rule.as_str(),
            new.channel.as_str(),
            iso(SystemTime::now()),
            iso(new.ends_at),
            new.comment,
            new.created_by
        ],
    )?;
    let id = conn.last_insert_rowid();
    conn.query_row(&format!("SELECT {SILENCE_COLUMNS} FROM alert_silences WHERE id = ?1"), [id], silence_row)
}

/// Ends silence `id` now; `None` when there is no such silence.
pub fn expire_silence(conn: &Connection, id: i64) -> rusqlite::Result<Option<Silence>> {
    let now = iso(SystemTime::now());
    conn.execute("UPDATE alert_silences SET ends_at = ?2 WHERE id = ?1 AND ends_at > ?2", params![id, now])?;
    conn.query_row(&format!("SELECT {SILENCE_COLUMNS} FROM alert_silences WHERE id = ?1"), [id], silence_row).optional()
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
