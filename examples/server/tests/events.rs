//! `GET /api/v1/events`, the live stream the dashboard reads: status changes
//! arrive, a client that reconnects with `Last-Event-ID` misses nothing, one
//! too far behind is told to reset, and the stream outlives the per-request
//! timeout. Also the dashboard's files, their CSP, and /api/v1/usage/table.

mod support;

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::*;

/// One event as read off the stream.
#[derive(Debug, Clone)]
struct Sse {
    id: Option<String>,
    kind: String,
    data: Value,
}

/// A live event stream read on a thread of its own; dropping it does not close the
/// connection until the monitor writes again, so tests that cut it use `cut`.
struct Stream {
    events: mpsc::Receiver<Sse>,
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Stream {
    fn open(monitor: &Monitor, last_event_id: Option<&str>) -> Stream {
        let url = format!("{}/api/v1/events", monitor.http_url());
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut request = agent.get(&url);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.call().unwrap_or_else(|err| panic!("GET {url}: {err}"));
        assert_eq!(response.status().as_u16(), 200);
        let content_type = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/event-stream"), "{content_type}");
        let (tx, events) = mpsc::channel();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop = std::sync::Arc::clone(&done);
        std::thread::spawn(move || {
            let mut body = response.into_body();
            let reader = BufReader::new(body.as_reader());
            let (mut id, mut kind, mut data) = (None, String::new(), String::new());
            for line in reader.lines() {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                let Ok(line) = line else { return };
                if line.is_empty() {
                    if !data.is_empty() {
                        let parsed = serde_json::from_str(&data).expect("event data is JSON");
                        let event = Sse { id: id.take(), kind: std::mem::take(&mut kind), data: parsed };
                        if tx.send(event).is_err() {
                            return;
                        }
                    }
                    data.clear();
                    continue;
                }
                if let Some(rest) = line.strip_prefix("id:") {
                    id = Some(rest.trim_start().to_owned());
                } else if let Some(rest) = line.strip_prefix("event:") {
                    kind = rest.trim_start().to_owned();
                } else if let Some(rest) = line.strip_prefix("data:") {
                    data.push_str(rest.trim_start());
                }
            }
        });
        Stream { events, done }
    }

    /// The next event of `kind` (others skipped), within 10 s.
    fn next_of(&self, kinds: &[&str]) -> Sse {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self.events.recv_timeout(left).unwrap_or_else(|_| panic!("no {kinds:?} event within 10 s"));
            if kinds.contains(&event.kind.as_str()) {
                return event;
            }
        }
    }

    fn next_status(&self) -> Sse {
        self.next_of(&["status"])
    }

    fn cut(self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn seq(id: &str) -> u64 {
    id.split_once(':').unwrap().1.parse().unwrap()
}

#[test]
fn a_transition_arrives_as_a_status_event_with_increasing_ids_and_the_stream_outlives_the_request_timeout() {
    let dir = TempDir::new();
    let config = dir.path("monitor.toml");
    std::fs::write(&config, "http_request_timeout = \"1s\"\n").unwrap();
    let monitor = Monitor::start(&dir, &["--config", config.to_str().unwrap()]);
    let stream = Stream::open(&monitor, None);
    let hello = stream.next_of(&["hello"]);
    let hello_id = hello.id.clone().expect("hello has the latest id");

    let alpha = client(&monitor.socket, "alpha", Duration::from_secs(5));
    alpha.register([("llm", true)]).unwrap();
    let online = stream.next_status();
    assert_eq!(online.data["channel"], "alpha");
    assert_eq!(online.data["to"], "online");
    assert_eq!(online.data["from"], Value::Null);
    assert_eq!(online.data["reason"], "register");
    assert_eq!(online.data["pid"], me());
    assert!(seq(online.id.as_deref().unwrap()) > seq(&hello_id));

    // Counters come every second while a client listens: two of them, later
    // than the 1 s request timeout, show the stream was not cut by it.
    let started = Instant::now();
    let first = stream.next_of(&["counters"]);
    let second = stream.next_of(&["counters"]);
    assert!(seq(second.id.as_deref().unwrap()) > seq(first.id.as_deref().unwrap()));
    let later = stream.next_of(&["counters"]);
    assert!(started.elapsed() > Duration::from_millis(1500), "{:?}", started.elapsed());
    assert_eq!(later.data["counts"]["online"], 1);
    assert!(later.data["clients"].as_u64().unwrap() >= 1);

    alpha.close(Duration::from_secs(5));
    let offline = stream.next_status();
    assert_eq!((offline.data["channel"].as_str(), offline.data["from"].as_str()), (Some("alpha"), Some("online")));
    assert_eq!(offline.data["to"], "offline");
    assert!(seq(offline.id.as_deref().unwrap()) > seq(later.id.as_deref().unwrap()));
}

#[test]
fn usage_deltas_arrive_as_usage_events() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let stream = Stream::open(&monitor, None);
    stream.next_of(&["hello"]);
    let bot = client(&monitor.socket, "spender", Duration::from_secs(5));
    bot.register([("llm", true)]).unwrap();
    bot.log_llm_usage(kissmon::LlmUsage::new("gpt-4", "jokes", 100, 20).cost_usd(0.25)).unwrap();
    bot.log_llm_usage(kissmon::LlmUsage::new("gpt-4", "jokes", 1, 2)).unwrap();
    let (mut tokens, mut calls) = (0, 0);
    while calls < 2 {
        let usage = stream.next_of(&["usage"]);
        for row in usage.data["rows"].as_array().unwrap() {
            assert_eq!((row["channel"].as_str(), row["model"].as_str()), (Some("spender"), Some("gpt-4")));
            tokens += row["tokens_in"].as_u64().unwrap() + row["tokens_out"].as_u64().unwrap();
            calls += row["calls"].as_u64().unwrap();
        }
    }
    assert_eq!((calls, tokens), (2, 123));
}

#[test]
fn a_client_that_resumes_with_last_event_id_misses_no_transition() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let stream = Stream::open(&monitor, None);
    stream.next_of(&["hello"]);
    let one = client(&monitor.socket, "one", Duration::from_secs(5));
    one.register([("llm", true)]).unwrap();
    let seen = stream.next_status();
    assert_eq!(seen.data["channel"], "one");
    let last_id = seen.id.clone().unwrap();
    stream.cut();

