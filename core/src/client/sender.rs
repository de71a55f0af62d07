//! The sender thread: the only code that touches the connection. It takes
//! everything pending in one short critical section, encodes it outside the
//! lock, writes with non-blocking sends, and reconnects with capped
//! exponential backoff and jitter, replaying the registration first.
//!
//! With acks on (protocol 1.1) it numbers llm_usage lines, keeps them in the
//! window of [`super::acks`] until the monitor acknowledges them, reads the
//! monitor's ack lines (only here: no call ever waits for one), and writes the
//! unacknowledged lines again after a reconnect, right after the replay.
//!
//! With nothing left to write it lingers for [`LINGER`] after the last call
//! it saw, checking the queue every [`LINGER_TICK`], and only then parks until
//! woken: a steady trickle of calls never has to wake it, and an idle client
//! makes no periodic wake-ups.

use super::acks::{Acks, Mode, Progress};
use super::queue::{Pending, PendingBeat};
use super::state::State;
use super::{socket, Inner, ACK_WAIT, LINGER, LINGER_TICK, RESEND_AFTER, WRITE_STALL_TIMEOUT};
use crate::encode::encode_line_into;
use crate::wire::{self, Message};
use std::collections::VecDeque;
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
    acks: Acks,
    /// A fallback was announced and acks have not come back since.
    fell_back: bool,
    /// Where each numbered llm_usage line still in `buf` ends, and its number.
    usage_ends: VecDeque<(usize, u64)>,
    /// Every numbered line up to this one has been written whole.
    written_seq: u64,
    /// `buf[resent.0..resent.1]` holds lines written again after a reconnect.
    resent: (usize, usize),
}

