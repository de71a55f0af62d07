//! Load benchmarks of kissmon-server, the release binary in its own
//! process: `cargo bench -p kissmon-server`. Prints figures; asserts nothing
//! about speed. `KISSMON_BENCH_SCALE=0.2` makes a quick run;
//! `KISSMON_BENCH_ONLY=heartbeat,idle,llm_usage,register,http_ingest,http_10k,sse,alerts` picks parts.
//!
//! The load generator writes pre-encoded lines in 64 KiB writes from two
//! threads over many connections, so it costs the machine little; the
//! "null reader" run sends the same load to a reader that only counts
//! newlines, to show what the generator and the socket can carry.

#[path = "parts/alerts.rs"]
mod alerts;
#[path = "../tests/receiver/mod.rs"]
mod receiver;
#[path = "parts/sse.rs"]
mod sse;
#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Write;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{Monitor, TempDir};

const WRITE_BYTES: usize = 64 * 1024;
const GENERATOR_THREADS: usize = 2;

fn scale() -> f64 {
    std::env::var("KISSMON_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0)
}

fn scaled(n: usize) -> usize {
    ((n as f64 * scale()) as usize).max(1)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists; nothing to list here.
    }
    raise_open_files_limit();
    println!("kissmon-server benchmarks ({} cores, scale {})\n", num_cores(), scale());
    // KISSMON_BENCH_ONLY=heartbeat,idle,llm_usage,register runs a subset.
    let only = std::env::var("KISSMON_BENCH_ONLY").unwrap_or_default();
    let run = |name: &str| only.is_empty() || only.split(',').any(|n| n.trim() == name);
    let mut results = Vec::new();
    if run("heartbeat") {
        results.extend(heartbeats());
    }
    if run("idle") {
        results.push(idle_connections());
    }
    if run("llm_usage") {
        results.push(llm_usage());
    }
    if run("register") {
        results.push(register_latency());
    }
    if run("http_ingest") {
        results.push(ingest_under_http_load());
    }
    if run("http_10k") {
        results.extend(http_with_10k_bots());
    }
    if run("sse") {
        results.extend(sse::ingest_with_event_streams());
    }
    if run("alerts") {
        results.extend(alerts::ingest_with_a_hung_receiver());
    }
    println!("\nsummary");
    println!("{:<52} {:>16} {:>16}  verdict", "what", "measured", "target");
    for r in &results {
        println!("{:<52} {:>16} {:>16}  {}", r.what, r.measured, r.target, if r.met { "met" } else { "NOT MET" });
    }
}

struct Figure {
    what: String,
    measured: String,
    target: String,
    met: bool,
}

/// The release binary with its default settings, but counters written every
/// 100 ms so that the end of a run is seen within 100 ms.
fn start_monitor(dir: &TempDir) -> Monitor {
    start_monitor_with(dir, &["--http", "127.0.0.1:0"])
}

fn start_monitor_with(dir: &TempDir, extra: &[&str]) -> Monitor {
    let mut args = vec!["--log", "warn,kissmon_server::server=info", "--status-flush-every", "100ms"];
    args.extend_from_slice(extra);
    Monitor::start_with_args(&dir.socket(), &dir.db(), &args)
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &text[text.rfind(')').unwrap() + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

/// CPU seconds of each thread of a process, summed by thread name.
fn thread_cpu(pid: u32) -> std::collections::BTreeMap<String, f64> {
    let mut by_name = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return by_name };
    for task in tasks.flatten() {
        let Ok(text) = std::fs::read_to_string(task.path().join("stat")) else { continue };
        let (Some(open), Some(close)) = (text.find('('), text.rfind(')')) else { continue };
        let name = text[open + 1..close].to_owned();
        let fields: Vec<&str> = text[close + 1..].split_whitespace().collect();
        let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
        // SAFETY: sysconf has no preconditions.
        *by_name.entry(name).or_insert(0.0) += ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    }
    by_name
}

/// CPU seconds per thread name spent between two `thread_cpu` readings.
fn cpu_between(
    before: &std::collections::BTreeMap<String, f64>,
    after: &std::collections::BTreeMap<String, f64>,
) -> std::collections::BTreeMap<String, f64> {
    after.iter().map(|(name, t)| (name.clone(), t - before.get(name).copied().unwrap_or(0.0))).collect()
}

fn show_cpu(spent: &std::collections::BTreeMap<String, f64>) -> String {
    spent.iter().filter(|(_, t)| **t >= 0.01).map(|(name, t)| format!("{name} {t:.2} s")).collect::<Vec<_>>().join(", ")
}

/// (seconds on a cpu, seconds waiting for a cpu) of the first thread named `name`.
fn sched(pid: u32, name: &str) -> Option<(f64, f64)> {
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() == name {
            let text = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
            let mut fields = text.split_whitespace().map(|f| f.parse::<f64>().unwrap_or(0.0) / 1e9);
            return Some((fields.next()?, fields.next()?));
        }
    }
    None
}

