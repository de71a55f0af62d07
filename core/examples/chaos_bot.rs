//! A chaos-test bot (`scripts/chaos.sh`): logs llm_usage with known token
//! values, then flushes until every call is acknowledged and prints its
//! totals and stats as one JSON line.
//!
//!     chaos_bot SOCKET CHANNEL CALLS RATE

use std::time::{Duration, Instant};

fn main() -> kissmon::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [socket, channel, calls, rate] = &args[..] else {
        eprintln!("usage: chaos_bot SOCKET CHANNEL CALLS RATE");
        std::process::exit(2);
    };
    let calls: u64 = calls.parse().expect("CALLS is a number");
    let rate: f64 = rate.parse().expect("RATE is a number");
    let client = kissmon::MonitorClient::builder(channel.as_str()).socket_path(socket).build()?;
    client.register([("llm", true)])?;
    let (mut tokens_in, mut tokens_out) = (0u64, 0u64);
    let start = Instant::now();
    let mut last_beat = start - Duration::from_secs(1);
    for i in 0..calls {
        let (input, output) = (i % 97 + 1, i % 13 + 1);
        client.log_llm_usage(kissmon::LlmUsage::new(format!("m{}", i % 3), "chaos", input, output))?;
        tokens_in += input;
        tokens_out += output;
        if last_beat.elapsed() >= Duration::from_secs(1) {
            client.heartbeat();
            last_beat = Instant::now();
        }
        let due = start + Duration::from_secs_f64((i + 1) as f64 / rate);
        if let Some(ahead) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(ahead);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut flushed = false;
    while !flushed && Instant::now() < deadline {
        flushed = client.flush(Duration::from_secs(5)) && client.stats().unacked == 0;
        client.heartbeat();
    }
    let s = client.stats();
    println!(
        "{{\"lang\":\"rust\",\"channel\":\"{channel}\",\"instance\":\"{}\",\"calls\":{calls},\"tokens_in\":{tokens_in},\
         \"tokens_out\":{tokens_out},\"flushed\":{flushed},\"stats\":{{\"queued\":{},\"sent\":{},\"dropped\":{},\
         \"coalesced\":{},\"reconnects\":{},\"acked\":{},\"unacked\":{},\"resent\":{},\"acks_active\":{}}}}}",
        client.instance(),
        s.queued,
        s.sent,
        s.dropped,
        s.coalesced,
        s.reconnects,
        s.acked,
        s.unacked,
        s.resent,
        s.acks_active
    );
    for warning in client.take_warnings() {
        eprintln!("warning: {warning}");
    }
    client.close(Duration::from_secs(5));
    Ok(())
}