pub(super) fn run(inner: Arc<Inner>) {
    let now = Instant::now();
    let inner_acks = inner.config.acks;
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
        acks: Acks::new(inner_acks, now),
        fell_back: false,
        usage_ends: VecDeque::new(),
        written_seq: 0,
        resent: (0, 0),
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
            if self.acks.wait_over(now) {
                self.fall_back(&mut state);
            }
            let room = self.acks.room();
            let took = self.conn.is_some() && self.unwritten() < HIGH_WATER && state.pending.sendable(room);
            // Every call up to `seq` is in hand once a take moved everything.
            let seq = (!took || state.pending.take_into(&mut self.batch, MAX_BATCH.min(room)))
                .then_some(state.delivery.accepted);
            if took {
                // Still queued while they are encoded: `stats()` must never see them nowhere.
                state.delivery.in_flight += self.batch.lines();
            }
            let nothing_left = state.pending.is_empty() && self.unwritten() == 0 && !took;
            if let Some(seq) = seq.filter(|&seq| nothing_left && state.delivery.written != seq) {
                self.mark_written(&mut state, seq);
            }
            let settled = nothing_left && self.acks.unacked() == 0;
            if (state.lifecycle.closed && settled) || state.sender.stop_at.is_some_and(|at| now >= at) {
                self.stop(state);
                return;
            }
            let waiters = state.sender.waiters;
            drop(state);

            if took {
                self.encode_batch(now);
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
            // Connected with nothing to write (or only llm_usage the full
            // window holds back): the same, and acks wake us too.
            let now = Instant::now();
            if self.acks.deadline().is_some_and(|at| now >= at) && !self.acks.wait_over(now) {
                self.disconnect(format!(
                    "the monitor acknowledged nothing for {}s; reconnecting to write the {} unacknowledged lines again",
                    RESEND_AFTER.as_secs(),
                    self.acks.unacked()
                ));
                continue;
            }
            let mut state = self.lock();
            if state.pending.sendable(self.acks.room()) || state.sender.connect_now || self.acks.wait_over(now) {
                continue;
            }
            let linger = self.last_call + LINGER > now;
            state.sender.parked = !linger;
            drop(state);
            let fd = self.conn.as_ref().map(|c| c.as_raw_fd()).expect("connected");
            let tick = linger.then(|| now + LINGER_TICK);
            if self.wait_for(Some((fd, libc::POLLIN)), now, tick) && self.read_monitor(fd) {
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
        if conn.is_some() {
            if let Some(at) = self.acks.deadline() {
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
                // Then the lines the monitor has not acknowledged, if it is
                // one that acknowledges: it stores each (instance, seq) once.
                let (resend, released) = self.acks.connected(replay.is_some(), now);
                if let Some(calls) = released {
                    Self::calls_stored(&mut state, calls);
                }
                self.sync_counters(&mut state);
                drop(state);
                let (again, _) = if resend { self.acks.resend(self.written_seq) } else { (&[][..], 0) };
                // What the previous connection did not write of its own replay
                // and resends is replaced by this connection's.
                let skip = if resend { self.resent.1 } else { self.resent.0 };
                let rest_from = self.pos.max(skip);
                let replay: &[u8] = replay.as_deref().unwrap_or_default();
                let prefix = replay.len() + again.len();
                if prefix > 0 || rest_from > 0 {
                    let mut buf = Vec::with_capacity(prefix + self.buf.len() - rest_from);
                    buf.extend_from_slice(replay);
                    buf.extend_from_slice(again);
                    buf.extend_from_slice(&self.buf[rest_from..]);
                    self.buf = buf;
                    self.pos = 0;
                    self.resent = (replay.len(), prefix);
                    self.usage_ends.retain(|&(end, _)| end > rest_from);
                    self.usage_ends.iter_mut().for_each(|(end, _)| *end = *end - rest_from + prefix);
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
                self.pop_written_usage();
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
        // Read its acks, and notice a monitor that hung up before writing
        // into a dead socket.
        if self.pos == 0 && self.read_monitor(fd) {
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
        self.pop_written_usage();
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            self.resent = (0, 0);
            let inner = Arc::clone(&self.inner);
            let mut state = inner.lock();
            let seq = state.delivery.written.max(self.buf_seq);
            self.mark_written(&mut state, seq);
            state.delivery.in_flight = 0;
            return true;
        }
        false
    }

    /// Notes the numbered lines now written whole.
    fn pop_written_usage(&mut self) {
        while let Some(&(end, seq)) = self.usage_ends.front() {
            if end > self.pos {
                break;
            }
            self.written_seq = seq;
            self.usage_ends.pop_front();
        }
    }

    /// Lines in `buf[from..to]`, less those that are written again.
    fn own_lines(&self, from: usize, to: usize) -> (u64, u64) {
        let newlines = |a: usize, b: usize| self.buf[a..b].iter().filter(|&&byte| byte == b'\n').count() as u64;
        let all = newlines(from, to);
        let (start, end) = (from.max(self.resent.0), to.min(self.resent.1));
        let again = if start < end { newlines(start, end) } else { 0 };
        (all - again, again)
    }

    fn count_sent(&mut self, from: usize) {
        let (lines, again) = self.own_lines(from, self.pos);
        if lines + again > 0 {
            let (unwritten_lines, _) = self.own_lines(self.pos, self.buf.len());
            let mut state = self.lock();
            // After `close` gave up on these lines they are counted as dropped.
            if !state.lifecycle.abandoned {
                state.counters.sent += lines;
                state.counters.resent += again;
                state.delivery.in_flight = unwritten_lines;
            }
        }
    }

    fn set_in_flight(&self) {
        let (lines, _) = self.own_lines(self.pos, self.buf.len());
        let mut state = self.lock();
        state.delivery.in_flight = lines;
        self.sync_counters(&mut state);
    }

    /// Every call up to `seq` is written: flush and close may return once
    /// the monitor has also acknowledged what of it waits for an ack.
    fn mark_written(&mut self, state: &mut State, seq: u64) {
        state.delivery.written = state.delivery.written.max(seq);
        if let Some(calls) = self.acks.written(seq) {
            Self::calls_stored(state, calls);
        }
        if state.sender.waiters > 0 {
            self.inner.progress.notify_all();
        }
    }

    fn calls_stored(state: &mut State, calls: u64) {
        state.delivery.acked = state.delivery.acked.max(calls);
    }

    fn sync_counters(&self, state: &mut State) {
        state.counters.unacked = self.acks.unacked();
        state.counters.acks_active = self.acks.mode == Mode::Active;
    }

    /// Reads what the monitor wrote: acks, or the end of the connection.
    /// Returns whether the monitor closed it.
    fn read_monitor(&mut self, fd: i32) -> bool {
        let mut scratch = [0u8; 2048];
        let mut progress = Progress::default();
        let mut closed = false;
        // A bounded number of reads: a monitor that floods does not hold the sender.
        for _ in 0..32 {
            match socket::receive(fd, &mut scratch) {
                socket::Received::Bytes(n) => {
                    let got = self.acks.receive(&scratch[..n], Instant::now());
                    progress.acked_lines += got.acked_lines;
                    progress.calls_acked = progress.calls_acked.max(got.calls_acked);
                    progress.activated |= got.activated;
                }
                socket::Received::Closed => {
                    closed = true;
                    break;
                }
                socket::Received::Nothing => break,
            }
        }
        if progress != Progress::default() {
            let inner = Arc::clone(&self.inner);
            let mut state = inner.lock();
            state.counters.acked += progress.acked_lines;
            if let Some(calls) = progress.calls_acked {
                Self::calls_stored(&mut state, calls);
            }
            if progress.activated && std::mem::take(&mut self.fell_back) {
                state.warn("the monitor acknowledges llm_usage again".into());
            }
            self.sync_counters(&mut state);
            if state.sender.waiters > 0 {
                self.inner.progress.notify_all();
            }
        }
        closed
    }

    /// No ack came within [`ACK_WAIT`] of asking: a v1 monitor. From now on
    /// this connection is served as v1.
    fn fall_back(&mut self, state: &mut State) {
        if let Some(calls) = self.acks.fall_back() {
            Self::calls_stored(state, calls);
        }
        if !self.fell_back {
            self.fell_back = true;
            state.warn(format!(
                "the monitor at {} did not acknowledge within {}s (a protocol v1 monitor): llm_usage is written as in v1, \
                 not kept for resending",
                self.inner.config.socket_path.display(),
                ACK_WAIT.as_secs()
            ));
        }
        self.sync_counters(state);
        if state.sender.waiters > 0 {
            self.inner.progress.notify_all();
        }
    }

    /// Encodes the taken batch in write order: registration, llm_usage,
    /// aggregates, heartbeat, unregister. (A partial batch has no aggregates
    /// or unregister: those follow the rest of the queue.)
    fn encode_batch(&mut self, now: Instant) {
        let batch = &mut self.batch;
        let inner = &self.inner;
        if let Some(line) = batch.register.take() {
            self.buf.extend_from_slice(&line);
            if inner.config.acks {
                self.acks.asked(now);
            }
        }
        let mut numbered = |buf: &mut Vec<u8>, message: &dyn Fn(Option<u64>) -> Message| {
            let seq = self.acks.next_seq();
            let start = buf.len();
            encode_line_into(&message(seq), buf);
            self.acks.keep(seq, &buf[start..], now);
            if let Some(seq) = seq {
                self.usage_ends.push_back((buf.len(), seq));
            }
        };
        for pending in batch.usage.drain(..) {
            numbered(&mut self.buf, &|seq| inner.usage_message(pending.usage(&batch.names), pending.ts, None, seq));
        }
        for aggregate in batch.aggregates.drain(..) {
            let count = (aggregate.count() > 1).then_some(aggregate.count());
            numbered(&mut self.buf, &|seq| inner.usage_message(aggregate.usage(), aggregate.ts(), count, seq));
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
pub(super) fn tick_heartbeat(state: &mut State, now: Instant) {
    if state.lifecycle.closed {
        return;
    }
    let Some(lag) = state.heartbeat.sender_driven().and_then(|schedule| schedule.fire(now)) else { return };
    let beat = PendingBeat { ts: super::now_ts(), lag_ms: Some(lag.as_secs_f64() * 1000.0) };
    let outcome = state.pending.push_heartbeat(beat);
    state.record(outcome);
}

impl Inner {
    fn usage_message(&self, usage: super::LlmUsage<'_>, ts: f64, count: Option<u64>, seq: Option<u64>) -> Message {
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
            seq,
            envelope: self.envelope(ts),
        })
    }
}
