//! Every setting of a running monitor, with its default. The CLI's `serve`
//! flags map one to one onto these fields.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where the database goes when `--db` is not given.
pub const DEFAULT_DB_PATH: &str = "./kissbot_monitor.db";

/// Where the HTTP API listens when `--http` is not given: loopback only.
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:9477";

#[derive(Debug, Clone)]
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
            http: Some(DEFAULT_HTTP_ADDR.parse().expect("the default HTTP address parses")),
            http_token: None,
            metrics_public: false,
            http_max_connections: 256,
            http_request_timeout: Duration::from_secs(30),
            writer_stall: Duration::from_secs(30),
            forget_after: Duration::from_secs(24 * 3600),
        }
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
}
