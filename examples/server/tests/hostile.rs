//! Hostile local clients: a flood of connections opened and held, a line
//! that never ends, writers of one byte per second, and random garbage at
//! full speed. Each must leave the monitor's memory bounded (its RSS, read
//! from /proc) and a well-behaved bot served: a heartbeat it sends during
//! the attack is stored.
//!
//! `cargo test` runs a short mode (5,000 connections against
//! `--max-connections 1000`, a 64 MiB line, a few seconds each).
//! `KISSMON_HOSTILE=full` runs the sizes (100,000 connections against
//! the default limit, a 1 GiB line, a minute of slowloris and of garbage);
//! `scripts/hostile.sh` does that and prints the figures.

mod support;

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

const LONG: Duration = Duration::from_secs(180);

fn full() -> bool {
    std::env::var("KISSMON_HOSTILE").is_ok_and(|v| v == "full")
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| dir.count())
}

/// Raises this process's soft open-files limit to its hard limit (children
/// inherit it) and returns it. Raising the hard limit needs CAP_SYS_RESOURCE,
/// which root in a container may lack, so connections are spread over
/// processes instead ([`Holders`]).
fn raise_open_files_limit() -> u64 {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit on one rlimit struct.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = limit.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
    limit.rlim_cur
}

/// The environment variable that turns the `holder_process` test into a holder of connections.
const HOLD_ENV: &str = "KISSMON_HOSTILE_HOLD";

/// Connections opened and held by child processes (this test binary run
/// again as its `holder_process` test), as many per process as its
/// open-files limit allows. Dropping it ends them, and so their connections.
struct Holders(Vec<(std::process::Child, std::io::BufReader<std::process::ChildStdout>)>);

impl Holders {
    fn open(socket: &std::path::Path, connections: usize) -> Holders {
        use std::io::BufRead;
        let per_process = (raise_open_files_limit() as usize).saturating_sub(100).min(15_000);
        let mut children = Vec::new();
        let mut left = connections;
        while left > 0 {
            let n = left.min(per_process);
            left -= n;
            let mut child = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "holder_process", "--nocapture", "--test-threads", "1"])
                .env(HOLD_ENV, format!("{n}:{}", socket.display()))
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
            let mut line = String::new();
            while !line.contains("held ") {
                line.clear();
                assert!(out.read_line(&mut line).unwrap() > 0, "a holder process ended before it held {n}");
            }
            children.push((child, out));
        }
        Holders(children)
    }
}

impl Drop for Holders {
    fn drop(&mut self) {
        for (child, out) in &mut self.0 {
            drop(child.stdin.take());
            let _ = std::io::Read::read_to_end(out, &mut Vec::new());
            let _ = child.wait();
        }
    }
}

/// Not a test of its own: the body of a holder process (see [`Holders`]).
#[test]
fn holder_process() {
    let Ok(what) = std::env::var(HOLD_ENV) else { return };
    raise_open_files_limit();
    let (n, socket) = what.split_once(':').unwrap();
    let held: Vec<UnixStream> = (0..n.parse::<usize>().unwrap())
        .map(|i| UnixStream::connect(socket).unwrap_or_else(|err| panic!("connection {i}: {err}")))
        .collect();
    println!("held {}", held.len());
    // Until the parent closes our stdin.
    let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new());
}

fn counters(monitor: &Monitor) -> serde_json::Value {
    monitor.get_json("/api/v1/counters")["counters"].clone()
}

fn counter_now(monitor: &Monitor, name: &str) -> u64 {
    counters(monitor)[name].as_u64().unwrap_or_else(|| panic!("no counter {name}"))
}

/// A well-behaved bot on the real client, registered before the attack.
struct GoodBot {
    client: kissmon::MonitorClient,
    beats: u64,
}

impl GoodBot {
    fn start(monitor: &Monitor) -> GoodBot {
        let client = client(&monitor.socket, "good", Duration::from_secs(1));
        client.register([("llm", true)]).unwrap();
        monitor.wait_status_within("good", "online", LONG);
        GoodBot { client, beats: 0 }
    }