fn status_kib(pid: u32, key: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = text.lines().find(|l| l.starts_with(key)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// One buffer of whole lines per connection, about `WRITE_BYTES` long.
fn buffer_of(line: &str) -> (Vec<u8>, usize) {
    let per = (WRITE_BYTES / line.len()).max(1);
    (line.repeat(per).into_bytes(), per)
}

/// Writes `rounds` copies of each connection's buffer, spread over the generator threads.
fn generate(conns: Vec<UnixStream>, buffers: Arc<Vec<Vec<u8>>>, rounds: usize) -> Duration {
    let started = Instant::now();
    let mut groups: Vec<Vec<(usize, UnixStream)>> = (0..GENERATOR_THREADS).map(|_| Vec::new()).collect();
    for (i, conn) in conns.into_iter().enumerate() {
        groups[i % GENERATOR_THREADS].push((i, conn));
    }
    let threads: Vec<_> = groups
        .into_iter()
        .map(|mut group| {
            let buffers = Arc::clone(&buffers);
            std::thread::spawn(move || {
                for _ in 0..rounds {
                    for (i, conn) in &mut group {
                        conn.write_all(&buffers[*i]).unwrap();
                    }
                }
                group
            })
        })
        .collect();
    for thread in threads {
        drop(thread.join().unwrap());
    }
    started.elapsed()
}

fn heartbeat_line(i: usize, pid: u32) -> String {
    format!(
        "{{\"type\":\"heartbeat\",\"channel\":\"hb-{i:05}\",\"pid\":{pid},\"lag_ms\":0.4,\"v\":1,\"ts\":1765012885.123456,\"instance\":\"{:016x}\"}}\n",
        i as u64 * 7919
    )
}

fn heartbeats() -> Vec<Figure> {
    let connections = 1000;
    let target_lines = scaled(6_000_000);
    let pid = std::process::id();
    let buffers: Vec<(Vec<u8>, usize)> = (0..connections).map(|i| buffer_of(&heartbeat_line(i, pid))).collect();
    let per_round: usize = buffers.iter().map(|(_, n)| n).sum();
    let rounds = target_lines.div_ceil(per_round);
    let total = (per_round * rounds) as u64;
    let line_bytes = heartbeat_line(0, pid).len();
    let buffers = Arc::new(buffers.into_iter().map(|(b, _)| b).collect::<Vec<_>>());
    println!(
        "heartbeat ingest: {connections} connections, {total} lines of {line_bytes} bytes, in {}-line writes",
        WRITE_BYTES / line_bytes
    );

    // The null reader: what the generator and the socket carry.
    let null_rate = {
        let dir = TempDir::new();
        let (counted, stop) = null_reader(&dir.socket());
        let conns: Vec<UnixStream> = (0..connections).map(|_| UnixStream::connect(dir.socket()).unwrap()).collect();
        let started = Instant::now();
        generate(conns, Arc::clone(&buffers), rounds);
        while counted.load(Ordering::Relaxed) < total {
            std::thread::sleep(Duration::from_millis(1));
        }
        let elapsed = started.elapsed();
        stop.store(true, Ordering::Relaxed);
        total as f64 / elapsed.as_secs_f64()
    };
    println!("  null reader (counts newlines only): {:>12.0} lines/s", null_rate);

    let dir = TempDir::new();
    let monitor = start_monitor(&dir);
    let conns = registered_connections(&monitor, connections);
    let before = monitor.counter("lines_heartbeat");
    let cpu_before = cpu_seconds(monitor.pid());
    let threads_before = thread_cpu(monitor.pid());

    // Register latency while the server is under this load, measured on the side.
    let loaded = Arc::new(AtomicBool::new(true));
    let side = {
        let (socket, db, loaded) = (monitor.socket.clone(), monitor.db.clone(), Arc::clone(&loaded));
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            std::thread::sleep(Duration::from_millis(300));
            while loaded.load(Ordering::Relaxed) && samples.len() < 200 {
                samples.push(one_register(&socket, &db, &format!("loaded-{}", samples.len())));
                std::thread::sleep(Duration::from_millis(20));
            }
            samples
        })
    };

    let started = Instant::now();
    let generated = generate(conns, buffers, rounds);
    let target = before + total as i64;
    while monitor.counter("lines_heartbeat") < target {
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = started.elapsed();
    loaded.store(false, Ordering::Relaxed);
    let cpu = cpu_seconds(monitor.pid()) - cpu_before;
    let threads = cpu_between(&threads_before, &thread_cpu(monitor.pid()));
    let latencies = side.join().unwrap();
    let rate = total as f64 / elapsed.as_secs_f64();
    println!(
        "  kissmon-server:                     {:>12.0} lines/s ({:.2} s; generator done after {:.2} s; server cpu {:.2} s = {:.2} us/line, {:.2} cores)",
        rate,
        elapsed.as_secs_f64(),
        generated.as_secs_f64(),
        cpu,
        cpu * 1e6 / total as f64,
        cpu / elapsed.as_secs_f64()
    );
    println!("  server cpu by thread: {}", show_cpu(&threads));
    println!(
        "  => with 2 idle cores the server's {:.2} us of cpu per line would carry about {:.0} lines/s",
        cpu * 1e6 / total as f64,
        2.0 * total as f64 / cpu
    );
    println!("  ratio kissmon-server / null reader:  {:.2}", rate / null_rate);
    let rss = status_kib(monitor.pid(), "VmHWM:");
    println!("  server peak RSS {:.1} MiB; lines shed {}", rss as f64 / 1024.0, monitor.counter("lines_shed_overload"));
    let p = Percentiles::of(latencies);
    println!("  register -> bot_status under this load: {p}");
    vec![
        Figure {
            what: "heartbeat lines/s from 1,000 connections".into(),
            measured: format!("{rate:.0}"),
            target: ">= 500000".into(),
            met: rate >= 500_000.0,
        },
        Figure {
            what: "register -> bot_status p99.9 under heartbeat load".into(),
            measured: format!("{:.1} ms", p.p999),
            target: "<= 1000 ms".into(),
            met: p.max <= 1000.0,
        },
    ]
}

/// Accepts connections and counts the newlines they carry.
fn null_reader(socket: &Path) -> (Arc<AtomicU64>, Arc<AtomicBool>) {
    let counted = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let listener = UnixListener::bind(socket).unwrap();
    listener.set_nonblocking(true).unwrap();
    let (c, s) = (Arc::clone(&counted), Arc::clone(&stop));
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::UnixListener::from_std(listener).unwrap();
            while !s.load(Ordering::Relaxed) {
                let Ok(Ok((stream, _))) = tokio::time::timeout(Duration::from_millis(100), listener.accept()).await
                else {
                    continue;
                };
                let c = Arc::clone(&c);
                tokio::spawn(async move {
                    use tokio::io::AsyncReadExt;
                    let mut stream = stream;
                    let mut buf = vec![0u8; WRITE_BYTES];
                    while let Ok(n) = stream.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        c.fetch_add(memchr::memchr_iter(b'\n', &buf[..n]).count() as u64, Ordering::Relaxed);
                    }
                });
            }
        });
    });
    (counted, stop)
}

