//! The sender thread: the only code that touches the connection. It takes
//! everything pending in one short critical section, encodes it outside the
//! lock, writes with non-blocking sends, and reconnects with capped
//! exponential backoff and jitter, replaying the registration first.
//!
//! With nothing left to write it lingers for [`LINGER`] after the last call
//! it saw, checking the queue every [`LINGER_TICK`], and only then parks until
//! woken: a steady trickle of calls never has to wake it, and an idle client
//! makes no periodic wake-ups.

use super::queue::{Pending, PendingBeat};
use super::state::State;
use super::{socket, Inner, LINGER, LINGER_TICK, WRITE_STALL_TIMEOUT};
use crate::encode::encode_line_into;
use crate::wire::{self, Message};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};
use std::time::{Duration, Instant};

const BACKOFF_INITIAL: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// While someone waits in flush or close, retry at least this often.
const BACKOFF_WHILE_WAITED: Duration = Duration::from_millis(50);
/// The sender takes more from the queue only while it holds less than this,
/// so a monitor that does not read leaves the backlog in the bounded queue.
const HIGH_WATER: usize = 256 * 1024;
/// Most llm_usage lines encoded per batch, which bounds how long the sender
/// is busy before it looks at its deadlines again.
const MAX_BATCH: usize = 4096;

struct Sender {
    inner: Arc<Inner>,
    conn: Option<OwnedFd>,
    /// Encoded lines; `buf[pos..]` is not written yet.
    buf: Vec<u8>,
    pos: usize,
    /// Every call up to this sequence number is in `buf`.
    buf_seq: u64,
    batch: Pending,
    backoff: Duration,
    next_attempt: Instant,
    ever_connected: bool,
    /// Whether the last connect attempt failed (to warn once per outage).
    failing: bool,
    last_progress: Instant,
    stall_reported: bool,
    /// The sequence number of accepted calls as of the last look, and when
    /// it last moved: the sender lingers for [`LINGER`] after that.
    seen_accepted: u64,
    last_call: Instant,
}

pub(super) fn run(inner: Arc<Inner>) {
    let now = Instant::now();
    let mut sender = Sender {
        inner,
        conn: None,
        buf: Vec::with_capacity(16 * 1024),
        pos: 0,
        buf_seq: 0,
        batch: Pending::default(),
        backoff: BACKOFF_INITIAL,
        next_attempt: now,
        ever_connected: false,
        failing: false,
        last_progress: now,
        stall_reported: false,
        seen_accepted: 0,
        last_call: now,
    };
    sender.run();
}

