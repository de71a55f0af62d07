//! llm_usage rows/s into each storage backend, side by side, in one run:
//! the release binary in its own process, fed the same load over its socket,
//! once with SQLite and once with a throw-away PostgreSQL cluster (initdb in
//! a temp dir, default settings: fsync and synchronous_commit on).
//! `examples/server/bench-postgres.sh` runs it. Prints figures; asserts
//! only that every call was stored. `KISSMON_BENCH_SCALE=0.2` makes a quick run.

#[path = "../tests/pg/mod.rs"]
mod pg;
#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{http_get, TempDir, BIN};

const CONNECTIONS: usize = 100;
const WRITE_BYTES: usize = 64 * 1024;
const GENERATOR_THREADS: usize = 2;

fn scale() -> f64 {
    std::env::var("KISSMON_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0)
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

struct Run {
    rows: u64,
    calls: u64,
    folded: u64,
    elapsed: Duration,
    cpu_s: f64,
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(") ").map(|(_, rest)| rest.split(' ').collect()).unwrap_or_default();
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let field = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (field(11) + field(12)) / ticks
}

fn counter(url: &str, name: &str) -> u64 {
    let (_, body) = http_get(&format!("{url}/api/v1/counters"), None);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    json["counters"][name].as_u64().unwrap_or_default()
}

/// Sends `total` lines over [`CONNECTIONS`] connections to a monitor on `db` and
/// waits until every call is committed.
fn run(dir: &TempDir, db: &str, total_lines: usize) -> Run {
    let pid = std::process::id();
    let buffers: Vec<Vec<u8>> = (0..CONNECTIONS)
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
    let per_round: usize = buffers.iter().map(|b| b.iter().filter(|&&c| c == b'\n').count()).sum();
    let rounds = total_lines.div_ceil(per_round);
    let total = (per_round * rounds) as u64;
    let socket = dir.path("bench.sock");
    let log = dir.path(&format!("bench-{}.log", db.len()));
    let mut child = std::process::Command::new(BIN)
        .args(["serve", "--socket"])
        .arg(&socket)
        .args(["--db", db, "--http", "127.0.0.1:0", "--status-flush-every", "100ms", "--log", "info"])
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let url = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(url) = text.lines().find_map(|line| {
            let rest = &line[line.find("HTTP API on http://")? + "HTTP API on ".len()..];
            Some(rest[..rest.find("/api/v1/")?].to_owned())
        }) {
            break url;
        }
        assert!(child.try_wait().unwrap().is_none(), "the monitor exited:\n{text}");
        std::thread::sleep(Duration::from_millis(20));
    };
    while UnixStream::connect(&socket).is_err() {
        std::thread::sleep(Duration::from_millis(10));
    }
    let conns: Vec<UnixStream> = (0..CONNECTIONS).map(|_| UnixStream::connect(&socket).unwrap()).collect();
    let buffers = Arc::new(buffers);
    let cpu_before = cpu_seconds(child.id());
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
    while counter(&url, "usage_calls_written") < total {
        assert!(started.elapsed() < Duration::from_secs(600), "not every call was stored within 10 minutes");
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = started.elapsed();
    let cpu_s = cpu_seconds(child.id()) - cpu_before;
    let run = Run {
        rows: counter(&url, "usage_rows_written"),
        calls: counter(&url, "usage_calls_written"),
        folded: counter(&url, "usage_folded"),
        elapsed,
        cpu_s,
    };
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let _ = child.wait();
    assert_eq!(run.calls, total, "every call was stored");
    run
}

fn show(name: &str, run: &Run) -> f64 {
    let rate = run.rows as f64 / run.elapsed.as_secs_f64();
    println!(
        "  {name:<10} {:>9} rows ({} calls, {} folded while the writer was behind) in {:>6.2} s: {:>9.0} rows/s, {:>9.0} calls/s; monitor cpu {:.2} s",
        run.rows,
        run.calls,
        run.folded,
        run.elapsed.as_secs_f64(),
        rate,
        run.calls as f64 / run.elapsed.as_secs_f64(),
        run.cpu_s
    );
    rate
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let total = ((500_000.0 * scale()) as usize).max(10_000);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "llm_usage rows/s by storage backend ({cores} cores, scale {}): {CONNECTIONS} connections, about {total} \
         lines of {} bytes, in 64 KiB writes; the release monitor with default settings",
        scale(),
        usage_line(0, 0, 0).len()
    );
    let mut sqlite_rates = Vec::new();
    let mut postgres_rates = Vec::new();
    let runs = std::env::var("KISSMON_BENCH_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(3usize);
    let cluster = pg::Cluster::start();
    for i in 0..runs {
        let dir = TempDir::new();
        let db = dir.path("bench.db");
        sqlite_rates.push(show("sqlite", &run(&dir, db.to_str().unwrap(), total)));
        let url = cluster.create_database(&format!("bench{i}"));
        postgres_rates.push(show("postgresql", &run(&dir, &url, total)));
    }
    let median = |rates: &mut Vec<f64>| {
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    };
    let (sqlite, postgres) = (median(&mut sqlite_rates), median(&mut postgres_rates));
    println!("\nmedian of {runs} runs");
    println!("  sqlite      {sqlite:>9.0} rows/s");
    println!(
        "  postgresql  {postgres:>9.0} rows/s  ({:.2}x SQLite; target >= 50000: {})",
        postgres / sqlite,
        if postgres >= 50_000.0 { "met" } else { "NOT MET" }
    );
}
