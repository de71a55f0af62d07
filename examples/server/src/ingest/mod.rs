//! The readers: one task per connection, reading lines of at most 64 KiB,
//! decoding each with the core's `decode_line`, and handing the result on.
//!
//! A bad line is counted by class, logged at a bounded rate, and skipped; the
//! connection stays open. llm_usage rows go straight to the store's pending
//! set (folded, then shed and counted, past its bounds); register, heartbeat
//! and unregister go to the state worker, with consecutive heartbeats of one
//! bot folded into the latest. A reader never waits on storage; it waits on
//! the in-memory state worker at most [`STATE_SEND_TIMEOUT`] per batch, then
//! sheds that batch and counts its lines.
//!
//! A client that asks for acks on its register line (protocol 1.1) gets them
//! on its connection from this reader ([`acks`]), once the writer committed.

mod acks;

use crate::counters::{Counter, Counters, Tally};
use crate::registry::{Accepted, Batch, Peer};
use crate::store::{Store, UsageRow};
use acks::AckWriter;
use kissmon::{DecodeError, Message, MAX_LINE_BYTES};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, watch};

/// Bytes read in one go, and per turn: a busy connection then lets the others
/// run. A connection holds no buffer while idle.
const READ_CHUNK: usize = 16 * 1024;
/// The longest partial line kept: the limit plus a trailing `\r`.
pub const MAX_PARTIAL_LINE: usize = MAX_LINE_BYTES + 1;
/// Reads a connection may still make when the monitor stops.
const READS_AT_STOP: usize = 16;
/// Messages gathered before a busy reader hands them on.
const BATCH_MESSAGES: usize = 4096;
/// How long a reader waits for room in the state worker's queue before it sheds a batch.
pub const STATE_SEND_TIMEOUT: Duration = Duration::from_secs(2);
/// At most this many bad lines are logged per window; the rest are summed.
const BAD_LINE_LOGS_PER_WINDOW: u32 = 10;
const BAD_LINE_LOG_WINDOW: Duration = Duration::from_secs(10);

/// What every reader shares.
pub struct Ingest {
    pub counters: Arc<Counters>,
    pub store: Store,
    pub state: mpsc::Sender<Batch>,
    pub reject_peer_mismatch: bool,
    bad_lines: RateLimit,
}

impl Ingest {
    pub fn new(
        counters: Arc<Counters>,
        store: Store,
        state: mpsc::Sender<Batch>,
        reject_peer_mismatch: bool,
    ) -> Ingest {
        Ingest { counters, store, state, reject_peer_mismatch, bad_lines: RateLimit::default() }
    }
}

