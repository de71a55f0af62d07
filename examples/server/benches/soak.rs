//! The soak: a fleet of bot connections against the release monitor for a
//! long while, each bot registering, then heartbeating every second and
//! logging an llm_usage call every 10 s. Every 10 s it samples the monitor's
//! RSS, open fds and CPU. After the warm-up, RSS and fds must stay within
//! 10 % of their level in the first minute after it (the median of its
//! samples: RSS swings with each second's batch, and one sample may catch a
//! swing), and at the end every call the bots logged must be in SQLite.
//!
//! `bash scripts/soak.sh` runs 10,000 bots for 10 minutes;
//! `KISSMON_SOAK_BOTS=1000 KISSMON_SOAK_SECONDS=60` a short one.
//! Exits non-zero when a rule is broken. Prints figures; the machine may be
//! loaded by other work, which shows in the CPU column.

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{Monitor, TempDir};

const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// An llm_usage call per bot this often (staggered over the bots).
const USAGE_EVERY_S: u64 = 10;
const GENERATOR_THREADS: usize = 2;
/// RSS and fds may grow this much over their first sample after the warm-up.
const FLAT: f64 = 0.10;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Sample {
    at_s: f64,
    rss_kib: u64,
    /// Of RSS: heap and other private memory, and file or shared mappings (SQLite's WAL index).
    anon_kib: u64,
    file_shmem_kib: u64,
    fds: usize,
    cpu_pct: f64,
    heartbeats: u64,
    usage: u64,
}

