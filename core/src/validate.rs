//! Field rules shared by the decoder (bad input from the wire) and the client
//! API (bad arguments from the caller), so both reject exactly the same values.
//! Each rule returns the reason a value is wrong; callers add the field name.

use crate::wire::*;

pub(crate) type Rule = Result<(), String>;

fn text(value: &str, min: usize, max: usize) -> Rule {
    let len = value.len();
    if len < min || len > max {
        return Err(if min > 0 {
            format!("must be {min}..={max} bytes of UTF-8, got {len}")
        } else {
            format!("must be at most {max} bytes of UTF-8, got {len}")
        });
    }
    // Printable ASCII, what nearly every name is, needs no decoding to pass.
    if value.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return Ok(());
    }
    match value.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!("must not contain control characters, found U+{:04X}", c as u32)),
        None => Ok(()),
    }
}

pub(crate) fn channel(value: &str) -> Rule {
    text(value, 1, MAX_CHANNEL_BYTES)
}

pub(crate) fn model(value: &str) -> Rule {
    text(value, 1, MAX_MODEL_BYTES)
}

pub(crate) fn feature(value: &str) -> Rule {
    text(value, 1, MAX_FEATURE_BYTES)
}

pub(crate) fn provider(value: &str) -> Rule {
    text(value, 1, MAX_PROVIDER_BYTES)
}

pub(crate) fn instance(value: &str) -> Rule {
    text(value, 1, MAX_INSTANCE_BYTES)
}

pub(crate) fn free_text(value: &str) -> Rule {
    text(value, 0, MAX_TEXT_BYTES)
}

pub(crate) fn pid(value: u64) -> Rule {
    if (1..=MAX_PID as u64).contains(&value) {
        Ok(())
    } else {
        Err(format!("must be an integer in 1..={MAX_PID}, got {value}"))
    }
}

pub(crate) fn tokens(value: u64) -> Rule {
    if value <= MAX_TOKENS {
        Ok(())
    } else {
        Err(format!("must be an integer in 0..={MAX_TOKENS}, got {value}"))
    }
}

pub(crate) fn count(value: u64) -> Rule {
    if (1..=MAX_TOKENS).contains(&value) {
        Ok(())
    } else {
        Err(format!("must be an integer in 1..={MAX_TOKENS}, got {value}"))
    }
}

pub(crate) fn seq(value: u64) -> Rule {
    if (1..=MAX_SEQ).contains(&value) {
        Ok(())
    } else {
        Err(format!("must be an integer in 1..={MAX_SEQ}, got {value}"))
    }
}

/// Durations, costs and lags: finite and not negative.
pub(crate) fn non_negative(value: f64) -> Rule {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(format!("must be a finite number >= 0, got {value}"))
    }
}

/// Heartbeat intervals: more than 0 and at most a day, so that every
/// language's timer can hold them and a monitor's threshold stays meaningful.
pub(crate) fn heartbeat_interval(seconds: f64) -> Rule {
    if seconds.is_finite() && seconds > 0.0 && seconds <= MAX_HEARTBEAT_INTERVAL_S {
        Ok(())
    } else {
        Err(format!("must be a number of seconds in (0, {MAX_HEARTBEAT_INTERVAL_S}], got {seconds}"))
    }
}

pub(crate) fn version(value: u64) -> Rule {
    if value >= 1 && value <= u32::MAX as u64 {
        Ok(())
    } else {
        Err(format!("must be an integer >= 1, got {value}"))
    }
}
