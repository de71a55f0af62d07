//! [`Settings`]: the `serve` flags, each one optional, so that a flag that was
//! not given leaves the value of the config file, the environment or the
//! default in place. Its doc comments are the one description of every setting:
//! clap shows them in `--help`, and [`super::example`] writes them into the
//! example config file.

use super::value::{self, HttpAddr};
use super::Config;
use clap::{ArgAction, Args, CommandFactory};
use std::path::PathBuf;
use std::time::Duration;

/// Settings whose default comes from the environment; the example file shows
/// them commented out, so that the environment still applies.
pub const FROM_ENVIRONMENT: &[&str] = &["socket", "http_token", "monitor_id"];

#[derive(Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Socket path. Default: $KISSBOT_MONITOR_SOCKET, else /tmp/kissbot_monitor.sock.
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// SQLite database file, created if absent; an earlier monitor's database is extended in place.
    /// Or a PostgreSQL URL (postgres://user@host/db) that several monitors share.
    #[arg(long, value_name = "PATH|URL")]
    pub db: Option<PathBuf>,
    /// This monitor's name in a database several monitors share: every row it writes carries it.
    /// Default: the hostname.
    #[arg(long, value_name = "NAME")]
    pub monitor_id: Option<String>,
    /// Export metrics over OTLP/HTTP protobuf to this URL (e.g. http://collector:4318/v1/metrics).
    #[arg(long, value_name = "URL")]
    pub otlp_endpoint: Option<String>,
    /// Permission bits of the socket file, in octal.
    #[arg(long, value_name = "MODE", value_parser = flag(value::mode))]
    pub socket_mode: Option<u32>,
    /// Least time without a heartbeat before a bot is stale (threshold: max(2.5 x its interval, this)).
    #[arg(long, value_name = "DURATION", value_parser = flag(value::duration))]
    pub stale_floor: Option<Duration>,
    /// Stale threshold of a bot that announced no heartbeat interval.
    #[arg(long, value_name = "DURATION", value_parser = flag(value::duration))]
    pub stale_default: Option<Duration>,
    /// How often staleness is checked and bot pids are looked up in /proc.
    #[arg(long, value_name = "DURATION", value_parser = flag(value::duration))]
    pub check_every: Option<Duration>,
    /// How often rss and cpu of local bots are sampled into bot_metrics.
    #[arg(long, value_name = "DURATION", value_parser = flag(value::duration))]
    pub metrics_every: Option<Duration>,
    /// bot_metrics and bot_transitions rows older than this are deleted.
    #[arg(long, value_name = "DURATION", value_parser = flag(value::duration))]
    pub retention: Option<Duration>,
    /// How often last_seen of heartbeating bots and the counters are written.
    #[arg(long, value_name = "DURATION", value_parser = flag(value::duration))]
    pub status_flush_every: Option<Duration>,
    /// Reject (and count) messages whose pid differs from the connection's peer pid, instead of flagging them.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true",
          action = ArgAction::Set)]
    pub reject_peer_mismatch: Option<bool>,
    /// llm_usage rows that may wait for the writer before further ones fold into aggregates.
    #[arg(long, value_name = "N", value_parser = flag(value::count))]
    pub max_pending_usage: Option<usize>,
    /// Distinct llm_usage aggregates allowed while rows fold; past this, calls are shed and counted.
    #[arg(long, value_name = "N", value_parser = flag(value::count))]
    pub max_usage_aggregates: Option<usize>,
    /// Bot connections open at once; past this a new connection is closed at once, logged and
    /// counted as connections_shed (capped below the open-files limit).
    #[arg(long, value_name = "N", value_parser = flag(value::count))]
    pub max_connections: Option<usize>,
    /// Address of the HTTP API, dashboard and /metrics (e.g. 127.0.0.1:9477, [::1]:9477), or `off`.
    /// A non-loopback address needs --http-token.
    #[arg(long, value_name = "ADDR", value_parser = flag(value::http))]
    pub http: Option<HttpAddr>,
    /// Bearer token that every HTTP endpoint but /healthz requires. Default: $KISSMON_HTTP_TOKEN.
    #[arg(long, value_name = "TOKEN")]
    pub http_token: Option<String>,
    /// Serve /metrics without the token (Prometheus scrapers that cannot send one).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true",
          action = ArgAction::Set)]
    pub metrics_public: Option<bool>,
    /// HTTP connections served at once; further ones wait until one closes.
    #[arg(long, value_name = "N", value_parser = flag(value::count))]
    pub http_max_connections: Option<usize>,
    /// How long one HTTP request may take, headers included, before the connection is closed.
    #[arg(long, value_name = "DURATION", value_parser = flag(value::duration))]
    pub http_request_timeout: Option<Duration>,
    /// /healthz reports 503 when rows wait for the writer and none were committed for this long.
    #[arg(long, value_name = "DURATION", value_parser = flag(value::duration))]
    pub writer_stall: Option<Duration>,
    /// Dead and offline bots leave the live view (API, /metrics) this long after their last change; their rows stay.
    #[arg(long, value_name = "DURATION", value_parser = flag(value::duration))]
    pub forget_after: Option<Duration>,
    /// Log filter (tracing syntax); RUST_LOG overrides it.
    #[arg(long, value_name = "FILTER")]
    pub log: Option<String>,
    /// `[alerts]` of the config file (no flag: `--alert-webhook` adds to it in `serve`).
    #[arg(skip)]
    pub alerts: Option<crate::alerts::AlertsConfig>,
}

