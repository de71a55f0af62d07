//! online, stale, dead, offline and back, with short intervals, through real
//! `kissmon::MonitorClient`s and raw lines on a real socket.

mod support;

use std::time::{Duration, SystemTime};
use support::*;

fn transitions(monitor: &Monitor, channel: &str) -> Vec<String> {
    monitor
        .conn()
        .prepare(
            "SELECT COALESCE(from_status, '') || '->' || to_status FROM bot_transitions WHERE channel = ?1 ORDER BY id",
        )
        .unwrap()
        .query_map([channel], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_silent_bot_goes_stale_and_a_heartbeat_brings_it_back_online() {
    let dir = TempDir::new();
    // Announces 100 ms: stale after max(2.5 x 100 ms, the floor of 1 s), a margin for busy CI machines.
    let monitor = Monitor::start(&dir, &["--stale-floor", "1s"]);
    let bot = client(&monitor.socket, "sleepy", Duration::from_millis(100));
    bot.register([("llm", true)]).unwrap();
    bot.start_heartbeat(Duration::from_millis(100)).unwrap();
    monitor.wait_status("sleepy", "online");
    assert_eq!(bot_field(&monitor.db, "sleepy", "heartbeat_interval_s").as_deref(), Some("0.1"));
    assert_eq!(bot_field(&monitor.db, "sleepy", "lang").as_deref(), Some("rust"));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(monitor.status("sleepy").as_deref(), Some("online"), "heartbeats keep it online");

    bot.stop_heartbeat();
    monitor.wait_status("sleepy", "stale");
    let reason = bot_field(&monitor.db, "sleepy", "status_reason").unwrap();
    assert!(reason.starts_with("no heartbeat for") && reason.contains("stale after 1.0s"), "{reason}");

    bot.heartbeat();
    monitor.wait_status("sleepy", "online");
    assert_eq!(bot_field(&monitor.db, "sleepy", "status_reason").as_deref(), Some("heartbeat"));
    assert_eq!(transitions(&monitor, "sleepy"), ["->online", "online->stale", "stale->online"]);
}

#[test]
fn a_bot_whose_process_is_killed_is_dead() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let mut child = std::process::Command::new("sleep").arg("60").spawn().unwrap();
    let bot = kissmon::MonitorClient::builder("doomed")
        .socket_path(&monitor.socket)
        .pid(child.id())
        .heartbeat_interval(Duration::from_secs(30))
        .build()
        .unwrap();
    bot.register([("llm", true)]).unwrap();
    monitor.wait_status("doomed", "online");
    // The prober has seen the pid in /proc: it is local, and its start time is kept.
    wait_for("the pid looked up", Duration::from_secs(10), || bot_field(&monitor.db, "doomed", "proc_start").is_some());
    assert_eq!(bot_field(&monitor.db, "doomed", "pid_unverified").as_deref(), Some("0"));
    assert_eq!(bot_field(&monitor.db, "doomed", "peer_mismatch").as_deref(), Some("1"), "the client is not the child");

    child.kill().unwrap();
    child.wait().unwrap();
    monitor.wait_status("doomed", "dead");
    let reason = bot_field(&monitor.db, "doomed", "status_reason").unwrap();
    assert_eq!(reason, format!("pid {} no longer exists", child.id()));
    assert_eq!(transitions(&monitor, "doomed"), ["->online", "online->dead"]);
}

#[test]
fn unregister_makes_a_bot_offline_and_a_heartbeat_brings_it_back() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let bot = client(&monitor.socket, "leaver", Duration::from_secs(30));
    bot.register([("llm", true)]).unwrap();
    monitor.wait_status("leaver", "online");
    assert!(bot.close(Duration::from_secs(5)));
    monitor.wait_status("leaver", "offline");
    assert_eq!(bot_field(&monitor.db, "leaver", "status_reason").as_deref(), Some("unregister: close"));

    // A heartbeat from a bot the monitor does not watch brings it in, online.
    let mut conn = connect(&monitor.socket);
    send(&mut conn, format!("{{\"type\":\"heartbeat\",\"channel\":\"leaver\",\"pid\":{}}}\n", me()).as_bytes());
    send(&mut conn, format!("{{\"type\":\"heartbeat\",\"channel\":\"stranger\",\"pid\":{}}}\n", me()).as_bytes());
    monitor.wait_status("leaver", "online");
    monitor.wait_status("stranger", "online");
    assert_eq!(
        bot_field(&monitor.db, "stranger", "status_reason").as_deref(),
        Some("heartbeat from a bot not registered with this monitor")
    );
    // The registry keeps an offline bot for --forget-after, so the return names where it came from.
    assert_eq!(transitions(&monitor, "leaver"), ["->online", "online->offline", "offline->online"]);

    // An unregister naming another pid than the registered one is ignored and counted.
    send(&mut conn, b"{\"type\":\"unregister\",\"channel\":\"stranger\",\"pid\":1}\n");
    monitor.wait_counter("unregister_ignored", 1);
    assert_eq!(monitor.status("stranger").as_deref(), Some("online"));
}

#[test]
fn a_pid_not_visible_here_is_kept_and_flagged_never_dead() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let far_away = 2_147_480_000u32;
    let mut conn = connect(&monitor.socket);
    let line = format!(
        "{{\"type\":\"register\",\"channel\":\"elsewhere\",\"pid\":{far_away},\"features\":{{}},\"heartbeat_interval_s\":30}}\n"
    );
    send(&mut conn, line.as_bytes());
    monitor.wait_status("elsewhere", "online");
    wait_for("pid_unverified", Duration::from_secs(10), || {
        bot_field(&monitor.db, "elsewhere", "pid_unverified").as_deref() == Some("1")
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(monitor.status("elsewhere").as_deref(), Some("online"), "not declared dead");
    assert!(monitor.log_text().contains("not visible in /proc"), "{}", monitor.log_text());
}

#[test]
fn metrics_are_sampled_for_local_bots_and_old_rows_are_deleted() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &["--retention", "1s"]);
    let bot = client(&monitor.socket, "measured", Duration::from_secs(30));
    bot.register([("llm", true)]).unwrap();
    monitor.wait_status("measured", "online");
    let rows = |monitor: &Monitor| -> i64 {
        monitor
            .conn()
            .query_row("SELECT COUNT(*) FROM bot_metrics WHERE channel = 'measured'", [], |r| r.get(0))
            .unwrap()
    };
    wait_for("metrics rows", Duration::from_secs(10), || rows(&monitor) >= 3);
    let (pid, rss_mb, cpu_pct, features): (u32, f64, f64, String) = monitor
        .conn()
        .query_row("SELECT pid, rss_mb, cpu_pct, features_json FROM bot_metrics ORDER BY id DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    assert_eq!(pid, me());
    assert!(rss_mb > 1.0 && rss_mb < 10_000.0, "rss_mb {rss_mb}");
    assert!(cpu_pct >= 0.0, "cpu_pct {cpu_pct}");
    assert_eq!(features, r#"{"llm":true}"#);
    // Retention of 1 s: rows older than that go on the next sampling.
    wait_for("old metrics deleted", Duration::from_secs(10), || monitor.counter("metrics_rows_deleted") > 0);
    let oldest: String = monitor.conn().query_row("SELECT MIN(ts) FROM bot_metrics", [], |r| r.get(0)).unwrap();
    let oldest = humantime::parse_rfc3339(&oldest).unwrap();
    let age = SystemTime::now().duration_since(oldest).unwrap_or_default();
    assert!(age < Duration::from_secs(3), "the oldest metrics row is {age:?} old");
}
