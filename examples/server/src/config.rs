//! Every setting of a running monitor, with its default, and how one is
//! decided: a `serve` flag over the config file over the environment over the
//! default. The flags and the file keys map one to one onto these fields
//! ([`Settings`]); the defaults live in [`Config::new`] and nowhere else.

mod file;
mod settings;
pub mod value;

pub use file::example;
pub use settings::{Settings, FROM_ENVIRONMENT};

use crate::{Error, Result};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the database goes when `--db` is not given.
pub const DEFAULT_DB_PATH: &str = "./kissbot_monitor.db";

/// Where the HTTP API listens when `--http` is not given: loopback only.
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:9477";

/// Where `serve` takes an HTTP token from when neither a flag nor the file gives one.
pub const HTTP_TOKEN_ENV: &str = "KISSMON_HTTP_TOKEN";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub socket_path: PathBuf,
    pub db_path: PathBuf,
    /// Permission bits of the socket file. Connecting needs write permission.
    pub socket_mode: u32,
    /// The least time without a heartbeat before a bot is stale, whatever it announced.
    pub stale_floor: Duration,
    /// The stale threshold of a bot that announced no `heartbeat_interval_s`
    /// (2.5 x the earlier monitor's 30 s heartbeat).
    pub stale_default: Duration,
    /// How often staleness is checked and pids are looked up in /proc.
    pub check_every: Duration,
    /// How often rss and cpu of each local bot are sampled into `bot_metrics`.
    pub metrics_every: Duration,
    /// `bot_metrics` and `bot_transitions` rows older than this are deleted.
    pub retention: Duration,
    /// How often `last_seen` of heartbeating bots and the counters are written.
    pub status_flush_every: Duration,
    /// Reject (and count) a message whose pid differs from the connection's
    /// peer pid, instead of accepting and flagging it.
    pub reject_peer_mismatch: bool,
    /// llm_usage rows that may wait for the writer before further ones are
    /// folded into per-(channel, model, feature, ...) aggregates.
    pub max_pending_usage: usize,
    /// Distinct aggregates allowed once rows fold; past this, calls are shed and counted.
    pub max_usage_aggregates: usize,
    /// Bot connections open at once; a connection past this is closed at once, logged and
    /// counted (`connections_shed`). Capped below the open-files limit.
    pub max_connections: usize,
    /// The HTTP API's address; `None` when `--http off`.
    pub http: Option<SocketAddr>,
    /// Bearer token every endpoint but `/healthz` requires, when set.
    pub http_token: Option<String>,
    /// `/metrics` answers without the token.
    pub metrics_public: bool,
    /// HTTP connections served at once; more wait in the kernel's backlog.
    pub http_max_connections: usize,
    /// How long a request may take, from its first header byte to the end of the response.
    pub http_request_timeout: Duration,
    /// `/healthz` answers 503 when rows wait for the writer and nothing was committed for this long.
    pub writer_stall: Duration,
    /// Dead and offline bots stay in the live view (API, metrics) this long after their last change.
    pub forget_after: Duration,
    /// The log filter (tracing syntax); `RUST_LOG` overrides it.
    pub log: String,
    /// Alert rules and notifiers (`[alerts]` in the config file, `--alert-webhook`).
    pub alerts: crate::alerts::AlertsConfig,
    /// Who this monitor is in a database several monitors share (PostgreSQL): the hostname by default.
    pub monitor_id: String,
    /// Where metrics go over OTLP/HTTP protobuf (`.../v1/metrics`), if anywhere.
    pub otlp_endpoint: Option<String>,
}