    /// Sends a heartbeat with a lag no other beat had, and waits until the database shows it.
    fn is_served(&mut self, monitor: &Monitor) -> Duration {
        self.beats += 1;
        let lag_ms = 1000 + self.beats;
        let sent = Instant::now();
        self.client.heartbeat_with_lag(Duration::from_millis(lag_ms));
        wait_for(&format!("the good bot's heartbeat #{} stored", self.beats), LONG, || {
            bot_field(&monitor.db, "good", "lag_ms").and_then(|v| v.parse::<f64>().ok()) == Some(lag_ms as f64)
        });
        sent.elapsed()
    }
}

/// Keeps checking, on this thread, that the good bot is served while `attack` runs on others, until `done`.
fn served_during(monitor: &Monitor, bot: &mut GoodBot, done: &AtomicBool) -> (u64, Duration) {
    let (mut served, mut worst) = (0, Duration::ZERO);
    while !done.load(Ordering::Relaxed) {
        worst = worst.max(bot.is_served(monitor));
        served += 1;
        std::thread::sleep(Duration::from_millis(200));
    }
    (served, worst)
}

#[test]
fn connections_past_the_limit_are_shed_and_counted_and_the_bots_stay_served() {
    let (attempts, limit) = if full() { (100_000usize, None) } else { (5_000usize, Some(1_000usize)) };
    let nofile = raise_open_files_limit() as usize;
    let dir = TempDir::new();
    let limit_text = limit.map(|l| l.to_string());
    let mut args = vec!["--log", "info"];
    if let Some(limit) = &limit_text {
        args.extend(["--max-connections", limit]);
    }
    let monitor = Monitor::start(&dir, &args);
    let mut bot = GoodBot::start(&monitor);
    let pid = monitor.pid();
    let (rss_before, fds_before) = (rss_kib(pid), open_fds(pid));

    let started = Instant::now();
    let held = Holders::open(&monitor.socket, attempts);
    let opened_in = started.elapsed();
    // The good bot's own connection is one of those the limit allows; the
    // monitor lowers its limit to fit its open-files limit.
    let limit = limit.unwrap_or(20_000).min(nofile - 256 - 128).min(attempts + 1);
    let expected_shed = (attempts + 1 - limit) as u64;
    wait_for("every connection accepted or shed", LONG, || {
        counter_now(&monitor, "connections_accepted") + counter_now(&monitor, "connections_shed") > attempts as u64
    });
    let open = counter_now(&monitor, "connections_open");
    let shed = counter_now(&monitor, "connections_shed");
    assert_eq!((open, shed), (limit as u64, expected_shed), "(open, shed) with {attempts} held against {limit}");
    let took = bot.is_served(&monitor);
    let (rss, fds) = (rss_kib(pid), open_fds(pid));
    println!(
        "hostile: {attempts} connections opened in {:.1}s and held, limit {limit}: {open} open, {shed} shed; \
         monitor RSS {rss_before} -> {rss} KiB ({:.2} KiB per held connection), fds {fds_before} -> {fds}; \
         a good bot's heartbeat stored in {:.0} ms",
        opened_in.as_secs_f64(),
        (rss.saturating_sub(rss_before)) as f64 / limit as f64,
        took.as_secs_f64() * 1000.0
    );
    assert!(monitor.log_text().contains("(--max-connections)"), "the shedding is logged");
    assert!(fds < fds_before + limit + 64, "the monitor holds {fds} fds");
    assert!(
        rss < rss_before + (limit as u64 * 16) + 64 * 1024,
        "{limit} held connections grew the monitor from {rss_before} KiB to {rss} KiB"
    );

    // Once they go, new bots are accepted again.
    drop(held);
    wait_for("the held connections closed", LONG, || counter_now(&monitor, "connections_open") == 1);
    let late = client(&monitor.socket, "late", Duration::from_secs(1));
    late.register([("llm", true)]).unwrap();
    monitor.wait_status_within("late", "online", LONG);
    bot.is_served(&monitor);
}