    // While it is away: three more transitions.
    one.close(Duration::from_secs(5));
    let two = client(&monitor.socket, "two", Duration::from_secs(5));
    two.register([("llm", true)]).unwrap();
    two.close(Duration::from_secs(5));
    monitor.wait_status("two", "offline");

    let resumed = Stream::open(&monitor, Some(&last_id));
    let first = resumed.events.recv_timeout(Duration::from_secs(10)).expect("an event");
    assert_eq!(first.kind, "status", "no hello or reset for a client that resumes: {first:?}");
    let mut got = vec![first];
    got.push(resumed.next_status());
    got.push(resumed.next_status());
    let changes: Vec<(String, String)> = got
        .iter()
        .map(|e| (e.data["channel"].as_str().unwrap().into(), e.data["to"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        changes,
        [("one".into(), "offline".into()), ("two".into(), "online".into()), ("two".into(), "offline".into())]
    );
    let ids: Vec<u64> = got.iter().map(|e| seq(e.id.as_deref().unwrap())).collect();
    assert!(ids.windows(2).all(|w| w[1] > w[0]) && ids[0] > seq(&last_id), "{ids:?}");
    // The same as the stored history.
    let stored = monitor.get_json("/api/v1/transitions?limit=100");
    assert_eq!(stored["transitions"].as_array().unwrap().len(), 4, "{stored}");
}

#[test]
fn a_client_too_far_behind_or_from_another_run_is_told_to_reset() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let stream = Stream::open(&monitor, None);
    let hello_id = stream.next_of(&["hello"]).id.unwrap();
    stream.cut();

    let from_elsewhere = Stream::open(&monitor, Some("1:5"));
    let reset = from_elsewhere.next_of(&["hello", "reset", "status"]);
    assert_eq!(reset.kind, "reset");
    assert!(reset.data["reason"].as_str().unwrap().contains("another run"), "{:?}", reset.data);
    from_elsewhere.cut();

    // More transitions than the monitor keeps (4096): as many new bots.
    let bots = 4200;
    let mut conn = connect(&monitor.socket);
    let mut lines = String::new();
    for i in 0..bots {
        lines.push_str(&format!(
            "{{\"type\":\"register\",\"channel\":\"bot-{i}\",\"pid\":{},\"features\":{{}}}}\n",
            me()
        ));
    }
    conn.write_all(lines.as_bytes()).unwrap();
    wait_for("every bot registered", Duration::from_secs(30), || monitor.counter("transitions") >= bots);

    let behind = Stream::open(&monitor, Some(&hello_id));
    let reset = behind.next_of(&["hello", "reset", "status"]);
    assert_eq!(reset.kind, "reset", "{reset:?}");
    assert!(reset.data["reason"].as_str().unwrap().contains("too far behind"), "{:?}", reset.data);
    // After a reset, the id it carries resumes from there.
    let latest = reset.id.unwrap();
    assert!(seq(&latest) >= bots as u64);
    let client = client(&monitor.socket, "after", Duration::from_secs(5));
    client.register([("llm", true)]).unwrap();
    assert_eq!(behind.next_status().data["channel"], "after");
}

#[test]
fn the_dashboard_is_served_with_a_strict_csp_and_without_the_token() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &["--http-token", "s3cret-token"]);
    let url = monitor.http_url();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    for (path, kind) in [
        ("/", "text/html"),
        ("/app.js", "text/javascript"),
        ("/style.css", "text/css"),
        ("/vendor/uPlot.esm.js", "text/javascript"),
        ("/vendor/uPlot.min.css", "text/css"),
        ("/vendor/uPlot.LICENSE", "text/plain"),
    ] {
        let mut response = agent.get(&format!("{url}{path}")).call().unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        assert!(header("content-type").unwrap().starts_with(kind), "{path}");
        let csp = header("content-security-policy").unwrap();
        assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
        assert!(!response.body_mut().read_to_string().unwrap().is_empty());
    }
    let (_, page) = http_get(&format!("{url}/"), None);
    assert!(!page.contains("<script>") && !page.contains("style="), "no inline script or style");
    assert!(!page.contains("http://") && !page.contains("https://"), "nothing from another origin");
    // The API and the stream still need the token.
    assert_eq!(http_get(&format!("{url}/api/v1/events"), None).0, 401);
    assert_eq!(http_get(&format!("{url}/api/v1/usage/table"), None).0, 401);
}

