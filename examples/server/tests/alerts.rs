//! Alerts end to end: a real monitor, real bot processes killed with
//! SIGKILL, and a local HTTP receiver for the notifications.

mod receiver;
mod support;

use receiver::{Answer, Receiver};
use std::process::Child;
use std::time::{Duration, Instant};
use support::*;

/// A real bot process: this test binary run again as `bot_process`, with a
/// client that lives and dies with it, so that SIGKILL ends both at once.
struct Bot {
    child: Child,
}

/// The body of a bot process (see [`Bot`]).
#[test]
#[ignore = "a helper: Bot::start runs it as a bot process of its own"]
fn bot_process() {
    let Some((socket, channel)) = bot_process_args() else { return };
    let client = support::client(&socket, &channel, Duration::from_secs(30));
    client.register([("llm", true)]).unwrap();
    bot_process_ready_then_wait();
}

impl Bot {
    fn start(monitor: &Monitor, channel: &str) -> Bot {
        let child = spawn_bot_process(&monitor.socket, channel);
        monitor.wait_status(channel, "online");
        assert_eq!(bot_field(&monitor.db, channel, "pid").and_then(|p| p.parse().ok()), Some(child.id()));
        // The prober has seen the pid in /proc, so its end is noticed.
        wait_for("the pid looked up", Duration::from_secs(15), || {
            bot_field(&monitor.db, channel, "proc_start").is_some()
        });
        Bot { child }
    }

