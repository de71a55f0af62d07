//! Caller-side cost of `heartbeat()` and `log_llm_usage()` against a monitor
//! that accepts and never reads (calls back to back: the coalescing and
//! folding paths), against a monitor that reads with calls paced one every
//! 200 µs (the path a real bot takes: the sender lingers between calls, so
//! no call wakes it), with the delivery latency and the sender's wake-ups
//! on that path and once idle, and sender throughput to a monitor that reads.
//!
//! Run: `cargo bench -p kissmon --bench client` (add `-- --calls N` to change
//! the number of back-to-back timed calls, default 1,000,000 per method, and
//! `-- --paced-calls N` the paced ones, default 20,000 per method).
//!
//! Every call is timed on its own with `Instant::now()` around it; the cost
//! of that timer pair is measured and printed too, and is included in the
//! percentiles (so they overstate the call slightly).

use kissmon::{LlmUsage, MonitorClient};
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn main() {
    let arg = |name: &str, default: usize| {
        std::env::args().skip_while(|a| a != name).nth(1).and_then(|n| n.parse().ok()).unwrap_or(default)
    };
    let calls = arg("--calls", 1_000_000);
    let paced_calls_n = arg("--paced-calls", 20_000);
    let dir = std::env::temp_dir().join(format!("kissmon-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("kissmon client benchmark ({calls} timed calls per method); load average {}", load.trim());
    println!("timer overhead (Instant::now pair): p50 {} ns", timer_overhead());
    stuck_monitor(&dir.join("stuck.sock"), calls);
    paced_calls(&dir.join("paced.sock"), paced_calls_n);
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

/// The gap between paced calls: a bot whose calls are spread out, with the
/// sender writing each line before the next call comes.
const PACE: Duration = Duration::from_micros(200);
/// How long the idle sender's wake-ups are counted.
const IDLE_WINDOW: Duration = Duration::from_secs(10);

/// The tids of this process's sender threads.
fn sender_threads() -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return Vec::new() };
    tasks
        .filter_map(|task| {
            let task = task.ok()?;
            let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
            (comm.trim_end() == "kissmon-sender").then(|| task.file_name().to_str()?.parse().ok())?
        })
        .collect()
}

/// Voluntary plus involuntary context switches of thread `tid` (0 off Linux).
fn switches(tid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).unwrap_or_default();
    status
        .lines()
        .filter(|line| line.starts_with("voluntary_ctxt_switches:") || line.starts_with("nonvoluntary_ctxt_switches:"))
        .filter_map(|line| line.split(':').nth(1)?.trim().parse::<u64>().ok())
        .sum()
}

/// Calls `call(i)` once every [`PACE`], timing each; returns the samples and
/// when each call began.
fn paced(calls: usize, mut call: impl FnMut(usize)) -> (Vec<u64>, Vec<Instant>) {
    let mut samples = vec![1u64; calls];
    let mut began = vec![Instant::now(); calls];
    let mut next = Instant::now();
    for i in 0..calls {
        next += PACE;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        }
        let start = Instant::now();
        call(i);
        samples[i] = start.elapsed().as_nanos() as u64;
        began[i] = start;
    }
    (samples, began)
}

