//! Live events for dashboards (`GET /api/v1/events`): status changes from
//! the state worker, counters snapshots and usage deltas from the HTTP side.
//!
//! Every event gets the next sequence number of this monitor run. The last
//! [`RING`] events are kept, so that a client that reconnects with
//! `Last-Event-ID` gets exactly what it missed; one that is further behind
//! (or whose id is from another monitor run) is told to `reset`, that is to
//! reload its state from the REST API.
//!
//! Live delivery: the hub holds a queue per client of the events published
//! since it last took them (shared as `Arc`s, so N clients do not copy
//! them). A client with more than [`PER_CLIENT`] events or
//! [`PER_CLIENT_BYTES`] bytes of event data not yet handed to its stream is
//! dropped by the publisher itself: its queue is freed at once and its
//! stream ends when next polled (it resumes with its last id). The bound is
//! enforced where events are added because the stream of a client that
//! stops reading is not polled at all: it would never notice that it lags.
//! So a stalled client costs a bounded number of bytes whatever the event
//! sizes (a `usage` event of a 10,000-bot fleet is about 150 KB).
//!
//! Publishing takes one short lock and never waits for a client.

use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// Events kept for clients that resume.
pub const RING: usize = 4096;
/// ... and at most this many bytes of event data: one `usage` event of a
/// 10,000-bot fleet is about 150 KB, so 4,096 of them would hold 600 MB (the
/// soak found the monitor's memory creeping up as the ring filled). A client
/// further behind resets, as a new one starts.
pub const RING_BYTES: usize = 2 * 1024 * 1024;
/// Events a live client may be behind before it is dropped.
pub const PER_CLIENT: usize = 1024;
/// ... and bytes of event data: 1,024 usage events of a 10,000-bot fleet
/// would be 150 MB per stalled client. A client behind by one event stays,
/// whatever its size, as the ring keeps its newest event.
pub const PER_CLIENT_BYTES: usize = 8 * 1024 * 1024;

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
    /// A live client with more unsent events or bytes than these is dropped.
    client_events: usize,
    client_bytes: usize,
    /// Clients dropped for falling behind, since the monitor started.
    dropped: AtomicU64,
    inner: Mutex<Inner>,
}

struct Inner {
    /// The seq of the next event; the first is 1.
    next: u64,
    ring: VecDeque<Arc<Event>>,
    /// The data bytes of the events in `ring`.
    ring_data: usize,
    /// The live clients' queues, by client id; None once closed: the monitor stops.
    live: Option<HashMap<u64, Queue>>,
    next_client: u64,
}

/// What the hub holds for one live client.
struct Queue {
    /// Published, not yet taken by the client's [`Receiver`].
    events: VecDeque<Arc<Event>>,
    unsent: Arc<Unsent>,
}

/// Shared by a client's queue and its [`Receiver`].
#[derive(Default)]
struct Unsent {
    /// Events published to the client and not yet handed to its stream (in
    /// the hub's queue or taken by the receiver), and their data bytes.
    events: AtomicUsize,
    bytes: AtomicUsize,
    /// Set when the hub dropped the client for falling behind.
    lagged: AtomicBool,
    wake: Notify,
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
    pub live: Receiver,
}

/// Why a client's live events ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It fell too far behind and was dropped; it may resume with its last id.
    Lagged,
    /// The monitor stops.
    Closed,
}

/// One client's live events, after those its [`Start`] gave.
pub struct Receiver {
    hub: Arc<Hub>,
    client: u64,
    unsent: Arc<Unsent>,
    /// Taken from the hub in one go (one lock per batch, not per event),
    /// handed out one by one. Counted in `unsent`, so the bound covers them;
    /// after a drop they go when the stream is next polled or dropped.
    taken: VecDeque<Arc<Event>>,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub::new(RING, PER_CLIENT)
    }
}

