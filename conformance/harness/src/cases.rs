//! Runs one case through an adapter against the fake monitor, and judges it.
//! Only this file knows what a case kind means (conformance/README.md, "Kinds").

use crate::adapter::{Adapter, Answer};
use crate::beats;
use crate::corpus::{json_eq, redact};
use crate::monitor::{Monitor, TempDir};
use base64::Engine as _;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// How long `expect_lines` and `expect_beats` wait for the lines they expect.
const WAIT: Duration = Duration::from_secs(3);
/// How long `expect_lines` watches for lines beyond the expected ones, unless the step says.
const QUIET_MS: u64 = 50;
/// The flush of an `encode` case.
const FLUSH_MS: u64 = 3000;

pub enum Outcome {
    Pass,
    Fail(String),
    NotApplicable(String),
}

/// Why a case stopped before its end.
enum Stop {
    Fail(String),
    NotApplicable(String),
}

impl From<String> for Stop {
    fn from(reason: String) -> Stop {
        Stop::Fail(reason)
    }
}

type Step<T = ()> = Result<T, Stop>;

pub struct Run<'a> {
    adapter: &'a mut Adapter,
    /// What the adapter's sdk.lang must be.
    lang: &'a str,
    has_client: bool,
}

pub fn run(adapter: &mut Adapter, lang: &str, case: &Value) -> Outcome {
    let mut run = Run { adapter, lang, has_client: false };
    let result = match case["kind"].as_str() {
        Some("decode_valid") => run.decode_valid(case),
        Some("decode_invalid") => run.decode_invalid(case),
        Some("encode") => run.encode(case),
        Some("encode_invalid") => run.encode_invalid(case),
        Some("queue") => run.queue(case),
        other => Err(Stop::Fail(format!("unknown case kind {other:?}"))),
    };
    if run.has_client {
        // Ends the client whatever happened; its answer does not matter.
        let _ = run.adapter.send(&json!({"cmd": "close", "timeout_ms": 0}));
    }
    match result {
        Ok(()) => Outcome::Pass,
        Err(Stop::Fail(reason)) => Outcome::Fail(reason),
        Err(Stop::NotApplicable(reason)) => Outcome::NotApplicable(reason),
    }
}

