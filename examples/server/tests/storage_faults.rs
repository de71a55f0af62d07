//! Storage that refuses writes, for real: a full filesystem (a small tmpfs),
//! a database file and its WAL turned immutable (`chattr +i`, which stops
//! root too), and a database locked by another writer (`BEGIN EXCLUSIVE`).
//!
//! In each case a bot keeps logging llm_usage while storage fails, and the
//! monitor must: keep ingesting (its in-memory counters grow), fold what
//! waits past `--max-pending-usage`, report `degraded` on /healthz naming the
//! database and SQLite's error, stay within bounded memory, and once storage
//! takes writes again, store every call by itself, with no restart: the sums
//! in SQLite equal exactly what the bot sent.

mod support;

use rusqlite::Connection;
use serde_json::Value;
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::*;

const LONG: Duration = Duration::from_secs(120);
/// Rows that may wait for the writer before llm_usage folds: small, so that folding shows.
const MAX_PENDING_USAGE: &str = "500";

fn start(dir: &TempDir, db: &Path) -> Monitor {
    Monitor::start_at(&dir.socket(), db, &["--max-pending-usage", MAX_PENDING_USAGE, "--log", "info"])
}

/// A bot writing llm_usage lines straight to the socket, keeping the sums it sent.
struct Bot {
    conn: UnixStream,
    calls: u64,
    tokens_in: u64,
    tokens_out: u64,
}

impl Bot {
    fn connect(monitor: &Monitor) -> Bot {
        Bot { conn: connect(&monitor.socket), calls: 0, tokens_in: 0, tokens_out: 0 }
    }

    /// Sends `n` calls, one line each, in large writes.
    fn send(&mut self, n: u64) {
        let pid = me();
        let mut out = Vec::with_capacity(64 * 1024);
        for _ in 0..n {
            let (tokens_in, tokens_out) = (self.calls % 997 + 1, self.calls % 13);
            writeln!(
                out,
                r#"{{"type":"llm_usage","channel":"writer-bot","model":"m","feature":"f","tokens_in":{tokens_in},"tokens_out":{tokens_out},"pid":{pid}}}"#
            )
            .unwrap();
            self.calls += 1;
            self.tokens_in += tokens_in;
            self.tokens_out += tokens_out;
            if out.len() > 60 * 1024 {
                self.conn.write_all(&out).unwrap();
                out.clear();
            }
        }
        self.conn.write_all(&out).unwrap();
    }
}

fn counters(monitor: &Monitor) -> Value {
    monitor.get_json("/api/v1/counters")["counters"].clone()
}

fn counter_now(monitor: &Monitor, name: &str) -> u64 {
    counters(monitor)[name].as_u64().unwrap_or_else(|| panic!("no counter {name}"))
}

/// Waits until the monitor has read `calls` llm_usage lines (its in-memory counter, over HTTP).
fn wait_read(monitor: &Monitor, calls: u64) {
    wait_for(&format!("{calls} llm_usage lines read"), LONG, || counter_now(monitor, "lines_llm_usage") >= calls);
}

fn healthz(monitor: &Monitor) -> (u16, Value) {
    let (status, body) = monitor.get("/healthz");
    (status, serde_json::from_str(&body).unwrap_or_else(|err| panic!("/healthz: {err}: {body}")))
}

fn wait_degraded(monitor: &Monitor) -> Value {
    let mut last = Value::Null;
    wait_for("/healthz to report degraded storage", LONG, || {
        let (status, body) = healthz(monitor);
        last = body;
        status == 503 && last["status"] == "degraded"
    });
    last
}

fn wait_healthy(monitor: &Monitor) {
    let mut last = Value::Null;
    wait_for("/healthz to report ok again", LONG, || {
        let (status, body) = healthz(monitor);
        last = body;
        status == 200 && last["status"] == "ok"
    });
    assert!(last["storage"].is_null(), "{last}");
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Waits until SQLite holds exactly what `bot` sent (the writer commits in the background).
fn wait_stored(monitor: &Monitor, bot: &Bot) {
    let sums = || -> (u64, u64, u64) {
        monitor
            .conn()
            .query_row(
                "SELECT COALESCE(SUM(count), 0), COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0)
                 FROM llm_usage WHERE channel = 'writer-bot'",
                [],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64)),
            )
            .unwrap()
    };
    let mut last = (0, 0, 0);
    wait_for("every call stored", LONG, || {
        last = sums();
        last.0 >= bot.calls
    });
    assert_eq!(last, (bot.calls, bot.tokens_in, bot.tokens_out), "(count, tokens_in, tokens_out) in SQLite");
}

