//! The exact bytes a client writes, pinned with insta. `ts` and `instance`
//! change on every run, so they are replaced before the snapshot; the rest
//! of each line, key order and number formatting included, is compared byte for byte.

use kissmon::{LlmUsage, MonitorClient};
use kissmon_conformance::monitor::{Monitor, TempDir};
use std::time::Duration;

/// Replaces the value after `"key":` (a number, or a string without escapes) with `"[key]"`.
fn redact_value(line: &str, key: &str) -> String {
    let marker = format!("\"{key}\":");
    let Some(start) = line.find(&marker).map(|i| i + marker.len()) else { return line.to_owned() };
    let rest = &line[start..];
    let end = if let Some(text) = rest.strip_prefix('"') {
        1 + text.find('"').expect("a closed string") + 1
    } else {
        rest.find([',', '}']).expect("a number ends")
    };
    format!("{}\"[{key}]\"{}", &line[..start], &rest[end..])
}

fn redact(line: &str) -> String {
    let line = redact_value(line, "ts");
    let line = redact_value(&line, "instance");
    redact_value(&line, "version")
}

fn lines_of(calls: impl FnOnce(&MonitorClient)) -> Vec<String> {
    let dir = TempDir::new();
    let monitor = Monitor::up(&dir.socket());
    let client = MonitorClient::builder("el_serda").socket_path(dir.socket()).pid(12345).build().unwrap();
    calls(&client);
    assert!(client.flush(Duration::from_secs(5)));
    // Every line the client wrote, once the monitor has read them all.
    monitor.all_of(client.stats().sent, Duration::from_secs(15)).iter().map(|line| redact(line)).collect()
}

#[test]
fn register_line() {
    let lines = lines_of(|c| c.register([("llm", true), ("translator", false)]).unwrap());
    insta::assert_snapshot!(lines[0]);
}

#[test]
fn heartbeat_line() {
    let lines = lines_of(|c| c.heartbeat());
    insta::assert_snapshot!(lines[0]);
}

#[test]
fn heartbeat_with_lag_line() {
    let lines = lines_of(|c| c.heartbeat_with_lag(Duration::from_micros(12_500)));
    insta::assert_snapshot!(lines[0]);
}

#[test]
fn llm_usage_line_with_legacy_fields() {
    let lines = lines_of(|c| c.log_llm_usage(LlmUsage::new("gpt-4", "jokes", 145, 87).latency_ms(1850.0)).unwrap());
    insta::assert_snapshot!(lines[0]);
}

#[test]
fn llm_usage_line_with_every_field() {
    let usage = LlmUsage::new("gpt-4o", "translate", 1200, 300)
        .latency_ms(812.5)
        .provider("openai")
        .cache_read_tokens(1024)
        .reasoning_tokens(64)
        .cost_usd(0.0042)
        .ok(true);
    let lines = lines_of(|c| c.log_llm_usage(usage).unwrap());
    insta::assert_snapshot!(lines[0]);
}

#[test]
fn unregister_line() {
    let lines = lines_of(|c| c.unregister());
    insta::assert_snapshot!(lines[0]);
}

#[test]
fn close_unregister_line() {
    let lines = lines_of(|c| {
        c.register([("llm", true)]).unwrap();
        c.close(Duration::from_secs(5));
    });
    insta::assert_snapshot!(lines[1]);
}

#[test]
fn folded_llm_usage_line() {
    let dir = TempDir::new();
    let client =
        MonitorClient::builder("el_serda").socket_path(dir.socket()).pid(12345).queue_capacity(1).build().unwrap();
    for (tokens_in, latency) in [(10, 100.0), (20, 200.0), (30, 400.0)] {
        client.log_llm_usage(LlmUsage::new("gpt-4", "jokes", tokens_in, 5).latency_ms(latency).cost_usd(0.25)).unwrap();
    }
    let monitor = Monitor::up(&dir.socket());
    assert!(client.flush(Duration::from_secs(5)));
    let lines: Vec<String> = monitor.take(2, Duration::from_secs(5)).iter().map(|l| redact(l)).collect();
    insta::assert_snapshot!(lines[1]);
}