impl Hub {
    /// `per_client`: the events a live client may be behind ([`PER_CLIENT_BYTES`] of data at most).
    pub fn new(ring_capacity: usize, per_client: usize) -> Hub {
        let epoch = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        Hub {
            epoch,
            ring_capacity: ring_capacity.max(1),
            ring_bytes: RING_BYTES,
            client_events: per_client.max(1),
            client_bytes: PER_CLIENT_BYTES,
            dropped: AtomicU64::new(0),
            inner: Mutex::new(Inner {
                next: 1,
                ring: VecDeque::new(),
                ring_data: 0,
                live: Some(HashMap::new()),
                next_client: 0,
            }),
        }
    }

    /// The same hub keeping at most `bytes` of event data for resuming clients.
    pub fn with_ring_bytes(mut self, bytes: usize) -> Hub {
        self.ring_bytes = bytes;
        self
    }

    /// The same hub dropping a live client with more than `bytes` of event data not yet sent.
    pub fn with_client_bytes(mut self, bytes: usize) -> Hub {
        self.client_bytes = bytes;
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
        self.lock().live.as_ref().map_or(0, HashMap::len)
    }

    /// Clients dropped for falling behind, since the monitor started.
    pub fn clients_dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Adds an event, keeps it for resuming clients and hands it to live ones.
    pub fn publish(&self, kind: &'static str, data: String) {
        // Dropped clients' queues, freed after the lock.
        let mut lagged: Vec<Queue> = Vec::new();
        {
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
            if let Some(live) = &mut inner.live {
                let mut behind: Vec<u64> = Vec::new();
                for (client, queue) in live.iter_mut() {
                    queue.events.push_back(Arc::clone(&event));
                    let events = queue.unsent.events.fetch_add(1, Ordering::Relaxed) + 1;
                    let bytes = queue.unsent.bytes.fetch_add(event.data.len(), Ordering::Relaxed) + event.data.len();
                    if events > self.client_events || (bytes > self.client_bytes && events > 1) {
                        behind.push(*client);
                    } else {
                        queue.unsent.wake.notify_one();
                    }
                }
                lagged.extend(behind.iter().filter_map(|client| live.remove(client)));
            }
        }
        for queue in lagged {
            // Its stream ends when next polled, and frees what it had taken.
            queue.unsent.lagged.store(true, Ordering::Relaxed);
            queue.unsent.wake.notify_one();
            self.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                "http: dropped an event stream {} events ({} bytes) behind; it may resume with its last id",
                queue.unsent.events.load(Ordering::Relaxed),
                queue.unsent.bytes.load(Ordering::Relaxed)
            );
        }
    }

    pub fn status(&self, change: &StatusChange<'_>) {
        if let Ok(data) = serde_json::to_string(change) {
            self.publish("status", data);
        }
    }

    /// Subscribes a client that has seen everything up to `last_event_id` (None: a new client).
    /// None when the hub is closed.
    pub fn subscribe(self: &Arc<Self>, last_event_id: Option<&str>) -> Option<Subscription> {
        let mut inner = self.lock();
        let client = inner.next_client;
        let unsent = Arc::new(Unsent::default());
        inner.live.as_mut()?.insert(client, Queue { events: VecDeque::new(), unsent: Arc::clone(&unsent) });
        inner.next_client += 1;
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
        let live = Receiver { hub: Arc::clone(self), client, unsent, taken: VecDeque::new() };
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
        let live = self.lock().live.take();
        for queue in live.into_iter().flat_map(HashMap::into_values) {
            queue.unsent.wake.notify_one();
        }
    }
}

impl Receiver {
    /// The next live event, waiting for one.
    pub async fn recv(&mut self) -> Result<Arc<Event>, Ended> {
        loop {
            if let Some(event) = self.try_recv()? {
                return Ok(event);
            }
            // A wake-up sent since the take is kept, so none is missed.
            self.unsent.wake.notified().await;
        }
    }

