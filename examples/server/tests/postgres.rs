//! Several monitors on one real PostgreSQL (a throw-away cluster each test):
//! the fleet view in `status`, `usage` and the HTTP API, a monitor killed
//! with SIGKILL while the other keeps writing, a PostgreSQL restarted under
//! load without losing a call the monitor took, and the schema kept
//! equivalent to SQLite's. They need PostgreSQL's binaries (initdb, pg_ctl,
//! psql), so they are ignored by plain `cargo test`:
//! `examples/server/test-postgres.sh` runs them.

mod pg;
mod support;

use pg::Cluster;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

/// A `serve --db postgres://...` process.
struct PgMonitor {
    child: Option<Child>,
    socket: PathBuf,
    log: PathBuf,
}

impl PgMonitor {
    fn start(dir: &TempDir, name: &str, url: &str, extra: &[&str]) -> PgMonitor {
        let socket = dir.path(&format!("{name}.sock"));
        let log = dir.path(&format!("{name}.log"));
        let child = Command::new(BIN)
            .args(["serve", "--socket"])
            .arg(&socket)
            .args(["--db", url, "--monitor-id", name])
            .args(FAST)
            .args(extra)
            .env_remove("RUST_LOG")
            // Its alert state file (kept in the temp dir with PostgreSQL) goes in the test's dir.
            .env("TMPDIR", &dir.0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut monitor = PgMonitor { child: Some(child), socket, log };
        wait_for(&format!("monitor {name} to listen"), Duration::from_secs(30), || {
            if let Some(status) = monitor.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("monitor {name} exited with {status}:\n{}", monitor.log_text());
            }
            UnixStream::connect(&monitor.socket).is_ok()
        });
        monitor
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn http_url(&self) -> String {
        let mut url = None;
        wait_for("the HTTP address in the log", Duration::from_secs(20), || {
            url = self.log_text().lines().find_map(|line| {
                let rest = &line[line.find("HTTP API on http://")? + "HTTP API on ".len()..];
                Some(rest[..rest.find("/api/v1/")?].to_owned())
            });
            url.is_some()
        });
        url.unwrap()
    }

    fn get_json(&self, path: &str) -> serde_json::Value {
        let (status, body) = http_get(&format!("{}{path}", self.http_url()), None);
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    fn signal(&mut self, signal: libc::c_int) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the monitor did not stop within 60 s:\n{}", self.log_text());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for PgMonitor {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A bot on a raw connection: register, then llm_usage lines with known sums.
struct Bot {
    conn: UnixStream,
    channel: String,
    calls: u64,
    tokens_in: u64,
    tokens_out: u64,
}

impl Bot {
    fn register(socket: &Path, channel: &str) -> Bot {
        let mut conn = connect(socket);
        let line = format!(
            "{{\"type\":\"register\",\"channel\":\"{channel}\",\"pid\":{},\"features\":{{\"llm\":true}},\"heartbeat_interval_s\":60}}\n",
            me()
        );
        conn.write_all(line.as_bytes()).unwrap();
        Bot { conn, channel: channel.to_owned(), calls: 0, tokens_in: 0, tokens_out: 0 }
    }

    /// `n` calls in one write.
    fn log_usage(&mut self, n: u64) {
        let mut text = String::new();
        for i in 0..n {
            let (tokens_in, tokens_out) = (100 + (self.calls + i) % 7, 10 + (self.calls + i) % 3);
            self.tokens_in += tokens_in;
            self.tokens_out += tokens_out;
            text.push_str(&format!(
                "{{\"type\":\"llm_usage\",\"channel\":\"{}\",\"model\":\"gpt-4o\",\"feature\":\"chat\",\"tokens_in\":{tokens_in},\"tokens_out\":{tokens_out},\"latency_ms\":120,\"cost_usd\":0.001}}\n",
                self.channel
            ));
        }
        self.calls += n;
        self.conn.write_all(text.as_bytes()).unwrap();
    }
}

fn cli_json(args: &[&str]) -> serde_json::Value {
    let output = cli(args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

/// `usage --json` lines summed per (monitor_id, channel): (calls, tokens_in, tokens_out).
fn usage_by_bot(url: &str) -> BTreeMap<(String, String), (i64, i64, i64)> {
    let usage = cli_json(&["usage", "--db", url, "--since", "all", "--json"]);
    let mut sums = BTreeMap::new();
    for line in usage["lines"].as_array().unwrap() {
        let key = (line["monitor_id"].as_str().unwrap().to_owned(), line["channel"].as_str().unwrap().to_owned());
        let entry: &mut (i64, i64, i64) = sums.entry(key).or_default();
        entry.0 += line["calls"].as_i64().unwrap();
        entry.1 += line["tokens_in"].as_i64().unwrap();
        entry.2 += line["tokens_out"].as_i64().unwrap();
    }
    sums
}

fn expected(monitor: &str, bot: &Bot) -> ((String, String), (i64, i64, i64)) {
    ((monitor.to_owned(), bot.channel.clone()), (bot.calls as i64, bot.tokens_in as i64, bot.tokens_out as i64))
}

#[test]
#[ignore = "needs PostgreSQL: examples/server/test-postgres.sh runs it"]
fn two_monitors_share_one_database_and_survive_a_kill_and_a_postgres_restart() {
    let mut cluster = Cluster::start();
    let url = cluster.create_database("fleet");
    let dir = TempDir::new();
    let mut east = PgMonitor::start(&dir, "east", &url, &[]);
    let mut west = PgMonitor::start(&dir, "west", &url, &[]);

    let mut east_bots: Vec<Bot> = (0..3).map(|i| Bot::register(&east.socket, &format!("worker-{i}"))).collect();
    let mut west_bots: Vec<Bot> = (0..2).map(|i| Bot::register(&west.socket, &format!("worker-{i}"))).collect();
    for bot in east_bots.iter_mut().chain(west_bots.iter_mut()) {
        bot.log_usage(250);
    }

    // status: both sets, each bot with its monitor; the same channel on two hosts is two bots.
    let mut status = serde_json::Value::Null;
    wait_for("status --db to show both monitors' bots", Duration::from_secs(60), || {
        status = cli_json(&["status", "--db", &url, "--json"]);
        status["bots"].as_array().unwrap().len() == 5
    });
    let bots: BTreeSet<(String, String)> = status["bots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["monitor_id"].as_str().unwrap().to_owned(), b["channel"].as_str().unwrap().to_owned()))
        .collect();
    let wanted: BTreeSet<(String, String)> = east_bots
        .iter()
        .map(|b| ("east".to_owned(), b.channel.clone()))
        .chain(west_bots.iter().map(|b| ("west".to_owned(), b.channel.clone())))
        .collect();
    assert_eq!(bots, wanted);
    assert!(status["bots"].as_array().unwrap().iter().all(|b| b["status"] == "online"), "{status:#}");
    let monitors: Vec<&str> =
        status["monitors"].as_array().unwrap().iter().map(|m| m["monitor_id"].as_str().unwrap()).collect();
    assert_eq!(monitors, ["east", "west"]);
    let table = stdout(&cli(&["status", "--db", &url]));
    assert!(table.contains("MONITOR") && table.contains("east") && table.contains("west"), "{table}");

    // usage: totals equal what the bots logged.
    let want: BTreeMap<_, _> =
        east_bots.iter().map(|b| expected("east", b)).chain(west_bots.iter().map(|b| expected("west", b))).collect();
    wait_for("usage --db to equal what the bots logged", Duration::from_secs(60), || usage_by_bot(&url) == want);

    // The HTTP API of either monitor shows the whole fleet and its usage.
    let fleet = west.get_json("/api/v1/fleet");
    assert_eq!(fleet["storage"], "postgresql");
    assert_eq!(fleet["bots"].as_array().unwrap().len(), 5, "{fleet:#}");
    let usage = east.get_json("/api/v1/usage?since=1h&group_by=channel");
    assert_eq!(usage["totals"]["calls"], 5 * 250, "{usage:#}");

    // SIGKILL one monitor: the other keeps writing.
    let killed = east.signal(libc::SIGKILL);
    assert!(!killed.success());
    for bot in &mut west_bots {
        bot.log_usage(100);
    }
    let want: BTreeMap<_, _> =
        east_bots.iter().map(|b| expected("east", b)).chain(west_bots.iter().map(|b| expected("west", b))).collect();
    wait_for("west's calls after east was killed", Duration::from_secs(60), || usage_by_bot(&url) == want);

    // PostgreSQL goes away and comes back while a bot keeps logging: every
    // call the monitor took is stored once it is back, none twice.
    let sender = std::thread::spawn({
        let mut bot = west_bots.pop().unwrap();
        move || {
            for _ in 0..40 {
                bot.log_usage(50);
                std::thread::sleep(Duration::from_millis(50));
            }
            bot
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    cluster.stop();
    std::thread::sleep(Duration::from_millis(1500));
    cluster.restart_after_stop();
    west_bots.push(sender.join().unwrap());
    let want: BTreeMap<_, _> =
        east_bots.iter().map(|b| expected("east", b)).chain(west_bots.iter().map(|b| expected("west", b))).collect();
    wait_for("every call taken while PostgreSQL restarted", Duration::from_secs(90), || usage_by_bot(&url) == want);
    let log = west.log_text();
    assert!(log.contains("retrying"), "the writer saw PostgreSQL go away:\n{log}");

    // A clean stop flushes; nothing was lost to storage errors.
    let stopped = west.signal(libc::SIGTERM);
    assert!(stopped.success(), "{}", west.log_text());
    let status = cli_json(&["status", "--db", &url, "--json"]);
    assert_eq!(status["counters"]["storage_rows_lost"], 0, "{status:#}");
    let west_monitor = status["monitors"].as_array().unwrap().iter().find(|m| m["monitor_id"] == "west").unwrap();
    assert!(west_monitor["stopped_at"].is_string(), "{status:#}");
    let west_rows: Vec<&serde_json::Value> =
        status["bots"].as_array().unwrap().iter().filter(|b| b["monitor_id"] == "west").collect();
    assert!(west_rows.iter().all(|b| b["status"] == "unknown"), "{status:#}");
    let east_rows: Vec<&serde_json::Value> =
        status["bots"].as_array().unwrap().iter().filter(|b| b["monitor_id"] == "east").collect();
    assert!(east_rows.iter().all(|b| b["status"] == "online"), "a killed monitor leaves its rows as they were");
    drop(east_bots);
}

#[test]
#[ignore = "needs PostgreSQL: examples/server/test-postgres.sh runs it"]
fn a_monitor_restarted_on_postgres_picks_up_its_own_bots_only() {
    let cluster = Cluster::start();
    let url = cluster.create_database("restart");
    let dir = TempDir::new();
    let mut one = PgMonitor::start(&dir, "one", &url, &[]);
    let two = PgMonitor::start(&dir, "two", &url, &[]);
    let _a = Bot::register(&one.socket, "alpha");
    let _b = Bot::register(&two.socket, "beta");
    wait_for("both bots stored", Duration::from_secs(60), || {
        cli_json(&["status", "--db", &url, "--json"])["bots"].as_array().unwrap().len() == 2
    });
    assert!(one.signal(libc::SIGTERM).success());
    let one = PgMonitor::start(&dir, "one", &url, &[]);
    let bots = one.get_json("/api/v1/bots");
    let channels: Vec<&str> = bots["bots"].as_array().unwrap().iter().map(|b| b["channel"].as_str().unwrap()).collect();
    assert_eq!(channels, ["alpha"], "its own bots, watched again; not the other monitor's");
    drop(two);
}

#[test]
#[ignore = "needs PostgreSQL: examples/server/test-postgres.sh runs it"]
fn bad_urls_and_unreachable_databases_are_named() {
    let dir = TempDir::new();
    let log = serve_must_fail(&dir.socket(), Path::new("postgres://kissmon@127.0.0.1:1/nowhere"), &["--http", "off"]);
    assert!(log.contains("cannot connect to postgres://kissmon@127.0.0.1:1/nowhere"), "{log}");
    let log = serve_must_fail(&dir.socket(), Path::new("postgres://u:s3cret@127.0.0.1:1/x"), &["--http", "off"]);
    assert!(log.contains("postgres://u:***@127.0.0.1:1/x") && !log.contains("s3cret"), "the password is hidden: {log}");
    let output = cli(&["status", "--db", "postgres://kissmon@127.0.0.1:1/nowhere"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("cannot connect"), "{}", stderr(&output));

    let cluster = Cluster::start();
    let output = cli(&["usage", "--db", &cluster.url()]);
    assert!(stderr(&output).contains("kissmon's tables do not exist"), "{}", stderr(&output));
}

/// The tables and columns of a new SQLite database and a new PostgreSQL one,
/// apart from `monitor_id` and PostgreSQL's own bookkeeping tables.
#[test]
#[ignore = "needs PostgreSQL: examples/server/test-postgres.sh runs it"]
fn the_postgres_schema_matches_sqlite_s_apart_from_monitor_id() {
    use kissmon_server::store::postgres::migrate::{self, POSTGRES_ONLY_TABLES};
    let cluster = Cluster::start();
    let url = cluster.create_database("schema");
    let dir = TempDir::new();
    let conn = kissmon_server::store::open_for_writing(&dir.db()).unwrap();
    let mut sqlite: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for table in tables {
        let columns: BTreeSet<String> = conn
            .prepare(&format!("PRAGMA table_info({table})"))
            .unwrap()
            .query_map([], |row| row.get(1))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        sqlite.insert(table, columns);
    }

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let postgres: BTreeMap<String, BTreeSet<String>> = runtime.block_on(async {
        let target = kissmon_server::store::postgres::Target::parse(&url, "schema-test").unwrap();
        let mut client = target.connect().await.unwrap();
        migrate::migrate(&mut client, &url).await.unwrap();
        // Twice: a migrated database is left as it is.
        migrate::migrate(&mut client, &url).await.unwrap();
        assert_eq!(migrate::version(&client).await.unwrap(), migrate::LATEST);
        let rows = client
            .query(
                "SELECT table_name::text, column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema()",
                &[],
            )
            .await
            .unwrap();
        let mut tables: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for row in rows {
            let (table, column): (String, String) = (row.get(0), row.get(1));
            if POSTGRES_ONLY_TABLES.contains(&table.as_str()) {
                continue;
            }
            tables.entry(table).or_default().insert(column);
        }
        tables
    });
    for (table, columns) in &postgres {
        assert!(columns.contains("monitor_id"), "{table} has no monitor_id");
    }
    let without_monitor: BTreeMap<String, BTreeSet<String>> = postgres
        .into_iter()
        .map(|(table, mut columns)| {
            columns.remove("monitor_id");
            (table, columns)
        })
        .collect();
    assert_eq!(
        without_monitor, sqlite,
        "the PostgreSQL schema (left) and SQLite's (right) differ: a step was added to one list \
         (store/migrate.rs, store/postgres/migrate.rs) and not to the other"
    );
    let schema_version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
    assert_eq!(schema_version, i64::from(migrate::LATEST), "the two lists have as many steps");
}

#[test]
fn the_fleet_endpoint_on_sqlite_is_this_monitor_s_registry() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &["--monitor-id", "solo"]);
    let _bot = Bot::register(&monitor.socket, "lonely");
    let fleet = monitor.wait_api("the bot in /api/v1/fleet", "/api/v1/fleet", |fleet| {
        fleet["bots"].as_array().is_some_and(|bots| bots.len() == 1)
    });
    assert_eq!(fleet["storage"], "sqlite");
    assert_eq!(fleet["monitor_id"], "solo");
    assert_eq!(fleet["bots"][0]["monitor_id"], "solo");
    assert_eq!(fleet["bots"][0]["channel"], "lonely");
    assert_eq!(fleet["monitors"][0]["monitor_id"], "solo");
}

#[test]
#[ignore = "needs PostgreSQL: examples/server/test-postgres.sh runs it"]
fn acknowledged_usage_survives_a_monitor_killed_on_postgres_exactly_once() {
    let cluster = Cluster::start();
    let url = cluster.create_database("acks");
    let dir = TempDir::new();
    let mut monitor = PgMonitor::start(&dir, "solo", &url, &[]);
    let bot = client(&monitor.socket, "acked", Duration::from_secs(1));
    bot.register([("llm", true)]).unwrap();
    let (mut calls, mut tokens_in) = (0u64, 0u64);
    let mut log = |n: u64| {
        for _ in 0..n {
            calls += 1;
            tokens_in += 100 + calls % 7;
            bot.log_llm_usage(kissmon::LlmUsage::new("gpt-4o", "chat", 100 + calls % 7, 10)).unwrap();
        }
    };
    log(500);
    wait_for("acks from the monitor on PostgreSQL", Duration::from_secs(60), || {
        let stats = bot.stats();
        stats.acks_active && stats.acked > 0
    });
    // Killed with lines read and not yet committed, or committed and not yet acked.
    log(2000);
    assert!(!monitor.signal(libc::SIGKILL).success());
    log(500);
    let monitor = PgMonitor::start(&dir, "solo", &url, &[]);
    log(500);
    assert!(bot.flush(Duration::from_secs(90)), "every call acknowledged: {:?}\n{}", bot.stats(), monitor.log_text());
    let stats = bot.stats();
    assert_eq!(stats.unacked, 0, "{stats:?}");
    let sums = cluster.psql(
        "acks",
        "SELECT SUM(count) || ',' || SUM(tokens_in) || ',' || SUM(tokens_out) FROM llm_usage WHERE channel = 'acked'",
    );
    assert_eq!(sums, format!("{calls},{tokens_in},{}", calls * 10), "exact totals: {stats:?}");
    let twice = cluster.psql(
        "acks",
        "SELECT COUNT(*) FROM (SELECT instance, seq FROM llm_usage WHERE seq IS NOT NULL \
         GROUP BY monitor_id, instance, seq HAVING COUNT(*) > 1) t",
    );
    assert_eq!(twice, "0", "no (instance, seq) stored twice");
    let mark = cluster.psql("acks", "SELECT MAX(seq) FROM usage_acks WHERE monitor_id = 'solo'");
    assert!(mark.parse::<u64>().unwrap() > 0, "the mark is stored: {mark}");
}
