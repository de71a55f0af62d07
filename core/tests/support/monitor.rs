//! A real monitor for tests: a Unix listener that records every line it
//! reads, and that can go away, come back, or stop reading.

use std::io::{BufRead, BufReader};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A private directory for one test's socket, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
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

struct Shared {
    received: Mutex<Received>,
    arrived: Condvar,
    /// While false, accepted connections are held but not read.
    reading: AtomicBool,
    resume: Condvar,
    resume_lock: Mutex<()>,
    connections: Mutex<Vec<UnixStream>>,
    accepted: AtomicUsize,
}

/// A monitor on a socket path. It may be up or down; lines it read stay
/// recorded across restarts.
pub struct Monitor {
    path: PathBuf,
    shared: Arc<Shared>,
    listener: Option<(UnixListener, Arc<AtomicBool>, thread::JoinHandle<()>)>,
}

impl Monitor {
    /// A monitor for `path`, not listening yet.
    pub fn new(path: &Path) -> Monitor {
        Monitor {
            path: path.to_path_buf(),
            shared: Arc::new(Shared {
                received: Mutex::default(),
                arrived: Condvar::new(),
                reading: AtomicBool::new(true),
                resume: Condvar::new(),
                resume_lock: Mutex::new(()),
                connections: Mutex::default(),
                accepted: AtomicUsize::new(0),
            }),
            listener: None,
        }
    }

    pub fn up(path: &Path) -> Monitor {
        let mut monitor = Monitor::new(path);
        monitor.start();
        monitor
    }

    pub fn start(&mut self) {
        assert!(self.listener.is_none(), "monitor already up");
        let _ = std::fs::remove_file(&self.path);
        let listener = UnixListener::bind(&self.path).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (accepting, shared, stop2) = (listener.try_clone().unwrap(), Arc::clone(&self.shared), Arc::clone(&stop));
        let accept_loop = thread::spawn(move || {
            for stream in accepting.incoming() {
                if stop2.load(Ordering::Acquire) {
                    break;
                }
                let Ok(stream) = stream else { break };
                shared.accepted.fetch_add(1, Ordering::AcqRel);
                shared.connections.lock().unwrap().push(stream.try_clone().unwrap());
                let shared = Arc::clone(&shared);
                thread::spawn(move || read_lines(stream, &shared));
            }
        });
        self.listener = Some((listener, stop, accept_loop));
    }

    /// Goes away like a killed monitor: listener and every connection closed, socket file removed.
    pub fn stop(&mut self) {
        if let Some((listener, stop, accept_loop)) = self.listener.take() {
            stop.store(true, Ordering::Release);
            // Wake the accept loop so it sees `stop`, and wait until its copy
            // of the listener is closed: no client may connect to a dying monitor.
            let _ = UnixStream::connect(&self.path);
            accept_loop.join().unwrap();
            drop(listener);
        }
        for conn in self.shared.connections.lock().unwrap().drain(..) {
            let _ = conn.shutdown(std::net::Shutdown::Both);
        }
        let _ = std::fs::remove_file(&self.path);
    }

    /// Closes the connections but keeps listening, like a monitor that drops idle clients.
    pub fn drop_connections(&self) {
        for conn in self.shared.connections.lock().unwrap().drain(..) {
            let _ = conn.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Accepts but never reads, until `resume_reading`.
    pub fn stop_reading(&self) {
        self.shared.reading.store(false, Ordering::Release);
    }

    pub fn resume_reading(&self) {
        self.shared.reading.store(true, Ordering::Release);
        let _guard = self.shared.resume_lock.lock().unwrap();
        self.shared.resume.notify_all();
    }

    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::Acquire)
    }

    /// Waits until at least `n` lines arrived since the last `take` (or
    /// `timeout`), then returns every such line.
    pub fn take(&self, n: usize, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut received = self.shared.received.lock().unwrap();
        while received.lines.len() - received.taken < n {
            let now = Instant::now();
            if now >= deadline {
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

fn read_lines(stream: UnixStream, shared: &Shared) {
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    let mut line = String::new();
    loop {
        if !shared.reading.load(Ordering::Acquire) {
            let guard = shared.resume_lock.lock().unwrap();
            let _unused = shared
                .resume
                .wait_timeout_while(guard, Duration::from_millis(50), |_| !shared.reading.load(Ordering::Acquire))
                .unwrap();
            continue;
        }
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if !line.ends_with('\n') => return, // cut short by a closing peer
            Ok(_) => {
                let mut received = shared.received.lock().unwrap();
                received.lines.push(line.trim_end().to_owned());
                shared.arrived.notify_all();
            }
        }
    }
}