fn status_kib(pid: u32, key: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = text.lines().find(|l| l.starts_with(key)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = text[text.rfind(')').unwrap() + 1..].split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

fn counter(counters: &serde_json::Value, name: &str) -> u64 {
    counters["counters"][name].as_u64().unwrap_or(0)
}

fn raise_open_files_limit() -> u64 {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit on one rlimit struct.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
    limit.rlim_cur
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists; nothing to list here.
    }
    let bots = env_or("KISSMON_SOAK_BOTS", 10_000) as usize;
    let seconds = env_or("KISSMON_SOAK_SECONDS", 600);
    let warmup = env_or("KISSMON_SOAK_WARMUP_SECONDS", (seconds / 5).clamp(20, 120));
    let nofile = raise_open_files_limit();
    assert!(nofile as usize > bots + 200, "{bots} bots need RLIMIT_NOFILE above {}, it is {nofile}", bots + 200);
    // SAFETY: sysconf has no preconditions.
    let cores = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    println!(
        "soak: {bots} bots for {seconds}s (heartbeat every 1 s, llm_usage every {USAGE_EVERY_S} s), warm-up {warmup}s, \
         {cores} cores; load average at start: {}",
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );

    let dir = TempDir::new();
    // The release monitor with its default settings.
    let monitor = Monitor::start_with_args(
        &dir.socket(),
        &dir.db(),
        &["--http", "127.0.0.1:0", "--log", "warn,kissmon_server::server=info"],
    );
    let pid = monitor.pid();
    let me = std::process::id();
    let mut conns: Vec<UnixStream> = (0..bots)
        .map(|i| {
            let mut conn = UnixStream::connect(&monitor.socket).unwrap_or_else(|err| panic!("bot {i}: {err}"));
            let register = format!(
                "{{\"type\":\"register\",\"channel\":\"soak-{i:05}\",\"pid\":{me},\"features\":{{\"llm\":true}},\
                 \"heartbeat_interval_s\":1.0,\"v\":1,\"instance\":\"{:016x}\"}}\n",
                i as u64 * 7919
            );
            conn.write_all(register.as_bytes()).unwrap();
            conn
        })
        .collect();
    let heartbeat = |i: usize| {
        format!(
            "{{\"type\":\"heartbeat\",\"channel\":\"soak-{i:05}\",\"pid\":{me},\"lag_ms\":0.3,\"v\":1,\"instance\":\"{:016x}\"}}\n",
            i as u64 * 7919
        )
        .into_bytes()
    };
    let usage = |i: usize| {
        format!(
            "{{\"type\":\"llm_usage\",\"channel\":\"soak-{i:05}\",\"model\":\"gpt-4o\",\"feature\":\"chat\",\"tokens_in\":{},\
             \"tokens_out\":7,\"latency_ms\":850.0,\"pid\":{me},\"provider\":\"openai\",\"cost_usd\":0.0004,\"ok\":true,\"v\":1,\
             \"instance\":\"{:016x}\"}}\n",
            100 + i % 100,
            i as u64 * 7919
        )
        .into_bytes()
    };

    let stop = Arc::new(AtomicBool::new(false));
    let (calls, tokens_in) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let started = Instant::now();
    let mut groups: Vec<Vec<(usize, UnixStream)>> = (0..GENERATOR_THREADS).map(|_| Vec::new()).collect();
    for (i, conn) in conns.drain(..).enumerate() {
        groups[i % GENERATOR_THREADS].push((i, conn));
    }
    let generators: Vec<_> = groups
        .into_iter()
        .map(|mut group| {
            let (stop, calls, tokens_in) = (Arc::clone(&stop), Arc::clone(&calls), Arc::clone(&tokens_in));
            let beats: Vec<Vec<u8>> = group.iter().map(|(i, _)| heartbeat(*i)).collect();
            let usages: Vec<Vec<u8>> = group.iter().map(|(i, _)| usage(*i)).collect();
            std::thread::spawn(move || {
                let mut second = 0u64;
                let mut late = Duration::ZERO;
                while !stop.load(Ordering::Relaxed) {
                    let due = started + Duration::from_secs(second);
                    let now = Instant::now();
                    if now < due {
                        std::thread::sleep(due - now);
                    } else {
                        late = late.max(now - due);
                    }
                    for (k, (i, conn)) in group.iter_mut().enumerate() {
                        conn.write_all(&beats[k]).unwrap();
                        if (*i as u64 + second) % USAGE_EVERY_S == 0 {
                            conn.write_all(&usages[k]).unwrap();
                            calls.fetch_add(1, Ordering::Relaxed);
                            tokens_in.fetch_add(100 + (*i as u64) % 100, Ordering::Relaxed);
                        }
                    }
                    second += 1;
                }
                (group, late)
            })
        })
        .collect();

    println!(
        "{:>7} {:>10} {:>10} {:>10} {:>6} {:>7} {:>12} {:>10}",
        "t (s)", "RSS (KiB)", "anon", "file+shm", "fds", "CPU %", "heartbeats", "llm_usage"
    );
    let mut samples: Vec<Sample> = Vec::new();
    let mut cpu_before = (cpu_seconds(pid), Instant::now());
    while started.elapsed() < Duration::from_secs(seconds) {
        let next = SAMPLE_EVERY * (samples.len() as u32 + 1);
        std::thread::sleep(next.saturating_sub(started.elapsed()));
        let (cpu, now) = (cpu_seconds(pid), Instant::now());
        let cpu_pct = 100.0 * (cpu - cpu_before.0) / (now - cpu_before.1).as_secs_f64();
        cpu_before = (cpu, now);
        let counters = monitor.get_json("/api/v1/counters");
        let sample = Sample {
            at_s: started.elapsed().as_secs_f64(),
            rss_kib: status_kib(pid, "VmRSS:"),
            anon_kib: status_kib(pid, "RssAnon:"),
            file_shmem_kib: status_kib(pid, "RssFile:") + status_kib(pid, "RssShmem:"),
            fds: std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count()),
            cpu_pct,
            heartbeats: counter(&counters, "lines_heartbeat"),
            usage: counter(&counters, "lines_llm_usage"),
        };
        println!(
            "{:>7.0} {:>10} {:>10} {:>10} {:>6} {:>7.1} {:>12} {:>10}",
            sample.at_s,
            sample.rss_kib,
            sample.anon_kib,
            sample.file_shmem_kib,
            sample.fds,
            sample.cpu_pct,
            sample.heartbeats,
            sample.usage
        );
        samples.push(sample);
    }
    stop.store(true, Ordering::Relaxed);
    let mut late = Duration::ZERO;
    for generator in generators {
        let (group, generator_late) = generator.join().unwrap();
        late = late.max(generator_late);
        drop(group);
    }

    // Every call the bots logged reaches SQLite.
    let (calls, tokens_in) = (calls.load(Ordering::Relaxed), tokens_in.load(Ordering::Relaxed));
    let mut stored = (0i64, 0i64);
    support::wait_for("every llm_usage call stored", Duration::from_secs(120), || {
        stored = monitor
            .conn()
            .query_row("SELECT COALESCE(SUM(count), 0), COALESCE(SUM(tokens_in), 0) FROM llm_usage", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        stored.0 as u64 >= calls
    });
    let counters = monitor.get_json("/api/v1/counters");
    let shed: u64 =
        ["lines_shed_overload", "usage_shed", "storage_rows_lost"].iter().map(|name| counter(&counters, name)).sum();

    let after: Vec<&Sample> = samples.iter().filter(|s| s.at_s >= warmup as f64).collect();
    let Some(base) = after.first() else {
        println!("soak: no sample after the warm-up; run longer");
        drop(monitor);
        std::process::exit(2);
    };
    let median = |mut values: Vec<u64>| {
        values.sort_unstable();
        values[values.len() / 2]
    };
    let first_minute: Vec<&&Sample> = after.iter().filter(|s| s.at_s < base.at_s + 60.0).collect();
    let base_rss = median(first_minute.iter().map(|s| s.rss_kib).collect());
    let base_fds = median(first_minute.iter().map(|s| s.fds as u64).collect()) as usize;
    let last_minute: Vec<&&Sample> = after.iter().filter(|s| s.at_s > after.last().unwrap().at_s - 60.0).collect();
    let end_rss = median(last_minute.iter().map(|s| s.rss_kib).collect());
    let max_rss = after.iter().map(|s| s.rss_kib).max().unwrap();
    let min_rss = after.iter().map(|s| s.rss_kib).min().unwrap();
    let max_fds = after.iter().map(|s| s.fds).max().unwrap();
    let last = after.last().unwrap();
    let cpu: Vec<f64> = after.iter().map(|s| s.cpu_pct).collect();
    let mean_cpu = cpu.iter().sum::<f64>() / cpu.len() as f64;
    let rss_growth = max_rss as f64 / base_rss as f64 - 1.0;
    let fds_growth = max_fds as f64 / base_fds as f64 - 1.0;
    println!(
        "\nsoak: {bots} bots, {seconds}s: RSS in the minute after the warm-up ({:.0}s) {base_rss} KiB (median), \
         then between {min_rss} and {max_rss} KiB ({:+.1} % at most), median of the last minute {end_rss} KiB \
         ({:+.1} %), {} KiB at the end; fds {base_fds} -> at most {max_fds} ({:+.1} %); monitor CPU \
         {mean_cpu:.1} % of one core on average; {} heartbeats and {} llm_usage lines read; {calls} calls \
         logged, {} stored ({} of {tokens_in} input tokens); shed or lost: {shed}; generator at most {:.0} ms \
         behind schedule",
        base.at_s,
        rss_growth * 100.0,
        (end_rss as f64 / base_rss as f64 - 1.0) * 100.0,
        last.rss_kib,
        fds_growth * 100.0,
        last.heartbeats,
        last.usage,
        stored.0,
        stored.1,
        late.as_secs_f64() * 1000.0,
    );
    let mut broken = Vec::new();
    if rss_growth > FLAT {
        broken.push(format!("RSS grew {:.1} % after the warm-up (rule: 10 %)", rss_growth * 100.0));
    }
    if fds_growth > FLAT {
        broken.push(format!("fds grew {:.1} % after the warm-up (rule: 10 %)", fds_growth * 100.0));
    }
    if stored != (calls as i64, tokens_in as i64) {
        broken.push(format!("SQLite holds {stored:?} (calls, tokens_in), the bots logged ({calls}, {tokens_in})"));
    }
    if shed != 0 {
        broken.push(format!("{shed} lines or calls shed or lost: {counters}"));
    }
    // `exit` runs no destructor: the monitor is stopped first.
    drop(monitor);
    if broken.is_empty() {
        println!("soak: flat (RSS and fds within 10 % after the warm-up) and nothing lost");
    } else {
        println!("soak: FAILED: {}", broken.join("; "));
        std::process::exit(1);
    }
}
