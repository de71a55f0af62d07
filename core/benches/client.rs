//! Caller-side cost of `heartbeat()` and `log_llm_usage()` against a monitor
//! that accepts and never reads (calls back to back: the coalescing and
//! folding paths), against a monitor that reads with calls spread out (one
//! every 200 µs: the sender has gone idle, so calls wake it), and sender
//! throughput to a monitor that reads.
//!
//! Run: `cargo bench -p kissmon --bench client` (add `-- --calls N` to change
//! the number of back-to-back timed calls, default 1,000,000 per method, and
//! `-- --spread-calls N` the spread-out ones, default 20,000 per method).
//!
//! Every call is timed on its own with `Instant::now()` around it; the cost
//! of that timer pair is measured and printed too, and is included in the
//! percentiles (so they overstate the call slightly).

use kissmon::{LlmUsage, MonitorClient};
use std::io::Read;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn main() {
    let arg = |name: &str, default: usize| {
        std::env::args().skip_while(|a| a != name).nth(1).and_then(|n| n.parse().ok()).unwrap_or(default)
    };
    let calls = arg("--calls", 1_000_000);
    let spread_calls = arg("--spread-calls", 20_000);
    let dir = std::env::temp_dir().join(format!("kissmon-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    println!("kissmon client benchmark ({calls} timed calls per method)");
    println!("timer overhead (Instant::now pair): p50 {} ns", timer_overhead());
    stuck_monitor(&dir.join("stuck.sock"), calls);
    spread_out_calls(&dir.join("spread.sock"), spread_calls);
    sender_throughput(&dir.join("reading.sock"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn timer_overhead() -> u64 {
    let mut samples: Vec<u64> = (0..100_000)
        .map(|_| {
            let start = Instant::now();
            let end = Instant::now();
            (end - start).as_nanos() as u64
        })
        .collect();
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

struct Summary {
    p50: u64,
    p99: u64,
    p999: u64,
    max: u64,
    over_1ms: usize,
}

fn summarize(mut samples: Vec<u64>) -> Summary {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    Summary {
        p50: at(0.50),
        p99: at(0.99),
        p999: at(0.999),
        max: *samples.last().unwrap(),
        over_1ms: samples.iter().filter(|&&ns| ns > 1_000_000).count(),
    }
}

/// Times each call; `samples` is allocated and touched beforehand, so the
/// RSS read around this loop shows the client's memory, not the samples'.
fn time_calls(samples: &mut [u64], mut call: impl FnMut(usize)) {
    for (i, sample) in samples.iter_mut().enumerate() {
        let start = Instant::now();
        call(i);
        *sample = start.elapsed().as_nanos() as u64;
    }
}

fn report(name: &str, samples: Vec<u64>, rss_before: u64, rss_after: u64) {
    let s = summarize(samples);
    println!(
        "{name:<32} p50 {:>5} ns  p99 {:>6} ns  p99.9 {:>6} ns  max {:>9} ns  calls > 1 ms: {}  RSS {} -> {} KiB",
        s.p50, s.p99, s.p999, s.max, s.over_1ms, rss_before, rss_after
    );
}

/// A monitor that accepts connections and never reads them.
fn stuck_listener(path: &Path) -> std::thread::JoinHandle<Vec<UnixStream>> {
    let listener = UnixListener::bind(path).unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        let until = Instant::now() + Duration::from_secs(600);
        while Instant::now() < until && held.len() < 4 {
            match listener.accept() {
                Ok((stream, _)) => held.push(stream),
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        held
    })
}

fn stuck_monitor(path: &PathBuf, calls: usize) {
    let _held = stuck_listener(path);
    let client = MonitorClient::builder("bench").socket_path(path).build().unwrap();
    client.register([("llm", true)]).unwrap();
    // Fill the socket buffer and the queue so the steady state is measured.
    for i in 0..50_000u64 {
        client.log_llm_usage(LlmUsage::new("gpt-4", "warmup", i, i)).unwrap();
        client.heartbeat();
    }
    std::thread::sleep(Duration::from_millis(200));
    println!("monitor accepts and never reads:");

    // Filled with ones so its pages are touched (and counted in RSS) before timing.
    let mut samples = vec![1u64; calls];
    let rss_before = rss_kib();
    time_calls(&mut samples, |_| client.heartbeat());
    let rss_after = rss_kib();
    report("  heartbeat()", samples.clone(), rss_before, rss_after);

    let models = ["gpt-4", "gpt-4o-mini", "claude-sonnet", "llama-3"];
    let rss_before = rss_kib();
    time_calls(&mut samples, |i| {
        let usage = LlmUsage::new(models[i % models.len()], "jokes", 145, 87).latency_ms(1850.0);
        client.log_llm_usage(usage).unwrap();
    });
    let rss_after = rss_kib();
    report("  log_llm_usage()", samples.clone(), rss_before, rss_after);

    // Memory stays flat however long the monitor does not read.
    let rss_start = rss_kib();
    let mut checkpoints = Vec::new();
    for round in 0..5 {
        for i in 0..1_000_000usize {
            let usage = LlmUsage::new(models[i % models.len()], "jokes", 145, 87).latency_ms(1850.0);
            client.log_llm_usage(usage).unwrap();
            client.heartbeat();
        }
        checkpoints.push(format!("{}M: {} KiB", (round + 1) * 2, rss_kib()));
    }
    println!("  RSS over 10M more calls, from {rss_start} KiB: {}", checkpoints.join(", "));
    let stats = client.stats();
    println!(
        "  stats: queued {} sent {} coalesced {} dropped {} (connected {})",
        stats.queued, stats.sent, stats.coalesced, stats.dropped, stats.connected
    );
}

/// The gap between spread-out calls: long enough for the sender to write
/// the previous line and go back to sleep, so each call finds it idle.
const SPREAD: Duration = Duration::from_micros(200);

/// Calls one every [`SPREAD`] to a monitor that reads: the path where a call
/// wakes the sender (a write to its wake pipe) rather than coalescing.
fn spread_out_calls(path: &PathBuf, calls: usize) {
    let reader = reading_monitor(path);
    let client = MonitorClient::builder("bench").socket_path(path).build().unwrap();
    client.register([("llm", true)]).unwrap();
    assert!(client.flush(Duration::from_secs(5)), "the reading monitor is up");
    println!("monitor reads, one call every {} µs (calls wake the idle sender):", SPREAD.as_micros());

    let mut samples = vec![1u64; calls];
    let spread = |samples: &mut [u64], call: &mut dyn FnMut(usize)| {
        let mut next = Instant::now();
        for (i, sample) in samples.iter_mut().enumerate() {
            next += SPREAD;
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            }
            let start = Instant::now();
            call(i);
            *sample = start.elapsed().as_nanos() as u64;
        }
    };
    let sent_before = client.stats().sent;
    let rss_before = rss_kib();
    spread(&mut samples, &mut |_| client.heartbeat());
    report("  heartbeat()", samples.clone(), rss_before, rss_kib());
    assert!(client.flush(Duration::from_secs(5)));
    let heartbeats = client.stats().sent - sent_before;

    let models = ["gpt-4", "gpt-4o-mini", "claude-sonnet", "llama-3"];
    let rss_before = rss_kib();
    spread(&mut samples, &mut |i| {
        let usage = LlmUsage::new(models[i % models.len()], "jokes", 145, 87).latency_ms(1850.0);
        client.log_llm_usage(usage).unwrap();
    });
    report("  log_llm_usage()", samples, rss_before, rss_kib());
    assert!(client.close(Duration::from_secs(5)));
    let stats = client.stats();
    println!(
        "  {heartbeats} of {calls} heartbeats written as lines of their own (the rest coalesced); \
         stats: sent {} coalesced {} dropped {}; monitor read {} lines",
        stats.sent,
        stats.coalesced,
        stats.dropped,
        reader.join().unwrap()
    );
}

/// A monitor that reads one connection until it closes; returns the lines it read.
fn reading_monitor(path: &PathBuf) -> std::thread::JoinHandle<u64> {
    let listener = UnixListener::bind(path).unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = vec![0u8; 1 << 20];
        let mut lines = 0u64;
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        }
        lines
    })
}

fn sender_throughput(path: &PathBuf) {
    let reader = reading_monitor(path);
    let total = 2_000_000usize;
    let client = MonitorClient::builder("bench").socket_path(path).queue_capacity(total).build().unwrap();
    assert!(client.flush(Duration::from_secs(5)), "the reading monitor is up");
    let started = Instant::now();
    for i in 0..total {
        client.log_llm_usage(LlmUsage::new("gpt-4", "jokes", i as u64, 87)).unwrap();
    }
    let enqueued = started.elapsed();
    assert!(client.flush(Duration::from_secs(120)));
    let elapsed = started.elapsed();
    let stats = client.stats();
    drop(client);
    let received = reader.join().unwrap();
    println!("monitor reads (one connection):");
    println!(
        "  sender wrote {} lines in {:.3} s: {:.0} lines/s (calls took {:.3} s; monitor counted {} lines)",
        stats.sent,
        elapsed.as_secs_f64(),
        stats.sent as f64 / elapsed.as_secs_f64(),
        enqueued.as_secs_f64(),
        received
    );
}
