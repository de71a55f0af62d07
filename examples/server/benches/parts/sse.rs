//! `KISSMON_BENCH_ONLY=sse`: heartbeat ingest from 1,000 connections with no
//! event-stream client and with 50 (`GET /api/v1/events`, as 50 dashboards),
//! alternating twice in one run; and, with the 50 clients and the heartbeat
//! load, the time from a first heartbeat of a new bot written to the socket
//! to its `status` event read by each client.

use super::*;
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Mutex;

const CLIENTS: usize = 50;

struct Clients {
    running: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// Milliseconds from the register's write to the event, one per client per bot.
    latencies: Arc<Mutex<Vec<f64>>>,
    /// When each `lat-N` register was written.
    sent: Arc<Mutex<HashMap<u64, Instant>>>,
    ended: Arc<AtomicU64>,
}

/// `http://ADDR` of a monitor that logs at warn: from the address it stores in `kissmon_meta`.
fn http_url(monitor: &Monitor) -> String {
    let mut addr = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while addr.is_empty() {
        assert!(Instant::now() < deadline, "no http_addr in kissmon_meta");
        addr = monitor
            .conn()
            .query_row("SELECT value FROM kissmon_meta WHERE key = 'http_addr'", [], |row| row.get(0))
            .unwrap_or_default();
        std::thread::sleep(Duration::from_millis(10));
    }
    format!("http://{addr}")
}

fn connect_clients(url: &str) -> Clients {
    let running = Arc::new(AtomicBool::new(true));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let sent: Arc<Mutex<HashMap<u64, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
    let ended = Arc::new(AtomicU64::new(0));
    let connected = Arc::new(AtomicU64::new(0));
    let threads = (0..CLIENTS)
        .map(|_| {
            let (url, running, latencies, sent, ended, connected) = (
                format!("{url}/api/v1/events"),
                Arc::clone(&running),
                Arc::clone(&latencies),
                Arc::clone(&sent),
                Arc::clone(&ended),
                Arc::clone(&connected),
            );
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
                let response = agent.get(&url).call().expect("GET /api/v1/events");
                connected.fetch_add(1, Ordering::Relaxed);
                let mut body = response.into_body();
                let reader = std::io::BufReader::new(body.as_reader());
                for line in reader.lines() {
                    if !running.load(Ordering::Relaxed) {
                        return;
                    }
                    let Ok(line) = line else { break };
                    let Some(at) = line.find("\"channel\":\"lat-") else { continue };
                    let now = Instant::now();
                    let digits: String =
                        line[at + "\"channel\":\"lat-".len()..].chars().take_while(char::is_ascii_digit).collect();
                    let Ok(n) = digits.parse::<u64>() else { continue };
                    if let Some(sent) = sent.lock().unwrap().get(&n) {
                        latencies.lock().unwrap().push(now.duration_since(*sent).as_secs_f64() * 1000.0);
                    }
                }
                ended.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    while connected.load(Ordering::Relaxed) < CLIENTS as u64 {
        std::thread::sleep(Duration::from_millis(5));
    }
    Clients { running, threads, latencies, sent, ended }
}

/// Brings `lat-N` bots online one by one, every 20 ms, until `stop`; returns how many.
fn register_steadily(socket: &Path, sent: Arc<Mutex<HashMap<u64, Instant>>>, stop: Arc<AtomicBool>) -> u64 {
    let pid = std::process::id();
    let mut conn = UnixStream::connect(socket).unwrap();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        // A heartbeat from a bot the monitor does not know: a status change (new, online) that leaves
        // lines_register alone, which heartbeat_rate waits on.
        let line = format!("{{\"type\":\"heartbeat\",\"channel\":\"lat-{n}\",\"pid\":{pid}}}\n");
        sent.lock().unwrap().insert(n, Instant::now());
        conn.write_all(line.as_bytes()).unwrap();
        n += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    n
}

pub fn ingest_with_event_streams() -> Vec<Figure> {
    let connections = 1000;
    let rounds = scaled(6_000_000).div_ceil(connections * (WRITE_BYTES / heartbeat_line(0, 0).len()));
    println!("\nheartbeat ingest with and without {CLIENTS} event-stream clients: {connections} connections");
    let (mut without, mut with) = (Vec::new(), Vec::new());
    let mut all_latencies = Vec::new();
    let mut dropped = 0;
    for _ in 0..2 {
        let dir = TempDir::new();
        let monitor = start_monitor(&dir);
        without.push(heartbeat_rate(&monitor, connections, rounds));
        drop(monitor);

        let dir = TempDir::new();
        let monitor = start_monitor(&dir);
        let clients = connect_clients(&http_url(&monitor));
        let stop = Arc::new(AtomicBool::new(false));
        let registering = {
            let (socket, sent, stop) = (monitor.socket.clone(), Arc::clone(&clients.sent), Arc::clone(&stop));
            std::thread::spawn(move || register_steadily(&socket, sent, stop))
        };
        with.push(heartbeat_rate(&monitor, connections, rounds));
        stop.store(true, Ordering::Relaxed);
        let registered = registering.join().unwrap();
        // Every client sees every register: wait for the events, not for time.
        let expected = registered as usize * CLIENTS;
        let deadline = Instant::now() + Duration::from_secs(10);
        while clients.latencies.lock().unwrap().len() < expected && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let latencies = std::mem::take(&mut *clients.latencies.lock().unwrap());
        dropped += clients.ended.load(Ordering::Relaxed);
        println!(
            "  run {}: no clients {:>10.0} lines/s, {CLIENTS} clients {:>10.0} lines/s; {registered} new bots meanwhile, \
             {} of {expected} status events seen, {} streams ended early",
            with.len(),
            without.last().unwrap(),
            with.last().unwrap(),
            latencies.len(),
            clients.ended.load(Ordering::Relaxed),
        );
        all_latencies.extend(latencies);
        clients.running.store(false, Ordering::Relaxed);
        drop(monitor);
        for thread in clients.threads {
            let _ = thread.join();
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (without, with) = (mean(&without), mean(&with));
    let ratio = with / without;
    let latency = Percentiles::of(all_latencies);
    println!("  mean of the runs: without {without:.0}, with {with:.0} lines/s; ratio {ratio:.2}");
    println!("  first heartbeat of a new bot written -> its status event read, under the heartbeat load: {latency}");
    vec![
        Figure {
            what: format!("heartbeat ingest with {CLIENTS} SSE clients / without"),
            measured: format!("{ratio:.2}"),
            target: ">= 0.90".into(),
            met: ratio >= 0.90 && dropped == 0,
        },
        Figure {
            what: "status change -> SSE event, p99 (50 clients, under load)".into(),
            measured: format!("{:.1} ms", latency.p99),
            target: "<= 1000 ms".into(),
            met: latency.p99 <= 1000.0,
        },
    ]
}
