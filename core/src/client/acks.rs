//! Protocol 1.1 on the client side: sequence numbers on llm_usage lines, the
//! bounded window of lines written but not yet acknowledged, and what the
//! monitor's ack lines do to it.
//!
//! Only the sender thread touches this; it mirrors the counters into the
//! shared state for `stats()`. Nothing here does I/O or waits.

use super::ACK_WAIT;
use crate::wire::Ack;
use std::collections::VecDeque;
use std::time::Instant;

/// Most llm_usage lines written and not yet acknowledged. While the window
/// is full the sender takes no more llm_usage from the queue, so calls fold
/// there (totals kept) instead of the window growing.
pub const MAX_UNACKED_LINES: usize = 4096;
/// Most bytes those lines may take.
const MAX_UNACKED_BYTES: usize = 2 * 1024 * 1024;
/// Longest line kept while reading what the monitor writes; longer ones are skipped.
const MAX_INBOX: usize = 4096;

/// Whether the monitor on the current connection acknowledges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Not asked on this connection (acks off, or no registration to ask with): v1.
    Off,
    /// Asked on the register line written at `since`; no ack yet.
    Waiting { since: Instant },
    /// The monitor acknowledges: lines stay in the window until acked.
    Active,
    /// No ack came within [`ACK_WAIT`]: a v1 monitor, served as v1 (nothing
    /// waits for an ack, nothing is resent). The window still keeps the
    /// latest lines, as a ring that never grows past its bound, so that a
    /// late ack turns acks back on without a gap.
    Fallback,
}

/// One unacknowledged line in the window.
#[derive(Debug, Clone, Copy)]
struct Unacked {
    seq: u64,
    /// Where the line ends in `Window::bytes`.
    end: usize,
}

#[derive(Debug)]
pub(super) struct Acks {
    /// Whether the client asks for acks at all.
    pub(super) enabled: bool,
    pub(super) mode: Mode,
    /// The last sequence number given to a line.
    last_seq: u64,
    /// Every line up to this sequence number is acknowledged.
    acked_seq: u64,
    bytes: Vec<u8>,
    /// `bytes[..head]` belongs to lines already acknowledged.
    head: usize,
    lines: VecDeque<Unacked>,
    /// (call sequence number, line sequence number): once the line is
    /// acknowledged, every call up to that call number is stored.
    checkpoints: VecDeque<(u64, u64)>,
    /// When the window last moved (an ack, or its first line): a window
    /// stuck for [`super::RESEND_AFTER`] makes the sender reconnect and resend.
    pub(super) last_progress: Instant,
    /// Bytes read from the monitor that do not end a line yet.
    inbox: Vec<u8>,
    skipping: bool,
    /// The monitor acknowledged on some connection since the last fallback.
    seen_acks: bool,
}

/// What reading from the monitor changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Progress {
    /// Lines acknowledged by it.
    pub(super) acked_lines: u64,
    /// Every call up to this number is now stored, if some checkpoint passed.
    pub(super) calls_acked: Option<u64>,
    /// The first ack on a connection that was waiting for one (or in fallback).
    pub(super) activated: bool,
}

impl Acks {
    pub(super) fn new(enabled: bool, now: Instant) -> Acks {
        Acks {
            enabled,
            mode: Mode::Off,
            last_seq: 0,
            acked_seq: 0,
            bytes: Vec::new(),
            head: 0,
            lines: VecDeque::new(),
            checkpoints: VecDeque::new(),
            last_progress: now,
            inbox: Vec::new(),
            skipping: false,
            seen_acks: false,
        }
    }

    /// Whether lines written now wait for an ack (flush, close and the
    /// window's bound count them).
    pub(super) fn retaining(&self) -> bool {
        matches!(self.mode, Mode::Waiting { .. } | Mode::Active)
    }

    /// Whether flush and close wait for acks: once the monitor on this
    /// connection acknowledged, or while it has not answered yet but one did
    /// before (a restarted monitor). A client that never saw an ack flushes
    /// as v1 until the first one comes, so a v1 monitor's flush is v1's.
    fn flush_waits(&self) -> bool {
        match self.mode {
            Mode::Active => true,
            Mode::Waiting { .. } => self.seen_acks,
            Mode::Off | Mode::Fallback => false,
        }
    }

    /// Lines written that wait for an ack.
    pub(super) fn unacked(&self) -> u64 {
        if self.retaining() {
            self.lines.len() as u64
        } else {
            0
        }
    }

    /// How many more llm_usage lines the window takes now.
    pub(super) fn room(&self) -> usize {
        if !self.retaining() {
            return usize::MAX;
        }
        if self.bytes.len() - self.head >= MAX_UNACKED_BYTES {
            return 0;
        }
        MAX_UNACKED_LINES.saturating_sub(self.lines.len())
    }

