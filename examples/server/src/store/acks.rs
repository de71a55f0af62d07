//! Protocol 1.1 on the monitor's side: which numbered llm_usage lines are
//! stored, so that each (instance, seq) is counted once, and the acks that
//! tell a client so.
//!
//! Per client instance the monitor keeps the highest `seq` committed (the
//! `usage_acks` table, written in the same transaction as the rows, and
//! mirrored here). A client writes its lines in `seq` order and, after a
//! reconnect, writes again every line not acknowledged, in order; so a line
//! at or below that mark is a copy already stored, and is skipped.
//!
//! A numbered line the monitor could not keep (shed past its bounds, or in a
//! transaction that failed) leaves a **hole**: later lines of that instance
//! are refused, not stored, until the client writes the missing one again
//! (it does, since it was never acknowledged). So the mark never passes a
//! line that is not stored, and an ack never says more than what is stored.
//!
//! Acks go out only after the commit: the writer publishes the new marks on a
//! `watch` channel per instance, which the readers of the instance's
//! connections follow. Nothing here waits on a reader or on I/O.
//!
//! **Forgetting.** Every process start of a client is a new instance, so the
//! marks would grow without bound. A client holds unacknowledged lines only
//! while its process lives, and writes them again on its next connection; so
//! a mark is only needed while its client may still come back. An instance
//! is forgotten (its row deleted in a writer transaction, its entry dropped
//! here) once, for `retention` of this monitor's uptime, nothing was heard
//! of it: no connection subscribed to its acks, no line of it reached the
//! writer, its mark did not move. Loaded marks start that clock at load, so
//! a long monitor outage never forgets a client that is reconnecting now.
//! The writer decides in the batch that carries the retention deletes,
//! after admitting the batch's lines, forgets at most
//! [`MAX_FORGOTTEN_PER_BATCH`] there, and never an instance the batch
//! touches; a connection that subscribes afterwards starts afresh at
//! 0, consistent with the row the transaction deletes. If the transaction
//! fails, the forgotten marks come back as they were.

