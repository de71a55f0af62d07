//! What the writer does when SQLite refuses a transaction (a full disk, a
//! file turned read-only, a database locked by another writer): it keeps the
//! batch and tries it again, with a growing pause, until storage takes it.
//!
//! Memory stays bounded: the one failed batch is kept as it was (it obeyed
//! the pending set's bounds when it was taken), and what arrives meanwhile
//! waits in the pending set under those same bounds, llm_usage folding into
//! aggregates and then shed and counted. Nothing here ever makes a reader
//! wait. Rows are dropped only when the monitor stops while storage still
//! fails, and then counted in `storage_rows_lost`.

use super::{Batch, Pending};
use crate::counters::{Counter, Counters};
use crate::time::iso;
use std::sync::{Condvar, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// The first pause after a failed transaction; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(100);
const MAX_PAUSE: Duration = Duration::from_secs(2);
/// How long a stopping monitor keeps trying a failing database before it gives up its rows.
pub(super) const STOP_GRACE: Duration = Duration::from_secs(10);
/// At most one log line per this long while the same error repeats.
const LOG_EVERY: Duration = Duration::from_secs(30);

/// Storage that refuses transactions, as /healthz and /metrics show it.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageFault {
    /// When the first transaction of this episode failed.
    pub since: SystemTime,
    /// SQLite's words for the latest failure.
    pub error: String,
    /// Transactions refused in this episode.
    pub failed_attempts: u64,
    /// Rows of the batch that is kept for the next attempt.
    pub retained_rows: u64,
}

/// The writer's state between attempts. Lives on the writer thread only.
#[derive(Default)]
pub(super) struct Retry {
    failed: Option<Batch>,
    attempts: u32,
    last_log: Option<(Instant, String)>,
    /// When the writer first saw the stop while a batch was kept.
    stop_seen: Option<Instant>,
}

/// What the writer does after an attempt.
pub(super) enum Next {
    /// Take the next batch from the pending set.
    Continue,
    /// Wait this long (or until stopping), then try the kept batch again.
    Pause(Duration),
}

impl Retry {
    /// The batch to write again, if one failed.
    pub(super) fn take(&mut self) -> Option<Batch> {
        self.failed.take()
    }

    /// Records a commit. Returns the fault it ends, if storage was failing.
    pub(super) fn succeeded(&mut self, fault: Option<StorageFault>) -> Option<StorageFault> {
        self.attempts = 0;
        self.last_log = None;
        self.stop_seen = None;
        if let Some(fault) = &fault {
            tracing::warn!(
                "storage recovered: a transaction committed after {} failed attempts since {} ({})",
                fault.failed_attempts,
                iso(fault.since),
                fault.error
            );
        }
        fault
    }

    /// Records a refused transaction: keeps `batch` for the next attempt
    /// unless the monitor has been stopping for longer than [`STOP_GRACE`].
    /// Updates `fault` (under the pending lock) and the counters.
    pub(super) fn failed(
        &mut self,
        batch: Batch,
        err: &rusqlite::Error,
        stopping: bool,
        fault: &mut Option<StorageFault>,
        counters: &Counters,
    ) -> Next {
        counters.add(Counter::storage_errors, 1);
        let error = describe(err);
        let rows = batch.rows();
        let now = SystemTime::now();
        let fault = fault.get_or_insert_with(|| StorageFault {
            since: now,
            error: error.clone(),
            failed_attempts: 0,
            retained_rows: 0,
        });
        fault.failed_attempts += 1;
        fault.error.clone_from(&error);
        if stopping && self.stop_seen.get_or_insert_with(Instant::now).elapsed() >= STOP_GRACE {
            counters.add(Counter::storage_rows_lost, rows);
            tracing::error!(
                "storage: stopping while the database still refuses transactions ({error}); \
                 {rows} rows were never stored and are lost (counted in storage_rows_lost)"
            );
            fault.retained_rows = 0;
            self.attempts = 0;
            return Next::Continue;
        }
        fault.retained_rows = rows;
        let repeated = self.last_log.as_ref().is_some_and(|(at, last)| *last == error && at.elapsed() < LOG_EVERY);
        if !repeated {
            tracing::error!(
                "storage: a transaction of {rows} rows failed ({error}); it is kept and retried, \
                 and new rows wait in memory within their bounds (attempt {})",
                fault.failed_attempts
            );
            self.last_log = Some((Instant::now(), error));
        }
        self.failed = Some(batch);
        let pause = FIRST_PAUSE.saturating_mul(1 << self.attempts.min(8)).min(MAX_PAUSE);
        self.attempts += 1;
        Next::Pause(pause)
    }
}

/// Waits `pause` on the writer's condvar. Pushes wake it and are ignored;
/// a stop that arrives during the pause ends it, so that the last attempts
/// start at once.
pub(super) fn pause<'a>(
    wake: &Condvar,
    mut pending: MutexGuard<'a, Pending>,
    pause: Duration,
    was_stopping: bool,
) -> MutexGuard<'a, Pending> {
    let until = Instant::now() + pause;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || (pending.stopping && !was_stopping) {
            return pending;
        }
        pending = wake.wait_timeout(pending, left).unwrap_or_else(|poisoned| poisoned.into_inner()).0;
    }
}

/// SQLite's message with its extended code, e.g. "database or disk is full (SQLITE_FULL)".
fn describe(err: &rusqlite::Error) -> String {
    match err {
        rusqlite::Error::SqliteFailure(code, message) => {
            let text = message.clone().unwrap_or_else(|| code.to_string());
            format!("{text} ({:?}, extended code {})", code.code, code.extended_code)
        }
        other => other.to_string(),
    }
}

impl Batch {
    /// Turns the aggregates into the rows they are stored as, so that a
    /// failed batch can be written again as it is.
    pub(super) fn settle_aggregates(&mut self) {
        if self.aggregates.is_empty() {
            return;
        }
        self.usage.extend(self.aggregates.drain().map(|(key, sums)| super::fold::into_row(key, sums)));
    }
}
