//! The PostgreSQL schema in numbered steps, one transaction each, recorded
//! in `kissmon_schema`. Step `i` here matches step `i` of SQLite's list
//! (`store::migrate`): the same tables and columns, plus `monitor_id` in
//! every table and in every key, so that monitors never collide. A test
//! (`tests/postgres.rs`) compares the two schemas column by column; a step
//! added to one list and not to the other fails it.
//!
//! Monitors starting at once against a new database take turns: each step
//! runs under a transaction-scoped advisory lock.

use crate::error::{Error, Result};
use tokio_postgres::Client;

/// Every step, in order: step `i` takes the database from version `i` to `i + 1`.
const STEPS: &[(&str, &str)] = &[
    ("the earlier monitor's tables, extended; kissmon's tables and indexes", FIRST_SCHEMA),
    ("indexes for one bot's history (bot_metrics and bot_transitions by channel)", HISTORY_INDEXES),
    ("alerts, their notification attempts and silences", ALERTS),
    ("llm_usage.seq and usage_acks: each acknowledged llm_usage line stored once (protocol 1.1)", USAGE_ACKS),
];

/// Step 4: per client instance, the highest `seq` stored, written in the same
/// transaction as the rows (see `store::acks`).
const USAGE_ACKS: &str = "
ALTER TABLE llm_usage ADD COLUMN seq BIGINT;
CREATE TABLE usage_acks (
    monitor_id TEXT NOT NULL,
    instance TEXT NOT NULL,
    seq BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (monitor_id, instance)
);
";

/// The schema version this build writes.
pub const LATEST: i32 = STEPS.len() as i32;

/// Tables PostgreSQL has and SQLite has not: the schema version, and each
/// writer's last committed batch (so a batch retried after a lost commit
/// reply is not stored twice).
pub const POSTGRES_ONLY_TABLES: &[&str] = &["kissmon_schema", "kissmon_writer"];

/// Timestamps are ISO-8601 text as in SQLite (`2025-12-06T09:21:25.123456Z`,
/// which sorts in time order), so that every query reads the same in both.
const FIRST_SCHEMA: &str = "
CREATE TABLE bot_status (
    monitor_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    pid BIGINT NOT NULL,
    status TEXT NOT NULL,
    features_json TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    lang TEXT,
    sdk_version TEXT,
    instance TEXT,
    heartbeat_interval_s DOUBLE PRECISION,
    lag_ms DOUBLE PRECISION,
    status_reason TEXT,
    status_changed_at TEXT,
    pid_unverified BOOLEAN NOT NULL DEFAULT false,
    peer_mismatch BOOLEAN NOT NULL DEFAULT false,
    peer_pid BIGINT,
    peer_uid BIGINT,
    proc_start BIGINT,
    PRIMARY KEY (monitor_id, channel)
);
CREATE TABLE llm_usage (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    monitor_id TEXT NOT NULL,
    ts TEXT NOT NULL,
    channel TEXT NOT NULL,
    model TEXT NOT NULL,
    feature TEXT NOT NULL,
    tokens_in BIGINT NOT NULL,
    tokens_out BIGINT NOT NULL,
    latency_ms DOUBLE PRECISION,
    pid BIGINT,
    instance TEXT,
    provider TEXT,
    cache_read_tokens BIGINT,
    reasoning_tokens BIGINT,
    cost_usd DOUBLE PRECISION,
    ok BOOLEAN,
    count BIGINT NOT NULL DEFAULT 1,
    peer_mismatch BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE bot_metrics (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    monitor_id TEXT NOT NULL,
    ts TEXT NOT NULL,
    channel TEXT NOT NULL,
    pid BIGINT NOT NULL,
    rss_mb DOUBLE PRECISION NOT NULL,
    cpu_pct DOUBLE PRECISION NOT NULL,
    features_json TEXT NOT NULL
);
CREATE TABLE bot_transitions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    monitor_id TEXT NOT NULL,
    ts TEXT NOT NULL,
    channel TEXT NOT NULL,
    pid BIGINT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE monitor_counters (
    monitor_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (monitor_id, name)
);
CREATE TABLE kissmon_meta (
    monitor_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (monitor_id, key)
);
CREATE TABLE kissmon_writer (
    monitor_id TEXT PRIMARY KEY,
    run_id BIGINT NOT NULL,
    batch BIGINT NOT NULL
);
CREATE INDEX llm_usage_ts ON llm_usage(ts);
CREATE INDEX llm_usage_monitor_ts ON llm_usage(monitor_id, ts);
CREATE INDEX bot_metrics_ts ON bot_metrics(ts);
CREATE INDEX bot_transitions_ts ON bot_transitions(ts);
";

const HISTORY_INDEXES: &str = "
CREATE INDEX bot_metrics_channel_ts ON bot_metrics(monitor_id, channel, ts);
CREATE INDEX bot_transitions_channel ON bot_transitions(monitor_id, channel, id);
";

const ALERTS: &str = "
CREATE TABLE alerts (
    monitor_id TEXT NOT NULL,
    key TEXT NOT NULL,
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
    notified BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (monitor_id, key)
);
CREATE INDEX alerts_state ON alerts(state);
CREATE INDEX alerts_starts_at ON alerts(starts_at);
CREATE TABLE alert_notifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    monitor_id TEXT NOT NULL,
    ts TEXT NOT NULL,
    alert_key TEXT NOT NULL,
    notifier TEXT NOT NULL,
    status TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    error TEXT
);
CREATE INDEX alert_notifications_key ON alert_notifications(monitor_id, alert_key);
CREATE TABLE alert_silences (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    monitor_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    channel TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_by TEXT NOT NULL
);
";

