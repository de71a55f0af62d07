//! The one fake monitor: a real Unix listener that records every line it
//! reads, and that can go away, come back, or stop reading. The harness runs
//! every case against it, and the core's own tests use it too.
//!
//! **Lines in flight at `stop` (the corpus's `monitor_down`).** A line the
//! client handed to the kernel before `stop` is recorded; nothing is lost in
//! between. `stop` removes the socket file (no new connection can start),
//! accepts what is still in the listen backlog, then shuts down the reading
//! side of every connection, so each reader drains what the kernel already
//! holds and a client's later writes fail (EPIPE: the client keeps those
//! lines and writes them again after reconnecting). It returns once every
//! reader has recorded what it drained. At the end of a connection, bytes
//! after the last `\n` are recorded as a line when they are a whole JSON
//! value (a client does not resend a line that missed only its `\n`) and
//! dropped otherwise (a client resends a line it wrote in part).
//!
//! **Acks (protocol 1.1).** Like the reference monitor, it acknowledges on
//! a connection whose register line asked for it (`"acks":true`): at once
//! for the register, with the highest `seq` it holds for that instance, then
//! after each numbered llm_usage line it records. It records each
//! (instance, seq) once: a line written again after a reconnect is counted
//! in `duplicates`, not recorded again. `without_acks` makes it a v1
//! monitor: it never writes and records every line.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// A private directory for one test's socket, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    #[allow(clippy::new_without_default)]
    pub fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "kissmon-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn socket(&self) -> PathBuf {
        self.0.join("monitor.sock")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(Default)]
struct Received {
    lines: Vec<String>,
    /// Lines already handed out by `take`.
    taken: usize,
}

struct Connection {
    stream: UnixStream,
    reader: JoinHandle<()>,
}

struct Shared {
    received: Mutex<Received>,
    arrived: Condvar,
    /// While false, accepted connections are held but not read.
    reading: Mutex<bool>,
    resume: Condvar,
    connections: Mutex<Vec<Connection>>,
    accepted: AtomicUsize,
    /// Whether it acknowledges (protocol 1.1) clients that ask.
    acks: AtomicBool,
    /// The highest llm_usage `seq` recorded per instance.
    stored: Mutex<HashMap<String, u64>>,
    duplicates: AtomicUsize,
}

/// One connection's side of the acks.
#[derive(Default)]
struct Acking {
    /// The client asked for acks on its register line; its instance.
    instance: Option<String>,
}

impl Shared {
    /// Records a line and returns the ack to write back, if any.
    fn record(&self, line: &[u8], acking: &mut Acking) -> Option<u64> {
        let line = String::from_utf8_lossy(line).trim_end_matches('\r').to_owned();
        let acks = self.acks.load(Ordering::Acquire);
        let value: Option<serde_json::Value> = if acks { serde_json::from_str(&line).ok() } else { None };
        let field = |name: &str| value.as_ref().and_then(|v| v.get(name));
        let instance = field("instance").and_then(|i| i.as_str()).map(str::to_owned);
        let mut ack = None;
        match field("type").and_then(|t| t.as_str()) {
            Some("register") if field("acks") == Some(&serde_json::Value::Bool(true)) && instance.is_some() => {
                let instance = instance.expect("checked");
                ack = Some(self.stored.lock().unwrap().get(&instance).copied().unwrap_or(0));
                acking.instance = Some(instance);
            }
            Some("llm_usage") => {
                if let (Some(instance), Some(seq)) = (instance, field("seq").and_then(|s| s.as_u64())) {
                    let mut stored = self.stored.lock().unwrap();
                    let high = stored.entry(instance.clone()).or_insert(0);
                    if seq <= *high {
                        self.duplicates.fetch_add(1, Ordering::AcqRel);
                        return (acking.instance.as_ref() == Some(&instance)).then_some(*high);
                    }
                    *high = seq;
                    if acking.instance.as_ref() == Some(&instance) {
                        ack = Some(seq);
                    }
                }
            }
            _ => {}
        }
        self.received.lock().unwrap().lines.push(line);
        self.arrived.notify_all();
        ack
    }
}

/// A monitor on a socket path. It may be up or down; lines it read stay
/// recorded across restarts.
pub struct Monitor {
    path: PathBuf,
    shared: Arc<Shared>,
    listening: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

impl Monitor {
    /// A monitor for `path`, not listening yet.
    pub fn new(path: &Path) -> Monitor {
        Monitor {
            path: path.to_path_buf(),
            shared: Arc::new(Shared {
                received: Mutex::default(),
                arrived: Condvar::new(),
                reading: Mutex::new(true),
                resume: Condvar::new(),
                connections: Mutex::default(),
                accepted: AtomicUsize::new(0),
                acks: AtomicBool::new(true),
                stored: Mutex::default(),
                duplicates: AtomicUsize::new(0),
            }),
            listening: None,
        }
    }

    pub fn up(path: &Path) -> Monitor {
        let mut monitor = Monitor::new(path);
        monitor.start();
        monitor
    }

    /// A monitor of protocol v1: it never acknowledges and keeps every line.
    pub fn without_acks(self) -> Monitor {
        self.set_acks(false);
        self
    }

    /// Whether it acknowledges clients that ask, from now on.
    pub fn set_acks(&self, on: bool) {
        self.shared.acks.store(on, Ordering::Release);
    }

    /// Numbered llm_usage lines received again and not recorded.
    pub fn duplicates(&self) -> usize {
        self.shared.duplicates.load(Ordering::Acquire)
    }

    pub fn is_up(&self) -> bool {
        self.listening.is_some()
    }

