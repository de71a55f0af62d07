//! The client against a real monitor socket in every state a monitor can be in.

use kissmon::{LlmUsage, MonitorClient};
use kissmon_conformance::monitor::{Monitor, TempDir};
use serde_json::Value;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(5);

fn client(dir: &TempDir) -> MonitorClient {
    MonitorClient::builder("el_serda").socket_path(dir.socket()).pid(4242).build().unwrap()
}

fn parse(lines: &[String]) -> Vec<Value> {
    lines.iter().map(|line| serde_json::from_str(line).unwrap()).collect()
}

fn types(lines: &[Value]) -> Vec<&str> {
    lines.iter().map(|line| line["type"].as_str().unwrap()).collect()
}

/// Token totals of llm_usage lines, counting folded lines by their `count`.
fn usage_totals(lines: &[Value]) -> (u64, u64, u64) {
    lines.iter().filter(|l| l["type"] == "llm_usage").fold((0, 0, 0), |(calls, tin, tout), l| {
        (
            calls + l["count"].as_u64().unwrap_or(1),
            tin + l["tokens_in"].as_u64().unwrap(),
            tout + l["tokens_out"].as_u64().unwrap(),
        )
    })
}

#[test]
fn monitor_absent_at_start_then_appears() {
    let dir = TempDir::new();
    let client = client(&dir);
    client.register([("llm", true)]).unwrap();
    client.log_llm_usage(LlmUsage::new("gpt-4", "jokes", 145, 87)).unwrap();
    client.heartbeat();
    let stats = client.stats();
    assert!(!stats.connected);
    assert_eq!(stats.queued, 3);
    assert!(!client.flush(Duration::from_millis(100)), "nothing can be delivered without a monitor");

    let monitor = Monitor::up(&dir.socket());
    assert!(client.flush(WAIT), "{:?}", client.stats());
    let lines = parse(&monitor.take(3, WAIT));
    assert_eq!(types(&lines), ["register", "llm_usage", "heartbeat"]);
    let stats = client.stats();
    assert!(stats.connected);
    assert_eq!((stats.queued, stats.sent, stats.dropped), (0, 3, 0));
    assert!(stats.last_error.unwrap().contains("cannot connect"));
}

#[test]
fn restarted_monitor_learns_the_registration_without_any_call() {
    let dir = TempDir::new();
    let mut monitor = Monitor::up(&dir.socket());
    let client = client(&dir);
    client.register([("llm", true)]).unwrap();
    assert!(client.flush(WAIT));
    assert_eq!(types(&parse(&monitor.take(1, WAIT))), ["register"]);

    monitor.stop();
    std::thread::sleep(Duration::from_millis(100));
    monitor.start();
    // No call from the bot: the sender noticed the hang-up and reconnects with backoff.
    let replayed = parse(&monitor.take(1, Duration::from_secs(10)));
    assert_eq!(types(&replayed), ["register"]);
    assert_eq!(replayed[0]["features"]["llm"], true);
    assert_eq!(client.stats().reconnects, 1);
}

#[test]
fn stuck_monitor_keeps_calls_fast_and_loses_no_tokens() {
    let dir = TempDir::new();
    let monitor = Monitor::new(&dir.socket());
    monitor.stop_reading();
    let mut monitor = monitor;
    monitor.start();
    let client = MonitorClient::builder("el_serda").socket_path(dir.socket()).queue_capacity(64).build().unwrap();
    client.register([("llm", true)]).unwrap();

    let models = ["gpt-4", "claude", "llama"];
    let (mut calls, mut tokens_in, mut tokens_out) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    for i in 0..200_000u64 {
        let (tin, tout) = (i % 1000, i % 333);
        client.log_llm_usage(LlmUsage::new(models[(i % 3) as usize], "jokes", tin, tout).latency_ms(1.0)).unwrap();
        client.heartbeat();
        calls += 1;
        tokens_in += tin;
        tokens_out += tout;
    }
    let elapsed = started.elapsed();
    let stats = client.stats();
    assert!(stats.coalesced > 0, "the socket buffer filled, so calls must have folded: {stats:?}");
    assert_eq!(stats.dropped, 0);
    // 400k calls against a monitor that does not read; a blocking client would never finish.
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");

    monitor.resume_reading();
    assert!(client.flush(Duration::from_secs(20)), "{:?}", client.stats());
    let lines = parse(&monitor.all_of(client.stats().sent, WAIT));
    assert_eq!(usage_totals(&lines), (calls, tokens_in, tokens_out));
    assert_eq!(lines[0]["type"], "register");
}