/// The common course of every fault: usage before, during and after the fault.
/// `fail` makes storage refuse writes, `heal` undoes it.
fn survive(monitor: &Monitor, fail: impl FnOnce(), heal: impl FnOnce()) {
    let mut bot = Bot::connect(monitor);
    bot.send(1_000);
    wait_stored(monitor, &bot);
    assert_eq!(healthz(monitor).0, 200);

    fail();
    bot.send(1_000);
    let health = wait_degraded(monitor);
    println!("storage fault as /healthz shows it: {health}");
    let db = monitor.db.display().to_string();
    let reason = health["reason"].as_str().unwrap();
    assert!(reason.contains("storage is failing") && reason.contains(&db), "{health}");
    assert_eq!(health["storage"]["database"], db.as_str(), "{health}");
    assert!(!health["storage"]["error"].as_str().unwrap().is_empty(), "{health}");
    assert!(health["storage"]["failed_attempts"].as_u64().unwrap() >= 1, "{health}");

    // Storage still fails: ingest goes on, past the pending bound (it folds), in bounded memory.
    let read_before = counter_now(monitor, "lines_llm_usage");
    bot.send(20_000);
    wait_read(monitor, read_before + 20_000);
    let rss_warm = rss_kib(monitor.pid());
    bot.send(100_000);
    wait_read(monitor, read_before + 120_000);
    let rss_after = rss_kib(monitor.pid());
    assert!(counter_now(monitor, "usage_folded") > 0, "rows past --max-pending-usage fold: {}", counters(monitor));
    assert_eq!(healthz(monitor).1["status"], "degraded", "storage still fails");
    println!("monitor RSS while storage fails: {rss_warm} KiB after 20,000 calls, {rss_after} KiB after 120,000");
    assert!(
        rss_after < rss_warm + 32 * 1024,
        "100,000 more calls while storage fails grew the monitor from {rss_warm} KiB to {rss_after} KiB"
    );
    let metrics = monitor.get("/metrics").1;
    assert!(metrics.contains("kissmon_storage_failing 1"), "{metrics}");

    heal();
    wait_healthy(monitor);
    bot.send(1_000);
    wait_stored(monitor, &bot);
    let counters = counters(monitor);
    assert!(counters["storage_errors"].as_u64().unwrap() >= 1, "{counters}");
    assert_eq!(counters["storage_rows_lost"], 0, "{counters}");
    assert_eq!(counters["usage_shed"], 0, "{counters}");
    let log = monitor.log_text();
    assert!(log.contains("it is kept and retried"), "{log}");
    assert!(log.contains("storage recovered"), "{log}");
    assert!(monitor.get("/metrics").1.contains("kissmon_storage_failing 0"));
}

/// A tmpfs of a few MiB, unmounted (lazily) on drop.
struct SmallFs(PathBuf);

impl SmallFs {
    fn mount(at: PathBuf, size: &str) -> SmallFs {
        std::fs::create_dir_all(&at).unwrap();
        let out = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(&at).output();
        let out = out.expect("run mount(8)");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs to fill it (it needs root or CAP_SYS_ADMIN): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallFs(at)
    }

    /// Fills the filesystem with a filler file until it refuses a byte.
    fn fill(&self) {
        let mut filler = std::fs::File::create(self.0.join("filler")).unwrap();
        let block = vec![0xa5u8; 64 * 1024];
        loop {
            match filler.write(&block) {
                Ok(0) => break,
                Ok(_) => {}
                Err(err) if err.raw_os_error() == Some(libc::ENOSPC) => break,
                Err(err) => panic!("filling the tmpfs: {err}"),
            }
        }
        let _ = filler.flush();
        // The last partial block, byte by byte, so that not one page is left.
        let small = [0u8; 1];
        while filler.write(&small).is_ok_and(|n| n == 1) {}
    }

