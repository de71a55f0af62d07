//! Several monitors on one real PostgreSQL (a throw-away cluster each test):
//! the fleet view in `status`, `usage` and the HTTP API (one bot's history,
//! transitions, the usage table, across monitors), a monitor killed with
//! SIGKILL while the other keeps writing, a PostgreSQL restarted under load
//! without losing a call the monitor took, alerts and fleet-wide silences
//! stored in PostgreSQL with real bot processes and a webhook receiver, one
//! live monitor per `--monitor-id`, the acks marks of instances gone for
//! `--retention` deleted, and the schema kept equivalent to
//! SQLite's. They need PostgreSQL's binaries (initdb, pg_ctl, psql), so they
//! are ignored by plain `cargo test`: `examples/server/test-postgres.sh`
//! runs them.

mod pg;
mod receiver;
mod support;

use pg::Cluster;
use receiver::{Answer, Receiver};
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
        PgMonitor::try_start(dir, name, url, extra).unwrap_or_else(|log| panic!("monitor {name} exited:\n{log}"))
    }

    /// Starts `serve` as monitor `name`, or returns its log when it exits instead.
    fn try_start(dir: &TempDir, name: &str, url: &str, extra: &[&str]) -> Result<PgMonitor, String> {
        PgMonitor::try_start_on(dir, None, name, url, extra)
    }

    /// Starts monitor `name` again on the socket an earlier one had (its clients come back).
    fn restart_on(dir: &TempDir, socket: &Path, name: &str, url: &str) -> PgMonitor {
        PgMonitor::try_start_on(dir, Some(socket), name, url, &[])
            .unwrap_or_else(|log| panic!("monitor {name} exited:\n{log}"))
    }

    fn try_start_on(
        dir: &TempDir,
        socket: Option<&Path>,
        name: &str,
        url: &str,
        extra: &[&str],
    ) -> Result<PgMonitor, String> {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = socket.map_or_else(|| dir.path(&format!("{name}-{n}.sock")), Path::to_path_buf);
        let log = dir.path(&format!("{name}-{n}.log"));
        let child = Command::new(BIN)
            .args(["serve", "--socket"])
            .arg(&socket)
            .args(["--db", url, "--monitor-id", name])
            // `extra` flags replace the same flags of FAST.
            .args(FAST.chunks(2).filter(|pair| !extra.contains(&pair[0])).flatten())
            .args(extra)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut monitor = PgMonitor { child: Some(child), socket, log };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = monitor.child.as_mut().unwrap().try_wait().unwrap() {
                monitor.child = None;
                return Err(format!("exit {status}\n{}", monitor.log_text()));
            }
            if UnixStream::connect(&monitor.socket).is_ok() {
                return Ok(monitor);
            }
            assert!(Instant::now() < deadline, "monitor {name} did not listen within 30 s:\n{}", monitor.log_text());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
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

    fn get(&self, path: &str) -> (u16, String) {
        http_get(&format!("{}{path}", self.http_url()), None)
    }

    fn get_json(&self, path: &str) -> serde_json::Value {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// GETs `path` until `done` holds for its JSON.
    fn wait_api(&self, what: &str, path: &str, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let mut last = serde_json::Value::Null;
        wait_for(what, Duration::from_secs(60), || {
            last = self.get_json(path);
            done(&last)
        });
        last
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
    let usage = east.get_json("/api/v1/usage?since=1h&monitor=west");
    assert_eq!(usage["totals"]["calls"], 2 * 250, "one monitor's calls: {usage:#}");
    fleet_history_over_http(&east, &west);

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
    wait_for("west to hold its --monitor-id again", Duration::from_secs(30), || {
        west.log_text().contains("this monitor holds --monitor-id west again")
    });

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

/// One bot's history, transitions, the usage table and alert history, read
/// from either monitor's API: every monitor's rows, a bot being (monitor_id, channel).
fn fleet_history_over_http(east: &PgMonitor, west: &PgMonitor) {
    // east's worker-2, read through west's API: its monitor, its calls, its transitions.
    let detail = west.wait_api("east's worker-2 with a sample, from west", "/api/v1/bots/worker-2?monitor=east", |d| {
        d["samples"].as_array().is_some_and(|s| !s.is_empty())
    });
    assert_eq!(detail["monitor_id"], "east");
    assert_eq!(detail["bot"]["channel"], "worker-2");
    assert_eq!(detail["usage"][0]["calls"], 250, "{detail:#}");
    assert_eq!(detail["usage"][0]["model"], "gpt-4o");
    let transitions = detail["transitions"].as_array().unwrap();
    assert!(!transitions.is_empty() && transitions.iter().all(|t| t["monitor_id"] == "east"), "{detail:#}");
    assert_eq!(transitions.last().unwrap()["to"], "online");
    // Without ?monitor=, a bot of west itself: west has no worker-2.
    let (status, body) = west.get("/api/v1/bots/worker-2");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("no bot with this channel on monitor west"), "{body}");
    let (status, body) = west.get("/api/v1/bots/worker-2?monitor=nowhere");
    assert_eq!(status, 404, "{body}");
    let (status, body) = west.get("/api/v1/bots/worker-2?monitor=");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("monitor: a monitor id is 1 to 128 bytes"), "{body}");

    // Transitions: every monitor's, each with its monitor; ?monitor= one monitor's.
    let all = east.get_json("/api/v1/transitions?limit=1000");
    let seen: BTreeSet<(String, String)> = all["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["monitor_id"].as_str().unwrap().to_owned(), t["channel"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(seen.len(), 5, "{all:#}");
    let west_only = east.get_json("/api/v1/transitions?monitor=west&limit=1000");
    let west_only = west_only["transitions"].as_array().unwrap();
    assert_eq!(west_only.len(), 2, "{west_only:#?}");
    assert!(west_only.iter().all(|t| t["monitor_id"] == "west"));

    // The dashboard's usage table: a row per (monitor, channel, model, feature).
    let table = west.get_json("/api/v1/usage/table?since=1h");
    let rows: BTreeMap<(String, String), i64> = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let key = (r["monitor_id"].as_str().unwrap().to_owned(), r["channel"].as_str().unwrap().to_owned());
            assert_eq!(r["p50_latency_ms"], 120.0, "{r}");
            (key, r["calls"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(rows.len(), 5, "{table:#}");
    assert!(rows.values().all(|calls| *calls == 250), "{table:#}");
    let table = west.get_json("/api/v1/usage/table?since=1h&monitor=east&channel=worker-0");
    assert_eq!(table["rows"].as_array().unwrap().len(), 1, "{table:#}");
    // A series in minute buckets (the dashboard's chart) sums to the total.
    let usage = west.get_json("/api/v1/usage?since=1h&bucket=1m&group_by=model");
    let series = usage["series"].as_array().unwrap();
    assert!(
        !series.is_empty() && series.iter().all(|b| b["start"].as_str().unwrap().ends_with(":00.000000Z")),
        "{usage:#}"
    );
    assert_eq!(series.iter().map(|b| b["calls"].as_i64().unwrap()).sum::<i64>(), 5 * 250, "{usage:#}");
    // Alert history and silences are read from PostgreSQL too (none yet).
    assert_eq!(west.get_json("/api/v1/alerts")["history"], serde_json::json!([]));
    assert_eq!(west.get_json("/api/v1/silences")["silences"], serde_json::json!([]));
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
    let monitor = PgMonitor::restart_on(&dir, &monitor.socket, "solo", &url);
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

#[test]
#[ignore = "needs PostgreSQL: examples/server/test-postgres.sh runs it"]
fn the_mark_of_an_instance_gone_for_the_retention_is_deleted_on_postgres() {
    let cluster = Cluster::start();
    let url = cluster.create_database("prune");
    let dir = TempDir::new();
    let monitor = PgMonitor::start(&dir, "solo", &url, &["--retention", "1s"]);
    let acked = |name: &str| {
        let bot = client(&monitor.socket, name, Duration::from_secs(30));
        bot.register([("llm", true)]).unwrap();
        // Until the first ack, a flush means written, not stored.
        wait_for("the monitor's first ack", Duration::from_secs(30), || bot.stats().acks_active);
        bot.log_llm_usage(kissmon::LlmUsage::new("m", "f", 1, 1)).unwrap();
        assert!(bot.flush(Duration::from_secs(60)) && bot.stats().acked == 1, "{:?}", bot.stats());
        bot
    };
    let marks = || cluster.psql("prune", "SELECT COUNT(*) FROM usage_acks WHERE monitor_id = 'solo'");
    // `stays` keeps its connection; `gone` writes after it, then closes.
    let _stays = acked("stays");
    let gone = acked("gone");
    assert_eq!(marks(), "2");
    assert!(gone.close(Duration::from_secs(10)));
    wait_for("one mark left", Duration::from_secs(30), || marks() == "1");
    let left = cluster.psql(
        "prune",
        "SELECT b.channel FROM usage_acks a JOIN bot_status b ON b.monitor_id = a.monitor_id \
         AND b.instance = a.instance WHERE a.monitor_id = 'solo'",
    );
    assert_eq!(left, "stays", "the connected client keeps its mark");
    let pruned = "SELECT value FROM monitor_counters WHERE monitor_id = 'solo' AND name = 'usage_acks_pruned'";
    wait_for("usage_acks_pruned counted", Duration::from_secs(15), || cluster.psql("prune", pruned) == "1");
}

/// A real bot process: this test binary run again as `bot_process`, with a
/// client that lives and dies with it, so that SIGKILL ends both at once.
struct BotProcess {
    child: Child,
}

/// The body of a bot process (see [`BotProcess`]).
#[test]
#[ignore = "a helper: BotProcess::start runs it as a bot process of its own"]
fn bot_process() {
    let Some((socket, channel)) = bot_process_args() else { return };
    let client = client(&socket, &channel, Duration::from_secs(30));
    client.register([("llm", true)]).unwrap();
    bot_process_ready_then_wait();
}

impl BotProcess {
    /// Starts one on `monitor` and waits until the monitor has it online and its prober has seen its pid.
    fn start(cluster: &Cluster, database: &str, monitor: &PgMonitor, name: &str, channel: &str) -> BotProcess {
        let child = spawn_bot_process(&monitor.socket, channel);
        let sql = format!(
            "SELECT status || ' ' || pid || ' ' || (proc_start IS NOT NULL) FROM bot_status \
             WHERE monitor_id = '{name}' AND channel = '{channel}'"
        );
        let want = format!("online {} true", child.id());
        wait_for(&format!("{channel} online on {name}, its pid looked up"), Duration::from_secs(30), || {
            cluster.psql(database, &sql) == want
        });
        BotProcess { child }
    }

    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the metric line that starts with `series`.
fn metric(monitor: &PgMonitor, series: &str) -> Option<f64> {
    let text = monitor.get("/metrics").1;
    text.lines().find(|line| line.starts_with(series)).and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

/// Alerts of two monitors on one PostgreSQL, with a real webhook receiver:
/// a silence made with the CLI holds on both monitors and its end, through
/// one monitor's API, lets both notify; alerts carry their monitor; alert
/// state, attempts and silences are PostgreSQL rows; a budget reads the
/// monitor's own llm_usage there; a restart while firing notifies nothing again.
#[test]
#[ignore = "needs PostgreSQL: examples/server/test-postgres.sh runs it"]
fn alerts_and_fleet_wide_silences_live_in_postgres() {
    let cluster = Cluster::start();
    let url = cluster.create_database("alerts");
    let dir = TempDir::new();
    let receiver = Receiver::start(Answer::Statuses(vec![]));
    let config = dir.path("kissmon.toml");
    std::fs::write(
        &config,
        format!(
            "[alerts]\nusage_every = \"200ms\"\n\n\
             [[alerts.rule]]\nname = \"TokenBudget\"\nkind = \"budget\"\nmeasure = \"tokens\"\nmodel = \"gpt-*\"\n\
             per_channel = true\nwindow = \"1h\"\nlimit = 1000\nwarning = 80\ncritical = 1000\n\n\
             [[alerts.notifier]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"{}\"\n",
            receiver.url
        ),
    )
    .unwrap();
    let args = ["--check-every", "1s", "--config", config.to_str().unwrap()];
    let mut east = PgMonitor::start(&dir, "east", &url, &args);
    let west = PgMonitor::start(&dir, "west", &url, &args);

    let added = cli(&["silence", "add", "--db", &url, "--channel", "quiet-*", "--for", "1h", "--comment", "maint"]);
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(stdout(&added).starts_with("silence 1 added"), "{}", stdout(&added));
    for monitor in [&east, &west] {
        wait_for("both engines holding the silence", Duration::from_secs(30), || {
            metric(monitor, "kissmon_alert_silences_active") == Some(1.0)
        });
    }
    let listed = stdout(&cli(&["silence", "list", "--db", &url]));
    assert!(listed.contains("quiet-*") && listed.contains("maint"), "{listed}");

    let mut quiet_east = BotProcess::start(&cluster, "alerts", &east, "east", "quiet-1");
    let mut quiet_west = BotProcess::start(&cluster, "alerts", &west, "west", "quiet-2");
    let mut loud = BotProcess::start(&cluster, "alerts", &east, "east", "loud-1");
    quiet_east.kill();
    quiet_west.kill();
    loud.kill();
    let notice = receiver.wait_notice("firing", "loud-1", 1);
    assert_eq!(notice.body["alerts"][0]["labels"]["monitor_id"], "east", "{:#}", notice.body);
    assert_eq!(notice.body["alerts"][0]["labels"]["alertname"], "BotDead");
    let silenced = |name: &'static str, channel: &'static str| {
        move |a: &serde_json::Value| {
            active_alert(a, "BotDead", channel).is_some_and(|a| a["silenced_by"] == 1) && !name.is_empty()
        }
    };
    east.wait_api("quiet-1 silenced on east", "/api/v1/alerts", silenced("east", "quiet-1"));
    west.wait_api("quiet-2 silenced on west", "/api/v1/alerts", silenced("west", "quiet-2"));
    assert!(receiver.notices("firing", "quiet-1").is_empty() && receiver.notices("firing", "quiet-2").is_empty());
    // Firing alerts, each with its monitor, are rows in PostgreSQL, and `status` shows them all.
    wait_for("three firing alerts stored", Duration::from_secs(30), || {
        cluster.psql(
            "alerts",
            "SELECT string_agg(monitor_id || '/' || channel, ',' ORDER BY channel) FROM alerts WHERE state = 'firing'",
        ) == "east/loud-1,east/quiet-1,west/quiet-2"
    });
    let status = cli_json(&["status", "--db", &url, "--json"]);
    let firing: BTreeSet<(String, String)> = status["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["monitor_id"].as_str().unwrap().to_owned(), a["channel"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(firing.len(), 3, "{status:#}");

    // A budget reads this monitor's own llm_usage in PostgreSQL.
    let mut spender = Bot::register(&west.socket, "spender");
    spender.log_usage(8);
    let budget = receiver.wait_notice("firing", "spender", 1);
    assert_eq!(budget.body["alerts"][0]["labels"]["alertname"], "TokenBudget");
    assert_eq!(budget.body["alerts"][0]["labels"]["monitor_id"], "west");

    // The silence ends through west's API: both monitors notify what it held back.
    let url_west = west.http_url();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent.delete(&format!("{url_west}/api/v1/silences/1")).call().unwrap();
    assert_eq!(response.status().as_u16(), 200, "{}", response.body_mut().read_to_string().unwrap_or_default());
    let quiet = receiver.wait_notice("firing", "quiet-1", 1);
    assert_eq!(quiet.body["alerts"][0]["labels"]["monitor_id"], "east");
    let quiet = receiver.wait_notice("firing", "quiet-2", 1);
    assert_eq!(quiet.body["alerts"][0]["labels"]["monitor_id"], "west");
    // Every attempt is a row, with the monitor that made it.
    wait_for("the delivered attempts stored", Duration::from_secs(30), || {
        cluster.psql(
            "alerts",
            "SELECT string_agg(monitor_id || ':' || outcome, ',' ORDER BY monitor_id, alert_key) FROM alert_notifications",
        ) == "east:delivered,east:delivered,west:delivered,west:delivered"
    });
    // East read its own usage all along and never saw west's spender.
    let budgets: Vec<_> = receiver
        .requests()
        .into_iter()
        .filter(|r| r.body["alerts"][0]["labels"]["alertname"] == "TokenBudget")
        .collect();
    assert_eq!(
        budgets.len(),
        1,
        "one budget alert, west's: {:#?}",
        budgets.iter().map(|r| &r.body).collect::<Vec<_>>()
    );

    // A restart while firing: east finds its alerts in PostgreSQL and notifies nothing again.
    assert!(east.signal(libc::SIGTERM).success());
    let east = PgMonitor::start(&dir, "east", &url, &args);
    let alerts = east.wait_api("east's alerts restored", "/api/v1/alerts", |a| {
        active_alert(a, "BotDead", "loud-1")
            .is_some_and(|a| a["state"] == "firing" && a["last_notified_at"].is_string())
    });
    assert!(active_alert(&alerts, "BotDead", "quiet-2").is_none(), "west's alert stays west's: {alerts:#}");
    let mut later = BotProcess::start(&cluster, "alerts", &east, "east", "later-1");
    later.kill();
    receiver.wait_notice("firing", "later-1", 1);
    assert_eq!(receiver.notices("firing", "loud-1").len(), 1, "notified once across the restart");
    assert_eq!(receiver.notices("firing", "quiet-1").len(), 1);
    drop(west);
}

/// Cuts `name`'s lock connection and takes its lock on a connection of the
/// test's own before the monitor takes it back (it waits 100 ms first; the
/// race is run again until the test wins it). Dropped, it frees the lock.
fn steal_lock(cluster: &Cluster, url: &str, name: &str) -> (tokio::runtime::Runtime, tokio_postgres::Client) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let target = kissmon_server::store::postgres::Target::parse(url, "thief").unwrap();
    let client = runtime.block_on(target.connect()).unwrap();
    let key = kissmon_server::store::postgres::lease::key(name);
    let sessions = |what: &str| {
        format!(
            "SELECT {what} FROM pg_stat_activity WHERE application_name = 'kissmon-server {name} (monitor id lock)'"
        )
    };
    for _ in 0..20 {
        wait_for("the lock connection to be there", Duration::from_secs(30), || {
            cluster.psql("postgres", &sessions("count(*)")) == "1"
        });
        assert_eq!(cluster.psql("postgres", &sessions("count(pg_terminate_backend(pid))")), "1");
        let deadline = Instant::now() + Duration::from_millis(90);
        while Instant::now() < deadline {
            let row = runtime.block_on(client.query_one("SELECT pg_try_advisory_lock($1)", &[&key])).unwrap();
            if row.get::<_, bool>(0) {
                return (runtime, client);
            }
        }
    }
    panic!("the monitor took its lock back first, 20 times");
}

/// A second monitor with a live monitor's --monitor-id is refused, naming
/// the first; the id survives its lock connection being cut; and a SIGKILL
/// of the first frees it.
#[test]
#[ignore = "needs PostgreSQL: examples/server/test-postgres.sh runs it"]
fn a_monitor_id_is_held_by_one_live_monitor() {
    let cluster = Cluster::start();
    let url = cluster.create_database("ids");
    let dir = TempDir::new();
    let mut first = PgMonitor::start(&dir, "east", &url, &[]);
    let first_pid = first.pid();
    wait_for("east's pid in kissmon_meta", Duration::from_secs(30), || {
        cluster.psql("ids", "SELECT value FROM kissmon_meta WHERE monitor_id = 'east' AND key = 'monitor_pid'")
            == first_pid.to_string()
    });
    let refused = |why: &str| {
        let log = PgMonitor::try_start(&dir, "east", &url, &["--http", "off"])
            .err()
            .unwrap_or_else(|| panic!("a second east started ({why})"));
        assert!(
            log.contains("--monitor-id east is in use by another monitor (pid ")
                && log.contains(&format!("pid {first_pid}"))
                && log.contains("give each monitor its own --monitor-id"),
            "{why}: {log}"
        );
        assert!(!log.contains("listening on"), "{log}");
        println!("refused {why}: {}", log.lines().last().unwrap_or_default());
    };
    refused("while the first runs");
    // Another id on the same database is fine.
    let other = PgMonitor::start(&dir, "west", &url, &["--http", "off"]);

    // The lock's connection is cut: the first takes the lock again, and the id stays its own.
    let cut = cluster.psql(
        "postgres",
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'kissmon-server east (monitor id lock)'",
    );
    assert_eq!(cut, "1");
    wait_for("east to hold its id again", Duration::from_secs(30), || {
        first.log_text().contains("this monitor holds --monitor-id east again")
    });
    refused("after the lock's connection was cut and taken again");

    // Cut again, and something else takes the id before east can: east says
    // so in /healthz (503) and its log, and takes the id back once it is free.
    let stolen = steal_lock(&cluster, &url, "east");
    let health = |first: &PgMonitor| first.get("/healthz");
    wait_for("east's /healthz to name the conflict", Duration::from_secs(30), || {
        let (status, body) = health(&first);
        status == 503 && body.contains("--monitor-id east is in use by another monitor")
    });
    assert!(first.log_text().contains("while this monitor's lock connection was down, --monitor-id east is in use"));
    drop(stolen);
    wait_for("east to take its id back", Duration::from_secs(30), || health(&first).0 == 200);
    assert_eq!(first.log_text().matches("this monitor holds --monitor-id east again").count(), 2);

    // SIGKILL: PostgreSQL ends the session as the socket closes, and the id is free.
    assert!(!first.signal(libc::SIGKILL).success());
    let mut again = None;
    let mut last = String::new();
    wait_for("east to start again after the SIGKILL", Duration::from_secs(30), || {
        match PgMonitor::try_start(&dir, "east", &url, &[]) {
            Ok(monitor) => again = Some(monitor),
            Err(log) => last = log,
        }
        again.is_some()
    });
    assert!(last.is_empty() || last.contains("is in use by"), "{last}");
    drop(again);
    drop(other);
}