#[test]
fn peer_closing_idle_connections_loses_nothing() {
    let dir = TempDir::new();
    let monitor = Monitor::up(&dir.socket());
    let client = client(&dir);
    client.register([("llm", true)]).unwrap();
    assert!(client.flush(WAIT));
    monitor.take(1, WAIT);
    for round in 0..5u64 {
        monitor.drop_connections();
        // The idle sender notices the hang-up and reconnects at once.
        let deadline = Instant::now() + WAIT;
        while client.stats().reconnects == round && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        client.log_llm_usage(LlmUsage::new("gpt-4", "jokes", round, 1)).unwrap();
        assert!(client.flush(WAIT), "{:?}", client.stats());
        // Read before the next hang-up, so lines keep their order across connections.
        monitor.all_of(client.stats().sent, WAIT);
    }
    let lines = parse(&monitor.all_of(client.stats().sent, WAIT)[1..]);
    let usage: Vec<u64> =
        lines.iter().filter(|l| l["type"] == "llm_usage").map(|l| l["tokens_in"].as_u64().unwrap()).collect();
    assert_eq!(usage, [0, 1, 2, 3, 4]);
    // Every new connection starts with the registration.
    assert_eq!(types(&lines).iter().filter(|t| **t == "register").count(), 5);
    assert_eq!(client.stats().reconnects, 5);
}

#[test]
fn flush_and_close_deadlines_hold_with_a_stuck_monitor() {
    let dir = TempDir::new();
    let mut monitor = Monitor::new(&dir.socket());
    monitor.stop_reading();
    monitor.start();
    let client = MonitorClient::builder("el_serda").socket_path(dir.socket()).queue_capacity(100_000).build().unwrap();
    client.register([("llm", true)]).unwrap();
    for i in 0..100_000u64 {
        client.log_llm_usage(LlmUsage::new(format!("model-{}", i % 50), "jokes", i, i)).unwrap();
    }
    let started = Instant::now();
    assert!(!client.flush(Duration::from_millis(200)));
    let flush_took = started.elapsed();
    // Upper bounds are loose: a loaded 2-core machine may deschedule this
    // thread for a while; what matters is that the waits end near their timeout.
    assert!(flush_took >= Duration::from_millis(200) && flush_took < Duration::from_secs(5), "{flush_took:?}");

    let started = Instant::now();
    assert!(!client.close(Duration::from_millis(300)));
    let close_took = started.elapsed();
    assert!(close_took >= Duration::from_millis(250) && close_took < Duration::from_secs(5), "{close_took:?}");
    let again = Instant::now();
    assert!(!client.close(Duration::from_secs(30)), "close is idempotent: {:?}", client.stats());
    assert!(again.elapsed() < Duration::from_secs(5), "a second close returns at once, not after its timeout");

    // What was never written is counted, not silently lost, once the
    // sender has stopped (close gives it a sliver of its timeout for that).
    let settled = Instant::now() + Duration::from_secs(2);
    while client.stats().queued > 0 && Instant::now() < settled {
        std::thread::sleep(Duration::from_millis(5));
    }
    let stats = client.stats();
    assert!(stats.dropped > 0, "{stats:?}");
    assert_eq!(stats.queued, 0);
    let dropped = stats.dropped;
    client.heartbeat();
    client.log_llm_usage(LlmUsage::new("gpt-4", "jokes", 1, 1)).unwrap();
    assert_eq!(client.stats().dropped, dropped + 2, "calls after close are ignored and counted");
}

#[test]
fn close_unregisters_and_delivers() {
    let dir = TempDir::new();
    let monitor = Monitor::up(&dir.socket());
    let client = client(&dir);
    client.register([("llm", true)]).unwrap();
    client.log_llm_usage(LlmUsage::new("gpt-4", "jokes", 1, 2)).unwrap();
    assert!(client.close(WAIT));
    assert!(client.close(Duration::ZERO), "a clean close stays clean");
    let lines = parse(&monitor.take(3, WAIT));
    assert_eq!(types(&lines), ["register", "llm_usage", "unregister"]);
    assert_eq!(lines[2]["reason"], "close");
    assert!(!client.stats().connected);
}

#[test]
fn dropping_a_client_never_blocks_and_still_delivers() {
    let dir = TempDir::new();
    let monitor = Monitor::up(&dir.socket());
    let client = client(&dir);
    client.register([("llm", true)]).unwrap();
    client.heartbeat();
    let started = Instant::now();
    drop(client);
    // Drop must not wait out its 2 s grace; 1 s leaves room for a loaded machine.
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    let lines = parse(&monitor.take(3, WAIT));
    assert_eq!(types(&lines), ["register", "heartbeat", "unregister"]);
    assert_eq!(lines[2]["reason"], "drop");
}