/// Accepts connections until `stop`. The accept loop runs on the control
/// thread; each reader task runs on `readers`, the multi-thread runtime.
/// Past `max_connections` open, a new connection is closed at once and counted.
pub async fn accept_loop(
    listener: UnixListener,
    ingest: Arc<Ingest>,
    mut stop: watch::Receiver<bool>,
    readers: tokio::runtime::Handle,
    max_connections: usize,
) {
    let errors = RateLimit::default();
    let shed = RateLimit::default();
    loop {
        let accepted = tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted.and_then(|(stream, _)| stream.into_std()) {
            Ok(_) if ingest.counters.get(Counter::connections_open) >= max_connections as u64 => {
                ingest.counters.add(Counter::connections_shed, 1);
                if let Some(suppressed) = shed.allow() {
                    tracing::warn!(
                        "closed a new connection: {max_connections} are open (--max-connections){}",
                        suppressed_note(suppressed)
                    );
                }
            }
            Ok(stream) => {
                ingest.counters.add(Counter::connections_accepted, 1);
                ingest.counters.add(Counter::connections_open, 1);
                readers.spawn(read_connection(stream, Arc::clone(&ingest), stop.clone()));
            }
            Err(err) => {
                if let Some(suppressed) = errors.allow() {
                    tracing::warn!("accept failed: {err}{}", suppressed_note(suppressed));
                }
                // Out of file descriptors: give the readers time to release some.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// One connection: reads until the peer closes or the monitor stops. At a
/// stop it reads what the socket already holds, then closes.
async fn read_connection(stream: StdUnixStream, ingest: Arc<Ingest>, mut stop: watch::Receiver<bool>) {
    read_lines(stream, &ingest, &mut stop).await;
    ingest.counters.sub(Counter::connections_open, 1);
}

async fn read_lines(stream: StdUnixStream, ingest: &Ingest, stop: &mut watch::Receiver<bool>) {
    let stream = match UnixStream::from_std(stream) {
        Ok(stream) => stream,
        Err(err) => {
            tracing::warn!("cannot register a connection: {err}");
            return;
        }
    };
    let peer = match stream.peer_cred() {
        Ok(cred) => Peer {
            pid: cred.pid().and_then(|pid| u32::try_from(pid).ok()).filter(|&pid| pid > 0),
            uid: Some(cred.uid()),
        },
        Err(_) => Peer::default(),
    };
    tracing::debug!("connection from pid {:?}, uid {:?}", peer.pid, peer.uid);
    let mut lines = LineBuffer::default();
    let mut out = Outgoing::new(peer);
    let mut acker: Option<AckWriter> = None;
    // What the client wrote right after connecting (usually its register) is
    // read now, before the connection waits its turn for a readiness event.
    match lines.read_now(&stream) {
        Ok(Some(0)) | Err(_) => return out.finish(&mut lines, ingest).await,
        Ok(Some(_)) => {
            out.take_from(&mut lines, ingest);
            out.answer_acks(&mut acker, &stream, ingest);
            out.hand_on(ingest).await;
        }
        Ok(None) => {}
    }
    lines.release_if_empty();
    let mut stopping = *stop.borrow();
    loop {
        if !stopping {
            let blocked = acker.as_ref().is_some_and(|a| a.blocked);
            let mut readable = false;
            tokio::select! {
                ready = stream.readable() => if ready.is_err() { break } else { readable = true },
                _ = stop.changed() => stopping = true,
                changed = AckWriter::changed(&mut acker) => match changed {
                    true => acker.as_mut().expect("following acks").take_update(),
                    false => acker = None,
                },
                _ = stream.writable(), if blocked => {}
            }
            if let Some(acker) = &mut acker {
                acker.write(&stream, &ingest.counters);
            }
            if !readable && !stopping {
                continue;
            }
        }
        // One read per turn (or a bounded few at a stop), so that busy
        // connections take turns with quiet ones.
        let mut closed = false;
        let mut more = false;
        for _ in 0..if stopping { READS_AT_STOP } else { 1 } {
            match lines.read_from(&stream) {
                Ok(Some(0)) | Err(_) => {
                    closed = true;
                    more = false;
                    break;
                }
                Ok(Some(_)) => {
                    more = true;
                    out.take_from(&mut lines, ingest);
                    out.answer_acks(&mut acker, &stream, ingest);
                    if out.messages.len() + out.usage.len() >= BATCH_MESSAGES {
                        out.hand_on(ingest).await;
                    }
                }
                Ok(None) => {
                    more = false;
                    break;
                }
            }
        }
        if closed {
            return out.finish(&mut lines, ingest).await;
        }
        out.hand_on(ingest).await;
        if stopping {
            return;
        }
        if more {
            tokio::task::yield_now().await;
        } else {
            lines.release_if_empty();
        }
    }
}

/// Bytes read but not yet split into lines: the monitor's framing (public
/// for the fuzz target in `fuzz/`).
#[derive(Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
    /// `buf[..scanned]` holds no newline.
    scanned: usize,
    /// Inside a line already counted as too long: skip to its end.
    discarding: bool,
}

impl LineBuffer {
    fn make_room(&mut self) {
        if self.buf.capacity() - self.buf.len() < READ_CHUNK / 4 {
            self.buf.reserve_exact(READ_CHUNK);
        }
    }

    /// `Some(n)` bytes read (0 at EOF), or `None` when nothing is there now.
    fn read_from(&mut self, stream: &UnixStream) -> std::io::Result<Option<usize>> {
        self.make_room();
        match stream.try_read_buf(&mut self.buf) {
            Ok(n) => Ok(Some(n)),
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// The same, straight from the socket, without waiting for tokio to have
    /// seen it readable.
    fn read_now(&mut self, stream: &UnixStream) -> std::io::Result<Option<usize>> {
        self.make_room();
        let spare = self.buf.spare_capacity_mut();
        // SAFETY: recv writes at most `spare.len()` bytes into the vector's spare capacity.
        let n = unsafe {
            libc::recv(stream.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len().min(READ_CHUNK), libc::MSG_DONTWAIT)
        };
        if n < 0 {
            let err = std::io::Error::last_os_error();
            return match err.kind() {
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted => Ok(None),
                _ => Err(err),
            };
        }
        // SAFETY: the kernel initialised the first `n` bytes of the spare capacity.
        unsafe { self.buf.set_len(self.buf.len() + n as usize) };
        Ok(Some(n as usize))
    }

    /// Takes `bytes` as one read, then does what [`LineBuffer::take_lines`] does.
    pub fn feed(&mut self, bytes: &[u8], line: impl FnMut(&[u8])) -> bool {
        self.buf.extend_from_slice(bytes);
        self.take_lines(line)
    }

    /// Bytes of memory the buffer holds now.
    pub fn held(&self) -> usize {
        self.buf.capacity()
    }

    /// Hands every complete line (without its `\n`) to `line`. Returns true
    /// when a partial line grew past the limit: it is then skipped to its end.
    pub fn take_lines(&mut self, mut line: impl FnMut(&[u8])) -> bool {
        let mut start = 0;
        let mut from = self.scanned;
        while let Some(offset) = memchr::memchr(b'\n', &self.buf[from..]) {
            let end = from + offset;
            if self.discarding {
                self.discarding = false;
            } else {
                line(&self.buf[start..end]);
            }
            start = end + 1;
            from = start;
        }
        if self.discarding {
            self.buf.clear();
            self.scanned = 0;
            return false;
        }
        let partial = self.buf.len() - start;
        if partial > MAX_PARTIAL_LINE {
            self.discarding = true;
            self.buf.clear();
            self.scanned = 0;
            return true;
        }
        self.buf.drain(..start);
        self.scanned = self.buf.len();
        false
    }

    /// What is left after the last newline, if anything (at EOF).
    pub fn unterminated(&mut self) -> Option<Vec<u8>> {
        if self.discarding || self.buf.is_empty() {
            return None;
        }
        self.scanned = 0;
        Some(std::mem::take(&mut self.buf))
    }

    /// Idle connections hold no buffer: 10,000 of them cost no read buffers;
    /// one that stops inside a line (a slow writer) holds only that line's bytes.
    pub fn release_if_empty(&mut self) {
        if self.buf.is_empty() {
            self.buf = Vec::new();
            self.scanned = 0;
        } else if self.buf.capacity() > 2 * self.buf.len() + 1024 {
            self.buf.shrink_to_fit();
        }
    }
}

/// What one reader gathered and has not handed on yet.
struct Outgoing {
    peer: Peer,
    received: SystemTime,
    messages: Vec<Accepted>,
    usage: Vec<UsageRow>,
    tally: Tally,
    /// The instance whose register line just asked for acks.
    asked_acks: Option<String>,
}

impl Outgoing {
    fn new(peer: Peer) -> Outgoing {
        Outgoing {
            peer,
            received: SystemTime::now(),
            messages: Vec::new(),
            usage: Vec::new(),
            tally: Tally::default(),
            asked_acks: None,
        }
    }

    /// A register line asked for acks: follow its instance's mark and
    /// answer with what is stored now.
    fn answer_acks(&mut self, acker: &mut Option<AckWriter>, stream: &UnixStream, ingest: &Ingest) {
        if let Some(instance) = self.asked_acks.take() {
            *acker = Some(AckWriter::new(ingest.store.acks().subscribe(&instance)));
        }
        if let Some(acker) = acker {
            acker.write(stream, &ingest.counters);
        }
    }

    /// Decodes every complete line `lines` holds.
    fn take_from(&mut self, lines: &mut LineBuffer, ingest: &Ingest) {
        self.received = SystemTime::now();
        if lines.take_lines(|line| self.ingest(line, ingest)) {
            self.tally.add(Counter::bad_line_too_long, 1);
        }
    }

    /// At EOF: a peer may end its last line with EOF instead of "\n" (one line per connection).
    async fn finish(&mut self, lines: &mut LineBuffer, ingest: &Ingest) {
        if let Some(line) = lines.unterminated() {
            self.ingest(&line, ingest);
        }
        self.hand_on(ingest).await;
    }

    fn ingest(&mut self, line: &[u8], ingest: &Ingest) {
        if line.iter().all(u8::is_ascii_whitespace) {
            self.tally.add(Counter::lines_blank, 1);
            return;
        }
        let message = match kissmon::decode_line(line) {
            Ok(message) => message,
            Err(err) => {
                self.tally.add(Counter::bad_line(err.class), 1);
                ingest.bad_lines.log_bad_line(&err, line, self.peer);
                return;
            }
        };
        self.tally.add(
            match &message {
                Message::Register(_) => Counter::lines_register,
                Message::Heartbeat(_) => Counter::lines_heartbeat,
                Message::Unregister(_) => Counter::lines_unregister,
                Message::LlmUsage(_) => Counter::lines_llm_usage,
            },
            1,
        );
        let peer_mismatch = matches!((message.pid(), self.peer.pid), (Some(pid), Some(peer)) if pid != peer);
        if peer_mismatch {
            if ingest.reject_peer_mismatch {
                self.tally.add(Counter::peer_mismatch_rejected, 1);
                return;
            }
            self.tally.add(Counter::peer_mismatch_flagged, 1);
        }
        match message {
            Message::LlmUsage(usage) => {
                let received = crate::time::unix(self.received);
                self.usage.push(UsageRow::from_message(usage, received, peer_mismatch));
            }
            Message::Register(register) => {
                if register.acks == Some(true) {
                    self.asked_acks = register.envelope.instance.clone().or(self.asked_acks.take());
                }
                self.messages.push(Accepted { message: Message::Register(register), peer_mismatch });
            }
            Message::Heartbeat(beat) => {
                // A heartbeat right after one of the same bot replaces it: only the latest matters.
                if let Some(Accepted { message: Message::Heartbeat(last), peer_mismatch: last_mismatch }) =
                    self.messages.last_mut()
                {
                    if last.channel == beat.channel && last.pid == beat.pid {
                        *last = beat;
                        *last_mismatch = peer_mismatch;
                        return;
                    }
                }
                self.messages.push(Accepted { message: Message::Heartbeat(beat), peer_mismatch });
            }
            message => self.messages.push(Accepted { message, peer_mismatch }),
        }
    }

    async fn hand_on(&mut self, ingest: &Ingest) {
        if !self.usage.is_empty() {
            ingest.store.push_usage(std::mem::take(&mut self.usage));
        }
        if !self.messages.is_empty() {
            let batch =
                Batch { peer: self.peer, received: self.received, messages: std::mem::take(&mut self.messages) };
            let lines = batch.messages.len() as u64;
            if let Err(err) = ingest.state.send_timeout(batch, STATE_SEND_TIMEOUT).await {
                self.tally.add(Counter::lines_shed_overload, lines);
                if let Some(suppressed) = ingest.bad_lines.allow() {
                    tracing::warn!(
                        "shed {lines} lines: the state worker did not take them ({err}){}",
                        suppressed_note(suppressed)
                    );
                }
            }
        }
        self.tally.drain_into(&ingest.counters);
    }
}

/// Allows a few log lines per window and sums the rest.
#[derive(Default)]
struct RateLimit {
    state: Mutex<Option<(Instant, u32, u64)>>,
}

impl RateLimit {
    /// `Some(n)` when this event may be logged, `n` being how many were suppressed before it.
    fn allow(&self) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        let (since, logged, suppressed) = state.get_or_insert((now, 0, 0));
        if now.duration_since(*since) >= BAD_LINE_LOG_WINDOW {
            let was = *suppressed;
            *state = Some((now, 1, 0));
            return Some(was);
        }
        if *logged < BAD_LINE_LOGS_PER_WINDOW {
            *logged += 1;
            Some(0)
        } else {
            *suppressed += 1;
            None
        }
    }

    fn log_bad_line(&self, err: &DecodeError, line: &[u8], peer: Peer) {
        if let Some(suppressed) = self.allow() {
            let shown = String::from_utf8_lossy(&line[..line.len().min(80)]);
            let from = peer.pid.map_or_else(|| "an unknown pid".to_owned(), |pid| format!("pid {pid}"));
            tracing::warn!(
                "skipped a bad line from {from}: {err}; line starts {shown:?}{}",
                suppressed_note(suppressed)
            );
        }
    }
}

fn suppressed_note(suppressed: u64) -> String {
    if suppressed == 0 {
        String::new()
    } else {
        format!(" ({suppressed} more not logged in the last {}s)", BAD_LINE_LOG_WINDOW.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> (Vec<String>, usize) {
        let mut buffer = LineBuffer::default();
        let (mut lines, mut too_long) = (Vec::new(), 0);
        for chunk in chunks {
            buffer.buf.extend_from_slice(chunk);
            if buffer.take_lines(|line| lines.push(String::from_utf8_lossy(line).into_owned())) {
                too_long += 1;
            }
        }
        (lines, too_long)
    }

    #[test]
    fn lines_split_across_reads() {
        let (lines, too_long) = split(&[b"ab", b"c\nde", b"f\n\ng", b"\n"]);
        assert_eq!(lines, ["abc", "def", "", "g"]);
        assert_eq!(too_long, 0);
    }

    #[test]
    fn an_oversize_line_is_counted_once_and_skipped_to_its_end() {
        let big = vec![b'x'; MAX_PARTIAL_LINE + 10];
        let (lines, too_long) = split(&[&big, &big, b"tail\nnext\n"]);
        assert_eq!(lines, ["next"]);
        assert_eq!(too_long, 1);
    }
}