#[test]
fn a_line_that_never_ends_is_skipped_in_bounded_memory() {
    let size: u64 = if full() { 1 << 30 } else { 64 << 20 };
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &["--log", "info"]);
    let mut bot = GoodBot::start(&monitor);
    let pid = monitor.pid();
    let rss_before = rss_kib(pid);
    let peak = Arc::new(AtomicU64::new(rss_before));
    let done = Arc::new(AtomicBool::new(false));

    let socket = monitor.socket.clone();
    let (peak_w, done_w) = (Arc::clone(&peak), Arc::clone(&done));
    let writer = std::thread::spawn(move || {
        let mut conn = UnixStream::connect(&socket).unwrap();
        let chunk = vec![b'x'; 1 << 20];
        let started = Instant::now();
        let mut sent = 0u64;
        while sent < size {
            conn.write_all(&chunk).unwrap();
            sent += chunk.len() as u64;
            if sent % (16 << 20) == 0 {
                peak_w.fetch_max(rss_kib(pid), Ordering::Relaxed);
            }
        }
        let took = started.elapsed();
        // The end of the long line, then a good line on the same connection.
        let line =
            format!("\n{{\"type\":\"register\",\"channel\":\"after-long\",\"pid\":{},\"features\":{{}}}}\n", me());
        conn.write_all(line.as_bytes()).unwrap();
        done_w.store(true, Ordering::Relaxed);
        (conn, took)
    });
    let (served, worst) = served_during(&monitor, &mut bot, &done);
    let (_conn, took) = writer.join().unwrap();
    monitor.wait_status_within("after-long", "online", LONG);
    monitor.wait_counter_within("bad_line_too_long", 1, LONG);
    let peak = peak.load(Ordering::Relaxed).max(rss_kib(pid));
    println!(
        "hostile: a {} MiB line without a newline read in {:.1}s ({:.0} MiB/s), counted once as too long; \
         monitor RSS {rss_before} KiB, peak {peak} KiB; the good bot was served {served} times meanwhile \
         (slowest {:.0} ms)",
        size >> 20,
        took.as_secs_f64(),
        (size >> 20) as f64 / took.as_secs_f64(),
        worst.as_secs_f64() * 1000.0
    );
    assert!(peak < rss_before + 16 * 1024, "RSS {rss_before} KiB -> peak {peak} KiB while reading the long line");
}

#[test]
fn writers_of_one_byte_per_second_hold_only_their_bytes() {
    let (connections, seconds) = if full() { (2_000usize, 60u64) } else { (200usize, 5u64) };
    assert!(raise_open_files_limit() as usize > connections + 100);
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &["--log", "info"]);
    let mut bot = GoodBot::start(&monitor);
    let pid = monitor.pid();
    let rss_before = rss_kib(pid);
    let lines: Vec<Vec<u8>> = (0..connections)
        .map(|i| {
            format!("{{\"type\":\"register\",\"channel\":\"slow-{i}\",\"pid\":{},\"features\":{{}}}}\n", me())
                .into_bytes()
        })
        .collect();
    let mut conns: Vec<UnixStream> = (0..connections).map(|_| UnixStream::connect(&monitor.socket).unwrap()).collect();
    let done = Arc::new(AtomicBool::new(false));
    let done_w = Arc::clone(&done);
    let lines_w = lines.clone();
    let peak = Arc::new(AtomicU64::new(rss_before));
    let peak_w = Arc::clone(&peak);
    let writer = std::thread::spawn(move || {
        // One byte per connection per second; each line is longer than the attack lasts.
        for second in 0..seconds as usize {
            let tick = Instant::now();
            for (conn, line) in conns.iter_mut().zip(&lines_w) {
                conn.write_all(&line[second..second + 1]).unwrap();
            }
            peak_w.fetch_max(rss_kib(pid), Ordering::Relaxed);
            std::thread::sleep(Duration::from_secs(1).saturating_sub(tick.elapsed()));
        }
        done_w.store(true, Ordering::Relaxed);
        conns
    });
    let (served, worst) = served_during(&monitor, &mut bot, &done);
    let mut conns = writer.join().unwrap();
    let peak = peak.load(Ordering::Relaxed);
    // The rest of each line at once: every slow bot registers.
    for (conn, line) in conns.iter_mut().zip(&lines) {
        conn.write_all(&line[seconds as usize..]).unwrap();
    }
    let pid_me = me();
    wait_for("every slow bot online", LONG, || {
        let online: i64 = monitor
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM bot_status WHERE channel LIKE 'slow-%' AND status = 'online' AND pid = ?1",
                [pid_me],
                |r| r.get(0),
            )
            .unwrap();
        online == connections as i64
    });
    println!(
        "hostile: {connections} connections writing one byte per second for {seconds}s: monitor RSS \
         {rss_before} KiB, peak {peak} KiB ({:.2} KiB per connection); the good bot was served {served} times \
         meanwhile (slowest {:.0} ms); every slow line was then read whole",
        peak.saturating_sub(rss_before) as f64 / connections as f64,
        worst.as_secs_f64() * 1000.0
    );
    assert!(
        peak < rss_before + connections as u64 * 8 + 16 * 1024,
        "{connections} slow connections grew the monitor from {rss_before} KiB to a peak of {peak} KiB"
    );
}