#[test]
fn the_usage_table_has_latency_percentiles() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let bot = client(&monitor.socket, "timed", Duration::from_secs(5));
    bot.register([("llm", true)]).unwrap();
    for latency in 1..=20 {
        bot.log_llm_usage(kissmon::LlmUsage::new("m", "f", 1, 1).latency_ms(latency as f64 * 10.0)).unwrap();
    }
    let mut table = Value::Null;
    wait_for("20 calls stored", Duration::from_secs(15), || {
        table = monitor.get_json("/api/v1/usage/table?since=1h");
        table["rows"][0]["calls"] == 20
    });
    let row = &table["rows"][0];
    assert_eq!(
        (row["channel"].as_str(), row["model"].as_str(), row["feature"].as_str()),
        (Some("timed"), Some("m"), Some("f"))
    );
    assert_eq!(row["tokens_in"], 20);
    assert_eq!(row["p50_latency_ms"], 100.0);
    assert_eq!(row["p95_latency_ms"], 190.0);
    let (status, body) = monitor.get("/api/v1/usage/table?bucket=1m");
    assert_eq!(status, 400, "{body}");
}

#[test]
fn a_client_that_stops_reading_is_dropped_not_buffered() {
    use std::io::Read;
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let addr = monitor.http_url().trim_start_matches("http://").to_owned();
    let mut stalled = std::net::TcpStream::connect(&addr).unwrap();
    write!(stalled, "GET /api/v1/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    // It reads nothing while 40,000 bots come online: far more events than the
    // socket buffers and the 1,024 slots of the live channel hold.
    let bots = 40_000;
    let mut conn = connect(&monitor.socket);
    let mut lines = String::new();
    for i in 0..bots {
        lines.push_str(&format!("{{\"type\":\"heartbeat\",\"channel\":\"s-{i}\",\"pid\":{}}}\n", me()));
    }
    conn.write_all(lines.as_bytes()).unwrap();
    wait_for("every bot online", Duration::from_secs(60), || monitor.counter("transitions") >= bots);
    // Now it reads: what was buffered, then the end of the stream, well before
    // the 15 s keep-alive would show a stream still open.
    stalled.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut received = Vec::new();
    let result = stalled.read_to_end(&mut received);
    assert!(result.is_ok(), "the stream was not closed: {result:?} after {} bytes", received.len());
    let statuses = received.windows(13).filter(|w| w == b"event: status").count();
    assert!(statuses < bots as usize, "it was dropped before it got every event ({statuses} of {bots})");
    // A new client resumes or resets; the monitor serves on.
    let fresh = Stream::open(&monitor, None);
    fresh.next_of(&["hello"]);
}

/// The monitor's resident memory, from /proc.
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// A sample of the monitor's /metrics text, e.g. `kissmon_events_clients`
/// (read as a stream: with thousands of long-named series it is tens of MB).
fn metric(monitor: &Monitor, name: &str) -> f64 {
    let response = ureq::get(&format!("{}/metrics", monitor.http_url())).call().unwrap();
    let mut body = response.into_body();
    let line = BufReader::new(body.as_reader())
        .lines()
        .map(Result::unwrap)
        .find(|l| l.strip_prefix(name).is_some_and(|rest| rest.starts_with(' ')));
    line.unwrap_or_else(|| panic!("no {name} in /metrics")).rsplit(' ').next().unwrap().parse().unwrap()
}

/// The `clients` of the next `counters` event.
fn clients(stream: &Stream) -> u64 {
    stream.next_of(&["counters"]).data["clients"].as_u64().unwrap()
}

/// `text` padded with `-` to `len` bytes.
fn padded(text: String, len: usize) -> String {
    format!("{text:-<len$}")
}

#[test]
fn a_stalled_client_behind_large_usage_events_is_dropped_and_the_monitor_does_not_keep_what_it_missed() {
    use std::io::Read;
    // The hub's bound on the event data a client has not taken.
    const BOUND: usize = 8 * 1024 * 1024;
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let reader = Stream::open(&monitor, None);
    reader.next_of(&["hello"]);
    // Real traffic: each round, one call on each of 4,000 series whose names
    // are as long as the protocol allows, so that each round's `usage` event
    // is about 2.8 MB; the reader waits for the round's calls in its stream.
    let series = 4000;
    let mut conn = connect(&monitor.socket);
    let mut round = || -> usize {
        let mut lines = String::new();
        for i in 0..series {
            lines.push_str(&format!(
                "{{\"type\":\"llm_usage\",\"channel\":\"{}\",\"model\":\"{}\",\"feature\":\"{}\",\"provider\":\"{}\",\"tokens_in\":1,\"tokens_out\":1,\"pid\":{}}}\n",
                padded(format!("c{i}"), 128),
                padded(format!("m{i}"), 256),
                padded(format!("f{i}"), 128),
                padded(format!("p{i}"), 64),
                me()
            ));
        }
        conn.write_all(lines.as_bytes()).unwrap();
        let (mut calls, mut bytes) = (0, 0);
        while calls < series {
            let usage = reader.next_of(&["usage"]);
            bytes += usage.data.to_string().len();
            calls += usage.data["rows"].as_array().unwrap().iter().map(|r| r["calls"].as_u64().unwrap()).sum::<u64>();
        }
        bytes
    };
    // Warm up: every series exists, the store's caches and the allocator have
    // seen such rounds (the monitor's RSS grows for the first few).
    let mut largest = 0;
    for _ in 0..6 {
        largest = largest.max(round());
    }
    assert!(largest > 2_000_000, "a round's usage event is {largest} bytes");
    let before = rss_bytes(monitor.pid());

    // A client that reads nothing: its TCP window fills and its stream is not polled.
    let addr = monitor.http_url().trim_start_matches("http://").to_owned();
    let mut stalled = std::net::TcpStream::connect(&addr).unwrap();
    write!(stalled, "GET /api/v1/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    while clients(&reader) < 2 {}
    let dropped = || monitor.log_text().contains("http: dropped an event stream");
    let (mut published, mut at_drop, mut most) = (0, None, before);
    // Until it is dropped, and then until six times the bound was published
    // while it stalled: without the byte bound it would hold all of that.
    while at_drop.is_none() || published < 6 * BOUND {
        published += round();
        most = most.max(rss_bytes(monitor.pid()));
        if at_drop.is_none() && dropped() {
            at_drop = Some(published);
        }
        // The socket's buffers (a few MB) take events before the stream stops being polled.
        assert!(
            at_drop.is_some() || published < BOUND + 4 * largest + 4 * 1024 * 1024,
            "not dropped after {published} bytes"
        );
    }
    let grew = most.saturating_sub(before);
    eprintln!("dropped after {at_drop:?} of {published} bytes published while stalled; RSS {before} -> at most {most} (+{grew})");
    // Without the bound it grew as it was published (+73 MB for 44 MB); with it, by
    // the bound, the events in flight and the allocator's slack (+15 to +22 MB measured).
    assert!(grew <= 4 * BOUND as u64, "the monitor's RSS grew by {grew} bytes while {published} were published");
    assert_eq!(metric(&monitor, "kissmon_events_clients_dropped_total"), 1.0);
    assert_eq!(metric(&monitor, "kissmon_events_clients"), 1.0);

    // It reads again: what was buffered, then the end of its stream.
    stalled.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut received = Vec::new();
    let result = stalled.read_to_end(&mut received);
    assert!(result.is_ok(), "the stream was not closed: {result:?} after {} bytes", received.len());
    let text = String::from_utf8_lossy(&received);
    let last_id = text.lines().filter_map(|l| l.strip_prefix("id: ")).next_back().expect("an id").to_owned();
    // It reconnects with its last id: it resumes right after it, or resets.
    let again = Stream::open(&monitor, Some(&last_id));
    let first = again.next_of(&["hello", "reset", "status", "usage", "counters"]);
    assert_ne!(first.kind, "hello", "a client with an id resumes or resets: {first:?}");
    if first.kind != "reset" {
        assert_eq!(seq(first.id.as_deref().unwrap()), seq(&last_id) + 1, "{first:?}");
    }
}