impl Config {
    pub fn new(socket_path: impl Into<PathBuf>, db_path: impl Into<PathBuf>) -> Config {
        Config {
            socket_path: socket_path.into(),
            db_path: db_path.into(),
            socket_mode: 0o660,
            stale_floor: Duration::from_secs(15),
            stale_default: Duration::from_secs(75),
            check_every: Duration::from_secs(5),
            metrics_every: Duration::from_secs(15),
            retention: Duration::from_secs(7 * 24 * 3600),
            status_flush_every: Duration::from_secs(1),
            reject_peer_mismatch: false,
            max_pending_usage: 200_000,
            max_usage_aggregates: 10_000,
            max_connections: 20_000,
            http: Some(DEFAULT_HTTP_ADDR.parse().expect("the default HTTP address parses")),
            http_token: None,
            metrics_public: false,
            http_max_connections: 256,
            http_request_timeout: Duration::from_secs(30),
            writer_stall: Duration::from_secs(30),
            forget_after: Duration::from_secs(24 * 3600),
            log: "info".to_string(),
            alerts: crate::alerts::AlertsConfig::default(),
            monitor_id: hostname(),
            otlp_endpoint: None,
        }
    }

    /// `--db` as messages show it: a PostgreSQL URL without its password.
    pub fn db_shown(&self) -> String {
        match self.postgres_url() {
            Some(url) => crate::store::postgres::hide_password(url),
            None => self.db_path.display().to_string(),
        }
    }

    /// The PostgreSQL URL of `--db`, when it names one rather than a SQLite file.
    pub fn postgres_url(&self) -> Option<&str> {
        crate::store::postgres::url(&self.db_path)
    }

    /// The defaults, with the socket from `$KISSBOT_MONITOR_SOCKET` and the
    /// HTTP token from `$KISSMON_HTTP_TOKEN` where they are set.
    pub fn from_env() -> Config {
        let mut config = Config::new(kissmon::default_socket_path(), DEFAULT_DB_PATH);
        config.http_token = std::env::var(HTTP_TOKEN_ENV).ok();
        config
    }

    /// The settings of `serve`: `flags` over the config `file` over the
    /// environment over the defaults, checked with [`Config::validate`].
    pub fn resolve(file: Option<&Path>, flags: Settings) -> Result<Config> {
        let mut config = Config::from_env();
        if let Some(path) = file {
            Settings::read(path)?.apply(&mut config);
        }
        flags.apply(&mut config);
        config.validate()?;
        Ok(config)
    }

    /// Refuses settings that would expose the monitor or cannot work; call it
    /// before anything binds.
    pub fn validate(&self) -> Result<()> {
        const TOKEN: &str = "--http-token (http_token in a config file, or $KISSMON_HTTP_TOKEN)";
        match &self.http_token {
            Some(token) if token.is_empty() => {
                return Err(Error::new(format!("the HTTP token is empty: give {TOKEN} a value, or unset it")));
            }
            Some(token) if !token.bytes().all(|b| b.is_ascii_graphic()) => {
                return Err(Error::new(format!(
                    "the HTTP token given by {TOKEN} may hold only visible ASCII characters, no spaces, \
                     so that clients can send it in an Authorization header"
                )));
            }
            _ => {}
        }
        if let (Some(addr), None) = (self.http, &self.http_token) {
            if !addr.ip().is_loopback() {
                return Err(Error::new(format!(
                    "refusing to serve HTTP on {addr} without a token: --http (http in a config file) is not a \
                     loopback address, so anyone who can reach it could read the monitor. Set {TOKEN}, or bind \
                     a loopback address such as {DEFAULT_HTTP_ADDR}, or --http off"
                )));
            }
        }
        if self.monitor_id.is_empty() || self.monitor_id.chars().any(char::is_control) || self.monitor_id.len() > 128 {
            return Err(Error::new(format!(
                "--monitor-id (monitor_id in a config file) must be 1 to 128 bytes without control characters, got {:?}",
                self.monitor_id
            )));
        }
        if let Some(endpoint) = &self.otlp_endpoint {
            crate::otlp::check_endpoint(endpoint)
                .map_err(|why| Error::new(format!("--otlp-endpoint (otlp_endpoint in a config file): {why}")))?;
        }
        if self.max_connections == 0 {
            return Err(Error::new("--max-connections (max_connections in a config file) must be at least 1"));
        }
        if self.http_max_connections == 0 {
            return Err(Error::new(
                "--http-max-connections (http_max_connections in a config file) must be at least 1",
            ));
        }
        Ok(())
    }

