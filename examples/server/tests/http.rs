//! The HTTP API of a running monitor: real bots on the socket, real HTTP
//! requests, answers checked against what the bots reported.

mod support;

use serde_json::Value;
use std::time::Duration;
use support::*;

fn status_of(list: &Value, channel: &str) -> Option<String> {
    list["bots"].as_array()?.iter().find(|b| b["channel"] == channel).map(|b| b["status"].as_str().unwrap().to_owned())
}

fn error_code(body: &str) -> String {
    let json: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("error body is not JSON: {body}"));
    json["error"]["code"].as_str().unwrap_or_else(|| panic!("no error.code in {body}")).to_owned()
}

fn assert_error(monitor: &Monitor, path: &str, status: u16, code: &str, names: &str) {
    let (got, body) = monitor.get(path);
    assert_eq!(got, status, "GET {path}: {body}");
    assert_eq!(error_code(&body), code, "GET {path}: {body}");
    assert!(body.contains(names), "GET {path}: the error does not name {names:?}: {body}");
}

#[test]
fn bots_usage_transitions_and_counters_reflect_what_bots_reported() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let alpha = client(&monitor.socket, "alpha", Duration::from_secs(5));
    alpha.register([("llm", true), ("quiz", false)]).unwrap();
    alpha.log_llm_usage(kissmon::LlmUsage::new("gpt-4", "jokes", 100, 20).latency_ms(1500.0).cost_usd(0.5)).unwrap();
    alpha.log_llm_usage(kissmon::LlmUsage::new("gpt-4", "quiz", 7, 3).latency_ms(100.0).ok(false)).unwrap();
    let beta = client(&monitor.socket, "beta", Duration::from_secs(5));
    beta.register([("llm", true)]).unwrap();
    beta.log_llm_usage(kissmon::LlmUsage::new("claude", "jokes", 1000, 1).provider("anthropic")).unwrap();
    beta.close(Duration::from_secs(5));

    let list = monitor.wait_api("alpha online, beta offline", "/api/v1/bots", |list| {
        status_of(list, "alpha").as_deref() == Some("online") && status_of(list, "beta").as_deref() == Some("offline")
    });
    let alpha_json = list["bots"].as_array().unwrap().iter().find(|b| b["channel"] == "alpha").unwrap();
    assert_eq!(alpha_json["pid"], me());
    assert_eq!(alpha_json["lang"], "rust");
    assert_eq!(alpha_json["features"], serde_json::json!({"llm": true, "quiz": false}));
    assert_eq!(alpha_json["heartbeat_interval_s"], 5.0);
    assert_eq!(alpha_json["stale_after_s"], 12.5, "2.5 x 5 s, over the 300 ms floor");
    assert_eq!(alpha_json["status_reason"], "register");
    let last_seen = kissmon_server::time::parse_iso(alpha_json["last_seen"].as_str().unwrap()).unwrap();
    assert!(std::time::SystemTime::now().duration_since(last_seen).unwrap() < Duration::from_secs(60));
    assert_eq!(list["counts"]["online"], 1);
    assert_eq!(list["counts"]["offline"], 1);

    let only_offline = monitor.get_json("/api/v1/bots?status=offline,dead");
    assert_eq!(only_offline["bots"].as_array().unwrap().len(), 1);
    assert_eq!(only_offline["bots"][0]["channel"], "beta");
    assert_eq!(monitor.get_json("/api/v1/bots?q=ALP")["bots"][0]["channel"], "alpha");
    assert_eq!(monitor.get_json("/api/v1/bots?q=zzz")["bots"].as_array().unwrap().len(), 0);

    // Usage comes from the database: wait until all three calls are stored.
    let usage = monitor.wait_api("3 calls stored", "/api/v1/usage?group_by=channel,model,feature,provider", |u| {
        u["totals"]["calls"] == 3
    });
    assert_eq!(usage["totals"]["tokens_in"], 1107);
    assert_eq!(usage["totals"]["tokens_out"], 24);
    assert_eq!(usage["totals"]["failed_calls"], 1);
    assert_eq!(usage["totals"]["cost_usd"], 0.5);
    let groups = usage["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 3);
    assert_eq!(groups[0]["channel"], "alpha");
    assert_eq!(groups[0]["feature"], "jokes");
    assert_eq!(groups[0]["mean_latency_ms"], 1500.0);
    assert_eq!(groups[2]["provider"], "anthropic");
    let by_model = monitor.get_json("/api/v1/usage?group_by=model&since=1h&bucket=1m");
    assert_eq!(by_model["groups"].as_array().unwrap().len(), 2);
    let series = by_model["series"].as_array().unwrap();
    assert!(!series.is_empty() && series.iter().all(|point| point["start"].as_str().unwrap().ends_with(":00.000000Z")));
    let series_calls: i64 = series.iter().map(|point| point["calls"].as_i64().unwrap()).sum();
    assert_eq!(series_calls, 3);
    let for_beta = monitor.get_json("/api/v1/usage?channel=beta");
    assert_eq!(for_beta["totals"]["tokens_in"], 1000);
    assert_eq!(
        monitor.get_json("/api/v1/usage?since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z")["totals"]["calls"],
        0
    );

    let detail = monitor.get_json("/api/v1/bots/alpha");
    assert_eq!(detail["bot"]["channel"], "alpha");
    assert_eq!(detail["transitions"][0]["to"], "online");
    assert_eq!(detail["usage"].as_array().unwrap().len(), 2);

    // Transitions page newest first; the cursor continues where the page ended.
    let first = monitor
        .wait_api("three transitions stored", "/api/v1/transitions?limit=2", |page| page["next_cursor"].is_string());
    assert_eq!(first["transitions"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = monitor.get_json(&format!("/api/v1/transitions?limit=2&cursor={cursor}"));
    assert_eq!(second["transitions"].as_array().unwrap().len(), 1);
    assert!(second["next_cursor"].is_null());
    // Newest first across pages; bots on two connections may be read in either order.
    let pages: Vec<&Value> =
        first["transitions"].as_array().unwrap().iter().chain(second["transitions"].as_array().unwrap()).collect();
    let ids: Vec<i64> = pages.iter().map(|t| t["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    let mut seen: Vec<(String, String)> = pages
        .iter()
        .map(|t| (t["channel"].as_str().unwrap().to_owned(), t["to"].as_str().unwrap().to_owned()))
        .collect();
    seen.sort();
    let expected = [("alpha", "online"), ("beta", "offline"), ("beta", "online")];
    assert_eq!(seen, expected.map(|(c, t)| (c.to_owned(), t.to_owned())));
    assert_eq!(monitor.get_json("/api/v1/transitions?channel=alpha")["transitions"].as_array().unwrap().len(), 1);

    let counters = monitor.get_json("/api/v1/counters");
    assert!(counters["counters"]["lines_register"].as_u64().unwrap() >= 2);
    assert_eq!(counters["counters"]["lines_llm_usage"], 3);
    let info = monitor.get_json("/api/v1/monitor");
    assert_eq!(info["pid"], monitor.pid());
    assert_eq!(info["socket"], monitor.socket.display().to_string());
    assert_eq!(info["http"], monitor.http_url().trim_start_matches("http://"));
    let health = monitor.get_json("/healthz");
    assert_eq!(health["status"], "ok");
    alpha.close(Duration::from_secs(5));
}

#[test]
fn bad_requests_get_a_json_error_naming_what_is_wrong() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    assert_error(&monitor, "/api/v1/bots?status=asleep", 400, "bad_parameter", "status");
    assert_error(&monitor, "/api/v1/bots?colour=red", 400, "unknown_parameter", "colour");
    assert_error(&monitor, "/api/v1/bots?q=a&q=b", 400, "bad_parameter", "more than once");
    assert_error(&monitor, "/api/v1/usage?since=yesterday", 400, "bad_parameter", "since");
    assert_error(&monitor, "/api/v1/usage?since=1h&until=2h", 400, "bad_parameter", "before since");
    assert_error(&monitor, "/api/v1/usage?bucket=2m", 400, "bad_parameter", "bucket");
    assert_error(&monitor, "/api/v1/usage?since=3650d&bucket=1m", 400, "bad_parameter", "bucket");
    assert_error(&monitor, "/api/v1/usage?group_by=colour", 400, "bad_parameter", "group_by");
    assert_error(&monitor, "/api/v1/usage?group_by=model,model", 400, "bad_parameter", "group_by");
    assert_error(&monitor, "/api/v1/transitions?limit=100000000", 400, "bad_parameter", "limit");
    assert_error(&monitor, "/api/v1/transitions?limit=-1", 400, "bad_parameter", "limit");
    assert_error(&monitor, "/api/v1/transitions?cursor=abc", 400, "bad_parameter", "cursor");
    assert_error(&monitor, "/api/v1/bots/nobody", 404, "not_found", "channel");
    assert_error(&monitor, "/api/v1/bots/%FF%FE", 400, "bad_parameter", "channel");
    assert_error(&monitor, &format!("/api/v1/bots/{}", "x".repeat(200)), 400, "bad_parameter", "channel");
    assert_error(&monitor, "/api/v1/bots/a%0Ab", 400, "bad_parameter", "control");
    assert_error(&monitor, "/api/v2/bots", 404, "not_found", "openapi.json");
    assert_error(&monitor, "/api/v1/bots/a/b", 404, "not_found", "openapi.json");

    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let url = monitor.http_url();
    let mut response = agent.post(&format!("{url}/api/v1/bots")).send("").unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(error_code(&response.body_mut().read_to_string().unwrap()), "method_not_allowed");
    // Headers past the bound are refused by the server itself.
    let huge = "x".repeat(32 * 1024);
    let status = match agent.get(&format!("{url}/api/v1/bots")).header("X-Huge", &huge).call() {
        Ok(response) => response.status().as_u16(),
        Err(_) => 431,
    };
    assert_eq!(status, 431, "an oversized header block is refused");
}

#[test]
fn strings_from_bots_are_escaped_in_json_and_in_metrics() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let odd = "<script>alert(\"x\")</script>/..\\path\u{2028}end";
    let line = serde_json::json!({"type": "register", "channel": odd, "pid": me(), "features": {"<b>": true}});
    send_once(&monitor.socket, &format!("{line}\n"));
    let list = monitor.wait_api("the odd bot online", "/api/v1/bots", |list| status_of(list, odd).is_some());
    assert_eq!(list["bots"][0]["channel"], odd, "JSON keeps the string exactly, escaped");
    let encoded: String = odd.bytes().map(|b| format!("%{b:02X}")).collect();
    let detail = monitor.get_json(&format!("/api/v1/bots/{encoded}"));
    assert_eq!(detail["bot"]["channel"], odd);
    let (status, metrics) = monitor.get("/metrics");
    assert_eq!(status, 200);
    let expected =
        "kissmon_bot_state{channel=\"<script>alert(\\\"x\\\")</script>/..\\\\path\u{2028}end\",state=\"online\"} 1";
    assert!(metrics.contains(expected), "label value escaped per the exposition format:\n{metrics}");
}

#[test]
fn metrics_show_bot_states_and_the_databases_usage_totals_across_restarts() {
    let dir = TempDir::new();
    let mut monitor = Monitor::start(&dir, &[]);
    let bot = client(&monitor.socket, "gamma", Duration::from_secs(5));
    bot.register([("llm", true)]).unwrap();
    bot.log_llm_usage(kissmon::LlmUsage::new("gpt-4", "chat", 40, 2).latency_ms(30.0).cache_read_tokens(5)).unwrap();
    bot.log_llm_usage(kissmon::LlmUsage::new("gpt-4", "chat", 60, 3).latency_ms(3000.0).cost_usd(0.25)).unwrap();
    bot.close(Duration::from_secs(5));
    let metrics = || monitor.get("/metrics").1;
    wait_for("usage and the offline state in /metrics", Duration::from_secs(15), || {
        let text = metrics();
        text.contains(
            "kissmon_llm_tokens_total{channel=\"gamma\",model=\"gpt-4\",feature=\"chat\",provider=\"\",type=\"input\"} 100",
        ) && text.contains("kissmon_bot_state{channel=\"gamma\",state=\"offline\"} 1")
    });
    let text = metrics();
    assert!(text.contains("kissmon_bot_state{channel=\"gamma\",state=\"offline\"} 1"), "{text}");
    assert!(text.contains("kissmon_bot_state{channel=\"gamma\",state=\"online\"} 0"), "{text}");
    assert!(text.contains("kissmon_llm_calls_total{channel=\"gamma\",model=\"gpt-4\",feature=\"chat\",provider=\"\",ok=\"unknown\"} 2"), "{text}");
    assert!(text.contains("type=\"cache_read\"} 5"), "{text}");
    assert!(
        text.contains(
            "kissmon_llm_cost_usd_total{channel=\"gamma\",model=\"gpt-4\",feature=\"chat\",provider=\"\"} 0.25"
        ),
        "{text}"
    );
    assert!(
        text.contains("kissmon_llm_request_duration_seconds_bucket{le=\"0.04\",model=\"gpt-4\",provider=\"\"} 1")
            || text
                .contains("kissmon_llm_request_duration_seconds_bucket{model=\"gpt-4\",provider=\"\",le=\"0.04\"} 1"),
        "{text}"
    );
    assert!(text.contains("kissmon_lines_total{type=\"llm_usage\"} 2"), "{text}");
    assert!(!text.contains("# EOF"), "without Accept: the text format 0.0.4");
    assert!(text.contains("# TYPE kissmon_llm_tokens_total counter"), "{text}");
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent
        .get(&format!("{}/metrics", monitor.http_url()))
        .header("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
        .call()
        .unwrap();
    let content_type = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    let openmetrics = response.body_mut().read_to_string().unwrap();
    assert!(openmetrics.ends_with("# EOF\n") && openmetrics.contains("# TYPE kissmon_llm_tokens counter"));

    // A new monitor on the same database starts from the database's totals.
    monitor.stop();
    let monitor = Monitor::start(&dir, &[]);
    let text = monitor.get("/metrics").1;
    assert!(text.contains("type=\"input\"} 100"), "totals survive a restart:\n{text}");
    assert!(text.contains("kissmon_lines_total{type=\"llm_usage\"} 0"), "process counters start again:\n{text}");
}

#[test]
fn a_token_guards_everything_but_healthz() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &["--http-token", "s3cret-token"]);
    let url = monitor.http_url();
    for path in ["/api/v1/bots", "/api/v1/usage", "/metrics", "/api/v1/openapi.json", "/nowhere"] {
        let (status, body) = http_get(&format!("{url}{path}"), None);
        assert_eq!(status, 401, "{path} without a token: {body}");
        assert_eq!(error_code(&body), "unauthorized");
        let (status, _) = http_get(&format!("{url}{path}"), Some("s3cret-tokeN"));
        assert_eq!(status, 401, "{path} with a wrong token");
    }
    assert_eq!(http_get(&format!("{url}/api/v1/bots"), Some("s3cret-token")).0, 200);
    assert_eq!(http_get(&format!("{url}/healthz"), None).0, 200);

    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &["--http-token", "s3cret-token", "--metrics-public"]);
    let url = monitor.http_url();
    assert_eq!(http_get(&format!("{url}/metrics"), None).0, 200);
    assert_eq!(http_get(&format!("{url}/api/v1/bots"), None).0, 401);
}

#[test]
fn http_off_serves_nothing_and_a_taken_port_is_a_clear_error() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let addr = monitor.http_url().trim_start_matches("http://").to_owned();
    let other = TempDir::new();
    let log = serve_must_fail(&other.socket(), &other.db(), &["--http", &addr]);
    assert!(log.contains(&format!("cannot listen on --http {addr}")), "{log}");
    let off = Monitor::start(&other, &["--http", "off"]);
    assert!(!off.log_text().contains("HTTP API on"), "{}", off.log_text());
}

#[test]
fn the_committed_openapi_document_is_the_one_the_code_serves() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/http-api.openapi.json");
    let generated = kissmon_server::http::openapi::document();
    if std::env::var_os("KISSMON_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "spec/http-api.openapi.json differs from the code's document: run `KISSMON_BLESS=1 cargo test -p \
         kissmon-server --test http the_committed_openapi` and commit the file"
    );
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    assert_eq!(monitor.get("/api/v1/openapi.json").1, generated);
    let doc: Value = serde_json::from_str(&generated).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
}