#[test]
fn periodic_heartbeat_carries_lag_and_announces_its_interval() {
    let dir = TempDir::new();
    let monitor = Monitor::up(&dir.socket());
    let client = client(&dir);
    client.register([("llm", true)]).unwrap();
    assert!(client.flush(WAIT));
    client.start_heartbeat(Duration::from_millis(50)).unwrap();
    let lines = parse(&monitor.take(5, WAIT));
    // The first register announced 30 s; the new interval re-sends the registration.
    assert_eq!(lines[0]["heartbeat_interval_s"], 30.0);
    let reannounced = lines.iter().find(|l| l["type"] == "register" && l["heartbeat_interval_s"] == 0.05);
    assert!(reannounced.is_some(), "{lines:?}");
    let beats: Vec<&Value> = lines.iter().filter(|l| l["type"] == "heartbeat").collect();
    assert!(beats.len() >= 2, "{lines:?}");
    assert!(beats.iter().all(|b| b["lag_ms"].as_f64().is_some_and(|lag| lag >= 0.0)));
    client.unregister();
    // Four intervals pass: the beats a running schedule would send in them
    // are what this test looks for (the sleep is the schedule's time, not a
    // wait for the monitor).
    std::thread::sleep(Duration::from_millis(200));
    client.log_llm_usage(LlmUsage::new("marker", "end", 1, 1)).unwrap();
    assert!(client.flush(WAIT));
    let lines = parse(&monitor.all_of(client.stats().sent, WAIT));
    let unregistered = lines.iter().position(|l| l["type"] == "unregister").expect("the unregister line");
    let after: Vec<&str> = types(&lines[unregistered..]);
    assert_eq!(after, ["unregister", "llm_usage"], "unregister stops the periodic heartbeat");
}

#[test]
fn many_threads_share_one_client() {
    let dir = TempDir::new();
    let monitor = Monitor::up(&dir.socket());
    let client = std::sync::Arc::new(
        MonitorClient::builder("el_serda").socket_path(dir.socket()).queue_capacity(8).build().unwrap(),
    );
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let client = std::sync::Arc::clone(&client);
            std::thread::spawn(move || {
                for i in 0..5_000u64 {
                    client.log_llm_usage(LlmUsage::new("gpt-4", format!("f{t}"), i, 1)).unwrap();
                    client.heartbeat();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert!(client.flush(WAIT));
    let lines = parse(&monitor.all_of(client.stats().sent, WAIT));
    let expected_in: u64 = 8 * (0..5_000u64).sum::<u64>();
    assert_eq!(usage_totals(&lines), (40_000, expected_in, 40_000));
    assert_eq!(client.stats().dropped, 0);
}

#[test]
fn queued_calls_keep_their_names_however_many_distinct_names_there_are() {
    // Past the client's table of shared names (64), queued calls copy theirs.
    let dir = TempDir::new();
    let monitor = Monitor::up(&dir.socket());
    let client = client(&dir);
    for i in 0..300u64 {
        let usage = LlmUsage::new(format!("model-{}", i % 150), format!("feature-{}", i % 7), i, 1);
        client.log_llm_usage(usage.provider(format!("provider-{}", i % 3))).unwrap();
        if i % 50 == 0 {
            assert!(client.flush(WAIT));
        }
    }
    assert!(client.flush(WAIT));
    let lines = parse(&monitor.all_of(client.stats().sent, WAIT));
    assert_eq!(lines.len(), 300);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["tokens_in"], i as u64);
        assert_eq!(line["model"], format!("model-{}", i % 150));
        assert_eq!(line["feature"], format!("feature-{}", i % 7));
        assert_eq!(line["provider"], format!("provider-{}", i % 3));
    }
}

#[test]
fn invalid_arguments_name_the_argument() {
    let err = MonitorClient::builder("").build().unwrap_err().to_string();
    assert!(err.contains("`channel`") && err.contains("got 0"), "{err}");
    let err = MonitorClient::builder("a\u{7}b").build().unwrap_err().to_string();
    assert!(err.contains("`channel`") && err.contains("U+0007"), "{err}");
    let err = MonitorClient::builder("x").pid(0).build().unwrap_err().to_string();
    assert!(err.contains("`pid`"), "{err}");
    let err = MonitorClient::builder("x").socket_path("/tmp/".to_owned() + &"s".repeat(200)).build().unwrap_err();
    assert!(err.to_string().contains("`socket_path`"), "{err}");

    let dir = TempDir::new();
    let client = client(&dir);
    let err = client.log_llm_usage(LlmUsage::new("gpt-4", "jokes", 1 << 54, 1)).unwrap_err().to_string();
    assert!(err.contains("`tokens_in`"), "{err}");
    let err = client.log_llm_usage(LlmUsage::new("gpt-4", "jokes", 1, 1).cost_usd(f64::NAN)).unwrap_err().to_string();
    assert!(err.contains("`cost_usd`"), "{err}");
    let err = client.register([("", true)]).unwrap_err().to_string();
    assert!(err.contains("`features`"), "{err}");
    let err = client.start_heartbeat(Duration::ZERO).unwrap_err().to_string();
    assert!(err.contains("`interval`"), "{err}");
    let huge: Vec<(String, bool)> = (0..5000).map(|i| (format!("feature-number-{i:08}"), true)).collect();
    let err = client.register(huge).unwrap_err().to_string();
    assert!(err.contains("64") || err.contains("65536"), "{err}");
    assert_eq!(client.stats().queued, 0, "rejected calls queue nothing");
}