/// A value parser for clap: clap names the flag and the text, we add what we expected.
fn flag<T>(parse: fn(&str) -> Result<T, &'static str>) -> impl Fn(&str) -> Result<T, String> + Clone {
    move |text| parse(text).map_err(|expected| format!("expected {expected}"))
}

/// A standalone `clap::Command` of the settings, for their names and docs.
#[derive(clap::Parser)]
struct Only {
    #[command(flatten)]
    settings: Settings,
}

impl Settings {
    /// Every setting of `config`.
    pub fn of(config: &Config) -> Settings {
        Settings {
            socket: Some(config.socket_path.clone()),
            db: Some(config.db_path.clone()),
            monitor_id: Some(config.monitor_id.clone()),
            otlp_endpoint: config.otlp_endpoint.clone(),
            socket_mode: Some(config.socket_mode),
            stale_floor: Some(config.stale_floor),
            stale_default: Some(config.stale_default),
            check_every: Some(config.check_every),
            metrics_every: Some(config.metrics_every),
            retention: Some(config.retention),
            status_flush_every: Some(config.status_flush_every),
            reject_peer_mismatch: Some(config.reject_peer_mismatch),
            max_pending_usage: Some(config.max_pending_usage),
            max_usage_aggregates: Some(config.max_usage_aggregates),
            max_connections: Some(config.max_connections),
            http: Some(HttpAddr(config.http)),
            http_token: config.http_token.clone(),
            metrics_public: Some(config.metrics_public),
            http_max_connections: Some(config.http_max_connections),
            http_request_timeout: Some(config.http_request_timeout),
            writer_stall: Some(config.writer_stall),
            forget_after: Some(config.forget_after),
            log: Some(config.log.clone()),
            alerts: Some(config.alerts.clone()),
        }
    }

    /// Sets in `config` every setting that is given here; the others stay.
    pub fn apply(self, config: &mut Config) {
        fn set<T>(field: &mut T, value: Option<T>) {
            if let Some(value) = value {
                *field = value;
            }
        }
        let Settings {
            socket,
            db,
            monitor_id,
            otlp_endpoint,
            socket_mode,
            stale_floor,
            stale_default,
            check_every,
            metrics_every,
            retention,
            status_flush_every,
            reject_peer_mismatch,
            max_pending_usage,
            max_usage_aggregates,
            max_connections,
            http,
            http_token,
            metrics_public,
            http_max_connections,
            http_request_timeout,
            writer_stall,
            forget_after,
            log,
            alerts,
        } = self;
        set(&mut config.alerts, alerts);
        set(&mut config.monitor_id, monitor_id);
        set(&mut config.otlp_endpoint, otlp_endpoint.map(Some));
        set(&mut config.socket_path, socket);
        set(&mut config.db_path, db);
        set(&mut config.socket_mode, socket_mode);
        set(&mut config.stale_floor, stale_floor);
        set(&mut config.stale_default, stale_default);
        set(&mut config.check_every, check_every);
        set(&mut config.metrics_every, metrics_every);
        set(&mut config.retention, retention);
        set(&mut config.status_flush_every, status_flush_every);
        set(&mut config.reject_peer_mismatch, reject_peer_mismatch);
        set(&mut config.max_pending_usage, max_pending_usage);
        set(&mut config.max_usage_aggregates, max_usage_aggregates);
        set(&mut config.max_connections, max_connections);
        set(&mut config.http, http.map(|http| http.0));
        set(&mut config.http_token, http_token.map(Some));
        set(&mut config.metrics_public, metrics_public);
        set(&mut config.http_max_connections, http_max_connections);
        set(&mut config.http_request_timeout, http_request_timeout);
        set(&mut config.writer_stall, writer_stall);
        set(&mut config.forget_after, forget_after);
        set(&mut config.log, log);
    }