/// One call every [`PACE`] to a monitor that reads: the path a real bot
/// takes. The sender lingers between calls, so no call wakes it. Also
/// measures delivery (call to line read by the monitor) and how often the
/// sender thread wakes, while paced and then idle.
fn paced_calls(path: &PathBuf, calls: usize) {
    let monitor = timestamping_monitor(path);
    let before = sender_threads();
    let client = MonitorClient::builder("bench").socket_path(path).build().unwrap();
    // The thread names itself once it runs.
    let named_by = Instant::now() + Duration::from_secs(5);
    let sender = std::iter::repeat_with(|| {
        std::thread::sleep(Duration::from_millis(1));
        sender_threads().into_iter().find(|tid| !before.contains(tid))
    })
    .find(|found| found.is_some() || Instant::now() > named_by)
    .flatten();
    client.register([("llm", true)]).unwrap();
    assert!(client.flush(Duration::from_secs(5)), "the reading monitor is up");
    // The monitor answered the register: acks are on for what follows.
    let acks_by = Instant::now() + Duration::from_secs(5);
    while !client.stats().acks_active && Instant::now() < acks_by {
        std::thread::sleep(Duration::from_millis(1));
    }
    println!("acks (protocol 1.1) active: {}", client.stats().acks_active);
    println!(
        "monitor reads, one call every {} µs (the sender lingers {} ms after a call, checking every {} ms):",
        PACE.as_micros(),
        kissmon::LINGER.as_millis(),
        kissmon::LINGER_TICK.as_millis()
    );
    let woken = |from: u64| sender.map_or(0, |tid| switches(tid) - from);
    let sender_switches = || sender.map_or(0, switches);

    // The floor: a paced call that does nothing, the timer pair alone.
    let (samples, _) = paced(calls / 4, |_| ());
    report("  nothing (the timer pair alone)", samples, rss_kib(), rss_kib());
    let sent_before = client.stats().sent;
    let rss_before = rss_kib();
    let from = sender_switches();
    let (samples, _) = paced(calls, |_| client.heartbeat());
    let heartbeat_wakeups = woken(from);
    report("  heartbeat()", samples, rss_before, rss_kib());
    assert!(client.flush(Duration::from_secs(5)));
    let heartbeats = client.stats().sent - sent_before;

    let models = ["gpt-4", "gpt-4o-mini", "claude-sonnet", "llama-3"];
    let rss_before = rss_kib();
    let from = sender_switches();
    // tokens_in is the call's index, so the monitor can say when each arrived.
    let (samples, began) = paced(calls, |i| {
        let usage = LlmUsage::new(models[i % models.len()], "paced", i as u64, 87).latency_ms(1850.0);
        client.log_llm_usage(usage).unwrap();
    });
    let usage_wakeups = woken(from);
    report("  log_llm_usage()", samples, rss_before, rss_kib());
    assert!(client.flush(Duration::from_secs(5)));
    let stats = client.stats();
    println!("  acked {} llm_usage lines, {} unacked, {} resent", stats.acked, stats.unacked, stats.resent);
    println!(
        "  sender wake-ups (context switches) while paced: {heartbeat_wakeups} during the heartbeats, \
         {usage_wakeups} during the llm_usage calls ({calls} calls each)"
    );

    let from = sender_switches();
    std::thread::sleep(kissmon::LINGER + IDLE_WINDOW);
    let idle = woken(from);
    println!(
        "  idle: sender wake-ups in the {} s after the last call (linger included): {idle}{}",
        (kissmon::LINGER + IDLE_WINDOW).as_secs_f64(),
        if sender.is_none() { " (no /proc: not measured)" } else { "" }
    );
    let from = sender_switches();
    std::thread::sleep(IDLE_WINDOW);
    let idle = woken(from);
    println!(
        "  idle: sender wake-ups in the next {} s: {idle} ({:.1}/s)",
        IDLE_WINDOW.as_secs(),
        idle as f64 / IDLE_WINDOW.as_secs_f64()
    );

    assert!(client.close(Duration::from_secs(5)));
    let stats = client.stats();
    let arrivals = monitor.join().unwrap();
    let mut delivery: Vec<u64> =
        arrivals.iter().filter_map(|&(index, at)| Some((at - *began.get(index)?).as_nanos() as u64)).collect();
    let delivered = delivery.len();
    let d = summarize(std::mem::take(&mut delivery));
    println!(
        "  delivery, call to line read by the monitor ({delivered} llm_usage lines): p50 {:.0} µs  p99 {:.0} µs  \
         p99.9 {:.0} µs  max {:.0} µs",
        d.p50 as f64 / 1e3,
        d.p99 as f64 / 1e3,
        d.p999 as f64 / 1e3,
        d.max as f64 / 1e3
    );
    println!(
        "  {heartbeats} of {calls} heartbeats written as lines of their own (the rest coalesced); \
         stats: sent {} coalesced {} dropped {}",
        stats.sent, stats.coalesced, stats.dropped
    );
}

/// A monitor that reads one connection until it closes, noting when each
/// paced llm_usage line arrived (by its `tokens_in`, the call's index).
fn timestamping_monitor(path: &PathBuf) -> std::thread::JoinHandle<Vec<(usize, Instant)>> {
    let listener = UnixListener::bind(path).unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = vec![0u8; 1 << 20];
        let mut partial = Vec::new();
        let mut arrivals = Vec::new();
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            let at = Instant::now();
            partial.extend_from_slice(&buf[..n]);
            let complete = partial.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            // It acknowledges like the reference monitor (protocol 1.1), at once:
            // the calls below pay what they pay with acks on.
            let mut ack = None;
            for line in partial[..complete].split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                match kissmon::decode_line(line) {
                    Ok(kissmon::Message::LlmUsage(usage)) => {
                        if usage.feature == "paced" && usage.count.is_none() {
                            arrivals.push((usage.tokens_in as usize, at));
                        }
                        ack = usage.seq.or(ack);
                    }
                    Ok(kissmon::Message::Register(register)) if register.acks == Some(true) => ack = ack.or(Some(0)),
                    _ => {}
                }
            }
            partial.drain(..complete);
            if let Some(seq) = ack {
                let _ = stream.write_all(kissmon::Ack { seq }.line().as_bytes());
            }
        }
        arrivals
    })
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
