//! `serve --otlp-endpoint`: a test receiver on a real socket decodes what
//! the monitor sends (OTLP/HTTP protobuf) with the `opentelemetry-proto`
//! types and checks the GenAI metric names, units, attributes and token
//! totals. The endpoint is down at first: exports fail and are counted,
//! ingest goes on, and the first export that gets through carries every call.

mod support;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{metric, Metric};
use prost::Message;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;

/// Every request an OTLP/HTTP receiver took, decoded.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<ExportMetricsServiceRequest>>>);

impl Received {
    fn latest(&self) -> Option<ExportMetricsServiceRequest> {
        self.0.lock().unwrap().last().cloned()
    }
}

/// Serves `POST /v1/metrics` on `listener`: one request per connection or
/// keep-alive, each body decoded as an ExportMetricsServiceRequest.
fn receiver(listener: TcpListener) -> Received {
    let received = Received::default();
    let store = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let store = store.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut length = 0usize;
                    let mut content_type = String::new();
                    loop {
                        let mut header = String::new();
                        reader.read_line(&mut header).unwrap();
                        let header = header.trim_end();
                        if header.is_empty() {
                            break;
                        }
                        let (name, value) = header.split_once(':').unwrap();
                        match name.to_ascii_lowercase().as_str() {
                            "content-length" => length = value.trim().parse().unwrap(),
                            "content-type" => content_type = value.trim().to_owned(),
                            _ => {}
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    assert!(request_line.starts_with("POST /v1/metrics "), "{request_line}");
                    assert_eq!(content_type, "application/x-protobuf");
                    let request = ExportMetricsServiceRequest::decode(body.as_slice()).expect("an OTLP protobuf body");
                    store.0.lock().unwrap().push(request);
                    let reply = "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";
                    if writer.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    received
}

fn text(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes.iter().find(|kv| kv.key == key).and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
        any_value::Value::StringValue(text) => Some(text.clone()),
        _ => None,
    })
}

fn metrics(request: &ExportMetricsServiceRequest) -> BTreeMap<String, Metric> {
    request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .map(|m| (m.name.clone(), m.clone()))
        .collect()
}

/// Sum of a histogram's points' sums, by the value of attribute `key` (and in all, under "").
fn histogram_sums(metric: &Metric, key: &str) -> BTreeMap<String, (u64, f64)> {
    let Some(metric::Data::Histogram(histogram)) = &metric.data else { panic!("{} is not a histogram", metric.name) };
    let mut sums: BTreeMap<String, (u64, f64)> = BTreeMap::new();
    for point in &histogram.data_points {
        for group in [text(&point.attributes, key).unwrap_or_default(), String::new()] {
            let entry = sums.entry(group).or_default();
            entry.0 += point.count;
            entry.1 += point.sum.unwrap_or_default();
        }
    }
    sums
}

