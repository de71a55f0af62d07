//! A real kissmon-server process for tests: the built binary on a socket and
//! a SQLite file in a private temp dir, with short liveness intervals.
#![allow(dead_code)]

use rusqlite::{Connection, OpenFlags};
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_kissmon-server");

/// Settings that make liveness visible within a test.
/// HTTP on a port the kernel picks, so that tests in parallel never collide.
pub const FAST: &[&str] = &[
    "--check-every",
    "100ms",
    "--status-flush-every",
    "100ms",
    "--stale-floor",
    "300ms",
    "--metrics-every",
    "200ms",
    "--http",
    "127.0.0.1:0",
];

/// A private directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "kissmon-server-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn socket(&self) -> PathBuf {
        self.path("monitor.sock")
    }

    pub fn db(&self) -> PathBuf {
        self.path("monitor.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `kissmon-server serve`.
pub struct Monitor {
    child: Option<Child>,
    pub socket: PathBuf,
    pub db: PathBuf,
    pub log: PathBuf,
}

impl Monitor {
    /// Starts `serve` on the dir's socket and db with [`FAST`] and `extra`, and waits until it accepts.
    pub fn start(dir: &TempDir, extra: &[&str]) -> Monitor {
        Monitor::start_at(&dir.socket(), &dir.db(), extra)
    }

    /// `extra` flags replace the same flags of [`FAST`].
    pub fn start_at(socket: &Path, db: &Path, extra: &[&str]) -> Monitor {
        let fast = FAST.chunks(2).filter(|pair| !extra.contains(&pair[0])).flatten();
        let args: Vec<&str> = fast.chain(extra).copied().collect();
        Monitor::start_with_args(socket, db, &args)
    }

    /// Starts `serve` with exactly `args` after the socket and db (no [`FAST`]).
    pub fn start_with_args(socket: &Path, db: &Path, args: &[&str]) -> Monitor {
        match Monitor::try_start_with_args(socket, db, args) {
            Ok(monitor) => monitor,
            Err(log) => panic!("the monitor did not start:\n{log}"),
        }
    }

    /// Starts a monitor, or returns its log when it exits instead.
    pub fn try_start_with_args(socket: &Path, db: &Path, args: &[&str]) -> Result<Monitor, String> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let log = db.with_extension(format!("log{}", N.fetch_add(1, Ordering::Relaxed)));
        // `KISSMON_MONITOR_WRAPPER=heaptrack` (or valgrind, perf) runs the
        // monitor under a tool; `pid()` is then the tool's.
        let mut command = match std::env::var("KISSMON_MONITOR_WRAPPER") {
            Ok(wrapper) => {
                let mut c = Command::new(wrapper);
                c.arg(BIN);
                c
            }
            Err(_) => Command::new(BIN),
        };
        let child = command
            .arg("serve")
            .arg("--socket")
            .arg(socket)
            .arg("--db")
            .arg(db)
            .args(args)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("spawn kissmon-server");
        let mut monitor = Monitor { child: Some(child), socket: socket.to_path_buf(), db: db.to_path_buf(), log };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = monitor.child.as_mut().unwrap().try_wait().unwrap() {
                monitor.child = None;
                return Err(format!("exit {status}\n{}", monitor.log_text()));
            }
            if UnixStream::connect(socket).is_ok() {
                return Ok(monitor);
            }
            assert!(Instant::now() < deadline, "the monitor did not listen within 20 s:\n{}", monitor.log_text());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// `http://ADDR` of its HTTP API, from the line it logs once it serves.
    pub fn http_url(&self) -> String {
        let mut url = None;
        wait_for("the HTTP API's address in the log", Duration::from_secs(20), || {
            url = self.log_text().lines().find_map(|line| {
                let rest = &line[line.find("HTTP API on http://")? + "HTTP API on ".len()..];
                Some(rest[..rest.find("/api/v1/")?].to_owned())
            });
            url.is_some()
        });
        url.unwrap()
    }

    /// GETs `path` from its HTTP API: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        http_get(&format!("{}{path}", self.http_url()), None)
    }

    /// GETs `path` and parses the JSON of a 200.
    pub fn get_json(&self, path: &str) -> serde_json::Value {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|err| panic!("GET {path}: not JSON ({err}): {body}"))
    }

    /// GETs `path` until `done` holds for its JSON (the API serves a fleet
    /// snapshot republished every 200 ms, so it trails the database).
    pub fn wait_api(&self, what: &str, path: &str, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let mut last = serde_json::Value::Null;
        wait_for(what, Duration::from_secs(15), || {
            last = self.get_json(path);
            done(&last)
        });
        last
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends `signal` and waits for a clean exit.
    pub fn stop_with(&mut self, signal: libc::c_int) {
        let mut child = self.child.take().expect("running");
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "the monitor exited with {status}:\n{}", self.log_text());
                return;
            }
            assert!(Instant::now() < deadline, "the monitor did not stop within 20 s:\n{}", self.log_text());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn stop(&mut self) {
        self.stop_with(libc::SIGTERM);
    }

    pub fn conn(&self) -> Connection {
        open_db(&self.db)
    }

    pub fn counter(&self, name: &str) -> i64 {
        counter(&self.db, name)
    }

    /// Waits until counter `name` reaches `value` (counters are written every 100 ms).
    pub fn wait_counter(&self, name: &str, value: i64) {
        self.wait_counter_within(name, value, Duration::from_secs(15));
    }

    /// [`Monitor::wait_counter`] for work that takes long on a loaded machine.
    pub fn wait_counter_within(&self, name: &str, value: i64, timeout: Duration) {
        wait_for(&format!("counter {name} == {value}"), timeout, || self.counter(name) == value);
    }

    pub fn status(&self, channel: &str) -> Option<String> {
        bot_field(&self.db, channel, "status")
    }

    pub fn wait_status(&self, channel: &str, status: &str) {
        self.wait_status_within(channel, status, Duration::from_secs(15));
    }

    /// [`Monitor::wait_status`] for work that takes long on a loaded machine.
    pub fn wait_status_within(&self, channel: &str, status: &str, timeout: Duration) {
        wait_for(&format!("{channel} {status}"), timeout, || self.status(channel).as_deref() == Some(status));
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn open_db(path: &Path) -> Connection {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn
}

pub fn counter(db: &Path, name: &str) -> i64 {
    open_db(db).query_row("SELECT value FROM monitor_counters WHERE name = ?1", [name], |row| row.get(0)).unwrap_or(-1)
}

/// One column of a bot's row, as text; `None` when there is no row.
pub fn bot_field(db: &Path, channel: &str, column: &str) -> Option<String> {
    open_db(db)
        .query_row(&format!("SELECT CAST({column} AS TEXT) FROM bot_status WHERE channel = ?1"), [channel], |row| {
            row.get::<_, Option<String>>(0)
        })
        .ok()
        .flatten()
}

pub fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// GET with an optional bearer token: (status, body), whatever the status.
pub fn http_get(url: &str, token: Option<&str>) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut request = agent.get(url);
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let mut response = request.call().unwrap_or_else(|err| panic!("GET {url}: {err}"));
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap_or_default())
}

