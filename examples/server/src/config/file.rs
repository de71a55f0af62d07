//! The config file of `serve --config PATH`: TOML whose keys are the `serve`
//! flags in snake_case, read with the same value parsers as the flags, and
//! the commented example that `kissmon-server config` prints.
//! Errors name the file, the line and the key, and say what was expected.

use super::settings::{Settings, FROM_ENVIRONMENT};
use super::value;
use crate::{Context, Error, Result};
use std::path::Path;
use toml::{Spanned, Value};

impl Settings {
    /// Reads the config file at `path`.
    pub fn read(path: &Path) -> Result<Settings> {
        let text = std::fs::read_to_string(path).context(|| format!("cannot read config file {}", path.display()))?;
        Settings::parse(&text, &path.display().to_string())
    }

    /// Parses config file `text`; `name` is the file as errors should call it.
    pub fn parse(text: &str, name: &str) -> Result<Settings> {
        let line = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let table: std::collections::BTreeMap<Spanned<String>, Spanned<Value>> =
            toml::from_str(text).map_err(|err| {
                let at = err.span().map(|span| format!(":{}", line(span.start))).unwrap_or_default();
                Error::new(format!("{name}{at}: {}", err.message().trim_end()))
            })?;
        let mut entries: Vec<_> = table.into_iter().collect();
        entries.sort_by_key(|(key, _)| key.span().start);
        let mut settings = Settings { alerts: crate::alerts::config::parse(text, name)?, ..Settings::default() };
        for (key, value) in entries {
            if key.get_ref() == "alerts" {
                continue;
            }
            if key.get_ref() == "alert_webhook" {
                let at = format!("{name}:{}: alert_webhook", line(key.span().start));
                let urls =
                    value.get_ref().as_array().ok_or_else(|| Error::new(format!("{at}: expected a list of URLs")))?;
                let alerts = settings.alerts.get_or_insert_with(Default::default);
                for url in urls {
                    let url = url.as_str().ok_or_else(|| Error::new(format!("{at}: expected a list of URLs")))?;
                    let url =
                        crate::alerts::notify::check_url(url).map_err(|why| Error::new(format!("{at}: {why}")))?;
                    alerts.add_webhook(url);
                }
                continue;
            }
            let written = text.get(value.span()).filter(|written| !written.contains('\n'));
            let given = Given {
                value: value.get_ref(),
                written: written.map_or_else(|| value.get_ref().to_string(), str::to_string),
            };
            settings.set(key.get_ref(), &given).map_err(|message| {
                Error::new(format!("{name}:{}: {}: {message}", line(key.span().start), key.get_ref()))
            })?;
        }
        Ok(settings)
    }

    fn set(&mut self, key: &str, value: &Given) -> Result<(), String> {
        use value::{duration, http, mode, DURATION, HTTP, MODE};
        match key {
            "socket" => self.socket = Some(value.text()?.into()),
            "db" => self.db = Some(value.text()?.into()),
            "monitor_id" => self.monitor_id = Some(value.text()?.to_string()),
            "otlp_endpoint" => self.otlp_endpoint = Some(value.text()?.to_string()),
            "socket_mode" => self.socket_mode = Some(value.parsed(MODE, mode)?),
            "stale_floor" => self.stale_floor = Some(value.parsed(DURATION, duration)?),
            "stale_default" => self.stale_default = Some(value.parsed(DURATION, duration)?),
            "check_every" => self.check_every = Some(value.parsed(DURATION, duration)?),
            "metrics_every" => self.metrics_every = Some(value.parsed(DURATION, duration)?),
            "retention" => self.retention = Some(value.parsed(DURATION, duration)?),
            "status_flush_every" => self.status_flush_every = Some(value.parsed(DURATION, duration)?),
            "reject_peer_mismatch" => self.reject_peer_mismatch = Some(value.boolean()?),
            "max_pending_usage" => self.max_pending_usage = Some(value.count()?),
            "max_usage_aggregates" => self.max_usage_aggregates = Some(value.count()?),
            "max_connections" => self.max_connections = Some(value.count()?),
            "http" => self.http = Some(value.parsed(HTTP, http)?),
            "http_token" => self.http_token = Some(value.text()?.to_string()),
            "metrics_public" => self.metrics_public = Some(value.boolean()?),
            "http_max_connections" => self.http_max_connections = Some(value.count()?),
            "http_request_timeout" => self.http_request_timeout = Some(value.parsed(DURATION, duration)?),
            "writer_stall" => self.writer_stall = Some(value.parsed(DURATION, duration)?),
            "forget_after" => self.forget_after = Some(value.parsed(DURATION, duration)?),
            "log" => self.log = Some(value.text()?.to_string()),
            _ => return Err(unknown(key)),
        }
        Ok(())
    }
}

