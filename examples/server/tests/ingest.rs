//! Lines on a real socket: bad input of every class, the earlier monitor's
//! client shape, peer pid checks, and folded llm_usage.

mod support;

use serde_json::Value;
use std::time::Duration;
use support::*;

#[test]
fn every_bad_line_class_is_counted_and_the_connection_keeps_reading() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let mut conn = connect(&monitor.socket);
    let pid = me();
    let good = |tag: &str| format!(r#"{{"type":"heartbeat","channel":"after-{tag}","pid":{pid}}}"#) + "\n";
    let mut long = vec![b'x'; 70_000];
    long.push(b'\n');
    let mut very_long = vec![b'{'; 300_000];
    very_long.push(b'\n');
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("line_too_long", long),
        ("line_too_long_streamed", very_long),
        ("invalid_utf8", b"{\"type\":\"heartbeat\",\"channel\":\"\xff\xfe\",\"pid\":1}\n".to_vec()),
        ("invalid_json", b"{\"type\": heartbeat\n".to_vec()),
        ("not_object", b"[\"heartbeat\"]\n".to_vec()),
        (
            "unknown_type",
            format!(r#"{{"type":"explode","channel":"x","pid":{pid}}}"#)
                .into_bytes()
                .into_iter()
                .chain(*b"\n")
                .collect(),
        ),
        (
            "missing_field",
            format!(r#"{{"type":"heartbeat","pid":{pid}}}"#).into_bytes().into_iter().chain(*b"\n").collect(),
        ),
        ("invalid_field", br#"{"type":"heartbeat","channel":"x","pid":-5}"#.iter().copied().chain(*b"\n").collect()),
        ("blank", b"\n   \r\n".to_vec()),
    ];
    for (tag, line) in &bad {
        send(&mut conn, line);
        send(&mut conn, good(tag).as_bytes());
    }
    for (tag, _) in &bad {
        monitor.wait_status(&format!("after-{tag}"), "online");
    }
    monitor.wait_counter("lines_heartbeat", bad.len() as i64);
    for (name, expected) in [
        ("bad_line_too_long", 2),
        ("bad_invalid_utf8", 1),
        ("bad_invalid_json", 1),
        ("bad_not_object", 1),
        ("bad_unknown_type", 1),
        ("bad_missing_field", 1),
        ("bad_invalid_field", 1),
        ("lines_blank", 2),
        // The start-up probe of `Monitor::start`, then this test's one connection.
        ("connections_accepted", 2),
        ("connections_open", 1),
    ] {
        assert_eq!(monitor.counter(name), expected, "counter {name}");
    }
    let log = monitor.log_text();
    assert!(log.contains("invalid_field: `pid`"), "a bad line is logged with its class and field:\n{log}");
}

#[test]
fn a_line_just_under_the_limit_is_read_across_many_reads() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let mut features = String::new();
    let mut n = 0;
    while features.len() < 60_000 {
        features.push_str(&format!("\"feature-{n:05}\":true,"));
        n += 1;
    }
    features.pop();
    let line = format!("{{\"type\":\"register\",\"channel\":\"wide\",\"pid\":{},\"features\":{{{features}}}}}\n", me());
    assert!(line.len() > 60_000 && line.len() <= kissmon::MAX_LINE_BYTES + 1);
    let mut conn = connect(&monitor.socket);
    // Written in small pieces, as a slow writer would.
    for piece in line.as_bytes().chunks(7_000) {
        send(&mut conn, piece);
        std::thread::sleep(Duration::from_millis(5));
    }
    monitor.wait_status("wide", "online");
    let stored = bot_field(&monitor.db, "wide", "features_json").unwrap();
    let stored: serde_json::Map<String, Value> = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored.len(), n);
    assert_eq!(monitor.counter("bad_line_too_long"), 0);
}