#[test]
fn usage_and_bot_states_reach_an_otlp_endpoint_that_was_down_at_first() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let endpoint = format!("http://127.0.0.1:{port}/v1/metrics");
    // The SDK reads its export interval from the environment (milliseconds); the child inherits it.
    std::env::set_var("OTEL_METRIC_EXPORT_INTERVAL", "300");
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &["--otlp-endpoint", &endpoint, "--monitor-id", "otlp-host"]);
    let url = monitor.http_url();
    let counters = |name: &str| {
        let (_, body) = http_get(&format!("{url}/api/v1/counters"), None);
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        json["counters"][name].as_u64().unwrap_or_default()
    };
    // Ingest goes on while the endpoint is down.
    let mut conn = connect(&monitor.socket);
    let pid = me();
    let lines = format!(
        "{{\"type\":\"register\",\"channel\":\"writer\",\"pid\":{pid},\"features\":{{}},\"heartbeat_interval_s\":30}}\n\
         {{\"type\":\"register\",\"channel\":\"reader\",\"pid\":{pid},\"features\":{{}},\"heartbeat_interval_s\":30}}\n\
         {{\"type\":\"llm_usage\",\"channel\":\"writer\",\"model\":\"gpt-4o\",\"provider\":\"openai\",\"feature\":\"draft\",\"tokens_in\":1000,\"tokens_out\":200,\"latency_ms\":1500,\"cost_usd\":0.02}}\n\
         {{\"type\":\"llm_usage\",\"channel\":\"writer\",\"model\":\"gpt-4o\",\"provider\":\"openai\",\"feature\":\"draft\",\"tokens_in\":10,\"tokens_out\":5,\"latency_ms\":300,\"cost_usd\":0.0005,\"ok\":false}}\n\
         {{\"type\":\"llm_usage\",\"channel\":\"reader\",\"model\":\"claude-sonnet\",\"provider\":\"anthropic\",\"feature\":\"summary\",\"tokens_in\":301,\"tokens_out\":32,\"latency_ms\":800,\"count\":3}}\n"
    );
    send(&mut conn, lines.as_bytes());
    monitor.wait_counter("usage_calls_written", 5);
    wait_for("a failed export, counted", Duration::from_secs(30), || counters("otlp_export_failures") >= 1);
    let (_, exposition) = http_get(&format!("{url}/metrics"), None);
    assert!(exposition.contains("kissmon_otlp_export_failures_total "), "/metrics shows the failures");
    assert_eq!(counters("otlp_exports"), 0, "nothing got through yet");

    let received = receiver(TcpListener::bind(("127.0.0.1", port)).unwrap());
    let mut request = None;
    wait_for("an export with every call", Duration::from_secs(60), || {
        request = received.latest();
        request.as_ref().is_some_and(|r| {
            metrics(r)
                .get("gen_ai.client.token.usage")
                .is_some_and(|m| histogram_sums(m, "gen_ai.token.type").get("").is_some_and(|s| s.0 == 10))
        })
    });
    let request = request.unwrap();
    assert!(counters("otlp_exports") >= 1);

    let resource = request.resource_metrics[0].resource.as_ref().unwrap();
    assert_eq!(text(&resource.attributes, "service.name").as_deref(), Some("kissmon-server"));
    assert_eq!(text(&resource.attributes, "service.instance.id").as_deref(), Some("otlp-host"));

    let all = metrics(&request);
    let tokens = &all["gen_ai.client.token.usage"];
    assert_eq!(tokens.unit, "{token}");
    let by_type = histogram_sums(tokens, "gen_ai.token.type");
    assert_eq!(by_type["input"], (5, (1000 + 10 + 301) as f64), "five calls' input tokens, the folded line's spread");
    assert_eq!(by_type["output"], (5, (200 + 5 + 32) as f64));
    let Some(metric::Data::Histogram(histogram)) = &tokens.data else { unreachable!() };
    for point in &histogram.data_points {
        assert!(text(&point.attributes, "gen_ai.request.model").is_some());
        assert!(text(&point.attributes, "gen_ai.provider.name").is_some());
        assert!(text(&point.attributes, "kissmon.channel").is_some());
        assert!(text(&point.attributes, "kissmon.feature").is_some());
    }
    let failed: Vec<_> = histogram
        .data_points
        .iter()
        .filter(|p| text(&p.attributes, "error.type").as_deref() == Some("_OTHER"))
        .collect();
    assert_eq!(failed.len(), 2, "the failed call's input and output points carry error.type");
    assert!(failed.iter().all(|p| p.count == 1));

    let duration = &all["gen_ai.client.operation.duration"];
    assert_eq!(duration.unit, "s");
    let by_model = histogram_sums(duration, "gen_ai.request.model");
    assert_eq!(by_model[""].0, 5);
    assert!((by_model["gpt-4o"].1 - 1.8).abs() < 1e-9, "{by_model:?}");
    assert!((by_model["claude-sonnet"].1 - 2.4).abs() < 1e-9, "three samples of the mean: {by_model:?}");

    let cost = &all["kissmon.llm.cost"];
    assert_eq!(cost.unit, "USD");
    let Some(metric::Data::Sum(sum)) = &cost.data else { panic!("kissmon.llm.cost is not a sum") };
    assert!(sum.is_monotonic);
    let total: f64 = sum
        .data_points
        .iter()
        .map(|p| match p.value {
            Some(opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsDouble(v)) => v,
            _ => 0.0,
        })
        .sum();
    assert!((total - 0.0205).abs() < 1e-12, "{total}");

    let states = &all["kissmon.bot.state"];
    let Some(metric::Data::Gauge(gauge)) = &states.data else { panic!("kissmon.bot.state is not a gauge") };
    let online: Vec<String> = gauge
        .data_points
        .iter()
        .filter(|p| {
            text(&p.attributes, "kissmon.state").as_deref() == Some("online")
                && matches!(p.value, Some(opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsInt(1)))
        })
        .filter_map(|p| text(&p.attributes, "kissmon.channel"))
        .collect();
    assert_eq!(online.len(), 2, "{online:?}");
    assert_eq!(gauge.data_points.len(), 2 * 5, "one point per bot and state");
}

#[test]
fn a_bad_otlp_endpoint_is_refused_with_the_reason() {
    let dir = TempDir::new();
    let log = serve_must_fail(&dir.socket(), &dir.db(), &["--otlp-endpoint", "collector:4318", "--http", "off"]);
    assert!(log.contains("--otlp-endpoint") && log.contains("expected an http:// URL"), "{log}");
    let log = serve_must_fail(&dir.socket(), &dir.db(), &["--otlp-endpoint", "https://c/v1/metrics", "--http", "off"]);
    assert!(log.contains("https is not built in"), "{log}");
}