    /// Binds the socket path and starts accepting and reading.
    pub fn start(&mut self) {
        assert!(self.listening.is_none(), "monitor already up");
        let _ = std::fs::remove_file(&self.path);
        let listener = UnixListener::bind(&self.path).unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (shared, stopping) = (Arc::clone(&self.shared), Arc::clone(&stop));
        let accept_loop = thread::spawn(move || loop {
            match listener.accept() {
                Ok((stream, _)) => accept(&shared, stream),
                // Stopping and nothing left in the backlog: the listener closes here.
                Err(err) if err.kind() == ErrorKind::WouldBlock && stopping.load(Ordering::Acquire) => return,
                Err(_) => thread::sleep(Duration::from_millis(2)),
            }
        });
        self.listening = Some((stop, accept_loop));
    }

    /// Goes away like a killed monitor, after recording every line already
    /// written to it (see the module's documentation).
    pub fn stop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        if let Some((stop, accept_loop)) = self.listening.take() {
            stop.store(true, Ordering::Release);
            accept_loop.join().unwrap();
        }
        self.resume_reading();
        let connections: Vec<Connection> = self.shared.connections.lock().unwrap().drain(..).collect();
        for conn in &connections {
            let _ = conn.stream.shutdown(std::net::Shutdown::Read);
        }
        for conn in connections {
            let _ = conn.reader.join();
            let _ = conn.stream.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Closes the connections but keeps listening, like a monitor that drops idle clients.
    pub fn drop_connections(&self) {
        for conn in self.shared.connections.lock().unwrap().drain(..) {
            let _ = conn.stream.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Accepts but never reads, until `resume_reading`.
    pub fn stop_reading(&self) {
        *self.shared.reading.lock().unwrap() = false;
    }

    pub fn resume_reading(&self) {
        *self.shared.reading.lock().unwrap() = true;
        self.shared.resume.notify_all();
    }

    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::Acquire)
    }

    /// Waits until at least `n` lines arrived since the last `take` (or
    /// `timeout`), then returns every such line.
    pub fn take(&self, n: usize, timeout: Duration) -> Vec<String> {
        self.take_when(timeout, |lines| lines.len() >= n)
    }

    /// Waits until `ready` holds for the lines that arrived since the last
    /// `take` (or `timeout`), then returns every such line.
    pub fn take_when(&self, timeout: Duration, mut ready: impl FnMut(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut received = self.shared.received.lock().unwrap();
        loop {
            let now = Instant::now();
            if now >= deadline || ready(&received.lines[received.taken..]) {
                break;
            }
            received = self.shared.arrived.wait_timeout(received, deadline - now).unwrap().0;
        }
        let lines = received.lines[received.taken..].to_vec();
        received.taken = received.lines.len();
        lines
    }

    /// Waits until `n` lines arrived in all (or `timeout`), then returns
    /// every line received so far. With `n` from a client's `stats().sent`
    /// after a flush, this is "the monitor has read all the client wrote".
    pub fn all_of(&self, n: u64, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut received = self.shared.received.lock().unwrap();
        while (received.lines.len() as u64) < n {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            received = self.shared.arrived.wait_timeout(received, deadline - now).unwrap().0;
        }
        received.taken = received.lines.len();
        received.lines.clone()
    }

    /// Every line received so far.
    pub fn all_lines(&self) -> Vec<String> {
        self.shared.received.lock().unwrap().lines.clone()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept(shared: &Arc<Shared>, stream: UnixStream) {
    let _ = stream.set_nonblocking(false);
    shared.accepted.fetch_add(1, Ordering::AcqRel);
    let (reading, shared2) = (stream.try_clone().unwrap(), Arc::clone(shared));
    let reader = thread::spawn(move || read_lines(reading, &shared2));
    shared.connections.lock().unwrap().push(Connection { stream, reader });
}

fn read_lines(mut stream: UnixStream, shared: &Shared) {
    let mut acking = Acking::default();
    // A client that does not read its acks must not hold the reader.
    let _ = stream.set_write_timeout(Some(Duration::from_millis(200)));
    let mut pending = Vec::new();
    let mut chunk = vec![0; 64 * 1024];
    loop {
        {
            let reading = shared.reading.lock().unwrap();
            drop(shared.resume.wait_while(reading, |reading| !*reading).unwrap());
        }
        let n = match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        pending.extend_from_slice(&chunk[..n]);
        let mut start = 0;
        let mut ack = None;
        while let Some(end) = pending[start..].iter().position(|&b| b == b'\n') {
            ack = shared.record(&pending[start..start + end], &mut acking).or(ack);
            start += end + 1;
        }
        pending.drain(..start);
        if let Some(seq) = ack {
            let _ = stream.write_all(format!("{{\"type\":\"ack\",\"seq\":{seq}}}\n").as_bytes());
        }
    }
    if serde_json::from_slice::<serde_json::Value>(&pending).is_ok() {
        shared.record(&pending, &mut acking);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn stop_records_every_line_written_before_it_and_refuses_later_writes() {
        let dir = TempDir::new();
        let mut monitor = Monitor::up(&dir.socket());
        let mut whole = UnixStream::connect(dir.socket()).unwrap();
        // Written before stop, perhaps before the monitor even accepted: a
        // line, and one that misses only its `\n`.
        whole.write_all(b"{\"a\":1}\n{\"b\":2}").unwrap();
        let mut cut = UnixStream::connect(dir.socket()).unwrap();
        cut.write_all(b"{\"c\":").unwrap();
        monitor.stop();
        assert_eq!(monitor.all_lines(), ["{\"a\":1}", "{\"b\":2}"]);
        assert!(whole.write_all(b"{\"d\":4}\n").is_err(), "a write after stop must fail");
        assert!(!dir.socket().exists());
    }
}