    /// The next live event if one was published, without waiting.
    pub fn try_recv(&mut self) -> Result<Option<Arc<Event>>, Ended> {
        if self.unsent.lagged.load(Ordering::Relaxed) {
            self.taken = VecDeque::new();
            return Err(Ended::Lagged);
        }
        if self.taken.is_empty() {
            let mut inner = self.hub.lock();
            let live = inner.live.as_mut().ok_or(Ended::Closed)?;
            // Gone without the flag: dropped by a publish that has not set it yet.
            let queue = live.get_mut(&self.client).ok_or(Ended::Lagged)?;
            self.taken = std::mem::take(&mut queue.events);
        }
        let Some(event) = self.taken.pop_front() else { return Ok(None) };
        self.unsent.events.fetch_sub(1, Ordering::Relaxed);
        self.unsent.bytes.fetch_sub(event.data.len(), Ordering::Relaxed);
        Ok(Some(event))
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(live) = &mut self.hub.lock().live {
            live.remove(&self.client);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn seqs(start: &Start) -> Vec<u64> {
        match start {
            Start::Resume(events) => events.iter().map(|e| e.seq).collect(),
            other => panic!("expected a resume, got {other:?}"),
        }
    }

    /// The event data the hub holds in live clients' queues.
    fn queued_bytes(hub: &Hub) -> usize {
        let inner = hub.lock();
        inner.live.iter().flat_map(HashMap::values).flat_map(|q| &q.events).map(|e| e.data.len()).sum()
    }

    #[test]
    fn resume_gets_what_was_missed_and_too_far_behind_resets() {
        let hub = Arc::new(Hub::new(3, 8));
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
        // Every subscription above was dropped: no client is left behind.
        assert_eq!(hub.clients(), 0);
    }

    #[test]
    fn the_ring_keeps_at_most_its_bytes_and_a_client_behind_them_resets() {
        let hub = Arc::new(Hub::new(100, 8).with_ring_bytes(10));
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
        let hub = Arc::new(Hub::new(16, 2));
        let mut slow = hub.subscribe(None).unwrap().live;
        let mut reader = hub.subscribe(None).unwrap().live;
        for i in 0..5 {
            hub.publish("counters", i.to_string());
            assert_eq!(reader.try_recv().unwrap().map(|e| e.data.clone()), Some(i.to_string()));
        }
        assert_eq!(slow.try_recv().unwrap_err(), Ended::Lagged);
        assert_eq!((hub.clients(), hub.clients_dropped()), (1, 1));
        let mut other = hub.subscribe(None).unwrap().live;
        hub.close();
        assert_eq!(other.try_recv().unwrap_err(), Ended::Closed);
        assert_eq!(reader.try_recv().unwrap_err(), Ended::Closed);
        assert!(hub.subscribe(None).is_none());
    }

    #[test]
    fn a_client_that_takes_nothing_is_dropped_once_its_unread_bytes_pass_the_bound_and_its_events_are_freed() {
        // The ring keeps only the newest event, so the stalled client's queue is what holds the older ones.
        let hub = Arc::new(Hub::new(RING, PER_CLIENT).with_client_bytes(1000).with_ring_bytes(1));
        let mut stalled = hub.subscribe(None).unwrap().live;
        let mut reader = hub.subscribe(None).unwrap().live;
        hub.publish("usage", "a".repeat(400));
        let first = reader.try_recv().unwrap().unwrap();
        // Held by the ring, the stalled client's queue and this test.
        assert_eq!(Arc::strong_count(&first), 3);
        hub.publish("usage", "b".repeat(400));
        // Out of the ring; 800 bytes unread: the stalled client stays.
        assert_eq!(Arc::strong_count(&first), 2);
        assert_eq!((hub.clients(), hub.clients_dropped()), (2, 0));
        hub.publish("usage", "c".repeat(400));
        // 1,200 bytes unread: that publish dropped it and freed its queue.
        assert_eq!((hub.clients(), hub.clients_dropped()), (1, 1));
        assert_eq!(Arc::strong_count(&first), 1);
        assert_eq!(queued_bytes(&hub), 800, "only the reader's two events are queued");
        assert_eq!(stalled.try_recv().unwrap_err(), Ended::Lagged);
        // The reader, which takes its events, got every one in order and stays.
        let rest: Vec<u64> = std::iter::from_fn(|| reader.try_recv().unwrap()).map(|e| e.seq).collect();
        assert_eq!(rest, [2, 3]);
        hub.publish("usage", "d".repeat(400));
        assert_eq!(reader.try_recv().unwrap().unwrap().seq, 4);
    }

    #[test]
    fn one_event_over_the_bound_is_still_delivered() {
        let hub = Arc::new(Hub::new(RING, PER_CLIENT).with_client_bytes(10));
        let mut client = hub.subscribe(None).unwrap().live;
        hub.publish("usage", "x".repeat(100));
        assert_eq!(client.try_recv().unwrap().unwrap().data.len(), 100);
        hub.publish("usage", "y".repeat(100));
        assert_eq!(client.try_recv().unwrap().unwrap().data.len(), 100);
        assert_eq!(hub.clients_dropped(), 0);
        hub.publish("usage", "z".repeat(100));
        hub.publish("usage", "w".repeat(100));
        assert_eq!(client.try_recv().unwrap_err(), Ended::Lagged);
    }

    #[test]
    fn events_taken_from_the_hub_but_not_yet_handed_out_count_against_the_bound() {
        let hub = Arc::new(Hub::new(RING, PER_CLIENT).with_client_bytes(250));
        let mut client = hub.subscribe(None).unwrap().live;
        hub.publish("usage", "a".repeat(100));
        hub.publish("usage", "b".repeat(100));
        // Takes both from the hub, hands out the first.
        assert_eq!(client.try_recv().unwrap().unwrap().seq, 1);
        hub.publish("usage", "c".repeat(100));
        assert_eq!(hub.clients_dropped(), 0);
        // The hub's queue holds 200 bytes, but 300 are unsent.
        hub.publish("usage", "d".repeat(100));
        assert_eq!(hub.clients_dropped(), 1);
        assert_eq!(client.try_recv().unwrap_err(), Ended::Lagged);
    }

    #[test]
    fn publishing_never_waits_for_a_stalled_client_and_holds_at_most_its_bound_for_it() {
        const BOUND: usize = 256 * 1024;
        let hub = Arc::new(Hub::new(RING, PER_CLIENT).with_client_bytes(BOUND));
        // Its receiver is never polled, as a stream whose socket is full.
        let stalled = hub.subscribe(None).unwrap().live;
        let publisher = {
            let hub = Arc::clone(&hub);
            std::thread::spawn(move || {
                let mut most = 0;
                for _ in 0..1000 {
                    hub.publish("usage", "u".repeat(10_000));
                    most = most.max(queued_bytes(&hub));
                }
                most
            })
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !publisher.is_finished() {
            assert!(std::time::Instant::now() < deadline, "publishing waited for the stalled client");
            std::thread::sleep(Duration::from_millis(5));
        }
        let most = publisher.join().unwrap();
        // 10 MB were published; the hub never held more than the bound and one event for it.
        assert!(most <= BOUND + 10_000, "{most} bytes queued");
        assert_eq!((hub.clients(), hub.clients_dropped(), queued_bytes(&hub)), (0, 1, 0));
        drop(stalled);
    }

    #[tokio::test]
    async fn recv_waits_for_a_publish_and_ends_when_the_hub_closes() {
        let hub = Arc::new(Hub::default());
        let mut live = hub.subscribe(None).unwrap().live;
        let waiting = tokio::spawn(async move {
            let event = live.recv().await;
            (event.map(|e| e.seq), live.recv().await.map(|e| e.seq))
        });
        hub.publish("status", "{}".into());
        // Wait for the task to take it before closing: the close must wake it, too.
        while hub.lock().live.as_ref().unwrap().values().any(|q| q.unsent.events.load(Ordering::Relaxed) > 0) {
            tokio::task::yield_now().await;
        }
        hub.close();
        let (first, second) = tokio::time::timeout(Duration::from_secs(10), waiting).await.unwrap().unwrap();
        assert_eq!((first, second), (Ok(1), Err(Ended::Closed)));
    }
}
