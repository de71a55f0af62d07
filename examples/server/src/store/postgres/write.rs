//! The PostgreSQL writer: one thread with a single-threaded runtime and one
//! connection. It takes what is pending, as the SQLite writer does, and
//! stores it in one transaction: llm_usage, bot_metrics and bot_transitions
//! through binary COPY, bot_status and the counters as one upsert each.
//!
//! A batch is only dropped for a fault of its own (a value PostgreSQL
//! refuses), counted like a failed SQLite transaction. A connection that
//! fails (PostgreSQL down, restarting, unreachable, a statement that hangs)
//! keeps the batch: the writer reconnects with backoff and stores it again,
//! while new rows wait behind it under the store's bounds. Each batch
//! claims its number in `kissmon_writer` inside its own transaction, so one
//! whose commit went through but whose reply was lost is not stored twice.
//!
//! Protocol 1.1 as with SQLite (see `store::acks`): numbered llm_usage rows
//! are admitted once per batch (a copy already stored is skipped), the new
//! marks go into `usage_acks` in the batch's transaction, and acks go out
//! once [`run`] sees the commit (or learns that an earlier attempt committed).
//! The batch that carries the retention deletes also deletes the marks of
//! the instances [`Acks::forget_idle`] forgot, in every attempt.

use super::super::acks::{Acks, Admitted};
use super::super::fold::into_row;
use super::super::rows::UsageRow;
use super::super::{Batch, Shared};
use super::{explain, Target};
use crate::counters::Counter;
use crate::time::{iso, iso_from_unix};
use std::time::{Duration, Instant, SystemTime};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::Client;

/// Longest one attempt at a batch may take before its connection is dropped.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
/// Backoff between attempts while PostgreSQL cannot be reached.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long a stopping monitor keeps trying to store what it holds.
const STOP_GRACE: Duration = Duration::from_secs(15);

/// What an attempt at a batch came to.
enum Attempt {
    /// With the number of bot_metrics rows deleted.
    Committed(u64),
    /// `kissmon_writer` says this batch was committed by an earlier attempt.
    AlreadyCommitted,
}

