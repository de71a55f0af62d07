//! Live events for dashboards (`GET /api/v1/events`): status changes from
//! the state worker, counters snapshots and usage deltas from the HTTP side.
//!
//! Every event gets the next sequence number of this monitor run. The last
//! [`RING`] events are kept, so that a client that reconnects with
//! `Last-Event-ID` gets exactly what it missed; one that is further behind
//! (or whose id is from another monitor run) is told to `reset`, that is to
//! reload its state from the REST API. Live delivery goes through one tokio
//! broadcast channel of [`PER_CLIENT`] slots: a client more than that many
//! events behind is lagged and its stream is ended, so a stalled client costs
//! a bounded amount of memory, never more.
//!
//! Publishing takes one short lock and never waits for a client.

use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::broadcast;

/// Events kept for clients that resume.
pub const RING: usize = 4096;
/// ... and at most this many bytes of event data: one `usage` event of a
/// 10,000-bot fleet is about 150 KB, so 4,096 of them would hold 600 MB (the
/// soak found the monitor's memory creeping up as the ring filled). A client
/// further behind resets, as a new one starts.
pub const RING_BYTES: usize = 2 * 1024 * 1024;
/// Events a live client may be behind before it is dropped.
pub const PER_CLIENT: usize = 1024;

/// One event as it goes out: `id: EPOCH:SEQ`, `event: KIND`, `data: DATA`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub seq: u64,
    pub kind: &'static str,
    /// One line of JSON.
    pub data: String,
}

/// A status change, as the `status` event's data.
#[derive(Debug, Serialize)]
pub struct StatusChange<'a> {
    pub channel: &'a str,
    pub pid: u32,
    /// Absent for a bot's first appearance.
    pub from: Option<&'static str>,
    pub to: &'static str,
    pub reason: &'a str,
    /// RFC 3339.
    pub at: String,
}

pub struct Hub {
    /// Distinguishes this monitor run's ids from another's: its start, in ms since the epoch.
    epoch: u64,
    ring_capacity: usize,
    ring_bytes: usize,
    inner: Mutex<Inner>,
}

struct Inner {
    /// The seq of the next event; the first is 1.
    next: u64,
    ring: VecDeque<Arc<Event>>,
    /// The data bytes of the events in `ring`.
    ring_data: usize,
    /// None once closed: the monitor stops.
    live: Option<broadcast::Sender<Arc<Event>>>,
}

/// What a client gets first, before live events.
#[derive(Debug)]
pub enum Start {
    /// A new client: `hello` with the latest id; it loads its state, then applies events.
    Fresh,
    /// Resumed: these are the events it missed, in order.
    Resume(Vec<Arc<Event>>),
    /// It is too far behind, or its id is not of this run: `reset`, then live events.
    Reset(&'static str),
}

pub struct Subscription {
    pub start: Start,
    /// The seq of the latest event before the live ones.
    pub latest: u64,
    pub live: broadcast::Receiver<Arc<Event>>,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub::new(RING, PER_CLIENT)
    }
}

impl Hub {
    pub fn new(ring_capacity: usize, per_client: usize) -> Hub {
        let epoch = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let (live, _) = broadcast::channel(per_client.max(1));
        Hub {
            epoch,
            ring_capacity: ring_capacity.max(1),
            ring_bytes: RING_BYTES,
            inner: Mutex::new(Inner { next: 1, ring: VecDeque::new(), ring_data: 0, live: Some(live) }),
        }
    }

