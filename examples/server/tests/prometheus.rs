//! `/metrics` as Prometheus's own tools read it: promtool's linter on a real
//! scrape, and a real Prometheus scraping a real monitor every second.
//!
//! These tests need Debian's `prometheus` package (`promtool`, `prometheus`),
//! so plain `cargo test` skips them; `examples/server/test-http.sh` installs
//! the package and runs them with `--ignored`. Without the binaries they fail.

mod fleet;
mod support;

use fleet::{Fleet, ODD};
use serde_json::Value;
use std::io::Write;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

const TOKEN: &str = "prometheus-scrapes-with-this";

/// The doomed bot of [`fleet`]: this test binary, run again.
#[test]
#[ignore = "a helper: the fleet runs it as a bot process of its own"]
fn bot_process() {
    fleet::bot_process_if_asked();
}

/// The sum of the samples of `series` (a name and `{`) whose labels contain `label`.
fn sum_samples(text: &str, series: &str, label: &str) -> f64 {
    text.lines()
        .filter(|line| line.starts_with(series) && line.contains(label))
        .map(|line| line.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum()
}

/// Runs `program args` with `input` on stdin: (exit code, stdout + stderr).
fn run_with_input(program: &str, args: &[&str], input: &str) -> (i32, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {program} ({err}): install Debian's prometheus package"));
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

#[test]
#[ignore = "needs promtool (Debian's prometheus package): run by examples/server/test-http.sh"]
fn promtool_check_metrics_passes_on_a_real_scrape() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let fleet = Fleet::start(&monitor);
    let mut scrape = String::new();
    wait_for("every input token in /metrics", Duration::from_secs(15), || {
        scrape = monitor.get("/metrics").1;
        sum_samples(&scrape, "kissmon_llm_tokens_total{", "type=\"input\"") == fleet.input_tokens as f64
    });
    for family in [
        "kissmon_bot_state",
        "kissmon_llm_tokens_total",
        "kissmon_llm_request_duration_seconds",
        "kissmon_writer_lag_seconds",
    ] {
        assert!(scrape.contains(&format!("# TYPE {family} ")), "{family} in the scrape:\n{scrape}");
    }
    assert!(scrape.contains("ok=\"false\"") && scrape.contains("ok=\"true\"") && scrape.contains("ok=\"unknown\""));
    assert!(scrape.contains("channel=\"say \\\"hi\\\" \\\\o/ back\\\\slash\u{2028}next\""), "{scrape}");
    println!("scrape: {} bytes, {} lines", scrape.len(), scrape.lines().count());

    // Served without an Accept header, /metrics is the text format 0.0.4
    // that promtool 2.42 parses: the lint must find nothing.
    let (code, output) = run_with_input("promtool", &["check", "metrics"], &scrape);
    assert!(code == 0 && output.trim().is_empty(), "promtool check metrics: exit {code}\n{output}\non:\n{scrape}");
    println!("promtool check metrics on the scrape as served: exit 0, no problem");

    // The linter does lint: a counter without `_total` in a non-base unit is reported.
    let bad = "# HELP kissmon_probe_milliseconds x\n# TYPE kissmon_probe_milliseconds counter\nkissmon_probe_milliseconds 1\n";
    let (code, output) = run_with_input("promtool", &["check", "metrics"], bad);
    assert!(code != 0 && output.contains("_total") && output.contains("base unit"), "promtool: exit {code}\n{output}");
}

/// A Prometheus server on loopback with its own config and data dir, stopped on drop.
struct Prometheus {
    child: Child,
    url: String,
    log: std::path::PathBuf,
}

impl Prometheus {
    /// Starts Prometheus scraping `target` (host:port) every second with `token`,
    /// on a free loopback port, and waits until it is ready.
    fn start(dir: &TempDir, target: &str, token: &str) -> Prometheus {
        let config = dir.path("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: kissmon\n    authorization:\n      credentials: {token:?}\n    \
                 static_configs:\n      - targets: [{target:?}]\n"
            ),
        )
        .unwrap();
        // A port picked by binding port 0 may be taken again before Prometheus
        // binds it: try a few.
        for attempt in 0.. {
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let log = dir.path(&format!("prometheus{attempt}.log"));
            let child = Command::new("prometheus")
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.tsdb.path={}", dir.path("prometheus-data").display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap_or_else(|err| panic!("cannot run prometheus ({err}): install Debian's prometheus package"));
            let mut prometheus = Prometheus { child, url: format!("http://127.0.0.1:{port}"), log };
            match prometheus.wait_ready() {
                Ok(()) => return prometheus,
                Err(log) if attempt < 4 && log.contains("address already in use") => continue,
                Err(log) => panic!("prometheus did not start:\n{log}"),
            }
        }
        unreachable!()
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(format!("exit {status}\n{}", self.log_text()));
            }
            if let Ok(mut response) = ureq::get(&format!("{}/-/ready", self.url)).call() {
                if response.status() == 200 {
                    let _ = response.body_mut().read_to_string();
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!("not ready within 60 s\n{}", self.log_text()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// GETs an API path and returns its `data`.
    fn api(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let mut request = ureq::get(&format!("{}{path}", self.url));
        for (name, value) in query {
            request = request.query(*name, *value);
        }
        let body =
            request.call().unwrap_or_else(|err| panic!("GET {path}: {err}")).body_mut().read_to_string().unwrap();
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["status"], "success", "GET {path} {query:?}: {body}");
        json["data"].clone()
    }

    /// An instant query's vector: (labels, value) per series.
    fn query(&self, expr: &str) -> Vec<(Value, String)> {
        let data = self.api("/api/v1/query", &[("query", expr)]);
        data["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|series| (series["metric"].clone(), series["value"][1].as_str().unwrap().to_owned()))
            .collect()
    }

    /// The scrape target's health and last error, to explain a wait that times out.
    fn targets(&self) -> String {
        let data = self.api("/api/v1/targets", &[]);
        data["activeTargets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|target| format!("{} {} {}", target["scrapeUrl"], target["health"], target["lastError"]))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until the query's only series has `value`.
    fn wait_value(&self, expr: &str, value: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let result = self.query(expr);
            if result.len() == 1 && result[0].1 == value {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after 60 s waiting for {expr} == {value}; last {result:?}\ntargets: {}\nlog:\n{}",
                self.targets(),
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        // SAFETY: signalling our own child; SIGTERM lets it close its TSDB.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
#[ignore = "needs prometheus (Debian's prometheus package): run by examples/server/test-http.sh"]
fn a_real_prometheus_sees_the_dead_bot_and_the_tokens_the_bots_logged() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &["--http-token", TOKEN]);
    let target = monitor.http_url().trim_start_matches("http://").to_owned();
    let prometheus = Prometheus::start(&dir, &target, TOKEN);
    let fleet = Fleet::start(&monitor);

    prometheus.wait_value("kissmon_bot_state{channel=\"doomed\",state=\"dead\"}", "1");
    prometheus.wait_value("sum(kissmon_llm_tokens_total{type=\"input\"})", &fleet.input_tokens.to_string());
    prometheus.wait_value("sum(kissmon_llm_calls_total)", &fleet.calls.to_string());
    prometheus.wait_value("up{job=\"kissmon\"}", "1");
    for (channel, status) in &fleet.statuses {
        let states = prometheus.query(&format!("kissmon_bot_state{{state=\"{status}\"}} == 1"));
        assert!(
            states.iter().any(|(labels, _)| labels["channel"] == *channel),
            "{channel} {status} in Prometheus: {states:?}"
        );
    }
    let per_bot = prometheus.query("sum by (channel) (kissmon_bot_state) != 1");
    assert!(per_bot.is_empty(), "each bot has exactly one state at 1: {per_bot:?}");
    // The odd channel's label value reached Prometheus exactly as the bot wrote it.
    let odd = prometheus.query("kissmon_bot_state{state=\"online\"} == 1");
    assert!(odd.iter().any(|(labels, _)| labels["channel"] == ODD), "{ODD:?} in {odd:?}");
    let histogram = prometheus.query("sum(kissmon_llm_request_duration_seconds_count)");
    assert_eq!(histogram[0].1, fleet.calls.to_string(), "every call reported a latency");
}