/// A value of the file, and how it was written there (errors quote it so:
/// `0o660`, not the 432 that TOML reads).
struct Given<'a> {
    value: &'a Value,
    written: String,
}

impl Given<'_> {
    fn got(&self, expected: &str) -> String {
        format!("expected {expected}, got {}", self.written)
    }

    fn text(&self) -> Result<&str, String> {
        self.value.as_str().ok_or_else(|| self.got(value::TEXT))
    }

    /// A string read by the flag's parser; a number or a boolean is refused,
    /// not guessed at (`socket_mode = 660` is decimal 660 in TOML).
    fn parsed<T>(&self, expected: &str, parse: fn(&str) -> Result<T, &'static str>) -> Result<T, String> {
        let text = self.value.as_str().ok_or_else(|| self.got(expected))?;
        parse(text).map_err(|expected| self.got(expected))
    }

    fn count(&self) -> Result<usize, String> {
        let n = self.value.as_integer().ok_or_else(|| self.got(value::COUNT))?;
        value::count(&n.to_string()).map_err(|expected| self.got(expected))
    }

    fn boolean(&self) -> Result<bool, String> {
        self.value.as_bool().ok_or_else(|| self.got(value::BOOL))
    }
}

fn unknown(key: &str) -> String {
    let snake = key.replace('-', "_");
    if snake != key && Settings::documented().iter().any(|(known, _)| *known == snake) {
        return format!("not a setting; keys are snake_case: {snake}");
    }
    "not a setting (`kissmon-server config` prints every one)".to_string()
}

/// The commented example config file: every setting with its doc and its
/// default. Settings whose default comes from the environment are commented out.
pub fn example() -> String {
    let defaults = Settings::of(&super::Config::new(kissmon::DEFAULT_SOCKET_PATH, super::DEFAULT_DB_PATH)).to_toml();
    let mut out = String::from(
        "# kissmon-server config file, for `kissmon-server serve --config PATH`.\n\
         # Every key is a `serve` flag in snake_case; a flag given on the command\n\
         # line overrides the file. The values shown are the defaults.\n",
    );
    for (key, doc) in Settings::documented() {
        out.push('\n');
        for line in wrap(&doc, 78) {
            out.push_str(&format!("# {line}\n"));
        }
        let shown = match defaults.get(&key) {
            Some(value) => value.to_string(),
            None if key == "otlp_endpoint" => "\"http://127.0.0.1:4318/v1/metrics\"".to_string(),
            None => "\"a long random string\"".to_string(),
        };
        // Defaults from the environment, and settings that are off unless given, are commented out.
        let comment = if FROM_ENVIRONMENT.contains(&key.as_str()) || !defaults.contains_key(&key) { "# " } else { "" };
        out.push_str(&format!("{comment}{key} = {shown}\n"));
    }
    out.push_str(ALERTS_EXAMPLE);
    out
}

/// The alerts part of the example, commented out: with no `[alerts]` the
/// default rules apply (BotDead, BotStale, BotMissingAfterRestart) and nothing is sent.
const ALERTS_EXAMPLE: &str = r#"
# Send every alert to these URLs as Alertmanager's webhook payload (version 4);
# the same as `--alert-webhook URL`, repeatable.
# alert_webhook = ["https://chat.example/hooks/ops"]

