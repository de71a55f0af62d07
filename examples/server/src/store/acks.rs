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

use super::rows::UsageRow;
use crate::counters::{Counter, Counters};
use rusqlite::{params, Connection, Transaction};
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::watch;

struct Instance {
    /// The highest `seq` committed.
    stored: u64,
    /// The lowest `seq` not kept above `stored`: later lines wait for it.
    hole: Option<u64>,
    acks: watch::Sender<u64>,
}

impl Instance {
    fn new(stored: u64) -> Instance {
        Instance { stored, hole: None, acks: watch::Sender::new(stored) }
    }
}

/// The marks of every instance that ever wrote a numbered line.
pub struct Acks {
    instances: Mutex<HashMap<String, Instance>>,
}

/// What one batch does to the marks; applied once its transaction commits.
#[derive(Debug, Default)]
pub(super) struct Admitted {
    /// Per instance: the new mark, and the lowest `seq` this batch stores.
    marks: HashMap<String, (u64, u64)>,
}

impl Acks {
    /// The marks as the database has them.
    pub fn load(conn: &Connection) -> rusqlite::Result<Acks> {
        let mut statement = conn.prepare("SELECT instance, seq FROM usage_acks")?;
        let rows = statement.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))?;
        let marks = rows.map(|row| row.map(|(instance, seq)| (instance, seq.max(0) as u64)));
        Ok(Acks::from_marks(marks.collect::<rusqlite::Result<Vec<_>>>()?))
    }

    /// The marks another backend read: (instance, highest seq stored).
    pub fn from_marks(marks: impl IntoIterator<Item = (String, u64)>) -> Acks {
        let instances = marks.into_iter().map(|(instance, seq)| (instance, Instance::new(seq))).collect();
        Acks { instances: Mutex::new(instances) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instance>> {
        self.instances.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The acks of `instance`, starting with what is stored now: for the
    /// reader of a connection whose register asked for acks.
    pub fn subscribe(&self, instance: &str) -> watch::Receiver<u64> {
        let mut instances = self.lock();
        match instances.get(instance) {
            Some(known) => known.acks.subscribe(),
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
        for (instance, seq) in rows.into_iter().filter_map(numbered) {
            let entry = instances.entry(instance.to_owned()).or_insert_with(|| Instance::new(0));
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
        let instances = self.lock();
        let (mut duplicates, mut refused) = (0u64, 0u64);
        let kept = rows
            .into_iter()
            .filter(|row| {
                let Some((instance, seq)) = numbered(row) else { return true };
                let known = instances.get(instance);
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

    /// Writes the new marks in the batch's transaction.
    pub(super) fn persist(tx: &Transaction<'_>, admitted: &Admitted, now: &str) -> rusqlite::Result<()> {
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

    /// The batch committed: its marks hold, and the clients hear so.
    pub(super) fn committed(&self, admitted: Admitted) {
        if admitted.marks.is_empty() {
            return;
        }
        let mut instances = self.lock();
        for (instance, (mark, _)) in admitted.marks {
            let entry = instances.entry(instance).or_insert_with(|| Instance::new(0));
            entry.stored = entry.stored.max(mark);
            if entry.hole.is_some_and(|hole| hole <= entry.stored) {
                entry.hole = None;
            }
            entry.acks.send_replace(entry.stored);
        }
    }

    /// The batch's transaction failed: what it would have stored is a hole.
    pub(super) fn failed(&self, admitted: Admitted) {
        let mut instances = self.lock();
        for (instance, (_, first)) in admitted.marks {
            let entry = instances.entry(instance).or_insert_with(|| Instance::new(0));
            entry.hole = Some(entry.hole.map_or(first, |hole| hole.min(first)));
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

    fn acks() -> Acks {
        Acks { instances: Mutex::default() }
    }

    #[test]
    fn a_resent_line_is_stored_once() {
        let (acks, counters) = (acks(), Counters::default());
        let mut rx = acks.subscribe("a");
        let (kept, admitted) = acks.admit(vec![row("a", 1), row("a", 2), row("b", 1)], &counters);
        assert_eq!(seqs(&kept), [1, 2, 1]);
        acks.committed(admitted);
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
        acks.committed(admitted);
        let (kept, admitted) = acks.admit(vec![row("a", 2), row("a", 3)], &counters);
        assert_eq!(seqs(&kept), [2, 3], "the resend fills the hole");
        acks.committed(admitted);
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
}