fn idle_connections() -> Figure {
    let connections = 10_000;
    let dir = TempDir::new();
    let monitor = start_monitor(&dir);
    std::thread::sleep(Duration::from_millis(500));
    let before = status_kib(monitor.pid(), "VmRSS:");
    let pid = std::process::id();
    let mut conns = Vec::with_capacity(connections);
    for i in 0..connections {
        let mut conn = UnixStream::connect(&monitor.socket).unwrap();
        let register = format!(
            "{{\"type\":\"register\",\"channel\":\"idle-{i:05}\",\"pid\":{pid},\"features\":{{\"llm\":true,\"translator\":false}},\"heartbeat_interval_s\":30,\"sdk\":{{\"lang\":\"rust\",\"version\":\"0.1.0\"}},\"v\":1,\"ts\":1765012885.1,\"instance\":\"{i:016x}\"}}\n"
        );
        conn.write_all(register.as_bytes()).unwrap();
        conns.push(conn);
    }
    monitor.wait_counter("lines_register", connections as i64);
    monitor.wait_counter("connections_open", connections as i64);
    std::thread::sleep(Duration::from_secs(2));
    let rss = status_kib(monitor.pid(), "VmRSS:");
    let peak = status_kib(monitor.pid(), "VmHWM:");
    println!(
        "\nidle connections: {connections} connections, each registered a bot and went quiet\n  server RSS {:.1} MiB (before: {:.1} MiB, peak {:.1} MiB), {:.1} KiB per connection",
        rss as f64 / 1024.0,
        before as f64 / 1024.0,
        peak as f64 / 1024.0,
        (rss - before.min(rss)) as f64 / connections as f64
    );
    drop(conns);
    Figure {
        what: "RSS with 10,000 idle connections".into(),
        measured: format!("{:.1} MiB", rss as f64 / 1024.0),
        target: "<= 200 MiB".into(),
        met: rss <= 200 * 1024,
    }
}

