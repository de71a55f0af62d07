//! The periodic heartbeat's one schedule, driven by the sender thread or by
//! a host's timer through `heartbeat_tick`, against a real monitor socket.

use kissmon::{LlmUsage, MonitorClient};
use kissmon_conformance::monitor::{Monitor, TempDir};
use serde_json::Value;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(5);
const EVERY: Duration = Duration::from_millis(100);

fn client(dir: &TempDir) -> MonitorClient {
    MonitorClient::builder("el_serda").socket_path(dir.socket()).pid(4242).build().unwrap()
}

/// Every line the monitor got once it has read all that `client` wrote.
fn delivered(monitor: &Monitor, client: &MonitorClient) -> Vec<Value> {
    assert!(client.flush(WAIT), "{:?}", client.stats());
    monitor.all_of(client.stats().sent, WAIT).iter().map(|line| serde_json::from_str(line).unwrap()).collect()
}

fn beats(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|l| l["type"] == "heartbeat").collect()
}

#[test]
fn a_host_tick_beats_when_due_and_says_when_the_next_is() {
    let dir = TempDir::new();
    let monitor = Monitor::up(&dir.socket());
    let client = client(&dir);
    let id = client.start_host_heartbeat(EVERY).unwrap();
    assert_eq!(client.heartbeat_interval(), EVERY, "the getter reads the core");

    let next = client.heartbeat_tick(id).expect("the schedule runs");
    assert!(next > EVERY / 2 && next <= EVERY, "{next:?}");
    // A tick before the due time (a timer that woke early) only tells the delay.
    let again = client.heartbeat_tick(id).expect("the schedule runs");
    assert!(again <= next, "{again:?} > {next:?}");
    std::thread::sleep(again);
    client.heartbeat_tick(id).expect("the schedule runs");

    let lines = delivered(&monitor, &client);
    let beats = beats(&lines);
    assert_eq!(beats.len(), 2, "{lines:?}");
    assert!(beats.iter().all(|b| b["lag_ms"].as_f64().is_some_and(|lag| lag >= 0.0)), "{beats:?}");
}

#[test]
fn a_stalled_host_gets_one_late_beat_and_a_schedule_from_now() {
    let dir = TempDir::new();
    let monitor = Monitor::up(&dir.socket());
    let client = client(&dir);
    let id = client.start_host_heartbeat(EVERY).unwrap();
    client.heartbeat_tick(id).unwrap();
    // The host's loop is blocked for more than two intervals.
    std::thread::sleep(Duration::from_millis(250));
    let stalled_at = Instant::now();
    let next = client.heartbeat_tick(id).unwrap();
    assert!(next > EVERY - (Instant::now() - stalled_at) - Duration::from_millis(5), "restarts from now: {next:?}");
    assert!(client.heartbeat_tick(id).unwrap() > Duration::ZERO, "no catch-up burst");

    let lines = delivered(&monitor, &client);
    let beats = beats(&lines);
    assert_eq!(beats.len(), 2, "{lines:?}");
    assert!(beats[1]["lag_ms"].as_f64().unwrap() >= 150.0, "the stall shows as lag: {beats:?}");
}

#[test]
fn unregister_close_stop_and_a_new_start_end_a_host_schedule() {
    let dir = TempDir::new();
    let client = client(&dir);
    client.register([("llm", true)]).unwrap();

    let id = client.start_host_heartbeat(EVERY).unwrap();
    client.unregister();
    assert_eq!(client.heartbeat_tick(id), None, "unregister ends the schedule");

    let id = client.start_host_heartbeat(EVERY).unwrap();
    client.stop_heartbeat();
    assert_eq!(client.heartbeat_tick(id), None, "stop ends it");

    let first = client.start_host_heartbeat(EVERY).unwrap();
    let second = client.start_host_heartbeat(EVERY).unwrap();
    assert_eq!(client.heartbeat_tick(first), None, "a new start replaces the old schedule");
    assert!(client.heartbeat_tick(second).is_some());
    client.start_heartbeat(EVERY).unwrap();
    assert_eq!(client.heartbeat_tick(second), None, "so does a sender-driven start");

    let id = client.start_host_heartbeat(EVERY).unwrap();
    client.close(Duration::ZERO);
    assert_eq!(client.heartbeat_tick(id), None, "close ends it");
    let dropped = client.stats().dropped;
    let after_close = client.start_host_heartbeat(EVERY).unwrap();
    assert_eq!(client.heartbeat_tick(after_close), None, "start after close does nothing");
    client.start_heartbeat(EVERY).unwrap();
    assert_eq!(client.stats().dropped, dropped, "and reports nothing");
}

#[test]
fn no_sender_driven_beat_after_unregister_or_close() {
    let dir = TempDir::new();
    let monitor = Monitor::up(&dir.socket());
    let client = client(&dir);
    client.register([("llm", true)]).unwrap();
    client.start_heartbeat(Duration::from_millis(20)).unwrap();
    // Several beats arrive: the schedule runs.
    let deadline = Instant::now() + WAIT;
    while beats(&delivered(&monitor, &client)).len() < 3 && Instant::now() < deadline {}
    client.unregister();
    // Five intervals pass in which a schedule still running would beat; the
    // sleep is the schedule's time, not a wait for the monitor.
    std::thread::sleep(Duration::from_millis(100));
    client.log_llm_usage(LlmUsage::new("marker", "end", 1, 1)).unwrap();
    let lines = delivered(&monitor, &client);
    let unregistered = lines.iter().position(|l| l["type"] == "unregister").expect("unregister");
    assert!(beats(&lines[unregistered..]).is_empty(), "{:?}", &lines[unregistered..]);

    client.start_heartbeat(Duration::from_millis(20)).unwrap();
    assert!(client.close(WAIT));
    let sent = client.stats().sent;
    client.start_heartbeat(Duration::from_millis(20)).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(client.stats().sent, sent, "nothing after close, start_heartbeat included");
    assert_eq!(client.stats().dropped, 0);
}

#[test]
fn start_announces_the_interval_the_getter_reads() {
    let dir = TempDir::new();
    let client = MonitorClient::builder("el_serda").socket_path(dir.socket()).build().unwrap();
    assert_eq!(client.heartbeat_interval(), kissmon::DEFAULT_HEARTBEAT_INTERVAL);
    client.start_heartbeat(Duration::from_secs(10)).unwrap();
    assert_eq!(client.heartbeat_interval(), Duration::from_secs(10));
    client.announce_heartbeat_interval(Duration::from_secs(12)).unwrap();
    assert_eq!(client.heartbeat_interval(), Duration::from_secs(12));
}

#[test]
fn the_first_beat_is_queued_by_start_heartbeat_before_what_follows() {
    // A bot that starts its heartbeat and leaves at once (a short script, a
    // crash-looping bot) still sends the beat start_heartbeat promised: it is
    // queued on the caller's thread, not when the sender thread next runs.
    for _ in 0..50 {
        let dir = TempDir::new();
        let monitor = Monitor::up(&dir.socket());
        let client = client(&dir);
        client.register([("llm", true)]).unwrap();
        client.start_heartbeat(Duration::from_secs(30)).unwrap();
        client.unregister();
        let lines = delivered(&monitor, &client);
        let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["register", "heartbeat", "unregister"], "{lines:?}");
    }
}
