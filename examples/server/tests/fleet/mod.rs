//! A small fleet with every state and known usage, for the tests that point
//! operator tools (promtool, Prometheus, schemathesis) at a real monitor.
//!
//! `doomed` is a bot in a process of its own: this test binary run again as
//! its `bot_process` test, which logs known usage, flushes, and heartbeats
//! until the fleet kills it with SIGKILL. The monitor sees it die through /proc.
#![allow(dead_code)]

use crate::support::*;
use kissmon::{LlmUsage, MonitorClient};
use std::time::Duration;

/// A channel with quotes, backslashes and a line separator (U+2028): label
/// values must be escaped, never interpolated.
pub const ODD: &str = "say \"hi\" \\o/ back\\slash\u{2028}next";

/// The input tokens of the one call the doomed bot logs before it is killed.
const DOOMED_TOKENS_IN: u64 = 1000;

fn doomed_usage() -> LlmUsage<'static> {
    LlmUsage::new("gpt-4o", "chat", DOOMED_TOKENS_IN, 10).provider("openai").latency_ms(2500.0).ok(true)
}

pub struct Fleet {
    /// Input tokens the bots logged, all of them.
    pub input_tokens: u64,
    /// LLM calls the bots logged.
    pub calls: u64,
    /// channel -> the status each bot ends in.
    pub statuses: Vec<(&'static str, &'static str)>,
    clients: Vec<MonitorClient>,
}

impl Fleet {
    /// Starts the fleet on `monitor` and waits until every bot is in its final
    /// status: `alpha` and [`ODD`] online, `beta` offline, `silent` stale,
    /// `doomed` dead. Usage may still be on its way to the database.
    pub fn start(monitor: &Monitor) -> Fleet {
        let socket = &monitor.socket;
        let mut input_tokens = 0;
        let mut calls = 0;
        let mut log = |bot: &MonitorClient, usage: LlmUsage<'_>, tokens_in: u64| {
            bot.log_llm_usage(usage).unwrap();
            input_tokens += tokens_in;
            calls += 1;
        };

        let alpha = client(socket, "alpha", Duration::from_secs(1));
        alpha.register([("llm", true), ("quiz", false)]).unwrap();
        alpha.start_heartbeat(Duration::from_secs(1)).unwrap();
        let gpt = |tokens_in| LlmUsage::new("gpt-4o", "chat", tokens_in, 30).provider("openai");
        log(&alpha, gpt(120).latency_ms(800.0).cost_usd(0.002).ok(true), 120);
        log(&alpha, gpt(80).latency_ms(30_000.0).ok(false), 80);
        log(
            &alpha,
            LlmUsage::new("claude-3-5-haiku", "quiz", 300, 45)
                .provider("anthropic")
                .cache_read_tokens(50)
                .reasoning_tokens(20)
                .latency_ms(120.0)
                .cost_usd(0.0004),
            300,
        );

        let odd = client(socket, ODD, Duration::from_secs(1));
        odd.register([("llm", true)]).unwrap();
        odd.start_heartbeat(Duration::from_secs(1)).unwrap();
        log(&odd, LlmUsage::new("llama-3.1-8b", "jokes", 55, 5).provider("local").latency_ms(15.0), 55);

        let beta = client(socket, "beta", Duration::from_secs(1));
        beta.register([("translate", true)]).unwrap();
        log(&beta, LlmUsage::new("llama-3.1-8b", "translate", 40, 40).latency_ms(400.0), 40);
        assert!(beta.close(Duration::from_secs(5)), "beta flushed and left");

        // No heartbeat after register: stale once the 300 ms floor passes.
        let silent = client(socket, "silent", Duration::from_millis(100));
        silent.register([("llm", false)]).unwrap();

        let mut doomed = spawn_bot_process(socket, "doomed");
        input_tokens += DOOMED_TOKENS_IN;
        calls += 1;
        // The prober must have seen the pid alive before it can see it die.
        wait_for("doomed's pid looked up in /proc", Duration::from_secs(15), || {
            bot_field(&monitor.db, "doomed", "proc_start").is_some()
        });
        doomed.kill().unwrap();
        doomed.wait().unwrap();

        for client in [&alpha, &odd, &silent] {
            assert!(client.flush(Duration::from_secs(5)), "usage sent");
        }
        let statuses =
            vec![("alpha", "online"), (ODD, "online"), ("beta", "offline"), ("silent", "stale"), ("doomed", "dead")];
        for (channel, status) in &statuses {
            monitor.wait_status(channel, status);
        }
        Fleet { input_tokens, calls, statuses, clients: vec![alpha, odd, silent] }
    }
}

/// The body of each test binary's `bot_process` test: nothing, unless
/// [`spawn_bot_process`] started it.
pub fn bot_process_if_asked() {
    let Some((socket, channel)) = bot_process_args() else { return };
    let bot = client(&socket, &channel, Duration::from_secs(1));
    bot.register([("llm", true)]).unwrap();
    bot.start_heartbeat(Duration::from_secs(1)).unwrap();
    bot.log_llm_usage(doomed_usage()).unwrap();
    assert!(bot.flush(Duration::from_secs(5)));
    bot_process_ready_then_wait();
}
