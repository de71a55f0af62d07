//! Protocol 1.1 against the real monitor: acks only after the commit, each
//! (instance, seq) stored once, across a SIGKILL and a restart too.

mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixStream;
use std::time::Duration;
use support::*;

const INSTANCE: &str = "feedc0de00000001";

fn register_line(channel: &str) -> String {
    format!(
        "{{\"type\":\"register\",\"channel\":\"{channel}\",\"pid\":{},\"features\":{{}},\"acks\":true,\"v\":1,\"instance\":\"{INSTANCE}\"}}\n",
        me()
    )
}

fn usage_line(channel: &str, seq: u64) -> String {
    format!(
        "{{\"type\":\"llm_usage\",\"channel\":\"{channel}\",\"model\":\"m\",\"feature\":\"f\",\"tokens_in\":{seq},\"tokens_out\":1,\"pid\":{},\"seq\":{seq},\"v\":1,\"instance\":\"{INSTANCE}\"}}\n",
        me()
    )
}

/// Reads ack lines until one says at least `seq`; returns the acks read.
fn read_acks_until(reader: &mut BufReader<UnixStream>, seq: u64) -> Vec<u64> {
    reader.get_ref().set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut acks = Vec::new();
    loop {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "the monitor closed before acking {seq}; acks {acks:?}");
        let ack = kissmon::Ack::decode(line.trim_end().as_bytes()).unwrap_or_else(|| panic!("not an ack: {line:?}"));
        acks.push(ack.seq);
        if ack.seq >= seq {
            return acks;
        }
    }
}

fn sums(monitor: &Monitor) -> (i64, i64, i64) {
    monitor
        .conn()
        .query_row("SELECT COUNT(*), COALESCE(SUM(tokens_in), 0), COUNT(DISTINCT seq) FROM llm_usage", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap()
}

#[test]
fn acks_follow_commits_and_resent_lines_are_stored_once_across_a_kill() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let mut conn = connect(&monitor.socket);
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    send(&mut conn, register_line("acker").as_bytes());
    assert_eq!(read_acks_until(&mut reader, 0), [0], "a register asking for acks is answered at once");
    for seq in 1..=5 {
        send(&mut conn, usage_line("acker", seq).as_bytes());
    }
    read_acks_until(&mut reader, 5);
    // Acked means committed: the rows and the mark are in SQLite now.
    assert_eq!(sums(&monitor), (5, 15, 5));
    let mark: i64 =
        monitor.conn().query_row("SELECT seq FROM usage_acks WHERE instance = ?1", [INSTANCE], |r| r.get(0)).unwrap();
    assert_eq!(mark, 5);

    // The same connection writes 4..=7 again (as after a lost ack): 4 and 5 are copies.
    for seq in 4..=7 {
        send(&mut conn, usage_line("acker", seq).as_bytes());
    }
    read_acks_until(&mut reader, 7);
    assert_eq!(sums(&monitor), (7, 28, 7));
    monitor.wait_counter("usage_duplicates", 2);

    // SIGKILL, restart on the same database: the mark survives.
    drop(monitor);
    let monitor = Monitor::start(&dir, &[]);
    let mut conn = connect(&monitor.socket);
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    send(&mut conn, register_line("acker").as_bytes());
    assert_eq!(read_acks_until(&mut reader, 7), [7], "the register is answered with what is stored");
    for seq in 6..=9 {
        send(&mut conn, usage_line("acker", seq).as_bytes());
    }
    read_acks_until(&mut reader, 9);
    assert_eq!(sums(&monitor), (9, 45, 9));
    monitor.wait_counter("usage_duplicates", 2);
    wait_for("acks_written counted", Duration::from_secs(15), || monitor.counter("acks_written") >= 2);
}

#[test]
fn a_client_that_did_not_ask_gets_no_bytes() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let mut conn = connect(&monitor.socket);
    let plain = register_line("plain").replace(",\"acks\":true", "");
    send(&mut conn, plain.as_bytes());
    send(&mut conn, usage_line("plain", 1).as_bytes());
    monitor.wait_counter("usage_calls_written", 1);
    conn.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    let read = std::io::Read::read(&mut conn, &mut byte);
    assert!(matches!(&read, Err(err) if err.kind() == std::io::ErrorKind::WouldBlock), "{read:?}");
}

#[test]
fn the_client_flush_returns_once_the_monitor_stored_its_usage() {
    let dir = TempDir::new();
    let monitor = Monitor::start(&dir, &[]);
    let bot = client(&monitor.socket, "flusher", Duration::from_secs(30));
    bot.register([("llm", true)]).unwrap();
    // A client that never saw an ack flushes as v1 until the first one (the
    // answer to its register) comes: wait for it, then flush means stored.
    wait_for("the monitor's first ack", Duration::from_secs(30), || bot.stats().acks_active);
    for n in 0..500 {
        bot.log_llm_usage(kissmon::LlmUsage::new("m", "f", n, 1)).unwrap();
    }
    assert!(bot.flush(Duration::from_secs(60)), "{:?}", bot.stats());
    // No waiting on the counters here: flush returned true, so the rows are committed.
    let (rows, tokens_in, _) = sums(&monitor);
    assert_eq!((rows, tokens_in), (500, (0..500).sum::<i64>()));
    let stats = bot.stats();
    assert_eq!((stats.acked, stats.unacked, stats.resent), (500, 0, 0), "{stats:?}");
    assert!(stats.acks_active);
}
