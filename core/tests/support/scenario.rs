//! The client-side corpus kinds (`encode`, `encode_invalid`, `queue`) run
//! through the Rust API against a real monitor socket.

use super::corpus::{json_eq, redact};
use super::monitor::{Monitor, TempDir};
use kissmon::{Error, LlmUsage, MonitorClient};
use libtest_mimic::Failed;
use serde_json::Value;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(3);
/// How long to watch for lines beyond the expected ones.
const SETTLE: Duration = Duration::from_millis(50);

fn build(spec: &Value, socket: &std::path::Path) -> Result<MonitorClient, Error> {
    let mut builder = MonitorClient::builder(spec["channel"].as_str().unwrap_or_default()).socket_path(socket);
    if let Some(pid) = spec.get("pid") {
        // A pid the API type cannot hold is rejected as the binding's type would reject it.
        let pid = pid.as_u64().and_then(|p| u32::try_from(p).ok()).ok_or_else(|| type_rejects("pid"))?;
        builder = builder.pid(pid);
    }
    if let Some(capacity) = spec.get("queue_capacity") {
        builder = builder.queue_capacity(capacity.as_u64().ok_or_else(|| type_rejects("queue_capacity"))? as usize);
    }
    if let Some(max) = spec.get("max_aggregates") {
        builder = builder.max_aggregates(max.as_u64().ok_or_else(|| type_rejects("max_aggregates"))? as usize);
    }
    if let Some(seconds) = spec.get("heartbeat_interval_s") {
        let seconds = seconds.as_f64().filter(|s| *s >= 0.0).ok_or_else(|| type_rejects("heartbeat_interval"))?;
        builder = builder.heartbeat_interval(Duration::from_secs_f64(seconds));
    }
    builder.build()
}

/// Values Rust's types cannot even express (negative counts, non-integers)
/// are rejected before any call; the corpus still counts them as invalid arguments.
fn type_rejects(argument: &'static str) -> Error {
    Error::InvalidArgument { argument, reason: "not representable in the API type".into() }
}

/// An optional argument: absent or null is `None`; a value `read` cannot
/// convert is refused, as the API's type would refuse it.
fn arg<'a, T>(args: &'a Value, name: &'static str, read: impl Fn(&'a Value) -> Option<T>) -> Result<Option<T>, Error> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => read(value).map(Some).ok_or_else(|| type_rejects(name)),
    }
}

fn u64_arg(args: &Value, name: &'static str) -> Result<Option<u64>, Error> {
    arg(args, name, Value::as_u64)
}

fn call(client: &MonitorClient, call: &Value) -> Result<(), Error> {
    let args = &call["args"];
    match call["method"].as_str().unwrap_or_default() {
        "register" => {
            let features = args["features"].as_object().cloned().unwrap_or_default();
            let mut pairs = Vec::new();
            for (name, enabled) in features {
                pairs.push((name, enabled.as_bool().ok_or_else(|| type_rejects("features"))?));
            }
            client.register(pairs)
        }
        "heartbeat" => {
            client.heartbeat();
            Ok(())
        }
        "unregister" => {
            client.unregister();
            Ok(())
        }
        "log_llm_usage" => {
            let required = |name| u64_arg(args, name)?.ok_or_else(|| type_rejects(name));
            let text = |name| arg(args, name, Value::as_str)?.ok_or_else(|| type_rejects(name));
            let mut usage =
                LlmUsage::new(text("model")?, text("feature")?, required("tokens_in")?, required("tokens_out")?);
            if let Some(v) = arg(args, "latency_ms", Value::as_f64)? {
                usage = usage.latency_ms(v);
            }
            if let Some(v) = arg(args, "provider", Value::as_str)? {
                usage = usage.provider(v);
            }
            if let Some(v) = u64_arg(args, "cache_read_tokens")? {
                usage = usage.cache_read_tokens(v);
            }
            if let Some(v) = u64_arg(args, "reasoning_tokens")? {
                usage = usage.reasoning_tokens(v);
            }
            if let Some(v) = arg(args, "cost_usd", Value::as_f64)? {
                usage = usage.cost_usd(v);
            }
            if let Some(v) = arg(args, "ok", Value::as_bool)? {
                usage = usage.ok(v);
            }
            client.log_llm_usage(usage)
        }
        "start_heartbeat" => {
            let seconds = args["interval_s"].as_f64().filter(|s| *s >= 0.0).ok_or_else(|| type_rejects("interval"))?;
            client.start_heartbeat(Duration::from_secs_f64(seconds))
        }
        "stop_heartbeat" => {
            client.stop_heartbeat();
            Ok(())
        }
        other => panic!("unknown method {other:?} in the corpus"),
    }
}