    /// The same hub keeping at most `bytes` of event data for resuming clients.
    pub fn with_ring_bytes(mut self, bytes: usize) -> Hub {
        self.ring_bytes = bytes;
        self
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The id clients see for `seq`.
    pub fn id(&self, seq: u64) -> String {
        format!("{}:{seq}", self.epoch)
    }

    /// Clients connected now.
    pub fn clients(&self) -> usize {
        self.lock().live.as_ref().map_or(0, |live| live.receiver_count())
    }

    /// Adds an event, keeps it for resuming clients and hands it to live ones.
    pub fn publish(&self, kind: &'static str, data: String) {
        let mut inner = self.lock();
        let event = Arc::new(Event { seq: inner.next, kind, data });
        inner.next += 1;
        inner.ring_data += event.data.len();
        inner.ring.push_back(Arc::clone(&event));
        // The newest event stays, whatever its size.
        while inner.ring.len() > self.ring_capacity || (inner.ring_data > self.ring_bytes && inner.ring.len() > 1) {
            let Some(oldest) = inner.ring.pop_front() else { break };
            inner.ring_data -= oldest.data.len();
        }
        if let Some(live) = &inner.live {
            // No receivers is fine.
            let _ = live.send(event);
        }
    }

    pub fn status(&self, change: &StatusChange<'_>) {
        if let Ok(data) = serde_json::to_string(change) {
            self.publish("status", data);
        }
    }

    /// Subscribes a client that has seen everything up to `last_event_id` (None: a new client).
    /// None when the hub is closed.
    pub fn subscribe(&self, last_event_id: Option<&str>) -> Option<Subscription> {
        let inner = self.lock();
        let live = inner.live.as_ref()?.subscribe();
        let latest = inner.next - 1;
        let start = match last_event_id {
            None => Start::Fresh,
            Some(id) => match self.parse(id) {
                Err(why) => Start::Reset(why),
                Ok(seen) if seen > latest => Start::Reset("the id is ahead of this monitor"),
                Ok(seen) => {
                    let oldest = inner.ring.front().map_or(inner.next, |event| event.seq);
                    if seen + 1 < oldest {
                        Start::Reset("too far behind: the events after this id are no longer kept")
                    } else {
                        Start::Resume(inner.ring.iter().filter(|event| event.seq > seen).cloned().collect())
                    }
                }
            },
        };
        Some(Subscription { start, latest, live })
    }

    fn parse(&self, id: &str) -> Result<u64, &'static str> {
        let (epoch, seq) = id.trim().split_once(':').ok_or("not an id of this monitor")?;
        if epoch.parse::<u64>().ok() != Some(self.epoch) {
            return Err("the id is from another run of the monitor");
        }
        seq.parse().map_err(|_| "not an id of this monitor")
    }

    /// The monitor stops: every stream ends.
    pub fn close(&self) {
        self.lock().live = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seqs(start: &Start) -> Vec<u64> {
        match start {
            Start::Resume(events) => events.iter().map(|e| e.seq).collect(),
            other => panic!("expected a resume, got {other:?}"),
        }
    }

    #[test]
    fn resume_gets_what_was_missed_and_too_far_behind_resets() {
        let hub = Hub::new(3, 8);
        for i in 0..5 {
            hub.publish("status", i.to_string());
        }
        // Kept: 3, 4, 5.
        assert_eq!(seqs(&hub.subscribe(Some(&hub.id(2))).unwrap().start), vec![3, 4, 5]);
        assert_eq!(seqs(&hub.subscribe(Some(&hub.id(4))).unwrap().start), vec![5]);
        assert_eq!(seqs(&hub.subscribe(Some(&hub.id(5))).unwrap().start), Vec::<u64>::new());
        assert!(matches!(hub.subscribe(Some(&hub.id(1))).unwrap().start, Start::Reset(_)));
        assert!(matches!(hub.subscribe(Some(&hub.id(6))).unwrap().start, Start::Reset(_)));
        assert!(matches!(hub.subscribe(Some("1:2")).unwrap().start, Start::Reset(_)));
        assert!(matches!(hub.subscribe(Some("junk")).unwrap().start, Start::Reset(_)));
        assert!(matches!(hub.subscribe(None).unwrap().start, Start::Fresh));
        assert_eq!(hub.subscribe(None).unwrap().latest, 5);
    }

    #[test]
    fn the_ring_keeps_at_most_its_bytes_and_a_client_behind_them_resets() {
        let hub = Hub::new(100, 8).with_ring_bytes(10);
        for data in ["aaaa", "bbbb", "cccc", "dddddddddddddddd"] {
            hub.publish("usage", data.into());
        }
        // 4 + 4 + 4 > 10: the oldest went; the last event alone is over the bound and stays.
        assert_eq!(seqs(&hub.subscribe(Some(&hub.id(3))).unwrap().start), vec![4]);
        assert!(matches!(hub.subscribe(Some(&hub.id(2))).unwrap().start, Start::Reset(_)));
        assert_eq!(hub.lock().ring_data, 16);
    }

    #[test]
    fn a_client_that_falls_behind_is_lagged_and_closing_ends_everyone() {
        let hub = Hub::new(16, 2);
        let mut slow = hub.subscribe(None).unwrap().live;
        for i in 0..5 {
            hub.publish("counters", i.to_string());
        }
        assert!(matches!(slow.try_recv(), Err(broadcast::error::TryRecvError::Lagged(_))));
        let mut other = hub.subscribe(None).unwrap().live;
        hub.close();
        assert!(matches!(other.try_recv(), Err(broadcast::error::TryRecvError::Closed)));
        assert!(hub.subscribe(None).is_none());
    }
}
