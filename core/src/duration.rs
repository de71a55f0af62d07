//! Durations from the numbers a binding receives (seconds in Python, C and
//! Go, milliseconds in Node): one rule and one cap for every language.

use crate::error::{Error, Result};
use std::time::Duration;

/// The longest duration any call takes, about 31 years: a timeout or an
/// interval past it is a mistake (a unit mix-up, an overflow), not a wish.
pub const MAX_DURATION: Duration = Duration::from_secs(1_000_000_000);

/// `secs` seconds, finite and in `0..=MAX_DURATION`, else an invalid-argument
/// error naming `argument`.
pub fn duration_from_secs(argument: &'static str, secs: f64) -> Result<Duration> {
    duration(argument, secs, 1.0, "seconds")
}

/// `ms` milliseconds, finite and in `0..=MAX_DURATION`, else an
/// invalid-argument error naming `argument`.
pub fn duration_from_millis(argument: &'static str, ms: f64) -> Result<Duration> {
    duration(argument, ms, 1000.0, "milliseconds")
}

fn duration(argument: &'static str, value: f64, per_second: f64, unit: &str) -> Result<Duration> {
    let max = MAX_DURATION.as_secs_f64() * per_second;
    if value.is_finite() && (0.0..=max).contains(&value) {
        Ok(Duration::from_secs_f64(value / per_second))
    } else {
        Err(Error::invalid(argument, format!("must be a finite number of {unit} in 0..={max:e}, got {value}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_zero_to_the_cap_in_either_unit() {
        assert_eq!(duration_from_secs("t", 0.0).unwrap(), Duration::ZERO);
        assert_eq!(duration_from_secs("t", 1.5).unwrap(), Duration::from_millis(1500));
        assert_eq!(duration_from_millis("t", 1.5).unwrap(), Duration::from_micros(1500));
        assert_eq!(duration_from_secs("t", 1e9).unwrap(), MAX_DURATION);
        assert_eq!(duration_from_millis("t", 1e12).unwrap(), MAX_DURATION);
    }

    #[test]
    fn refuses_negative_non_finite_and_past_the_cap() {
        for bad in [-1.0, -0.001, f64::NAN, f64::INFINITY, 1e9 + 1.0] {
            let err = duration_from_secs("timeout", bad).unwrap_err();
            assert!(err.to_string().contains("`timeout`"), "{err}");
        }
        assert!(duration_from_millis("timeout_ms", 1e12 + 1.0).is_err());
    }
}
