//! What a client and its sender thread share under the client's one mutex,
//! in parts that each say what they are. Nothing here does I/O.

use super::heartbeat::Heartbeat;
use super::queue::{Outcome, Pending};
use crate::wire;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// At most this many connection warnings wait for `take_warnings`.
const MAX_WARNINGS: usize = 32;

pub(super) struct State {
    /// What waits to be written, in write order.
    pub(super) pending: Pending,
    pub(super) registration: Registration,
    pub(super) heartbeat: Heartbeat,
    pub(super) delivery: Delivery,
    pub(super) sender: SenderControl,
    pub(super) lifecycle: Lifecycle,
    pub(super) counters: Counters,
    /// Connection events for `take_warnings`, oldest first.
    pub(super) warnings: VecDeque<String>,
}

/// The current registration, replayed first on every connection.
#[derive(Default)]
pub(super) struct Registration {
    pub(super) message: Option<wire::Register>,
    pub(super) line: Option<Arc<[u8]>>,
}

impl Registration {
    pub(super) fn is_registered(&self) -> bool {
        self.message.is_some()
    }

    pub(super) fn clear(&mut self) {
        *self = Registration::default();
    }
}

/// How far delivery has got, by sequence number of accepted calls: what
/// `flush` and `close` wait on.
#[derive(Default)]
pub(super) struct Delivery {
    /// Sequence number of the latest accepted call.
    pub(super) accepted: u64,
    /// Every call up to this sequence number has been written.
    pub(super) written: u64,
    /// Every call up to this sequence number is written and, where it waits
    /// for an ack (protocol 1.1), acknowledged: what flush and close wait for.
    pub(super) acked: u64,
    /// Lines the sender holds and has not finished writing.
    pub(super) in_flight: u64,
}

impl Delivery {
    pub(super) fn delivered(&self, target: u64) -> bool {
        self.acked >= target
    }
}

/// What callers ask of the sender thread, and what it tells them.
#[derive(Default)]
pub(super) struct SenderControl {
    /// The sender is parked: it lingered with nothing to do and now sleeps
    /// until woken, so the next call must wake it. While it lingers this
    /// stays false, and calls cost no wake-up.
    pub(super) parked: bool,
    /// Try to connect now, ignoring the backoff (flush, close, register).
    pub(super) connect_now: bool,
    /// Threads waiting in flush or close; while any wait, reconnects are quick.
    pub(super) waiters: u32,
    /// The sender stops at this instant, delivered or not.
    pub(super) stop_at: Option<Instant>,
    pub(super) stopped: bool,
}

/// Whether the client is still open, and how closing went.
#[derive(Default)]
pub(super) struct Lifecycle {
    /// Set by the first `close` or by drop; calls after it are dropped.
    pub(super) closed: bool,
    /// What the first `close` to finish returned.
    pub(super) close_result: Option<bool>,
    /// `close` counted the sender's unwritten lines as dropped already.
    pub(super) abandoned: bool,
}

/// The counters `stats()` reports (besides `queued`, which is computed).
#[derive(Default)]
pub(super) struct Counters {
    pub(super) sent: u64,
    pub(super) dropped: u64,
    pub(super) coalesced: u64,
    pub(super) reconnects: u64,
    pub(super) connected: bool,
    pub(super) last_error: Option<String>,
    pub(super) acked: u64,
    pub(super) unacked: u64,
    pub(super) resent: u64,
    pub(super) acks_active: bool,
}

impl State {
    pub(super) fn new(announced_interval: Duration) -> State {
        State {
            pending: Pending::default(),
            registration: Registration::default(),
            heartbeat: Heartbeat::new(announced_interval),
            delivery: Delivery::default(),
            sender: SenderControl::default(),
            lifecycle: Lifecycle::default(),
            counters: Counters::default(),
            warnings: VecDeque::new(),
        }
    }

    pub(super) fn warn(&mut self, warning: String) {
        if self.warnings.len() == MAX_WARNINGS {
            self.warnings.pop_front();
        }
        self.warnings.push_back(warning);
    }

    /// Counts what became of an accepted call.
    pub(super) fn record(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Queued => self.delivery.accepted += 1,
            Outcome::Coalesced => {
                self.delivery.accepted += 1;
                self.counters.coalesced += 1;
            }
            Outcome::Dropped => self.counters.dropped += 1,
        }
    }

    /// Lines waiting to be written now.
    pub(super) fn queued(&self) -> u64 {
        self.pending.lines() + self.delivery.in_flight
    }
}