    fn kill(&mut self) -> Instant {
        self.child.kill().unwrap();
        let at = Instant::now();
        self.child.wait().unwrap();
        at
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

fn post_json(url: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    let mut response = agent().post(url).send_json(body).unwrap();
    (response.status().as_u16(), response.body_mut().read_json().unwrap_or_default())
}

fn delete(url: &str) -> (u16, serde_json::Value) {
    let mut response = agent().delete(url).call().unwrap();
    (response.status().as_u16(), response.body_mut().read_json().unwrap_or_default())
}

/// The value of the metric line that starts with `series` (name and labels).
fn metric(monitor: &Monitor, series: &str) -> Option<f64> {
    let text = monitor.get("/metrics").1;
    text.lines().find(|line| line.starts_with(series)).and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

#[test]
fn a_killed_bot_fires_once_and_resolves_when_a_new_process_registers() {
    let dir = TempDir::new();
    let receiver = Receiver::start(Answer::Statuses(vec![]));
    let check = Duration::from_secs(1);
    let monitor = Monitor::start(&dir, &["--check-every", "1s", "--alert-webhook", &receiver.url]);
    // Bot strings go out as JSON exactly as they came.
    let channel = "doomed \"one\" <b>*x*</b> \\ ü";
    let mut bot = Bot::start(&monitor, channel);
    let killed = bot.kill();
    let firing = receiver.wait_notice("firing", channel, 1);
    let latency = firing.at - killed;
    println!("SIGKILL to webhook: {latency:?}");
    // BotDead has `for = 0`: within the check interval + 0 + 1 s.
    assert!(latency <= check + Duration::from_secs(1), "the firing notice took {latency:?}");
    let body = &firing.body;
    assert_eq!(body["version"], "4");
    assert_eq!(body["receiver"], "webhook");
    let alert = &body["alerts"][0];
    assert_eq!(alert["labels"]["alertname"], "BotDead");
    assert_eq!(alert["labels"]["severity"], "critical");
    assert_eq!(alert["status"], "firing");
    assert_eq!(alert["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(alert["fingerprint"].as_str().unwrap().len(), 16);
    assert_eq!(firing.header("content-type"), Some("application/json"));
    assert!(firing.header(SIGNATURE).is_none(), "no secret, no signature");

    let alerts =
        monitor.wait_api("the alert in the API", "/api/v1/alerts", |a| active_alert(a, "BotDead", channel).is_some());
    assert_eq!(active_alert(&alerts, "BotDead", channel).unwrap()["state"], "firing");
    wait_for("the firing gauge", Duration::from_secs(15), || {
        metric(&monitor, "kissmon_alerts_firing{alertname=\"BotDead\",severity=\"critical\"}") == Some(1.0)
    });
    let status = stdout(&cli(&["status", "--db", monitor.db.to_str().unwrap()]));
    assert!(status.contains("alerts:") && status.contains("BotDead") && status.contains("critical"), "{status}");

    // A new process registers the channel: one resolved notice.
    let _again = Bot::start(&monitor, channel);
    let resolved = receiver.wait_notice("resolved", channel, 1);
    assert_eq!(resolved.body["alerts"][0]["fingerprint"], alert["fingerprint"]);
    assert_ne!(resolved.body["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    let alerts = monitor.wait_api("the alert in the history", "/api/v1/alerts", |a| {
        a["history"].as_array().is_some_and(|h| h.iter().any(|a| a["channel"] == channel && a["state"] == "resolved"))
    });
    assert!(active_alert(&alerts, "BotDead", channel).is_none());
    assert_eq!(receiver.notices("firing", channel).len(), 1, "exactly one firing notice");
    assert_eq!(receiver.notices("resolved", channel).len(), 1);
    wait_for("the delivered counter", Duration::from_secs(15), || {
        metric(&monitor, "kissmon_alert_notifications_total{notifier=\"webhook\",outcome=\"delivered\"}") == Some(2.0)
    });
    assert_eq!(
        metric(&monitor, "kissmon_alert_notifications_total{notifier=\"webhook\",outcome=\"failed\"}"),
        Some(0.0)
    );
}

const SIGNATURE: &str = "x-kissmon-signature";

#[test]
fn a_failing_receiver_gets_one_delivery_after_retries_and_a_signed_body() {
    let dir = TempDir::new();
    let receiver = Receiver::start(Answer::Statuses(vec![500, 500]));
    let config = dir.path("kissmon.toml");
    std::fs::write(
        &config,
        format!(
            "[alerts]\n\n[[alerts.notifier]]\nname = \"signed\"\nkind = \"webhook\"\nurl = \"{}\"\nhmac_secret = \"s3cret\"\n",
            receiver.url
        ),
    )
    .unwrap();
    let monitor = Monitor::start(&dir, &["--config", config.to_str().unwrap()]);
    let mut bot = Bot::start(&monitor, "flaky-receiver");
    bot.kill();
    let delivered = receiver.wait_notice("firing", "flaky-receiver", 3);
    assert_eq!(receiver.requests().len(), 3, "two failures, then the delivery");
    let expected = {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"s3cret");
        let tag = ring::hmac::sign(&key, delivered.raw.as_bytes());
        format!("sha256={}", tag.as_ref().iter().map(|b| format!("{b:02x}")).collect::<String>())
    };
    assert_eq!(delivered.header(SIGNATURE), Some(expected.as_str()));
    wait_for("the counters", Duration::from_secs(15), || {
        metric(&monitor, "kissmon_alert_notifications_total{notifier=\"signed\",outcome=\"delivered\"}") == Some(1.0)
            && metric(&monitor, "kissmon_alert_notifications_total{notifier=\"signed\",outcome=\"failed\"}")
                == Some(2.0)
    });
    wait_for("every attempt stored", Duration::from_secs(15), || {
        monitor
            .conn()
            .query_row("SELECT group_concat(outcome, ',') FROM alert_notifications ORDER BY id", [], |r| {
                r.get::<_, Option<String>>(0)
            })
            .ok()
            .flatten()
            .as_deref()
            == Some("failed,failed,delivered")
    });
}

#[test]
fn a_receiver_that_never_answers_holds_up_neither_ingest_nor_the_other_notifiers() {
    let dir = TempDir::new();
    let hung = Receiver::start(Answer::Never);
    let good = Receiver::start(Answer::Statuses(vec![]));
    let monitor = Monitor::start(&dir, &["--alert-webhook", &hung.url, "--alert-webhook", &good.url]);
    let mut bots: Vec<Bot> = (0..3).map(|i| Bot::start(&monitor, &format!("victim-{i}"))).collect();
    for bot in &mut bots {
        bot.kill();
    }
    // The hung receiver holds the first notice; the other notifier gets all three.
    for i in 0..3 {
        good.wait_notice("firing", &format!("victim-{i}"), 1);
    }
    wait_for("the hung receiver holding a request", Duration::from_secs(15), || hung.requests().len() == 1);
    let writer = client(&monitor.socket, "writer", Duration::from_secs(30));
    writer.register([("llm", true)]).unwrap();
    let before = monitor.counter("usage_calls_written").max(0);
    for i in 0..2000 {
        writer.log_llm_usage(kissmon::LlmUsage::new("model-a", "chat", 10 + i % 7, 5)).unwrap();
    }
    assert!(writer.flush(Duration::from_secs(15)));
    monitor.wait_counter("usage_calls_written", before + 2000);
    assert_eq!(hung.requests().len(), 1, "still the one held request");
}

#[test]
fn a_restart_while_firing_does_not_notify_again() {
    let dir = TempDir::new();
    let receiver = Receiver::start(Answer::Statuses(vec![]));
    let mut monitor = Monitor::start(&dir, &["--alert-webhook", &receiver.url]);
    let mut bot = Bot::start(&monitor, "restart-dead");
    bot.kill();
    let first = receiver.wait_notice("firing", "restart-dead", 1);
    monitor.stop();
    let first_log = monitor.log_text();
    let monitor = Monitor::start(&dir, &["--alert-webhook", &receiver.url]);
    let alerts = monitor.wait_api("the restored alert", "/api/v1/alerts", |a| {
        active_alert(a, "BotDead", "restart-dead").is_some_and(|a| a["state"] == "firing")
    });
    assert!(active_alert(&alerts, "BotDead", "restart-dead").unwrap()["last_notified_at"].is_string());
    // A later alert goes through the same queue: anything re-sent for the first would come before it.
    let mut later = Bot::start(&monitor, "restart-later");
    later.kill();
    receiver.wait_notice("firing", "restart-later", 1);
    let again = receiver.notices("firing", "restart-dead");
    let bodies: Vec<String> = receiver.requests().iter().map(|r| r.raw.clone()).collect();
    assert_eq!(
        again.len(),
        1,
        "notified once across the restart: {bodies:#?}\nfirst log:\n{first_log}\nlog:\n{}",
        monitor.log_text()
    );
    assert_eq!(again[0].body["alerts"][0]["fingerprint"], first.body["alerts"][0]["fingerprint"]);
}

#[test]
fn a_silence_holds_back_notices_and_its_end_lets_them_out() {
    let dir = TempDir::new();
    let receiver = Receiver::start(Answer::Statuses(vec![]));
    let monitor = Monitor::start(&dir, &["--alert-webhook", &receiver.url, "--http-token", "t0k3n"]);
    let url = monitor.http_url();
    // Without the token: refused.
    let (status, _) = post_json(
        &format!("{url}/api/v1/silences"),
        &serde_json::json!({"channel": "x", "duration": "1h", "comment": "c"}),
    );
    assert_eq!(status, 401);
    let with_token = |method: &str, path: &str, body: Option<serde_json::Value>| -> (u16, serde_json::Value) {
        let url = format!("{url}{path}");
        let mut response = match body {
            Some(body) => agent().post(&url).header("Authorization", "Bearer t0k3n").send_json(body),
            None if method == "DELETE" => agent().delete(&url).header("Authorization", "Bearer t0k3n").call(),
            None => agent().get(&url).header("Authorization", "Bearer t0k3n").call(),
        }
        .unwrap();
        (response.status().as_u16(), response.body_mut().read_json().unwrap_or_default())
    };
    let (status, err) = with_token(
        "POST",
        "/api/v1/silences",
        Some(serde_json::json!({"channel": "[oops", "duration": "1h", "comment": "c"})),
    );
    assert_eq!((status, err["error"]["code"].as_str()), (400, Some("bad_parameter")), "{err}");
    assert!(err["error"]["message"].as_str().unwrap().starts_with("channel: "), "{err}");
    let (status, silence) = with_token(
        "POST",
        "/api/v1/silences",
        Some(
            serde_json::json!({"rule": "BotDead", "channel": "quiet-*", "duration": "1h", "comment": "maintenance", "created_by": "ops"}),
        ),
    );
    assert_eq!(status, 201, "{silence}");
    let id = silence["id"].as_i64().unwrap();

    wait_for("the engine holding the silence", Duration::from_secs(15), || {
        http_get(&format!("{url}/metrics"), Some("t0k3n"))
            .1
            .lines()
            .any(|line| line == "kissmon_alert_silences_active 1.0")
    });
    let mut bot = Bot::start(&monitor, "quiet-1");
    bot.kill();
    let silenced =
        |a: &serde_json::Value| active_alert(a, "BotDead", "quiet-1").is_some_and(|a| a["silenced_by"] == id);
    let _ = wait_api_token(&monitor, "the alert silenced", silenced);
    // Another alert, not silenced, goes through the same queue and arrives.
    let mut loud = Bot::start(&monitor, "loud-1");
    loud.kill();
    receiver.wait_notice("firing", "loud-1", 1);
    assert!(receiver.notices("firing", "quiet-1").is_empty(), "the silence held it back");

    let (status, ended) = with_token("DELETE", &format!("/api/v1/silences/{id}"), None);
    assert_eq!(status, 200, "{ended}");
    receiver.wait_notice("firing", "quiet-1", 1);
    let (status, _) = with_token("DELETE", "/api/v1/silences/999999", None);
    assert_eq!(status, 404);
    let (_, list) = with_token("GET", "/api/v1/silences?all=true", None);
    assert_eq!(list["silences"][0]["id"], id);
    assert_eq!(list["silences"][0]["comment"], "maintenance");
    let _ = delete;
}

fn wait_api_token(monitor: &Monitor, what: &str, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let url = format!("{}/api/v1/alerts", monitor.http_url());
    let mut last = serde_json::Value::Null;
    wait_for(what, Duration::from_secs(15), || {
        last = serde_json::from_str(&http_get(&url, Some("t0k3n")).1).unwrap_or_default();
        done(&last)
    });
    last
}

#[test]
fn a_silence_that_runs_out_lets_the_notice_out_then() {
    let dir = TempDir::new();
    let receiver = Receiver::start(Answer::Statuses(vec![]));
    let monitor = Monitor::start(&dir, &["--alert-webhook", &receiver.url]);
    let db = monitor.db.to_str().unwrap().to_owned();
    let added = cli(&["silence", "add", "--db", &db, "--channel", "napper", "--for", "3s", "--comment", "deploy"]);
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(stdout(&added).starts_with("silence 1 added"), "{}", stdout(&added));
    let listed = stdout(&cli(&["silence", "list", "--db", &db]));
    assert!(listed.contains("napper") && listed.contains("deploy"), "{listed}");
    let bad = cli(&["silence", "add", "--db", &db, "--channel", "[x", "--for", "1h", "--comment", "c"]);
    assert!(!bad.status.success() && stderr(&bad).contains("channel: expected a glob"), "{}", stderr(&bad));
    let listed = stdout(&cli(&["silence", "list", "--db", &db, "--json"]));
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let ends_at = kissmon_server::time::parse_iso(listed[0]["ends_at"].as_str().unwrap()).unwrap();
    let ends = Instant::now() + ends_at.duration_since(std::time::SystemTime::now()).unwrap_or_default();
    // The CLI writes the database; the engine reads silences from it every second.
    wait_for("the engine holding the silence", Duration::from_secs(15), || {
        metric(&monitor, "kissmon_alert_silences_active") == Some(1.0)
    });
    let mut bot = Bot::start(&monitor, "napper");
    bot.kill();
    monitor.wait_api("the alert silenced", "/api/v1/alerts", |a| {
        active_alert(a, "BotDead", "napper").is_some_and(|a| a["silenced_by"] == 1)
    });
    let notice = receiver.wait_notice("firing", "napper", 1);
    assert!(notice.at + Duration::from_millis(20) >= ends, "notified before the silence ended");
    let expired = cli(&["silence", "expire", "--db", &db, "1"]);
    assert!(expired.status.success(), "{}", stderr(&expired));
    assert!(stdout(&cli(&["silence", "list", "--db", &db])).contains("no silences"));
}

#[test]
fn a_budget_crossed_once_notifies_once_per_level() {
    let dir = TempDir::new();
    let receiver = Receiver::start(Answer::Statuses(vec![]));
    let config = dir.path("kissmon.toml");
    std::fs::write(
        &config,
        format!(
            "[alerts]\nusage_every = \"200ms\"\n\n\
             [[alerts.rule]]\nname = \"TokenBudget\"\nkind = \"budget\"\nmeasure = \"tokens\"\nmodel = \"gpt-*\"\n\
             per_channel = true\nwindow = \"1h\"\nlimit = 1000\nwarning = 80\ncritical = 100\n\n\
             [[alerts.notifier]]\nname = \"chat\"\nkind = \"webhook\"\nurl = \"{}\"\nrules = [\"Token*\"]\n",
            receiver.url
        ),
    )
    .unwrap();
    let monitor = Monitor::start(&dir, &["--config", config.to_str().unwrap()]);
    let spender = client(&monitor.socket, "spender", Duration::from_secs(30));
    spender.register([("llm", true)]).unwrap();
    let spend = |tokens_in: u64, model: &str| {
        spender.log_llm_usage(kissmon::LlmUsage::new(model, "chat", tokens_in, 0)).unwrap();
        assert!(spender.flush(Duration::from_secs(15)));
    };
    spend(850, "other-model");
    spend(850, "gpt-4o");
    let warning = receiver.wait_notice("firing", "spender", 1);
    assert_eq!(warning.body["alerts"][0]["labels"]["severity"], "warning");
    assert_eq!(warning.body["alerts"][0]["labels"]["alertname"], "TokenBudget");
    spend(200, "gpt-4o");
    let critical = receiver.wait_notice("firing", "spender", 2);
    assert_eq!(critical.body["alerts"][0]["labels"]["severity"], "critical");
    spend(100, "gpt-4o");
    // Evaluated again with the new sum (its summary says so), and still one notice per level.
    monitor.wait_api("the budget evaluated at 1150 tokens", "/api/v1/alerts", |a| {
        a["active"].as_array().is_some_and(|alerts| {
            alerts.iter().filter(|a| a["summary"].as_str().unwrap_or("").contains("tokens 1150 of 1000")).count() == 2
        })
    });
    assert_eq!(receiver.notices("firing", "spender").len(), 2);
}

#[test]
fn a_bad_alerts_config_is_refused_naming_file_line_and_key() {
    let dir = TempDir::new();
    let cases = [
        (
            "[alerts]\n[[alerts.rule]]\nname = \"X\"\nkind = \"liveness\"\nstatus = \"dead\"\ncolour = \"red\"\n",
            ":6: alerts: unknown field `colour`",
        ),
        (
            "[alerts]\n[[alerts.rule]]\nname = \"X\"\nkind = \"liveness\"\nstatus = \"dead\"\nchannel = \"bot-[0-9\"\n",
            ":6: alerts.rule \"X\": channel: expected a glob",
        ),
        (
            "[alerts]\n[[alerts.rule]]\nname = \"X\"\nkind = \"liveness\"\nstatus = \"dead\"\nfor = \"soon\"\n",
            ":6: alerts.rule \"X\": for: expected a duration",
        ),
        (
            "[alerts]\n\n[[alerts.notifier]]\nname = \"n\"\nkind = \"slack\"\nurl = \"ftp://hooks\"\n",
            ":6: alerts.notifier \"n\": url: the scheme \"ftp\" cannot be reached",
        ),
    ];
    for (text, expected) in cases {
        let config = dir.path("bad.toml");
        std::fs::write(&config, text).unwrap();
        let log = serve_must_fail(&dir.socket(), &dir.db(), &["--config", config.to_str().unwrap()]);
        assert!(log.contains(&format!("{}{expected}", config.display())), "expected {expected:?} in:\n{log}");
    }
    let log = serve_must_fail(&dir.socket(), &dir.db(), &["--alert-webhook", "gopher://x"]);
    assert!(log.contains("--alert-webhook") && log.contains("\"gopher\" cannot be reached"), "{log}");
}