impl Sender {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock()
    }

    fn run(&mut self) {
        loop {
            let now = Instant::now();
            let inner = Arc::clone(&self.inner);
            let mut state = inner.lock();
            state.sender.parked = false;
            // Only callers' calls keep the sender lingering, not its own beats.
            if state.delivery.accepted != self.seen_accepted {
                self.last_call = now;
            }
            tick_heartbeat(&mut state, now);
            self.seen_accepted = state.delivery.accepted;
            if std::mem::take(&mut state.sender.connect_now) {
                self.next_attempt = self.next_attempt.min(now);
            }
            let took = self.conn.is_some() && self.unwritten() < HIGH_WATER && !state.pending.is_empty();
            // Every call up to `seq` is in hand once a take moved everything.
            let seq = (!took || state.pending.take_into(&mut self.batch, MAX_BATCH)).then_some(state.delivery.accepted);
            if took {
                // Still queued while they are encoded: `stats()` must never see them nowhere.
                state.delivery.in_flight += self.batch.lines();
            }
            let nothing_left = state.pending.is_empty() && self.unwritten() == 0 && !took;
            if let Some(seq) = seq.filter(|&seq| nothing_left && state.delivery.written != seq) {
                state.delivery.written = seq;
                if state.sender.waiters > 0 {
                    self.inner.progress.notify_all();
                }
            }
            if (state.lifecycle.closed && nothing_left) || state.sender.stop_at.is_some_and(|at| now >= at) {
                self.stop(state);
                return;
            }
            let waiters = state.sender.waiters;
            drop(state);

            if took {
                self.encode_batch();
                if let Some(seq) = seq {
                    self.buf_seq = seq;
                }
                self.set_in_flight();
            }
            if self.conn.is_none() {
                if now >= self.next_attempt {
                    self.connect(now, waiters > 0);
                }
                if self.conn.is_none() {
                    self.wait_for(None, now, None);
                }
                continue;
            }
            if self.unwritten() > 0 {
                if self.write(now) {
                    continue;
                }
                let fd = self.conn.as_ref().map(|c| c.as_raw_fd());
                if let Some(fd) = fd {
                    self.wait_for(Some((fd, libc::POLLOUT)), now, None);
                }
                continue;
            }
            // Connected with nothing to write: linger, looking at the queue
            // every tick, then park until a call wakes us. Either way watch
            // the socket, so a monitor that goes away is noticed now.
            let mut state = self.lock();
            if !state.pending.is_empty() || state.sender.connect_now {
                continue;
            }
            let now = Instant::now();
            let linger = self.last_call + LINGER > now;
            state.sender.parked = !linger;
            drop(state);
            let fd = self.conn.as_ref().map(|c| c.as_raw_fd()).expect("connected");
            let tick = linger.then(|| now + LINGER_TICK);
            if self.wait_for(Some((fd, libc::POLLIN)), now, tick) && socket::peer_closed(fd) {
                self.disconnect("the monitor closed the connection".into());
            }
        }
    }

    fn unwritten(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Waits for the wake pipe, `conn`, the next heartbeat, the next connect
    /// attempt, the stop deadline or `tick`. Returns whether `conn` became ready.
    fn wait_for(&mut self, conn: Option<(i32, libc::c_short)>, now: Instant, tick: Option<Instant>) -> bool {
        let mut until: Option<Instant> = tick;
        let mut sooner = |at: Instant| until = Some(until.map_or(at, |u| u.min(at)));
        {
            let mut state = self.lock();
            if let Some(schedule) = state.heartbeat.sender_driven() {
                sooner(schedule.due);
            }
            if let Some(at) = state.sender.stop_at {
                sooner(at);
            }
        }
        match conn {
            None => sooner(self.next_attempt),
            Some((_, events)) if events == libc::POLLOUT && !self.stall_reported => {
                sooner(self.last_progress + WRITE_STALL_TIMEOUT)
            }
            Some(_) => {}
        }
        let timeout = until.map(|at| at.saturating_duration_since(now));
        let ready = socket::wait(self.inner.waker.read.as_raw_fd(), conn, timeout);
        if ready.woken {
            self.inner.waker.drain();
        }
        if conn.is_some_and(|(_, events)| events == libc::POLLOUT)
            && !ready.conn
            && !self.stall_reported
            && Instant::now() >= self.last_progress + WRITE_STALL_TIMEOUT
        {
            self.stall_reported = true;
            let message = format!(
                "the monitor has not read for {}s; calls are queued and folded meanwhile",
                WRITE_STALL_TIMEOUT.as_secs()
            );
            let mut state = self.lock();
            state.warn(message.clone());
            state.counters.last_error = Some(message);
        }
        ready.conn
    }

    fn connect(&mut self, now: Instant, waited_on: bool) {
        match socket::connect(&self.inner.config.socket_path) {
            Ok(fd) => {
                self.inner.conn_fd.store(fd.as_raw_fd(), Ordering::Release);
                self.conn = Some(fd);
                self.backoff = BACKOFF_INITIAL;
                self.last_progress = now;
                self.stall_reported = false;
                let inner = Arc::clone(&self.inner);
                let mut state = inner.lock();
                state.counters.connected = true;
                if self.ever_connected {
                    state.counters.reconnects += 1;
                }
                if self.failing || self.ever_connected {
                    let path = self.inner.config.socket_path.display().to_string();
                    state.warn(format!("connected to the monitor at {path}"));
                }
                self.ever_connected = true;
                self.failing = false;
                // The registration goes first on every connection: a
                // restarted monitor learns of the bot before anything else.
                let replay = state.registration.line.clone();
                if replay.is_some() {
                    // A pending register line is this same registration.
                    state.pending.register = None;
                    // The replay is queued from now on, as `stats()` sees it.
                    state.delivery.in_flight += 1;
                }
                drop(state);
                if let Some(line) = replay {
                    let mut buf = Vec::with_capacity(line.len() + self.unwritten());
                    buf.extend_from_slice(&line);
                    buf.extend_from_slice(&self.buf[self.pos..]);
                    self.buf = buf;
                    self.pos = 0;
                    self.set_in_flight();
                }
            }
            Err(err) => {
                let message =
                    format!("cannot connect to the monitor at {}: {err}", self.inner.config.socket_path.display());
                let mut state = self.lock();
                if !self.failing {
                    state.warn(message.clone());
                }
                state.counters.last_error = Some(message);
                drop(state);
                self.failing = true;
                let cap = if waited_on { BACKOFF_WHILE_WAITED } else { BACKOFF_MAX };
                let delay = self.backoff.min(cap);
                // Full jitter on the upper half spreads a fleet's reconnects after a monitor restart.
                let jittered = delay / 2 + delay.mul_f64(fastrand::f64() / 2.0);
                self.next_attempt = now + jittered;
                self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
            }
        }
    }

    fn disconnect(&mut self, reason: String) {
        self.conn = None;
        self.inner.conn_fd.store(-1, Ordering::Release);
        // A line cut short is written again whole on the next connection,
        // unless only its `\n` is missing: a monitor decodes a complete JSON
        // object at the end of a connection, so resending it would count it twice.
        if self.pos > 0 && self.buf[self.pos - 1] != b'\n' {
            if self.buf.get(self.pos) == Some(&b'\n') {
                self.pos += 1;
                self.count_sent(self.pos - 1);
            } else {
                self.pos = self.buf[..self.pos].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            }
        }
        self.next_attempt = Instant::now();
        let mut state = self.lock();
        state.counters.connected = false;
        state.warn(format!("lost the monitor connection: {reason}"));
        state.counters.last_error = Some(reason);
    }

    /// Writes what the socket takes. Returns true when there is more to do
    /// at once (all written, or the connection was lost).
    fn write(&mut self, now: Instant) -> bool {
        let fd = self.conn.as_ref().expect("connected").as_raw_fd();
        // Notice a monitor that hung up before writing into a dead socket.
        if self.pos == 0 && socket::peer_closed(fd) {
            self.disconnect("the monitor closed the connection".into());
            return true;
        }
        let start = self.pos;
        while self.pos < self.buf.len() {
            match socket::send(fd, &self.buf[self.pos..]) {
                Ok(0) => break,
                Ok(n) => self.pos += n,
                Err(err) => {
                    self.count_sent(start);
                    self.disconnect(format!("write failed: {err}"));
                    return true;
                }
            }
        }
        if self.pos > start {
            self.last_progress = now;
            if self.stall_reported {
                self.stall_reported = false;
                self.lock().warn("the monitor reads again".into());
            }
        }
        self.count_sent(start);
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            let mut state = self.lock();
            state.delivery.written = state.delivery.written.max(self.buf_seq);
            state.delivery.in_flight = 0;
            if state.sender.waiters > 0 {
                self.inner.progress.notify_all();
            }
            return true;
        }
        false
    }

    fn count_sent(&mut self, from: usize) {
        let lines = self.buf[from..self.pos].iter().filter(|&&b| b == b'\n').count() as u64;
        if lines > 0 {
            let unwritten_lines = self.buf[self.pos..].iter().filter(|&&b| b == b'\n').count() as u64;
            let mut state = self.lock();
            // After `close` gave up on these lines they are counted as dropped.
            if !state.lifecycle.abandoned {
                state.counters.sent += lines;
                state.delivery.in_flight = unwritten_lines;
            }
        }
    }

    fn set_in_flight(&self) {
        let lines = self.buf[self.pos..].iter().filter(|&&b| b == b'\n').count() as u64;
        self.lock().delivery.in_flight = lines;
    }

    /// Encodes the taken batch in write order: registration, llm_usage,
    /// aggregates, heartbeat, unregister. (A partial batch has no aggregates
    /// or unregister: those follow the rest of the queue.)
    fn encode_batch(&mut self) {
        let batch = &mut self.batch;
        let inner = &self.inner;
        if let Some(line) = batch.register.take() {
            self.buf.extend_from_slice(&line);
        }
        for pending in batch.usage.drain(..) {
            encode_line_into(&inner.usage_message(pending.usage(&batch.names), pending.ts, None), &mut self.buf);
        }
        for aggregate in batch.aggregates.drain(..) {
            let count = (aggregate.count() > 1).then_some(aggregate.count());
            encode_line_into(&inner.usage_message(aggregate.usage(), aggregate.ts(), count), &mut self.buf);
        }
        if let Some(PendingBeat { ts, lag_ms }) = batch.heartbeat.take() {
            let beat = wire::Heartbeat {
                channel: inner.config.channel.clone(),
                pid: inner.pid,
                lag_ms,
                envelope: inner.envelope(ts),
            };
            encode_line_into(&Message::Heartbeat(beat), &mut self.buf);
        }
        if let Some(line) = batch.unregister.take() {
            self.buf.extend_from_slice(&line);
        }
    }

    /// Leaves the loop: whatever was not written is counted as dropped.
    fn stop(&mut self, mut state: MutexGuard<'_, State>) {
        if !state.lifecycle.abandoned {
            let unwritten = self.buf[self.pos..].iter().filter(|&&b| b == b'\n').count() as u64;
            state.counters.dropped += state.pending.lines() + unwritten;
        }
        state.pending.discard();
        state.delivery.in_flight = 0;
        state.counters.connected = false;
        state.sender.stopped = true;
        self.inner.conn_fd.store(-1, Ordering::Release);
        self.inner.progress.notify_all();
        drop(state);
        self.conn = None;
    }
}