use super::rows::UsageRow;
use crate::counters::{Counter, Counters};
use rusqlite::{params, Connection, Transaction};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Instances one batch forgets at most, so that a backlog (the first
/// retention after an upgrade, a fleet of crash-looping bots) is deleted in
/// short transactions, one per retention tick, not one long one.
const MAX_FORGOTTEN_PER_BATCH: usize = 10_000;

struct Instance {
    /// The highest `seq` committed.
    stored: u64,
    /// The lowest `seq` not kept above `stored`: later lines wait for it.
    hole: Option<u64>,
    acks: watch::Sender<u64>,
    /// When this monitor last heard of the instance: a line of it, a
    /// connection following its acks, its mark moving (or the load).
    heard: Instant,
}

impl Instance {
    fn new(stored: u64) -> Instance {
        Instance { stored, hole: None, acks: watch::Sender::new(stored), heard: Instant::now() }
    }
}

/// The marks of the instances whose clients may still write.
pub struct Acks {
    instances: Mutex<HashMap<String, Instance>>,
    /// How long an instance nothing is heard of keeps its mark (`--retention`).
    retention: Duration,
}

/// What one batch does to the marks; applied once its transaction commits.
#[derive(Debug, Default)]
pub(super) struct Admitted {
    /// Per instance: the new mark, and the lowest `seq` this batch stores.
    marks: HashMap<String, (u64, u64)>,
    /// Instances this batch forgets: (instance, mark, when last heard of),
    /// already gone from memory, their rows deleted in its transaction.
    forgotten: Vec<(String, u64, Instant)>,
}

impl Acks {
    /// The marks as the database has them; each is kept at least `retention` from now.
    pub fn load(conn: &Connection, retention: Duration) -> rusqlite::Result<Acks> {
        let mut statement = conn.prepare("SELECT instance, seq FROM usage_acks")?;
        let rows = statement.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))?;
        let marks = rows.map(|row| row.map(|(instance, seq)| (instance, seq.max(0) as u64)));
        Ok(Acks::from_marks(marks.collect::<rusqlite::Result<Vec<_>>>()?, retention))
    }

    /// The marks another backend read: (instance, highest seq stored).
    pub fn from_marks(marks: impl IntoIterator<Item = (String, u64)>, retention: Duration) -> Acks {
        let instances = marks.into_iter().map(|(instance, seq)| (instance, Instance::new(seq))).collect();
        Acks { instances: Mutex::new(instances), retention }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instance>> {
        self.instances.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The acks of `instance`, starting with what is stored now: for the
    /// reader of a connection whose register asked for acks.
    pub fn subscribe(&self, instance: &str) -> watch::Receiver<u64> {
        let mut instances = self.lock();
        match instances.get_mut(instance) {
            Some(known) => {
                known.heard = Instant::now();
                known.acks.subscribe()
            }
            None => {
                let fresh = Instance::new(0);
                let receiver = fresh.acks.subscribe();
                instances.insert(instance.to_owned(), fresh);
                receiver
            }
        }
    }

    /// Numbered rows that were not kept (shed before the writer saw them):
    /// each leaves a hole until written again.
    pub(super) fn not_kept<'a>(&self, rows: impl IntoIterator<Item = &'a UsageRow>) {
        let mut instances = self.lock();
        let now = Instant::now();
        for (instance, seq) in rows.into_iter().filter_map(numbered) {
            let entry = instances.entry(instance.to_owned()).or_insert_with(|| Instance::new(0));
            entry.heard = now;
            if seq > entry.stored {
                entry.hole = Some(entry.hole.map_or(seq, |hole| hole.min(seq)));
            }
        }
    }

    /// Keeps the rows to store: unnumbered ones, and numbered ones above
    /// their instance's mark and not past a hole. Counts the others.
    pub(super) fn admit(&self, rows: Vec<UsageRow>, counters: &Counters) -> (Vec<UsageRow>, Admitted) {
        let mut admitted = Admitted::default();
        if !rows.iter().any(|row| numbered(row).is_some()) {
            return (rows, admitted);
        }
        let mut instances = self.lock();
        let now = Instant::now();
        let (mut duplicates, mut refused) = (0u64, 0u64);
        let kept = rows
            .into_iter()
            .filter(|row| {
                let Some((instance, seq)) = numbered(row) else { return true };
                // Even a copy says its client is alive, and may write more copies.
                let known = instances.get_mut(instance).map(|known| {
                    known.heard = now;
                    &*known
                });
                let (stored, hole) = known.map_or((0, None), |i| (i.stored, i.hole));
                let mark = admitted.marks.get(instance).map_or(stored, |&(mark, _)| mark);
                if seq <= mark {
                    duplicates += row.count;
                    return false;
                }
                // A hole this batch fills lets the lines after it in.
                let filled = admitted.marks.contains_key(instance) && hole.is_some_and(|h| mark >= h);
                if hole.is_some_and(|h| seq > h) && !filled {
                    refused += row.count;
                    return false;
                }
                let entry = admitted.marks.entry(instance.to_owned()).or_insert((seq, seq));
                entry.0 = seq;
                true
            })
            .collect();
        counters.add(Counter::usage_duplicates, duplicates);
        counters.add(Counter::usage_refused, refused);
        (kept, admitted)
    }

    /// Forgets, as part of the batch `admitted` comes from, every instance
    /// nothing was heard of for `retention` (see the module's doc), except
    /// those the batch touches. Each leaves memory now, under the lock that
    /// [`Acks::subscribe`] takes: a connection that comes at this moment
    /// starts at 0, as the row the batch deletes says once it commits.
    pub(super) fn forget_idle(&self, admitted: &mut Admitted) {
        self.forget_idle_at(admitted, Instant::now());
    }

    fn forget_idle_at(&self, admitted: &mut Admitted, now: Instant) {
        let mut instances = self.lock();
        instances.retain(|instance, known| {
            // A connection still follows it: its client can write again at any time.
            if known.acks.receiver_count() > 0 {
                known.heard = now;
                return true;
            }
            if now.saturating_duration_since(known.heard) < self.retention
                || admitted.marks.contains_key(instance)
                || admitted.forgotten.len() >= MAX_FORGOTTEN_PER_BATCH
            {
                return true;
            }
            admitted.forgotten.push((instance.clone(), known.stored, known.heard));
            false
        });
        // Give back what a burst of short-lived instances took.
        if instances.capacity() > 64 && instances.len() < instances.capacity() / 4 {
            instances.shrink_to_fit();
        }
    }

    /// Writes the new marks in the batch's transaction, and deletes the forgotten ones.
    pub(super) fn persist(tx: &Transaction<'_>, admitted: &Admitted, now: &str) -> rusqlite::Result<()> {
        if !admitted.forgotten.is_empty() {
            let mut delete = tx.prepare_cached("DELETE FROM usage_acks WHERE instance = ?1")?;
            for instance in Acks::forgotten(admitted) {
                delete.execute([instance])?;
            }
        }
        if admitted.marks.is_empty() {
            return Ok(());
        }
        let mut upsert = tx.prepare_cached(
            "INSERT INTO usage_acks (instance, seq, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(instance) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at",
        )?;
        for (instance, (mark, _)) in &admitted.marks {
            upsert.execute(params![instance, i64::try_from(*mark).unwrap_or(i64::MAX), now])?;
        }
        Ok(())
    }

    /// The new marks a batch writes: (instance, highest seq it stores).
    pub(super) fn marks(admitted: &Admitted) -> impl Iterator<Item = (&str, u64)> {
        admitted.marks.iter().map(|(instance, (mark, _))| (instance.as_str(), *mark))
    }

    /// The instances a batch forgets, whose rows its transaction deletes.
    pub(super) fn forgotten(admitted: &Admitted) -> impl Iterator<Item = &str> {
        admitted.forgotten.iter().map(|(instance, _, _)| instance.as_str())
    }

    /// The batch committed: its marks hold, and the clients hear so.
    pub(super) fn committed(&self, admitted: Admitted, counters: &Counters) {
        counters.add(Counter::usage_acks_pruned, admitted.forgotten.len() as u64);
        if admitted.marks.is_empty() {
            return;
        }
        let mut instances = self.lock();
        let now = Instant::now();
        for (instance, (mark, _)) in admitted.marks {
            let entry = instances.entry(instance).or_insert_with(|| Instance::new(0));
            entry.heard = now;
            entry.stored = entry.stored.max(mark);
            if entry.hole.is_some_and(|hole| hole <= entry.stored) {
                entry.hole = None;
            }
            entry.acks.send_replace(entry.stored);
        }
    }

    /// The batch's transaction failed: what it would have stored is a hole,
    /// and what it would have forgotten is still stored, so it comes back.
    pub(super) fn failed(&self, admitted: Admitted) {
        let mut instances = self.lock();
        for (instance, (_, first)) in admitted.marks {
            let entry = instances.entry(instance).or_insert_with(|| Instance::new(0));
            entry.hole = Some(entry.hole.map_or(first, |hole| hole.min(first)));
        }
        for (instance, mark, heard) in admitted.forgotten {
            match instances.entry(instance) {
                Entry::Vacant(vacant) => {
                    vacant.insert(Instance { heard, ..Instance::new(mark) });
                }
                // A connection came meanwhile and started at 0 (nothing of it
                // is committed: this batch was the writer's only one). The row
                // still says `mark`, so that holds, and the client hears it.
                Entry::Occupied(mut occupied) => {
                    let entry = occupied.get_mut();
                    entry.stored = entry.stored.max(mark);
                    if entry.hole.is_some_and(|hole| hole <= entry.stored) {
                        entry.hole = None;
                    }
                    entry.acks.send_replace(entry.stored);
                }
            }
        }
    }
}

