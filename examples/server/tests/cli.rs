//! `status` and `usage`: tables, JSON, `--since`, and clear errors for a
//! missing, foreign or earlier-monitor database.

mod support;

use serde_json::Value;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::*;

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

#[test]
fn status_and_usage_print_tables_and_json_while_the_monitor_runs() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let db = dir.db();
    let db = db.to_str().unwrap();
    let bot = client(&monitor.socket, "el_serda", Duration::from_secs(30));
    bot.register([("llm", true), ("translator", false)]).unwrap();
    let pid = me();
    let mut conn = connect(&monitor.socket);
    let two_days_ago = now() - 2.0 * 86_400.0;
    let lines = format!(
        "{{\"type\":\"heartbeat\",\"channel\":\"legacy\",\"pid\":{pid}}}\n\
         {{\"type\":\"llm_usage\",\"channel\":\"el_serda\",\"model\":\"gpt-4\",\"feature\":\"jokes\",\"tokens_in\":145,\"tokens_out\":87,\"latency_ms\":1850,\"ts\":{now}}}\n\
         {{\"type\":\"llm_usage\",\"channel\":\"el_serda\",\"model\":\"gpt-4\",\"feature\":\"jokes\",\"tokens_in\":100,\"tokens_out\":50,\"count\":3,\"ts\":{now}}}\n\
         {{\"type\":\"llm_usage\",\"channel\":\"el_serda\",\"model\":\"gpt-4\",\"feature\":\"riddles\",\"tokens_in\":1000,\"tokens_out\":1000,\"ts\":{two_days_ago}}}\n",
        now = now()
    );
    send(&mut conn, lines.as_bytes());
    monitor.wait_status("el_serda", "online");
    monitor.wait_status("legacy", "online");
    monitor.wait_counter("usage_calls_written", 5);

    let output = cli(&["status", "--db", db]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.contains(&format!("monitor pid {}", monitor.pid())), "{table}");
    let header = table.lines().find(|l| l.starts_with("CHANNEL")).expect(&table);
    for column in ["PID", "STATUS", "LAST SEEN", "LANG", "FEATURES"] {
        assert!(header.contains(column), "{header}");
    }
    let row = table.lines().find(|l| l.starts_with("el_serda")).expect(&table);
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[..3], ["el_serda", pid.to_string().as_str(), "online"]);
    assert!(cells.contains(&"rust") && cells.contains(&"llm,-translator"), "{row}");
    assert!(table.contains("llm_usage, 0 bad"), "{table}");

    let output = cli(&["status", "--db", db, "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let status: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let bots = status["bots"].as_array().unwrap();
    assert_eq!(bots.len(), 2);
    let el = bots.iter().find(|b| b["channel"] == "el_serda").unwrap();
    assert_eq!(el["pid"], pid);
    assert_eq!(el["status"], "online");
    assert_eq!(el["lang"], "rust");
    assert_eq!(el["features"], serde_json::json!({"llm": true, "translator": false}));
    assert!(el["last_seen_age_s"].as_f64().unwrap() < 60.0);
    assert_eq!(status["counters"]["lines_llm_usage"], 3);

    let output = cli(&["usage", "--db", db]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    let row = table.lines().find(|l| l.starts_with("el_serda")).expect(&table);
    assert_eq!(row.split_whitespace().take(6).collect::<Vec<_>>(), ["el_serda", "gpt-4", "jokes", "4", "245", "137"]);
    assert!(!table.contains("riddles"), "two days old, outside --since 24h:\n{table}");

    let output = cli(&["usage", "--db", db, "--since", "all", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let usage: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(usage["since"], Value::Null);
    assert_eq!(usage["total_calls"], 5);
    assert_eq!(usage["total_tokens_in"], 1245);
    let riddles = usage["lines"].as_array().unwrap().iter().find(|l| l["feature"] == "riddles").unwrap();
    assert_eq!(riddles["calls"], 1);

    let output = cli(&["usage", "--db", db, "--since", "72h", "--json"]);
    let usage: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(usage["total_calls"], 5);

    // The same reports from the monitor's HTTP API, once its fleet snapshot
    // has caught up with the database.
    let url = monitor.http_url();
    monitor.wait_api("both bots online in the API", "/api/v1/bots", |list| {
        let online =
            |c: &str| list["bots"].as_array().unwrap().iter().any(|b| b["channel"] == c && b["status"] == "online");
        online("el_serda") && online("legacy")
    });
    let json = |args: &[&str]| -> Value {
        let output = cli(args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        serde_json::from_str(&stdout(&output)).unwrap()
    };
    for since in ["24h", "all"] {
        let local = json(&["usage", "--db", db, "--since", since, "--json"]);
        let remote = json(&["usage", "--url", &url, "--since", since, "--json"]);
        for field in ["lines", "total_calls", "total_tokens_in", "total_tokens_out", "total_cost_usd"] {
            assert_eq!(local[field], remote[field], "usage --since {since}: {field}");
        }
    }
    let remote = json(&["status", "--url", &url, "--json"]);
    let remote_el = remote["bots"].as_array().unwrap().iter().find(|b| b["channel"] == "el_serda").unwrap();
    for field in ["pid", "status", "lang", "features", "registered_at", "heartbeat_interval_s"] {
        assert_eq!(el[field], remote_el[field], "status --url: {field}");
    }
    assert_eq!(remote["monitor"]["pid"], monitor.pid().to_string());
    assert_eq!(remote["counters"]["lines_llm_usage"], 3);
    let output = cli(&["status", "--url", &url]);
    assert!(stdout(&output).lines().any(|l| l.starts_with("el_serda")), "{}", stdout(&output));
}

#[test]
fn status_over_http_names_a_missing_token_and_an_unreachable_monitor() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &["--http-token", "tok-123"]);
    let url = monitor.http_url();
    let output = cli(&["status", "--url", &url]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--token"), "{}", stderr(&output));
    let output = cli(&["status", "--url", &url, "--token", "tok-123"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output =
        Command::new(BIN).args(["status", "--url", &url]).env("KISSMON_HTTP_TOKEN", "tok-123").output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let output = cli(&["usage", "--url", "http://127.0.0.1:1"]);
    assert!(stderr(&output).contains("cannot reach the monitor at http://127.0.0.1:1"), "{}", stderr(&output));
    let output = cli(&["usage", "--url", "https://example.invalid"]);
    assert!(stderr(&output).contains("--url"), "{}", stderr(&output));
}

#[test]
fn a_missing_or_foreign_database_is_named_in_a_clear_error() {
    let dir = TempDir::new();
    let missing = dir.path("nowhere.db");
    for command in ["status", "usage"] {
        let output = cli(&[command, "--db", missing.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(1));
        let err = stderr(&output);
        assert!(err.contains("nowhere.db") && err.contains("does not exist"), "{err}");
        assert!(!missing.exists(), "{command} must not create the file");
    }

    let text = dir.path("notes.txt");
    std::fs::write(&text, "shopping list: milk, eggs, and a lot more text than a header".repeat(20)).unwrap();
    let output = cli(&["status", "--db", text.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("is not a SQLite database"), "{}", stderr(&output));

    let foreign = dir.path("shop.db");
    rusqlite::Connection::open(&foreign).unwrap().execute_batch("CREATE TABLE customers (name TEXT);").unwrap();
    for command in ["status", "usage"] {
        let output = cli(&[command, "--db", foreign.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(1));
        let err = stderr(&output);
        assert!(err.contains("is not a kissmon monitor database") && err.contains("customers"), "{err}");
    }
    let log = serve_must_fail(&dir.socket(), &foreign, &[]);
    assert!(log.contains("is not a kissmon monitor database"), "{log}");
    assert!(!dir.socket().exists(), "no socket is bound for a foreign database");
}

#[test]
fn bad_arguments_are_named() {
    let dir = TempDir::new();
    let db = dir.db();
    for (args, name) in [
        (vec!["usage", "--db", db.to_str().unwrap(), "--since", "three parsecs"], "--since"),
        (vec!["serve", "--socket-mode", "999"], "--socket-mode"),
        (vec!["serve", "--stale-floor", "0s"], "--stale-floor"),
        (vec!["demo", "--duration", "3"], "--duration"),
    ] {
        let output = cli(&args);
        assert!(!output.status.success(), "{args:?}");
        assert!(stderr(&output).contains(name), "{args:?}: {}", stderr(&output));
    }
}

/// The earlier monitor's tables exactly, with a row in each.
const LEGACY: &str = "
CREATE TABLE bot_status (channel TEXT PRIMARY KEY, pid INTEGER NOT NULL, status TEXT NOT NULL,
    features_json TEXT NOT NULL, registered_at TEXT NOT NULL, last_seen TEXT NOT NULL);
CREATE TABLE llm_usage (id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, channel TEXT NOT NULL,
    model TEXT NOT NULL, feature TEXT NOT NULL, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, latency_ms REAL);
CREATE TABLE bot_metrics (id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, channel TEXT NOT NULL,
    pid INTEGER NOT NULL, rss_mb REAL NOT NULL, cpu_pct REAL NOT NULL, features_json TEXT NOT NULL);
INSERT INTO bot_status VALUES ('old_bot', 4242, 'offline', '{\"llm\": true}', '2025-12-06T09:00:00.000000', '2025-12-06T09:21:25.000000');
INSERT INTO llm_usage (ts, channel, model, feature, tokens_in, tokens_out, latency_ms)
    VALUES ('2025-12-06T09:10:00.000000', 'old_bot', 'gpt-4', 'jokes', 10, 20, 300.0);
";

#[test]
fn an_earlier_monitors_database_is_read_and_then_extended_in_place() {
    let dir = TempDir::new();
    let db = dir.db();
    rusqlite::Connection::open(&db).unwrap().execute_batch(LEGACY).unwrap();
    let path = db.to_str().unwrap();

    let output = cli(&["status", "--db", path, "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let status: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(status["bots"][0]["channel"], "old_bot");
    assert_eq!(status["bots"][0]["status"], "offline");
    assert_eq!(status["bots"][0]["lang"], Value::Null);
    let output = cli(&["usage", "--db", path, "--since", "all", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let usage: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(usage["total_calls"], 1);

    let mut monitor = Monitor::start(&dir, &[]);
    let bot = client(&monitor.socket, "new_bot", Duration::from_secs(30));
    bot.register([("llm", true)]).unwrap();
    bot.log_llm_usage(kissmon::LlmUsage::new("gpt-4", "jokes", 1, 2)).unwrap();
    monitor.wait_status("new_bot", "online");
    monitor.wait_counter("usage_rows_written", 1);
    monitor.stop();
    assert_eq!(monitor.status("old_bot").as_deref(), Some("offline"), "the old rows are kept");
    let output = cli(&["usage", "--db", path, "--since", "all", "--json"]);
    let usage: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(usage["total_calls"], 2, "the old row counts as one call");
    let old_count: i64 =
        monitor.conn().query_row("SELECT count FROM llm_usage WHERE channel = 'old_bot'", [], |r| r.get(0)).unwrap();
    assert_eq!(old_count, 1);
}