impl Run<'_> {
    /// Sends a command; an answer of `not_applicable` ends the case as such.
    fn send(&mut self, command: Value) -> Step<Result<Value, Value>> {
        match self.adapter.send(&command)? {
            Answer::Ok(value) => Ok(Ok(value)),
            Answer::Error(_, error) => Ok(Err(error)),
            Answer::NotApplicable(reason) => Err(Stop::NotApplicable(reason)),
        }
    }

    /// Sends a command that must succeed.
    fn expect_ok(&mut self, command: Value) -> Step<Value> {
        let what = command.to_string();
        self.send(command)?.map_err(|error| Stop::Fail(format!("{what} failed: {error}")))
    }

    fn new_client(&mut self, case: &Value, socket: &std::path::Path) -> Step<Result<Value, Value>> {
        let answer = self.send(json!({"cmd": "new_client", "socket": socket, "client": case["client"]}))?;
        self.has_client = answer.is_ok();
        Ok(answer)
    }

    fn decode(&mut self, case: &Value) -> Step<Result<Value, Value>> {
        let command = match (case["input"].as_str(), case["input_base64"].as_str()) {
            (Some(text), _) => json!({"cmd": "decode", "text": text}),
            (None, Some(encoded)) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .map_err(|err| format!("input_base64: {err}"))?;
                let hex = bytes.iter().fold(String::new(), |mut hex, b| {
                    let _ = write!(hex, "{b:02x}");
                    hex
                });
                json!({"cmd": "decode", "hex": hex})
            }
            _ => return Err(Stop::Fail("a case has input or input_base64".into())),
        };
        self.send(command)
    }

    fn decode_valid(&mut self, case: &Value) -> Step {
        match self.decode(case)? {
            Ok(got) if json_eq(&got, &case["expect"]) => Ok(()),
            Ok(got) => Err(Stop::Fail(format!("decoded to\n  {got}\nexpected\n  {}", case["expect"]))),
            Err(error) => Err(Stop::Fail(format!("rejected: {error}"))),
        }
    }

    fn decode_invalid(&mut self, case: &Value) -> Step {
        let error = match self.decode(case)? {
            Ok(got) => return Err(Stop::Fail(format!("accepted as {got}"))),
            Err(error) => error,
        };
        if error["error"] != case["error"] {
            return Err(Stop::Fail(format!("error {error}, expected class {}", case["error"])));
        }
        match case.get("field") {
            Some(field) if error["field"] != *field => {
                Err(Stop::Fail(format!("error {error} names field {}, expected {field}", error["field"])))
            }
            _ => Ok(()),
        }
    }

    fn encode(&mut self, case: &Value) -> Step {
        let dir = TempDir::new();
        let monitor = Monitor::up(&dir.socket());
        if let Err(error) = self.new_client(case, &dir.socket())? {
            return Err(Stop::Fail(format!("client rejected: {error}")));
        }
        self.call(&case["call"])?;
        if self.expect_ok(json!({"cmd": "flush", "timeout_ms": FLUSH_MS}))? != true {
            let stats = self.expect_ok(json!({"cmd": "stats"}))?;
            return Err(Stop::Fail(format!("flush timed out; stats {stats}")));
        }
        Ok(self.expect_lines(&monitor, std::slice::from_ref(&case["expect"]), false, QUIET_MS)?)
    }

    fn encode_invalid(&mut self, case: &Value) -> Step {
        let dir = TempDir::new();
        let mut result = self.new_client(case, &dir.socket())?;
        if let (Ok(_), Some(call)) = (&result, case.get("call")) {
            result = self.send(
                json!({"cmd": "call", "method": call["method"], "args": call.get("args").unwrap_or(&json!({}))}),
            )?;
        }
        let error = match result {
            Ok(_) => return Err(Stop::Fail("accepted".into())),
            Err(error) => error,
        };
        if error["error"] != "invalid_argument" {
            return Err(Stop::Fail(format!("error {error}, expected invalid_argument")));
        }
        match case.get("argument") {
            Some(argument) if error["argument"] != *argument => {
                Err(Stop::Fail(format!("error {error} names argument {}, expected {argument}", error["argument"])))
            }
            _ => Ok(()),
        }
    }

    fn call(&mut self, call: &Value) -> Step {
        let args = call.get("args").cloned().unwrap_or_else(|| json!({}));
        self.expect_ok(json!({"cmd": "call", "method": call["method"], "args": args}))?;
        Ok(())
    }

    fn queue(&mut self, case: &Value) -> Step {
        let dir = TempDir::new();
        let mut monitor = Monitor::new(&dir.socket());
        if let Err(error) = self.new_client(case, &dir.socket())? {
            return Err(Stop::Fail(format!("client rejected: {error}")));
        }
        let steps = case["steps"].as_array().ok_or("a queue case has steps".to_owned())?;
        for (n, step) in steps.iter().enumerate() {
            self.step(&mut monitor, step).map_err(|stop| match stop {
                Stop::Fail(reason) => Stop::Fail(format!("step {n} {step}: {reason}")),
                na => na,
            })?;
        }
        Ok(())
    }

    fn step(&mut self, monitor: &mut Monitor, step: &Value) -> Step {
        let ms = |name: &str| step[name].as_u64().ok_or(format!("no {name}"));
        match step["op"].as_str().unwrap_or_default() {
            "call" => self.call(step)?,
            "monitor_up" => monitor.start(),
            "monitor_down" => monitor.stop(),
            "monitor_acks" => monitor.set_acks(step["acks"].as_bool().ok_or("no acks".to_owned())?),
            op @ ("flush" | "close") => {
                let got = self.expect_ok(json!({"cmd": op, "timeout_ms": ms("timeout_ms")?}))?;
                if let Some(expected) = step.get("expect") {
                    if got != *expected {
                        let stats = self.expect_ok(json!({"cmd": "stats"}))?;
                        return Err(Stop::Fail(format!("returned {got}; stats {stats}")));
                    }
                }
            }
            "expect_lines" => {
                let expected = step["lines"].as_array().ok_or("no lines".to_owned())?;
                let skip_beats = step["skip_beats"].as_bool().unwrap_or(false);
                let quiet_ms = step["quiet_ms"].as_u64().unwrap_or(QUIET_MS);
                self.expect_lines(monitor, expected, skip_beats, quiet_ms)?;
            }
            "expect_beats" => self.expect_beats(monitor, step)?,
            "expect_stats" => {
                // With `within_ms`, the stats may take that long to get there
                // (an ack the sender has yet to read).
                let deadline = Instant::now() + Duration::from_millis(step["within_ms"].as_u64().unwrap_or(0));
                loop {
                    let stats = self.expect_ok(json!({"cmd": "stats"}))?;
                    let wrong = step["stats"]
                        .as_object()
                        .ok_or("no stats".to_owned())?
                        .iter()
                        .find(|(name, want)| !json_eq(&stats[name.as_str()], want));
                    match wrong {
                        None => break,
                        Some(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                        Some((name, want)) => {
                            return Err(Stop::Fail(format!(
                                "stats.{name} is {}, expected {want}; stats {stats}",
                                stats[name.as_str()]
                            )))
                        }
                    }
                }
            }
            "stall" => self.adapter.stall(Duration::from_millis(ms("ms")?))?,
            other => return Err(Stop::Fail(format!("unknown op {other:?}"))),
        }
        Ok(())
    }

    fn expect_lines(
        &self,
        monitor: &Monitor,
        expected: &[Value],
        skip_beats: bool,
        quiet_ms: u64,
    ) -> Result<(), String> {
        let leading_beats =
            |lines: &[Value]| if skip_beats { lines.iter().take_while(|l| beats::is_beat(l)).count() } else { 0 };
        let mut got = monitor.take_when(WAIT, |lines| {
            let parsed = parse_lossy(lines);
            parsed.len() - leading_beats(&parsed) >= expected.len()
        });
        std::thread::sleep(Duration::from_millis(quiet_ms));
        got.extend(monitor.take(0, Duration::ZERO));
        let mut got = parse(&got)?;
        got.drain(..leading_beats(&got));
        let got = got.into_iter().map(|line| redact(line, self.lang)).collect::<Result<Vec<_>, _>>()?;
        if got.len() != expected.len() || !got.iter().zip(expected).all(|(g, e)| json_eq(g, e)) {
            return Err(format!("monitor received:{}\nexpected:{}", show(&got), show(expected)));
        }
        Ok(())
    }

    fn expect_beats(&self, monitor: &Monitor, step: &Value) -> Result<(), String> {
        let count = step["count"].as_u64().ok_or("no count")? as usize;
        let interval_s = step["interval_s"].as_f64().ok_or("no interval_s")?;
        let late = step["late"].as_bool().unwrap_or(false);
        // With `late`, `count` beats from the first one a whole interval behind.
        let counted = |lines: &[Value]| {
            let first = if late {
                match lines.iter().position(|l| l["lag_ms"].as_f64().is_some_and(|lag| lag >= interval_s * 1000.0)) {
                    Some(i) => i,
                    None => return 0,
                }
            } else {
                0
            };
            lines.len() - first
        };
        let timeout = WAIT + Duration::from_secs_f64(interval_s * count as f64);
        let got = monitor.take_when(timeout, |lines| {
            let parsed = parse_lossy(lines);
            parsed.iter().any(|l| !beats::is_beat(l)) || counted(&parsed) >= count
        });
        let got = parse(&got)?;
        if got.iter().any(|l| !beats::is_beat(l)) || counted(&got) < count {
            let what =
                if late { format!("{count} beats from one a whole interval late") } else { format!("{count} beats") };
            return Err(format!("expected {what}; monitor received:{}", show(&got)));
        }
        for line in &got {
            let redacted = redact(line.clone(), self.lang)?;
            if !json_eq(&redacted, &step["line"]) {
                return Err(format!("beat {redacted}, expected {}", step["line"]));
            }
        }
        beats::check(&got.iter().collect::<Vec<_>>(), interval_s)
    }
}

fn parse(lines: &[String]) -> Result<Vec<Value>, String> {
    lines
        .iter()
        .map(|line| serde_json::from_str(line).map_err(|err| format!("monitor got non-JSON {line:?}: {err}")))
        .collect()
}

/// For waiting only: a line that is not JSON counts as a line that is not a beat.
fn parse_lossy(lines: &[String]) -> Vec<Value> {
    lines.iter().map(|line| serde_json::from_str(line).unwrap_or(Value::Null)).collect()
}

fn show(lines: &[Value]) -> String {
    lines.iter().map(|line| format!("\n    {line}")).collect()
}
