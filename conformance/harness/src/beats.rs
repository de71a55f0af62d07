//! The heartbeat schedule as the monitor sees it (spec/PROTOCOL.md 7.2,
//! `start_heartbeat`): a beat at once and then every interval, each carrying
//! how late it fired (`lag_ms`); a beat that fell a whole interval behind
//! restarts the schedule from when it fired, so missed beats are neither
//! replayed nor kept in the old phase.
//!
//! A beat's due time is `ts - lag_ms / 1000`. Between consecutive beats `a`
//! and `b` of one schedule:
//! - `due(b) >= due(a) + interval` (no beat early, none replayed);
//! - if `lag(a) >= interval`: `due(b) >= ts(a) + interval` (restarted from now).
//!
//! Both only bound a beat from below, so a loaded machine (late timers) can
//! never fail them; [`TOLERANCE_S`] covers the moment between measuring the
//! lag and stamping `ts`.

use serde_json::Value;

/// Slack for the clocks read a moment apart (`lag_ms` and `ts`) in one beat.
pub const TOLERANCE_S: f64 = 0.025;

/// A periodic beat: a heartbeat line with `lag_ms`.
pub fn is_beat(line: &Value) -> bool {
    line["type"] == "heartbeat" && line.get("lag_ms").is_some()
}

/// Checks consecutive beats of one schedule against the rules above.
pub fn check(beats: &[&Value], interval_s: f64) -> Result<(), String> {
    let timing = |beat: &Value| -> Result<(f64, f64), String> {
        match (beat["ts"].as_f64(), beat["lag_ms"].as_f64()) {
            (Some(ts), Some(lag_ms)) => Ok((ts, lag_ms / 1000.0)),
            _ => Err(format!("a beat without numeric ts and lag_ms: {beat}")),
        }
    };
    for pair in beats.windows(2) {
        let ((ts_a, lag_a), (ts_b, lag_b)) = (timing(pair[0])?, timing(pair[1])?);
        let (due_a, due_b) = (ts_a - lag_a, ts_b - lag_b);
        if due_b < due_a + interval_s - TOLERANCE_S {
            return Err(format!(
                "beat {} was due {:.3} s after beat {}, less than the interval {interval_s} s",
                pair[1],
                due_b - due_a,
                pair[0]
            ));
        }
        if lag_a >= interval_s && due_b < ts_a + interval_s - TOLERANCE_S {
            return Err(format!(
                "beat {} fell {lag_a:.3} s behind, so the schedule restarts from it, but the next beat {} was due {:.3} s after it, less than the interval {interval_s} s",
                pair[0],
                pair[1],
                due_b - ts_a
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn beat(ts: f64, lag_ms: f64) -> Value {
        json!({"type": "heartbeat", "ts": ts, "lag_ms": lag_ms})
    }

    fn check_all(beats: &[Value]) -> Result<(), String> {
        check(&beats.iter().collect::<Vec<_>>(), 0.2)
    }

    #[test]
    fn a_schedule_that_restarts_after_a_stall_passes() {
        // Due at 0, 0.2, then stalled until 1.1: one late beat, then 1.3, 1.5.
        let beats = [beat(100.0, 0.5), beat(100.21, 10.0), beat(101.1, 700.0), beat(101.3, 0.0), beat(101.52, 20.0)];
        check_all(&beats).unwrap();
    }

    #[test]
    fn replayed_or_phase_keeping_beats_fail() {
        let replayed = [beat(101.1, 700.0), beat(101.1, 500.0)];
        assert!(check_all(&replayed).is_err());
        // Kept the old phase: due at 101.2 (0.1 s after the late beat), not 101.3.
        let old_phase = [beat(101.1, 700.0), beat(101.2, 0.0)];
        assert!(check_all(&old_phase).is_err());
        let early = [beat(100.0, 0.0), beat(100.1, 0.0)];
        assert!(check_all(&early).is_err());
    }
}