#[test]
fn a_client_in_the_earlier_monitors_shape_works_end_to_end() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let pid = me();
    send_once(
        &monitor.socket,
        &(format!(
            r#"{{"type": "register", "channel": "el_serda", "pid": {pid}, "features": {{"llm": true, "translator": false}}}}"#
        ) + "\n"),
    );
    monitor.wait_status("el_serda", "online");
    assert_eq!(bot_field(&monitor.db, "el_serda", "features_json").unwrap(), r#"{"llm":true,"translator":false}"#);
    // The last line of a connection may end with EOF instead of a newline.
    send_once(&monitor.socket, &format!(r#"{{"type": "heartbeat", "channel": "el_serda", "pid": {pid}}}"#));
    send_once(
        &monitor.socket,
        r#"{"type": "llm_usage", "channel": "el_serda", "model": "gpt-4", "feature": "jokes", "tokens_in": 145, "tokens_out": 87, "latency_ms": 1850.0}"#,
    );
    monitor.wait_counter("usage_rows_written", 1);
    let (channel, model, tokens_in, tokens_out, latency, row_pid, count): (
        String,
        String,
        i64,
        i64,
        f64,
        Option<i64>,
        i64,
    ) = monitor
        .conn()
        .query_row("SELECT channel, model, tokens_in, tokens_out, latency_ms, pid, count FROM llm_usage", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
        })
        .unwrap();
    assert_eq!(
        (channel.as_str(), model.as_str(), tokens_in, tokens_out, latency, row_pid, count),
        ("el_serda", "gpt-4", 145, 87, 1850.0, None, 1)
    );
    send_once(&monitor.socket, &(format!(r#"{{"type": "unregister", "channel": "el_serda", "pid": {pid}}}"#) + "\n"));
    monitor.wait_status("el_serda", "offline");
    monitor.wait_counter("lines_heartbeat", 1);
    // The start-up probe of `Monitor::start`, then one connection per message.
    monitor.wait_counter("connections_accepted", 5);
    assert_eq!(monitor.counter("bad_invalid_json"), 0);
    let transitions: Vec<(Option<String>, String)> = monitor
        .conn()
        .prepare("SELECT from_status, to_status FROM bot_transitions WHERE channel = 'el_serda' ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(transitions, [(None, "online".to_string()), (Some("online".into()), "offline".into())]);
}

#[test]
fn a_pid_that_is_not_the_peers_is_flagged_by_default() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let mut conn = connect(&monitor.socket);
    send(&mut conn, br#"{"type":"register","channel":"borrowed","pid":1,"features":{}}"#);
    send(
        &mut conn,
        format!("\n{{\"type\":\"register\",\"channel\":\"honest\",\"pid\":{},\"features\":{{}}}}\n", me()).as_bytes(),
    );
    monitor.wait_status("borrowed", "online");
    monitor.wait_status("honest", "online");
    assert_eq!(bot_field(&monitor.db, "borrowed", "peer_mismatch").as_deref(), Some("1"));
    assert_eq!(bot_field(&monitor.db, "honest", "peer_mismatch").as_deref(), Some("0"));
    assert_eq!(bot_field(&monitor.db, "honest", "peer_pid"), Some(me().to_string()));
    assert_eq!(bot_field(&monitor.db, "honest", "peer_uid"), Some(unsafe { libc::getuid() }.to_string()));
    monitor.wait_counter("peer_mismatch_flagged", 1);
    assert_eq!(monitor.counter("peer_mismatch_rejected"), 0);
}

#[test]
fn a_pid_that_is_not_the_peers_is_rejected_and_counted_when_asked() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &["--reject-peer-mismatch"]);
    let mut conn = connect(&monitor.socket);
    send(&mut conn, b"{\"type\":\"register\",\"channel\":\"borrowed\",\"pid\":1,\"features\":{}}\n");
    send(
        &mut conn,
        format!("{{\"type\":\"register\",\"channel\":\"honest\",\"pid\":{},\"features\":{{}}}}\n", me()).as_bytes(),
    );
    monitor.wait_status("honest", "online");
    monitor.wait_counter("peer_mismatch_rejected", 1);
    assert_eq!(monitor.status("borrowed"), None);
    assert_eq!(monitor.counter("peer_mismatch_flagged"), 0);
}

#[test]
fn a_folded_llm_usage_line_is_one_row_and_totals_stay_right() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let pid = me();
    let mut conn = connect(&monitor.socket);
    send(
        &mut conn,
        format!(
            "{{\"type\":\"llm_usage\",\"channel\":\"quiz\",\"model\":\"gpt-4o\",\"feature\":\"ask\",\"tokens_in\":500,\"tokens_out\":250,\"latency_ms\":100,\"pid\":{pid},\"count\":5,\"cost_usd\":0.5}}\n\
             {{\"type\":\"llm_usage\",\"channel\":\"quiz\",\"model\":\"gpt-4o\",\"feature\":\"ask\",\"tokens_in\":10,\"tokens_out\":20,\"latency_ms\":700,\"pid\":{pid},\"cost_usd\":0.25}}\n"
        )
        .as_bytes(),
    );
    // The real client too: its lines carry pid, instance, provider and the rest.
    let bot = client(&monitor.socket, "quiz", Duration::from_secs(30));
    bot.log_llm_usage(
        kissmon::LlmUsage::new("gpt-4o", "ask", 1, 2)
            .provider("openai")
            .cache_read_tokens(3)
            .reasoning_tokens(4)
            .ok(false),
    )
    .unwrap();
    assert!(bot.flush(Duration::from_secs(5)));
    monitor.wait_counter("usage_calls_written", 7);
    assert_eq!(monitor.counter("usage_rows_written"), 3);
    let (provider, cache, reasoning, ok, instance): (String, i64, i64, bool, String) = monitor
        .conn()
        .query_row(
            "SELECT provider, cache_read_tokens, reasoning_tokens, ok, instance FROM llm_usage WHERE provider IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!((provider.as_str(), cache, reasoning, ok, instance), ("openai", 3, 4, false, bot.instance()));

    let output = cli(&["usage", "--db", dir.db().to_str().unwrap(), "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let usage: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let line = &usage["lines"][0];
    assert_eq!(line["calls"], 7);
    assert_eq!(line["tokens_in"], 511);
    assert_eq!(line["tokens_out"], 272);
    assert_eq!(line["cost_usd"], 0.75);
    // 5 calls at a mean of 100 ms and 1 at 700 ms; the client's call had no latency.
    assert_eq!(line["mean_latency_ms"], 200.0);
    assert_eq!(usage["total_calls"], 7);
}

fn usage_burst(lines: usize, features: &[&str]) -> String {
    (0..lines)
        .map(|i| {
            format!(
                "{{\"type\":\"llm_usage\",\"channel\":\"burst\",\"model\":\"m\",\"feature\":\"{}\",\"tokens_in\":{},\"tokens_out\":1,\"latency_ms\":{}}}\n",
                features[i % features.len()],
                i,
                i % 2 * 100
            )
        })
        .collect()
}

#[test]
fn rows_past_the_pending_bound_fold_into_aggregates_and_totals_stay_right() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &["--max-pending-usage", "1"]);
    let lines = 2000;
    send(&mut connect(&monitor.socket), usage_burst(lines, &["a", "b"]).as_bytes());
    monitor.wait_counter("usage_calls_written", lines as i64);
    assert!(monitor.counter("usage_folded") > 0, "a burst past a bound of 1 folds");
    let (rows, calls, tokens_in, tokens_out): (i64, i64, i64, i64) = monitor
        .conn()
        .query_row("SELECT COUNT(*), SUM(count), SUM(tokens_in), SUM(tokens_out) FROM llm_usage", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    assert!(rows < lines as i64, "{rows} rows");
    assert_eq!(calls, lines as i64);
    assert_eq!(tokens_in, (0..lines as i64).sum::<i64>());
    assert_eq!(tokens_out, lines as i64);
    assert_eq!(monitor.counter("usage_rows_written"), rows);
    // Latencies alternate 0 and 100 ms: every row's mean, weighted by count, stays 50 ms.
    let mean: f64 = monitor
        .conn()
        .query_row("SELECT SUM(latency_ms * count) / SUM(count) FROM llm_usage", [], |r| r.get(0))
        .unwrap();
    assert!((mean - 50.0).abs() < 1e-9, "{mean}");
    assert_eq!(monitor.counter("usage_shed"), 0);
}

#[test]
fn calls_past_every_bound_are_shed_and_counted() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &["--max-pending-usage", "1", "--max-usage-aggregates", "1"]);
    let lines = 2000;
    send(&mut connect(&monitor.socket), usage_burst(lines, &["a", "b", "c"]).as_bytes());
    monitor.wait_counter("lines_llm_usage", lines as i64);
    wait_for("every call stored or shed", Duration::from_secs(15), || {
        monitor.counter("usage_calls_written") + monitor.counter("usage_shed") == lines as i64
    });
    assert!(monitor.counter("usage_shed") > 0, "one aggregate allowed, three features");
    let calls: i64 = monitor.conn().query_row("SELECT SUM(count) FROM llm_usage", [], |r| r.get(0)).unwrap();
    assert_eq!(calls, monitor.counter("usage_calls_written"));
    let status = cli(&["status", "--db", dir.db().to_str().unwrap()]);
    assert!(stdout(&status).contains("llm calls shed"), "{}", stdout(&status));
}
