//! Timestamps as the tables store them: ISO-8601 UTC with microseconds,
//! `2025-12-06T09:21:25.123456Z`, which sort as text in time order.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub fn iso(at: SystemTime) -> String {
    humantime::format_rfc3339_micros(at).to_string()
}

/// A client's `ts` (Unix seconds) as ISO-8601; out-of-range values clamp to the epoch.
pub fn iso_from_unix(secs: f64) -> String {
    iso(from_unix(secs))
}

pub fn from_unix(secs: f64) -> SystemTime {
    if secs.is_finite() && secs > 0.0 && secs < 1e11 {
        UNIX_EPOCH + Duration::from_secs_f64(secs)
    } else {
        UNIX_EPOCH
    }
}

pub fn unix(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Reads a stored timestamp, ours or the earlier monitor's (`T` or space, `Z` optional).
pub fn parse_iso(text: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(text.trim_end_matches('Z')).ok()
}

/// A short age for tables: `4s`, `2m05s`, `3h12m`, `2d04h`.
pub fn short_age(age: Duration) -> String {
    let secs = age.as_secs();
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m{:02}s", secs / 60, secs % 60),
        3600..=86_399 => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d{:02}h", secs / 86_400, secs % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips_and_sorts_as_text() {
        let a = UNIX_EPOCH + Duration::new(1_765_012_885, 123_456_000);
        let b = from_unix(1_765_012_885.5);
        assert_eq!(iso(a), "2025-12-06T09:21:25.123456Z");
        assert!(iso(a) < iso(b));
        assert_eq!(parse_iso(&iso(a)), Some(a));
        assert!(parse_iso("2025-12-06 09:21:25.123456").is_some(), "the earlier monitor's form");
        assert_eq!(parse_iso("yesterday"), None);
    }

    #[test]
    fn short_ages() {
        assert_eq!(short_age(Duration::from_secs(4)), "4s");
        assert_eq!(short_age(Duration::from_secs(125)), "2m05s");
        assert_eq!(short_age(Duration::from_secs(3 * 3600 + 12 * 60)), "3h12m");
        assert_eq!(short_age(Duration::from_secs(2 * 86_400 + 4 * 3600)), "2d04h");
    }
}