pub(super) fn run(target: Target, shared: &Shared) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!("storage: cannot start the PostgreSQL writer's runtime: {err}");
            return;
        }
    };
    let run_id = fastrand::i64(1..);
    let mut batch_no: i64 = 0;
    let mut client: Option<Client> = None;
    loop {
        let (batch, stopping) = {
            let mut pending = shared.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            while pending.batch.is_empty() && !pending.stopping {
                pending = shared.wake.wait(pending).unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            pending.writing_since = pending.waiting_since.take();
            (std::mem::take(&mut pending.batch), pending.stopping)
        };
        if batch.is_empty() {
            if stopping {
                break;
            }
            continue;
        }
        batch_no += 1;
        let rows = batch.rows();
        let mut batch = batch;
        let aggregates = std::mem::take(&mut batch.aggregates).into_iter().map(|(key, sums)| into_row(key, sums));
        let usage: Vec<UsageRow> = std::mem::take(&mut batch.usage).into_iter().chain(aggregates).collect();
        let (usage, mut admitted) = shared.acks.admit(usage, &shared.counters);
        if batch.delete_before.is_some() {
            shared.acks.forget_idle(&mut admitted);
        }
        let mut backoff = FIRST_BACKOFF;
        let mut stop_deadline: Option<Instant> = None;
        let mut failures = 0u32;
        let stored = loop {
            let attempt = runtime.block_on(async {
                let client = match &mut client {
                    Some(client) if !client.is_closed() => client,
                    slot => slot.insert(target.connect().await.map_err(Failure::Connection)?),
                };
                match tokio::time::timeout(
                    ATTEMPT_TIMEOUT,
                    write_batch(client, &target, run_id, batch_no, &batch, &usage, &admitted),
                )
                .await
                {
                    Ok(result) => result,
                    Err(_) => Err(Failure::TimedOut),
                }
            });
            match attempt {
                Ok(outcome) => {
                    if failures > 0 {
                        tracing::info!("storage: {} reachable again; the batch was stored", target.shown);
                    }
                    break Some(outcome);
                }
                Err(Failure::Refused(err)) => {
                    tracing::error!(
                        "storage: {} refused a transaction of {rows} rows, lost: {}",
                        target.shown,
                        explain(&err)
                    );
                    break None;
                }
                Err(failure) => {
                    client = None;
                    failures += 1;
                    shared.counters.add(Counter::storage_errors, 1);
                    if failures == 1 || failures.is_power_of_two() {
                        tracing::warn!(
                            "storage: {} failed ({failure}); {rows} rows wait, retrying (attempt {failures})",
                            target.shown
                        );
                    }
                    let stopping = stopping || shared.pending.lock().map_or(true, |p| p.stopping);
                    if stopping {
                        let deadline = *stop_deadline.get_or_insert_with(|| Instant::now() + STOP_GRACE);
                        if Instant::now() >= deadline {
                            tracing::error!(
                                "storage: stopping, and {} is still unreachable after {}s: {rows} rows lost",
                                target.shown,
                                STOP_GRACE.as_secs()
                            );
                            break None;
                        }
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        };
        {
            let mut pending = shared.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            pending.writing_since = None;
            if stored.is_some() {
                pending.last_commit = Some(SystemTime::now());
            }
        }
        match stored {
            Some(outcome) => {
                let deleted = match outcome {
                    Attempt::Committed(deleted) => deleted,
                    Attempt::AlreadyCommitted => 0,
                };
                shared.totals.add(&usage);
                shared.acks.committed(admitted, &shared.counters);
                let counters = &shared.counters;
                counters.add(Counter::usage_rows_written, usage.len() as u64);
                counters.add(Counter::usage_calls_written, usage.iter().map(|row| row.count).sum());
                counters.add(Counter::status_rows_written, batch.status.len() as u64);
                counters.add(Counter::metrics_rows_written, batch.metrics.len() as u64);
                counters.add(Counter::metrics_rows_deleted, deleted);
            }
            None => {
                shared.acks.failed(admitted);
                shared.counters.add(Counter::storage_errors, 1);
                shared.counters.add(Counter::storage_rows_lost, rows);
            }
        }
    }
}

/// Why an attempt failed.
enum Failure {
    /// No connection: down, restarting, unreachable, refused our login.
    Connection(tokio_postgres::Error),
    /// The connection broke, or the server ended the session (a restart).
    Lost(tokio_postgres::Error),
    TimedOut,
    /// The server refused the batch itself: retrying cannot help.
    Refused(tokio_postgres::Error),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Connection(err) => write!(f, "cannot connect: {}", explain(err)),
            Failure::Lost(err) => write!(f, "{}", explain(err)),
            Failure::TimedOut => write!(f, "no answer within {}s", ATTEMPT_TIMEOUT.as_secs()),
            Failure::Refused(err) => write!(f, "{}", explain(err)),
        }
    }
}

impl From<tokio_postgres::Error> for Failure {
    /// Transient errors ([`super::is_transient`]) are retried; the others refuse the batch.
    fn from(err: tokio_postgres::Error) -> Failure {
        if super::is_transient(&err) {
            Failure::Lost(err)
        } else {
            Failure::Refused(err)
        }
    }
}

/// Claims batch `batch_no` of this run for this monitor; 0 rows when an earlier attempt committed it.
const CLAIM: &str = "INSERT INTO kissmon_writer (monitor_id, run_id, batch) VALUES ($1, $2, $3)
    ON CONFLICT (monitor_id) DO UPDATE SET run_id = excluded.run_id, batch = excluded.batch
    WHERE kissmon_writer.run_id <> excluded.run_id OR kissmon_writer.batch < excluded.batch";

const COPY_USAGE: &str = "COPY llm_usage (monitor_id, ts, channel, model, feature, tokens_in, tokens_out, \
    latency_ms, pid, instance, provider, cache_read_tokens, reasoning_tokens, cost_usd, ok, count, peer_mismatch, \
    seq) FROM STDIN BINARY";
const USAGE_TYPES: [Type; 18] = [
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::INT8,
    Type::FLOAT8,
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::INT8,
    Type::FLOAT8,
    Type::BOOL,
    Type::INT8,
    Type::BOOL,
    Type::INT8,
];

const UPSERT_STATUS: &str = "
INSERT INTO bot_status (monitor_id, channel, pid, status, features_json, registered_at, last_seen, lang,
    sdk_version, instance, heartbeat_interval_s, lag_ms, status_reason, status_changed_at, pid_unverified,
    peer_mismatch, peer_pid, peer_uid, proc_start)
SELECT $1, * FROM unnest($2::text[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::text[], $10::text[], $11::float8[], $12::float8[], $13::text[], $14::text[], $15::bool[], $16::bool[],
    $17::int8[], $18::int8[], $19::int8[])
ON CONFLICT (monitor_id, channel) DO UPDATE SET pid = excluded.pid, status = excluded.status,
    features_json = excluded.features_json, registered_at = excluded.registered_at,
    last_seen = excluded.last_seen, lang = excluded.lang, sdk_version = excluded.sdk_version,
    instance = excluded.instance, heartbeat_interval_s = excluded.heartbeat_interval_s,
    lag_ms = excluded.lag_ms, status_reason = excluded.status_reason,
    status_changed_at = excluded.status_changed_at, pid_unverified = excluded.pid_unverified,
    peer_mismatch = excluded.peer_mismatch, peer_pid = excluded.peer_pid, peer_uid = excluded.peer_uid,
    proc_start = excluded.proc_start";

const UPSERT_COUNTERS: &str = "
INSERT INTO monitor_counters (monitor_id, name, value, updated_at)
SELECT $1, name, value, $4 FROM unnest($2::text[], $3::int8[]) AS given(name, value)
ON CONFLICT (monitor_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";

/// PostgreSQL integers are signed; token sums saturate at i64::MAX.
fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

async fn write_batch(
    client: &mut Client,
    target: &Target,
    run_id: i64,
    batch_no: i64,
    batch: &Batch,
    usage: &[UsageRow],
    admitted: &Admitted,
) -> Result<Attempt, Failure> {
    let monitor = target.monitor_id.as_str();
    let tx = client.transaction().await?;
    if tx.execute(CLAIM, &[&monitor, &run_id, &batch_no]).await? == 0 {
        tx.rollback().await?;
        return Ok(Attempt::AlreadyCommitted);
    }
    if !usage.is_empty() {
        let sink = tx.copy_in(COPY_USAGE).await?;
        let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &USAGE_TYPES));
        for row in usage {
            let ts = iso_from_unix(row.ts);
            let seq = row.seq.map(int);
            let values: [&(dyn ToSql + Sync); 18] = [
                &monitor,
                &ts,
                &row.channel,
                &row.model,
                &row.feature,
                &int(row.tokens_in),
                &int(row.tokens_out),
                &row.latency_ms,
                &row.pid.map(i64::from),
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
            writer.as_mut().write(&values).await?;
        }
        writer.finish().await?;
    }
    if !batch.status.is_empty() {
        let rows: Vec<_> = batch.status.values().collect();
        let text = |f: fn(&super::super::StatusRow) -> &str| rows.iter().map(|r| f(r)).collect::<Vec<&str>>();
        let opt_text =
            |f: fn(&super::super::StatusRow) -> Option<&str>| rows.iter().map(|r| f(r)).collect::<Vec<Option<&str>>>();
        let opt_f64 = |f: fn(&super::super::StatusRow) -> Option<f64>| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
        let opt_i64 = |f: fn(&super::super::StatusRow) -> Option<i64>| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
        let flag = |f: fn(&super::super::StatusRow) -> bool| rows.iter().map(|r| f(r)).collect::<Vec<bool>>();
        let times = |f: fn(&super::super::StatusRow) -> SystemTime| rows.iter().map(|r| iso(f(r))).collect::<Vec<_>>();
        let channel = text(|r| &r.channel);
        let pid: Vec<i64> = rows.iter().map(|r| i64::from(r.pid)).collect();
        let status = text(|r| r.status);
        let features = text(|r| &r.features_json);
        let registered_at = times(|r| r.registered_at);
        let last_seen = times(|r| r.last_seen);
        let lang = opt_text(|r| r.lang.as_deref());
        let sdk_version = opt_text(|r| r.sdk_version.as_deref());
        let instance = opt_text(|r| r.instance.as_deref());
        let interval = opt_f64(|r| r.heartbeat_interval_s);
        let lag = opt_f64(|r| r.lag_ms);
        let reason = text(|r| &r.status_reason);
        let changed_at = times(|r| r.status_changed_at);
        let pid_unverified = flag(|r| r.pid_unverified);
        let peer_mismatch = flag(|r| r.peer_mismatch);
        let peer_pid = opt_i64(|r| r.peer_pid.map(i64::from));
        let peer_uid = opt_i64(|r| r.peer_uid.map(i64::from));
        let proc_start = opt_i64(|r| r.proc_start.map(int));
        tx.execute(
            UPSERT_STATUS,
            &[
                &monitor,
                &channel,
                &pid,
                &status,
                &features,
                &registered_at,
                &last_seen,
                &lang,
                &sdk_version,
                &instance,
                &interval,
                &lag,
                &reason,
                &changed_at,
                &pid_unverified,
                &peer_mismatch,
                &peer_pid,
                &peer_uid,
                &proc_start,
            ],
        )
        .await?;
    }
    if !batch.transitions.is_empty() {
        let sink = tx
            .copy_in(
                "COPY bot_transitions (monitor_id, ts, channel, pid, from_status, to_status, reason) FROM STDIN BINARY",
            )
            .await?;
        let types = [Type::TEXT, Type::TEXT, Type::TEXT, Type::INT8, Type::TEXT, Type::TEXT, Type::TEXT];
        let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
        for row in &batch.transitions {
            let values: [&(dyn ToSql + Sync); 7] =
                [&monitor, &iso(row.at), &row.channel, &i64::from(row.pid), &row.from, &row.to, &row.reason];
            writer.as_mut().write(&values).await?;
        }
        writer.finish().await?;
    }
    if !batch.metrics.is_empty() {
        let sink = tx
            .copy_in(
                "COPY bot_metrics (monitor_id, ts, channel, pid, rss_mb, cpu_pct, features_json) FROM STDIN BINARY",
            )
            .await?;
        let types = [Type::TEXT, Type::TEXT, Type::TEXT, Type::INT8, Type::FLOAT8, Type::FLOAT8, Type::TEXT];
        let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
        for row in &batch.metrics {
            let values: [&(dyn ToSql + Sync); 7] = [
                &monitor,
                &iso(row.at),
                &row.channel,
                &i64::from(row.pid),
                &row.rss_mb,
                &row.cpu_pct,
                &row.features_json,
            ];
            writer.as_mut().write(&values).await?;
        }
        writer.finish().await?;
    }
    let mut deleted = 0;
    if let Some(before) = batch.delete_before {
        let before = iso(before);
        deleted = tx.execute("DELETE FROM bot_metrics WHERE monitor_id = $1 AND ts < $2", &[&monitor, &before]).await?;
        tx.execute("DELETE FROM bot_transitions WHERE monitor_id = $1 AND ts < $2", &[&monitor, &before]).await?;
    }
    for (key, value) in &batch.meta {
        tx.execute(
            "INSERT INTO kissmon_meta (monitor_id, key, value) VALUES ($1, $2, $3)
             ON CONFLICT (monitor_id, key) DO UPDATE SET value = excluded.value",
            &[&monitor, key, value],
        )
        .await?;
    }
    if let Some(snapshot) = &batch.counters {
        let names: Vec<&str> = snapshot.iter().map(|(name, _)| *name).collect();
        let values: Vec<i64> = snapshot.iter().map(|(_, value)| int(*value)).collect();
        tx.execute(UPSERT_COUNTERS, &[&monitor, &names, &values, &iso(SystemTime::now())]).await?;
    }
    let forgotten: Vec<&str> = Acks::forgotten(admitted).collect();
    if !forgotten.is_empty() {
        tx.execute("DELETE FROM usage_acks WHERE monitor_id = $1 AND instance = ANY($2)", &[&monitor, &forgotten])
            .await?;
    }
    let now = iso(SystemTime::now());
    for (instance, mark) in Acks::marks(admitted) {
        tx.execute(
            "INSERT INTO usage_acks (monitor_id, instance, seq, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (monitor_id, instance) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at",
            &[&monitor, &instance, &int(mark), &now],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Attempt::Committed(deleted))
}
