//! Protocol 1.1 against the real monitor: acks only after the commit, each
//! (instance, seq) stored once, across a SIGKILL and a restart too; and the
//! marks of instances gone for `--retention` forgotten.

mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixStream;
use std::time::Duration;
use support::*;

const INSTANCE: &str = "feedc0de00000001";

fn register_line(channel: &str) -> String {
    register_line_of(channel, INSTANCE)
}

fn register_line_of(channel: &str, instance: &str) -> String {
    format!(
        "{{\"type\":\"register\",\"channel\":\"{channel}\",\"pid\":{},\"features\":{{}},\"acks\":true,\"v\":1,\"instance\":\"{instance}\"}}\n",
        me()
    )
}

fn usage_line(channel: &str, seq: u64) -> String {
    usage_line_of(channel, INSTANCE, seq)
}

fn usage_line_of(channel: &str, instance: &str, seq: u64) -> String {
    format!(
        "{{\"type\":\"llm_usage\",\"channel\":\"{channel}\",\"model\":\"m\",\"feature\":\"f\",\"tokens_in\":{seq},\"tokens_out\":1,\"pid\":{},\"seq\":{seq},\"v\":1,\"instance\":\"{instance}\"}}\n",
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

/// A connection of `instance` that asked for acks, and the reader of its acks.
struct AckedClient {
    conn: UnixStream,
    acks: BufReader<UnixStream>,
    channel: &'static str,
    instance: &'static str,
}

impl AckedClient {
    /// Connects and registers; returns the client and the first ack (what is stored).
    fn connect(monitor: &Monitor, channel: &'static str, instance: &'static str) -> (AckedClient, u64) {
        let mut conn = connect(&monitor.socket);
        let mut acks = BufReader::new(conn.try_clone().unwrap());
        send(&mut conn, register_line_of(channel, instance).as_bytes());
        let first = read_acks_until(&mut acks, 0)[0];
        (AckedClient { conn, acks, channel, instance }, first)
    }

    /// Writes lines `seqs` and waits for their ack.
    fn log(&mut self, seqs: std::ops::RangeInclusive<u64>) {
        let last = *seqs.end();
        for seq in seqs {
            send(&mut self.conn, usage_line_of(self.channel, self.instance, seq).as_bytes());
        }
        read_acks_until(&mut self.acks, last);
    }
}

/// `usage_acks` as SQLite has it: (instance, seq), by instance.
fn marks(monitor: &Monitor) -> Vec<(String, i64)> {
    let conn = monitor.conn();
    let mut statement = conn.prepare("SELECT instance, seq FROM usage_acks ORDER BY instance").unwrap();
    statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

fn has_mark(monitor: &Monitor, instance: &str) -> bool {
    marks(monitor).iter().any(|(known, _)| known == instance)
}

#[test]
fn the_mark_of_an_instance_gone_for_the_retention_is_forgotten_and_a_connected_one_keeps_its_own() {
    const STAYS: &str = "57a757a757a757a7";
    const GONE: &str = "90e090e090e090e0";
    const LATER: &str = "1a7e1a7e1a7e1a7e";
    let dir = TempDir::new();
    // The retention sweep runs with the metrics sampling, every 200 ms here.
    let monitor = Monitor::start(&dir, &["--retention", "1s"]);
    let (mut stays, _) = AckedClient::connect(&monitor, "stays", STAYS);
    stays.log(1..=2);
    let (mut gone, _) = AckedClient::connect(&monitor, "gone", GONE);
    gone.log(1..=3);
    assert!(has_mark(&monitor, GONE));
    drop(gone);
    wait_for("the mark of the instance that left forgotten", Duration::from_secs(30), || !has_mark(&monitor, GONE));
    assert!(has_mark(&monitor, STAYS), "its connection is open");
    monitor.wait_counter("usage_acks_pruned", 1);

    // Another instance comes and goes after that. Once it is forgotten,
    // `stays` has written nothing for longer than the retention too: only
    // its open connection keeps its mark.
    let (mut later, _) = AckedClient::connect(&monitor, "later", LATER);
    later.log(1..=1);
    drop(later);
    wait_for("the later instance forgotten", Duration::from_secs(30), || !has_mark(&monitor, LATER));
    assert_eq!(marks(&monitor), [(STAYS.to_owned(), 2)]);
    monitor.wait_counter("usage_acks_pruned", 2);
    stays.log(3..=3);
    assert_eq!(marks(&monitor), [(STAYS.to_owned(), 3)]);

    // A forgotten instance that comes back anyway (its process outlived the
    // retention without a connection) starts at 0: its lines are stored again.
    let (mut back, first) = AckedClient::connect(&monitor, "gone", GONE);
    assert_eq!(first, 0);
    back.log(1..=1);
    let rows: i64 =
        monitor.conn().query_row("SELECT COUNT(*) FROM llm_usage WHERE instance = ?1", [GONE], |r| r.get(0)).unwrap();
    assert_eq!(rows, 4);
}
