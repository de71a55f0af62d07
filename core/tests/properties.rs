//! Properties that must hold for every input, checked on generated ones
//! (proptest shrinks a failure to a minimal case):
//!
//! - encode → decode gives back every valid message, exactly (floats included);
//! - folding llm_usage conserves every sum, whatever the calls and their order;
//! - the client's counters add up (spec section 7.8) and no token is lost, for
//!   any interleaving of calls and monitor states (absent, up, not reading),
//!   against a real socket (the conformance harness's monitor).
//!
//! `PROPTEST_CASES=N` runs N cases of each property instead of the CI's few.

use kissmon::fold::UsageSums;
use kissmon::wire::{self, Envelope, Heartbeat, Message, Register, Sdk, Unregister, MAX_TOKENS};
use kissmon::{decode_line, encode_line, LlmUsage, MonitorClient};
use kissmon_conformance::monitor::{Monitor, TempDir};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::time::Duration;

fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

/// Text of `min..=max` bytes without control characters: mostly ASCII, some of anything else.
fn text(min: usize, max: usize) -> impl Strategy<Value = String> {
    let char = prop_oneof![8 => proptest::char::range(' ', '~'), 1 => any::<char>()]
        .prop_filter("no control characters", |c| !c.is_control());
    proptest::collection::vec(char, min..=max.min(48)).prop_map(move |chars| {
        let mut text: String = chars.into_iter().collect();
        while text.len() > max {
            text.pop();
        }
        while text.len() < min {
            text.push('x');
        }
        text
    })
}

/// A finite number >= 0, edge values included.
fn non_negative() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 0.0..1e6f64,
        2 => (proptest::num::f64::POSITIVE | proptest::num::f64::ZERO | proptest::num::f64::SUBNORMAL)
            .prop_filter("finite", |v| v.is_finite()),
        1 => Just(f64::MAX),
        1 => Just(f64::MIN_POSITIVE),
        1 => Just(-0.0),
    ]
}

fn tokens() -> impl Strategy<Value = u64> {
    prop_oneof![4 => 0..100_000u64, 1 => 0..=MAX_TOKENS, 1 => Just(MAX_TOKENS)]
}

fn pid() -> impl Strategy<Value = u32> {
    prop_oneof![1..100_000u32, 1..=wire::MAX_PID, Just(wire::MAX_PID)]
}

fn envelope() -> impl Strategy<Value = Envelope> {
    (
        proptest::option::of(prop_oneof![Just(1u32), 1..=u32::MAX]),
        proptest::option::of(non_negative()),
        proptest::option::of(text(1, wire::MAX_INSTANCE_BYTES)),
    )
        .prop_map(|(v, ts, instance)| Envelope { v, ts, instance })
}

fn register() -> impl Strategy<Value = Message> {
    (
        text(1, wire::MAX_CHANNEL_BYTES),
        pid(),
        proptest::collection::btree_map(text(1, wire::MAX_FEATURE_BYTES), any::<bool>(), 0..5),
        proptest::option::of(prop_oneof![
            1e-9..=wire::MAX_HEARTBEAT_INTERVAL_S,
            Just(wire::MAX_HEARTBEAT_INTERVAL_S),
            Just(f64::MIN_POSITIVE)
        ]),
        proptest::option::of((text(0, wire::MAX_TEXT_BYTES), text(0, wire::MAX_TEXT_BYTES))),
        (envelope(), proptest::option::of(any::<bool>())),
    )
        .prop_map(|(channel, pid, features, heartbeat_interval_s, sdk, (envelope, acks))| {
            let features: BTreeMap<String, bool> = features;
            Message::Register(Register {
                channel,
                pid,
                features,
                heartbeat_interval_s,
                sdk: sdk.map(|(lang, version)| Sdk { lang, version }),
                acks,
                envelope,
            })
        })
}

fn heartbeat() -> impl Strategy<Value = Message> {
    (text(1, wire::MAX_CHANNEL_BYTES), pid(), proptest::option::of(non_negative()), envelope())
        .prop_map(|(channel, pid, lag_ms, envelope)| Message::Heartbeat(Heartbeat { channel, pid, lag_ms, envelope }))
}

fn unregister() -> impl Strategy<Value = Message> {
    (text(1, wire::MAX_CHANNEL_BYTES), pid(), proptest::option::of(text(0, wire::MAX_TEXT_BYTES)), envelope())
        .prop_map(|(channel, pid, reason, envelope)| Message::Unregister(Unregister { channel, pid, reason, envelope }))
}