# Alerts. Without [alerts] the default rules apply: BotDead (critical, at once),
# BotStale (warning, stale for 2m), BotMissingAfterRestart (warning). A rule
# named like a default replaces it; `default_rules = false` drops them.
# Durations like 30s, 2m, 4h; globs like "*", "worker-*", "bot-[0-9]".
# [alerts]
# default_rules = true
# evaluate_every = "1s"    # for timers and silences (status changes at once)
# usage_every = "15s"      # reads of llm_usage for budget and llm_* rules
# repeat_interval = "4h"   # notify again while still firing
#
# [[alerts.rule]]
# name = "WorkerDead"
# kind = "liveness"        # status: stale, dead, unknown, offline (not `close`), missing
# status = "dead"
# channel = "worker-*"
# for = "30s"
# severity = "critical"
#
# [[alerts.rule]]
# name = "TooFewWorkers"
# kind = "fleet"
# channel = "worker-*"
# min_online = 3
# for = "1m"
#
# [[alerts.rule]]
# name = "DailyTokens"
# kind = "budget"
# measure = "tokens"       # or cost_usd
# model = "gpt-*"          # and channel, feature globs
# per_channel = true
# window = "day"           # since 00:00 UTC, or a rolling duration like "1h"
# limit = 2000000
# warning = 80             # percent of limit
# critical = 100
#
# [[alerts.rule]]
# name = "LlmErrors"
# kind = "llm_errors"      # share of calls with ok=false, per model
# window = "10m"
# min_calls = 20
# warning = 0.1
# critical = 0.5
#
# [[alerts.rule]]
# name = "LlmSlow"
# kind = "llm_latency"     # p95 latency per model, in ms
# window = "10m"
# min_calls = 20
# warning = 5000
# critical = 15000
#
# [[alerts.rule]]
# name = "BotMemory"
# kind = "resource"        # rss_mb (MiB) or lag_ms (event-loop lag)
# metric = "rss_mb"
# warning = 512
# critical = 1024
# for = "5m"
#
# [[alerts.notifier]]
# name = "ops-chat"
# kind = "slack"           # webhook, slack, discord, alertmanager, command
# url = "https://hooks.slack.com/services/..."
# rules = ["*"]            # globs on alert names
# timeout = "10s"
#
# [[alerts.notifier]]
# name = "signed"
# kind = "webhook"
# url = "https://receiver.example/alerts"
# hmac_secret = "..."      # X-Kissmon-Signature: sha256=HEX of the body
#
# [[alerts.notifier]]
# name = "pager"
# kind = "command"         # the webhook payload on stdin
# command = ["/usr/local/bin/page", "--team", "ops"]
"#;

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(word.to_string());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    fn error(text: &str) -> String {
        Settings::parse(text, "config.toml").unwrap_err().to_string()
    }

    #[test]
    fn the_example_reads_back_as_the_defaults() {
        let settings = Settings::parse(&example(), "example").unwrap();
        let mut expected = Settings::of(&Config::new(kissmon::DEFAULT_SOCKET_PATH, crate::DEFAULT_DB_PATH));
        expected.socket = None;
        expected.http_token = None;
        expected.monitor_id = None;
        expected.alerts = None;
        assert_eq!(settings, expected);
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_key() {
        assert_eq!(
            error("db = \"x.db\"\nstale_floor = \"fast\"\n"),
            "config.toml:2: stale_floor: expected a duration like 500ms, 15s, 24h or 7d, got \"fast\""
        );
        assert_eq!(
            error("stale_floor = 15\n"),
            "config.toml:1: stale_floor: expected a duration like 500ms, 15s, 24h or 7d, got 15"
        );
        assert_eq!(
            error("\n\nsocket_mode = 660"),
            "config.toml:3: socket_mode: expected octal permission bits like 0660, got 660"
        );
        assert_eq!(
            error("max_pending_usage = -1"),
            "config.toml:1: max_pending_usage: expected a whole number like 256, got -1"
        );
        assert_eq!(
            error("metrics_public = \"yes\""),
            "config.toml:1: metrics_public: expected true or false, got \"yes\""
        );
        assert_eq!(
            error("stale-floor = \"1s\""),
            "config.toml:1: stale-floor: not a setting; keys are snake_case: stale_floor"
        );
        assert!(error("colour = \"blue\"").starts_with("config.toml:1: colour: not a setting"));
        assert_eq!(error("log = \"info\"\nlog = \"debug\"\n"), "config.toml:2: duplicate key");
        assert_eq!(
            error("socket_mode = 0o660"),
            "config.toml:1: socket_mode: expected octal permission bits like 0660, got 0o660"
        );
        assert!(error("http = [").starts_with("config.toml:1: "));
    }

    #[test]
    fn the_commented_alerts_example_reads_when_uncommented() {
        let uncommented: String = ALERTS_EXAMPLE
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest)
                    if rest.starts_with('[') || rest.split_once(" = ").is_some_and(|(k, _)| !k.contains(' ')) =>
                {
                    rest
                }
                _ => "",
            })
            .collect::<Vec<_>>()
            .join("\n");
        let settings = Settings::parse(&uncommented, "example").unwrap();
        let alerts = settings.alerts.unwrap();
        assert_eq!(alerts.rules.len(), 3 + 6, "{:?}", alerts.rules);
        assert_eq!(alerts.notifiers.len(), 4, "the alert_webhook line and three notifiers");
    }

    #[test]
    fn wrapping_keeps_every_word() {
        let text = "a ".repeat(100);
        let lines = wrap(&text, 10);
        assert!(lines.iter().all(|line| line.len() <= 10));
        assert_eq!(lines.join(" ").split(' ').count(), 100);
    }
}
