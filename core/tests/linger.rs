//! The sender's wake-ups, counted by the kernel: after the last call it
//! lingers for `LINGER`, then parks and makes no periodic wake-up, however
//! long the client stays idle; a call still wakes it. Its own periodic beats
//! do not make it linger. Counts, not timings: the sender thread's context
//! switches from `/proc/self/task/<tid>/status`. One test, so that no other
//! client's sender runs in this process meanwhile.
#![cfg(target_os = "linux")]

use kissmon::{LlmUsage, MonitorClient, LINGER};
use kissmon_conformance::monitor::{Monitor, TempDir};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(15);

fn sender_threads() -> BTreeSet<u32> {
    let tasks = std::fs::read_dir("/proc/self/task").unwrap();
    tasks
        .filter_map(|task| {
            let task = task.ok()?;
            let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
            (comm.trim_end() == "kissmon-sender").then(|| task.file_name().to_str()?.parse().ok())?
        })
        .collect()
}

/// The sender thread `build` started: the one that was not there before.
fn new_sender(before: &BTreeSet<u32>) -> u32 {
    let deadline = Instant::now() + WAIT;
    loop {
        // The thread names itself once it runs.
        if let Some(&tid) = sender_threads().difference(before).next() {
            return tid;
        }
        assert!(Instant::now() < deadline, "no kissmon-sender thread appeared");
        std::thread::yield_now();
    }
}

/// Voluntary plus involuntary context switches of thread `tid` so far.
fn switches(tid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).unwrap();
    status
        .lines()
        .filter(|line| line.starts_with("voluntary_ctxt_switches:") || line.starts_with("nonvoluntary_ctxt_switches:"))
        .map(|line| line.split(':').nth(1).unwrap().trim().parse::<u64>().unwrap())
        .sum()
}

#[test]
fn an_idle_sender_makes_no_wake_ups_and_its_own_beats_do_not_make_it_linger() {
    let dir = TempDir::new();
    let monitor = Monitor::up(&dir.socket());

    // Idle after calls: past LINGER the sender is parked and stays parked.
    let before = sender_threads();
    let client = MonitorClient::builder("el_serda").socket_path(dir.socket()).pid(4242).build().unwrap();
    let sender = new_sender(&before);
    client.register([("llm", true)]).unwrap();
    for i in 0..100 {
        client.log_llm_usage(LlmUsage::new("gpt-4", "jokes", i, 1)).unwrap();
        client.heartbeat();
        std::thread::sleep(Duration::from_micros(200));
    }
    assert!(client.flush(WAIT), "{:?}", client.stats());
    // The rule under test says the sender parks LINGER after the last call;
    // the margin covers a sender that a loaded machine runs late.
    std::thread::sleep(LINGER + Duration::from_millis(200));
    let idle_from = switches(sender);
    std::thread::sleep(Duration::from_secs(3));
    let idle_switches = switches(sender) - idle_from;
    // A sender that polled every LINGER_TICK would show about 3000 here. A
    // few are allowed for a sender that a loaded machine let finish its last
    // ticks late.
    assert!(idle_switches <= 3, "the idle sender woke up {idle_switches} times in 3 s");

    // A call wakes the parked sender: its line arrives.
    monitor.take_when(WAIT, |_| true);
    client.log_llm_usage(LlmUsage::new("gpt-4", "after-idle", 1, 1)).unwrap();
    let lines = monitor.take_when(WAIT, |lines| lines.iter().any(|l| l.contains("after-idle")));
    assert!(lines.iter().any(|l| l.contains("after-idle")), "the parked sender was not woken: {lines:?}");
    assert!(client.close(WAIT));

    // The sender's own periodic beats: about one wake-up each, with no lingering
    // after them (which would cost LINGER / LINGER_TICK = 20 each).
    let before = sender_threads();
    let client = MonitorClient::builder("el_serda").socket_path(dir.socket()).pid(4243).build().unwrap();
    let sender = new_sender(&before);
    client.register([("llm", true)]).unwrap();
    client.start_heartbeat(Duration::from_millis(500)).unwrap();
    let is_beat = |line: &String| line.contains("\"heartbeat\"");
    let beats = |n: usize| {
        let lines = monitor.take_when(WAIT, |lines| lines.iter().filter(|l| is_beat(l)).count() >= n);
        assert!(lines.iter().filter(|l| is_beat(l)).count() >= n, "fewer than {n} beats arrived: {lines:?}");
    };
    // Past the first beats, and the lingering that register's wake-up began.
    monitor.take_when(WAIT, |_| true);
    beats(2);
    std::thread::sleep(LINGER + Duration::from_millis(200));
    let from = switches(sender);
    monitor.take_when(WAIT, |_| true);
    beats(4);
    let per_beat = (switches(sender) - from) as f64 / 4.0;
    assert!(per_beat <= 3.0, "the sender woke {per_beat} times per periodic beat");
    assert!(client.close(WAIT));
}