fn llm_usage() -> impl Strategy<Value = Message> {
    let names = (text(1, wire::MAX_CHANNEL_BYTES), text(1, wire::MAX_MODEL_BYTES), text(1, wire::MAX_FEATURE_BYTES));
    let sums = (tokens(), tokens(), proptest::option::of(tokens()), proptest::option::of(tokens()));
    let rest = (
        proptest::option::of(non_negative()),
        proptest::option::of(pid()),
        proptest::option::of(text(1, wire::MAX_PROVIDER_BYTES)),
        proptest::option::of(non_negative()),
        proptest::option::of(any::<bool>()),
        proptest::option::of(prop_oneof![1..1000u64, 1..=MAX_TOKENS]),
    );
    let seq = proptest::option::of(prop_oneof![1..1000u64, 1..=wire::MAX_SEQ]);
    (names, sums, rest, (envelope(), seq)).prop_map(
        |(
            (channel, model, feature),
            (tokens_in, tokens_out, cache_read_tokens, reasoning_tokens),
            (latency_ms, pid, provider, cost_usd, ok, count),
            (envelope, seq),
        )| {
            Message::LlmUsage(wire::LlmUsage {
                channel,
                model,
                feature,
                tokens_in,
                tokens_out,
                latency_ms,
                pid,
                provider,
                cache_read_tokens,
                reasoning_tokens,
                cost_usd,
                ok,
                count,
                seq,
                envelope,
            })
        },
    )
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![register(), heartbeat(), unregister(), llm_usage()]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn every_valid_message_survives_encode_then_decode(message in message()) {
        let line = encode_line(&message);
        prop_assert!(line.ends_with('\n') && !line[..line.len() - 1].contains('\n'), "one line: {line:?}");
        let decoded = decode_line(&line.as_bytes()[..line.len() - 1]);
        prop_assert_eq!(decoded.as_ref(), Ok(&message), "line {}", line);
        // The encoding is canonical: the decoded message encodes to the same bytes.
        prop_assert_eq!(encode_line(&decoded.unwrap()), line);
    }

    #[test]
    fn folding_conserves_every_sum(lines in proptest::collection::vec(usage_line(), 1..200)) {
        let mut aggregates: Vec<UsageSums> = Vec::new();
        for line in &lines {
            match aggregates.last_mut() {
                Some(last) if last.fits(line) => last.add(line),
                _ => aggregates.push(*line),
            }
        }
        let total = |sums: &[UsageSums], field: Field| sums.iter().map(field).sum::<u128>();
        let fields: [(&str, Field); 6] = [
            ("count", |s| s.count.into()),
            ("tokens_in", |s| s.tokens_in.into()),
            ("tokens_out", |s| s.tokens_out.into()),
            ("cache_read_tokens", |s| s.cache_read_tokens.unwrap_or(0).into()),
            ("reasoning_tokens", |s| s.reasoning_tokens.unwrap_or(0).into()),
            ("latency_calls", |s| s.latency_calls.into()),
        ];
        for (name, field) in fields {
            prop_assert_eq!(total(&aggregates, field), total(&lines, field), "{}", name);
        }
        for aggregate in &aggregates {
            // Every folded line is one a monitor accepts.
            prop_assert!(aggregate.count <= MAX_TOKENS && aggregate.tokens_in <= MAX_TOKENS);
            prop_assert!(aggregate.tokens_out <= MAX_TOKENS);
            prop_assert!(aggregate.cache_read_tokens.unwrap_or(0) <= MAX_TOKENS);
            prop_assert!(aggregate.reasoning_tokens.unwrap_or(0) <= MAX_TOKENS);
            prop_assert!(aggregate.cost_usd.is_none_or(f64::is_finite));
        }
        // An optional sum is absent only when no folded line had it.
        let had = |get: fn(&UsageSums) -> bool| lines.iter().any(get);
        let has = |get: fn(&UsageSums) -> bool| aggregates.iter().any(get);
        prop_assert_eq!(has(|s| s.cost_usd.is_some()), had(|s| s.cost_usd.is_some()));
        prop_assert_eq!(has(|s| s.cache_read_tokens.is_some()), had(|s| s.cache_read_tokens.is_some()));
        // Floats: the same sums, up to rounding.
        let cost = |sums: &[UsageSums]| sums.iter().map(|s| s.cost_usd.unwrap_or(0.0)).sum::<f64>();
        let (folded, direct) = (cost(&aggregates), cost(&lines));
        // (Past f64::MAX a total has no finite value: the aggregates split instead, checked above.)
        if direct.is_finite() {
            prop_assert!((folded - direct).abs() <= 1e-9 * direct.abs().max(1.0), "cost {folded} vs {direct}");
        }
        let latency = |sums: &[UsageSums]| sums.iter().map(|s| s.latency_sum_ms).sum::<f64>();
        let (folded, direct) = (latency(&aggregates), latency(&lines));
        prop_assert!((folded - direct).abs() <= 1e-9 * direct.abs().max(1.0), "latency {folded} vs {direct}");
        let latest = lines.iter().map(|s| s.ts).fold(f64::MIN, f64::max);
        prop_assert_eq!(aggregates.iter().map(|s| s.ts).fold(f64::MIN, f64::max), latest);
    }
}

/// One summed field of [`UsageSums`].
type Field = fn(&UsageSums) -> u128;