    /// The next line's sequence number, when acks are on.
    pub(super) fn next_seq(&mut self) -> Option<u64> {
        self.enabled.then(|| {
            self.last_seq += 1;
            self.last_seq
        })
    }

    /// Keeps a line just encoded with `seq`, if the window keeps lines now.
    pub(super) fn keep(&mut self, seq: Option<u64>, line: &[u8], now: Instant) {
        let Some(seq) = seq.filter(|_| self.mode != Mode::Off) else { return };
        if self.mode == Mode::Fallback && self.lines.len() >= MAX_UNACKED_LINES {
            let oldest = self.lines.pop_front().expect("full");
            self.head = oldest.end;
            self.compact();
        }
        if self.lines.is_empty() {
            self.last_progress = now;
        }
        self.bytes.extend_from_slice(line);
        self.lines.push_back(Unacked { seq, end: self.bytes.len() });
    }

    /// Drops the bytes of lines gone from the window once they are many.
    fn compact(&mut self) {
        if self.lines.is_empty() {
            self.bytes.clear();
            self.head = 0;
        } else if self.head > self.bytes.len() / 2 && self.head > 64 * 1024 {
            self.bytes.drain(..self.head);
            let shift = self.head;
            self.lines.iter_mut().for_each(|line| line.end -= shift);
            self.head = 0;
        }
    }

    /// Every call up to `calls` is written. Returns `Some(calls)` when they
    /// are stored as far as this client can know (nothing of theirs waits
    /// for an ack), else remembers to say so when the ack comes.
    pub(super) fn written(&mut self, calls: u64) -> Option<u64> {
        if !self.flush_waits() || self.lines.is_empty() || self.last_seq <= self.acked_seq {
            self.checkpoints.clear();
            return Some(calls);
        }
        match self.checkpoints.back_mut() {
            Some(last) if last.1 == self.last_seq => last.0 = last.0.max(calls),
            _ => self.checkpoints.push_back((calls, self.last_seq)),
        }
        None
    }

    /// A new connection, whose first line asks for acks when `asked`.
    /// Returns whether the window's lines are to be written again on it:
    /// only when the monitor acknowledged before (a v1 monitor would count
    /// them twice). Otherwise they are let go, as v1 does, and the call
    /// number they held back is returned.
    pub(super) fn connected(&mut self, asked: bool, now: Instant) -> (bool, Option<u64>) {
        self.inbox.clear();
        self.skipping = false;
        let resend = match self.mode {
            Mode::Active => true,
            Mode::Waiting { .. } => self.seen_acks,
            Mode::Off | Mode::Fallback => false,
        };
        let released = if resend { None } else { self.release() };
        self.mode = if self.enabled && asked { Mode::Waiting { since: now } } else { Mode::Off };
        self.last_progress = now;
        (resend && !self.lines.is_empty(), released)
    }

    /// The wait for a first ack ran out: a v1 monitor. Returns the call
    /// number that is now as stored as v1 can say, if any waited.
    pub(super) fn fall_back(&mut self) -> Option<u64> {
        self.mode = Mode::Fallback;
        self.seen_acks = false;
        self.checkpoints.drain(..).map(|(calls, _)| calls).max()
    }

    /// The register line asking for acks was queued on the current connection.
    pub(super) fn asked(&mut self, now: Instant) {
        if self.enabled && self.mode == Mode::Off {
            self.mode = Mode::Waiting { since: now };
        }
    }

    /// The lines to write again on a new connection: those of the window
    /// with a sequence number up to `written` (later ones are still in the
    /// sender's buffer). Returns the bytes and how many lines.
    pub(super) fn resend(&self, written: u64) -> (&[u8], u64) {
        let count = self.lines.iter().take_while(|line| line.seq <= written).count();
        let end = if count == 0 { self.head } else { self.lines[count - 1].end };
        (&self.bytes[self.head..end], count as u64)
    }

    /// Lets the window go: what it held counts as written, as in v1.
    /// Returns the call number now stored as far as the client can know, if
    /// any checkpoint waited.
    pub(super) fn release(&mut self) -> Option<u64> {
        self.bytes.clear();
        self.head = 0;
        self.lines.clear();
        self.checkpoints.drain(..).map(|(calls, _)| calls).max()
    }

    /// Whether a v1 monitor has had its [`ACK_WAIT`] and not acked.
    pub(super) fn wait_over(&self, now: Instant) -> bool {
        matches!(self.mode, Mode::Waiting { since } if now >= since + ACK_WAIT)
    }

    /// When the sender must look at the window again, if ever.
    pub(super) fn deadline(&self) -> Option<Instant> {
        match self.mode {
            Mode::Waiting { since } => Some(since + ACK_WAIT),
            Mode::Active if !self.lines.is_empty() => Some(self.last_progress + super::RESEND_AFTER),
            _ => None,
        }
    }

