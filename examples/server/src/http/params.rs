//! Query strings, read strictly: each parameter at most once, every one
//! known, every value checked, and each error names the parameter.

use super::error::ApiError;
use crate::time::{iso, parse_iso};
use std::time::{Duration, SystemTime};

/// The most `limit` any paged endpoint takes.
pub const MAX_LIMIT: usize = 1000;

pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn parse(query: Option<&str>) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> = match query {
            None | Some("") => Vec::new(),
            Some(query) => serde_urlencoded::from_str(query)
                .map_err(|err| ApiError::bad_parameter("query string", format!("cannot be decoded: {err}")))?,
        };
        for (i, (name, _)) in pairs.iter().enumerate() {
            if pairs[..i].iter().any(|(other, _)| other == name) {
                return Err(ApiError::bad_parameter(name, "given more than once"));
            }
        }
        Ok(Params { pairs })
    }

    /// Removes and returns the raw value of `name`.
    pub fn take(&mut self, name: &str) -> Option<String> {
        let index = self.pairs.iter().position(|(n, _)| n == name)?;
        Some(self.pairs.swap_remove(index).1)
    }

    pub fn take_with<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(value) => parse(&value).map(Some).map_err(|why| ApiError::bad_parameter(name, why)),
        }
    }

    /// Fails on a parameter nobody took.
    pub fn finish(self, known: &[&str]) -> Result<(), ApiError> {
        match self.pairs.first() {
            None => Ok(()),
            Some((name, _)) => Err(ApiError {
                status: axum::http::StatusCode::BAD_REQUEST,
                code: "unknown_parameter",
                message: if known.is_empty() {
                    format!("{}: unknown parameter; this endpoint takes no parameters", shown(name))
                } else {
                    format!("{}: unknown parameter; this endpoint takes {}", shown(name), known.join(", "))
                },
            }),
        }
    }
}

/// A parameter name as it may be shown: bounded, and quoted when odd.
fn shown(name: &str) -> String {
    let cut: String = name.chars().take(64).collect();
    if cut.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !cut.is_empty() {
        cut
    } else {
        format!("{cut:?}")
    }
}

/// An instant: RFC 3339 (`2026-12-01T10:00:00Z`), Unix seconds, or a
/// duration before now (`90s`, `15m`, `24h`, `7d`).
pub fn instant(text: &str) -> Result<SystemTime, String> {
    let expected = "expected RFC 3339 like 2026-12-01T10:00:00Z, Unix seconds, or a duration ago like 24h";
    if text.len() > 64 {
        return Err(format!("{expected}, got {} bytes", text.len()));
    }
    if let Ok(secs) = text.parse::<f64>() {
        if secs.is_finite() && (0.0..1e11).contains(&secs) {
            return Ok(crate::time::from_unix(secs));
        }
        return Err(format!("{expected}, got {text:?} (out of range)"));
    }
    if let Some(at) = parse_iso(text).filter(|_| text.contains('T') || text.contains(' ')) {
        return Ok(at);
    }
    match humantime::parse_duration(text) {
        Ok(ago) if ago <= Duration::from_secs(100 * 365 * 86_400) => {
            Ok(SystemTime::now().checked_sub(ago).unwrap_or(SystemTime::UNIX_EPOCH))
        }
        _ => Err(format!("{expected}, got {text:?}")),
    }
}

/// A positive page size up to [`MAX_LIMIT`].
pub fn limit(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(format!("expected an integer in 1..={MAX_LIMIT}, got {text:?}")),
    }
}

/// A channel as the protocol allows it: 1 to 128 bytes, no control characters.
pub fn channel(text: &str) -> Result<String, String> {
    let max = kissmon::wire::MAX_CHANNEL_BYTES;
    if text.is_empty() || text.len() > max {
        return Err(format!("a channel is 1 to {max} bytes, got {}", text.len()));
    }
    match text.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!("a channel has no control characters, found U+{:04X}", c as u32)),
        None => Ok(text.to_owned()),
    }
}

/// A monitor id as `--monitor-id` takes it: 1 to 128 bytes, no control characters.
pub fn monitor(text: &str) -> Result<String, String> {
    if text.is_empty() || text.len() > 128 {
        return Err(format!("a monitor id is 1 to 128 bytes, got {}", text.len()));
    }
    match text.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!("a monitor id has no control characters, found U+{:04X}", c as u32)),
        None => Ok(text.to_owned()),
    }
}

/// `since` and `until` with their defaults, checked to be in order.
pub fn range(params: &mut Params, default_since: Duration) -> Result<(SystemTime, SystemTime), ApiError> {
    let now = SystemTime::now();
    let since = params.take_with("since", instant)?.unwrap_or_else(|| now.checked_sub(default_since).unwrap_or(now));
    let until = params.take_with("until", instant)?.unwrap_or(now);
    if until < since {
        return Err(ApiError::bad_parameter("until", format!("{} is before since ({})", iso(until), iso(since))));
    }
    Ok((since, until))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_in_three_forms() {
        assert_eq!(instant("1700000000").unwrap(), crate::time::from_unix(1_700_000_000.0));
        assert_eq!(iso(instant("2026-12-01T10:00:00Z").unwrap()), "2026-12-01T10:00:00.000000Z");
        let ago = SystemTime::now().duration_since(instant("24h").unwrap()).unwrap();
        assert!(ago > Duration::from_secs(86_390) && ago < Duration::from_secs(86_410), "{ago:?}");
        assert!(instant("yesterday").unwrap_err().contains("\"yesterday\""));
        assert!(instant("-5").is_err());
        assert!(instant("1e300").is_err());
    }

    #[test]
    fn repeated_and_unknown_parameters_are_named() {
        assert!(Params::parse(Some("a=1&a=2")).err().unwrap().message.starts_with("a: given more than once"));
        let mut params = Params::parse(Some("limit=5&bogus=1")).unwrap();
        assert_eq!(params.take_with("limit", limit).unwrap(), Some(5));
        let err = params.finish(&["limit"]).unwrap_err();
        assert_eq!(err.code, "unknown_parameter");
        assert!(err.message.starts_with("bogus: unknown parameter"));
        assert!(Params::parse(Some("limit=0")).unwrap().take_with("limit", limit).is_err());
        assert!(Params::parse(Some("limit=1000000")).unwrap().take_with("limit", limit).is_err());
    }
}