/// One llm_usage line's sums, some of them near the limits so that folds get refused.
fn usage_line() -> impl Strategy<Value = UsageSums> {
    let big = prop_oneof![8 => 0..10_000u64, 1 => 0..=MAX_TOKENS];
    (
        prop_oneof![8 => 1..100u64, 1 => 1..=MAX_TOKENS],
        big.clone(),
        big.clone(),
        proptest::option::of(big.clone()),
        proptest::option::of(big),
        proptest::option::of(prop_oneof![0.0..10.0f64, Just(f64::MAX / 2.0)]),
        proptest::option::of(0.0..60_000.0f64),
        0.0..2e9f64,
    )
        .prop_map(|(count, tokens_in, tokens_out, cache, reasoning, cost, latency, ts)| {
            UsageSums::of_line(count, tokens_in, tokens_out, cache, reasoning, cost, latency, ts)
        })
}

/// What a bot and its environment do, one step at a time.
#[derive(Debug, Clone)]
enum Step {
    Heartbeat,
    Usage {
        model: usize,
        feature: usize,
        tokens_in: u64,
        tokens_out: u64,
    },
    /// The monitor comes up (if down), reading.
    MonitorUp,
    /// The monitor goes away, after reading what was written to it.
    MonitorDown,
    /// The monitor accepts but stops reading, or reads again.
    MonitorStuck,
    MonitorReads,
    /// The bot does nothing for a moment: the sender gets to run.
    Pause(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => Just(Step::Heartbeat),
        8 => (0..3usize, 0..2usize, 0..1_000_000u64, 0..100_000u64)
            .prop_map(|(model, feature, tokens_in, tokens_out)| Step::Usage { model, feature, tokens_in, tokens_out }),
        1 => Just(Step::MonitorUp),
        1 => Just(Step::MonitorDown),
        1 => Just(Step::MonitorStuck),
        1 => Just(Step::MonitorReads),
        2 => (0..5u64).prop_map(Step::Pause),
    ]
}

const MODELS: [&str; 3] = ["gpt-4o", "claude", "llama"];
const FEATURES: [&str; 2] = ["chat", "quiz"];

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn the_counters_add_up_and_no_token_is_lost_whatever_the_monitor_does(
        steps in proptest::collection::vec(step(), 1..60),
        queue_capacity in 1..16usize,
        up_at_start in any::<bool>(),
    ) {
        let dir = TempDir::new();
        let mut monitor = Monitor::new(&dir.socket());
        if up_at_start {
            monitor.start();
        }
        let client = MonitorClient::builder("prop")
            .socket_path(dir.socket())
            .pid(4242)
            .queue_capacity(queue_capacity)
            .build()
            .unwrap();
        // One register call: each later register line is a replay (one per connection).
        client.register([("llm", true)]).unwrap();
        let (mut calls, mut usage) = (1u64, (0u64, 0u64, 0u64));
        for step in &steps {
            match *step {
                Step::Heartbeat => {
                    client.heartbeat();
                    calls += 1;
                }
                Step::Usage { model, feature, tokens_in, tokens_out } => {
                    client.log_llm_usage(LlmUsage::new(MODELS[model], FEATURES[feature], tokens_in, tokens_out)).unwrap();
                    calls += 1;
                    usage = (usage.0 + 1, usage.1 + tokens_in, usage.2 + tokens_out);
                }
                Step::MonitorUp if !monitor.is_up() => monitor.start(),
                Step::MonitorDown if monitor.is_up() => monitor.stop(),
                Step::MonitorStuck => monitor.stop_reading(),
                Step::MonitorReads => monitor.resume_reading(),
                Step::Pause(ms) => std::thread::sleep(Duration::from_millis(ms)),
                Step::MonitorUp | Step::MonitorDown => {}
            }
            // At any moment: each call is in exactly one place, and `sent`
            // holds at most one registration replay per connection on top.
            let s = client.stats();
            let accounted = s.sent + s.queued + s.dropped + s.coalesced;
            prop_assert!(
                accounted >= calls && accounted <= calls + s.reconnects + 1,
                "{calls} calls, {s:?}"
            );
        }
        if !monitor.is_up() {
            monitor.start();
        }
        monitor.resume_reading();
        prop_assert!(client.flush(Duration::from_secs(30)), "{:?}", client.stats());
        let s = client.stats();
        let lines: Vec<serde_json::Value> = monitor
            .all_of(s.sent, Duration::from_secs(10))
            .iter()
            .map(|line| serde_json::from_str(line).expect("every line the monitor reads is whole JSON"))
            .collect();
        prop_assert_eq!(lines.len() as u64, s.sent, "every line sent was read");
        let registers = lines.iter().filter(|l| l["type"] == "register").count() as u64;
        prop_assert_eq!(s.queued, 0);
        prop_assert_eq!(s.dropped, 0, "few distinct aggregates: none may be dropped");
        prop_assert_eq!(s.sent - (registers - 1) + s.queued + s.dropped + s.coalesced, calls, "{:?}", s);
        let received = lines.iter().filter(|l| l["type"] == "llm_usage").fold((0, 0, 0), |(c, i, o), l| {
            (
                c + l["count"].as_u64().unwrap_or(1),
                i + l["tokens_in"].as_u64().unwrap(),
                o + l["tokens_out"].as_u64().unwrap(),
            )
        });
        prop_assert_eq!(received, usage, "(calls, tokens_in, tokens_out) the monitor read");
        drop(client);
    }
}
