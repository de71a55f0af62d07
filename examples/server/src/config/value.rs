//! One parser per kind of setting value, shared by the `serve` flags and the
//! config file, so both accept and refuse the same text with the same words.
//! A parser that refuses returns what it expected; the caller adds what it got
//! (clap shows the flag's text itself, the file shows the TOML value).
//! Each kind also has a formatter whose text its parser reads back, for the
//! defaults shown in `--help` and in `kissmon-server config`.

use std::net::SocketAddr;
use std::time::Duration;

pub const DURATION: &str = "a duration like 500ms, 15s, 24h or 7d";
pub const MODE: &str = "octal permission bits like 0660";
pub const HTTP: &str = "an address like 127.0.0.1:9477 or [::1]:9477, or \"off\"";
pub const COUNT: &str = "a whole number like 256";
pub const BOOL: &str = "true or false";
pub const TEXT: &str = "a string";

/// Where the HTTP API listens; `off` is `HttpAddr(None)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpAddr(pub Option<SocketAddr>);

pub fn duration(text: &str) -> Result<Duration, &'static str> {
    match humantime::parse_duration(text) {
        Ok(duration) if duration.is_zero() => Err("a duration of more than zero"),
        Ok(duration) => Ok(duration),
        Err(_) => Err(DURATION),
    }
}

pub fn mode(text: &str) -> Result<u32, &'static str> {
    let digits = text.strip_prefix("0o").unwrap_or(text);
    match u32::from_str_radix(digits, 8) {
        Ok(mode) if mode <= 0o777 => Ok(mode),
        _ => Err(MODE),
    }
}

pub fn http(text: &str) -> Result<HttpAddr, &'static str> {
    if text == "off" {
        return Ok(HttpAddr(None));
    }
    text.parse().map(|addr| HttpAddr(Some(addr))).map_err(|_| HTTP)
}

pub fn count(text: &str) -> Result<usize, &'static str> {
    text.parse().map_err(|_| COUNT)
}

/// The shortest exact form: `7d`, `15s`, `500ms` (24 h reads `1d`).
pub fn show_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if duration.subsec_nanos() % 1_000_000 != 0 {
        return humantime::format_duration(duration).to_string();
    }
    for (unit, per) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
        if millis % per == 0 {
            return format!("{}{unit}", millis / per);
        }
    }
    format!("{millis}ms")
}

pub fn show_mode(mode: u32) -> String {
    format!("{mode:04o}")
}

pub fn show_http(http: HttpAddr) -> String {
    http.0.map_or_else(|| "off".to_string(), |addr| addr.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shown_value_parses_back() {
        for text in ["7d", "1d", "75s", "15s", "1m", "500ms", "2h"] {
            assert_eq!(show_duration(duration(text).unwrap()), text);
        }
        assert_eq!(duration(&show_duration(Duration::from_micros(1500))), Ok(Duration::from_micros(1500)));
        assert_eq!(mode(&show_mode(0o660)), Ok(0o660));
        assert_eq!(mode(&show_mode(0o7)), Ok(0o7));
        for text in ["off", "127.0.0.1:9477", "[::1]:0"] {
            assert_eq!(show_http(http(text).unwrap()), text);
        }
    }

    #[test]
    fn refusals_say_what_was_expected() {
        assert_eq!(duration("fast"), Err(DURATION));
        assert_eq!(duration("15"), Err(DURATION));
        assert_eq!(duration("0s"), Err("a duration of more than zero"));
        assert_eq!(mode("999"), Err(MODE));
        assert_eq!(mode("1777"), Err(MODE));
        assert_eq!(http("localhost:9477"), Err(HTTP));
        assert_eq!(count("-1"), Err(COUNT));
    }
}
