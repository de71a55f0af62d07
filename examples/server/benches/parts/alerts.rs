//! `KISSMON_BENCH_ONLY=alerts`: heartbeat ingest from 1,000 connections with
//! alerts firing all along, once with no notifier and once with a webhook
//! whose receiver never answers, alternating twice in one run; then the
//! time from a bot's SIGKILL to its webhook notification, with a receiver
//! that answers.

use super::receiver::{Answer, Receiver};
use super::*;
use std::process::{Child, Command};

/// A bot process of its own (`sleep`), registered under `channel` with its pid.
fn doomed_bot(socket: &Path, channel: &str) -> (Child, UnixStream) {
    let child = Command::new("sleep").arg("600").spawn().unwrap();
    let mut conn = UnixStream::connect(socket).unwrap();
    let line = format!(
        "{{\"type\":\"register\",\"channel\":\"{channel}\",\"pid\":{},\"features\":{{}},\"heartbeat_interval_s\":30}}\n",
        child.id()
    );
    conn.write_all(line.as_bytes()).unwrap();
    (child, conn)
}

/// Registers and kills a bot every 300 ms until `stop`: a BotDead alert each; returns how many.
fn kill_steadily(socket: &Path, stop: Arc<AtomicBool>) -> u64 {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let (mut child, _conn) = doomed_bot(socket, &format!("churn-{n}"));
        // The prober (every 200 ms here) sees the pid alive before it dies.
        std::thread::sleep(Duration::from_millis(300));
        let _ = child.kill();
        let _ = child.wait();
        n += 1;
    }
    n
}

pub fn ingest_with_a_hung_receiver() -> Vec<Figure> {
    let connections = 1000;
    let rounds = scaled(6_000_000).div_ceil(connections * (WRITE_BYTES / heartbeat_line(0, 0).len()));
    println!(
        "\nheartbeat ingest while bots die: no notifier vs a webhook that never answers; {connections} connections"
    );
    let hung = Receiver::start(Answer::Never);
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for _ in 0..2 {
        for hung_webhook in [false, true] {
            let dir = TempDir::new();
            let mut args = vec!["--http", "127.0.0.1:0", "--check-every", "200ms"];
            if hung_webhook {
                args.extend(["--alert-webhook", hung.url.as_str()]);
            }
            let monitor = start_monitor_with(&dir, &args);
            let stop = Arc::new(AtomicBool::new(false));
            let killing = {
                let (socket, stop) = (monitor.socket.clone(), Arc::clone(&stop));
                std::thread::spawn(move || kill_steadily(&socket, stop))
            };
            let rate = heartbeat_rate(&monitor, connections, rounds);
            stop.store(true, Ordering::Relaxed);
            let killed = killing.join().unwrap();
            let fired = monitor
                .conn()
                .query_row("SELECT COUNT(*) FROM alerts WHERE alertname = 'BotDead'", [], |r| r.get::<_, i64>(0))
                .unwrap_or(0);
            println!(
                "  {:<28} {rate:>10.0} lines/s; {killed} bots killed, {fired} BotDead alerts stored",
                if hung_webhook { "webhook that never answers" } else { "no notifier" }
            );
            if hung_webhook {
                with.push(rate)
            } else {
                without.push(rate)
            }
        }
    }
    println!("  requests held by the hung receiver: {}", hung.requests().len());
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let ratio = mean(&with) / mean(&without);
    println!("  mean: no notifier {:.0}, hung webhook {:.0} lines/s; ratio {ratio:.2}", mean(&without), mean(&with));

    // SIGKILL -> webhook, with the default rules (BotDead: for 0) and a check every 1 s.
    let samples = scaled(20).max(5);
    let good = Receiver::start(Answer::Statuses(vec![]));
    let dir = TempDir::new();
    let monitor =
        start_monitor_with(&dir, &["--http", "127.0.0.1:0", "--check-every", "1s", "--alert-webhook", &good.url]);
    let mut latencies = Vec::new();
    for n in 0..samples {
        let channel = format!("latency-{n}");
        let (mut child, _conn) = doomed_bot(&monitor.socket, &channel);
        let deadline = Instant::now() + Duration::from_secs(20);
        while support::bot_field(&monitor.db, &channel, "proc_start").is_none() {
            assert!(Instant::now() < deadline, "the prober never saw {channel}");
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap();
        let killed = Instant::now();
        child.wait().unwrap();
        let notice = good.wait_notice("firing", &channel, 1);
        latencies.push(notice.at.duration_since(killed).as_secs_f64() * 1000.0);
    }
    let latency = Percentiles::of(latencies);
    println!("  SIGKILL -> webhook received (check every 1 s, BotDead for 0): {latency}");
    vec![
        Figure {
            what: "heartbeat ingest, hung webhook / no notifier".into(),
            measured: format!("{ratio:.2}"),
            target: ">= 0.90".into(),
            met: ratio >= 0.90,
        },
        Figure {
            what: "SIGKILL -> webhook, p99 (check 1 s, for 0)".into(),
            measured: format!("{:.0} ms", latency.p99),
            target: "<= 2000 ms".into(),
            met: latency.p99 <= 2000.0,
        },
    ]
}