/// Queues the sender-driven periodic heartbeat when due, with how late it fired.
fn tick_heartbeat(state: &mut State, now: Instant) {
    if state.lifecycle.closed {
        return;
    }
    let Some(lag) = state.heartbeat.sender_driven().and_then(|schedule| schedule.fire(now)) else { return };
    let beat = PendingBeat { ts: super::now_ts(), lag_ms: Some(lag.as_secs_f64() * 1000.0) };
    let outcome = state.pending.push_heartbeat(beat);
    state.record(outcome);
}

impl Inner {
    fn usage_message(&self, usage: super::LlmUsage<'_>, ts: f64, count: Option<u64>) -> Message {
        Message::LlmUsage(wire::LlmUsage {
            channel: self.config.channel.clone(),
            model: usage.model.into_owned(),
            feature: usage.feature.into_owned(),
            tokens_in: usage.tokens_in,
            tokens_out: usage.tokens_out,
            latency_ms: usage.latency_ms,
            pid: Some(self.pid),
            provider: usage.provider.map(|p| p.into_owned()),
            cache_read_tokens: usage.cache_read_tokens,
            reasoning_tokens: usage.reasoning_tokens,
            cost_usd: usage.cost_usd,
            ok: usage.ok,
            count,
            envelope: self.envelope(ts),
        })
    }
}
