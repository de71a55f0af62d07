//! Numbered schema steps, each applied once in a transaction of its own and
//! recorded in SQLite's `PRAGMA user_version` (mirrored in `kissmon_meta`
//! as `schema_version`). A step is any code on the transaction, so it can
//! do more than add columns: rebuild a table, move data, add an index.
//!
//! Step 1 takes a database of any earlier origin to the first kissmon
//! schema: an empty file, the earlier Python monitor's three tables, or a
//! kissmon database from before `user_version` was kept (all at version 0).

use super::schema::{columns, ADDED_COLUMNS, KISSMON_SCHEMA, LEGACY_SCHEMA};
use crate::error::{Context, Error, Result};
use rusqlite::{Connection, Transaction};
use std::path::Path;

type Step = fn(&Transaction<'_>) -> rusqlite::Result<()>;

/// Every step, in order: step `i` takes the database from version `i` to `i + 1`.
const STEPS: &[(&str, Step)] = &[
    ("the earlier monitor's tables, extended; kissmon's tables and indexes", first_schema),
    ("indexes for one bot's history (bot_metrics and bot_transitions by channel)", history_indexes),
    ("alerts, their notification attempts and silences", crate::alerts::db::schema),
    ("llm_usage.seq and usage_acks: each acknowledged llm_usage line stored once (protocol 1.1)", usage_acks),
];

/// The schema version this build writes.
pub const LATEST: u32 = STEPS.len() as u32;

fn first_schema(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(LEGACY_SCHEMA)?;
    for (table, column, decl) in ADDED_COLUMNS {
        if !columns(tx, table)?.iter().any(|c| c == column) {
            tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))?;
        }
    }
    tx.execute_batch(KISSMON_SCHEMA)
}

fn history_indexes(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE INDEX IF NOT EXISTS bot_metrics_channel_ts ON bot_metrics(channel, ts);
         CREATE INDEX IF NOT EXISTS bot_transitions_channel ON bot_transitions(channel, id);",
    )
}

fn usage_acks(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    if !columns(tx, "llm_usage")?.iter().any(|c| c == "seq") {
        tx.execute_batch("ALTER TABLE llm_usage ADD COLUMN seq INTEGER")?;
    }
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS usage_acks (
             instance TEXT PRIMARY KEY,
             seq INTEGER NOT NULL,
             updated_at TEXT NOT NULL
         );",
    )
}

pub fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Brings the database at `path` to [`LATEST`], one step at a time.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let at = version(conn).context(|| format!("cannot read the schema version of {}", path.display()))?;
    if at > LATEST {
        return Err(Error::new(format!(
            "{} has schema version {at}, written by a newer kissmon-server; this one knows versions up to {LATEST}",
            path.display()
        )));
    }
    for (index, (what, step)) in STEPS.iter().enumerate().skip(at as usize) {
        let to = index as u32 + 1;
        let apply = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            step(&tx)?;
            tx.pragma_update(None, "user_version", to)?;
            tx.execute(
                "INSERT OR REPLACE INTO kissmon_meta (key, value) VALUES ('schema_version', ?1)",
                [to.to_string()],
            )?;
            tx.commit()
        };
        apply(conn).context(|| format!("cannot bring {} to schema version {to} ({what})", path.display()))?;
        tracing::info!("database {}: schema version {to}: {what}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_db(name: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("kissmon-migrate-{}-{name}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn an_empty_database_reaches_the_latest_version_once() {
        let path = temp_db("empty");
        let mut conn = Connection::open(&path).unwrap();
        migrate(&mut conn, &path).unwrap();
        assert_eq!(version(&conn).unwrap(), LATEST);
        let indexes: i64 = conn
            .query_row("SELECT COUNT(*) FROM sqlite_master WHERE name = 'bot_metrics_channel_ts'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(indexes, 1);
        migrate(&mut conn, &path).unwrap();
        assert_eq!(version(&conn).unwrap(), LATEST);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_database_from_a_newer_monitor_is_refused() {
        let path = temp_db("newer");
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", LATEST + 1).unwrap();
        let err = migrate(&mut conn, &path).unwrap_err().to_string();
        assert!(err.contains("newer kissmon-server"), "{err}");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_kissmon_database_from_before_user_version_is_taken_up_in_place() {
        let path = temp_db("unversioned");
        let mut conn = Connection::open(&path).unwrap();
        conn.execute_batch(LEGACY_SCHEMA).unwrap();
        conn.execute_batch("ALTER TABLE llm_usage ADD COLUMN count INTEGER NOT NULL DEFAULT 1").unwrap();
        conn.execute_batch(KISSMON_SCHEMA).unwrap();
        conn.execute("INSERT INTO llm_usage (ts, channel, model, feature, tokens_in, tokens_out, count) VALUES ('t', 'c', 'm', 'f', 1, 2, 3)", []).unwrap();
        migrate(&mut conn, &path).unwrap();
        assert_eq!(version(&conn).unwrap(), LATEST);
        let count: i64 = conn.query_row("SELECT count FROM llm_usage", [], |r| r.get(0)).unwrap();
        assert_eq!(count, 3, "rows survive");
        let _ = std::fs::remove_file(&path);
    }
}