#[test]
fn random_garbage_at_full_speed_is_counted_and_the_bots_stay_served() {
    let seconds = if full() { 60 } else { 4 };
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &["--log", "info"]);
    let mut bot = GoodBot::start(&monitor);
    let pid = monitor.pid();
    let rss_before = rss_kib(pid);
    let done = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let peak = Arc::new(AtomicU64::new(rss_before));
    let writers: Vec<_> = (0..2u64)
        .map(|seed| {
            let (socket, done, sent, peak) =
                (monitor.socket.clone(), Arc::clone(&done), Arc::clone(&sent), Arc::clone(&peak));
            std::thread::spawn(move || {
                let mut rng = fastrand::Rng::with_seed(seed);
                let mut conn = UnixStream::connect(&socket).unwrap();
                let mut buf = vec![0u8; 64 * 1024];
                let until = Instant::now() + Duration::from_secs(seconds);
                while Instant::now() < until {
                    rng.fill(&mut buf);
                    // Some lines short, some long, some JSON-ish.
                    for _ in 0..rng.usize(0..64) {
                        let at = rng.usize(..buf.len());
                        buf[at] = b'\n';
                    }
                    let at = rng.usize(..buf.len() - 16);
                    buf[at..at + 16].copy_from_slice(b"{\"type\":\"llm_us\"");
                    conn.write_all(&buf).unwrap();
                    sent.fetch_add(buf.len() as u64, Ordering::Relaxed);
                    if seed == 0 {
                        peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                    }
                }
                done.store(true, Ordering::Relaxed);
            })
        })
        .collect();
    let (served, worst) = served_during(&monitor, &mut bot, &done);
    for writer in writers {
        writer.join().unwrap();
    }
    let counters = counters(&monitor);
    let bad: u64 = ["bad_invalid_utf8", "bad_invalid_json", "bad_line_too_long", "bad_not_object"]
        .iter()
        .map(|name| counters[*name].as_u64().unwrap())
        .sum();
    let peak = peak.load(Ordering::Relaxed).max(rss_kib(pid));
    let mib = sent.load(Ordering::Relaxed) as f64 / (1 << 20) as f64;
    println!(
        "hostile: {mib:.0} MiB of random bytes from 2 writers in {seconds}s ({:.0} MiB/s), {bad} bad lines counted; \
         monitor RSS {rss_before} KiB, peak {peak} KiB; the good bot was served {served} times meanwhile \
         (slowest {:.0} ms)",
        mib / seconds as f64,
        worst.as_secs_f64() * 1000.0
    );
    assert!(bad > 1000, "{counters}");
    assert!(served >= 1);
    assert!(peak < rss_before + 32 * 1024, "RSS {rss_before} KiB -> peak {peak} KiB under garbage");
    let after = client(&monitor.socket, "after-garbage", Duration::from_secs(1));
    after.register([("llm", true)]).unwrap();
    monitor.wait_status_within("after-garbage", "online", LONG);
}