    fn empty(&self) {
        std::fs::remove_file(self.0.join("filler")).unwrap();
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_filesystem_costs_no_call_and_the_monitor_recovers_by_itself() {
    let dir = TempDir::new();
    let fs = SmallFs::mount(dir.path("small-fs"), "8m");
    // The monitor's log stays outside the small filesystem: the database path is a symlink into it.
    let real = fs.0.join("monitor.db");
    std::os::unix::fs::symlink(&real, dir.db()).unwrap();
    let mut monitor = start(&dir, &dir.db());
    assert!(fs.0.join("monitor.db-wal").exists(), "SQLite follows the symlink; its WAL is on the small filesystem");
    let other = Connection::open(dir.db()).unwrap();
    other.busy_timeout(Duration::from_secs(30)).unwrap();
    let fail = || {
        // An empty WAL first: SQLite reuses WAL space it already has, and a full
        // filesystem only stops writes that need new space.
        other.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
        fs.fill();
    };
    survive(&monitor, fail, || fs.empty());
    drop(other);
    monitor.stop();
    drop(fs);
}

/// `chattr +i` on the database and its WAL; undone on drop, so that the temp dir can go.
struct Immutable(Vec<PathBuf>);

impl Immutable {
    fn set(paths: Vec<PathBuf>, on: bool) {
        for path in &paths {
            let flag = if on { "+i" } else { "-i" };
            let out = Command::new("chattr").arg(flag).arg(path).output().expect("run chattr(1)");
            assert!(
                out.status.success(),
                "chattr {flag} {}: {} (this test needs root and a filesystem with the immutable flag, like ext4)",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = Command::new("chattr").arg("-i").arg(path).status();
        }
    }
}

#[test]
fn a_database_file_turned_read_only_costs_no_call_and_the_monitor_recovers_by_itself() {
    let dir = TempDir::new();
    let mut monitor = start(&dir, &dir.db());
    let files = vec![dir.db(), dir.path("monitor.db-wal")];
    let guard = Immutable(files.clone());
    survive(&monitor, || Immutable::set(files.clone(), true), || Immutable::set(files.clone(), false));
    monitor.stop();
    drop(guard);
}

#[test]
fn a_database_locked_by_another_writer_costs_no_call_and_the_monitor_recovers_by_itself() {
    let dir = TempDir::new();
    let mut monitor = start(&dir, &dir.db());
    let other = Connection::open(dir.db()).unwrap();
    other.busy_timeout(Duration::from_secs(30)).unwrap();
    survive(&monitor, || other.execute_batch("BEGIN EXCLUSIVE").unwrap(), || other.execute_batch("COMMIT").unwrap());
    drop(other);
    monitor.stop();
}

#[test]
fn a_monitor_stopped_while_storage_fails_counts_what_it_could_not_store() {
    let dir = TempDir::new();
    let monitor = start(&dir, &dir.db());
    let mut bot = Bot::connect(&monitor);
    bot.send(10);
    wait_stored(&monitor, &bot);
    let other = Connection::open(dir.db()).unwrap();
    other.busy_timeout(Duration::from_secs(60)).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    bot.send(100);
    wait_degraded(&monitor);
    // SIGTERM while the lock is held: the writer tries for a grace period, then gives up and says so.
    let pid = monitor.pid();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    wait_for("the monitor to exit", LONG, || {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status.is_empty() || status.contains("State:\tZ")
    });
    other.execute_batch("COMMIT").unwrap();
    let log = monitor.log_text();
    assert!(log.contains("never stored and are lost (counted in storage_rows_lost)"), "{log}");
    let lost: i64 = Connection::open(dir.db())
        .unwrap()
        .query_row("SELECT COALESCE(SUM(count), 0) FROM llm_usage WHERE channel = 'writer-bot'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(lost, 10, "only the calls stored before the lock are in the database");
}
