//! The Rust adapter of the conformance harness: reads one command per line
//! on stdin, makes the call on the `kissmon` crate's public API, and answers
//! on stdout (conformance/README.md, "Adapter protocol"). It only converts.

use kissmon::{Error, LlmUsage, MonitorClient};
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::time::Duration;

/// Why a command did not succeed: an error to report, a line the decoder
/// refused, or a value the API's types cannot hold.
enum Answer {
    Error(Error),
    Decode(&'static str, Option<String>),
    NotApplicable(String),
}

impl From<Error> for Answer {
    fn from(err: Error) -> Answer {
        Answer::Error(err)
    }
}

type Result<T> = std::result::Result<T, Answer>;

fn main() {
    let mut client: Option<MonitorClient> = None;
    let mut stdout = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let command: Value = serde_json::from_str(&line.expect("stdin")).expect("a command is JSON");
        let answer = match handle(&mut client, &command) {
            Ok(value) => json!({"ok": value}),
            Err(Answer::NotApplicable(reason)) => json!({"not_applicable": reason}),
            Err(Answer::Error(Error::InvalidArgument { argument, reason })) => {
                json!({"error": "invalid_argument", "argument": argument, "detail": reason})
            }
            Err(Answer::Decode(class, field)) => json!({"error": class, "field": field}),
            Err(Answer::Error(other)) => json!({"error": "other", "detail": other.to_string()}),
        };
        writeln!(stdout, "{answer}").and_then(|()| stdout.flush()).expect("stdout");
    }
}

fn handle(client: &mut Option<MonitorClient>, command: &Value) -> Result<Value> {
    let ms = |name: &str| Duration::from_millis(command[name].as_u64().unwrap_or_default());
    match command["cmd"].as_str().unwrap_or_default() {
        "hello" => Ok(json!({"lang": "rust"})),
        "decode" => decode(command),
        "new_client" => {
            *client = Some(build(&command["client"], command["socket"].as_str().unwrap_or_default())?);
            Ok(Value::Null)
        }
        "call" => call(live(client), command["method"].as_str().unwrap_or_default(), &command["args"]),
        "flush" => Ok(live(client).flush(ms("timeout_ms")).into()),
        "close" => Ok(live(client).close(ms("timeout_ms")).into()),
        "stats" => {
            let stats = live(client).stats();
            Ok(json!({"queued": stats.queued, "sent": stats.sent, "dropped": stats.dropped,
                "coalesced": stats.coalesced, "reconnects": stats.reconnects, "connected": stats.connected,
                "acked": stats.acked, "unacked": stats.unacked, "resent": stats.resent,
                "acks_active": stats.acks_active}))
        }
        other => panic!("unknown command {other:?}"),
    }
}

fn live(client: &Option<MonitorClient>) -> &MonitorClient {
    client.as_ref().expect("new_client comes first")
}

fn decode(command: &Value) -> Result<Value> {
    let bytes = match (command["text"].as_str(), command["hex"].as_str()) {
        (Some(text), _) => text.as_bytes().to_vec(),
        (None, Some(hex)) => {
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
        }
        _ => panic!("decode needs text or hex"),
    };
    match kissmon::decode_line(&bytes) {
        Ok(message) => Ok(serde_json::from_str(&kissmon::encode_line(&message)).unwrap()),
        Err(err) => Err(Answer::Decode(err.class.as_str(), err.field)),
    }
}

/// A value the API's type cannot hold: this case cannot be written in Rust.
fn not_representable<T>(argument: &str, value: &Value, rust_type: &str) -> Result<T> {
    Err(Answer::NotApplicable(format!("`{argument}` = {value} is not a {rust_type}")))
}

fn integer<T: TryFrom<u64>>(value: &Value, argument: &str, rust_type: &str) -> Result<T> {
    match value.as_u64().and_then(|n| T::try_from(n).ok()) {
        Some(n) => Ok(n),
        None => not_representable(argument, value, rust_type),
    }
}

fn seconds(value: &Value, argument: &str) -> Result<Duration> {
    match value.as_f64().and_then(|s| Duration::try_from_secs_f64(s).ok()) {
        Some(duration) => Ok(duration),
        None => not_representable(argument, value, "Duration"),
    }
}

fn text<'a>(value: &'a Value, argument: &str) -> Result<&'a str> {
    value.as_str().map_or_else(|| not_representable(argument, value, "string"), Ok)
}

fn build(spec: &Value, socket: &str) -> Result<MonitorClient> {
    let mut builder = MonitorClient::builder(text(&spec["channel"], "channel")?).socket_path(socket);
    if let Some(pid) = spec.get("pid") {
        builder = builder.pid(integer(pid, "pid", "u32")?);
    }
    if let Some(capacity) = spec.get("queue_capacity") {
        builder = builder.queue_capacity(integer(capacity, "queue_capacity", "usize")?);
    }
    if let Some(max) = spec.get("max_aggregates") {
        builder = builder.max_aggregates(integer(max, "max_aggregates", "usize")?);
    }
    if let Some(interval) = spec.get("heartbeat_interval_s") {
        builder = builder.heartbeat_interval(seconds(interval, "heartbeat_interval")?);
    }
    Ok(builder.build()?)
}

fn call(client: &MonitorClient, method: &str, args: &Value) -> Result<Value> {
    let optional = |name: &str| args.get(name).filter(|v| !v.is_null());
    match method {
        "register" => {
            let mut features = Vec::new();
            for (name, on) in args["features"].as_object().into_iter().flatten() {
                let on = on.as_bool().map_or_else(|| not_representable("features", on, "bool"), Ok)?;
                features.push((name.as_str(), on));
            }
            client.register(features)?;
        }
        "heartbeat" => client.heartbeat(),
        "unregister" => client.unregister(),
        "log_llm_usage" => {
            let count = |name: &str| integer::<u64>(&args[name], name, "u64");
            let mut usage = LlmUsage::new(
                text(&args["model"], "model")?,
                text(&args["feature"], "feature")?,
                count("tokens_in")?,
                count("tokens_out")?,
            );
            let number = |name: &str, v: &Value| v.as_f64().map_or_else(|| not_representable(name, v, "f64"), Ok);
            if let Some(v) = optional("latency_ms") {
                usage = usage.latency_ms(number("latency_ms", v)?);
            }
            if let Some(v) = optional("provider") {
                usage = usage.provider(text(v, "provider")?);
            }
            if optional("cache_read_tokens").is_some() {
                usage = usage.cache_read_tokens(count("cache_read_tokens")?);
            }
            if optional("reasoning_tokens").is_some() {
                usage = usage.reasoning_tokens(count("reasoning_tokens")?);
            }
            if let Some(v) = optional("cost_usd") {
                usage = usage.cost_usd(number("cost_usd", v)?);
            }
            if let Some(v) = optional("ok") {
                usage = usage.ok(v.as_bool().map_or_else(|| not_representable("ok", v, "bool"), Ok)?);
            }
            client.log_llm_usage(usage)?;
        }
        "start_heartbeat" => client.start_heartbeat(seconds(&args["interval_s"], "interval")?)?,
        "stop_heartbeat" => client.stop_heartbeat(),
        other => panic!("unknown method {other:?}"),
    }
    Ok(Value::Null)
}
