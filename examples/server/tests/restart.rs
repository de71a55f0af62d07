//! The socket and the lifecycle: restart with clients attached, never
//! stealing a live monitor's socket, replacing a stale one, the socket mode.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;
use support::*;

#[test]
fn clients_come_back_online_after_a_monitor_restart_without_doing_anything() {
    let dir = TempDir::new();
    let mut monitor = Monitor::start(&dir, &[]);
    let bots: Vec<kissmon::MonitorClient> = ["alpha", "beta", "gamma"]
        .iter()
        .map(|channel| {
            let bot = client(&monitor.socket, channel, Duration::from_millis(200));
            bot.register([("llm", true)]).unwrap();
            bot.start_heartbeat(Duration::from_millis(200)).unwrap();
            bot
        })
        .collect();
    for channel in ["alpha", "beta", "gamma"] {
        monitor.wait_status(channel, "online");
    }

    monitor.stop();
    assert!(!monitor.socket.exists(), "the socket file is removed on stop");
    // The rows say the monitor stopped, not that the bots went offline.
    for channel in ["alpha", "beta", "gamma"] {
        assert_eq!(monitor.status(channel).as_deref(), Some("unknown"));
        assert_eq!(bot_field(&monitor.db, channel, "status_reason").as_deref(), Some("monitor_stopped"));
    }
    let stopped_at: String = monitor
        .conn()
        .query_row("SELECT value FROM kissmon_meta WHERE key = 'monitor_stopped_at'", [], |r| r.get(0))
        .unwrap();
    assert!(stopped_at.ends_with('Z'), "{stopped_at:?}");
    let status = cli(&["status", "--db", dir.db().to_str().unwrap()]);
    assert!(stdout(&status).contains("monitor stopped at"), "{}", stdout(&status));

    let monitor = Monitor::start(&dir, &[]);
    // The clients reconnect on their own (backoff up to 5 s) and replay their registration.
    for channel in ["alpha", "beta", "gamma"] {
        monitor.wait_status(channel, "online");
    }
    for bot in &bots {
        assert!(bot.stats().reconnects >= 1, "{:?}", bot.stats());
    }
    let changes: Vec<String> = monitor
        .conn()
        .prepare("SELECT from_status || '->' || to_status || ' ' || reason FROM bot_transitions WHERE channel = 'alpha' AND from_status IS NOT NULL ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(changes, ["online->unknown monitor_stopped", "unknown->online register"]);
    for bot in &bots {
        assert!(bot.close(Duration::from_secs(5)));
    }
    for channel in ["alpha", "beta", "gamma"] {
        monitor.wait_status(channel, "offline");
    }
}

#[test]
fn a_bot_that_died_while_the_monitor_was_down_is_found_dead_after_the_restart() {
    let dir = TempDir::new();
    let mut monitor = Monitor::start(&dir, &[]);
    let mut child = std::process::Command::new("sleep").arg("60").spawn().unwrap();
    let mut conn = connect(&monitor.socket);
    let line = format!(
        "{{\"type\":\"register\",\"channel\":\"ghost\",\"pid\":{},\"features\":{{}},\"heartbeat_interval_s\":0.1}}\n",
        child.id()
    );
    send(&mut conn, line.as_bytes());
    wait_for("the pid looked up", Duration::from_secs(10), || bot_field(&monitor.db, "ghost", "proc_start").is_some());
    monitor.stop();
    assert_eq!(monitor.status("ghost").as_deref(), Some("unknown"));
    child.kill().unwrap();
    child.wait().unwrap();
    let monitor = Monitor::start(&dir, &[]);
    monitor.wait_status("ghost", "dead");
}

#[test]
fn a_live_monitors_socket_is_never_taken() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let log = serve_must_fail(&monitor.socket, &dir.path("second.db"), &[]);
    assert!(log.contains("another monitor is already listening on"), "{log}");
    assert!(log.contains(&format!("(pid {})", monitor.pid())), "{log}");
    // The first one still serves.
    send_once(&monitor.socket, &format!("{{\"type\":\"heartbeat\",\"channel\":\"still\",\"pid\":{}}}\n", me()));
    monitor.wait_status("still", "online");
}

#[test]
fn a_stale_socket_file_is_replaced_and_a_regular_file_is_not() {
    let dir = TempDir::new();
    let socket = dir.socket();
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    assert!(socket.exists(), "a socket file nobody listens on");
    let monitor = Monitor::start(&dir, &[]);
    send_once(&socket, &format!("{{\"type\":\"heartbeat\",\"channel\":\"fresh\",\"pid\":{}}}\n", me()));
    monitor.wait_status("fresh", "online");
    drop(monitor);

    let file = dir.path("not-a-socket");
    std::fs::write(&file, "precious").unwrap();
    let log = serve_must_fail(&file, &dir.path("other.db"), &[]);
    assert!(log.contains("exists and is not a socket"), "{log}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious");
}

#[test]
fn the_socket_is_0660_by_default_and_as_configured_otherwise() {
    let dir = TempDir::new();
    let mut monitor = Monitor::start(&dir, &[]);
    let mode = std::fs::metadata(&monitor.socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o660);
    monitor.stop_with(libc::SIGINT);
    assert!(!monitor.socket.exists(), "SIGINT removes the socket file too");

    let monitor = Monitor::start(&dir, &["--socket-mode", "0600"]);
    let mode = std::fs::metadata(&monitor.socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