/// A row's (instance, seq), when it has both.
fn numbered(row: &UsageRow) -> Option<(&str, u64)> {
    Some((row.instance.as_deref()?, row.seq?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(instance: &str, seq: u64) -> UsageRow {
        UsageRow {
            ts: 0.0,
            channel: "c".into(),
            model: "m".into(),
            feature: "f".into(),
            tokens_in: 1,
            tokens_out: 1,
            latency_ms: None,
            pid: None,
            instance: Some(instance.into()),
            provider: None,
            cache_read_tokens: None,
            reasoning_tokens: None,
            cost_usd: None,
            ok: None,
            count: 1,
            peer_mismatch: false,
            seq: Some(seq),
        }
    }

    fn seqs(rows: &[UsageRow]) -> Vec<u64> {
        rows.iter().map(|r| r.seq.unwrap()).collect()
    }

    const RETENTION: Duration = Duration::from_secs(3600);

    fn acks() -> Acks {
        Acks::from_marks([], RETENTION)
    }

    /// The instances a sweep at `at` forgets.
    fn forget_at(acks: &Acks, at: Instant) -> (Vec<String>, Admitted) {
        let mut admitted = Admitted::default();
        acks.forget_idle_at(&mut admitted, at);
        let mut names: Vec<String> = Acks::forgotten(&admitted).map(str::to_owned).collect();
        names.sort();
        (names, admitted)
    }

    fn store(acks: &Acks, rows: Vec<UsageRow>, counters: &Counters) -> Vec<u64> {
        let (kept, admitted) = acks.admit(rows, counters);
        acks.committed(admitted, counters);
        seqs(&kept)
    }

    #[test]
    fn a_resent_line_is_stored_once() {
        let (acks, counters) = (acks(), Counters::default());
        let mut rx = acks.subscribe("a");
        let (kept, admitted) = acks.admit(vec![row("a", 1), row("a", 2), row("b", 1)], &counters);
        assert_eq!(seqs(&kept), [1, 2, 1]);
        acks.committed(admitted, &counters);
        assert_eq!(*rx.borrow_and_update(), 2, "acked after the commit");
        let (kept, _) = acks.admit(vec![row("a", 2), row("a", 3)], &counters);
        assert_eq!(seqs(&kept), [3]);
        assert_eq!(counters.get(Counter::usage_duplicates), 1);
    }

    #[test]
    fn a_line_not_kept_holds_back_the_later_ones_until_it_comes_again() {
        let (acks, counters) = (acks(), Counters::default());
        acks.not_kept(&[row("a", 2)]);
        let (kept, admitted) = acks.admit(vec![row("a", 1), row("a", 3)], &counters);
        assert_eq!(seqs(&kept), [1], "3 waits behind the hole at 2");
        assert_eq!(counters.get(Counter::usage_refused), 1);
        acks.committed(admitted, &counters);
        let (kept, admitted) = acks.admit(vec![row("a", 2), row("a", 3)], &counters);
        assert_eq!(seqs(&kept), [2, 3], "the resend fills the hole");
        acks.committed(admitted, &counters);
        assert_eq!(*acks.subscribe("a").borrow(), 3);
    }

    #[test]
    fn a_failed_transaction_leaves_a_hole() {
        let (acks, counters) = (acks(), Counters::default());
        let (_, admitted) = acks.admit(vec![row("a", 1), row("a", 2)], &counters);
        acks.failed(admitted);
        let (kept, _) = acks.admit(vec![row("a", 3)], &counters);
        assert!(kept.is_empty());
        let (kept, _) = acks.admit(vec![row("a", 1), row("a", 2), row("a", 3)], &counters);
        assert_eq!(seqs(&kept), [1, 2, 3]);
    }

    #[test]
    fn an_instance_nothing_is_heard_of_for_the_retention_is_forgotten_and_counted() {
        let (acks, counters) = (acks(), Counters::default());
        store(&acks, vec![row("gone", 1), row("gone", 2)], &counters);
        let after_its_last_line = Instant::now();
        assert_eq!(forget_at(&acks, after_its_last_line + RETENTION / 2).0, Vec::<String>::new());
        let (forgotten, admitted) = forget_at(&acks, after_its_last_line + RETENTION);
        assert_eq!(forgotten, ["gone"]);
        assert!(acks.lock().is_empty(), "dropped from memory at once");
        acks.committed(admitted, &counters);
        assert_eq!(counters.get(Counter::usage_acks_pruned), 1);
    }

    #[test]
    fn a_followed_or_recently_heard_instance_is_kept() {
        let (acks, counters) = (acks(), Counters::default());
        let following = acks.subscribe("followed");
        store(&acks, vec![row("followed", 1), row("quiet", 1)], &counters);
        let start = Instant::now();
        let (forgotten, _) = forget_at(&acks, start + RETENTION);
        assert_eq!(forgotten, ["quiet"], "a connection still follows the other one");
        // Its connection ends: the clock starts at the last sweep that saw it followed.
        drop(following);
        assert_eq!(forget_at(&acks, start + RETENTION * 3 / 2).0, Vec::<String>::new());
        assert_eq!(forget_at(&acks, start + RETENTION * 2).0, ["followed"]);
        // A line, even a copy, is news of its client.
        store(&acks, vec![row("copied", 1)], &counters);
        let start = Instant::now();
        store(&acks, vec![row("copied", 1)], &counters);
        assert_eq!(counters.get(Counter::usage_duplicates), 1);
        let heard = Instant::now();
        assert_eq!(forget_at(&acks, start + RETENTION).0, Vec::<String>::new(), "the copy came after `start`");
        assert_eq!(forget_at(&acks, heard + RETENTION).0, ["copied"]);
        // So is a connection that came and went between two sweeps.
        store(&acks, vec![row("visited", 1)], &counters);
        let start = Instant::now();
        drop(acks.subscribe("visited"));
        let heard = Instant::now();
        assert_eq!(forget_at(&acks, start + RETENTION).0, Vec::<String>::new(), "it subscribed after `start`");
        assert_eq!(forget_at(&acks, heard + RETENTION).0, ["visited"]);
    }

    #[test]
    fn an_instance_is_never_forgotten_while_a_batch_holds_its_lines() {
        let (acks, counters) = (acks(), Counters::default());
        store(&acks, vec![row("a", 1)], &counters);
        let (kept, mut admitted) = acks.admit(vec![row("a", 2)], &counters);
        assert_eq!(seqs(&kept), [2]);
        acks.forget_idle_at(&mut admitted, Instant::now() + RETENTION * 10);
        assert_eq!(Acks::forgotten(&admitted).count(), 0, "the batch raises its mark");
        acks.committed(admitted, &counters);
        assert_eq!(*acks.subscribe("a").borrow(), 2);
    }

    #[test]
    fn a_forgotten_instance_that_comes_back_starts_at_0_and_its_lines_are_stored() {
        let (acks, counters) = (acks(), Counters::default());
        store(&acks, vec![row("back", 1), row("back", 2)], &counters);
        let (_, admitted) = forget_at(&acks, Instant::now() + RETENTION);
        // Its client connects between the sweep and the commit: it is told 0,
        // as the deleted row says once the batch commits.
        let mut acked = acks.subscribe("back");
        assert_eq!(*acked.borrow_and_update(), 0);
        acks.committed(admitted, &counters);
        assert_eq!(store(&acks, vec![row("back", 1), row("back", 2), row("back", 3)], &counters), [1, 2, 3]);
        assert_eq!(*acked.borrow_and_update(), 3, "the connection that came at the sweep hears the new marks");
    }

    #[test]
    fn a_failed_transaction_brings_the_forgotten_marks_back() {
        let (acks, counters) = (acks(), Counters::default());
        store(&acks, vec![row("a", 1), row("a", 2), row("b", 1)], &counters);
        let (forgotten, admitted) = forget_at(&acks, Instant::now() + RETENTION);
        assert_eq!(forgotten, ["a", "b"]);
        let mut acked = acks.subscribe("a");
        assert_eq!(*acked.borrow_and_update(), 0);
        acks.failed(admitted);
        assert_eq!(counters.get(Counter::usage_acks_pruned), 0);
        assert_eq!(*acked.borrow_and_update(), 2, "the row still says 2");
        assert_eq!(store(&acks, vec![row("a", 2), row("a", 3), row("b", 1)], &counters), [3]);
    }

    #[test]
    fn loaded_marks_are_kept_a_retention_of_uptime_and_forgetting_deletes_their_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE usage_acks (instance TEXT PRIMARY KEY, seq INTEGER NOT NULL, updated_at TEXT NOT NULL);
             INSERT INTO usage_acks VALUES ('old', 7, '2001-01-01T00:00:00.000000Z'),
                                           ('followed', 3, '2001-01-01T00:00:00.000000Z');",
        )
        .unwrap();
        let acks = Acks::load(&conn, RETENTION).unwrap();
        let loaded = Instant::now();
        assert!(forget_at(&acks, loaded).0.is_empty(), "a monitor that was down long does not forget at start");
        let _following = acks.subscribe("followed");
        let mut admitted = Admitted::default();
        acks.forget_idle_at(&mut admitted, loaded + RETENTION);
        let tx = conn.transaction().unwrap();
        Acks::persist(&tx, &admitted, "2001-01-02T00:00:00.000000Z").unwrap();
        tx.commit().unwrap();
        let mut statement = conn.prepare("SELECT instance FROM usage_acks").unwrap();
        let rows: Vec<String> = statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect();
        assert_eq!(rows, ["followed"]);
    }

    #[test]
    fn a_backlog_is_forgotten_a_bounded_number_per_batch() {
        let marks = (0..=MAX_FORGOTTEN_PER_BATCH).map(|i| (format!("{i:016x}"), 1));
        let acks = Acks::from_marks(marks, RETENTION);
        let later = Instant::now() + RETENTION;
        assert_eq!(forget_at(&acks, later).0.len(), MAX_FORGOTTEN_PER_BATCH);
        assert_eq!(forget_at(&acks, later).0.len(), 1, "the rest goes with the next batch");
        assert!(acks.lock().is_empty());
    }
}
