//! Decode and encode speed of one line: what the monitor pays per line read.
//! Run: `cargo bench -p kissmon --bench codec`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const HEARTBEAT: &[u8] =
    br#"{"type":"heartbeat","channel":"el_serda","pid":12345,"lag_ms":0.4,"v":1,"ts":1700000000.25,"instance":"9f2c4e1ab3d5f607"}"#;
const LLM_USAGE: &[u8] = br#"{"type":"llm_usage","channel":"el_serda","model":"gpt-4","feature":"jokes","tokens_in":145,"tokens_out":87,"latency_ms":1850.0,"pid":12345,"provider":"openai","cost_usd":0.0042,"v":1,"ts":1700000000.25,"instance":"9f2c4e1ab3d5f607"}"#;
const LEGACY_REGISTER: &[u8] =
    br#"{"type": "register", "channel": "el_serda", "pid": 12345, "features": {"llm": true, "translator": false}}"#;

fn codec(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode_line");
    group.throughput(Throughput::Elements(1));
    for (name, line) in [("heartbeat", HEARTBEAT), ("llm_usage", LLM_USAGE), ("legacy_register", LEGACY_REGISTER)] {
        group.bench_function(name, |b| b.iter(|| kissmon::decode_line(black_box(line)).unwrap()));
    }
    group.finish();

    let mut group = c.benchmark_group("encode_line");
    group.throughput(Throughput::Elements(1));
    for (name, line) in [("heartbeat", HEARTBEAT), ("llm_usage", LLM_USAGE)] {
        let message = kissmon::decode_line(line).unwrap();
        let mut out = Vec::with_capacity(512);
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                kissmon::encode_line_into(black_box(&message), &mut out);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