    /// The settings that are given, as config file values, keyed by name.
    pub fn to_toml(&self) -> toml::Table {
        use toml::Value;
        let text = |text: String| Value::String(text);
        let count = |n: usize| Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
        let path = |path: &PathBuf| text(path.display().to_string());
        let duration = |d: &Duration| text(value::show_duration(*d));
        let Settings {
            socket,
            db,
            monitor_id,
            otlp_endpoint,
            socket_mode,
            stale_floor,
            stale_default,
            check_every,
            metrics_every,
            retention,
            status_flush_every,
            reject_peer_mismatch,
            max_pending_usage,
            max_usage_aggregates,
            max_connections,
            http,
            http_token,
            metrics_public,
            http_max_connections,
            http_request_timeout,
            writer_stall,
            forget_after,
            log,
            alerts: _,
        } = self;
        let entries = [
            ("socket", socket.as_ref().map(path)),
            ("db", db.as_ref().map(path)),
            ("monitor_id", monitor_id.clone().map(text)),
            ("otlp_endpoint", otlp_endpoint.clone().map(text)),
            ("socket_mode", socket_mode.map(|mode| text(value::show_mode(mode)))),
            ("stale_floor", stale_floor.as_ref().map(duration)),
            ("stale_default", stale_default.as_ref().map(duration)),
            ("check_every", check_every.as_ref().map(duration)),
            ("metrics_every", metrics_every.as_ref().map(duration)),
            ("retention", retention.as_ref().map(duration)),
            ("status_flush_every", status_flush_every.as_ref().map(duration)),
            ("reject_peer_mismatch", reject_peer_mismatch.map(Value::Boolean)),
            ("max_pending_usage", max_pending_usage.map(count)),
            ("max_usage_aggregates", max_usage_aggregates.map(count)),
            ("max_connections", max_connections.map(count)),
            ("http", http.map(|http| text(value::show_http(http)))),
            ("http_token", http_token.clone().map(text)),
            ("metrics_public", metrics_public.map(Value::Boolean)),
            ("http_max_connections", http_max_connections.map(count)),
            ("http_request_timeout", http_request_timeout.as_ref().map(duration)),
            ("writer_stall", writer_stall.as_ref().map(duration)),
            ("forget_after", forget_after.as_ref().map(duration)),
            ("log", log.clone().map(text)),
        ];
        entries.into_iter().filter_map(|(key, value)| Some((key.to_string(), value?))).collect()
    }

    /// Every setting's name (its config file key) and doc text, in `--help` order.
    pub fn documented() -> Vec<(String, String)> {
        Only::command()
            .get_arguments()
            .filter(|arg| arg.get_long().is_some_and(|long| !["help", "version"].contains(&long)))
            .map(|arg| (arg.get_id().to_string(), arg.get_help().map(ToString::to_string).unwrap_or_default()))
            .collect()
    }

    /// The default of each setting that has a fixed one, as `--help` shows it.
    pub fn shown_defaults() -> Vec<(String, String)> {
        let defaults = Settings::of(&Config::new(kissmon::DEFAULT_SOCKET_PATH, super::DEFAULT_DB_PATH)).to_toml();
        defaults
            .into_iter()
            .filter(|(key, _)| !FROM_ENVIRONMENT.contains(&key.as_str()))
            .map(|(key, value)| match value {
                toml::Value::String(text) => (key, text),
                other => (key, other.to_string()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_has_a_doc_and_a_file_value() {
        let documented: Vec<String> = Settings::documented().into_iter().map(|(key, _)| key).collect();
        let mut keys: Vec<String> = Settings::of(&Config::new("s", "d")).to_toml().keys().cloned().collect();
        keys.push("http_token".into());
        keys.push("otlp_endpoint".into());
        keys.sort();
        let mut sorted = documented.clone();
        sorted.sort();
        assert_eq!(sorted, keys);
        assert!(Settings::documented().iter().all(|(_, doc)| !doc.is_empty()));
    }

    fn flags(args: &[&str]) -> Settings {
        use clap::Parser;
        Only::try_parse_from(std::iter::once("serve").chain(args.iter().copied())).unwrap().settings
    }

    #[test]
    fn a_flag_not_given_leaves_the_file_and_a_switch_can_be_turned_off() {
        assert_eq!(flags(&[]), Settings::default());
        assert_eq!(flags(&["--metrics-public"]).metrics_public, Some(true));
        let mut config = Config::new("s", "d");
        Settings::parse("metrics_public = true\nstale_floor = \"1s\"", "f").unwrap().apply(&mut config);
        flags(&["--metrics-public=false", "--log", "warn"]).apply(&mut config);
        assert!(!config.metrics_public);
        assert_eq!(config.stale_floor, Duration::from_secs(1));
        assert_eq!(config.log, "warn");
    }
}