/// An arbitrary constant: the advisory lock key of migrations.
const MIGRATION_LOCK: i64 = 0x006b_6973_736d_6f6e;

/// The schema version of the database (0 for one kissmon never touched).
pub async fn version(client: &Client) -> std::result::Result<i32, tokio_postgres::Error> {
    let exists: bool = client.query_one("SELECT to_regclass('kissmon_schema') IS NOT NULL", &[]).await?.get(0);
    if !exists {
        return Ok(0);
    }
    let row = client.query_opt("SELECT version FROM kissmon_schema", &[]).await?;
    Ok(row.map_or(0, |row| row.get(0)))
}

/// Brings the database to [`LATEST`], one step at a time. `shown` names it in errors.
pub async fn migrate(client: &mut Client, shown: &str) -> Result<()> {
    let fail = |what: String| move |err: tokio_postgres::Error| Error::new(format!("{what}: {}", super::explain(&err)));
    loop {
        let tx = client.transaction().await.map_err(fail(format!("cannot migrate {shown}")))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(fail(format!("cannot lock {shown} for migration")))?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS kissmon_schema (version INTEGER NOT NULL)")
            .await
            .map_err(fail(format!("cannot create kissmon_schema in {shown}")))?;
        let at: i32 = match tx.query_opt("SELECT version FROM kissmon_schema", &[]).await {
            Ok(row) => row.map_or(0, |row| row.get(0)),
            Err(err) => return Err(fail(format!("cannot read the schema version of {shown}"))(err)),
        };
        if at > LATEST {
            return Err(Error::new(format!(
                "{shown} has schema version {at}, written by a newer kissmon-server; this one knows versions up \
                 to {LATEST}"
            )));
        }
        if at == LATEST {
            return tx.commit().await.map_err(fail(format!("cannot migrate {shown}")));
        }
        if at == 0 {
            let tables: i64 = tx
                .query_one(
                    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() \
                     AND table_name IN ('bot_status', 'llm_usage', 'bot_metrics')",
                    &[],
                )
                .await
                .map_err(fail(format!("cannot read the tables of {shown}")))?
                .get(0);
            if tables > 0 {
                return Err(Error::new(format!(
                    "{shown} already has monitor tables (bot_status, llm_usage or bot_metrics) that kissmon did \
                     not create; give kissmon a database or schema of its own"
                )));
            }
        }
        let (what, sql) = STEPS[at as usize];
        let to = at + 1;
        let step = async {
            tx.batch_execute(sql).await?;
            tx.execute("DELETE FROM kissmon_schema", &[]).await?;
            tx.execute("INSERT INTO kissmon_schema (version) VALUES ($1)", &[&to]).await?;
            tx.commit().await
        };
        step.await.map_err(fail(format!("cannot bring {shown} to schema version {to} ({what})")))?;
        tracing::info!("database {shown}: schema version {to}: {what}");
    }
}