/// A connection that writes raw bytes, as a hand-written client would.
pub fn connect(socket: &Path) -> UnixStream {
    UnixStream::connect(socket).unwrap()
}

pub fn send(conn: &mut UnixStream, bytes: &[u8]) {
    conn.write_all(bytes).unwrap();
}

/// The earlier monitor's client: one connection per message.
pub fn send_once(socket: &Path, line: &str) {
    let mut conn = connect(socket);
    conn.write_all(line.as_bytes()).unwrap();
}

pub fn me() -> u32 {
    std::process::id()
}

/// Runs the CLI and returns its output.
pub fn cli(args: &[&str]) -> Output {
    Command::new(BIN).args(args).env_remove("RUST_LOG").output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn client(socket: &Path, channel: &str, heartbeat: Duration) -> kissmon::MonitorClient {
    kissmon::MonitorClient::builder(channel).socket_path(socket).heartbeat_interval(heartbeat).build().unwrap()
}

/// Runs `serve` where it must refuse to start; returns its log. Panics if it keeps running.
pub fn serve_must_fail(socket: &Path, db: &Path, extra: &[&str]) -> String {
    let mut child = Command::new(BIN)
        .arg("serve")
        .arg("--socket")
        .arg(socket)
        .arg("--db")
        .arg(db)
        .args(extra)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut log = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut log).unwrap();
            assert!(!status.success(), "serve exited successfully:\n{log}");
            return log;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve kept running where it had to refuse");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Set in a bot process (see [`spawn_bot_process`]): the monitor's socket and the bot's channel.
const BOT_SOCKET_ENV: &str = "KISSMON_TEST_BOT_SOCKET";
const BOT_CHANNEL_ENV: &str = "KISSMON_TEST_BOT_CHANNEL";
/// What a bot process prints once it is ready (registered, and whatever else its body does first).
const BOT_READY: &str = "kissmon test bot: ready";

/// Runs this test binary's ignored `bot_process` test as a bot of its own
/// (a real process whose client dies with it, so SIGKILL kills both), and
/// waits until that bot says it is ready.
pub fn spawn_bot_process(socket: &Path, channel: &str) -> Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["bot_process", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(BOT_SOCKET_ENV, socket)
        .env(BOT_CHANNEL_ENV, channel)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    loop {
        match lines.next() {
            // libtest may print `test bot_process ... ` first, on the same line.
            Some(Ok(line)) if line.ends_with(BOT_READY) => return child,
            Some(Ok(_)) => continue,
            _ => panic!("the bot process {} ended before it was ready: {:?}", child.id(), child.wait()),
        }
    }
}

/// In the `bot_process` test: `Some((socket, channel))` when [`spawn_bot_process`]
/// started this process (which then dies with the test thread that started it),
/// `None` in a plain test run.
pub fn bot_process_args() -> Option<(PathBuf, String)> {
    let socket = std::env::var_os(BOT_SOCKET_ENV)?;
    let channel = std::env::var(BOT_CHANNEL_ENV).unwrap();
    // SAFETY: prctl with PR_SET_PDEATHSIG takes a signal number.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    Some((PathBuf::from(socket), channel))
}

/// In a bot process: says it is ready, then waits to be killed (at most 5 minutes).
pub fn bot_process_ready_then_wait() {
    println!("{BOT_READY}");
    std::thread::sleep(Duration::from_secs(300));
}

/// The active alert `alertname` of `channel` in a `/api/v1/alerts` answer.
pub fn active_alert<'a>(
    alerts: &'a serde_json::Value,
    alertname: &str,
    channel: &str,
) -> Option<&'a serde_json::Value> {
    alerts["active"].as_array()?.iter().find(|a| a["alertname"] == alertname && a["channel"] == channel)
}
