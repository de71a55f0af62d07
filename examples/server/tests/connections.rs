//! 10,000 connections held at once, each still read.

mod support;

use std::os::unix::net::UnixStream;
use std::time::Duration;
use support::*;

const CONNECTIONS: usize = 10_000;

fn raise_open_files_limit() -> libc::rlim_t {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit on one rlimit struct.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
    }
    limit.rlim_cur
}

#[test]
fn ten_thousand_connections_are_held_and_read() {
    let limit = raise_open_files_limit();
    assert!(
        limit > CONNECTIONS as u64 + 100,
        "this test needs RLIMIT_NOFILE above {CONNECTIONS}, the hard limit is {limit}"
    );
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &["--log", "warn"]);
    let pid = me();
    let mut conns: Vec<UnixStream> = Vec::with_capacity(CONNECTIONS);
    for i in 0..CONNECTIONS {
        let mut conn = UnixStream::connect(&monitor.socket).unwrap_or_else(|err| panic!("connection {i}: {err}"));
        send(&mut conn, format!("{{\"type\":\"heartbeat\",\"channel\":\"conn-{i}\",\"pid\":{pid}}}\n").as_bytes());
        conns.push(conn);
    }
    // 10,000 of everything in a debug build takes 10 to 30 s of cpu; on a
    // 2-core machine shared with other builds that is more than the usual 15 s.
    let long = Duration::from_secs(120);
    monitor.wait_counter_within("lines_heartbeat", CONNECTIONS as i64, long);
    monitor.wait_counter_within("connections_open", CONNECTIONS as i64, long);
    let online: i64 =
        monitor.conn().query_row("SELECT COUNT(*) FROM bot_status WHERE status = 'online'", [], |r| r.get(0)).unwrap();
    assert_eq!(online, CONNECTIONS as i64);
    // Every connection is still read: the first and the last ones get a second line through.
    for i in [0, CONNECTIONS - 1] {
        let line = format!("{{\"type\":\"unregister\",\"channel\":\"conn-{i}\",\"pid\":{pid}}}\n");
        send(&mut conns[i], line.as_bytes());
        monitor.wait_status_within(&format!("conn-{i}"), "offline", long);
    }
    drop(conns);
    monitor.wait_counter_within("connections_open", 0, long);
}