fn expect_lines(monitor: &Monitor, expected: &[Value]) -> Result<(), String> {
    let mut got = monitor.take(expected.len(), WAIT);
    std::thread::sleep(SETTLE);
    got.extend(monitor.take(0, Duration::ZERO));
    let got: Vec<Value> = got
        .iter()
        .map(|line| serde_json::from_str(line).map_err(|e| format!("monitor got non-JSON {line:?}: {e}")))
        .map(|value| value.and_then(|v| redact(v, "rust")))
        .collect::<Result<_, _>>()?;
    if got.len() != expected.len() || !got.iter().zip(expected).all(|(g, e)| json_eq(g, e)) {
        let show = |lines: &[Value]| lines.iter().map(|l| format!("\n    {l}")).collect::<String>();
        return Err(format!("monitor received:{}\nexpected:{}", show(&got), show(expected)));
    }
    Ok(())
}

pub fn encode(case: &Value) -> Result<(), Failed> {
    let dir = TempDir::new();
    let monitor = Monitor::up(&dir.socket());
    let client = build(&case["client"], &dir.socket()).map_err(|e| format!("client rejected: {e}"))?;
    call(&client, &case["call"]).map_err(|e| format!("call rejected: {e}"))?;
    if !client.flush(WAIT) {
        return Err(format!("flush timed out: {:?}", client.stats()).into());
    }
    Ok(expect_lines(&monitor, std::slice::from_ref(&case["expect"]))?)
}

pub fn encode_invalid(case: &Value) -> Result<(), Failed> {
    let dir = TempDir::new();
    let result = build(&case["client"], &dir.socket()).and_then(|client| match case.get("call") {
        Some(c) => call(&client, c),
        None => Ok(()),
    });
    match result {
        Ok(()) => Err("accepted".into()),
        Err(Error::InvalidArgument { argument, .. }) => match case.get("argument").and_then(Value::as_str) {
            Some(expected) if expected != argument => {
                Err(format!("error names argument {argument:?}, expected {expected:?}").into())
            }
            _ => Ok(()),
        },
        Err(other) => Err(format!("error {other}, expected invalid_argument").into()),
    }
}

pub fn queue(case: &Value) -> Result<(), Failed> {
    let dir = TempDir::new();
    let mut monitor = Monitor::new(&dir.socket());
    let client = build(&case["client"], &dir.socket()).map_err(|e| format!("client rejected: {e}"))?;
    let steps = case["steps"].as_array().ok_or("a queue case has steps")?;
    for (n, step) in steps.iter().enumerate() {
        let at = |err: String| -> Failed { format!("step {n} {step}: {err}").into() };
        match step["op"].as_str().unwrap_or_default() {
            "call" => call(&client, step).map_err(|e| at(e.to_string()))?,
            "monitor_up" => monitor.start(),
            "monitor_down" => monitor.stop(),
            "flush" | "close" => {
                let timeout = Duration::from_millis(step["timeout_ms"].as_u64().unwrap_or(2000));
                let got = if step["op"] == "flush" { client.flush(timeout) } else { client.close(timeout) };
                if let Some(expected) = step.get("expect").and_then(Value::as_bool) {
                    if got != expected {
                        return Err(at(format!("returned {got}; stats {:?}", client.stats())));
                    }
                }
            }
            "expect_lines" => {
                let expected = step["lines"].as_array().ok_or_else(|| at("no lines".into()))?;
                expect_lines(&monitor, expected).map_err(at)?;
            }
            "expect_stats" => {
                let stats = client.stats();
                let actual = serde_json::json!({
                    "queued": stats.queued, "sent": stats.sent, "dropped": stats.dropped,
                    "coalesced": stats.coalesced, "reconnects": stats.reconnects, "connected": stats.connected,
                });
                for (name, want) in step["stats"].as_object().ok_or_else(|| at("no stats".into()))? {
                    if !json_eq(&actual[name], want) {
                        return Err(at(format!("stats.{name} is {}, expected {want}; stats {stats:?}", actual[name])));
                    }
                }
            }
            other => return Err(at(format!("unknown op {other:?}"))),
        }
    }
    Ok(())
}