fn usage_line(i: usize, n: usize, pid: u32) -> String {
    format!(
        "{{\"type\":\"llm_usage\",\"channel\":\"bot-{i:03}\",\"model\":\"gpt-4o-mini\",\"feature\":\"feature-{}\",\"tokens_in\":{},\"tokens_out\":{},\"latency_ms\":{}.5,\"pid\":{pid},\"provider\":\"openai\",\"cost_usd\":0.000{},\"ok\":true,\"v\":1,\"ts\":1765012885.{:06},\"instance\":\"{:016x}\"}}\n",
        n % 7,
        100 + n % 300,
        50 + n % 200,
        300 + n % 900,
        1 + n % 9,
        n % 1_000_000,
        i
    )
}

fn llm_usage() -> Figure {
    let connections = 100;
    let target_rows = scaled(1_000_000);
    let pid = std::process::id();
    let buffers: Vec<Vec<u8>> = (0..connections)
        .map(|i| {
            let mut buf = String::new();
            let mut n = 0;
            while buf.len() < WRITE_BYTES {
                buf.push_str(&usage_line(i, n, pid));
                n += 1;
            }
            buf.into_bytes()
        })
        .collect();
    let per_round: usize = buffers.iter().map(|b| memchr::memchr_iter(b'\n', b).count()).sum();
    let rounds = target_rows.div_ceil(per_round);
    let total = (per_round * rounds) as i64;
    println!(
        "\nllm_usage to SQLite: {connections} connections, {total} lines of about {} bytes",
        usage_line(0, 0, pid).len()
    );
    let dir = TempDir::new();
    let monitor = start_monitor(&dir);
    let conns: Vec<UnixStream> = (0..connections).map(|_| UnixStream::connect(&monitor.socket).unwrap()).collect();
    let cpu_before = cpu_seconds(monitor.pid());
    let threads_before = thread_cpu(monitor.pid());
    let writer_before = sched(monitor.pid(), "kissmon-writer");
    let started = Instant::now();
    let generated = generate(conns, Arc::new(buffers), rounds);
    while monitor.counter("usage_calls_written") < total {
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = started.elapsed();
    let cpu = cpu_seconds(monitor.pid()) - cpu_before;
    let threads = cpu_between(&threads_before, &thread_cpu(monitor.pid()));
    let writer_after = sched(monitor.pid(), "kissmon-writer");
    let written = monitor.counter("usage_rows_written");
    let (rows, calls): (i64, i64) = monitor
        .conn()
        .query_row("SELECT COUNT(*), SUM(count) FROM llm_usage", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(calls, total, "every call reached SQLite, as a row or inside a folded row");
    assert_eq!(rows, written);
    let rate = rows as f64 / elapsed.as_secs_f64();
    println!(
        "  {rows} rows ({calls} calls; {} calls folded into aggregates while the writer was behind) in {:.2} s: {:.0} rows/s, {:.0} calls/s\n  generator done after {:.2} s; server cpu {:.2} s ({:.2} cores)",
        monitor.counter("usage_folded"),
        elapsed.as_secs_f64(),
        rate,
        calls as f64 / elapsed.as_secs_f64(),
        generated.as_secs_f64(),
        cpu,
        cpu / elapsed.as_secs_f64()
    );
    let writer = threads.get("kissmon-writer").copied().unwrap_or(f64::NAN);
    println!("  server cpu by thread: {}", show_cpu(&threads));
    if let (Some((cpu0, wait0)), Some((cpu1, wait1))) = (writer_before, writer_after) {
        let (on, waiting) = (cpu1 - cpu0, wait1 - wait0);
        println!(
            "  writer thread over the {:.2} s: {:.2} s on a cpu, {:.2} s runnable but waiting for a cpu, {:.2} s blocked (I/O, or no work)",
            elapsed.as_secs_f64(),
            on,
            waiting,
            (elapsed.as_secs_f64() - on - waiting).max(0.0)
        );
    }
    println!(
        "  => the writer thread stored {:.0} rows per cpu-second ({:.1} us/row): with a core of its own it would store that many rows/s",
        rows as f64 / writer,
        writer * 1e6 / rows as f64
    );
    Figure {
        what: "llm_usage rows/s reaching SQLite".into(),
        measured: format!("{rate:.0}"),
        target: ">= 100000".into(),
        met: rate >= 100_000.0,
    }
}

/// Milliseconds from `register()` on a real client until its row is in `bot_status`.
fn one_register(socket: &Path, db: &Path, channel: &str) -> f64 {
    let conn = support::open_db(db);
    let bot = kissmon::MonitorClient::builder(channel).socket_path(socket).build().unwrap();
    let started = Instant::now();
    bot.register([("llm", true)]).unwrap();
    loop {
        let found: Option<i64> =
            conn.query_row("SELECT 1 FROM bot_status WHERE channel = ?1", [channel], |r| r.get(0)).ok();
        if found.is_some() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the register of {channel} never reached bot_status");
        std::thread::sleep(Duration::from_micros(250));
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    bot.close(Duration::from_millis(200));
    ms
}

fn register_latency() -> Figure {
    let samples = scaled(1000);
    let dir = TempDir::new();
    let monitor = start_monitor(&dir);
    let latencies: Vec<f64> =
        (0..samples).map(|i| one_register(&monitor.socket, &monitor.db, &format!("latency-{i}"))).collect();
    let p = Percentiles::of(latencies);
    println!("\nregister -> bot_status, idle server, {samples} registers: {p}");
    Figure {
        what: "register -> bot_status p99.9 (idle server)".into(),
        measured: format!("{:.1} ms", p.p999),
        target: "<= 1000 ms".into(),
        met: p.max <= 1000.0,
    }
}

/// `n` connections, each registered as bot `hb-NNNNN`, once the monitor has read every register.
fn registered_connections(monitor: &Monitor, n: usize) -> Vec<UnixStream> {
    let pid = std::process::id();
    let before = monitor.counter("lines_register").max(0);
    let conns: Vec<UnixStream> = (0..n)
        .map(|i| {
            let mut conn = UnixStream::connect(&monitor.socket).unwrap();
            let register = format!(
                "{{\"type\":\"register\",\"channel\":\"hb-{i:05}\",\"pid\":{pid},\"features\":{{\"llm\":true}},\"heartbeat_interval_s\":30}}\n"
            );
            conn.write_all(register.as_bytes()).unwrap();
            conn
        })
        .collect();
    // At least: other registers (the alerts part's doomed bots) may come meanwhile.
    let want = before + n as i64;
    support::wait_for(&format!("counter lines_register >= {want}"), Duration::from_secs(15), || {
        monitor.counter("lines_register") >= want
    });
    conns
}

/// Heartbeat lines/s from `connections` connections into `monitor` (after registering them).
fn heartbeat_rate(monitor: &Monitor, connections: usize, rounds: usize) -> f64 {
    let pid = std::process::id();
    let buffers: Vec<(Vec<u8>, usize)> = (0..connections).map(|i| buffer_of(&heartbeat_line(i, pid))).collect();
    let per_round: usize = buffers.iter().map(|(_, n)| n).sum();
    let total = (per_round * rounds) as i64;
    let buffers = Arc::new(buffers.into_iter().map(|(b, _)| b).collect::<Vec<_>>());
    let conns = registered_connections(monitor, connections);
    let target = monitor.counter("lines_heartbeat") + total;
    let started = Instant::now();
    generate(conns, buffers, rounds);
    while monitor.counter("lines_heartbeat") < target {
        std::thread::sleep(Duration::from_millis(5));
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// Heartbeat ingest with HTTP off, then with 50 pollers of /api/v1/bots and
/// a /metrics scrape every second, in one run, alternating twice.
fn ingest_under_http_load() -> Figure {
    let connections = 1000;
    let rounds = scaled(6_000_000).div_ceil(connections * (WRITE_BYTES / heartbeat_line(0, 0).len()));
    println!("\nheartbeat ingest with and without HTTP load: {connections} connections; HTTP load = 50 clients GET /api/v1/bots every 1 s + GET /metrics every 1 s");
    let (mut off, mut on) = (Vec::new(), Vec::new());
    for _ in 0..2 {
        let dir = TempDir::new();
        let monitor = start_monitor_with(&dir, &["--http", "off"]);
        off.push(heartbeat_rate(&monitor, connections, rounds));
        drop(monitor);

        let dir = TempDir::new();
        let monitor = start_monitor(&dir);
        let url = monitor.http_url();
        let polling = Arc::new(AtomicBool::new(true));
        let requests = Arc::new(AtomicU64::new(0));
        let pollers: Vec<_> = (0..51)
            .map(|i| {
                let (url, polling, requests) = (url.clone(), Arc::clone(&polling), Arc::clone(&requests));
                let path = if i == 50 { "/metrics" } else { "/api/v1/bots" };
                std::thread::spawn(move || {
                    // Spread the pollers over the second, as independent dashboards would be.
                    std::thread::sleep(Duration::from_millis(i as u64 * 19));
                    while polling.load(Ordering::Relaxed) {
                        let started = Instant::now();
                        let (status, _) = support::http_get(&format!("{url}{path}"), None);
                        assert_eq!(status, 200);
                        requests.fetch_add(1, Ordering::Relaxed);
                        std::thread::sleep(Duration::from_secs(1).saturating_sub(started.elapsed()));
                    }
                })
            })
            .collect();
        on.push(heartbeat_rate(&monitor, connections, rounds));
        polling.store(false, Ordering::Relaxed);
        for poller in pollers {
            poller.join().unwrap();
        }
        println!(
            "  run {}: HTTP off {:>10.0} lines/s, HTTP under load {:>10.0} lines/s ({} requests served meanwhile)",
            off.len(),
            off.last().unwrap(),
            on.last().unwrap(),
            requests.load(Ordering::Relaxed)
        );
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[0] + v[v.len() - 1]) / 2.0
    };
    let (off, on) = (median(&mut off), median(&mut on));
    let ratio = on / off;
    println!("  mean of the runs: off {off:.0}, on {on:.0} lines/s; ratio {ratio:.2}");
    Figure {
        what: "heartbeat ingest with HTTP load / without".into(),
        measured: format!("{ratio:.2}"),
        target: ">= 0.90".into(),
        met: ratio >= 0.90,
    }
}

/// 10,000 registered bots: latency of /api/v1/bots and /metrics, the size of
/// /metrics, and the monitor's memory.
fn http_with_10k_bots() -> Vec<Figure> {
    let bots = 10_000;
    println!("\nHTTP with {bots} registered bots (each on its own connection, heartbeating every 5 s)");
    let dir = TempDir::new();
    let monitor = start_monitor(&dir);
    let pid = std::process::id();
    let mut conns: Vec<UnixStream> = Vec::with_capacity(bots);
    for i in 0..bots {
        let mut conn = UnixStream::connect(&monitor.socket).unwrap();
        let register = format!(
            "{{\"type\":\"register\",\"channel\":\"bot-{i:05}\",\"pid\":{pid},\"features\":{{\"llm\":true,\"quiz\":false}},\"heartbeat_interval_s\":5,\"sdk\":{{\"lang\":\"python\",\"version\":\"0.1.0\"}}}}\n"
        );
        conn.write_all(register.as_bytes()).unwrap();
        conns.push(conn);
    }
    monitor.wait_counter("lines_register", bots as i64);
    let url = monitor.http_url();
    support::wait_for("10,000 bots in the API", Duration::from_secs(60), || {
        let (_, body) = support::http_get(&format!("{url}/api/v1/bots?status=online&q=bot-09999"), None);
        body.contains("bot-09999")
    });
    // Heartbeats keep arriving (2,000/s), so every snapshot has changed bots in it.
    let beating = Arc::new(AtomicBool::new(true));
    let beater = {
        let beating = Arc::clone(&beating);
        std::thread::spawn(move || {
            let mut i = 0;
            while beating.load(Ordering::Relaxed) {
                for _ in 0..20 {
                    let line =
                        format!("{{\"type\":\"heartbeat\",\"channel\":\"bot-{i:05}\",\"pid\":{pid},\"lag_ms\":1.5}}\n");
                    let _ = conns[i].write_all(line.as_bytes());
                    i = (i + 1) % conns.len();
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            conns
        })
    };
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let time = |path: &str, n: usize| {
        let mut samples = Vec::with_capacity(n);
        let mut bytes = 0;
        for _ in 0..n {
            let started = Instant::now();
            let mut response = agent.get(&format!("{url}{path}")).call().unwrap();
            let body = response.body_mut().with_config().limit(64 << 20).read_to_vec().unwrap();
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(response.status().as_u16(), 200);
            bytes = body.len();
        }
        (Percentiles::of(samples), bytes)
    };
    let (bots_p, bots_bytes) = time("/api/v1/bots", scaled(300));
    println!("  GET /api/v1/bots ({:.1} MiB): {bots_p}", bots_bytes as f64 / (1 << 20) as f64);
    let (one_p, _) = time("/api/v1/bots/bot-05000", scaled(300));
    println!("  GET /api/v1/bots/bot-05000: {one_p}");
    let (metrics_p, metrics_bytes) = time("/metrics", scaled(100));
    println!("  GET /metrics ({:.2} MiB): {metrics_p}", metrics_bytes as f64 / (1 << 20) as f64);
    beating.store(false, Ordering::Relaxed);
    drop(beater.join().unwrap());
    let rss = status_kib(monitor.pid(), "VmRSS:") as f64 / 1024.0;
    let hwm = status_kib(monitor.pid(), "VmHWM:") as f64 / 1024.0;
    println!("  monitor RSS {rss:.1} MiB (peak {hwm:.1} MiB)");
    vec![
        Figure {
            what: "/api/v1/bots p99 with 10,000 bots".into(),
            measured: format!("{:.1} ms", bots_p.p99),
            target: "<= 20 ms".into(),
            met: bots_p.p99 <= 20.0,
        },
        Figure {
            what: "/metrics p99 with 10,000 bots".into(),
            measured: format!("{:.1} ms", metrics_p.p99),
            target: "<= 100 ms".into(),
            met: metrics_p.p99 <= 100.0,
        },
        Figure {
            what: "/metrics size with 10,000 bots".into(),
            measured: format!("{:.2} MiB", metrics_bytes as f64 / (1 << 20) as f64),
            target: "<= 8 MiB".into(),
            met: metrics_bytes <= 8 << 20,
        },
        Figure {
            what: "monitor peak RSS with 10,000 bots".into(),
            measured: format!("{hwm:.1} MiB"),
            target: "<= 200 MiB".into(),
            met: hwm <= 200.0,
        },
    ]
}

struct Percentiles {
    n: usize,
    p50: f64,
    p99: f64,
    p999: f64,
    max: f64,
}

impl Percentiles {
    fn of(mut samples: Vec<f64>) -> Percentiles {
        samples.sort_by(f64::total_cmp);
        let at = |q: f64| {
            if samples.is_empty() {
                f64::NAN
            } else {
                samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1]
            }
        };
        Percentiles { n: samples.len(), p50: at(0.5), p99: at(0.99), p999: at(0.999), max: at(1.0) }
    }
}

impl std::fmt::Display for Percentiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "n={} p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
            self.n, self.p50, self.p99, self.p999, self.max
        )
    }
}

fn raise_open_files_limit() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit on one rlimit struct.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
}

fn num_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