    /// How long `announced` (seconds, if any) may go without a heartbeat.
    pub fn stale_after(&self, announced: Option<f64>) -> Duration {
        let wanted = match announced {
            Some(interval) if interval.is_finite() && interval > 0.0 => {
                Duration::try_from_secs_f64(interval * 2.5).unwrap_or(Duration::MAX)
            }
            _ => self.stale_default,
        };
        wanted.max(self.stale_floor)
    }
}

/// This host's name, the default monitor id; `localhost` when it cannot be read.
/// This host's name (`localhost` when it has none).
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `buf.len()` bytes into `buf`.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..end]).trim().to_owned();
    if ok && !name.is_empty() {
        name
    } else {
        "localhost".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_threshold_is_two_and_a_half_intervals_over_the_floor() {
        let config = Config::new("s", "d");
        assert_eq!(config.stale_after(Some(30.0)), Duration::from_secs(75));
        assert_eq!(config.stale_after(Some(1.0)), Duration::from_secs(15), "the floor");
        assert_eq!(config.stale_after(None), Duration::from_secs(75));
        assert_eq!(config.stale_after(Some(1e300)), Duration::MAX);
    }

    fn validated(http: &str, token: Option<&str>) -> Result<()> {
        let mut config = Config::new("s", "d");
        config.http = value::http(http).unwrap().0;
        config.http_token = token.map(String::from);
        config.validate()
    }

    #[test]
    fn a_non_loopback_address_needs_a_token() {
        for http in ["127.0.0.1:9477", "[::1]:9477", "127.0.0.2:1", "off"] {
            assert!(validated(http, None).is_ok(), "{http}");
        }
        for http in ["0.0.0.0:9477", "[::]:9477", "192.168.1.5:80"] {
            let err = validated(http, None).unwrap_err().to_string();
            assert!(err.contains("--http ") && err.contains("--http-token") && err.contains(HTTP_TOKEN_ENV), "{err}");
            assert!(validated(http, Some("s3cret")).is_ok(), "{http}");
        }
        assert!(validated("off", Some("")).unwrap_err().to_string().contains("empty"));
        assert!(validated("0.0.0.0:1", Some("two words")).unwrap_err().to_string().contains("visible ASCII"));
        let mut config = Config::new("s", "d");
        config.http_max_connections = 0;
        assert!(config.validate().unwrap_err().to_string().contains("--http-max-connections"));
    }

    /// A config whose every field differs from the defaults.
    fn unusual() -> Config {
        Config {
            socket_path: "other.sock".into(),
            db_path: "other.db".into(),
            socket_mode: 0o600,
            stale_floor: Duration::from_secs(1),
            stale_default: Duration::from_secs(2),
            check_every: Duration::from_secs(3),
            metrics_every: Duration::from_secs(4),
            retention: Duration::from_secs(5),
            status_flush_every: Duration::from_secs(6),
            reject_peer_mismatch: true,
            max_pending_usage: 7,
            max_usage_aggregates: 8,
            max_connections: 13,
            http: None,
            http_token: Some("token".into()),
            metrics_public: true,
            http_max_connections: 9,
            http_request_timeout: Duration::from_secs(10),
            writer_stall: Duration::from_secs(11),
            forget_after: Duration::from_secs(12),
            log: "debug".into(),
            alerts: crate::alerts::AlertsConfig { rules: Vec::new(), ..Default::default() },
            monitor_id: "other-host".into(),
            otlp_endpoint: Some("http://127.0.0.1:4318/v1/metrics".into()),
        }
    }

    #[test]
    fn settings_read_and_apply_every_field() {
        let (mut config, defaults) = (unusual(), Config::new("s", "d"));
        Settings::of(&defaults).apply(&mut config);
        assert_eq!(config.http_token.take().as_deref(), Some("token"), "no token is no setting, not a removal");
        assert!(config.otlp_endpoint.take().is_some(), "no endpoint is no setting, not a removal");
        assert_eq!(config, defaults);
        let mut config = Config::new("s", "d");
        Settings::of(&unusual()).apply(&mut config);
        assert_eq!(config, unusual());
        Settings::default().apply(&mut config);
        assert_eq!(config, unusual(), "a setting not given changes nothing");
    }
}
