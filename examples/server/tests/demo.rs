//! The main job: `kissmon-server demo` shows every transition within a short run.

mod support;

use support::*;

#[test]
fn the_demo_shows_stale_dead_offline_back_online_and_monitor_stopped() {
    let output = cli(&["demo", "--duration", "8"]);
    let out = stdout(&output);
    assert!(output.status.success(), "{}\n{}", out, stderr(&output));
    for expected in [
        "translator (pid",
        "silent_sam (pid",
        "online -> stale",
        "stale -> online",
        "crashy (pid",
        "online -> dead",
        "short_lived (pid",
        "online -> offline (unregister: close)",
        "legacy_larry (pid",
        "LLM usage of the run",
        "monitor_stopped",
        "monitor stopped at",
    ] {
        assert!(out.contains(expected), "the demo output lacks {expected:?}:\n{out}");
    }
    let usage_total = out.lines().find(|l| l.starts_with("TOTAL")).expect("a usage total line");
    let calls: u64 = usage_total.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(calls > 10, "{usage_total}");
    let last_table = out.rsplit("CHANNEL").next().unwrap();
    for line in last_table.lines().filter(|l| l.starts_with("translator") || l.starts_with("quizbot")) {
        assert!(line.contains(" unknown "), "bots still running when the monitor stops show unknown: {line}");
    }
}