    /// Reads the monitor's bytes: every complete ack line acknowledges.
    pub(super) fn receive(&mut self, bytes: &[u8], now: Instant) -> Progress {
        let mut progress = Progress::default();
        let mut rest = bytes;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            let (part, tail) = (&rest[..end], &rest[end + 1..]);
            rest = tail;
            if std::mem::take(&mut self.skipping) {
                self.inbox.clear();
                continue;
            }
            let ack = if self.inbox.is_empty() {
                Ack::decode(part)
            } else {
                self.inbox.extend_from_slice(part);
                let ack = Ack::decode(&self.inbox);
                self.inbox.clear();
                ack
            };
            if let Some(ack) = ack {
                self.ack(ack.seq, now, &mut progress);
            }
        }
        if !self.skipping {
            self.inbox.extend_from_slice(rest);
            if self.inbox.len() > MAX_INBOX {
                self.inbox.clear();
                self.skipping = true;
            }
        }
        progress
    }

    fn ack(&mut self, seq: u64, now: Instant, progress: &mut Progress) {
        if matches!(self.mode, Mode::Waiting { .. } | Mode::Fallback) {
            self.mode = Mode::Active;
            self.seen_acks = true;
            progress.activated = true;
            self.last_progress = now;
        }
        // An ack past what was ever sent is the monitor's mistake; it acknowledges nothing more.
        let seq = seq.min(self.last_seq);
        if seq <= self.acked_seq {
            return;
        }
        self.acked_seq = seq;
        self.last_progress = now;
        while self.lines.front().is_some_and(|line| line.seq <= seq) {
            let line = self.lines.pop_front().expect("checked");
            self.head = line.end;
            progress.acked_lines += 1;
        }
        self.compact();
        while self.checkpoints.front().is_some_and(|&(_, line)| line <= seq) {
            let (calls, _) = self.checkpoints.pop_front().expect("checked");
            progress.calls_acked = Some(progress.calls_acked.map_or(calls, |c| c.max(calls)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active() -> (Acks, Instant) {
        let now = Instant::now();
        let mut acks = Acks::new(true, now);
        acks.connected(true, now);
        acks.receive(b"{\"type\":\"ack\",\"seq\":0}\n", now);
        assert_eq!(acks.mode, Mode::Active);
        (acks, now)
    }

    #[test]
    fn a_cumulative_ack_frees_the_lines_up_to_it_and_releases_checkpoints() {
        let (mut acks, now) = active();
        for _ in 0..3 {
            let seq = acks.next_seq();
            acks.keep(seq, format!("line {}\n", seq.unwrap()).as_bytes(), now);
        }
        assert_eq!(acks.written(7), None, "calls 1..=7 wait for line 3");
        assert_eq!(acks.unacked(), 3);
        let progress = acks.receive(b"{\"type\":\"ack\",\"seq\":2}\n{\"type\":\"ack\"", now);
        assert_eq!(progress, Progress { acked_lines: 2, calls_acked: None, activated: false });
        assert_eq!(acks.resend(3), (&b"line 3\n"[..], 1));
        let progress = acks.receive(b",\"seq\":3}\n", now);
        assert_eq!(progress, Progress { acked_lines: 1, calls_acked: Some(7), activated: false });
        assert_eq!(acks.unacked(), 0);
        assert_eq!(acks.written(8), Some(8), "nothing waits: stored at once");
    }

    #[test]
    fn garbage_and_overlong_lines_from_the_monitor_are_ignored() {
        let (mut acks, now) = active();
        let seq = acks.next_seq();
        acks.keep(seq, b"x\n", now);
        assert_eq!(acks.receive(&[b'z'; 5000], now).acked_lines, 0);
        assert_eq!(
            acks.receive(b"{\"type\":\"ack\",\"seq\":1}\nnot json\n", now).acked_lines,
            0,
            "tail of the long line"
        );
        assert_eq!(acks.receive(b"{\"type\":\"ack\",\"seq\":1}\n", now).acked_lines, 1);
    }

    #[test]
    fn the_window_bounds_what_it_takes() {
        let (mut acks, now) = active();
        for _ in 0..MAX_UNACKED_LINES {
            let seq = acks.next_seq();
            acks.keep(seq, b"l\n", now);
        }
        assert_eq!(acks.room(), 0);
        assert_eq!(acks.fall_back(), None);
        assert_eq!(acks.room(), usize::MAX, "a v1 monitor's connection never waits for room");
        assert_eq!(acks.unacked(), 0);
        let seq = acks.next_seq();
        acks.keep(seq, b"l\n", now);
        assert_eq!(acks.lines.len(), MAX_UNACKED_LINES, "the ring does not grow");
        let (resend, _) = acks.connected(true, now);
        assert!(!resend, "nothing is resent to a monitor that did not acknowledge");
        assert_eq!(acks.lines.len(), 0);
    }
}
