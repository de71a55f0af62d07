//! The schema, a superset of the earlier monitor's, and opening a database:
//! for the writer (created, or an earlier monitor's database extended in
//! place) and read-only for everything that only reads.

use super::rows::StatusRow;
use crate::error::{Context, Error, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// The earlier monitor's three tables, exactly as it created them.
pub(super) const LEGACY_SCHEMA: &str = "
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

/// kissmon's own tables and indexes, as schema version 1 has them (later
/// steps are in `migrate`).
pub(super) const KISSMON_SCHEMA: &str = "
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
pub(super) const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
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
    let mut conn = Connection::open(path).context(|| format!("cannot open the database {}", path.display()))?;
    let tables = table_names(&conn, path)?;
    check_is_monitor_db(&tables, path)?;
    conn.busy_timeout(Duration::from_secs(5)).context(|| "cannot set the busy timeout".into())?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .context(|| format!("cannot switch {} to WAL", path.display()))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!("the database {} stays in journal mode {mode}, not WAL", path.display());
    }
    // A page cache that holds what the writer touches (bot_status, the tails of
    // llm_usage, bot_metrics and their indexes) and little more: it grows with
    // the database up to this bound and never shrinks, so a larger one shows
    // as memory creeping up for as long as it takes to fill (the soak saw it).
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384;")
        .context(|| "cannot set the database pragmas".into())?;
    super::migrate::migrate(&mut conn, path)?;
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

/// Bots the previous monitor left online, stale or unknown, and those that
/// went dead or offline at or after `gone_since`: the registry starts from them.
pub fn load_bots(conn: &Connection, gone_since: SystemTime) -> Result<Vec<StatusRow>> {
    let rows = super::sql::sqlite(conn, &super::read::left_watched(gone_since, None))
        .context(|| "cannot read bot_status".into())?;
    Ok(rows.iter().map(super::read::status_row).collect())
}

/// A value from `kissmon_meta`, if set.
pub fn meta(conn: &Connection, key: &str) -> Option<String> {
    conn.query_row("SELECT value FROM kissmon_meta WHERE key = ?1", [key], |row| row.get(0)).optional().ok().flatten()
}
