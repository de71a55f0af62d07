//! The `[alerts]` part of the config file: rules (`[[alerts.rule]]`) and
//! notifiers (`[[alerts.notifier]]`). Read with serde, so an unknown key is
//! refused by name; each value is then checked with the span TOML gives it,
//! so every error names the file, the line and the key.

use super::glob::{Glob, GLOB};
use super::notify::{NotifierConfig, Target};
use super::rules::{self, Kind, Levels, Liveness, Measure, Resource, Rule, Severity, Window};
use super::AlertsConfig;
use crate::config::value::{self, DURATION};
use crate::{Error, Result};
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

#[derive(Deserialize)]
struct Root {
    alerts: Option<Spanned<Raw>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    default_rules: Option<bool>,
    evaluate_every: Option<Spanned<String>>,
    usage_every: Option<Spanned<String>>,
    repeat_interval: Option<Spanned<String>>,
    #[serde(default)]
    rule: Vec<RawRule>,
    #[serde(default)]
    notifier: Vec<RawNotifier>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    kind: Spanned<String>,
    severity: Option<Spanned<String>>,
    status: Option<Spanned<String>>,
    channel: Option<Spanned<String>>,
    model: Option<Spanned<String>>,
    feature: Option<Spanned<String>>,
    #[serde(rename = "for")]
    for_: Option<Spanned<String>>,
    repeat_interval: Option<Spanned<String>>,
    min_online: Option<Spanned<i64>>,
    measure: Option<Spanned<String>>,
    per_channel: Option<bool>,
    window: Option<Spanned<String>>,
    limit: Option<Spanned<f64>>,
    min_calls: Option<Spanned<i64>>,
    metric: Option<Spanned<String>>,
    warning: Option<Spanned<f64>>,
    critical: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotifier {
    name: Spanned<String>,
    kind: Spanned<String>,
    url: Option<Spanned<String>>,
    hmac_secret: Option<Spanned<String>>,
    command: Option<Spanned<Vec<String>>>,
    timeout: Option<Spanned<String>>,
    rules: Option<Spanned<Vec<String>>>,
}

/// Where errors point: the file's name and text.
struct At<'a> {
    name: &'a str,
    text: &'a str,
}

impl At<'_> {
    fn line(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())].matches('\n').count() + 1
    }

    fn error<T>(&self, span: std::ops::Range<usize>, key: &str, message: impl std::fmt::Display) -> Result<T> {
        Err(Error::new(format!("{}:{}: {key}: {message}", self.name, self.line(span.start))))
    }

    fn duration(&self, value: &Spanned<String>, key: &str) -> Result<Duration> {
        match value::duration(value.get_ref()) {
            Ok(duration) => Ok(duration),
            Err(expected) => self.error(value.span(), key, format!("expected {expected}, got {:?}", value.get_ref())),
        }
    }

    /// Like [`At::duration`], and `0s` is allowed (a rule that fires at once).
    fn for_duration(&self, value: &Spanned<String>, key: &str) -> Result<Duration> {
        if humantime::parse_duration(value.get_ref()).is_ok_and(|d| d.is_zero()) {
            return Ok(Duration::ZERO);
        }
        self.duration(value, key)
    }

    fn glob(&self, value: Option<&Spanned<String>>, key: &str) -> Result<Glob> {
        match value {
            None => Ok(Glob::any()),
            Some(value) => match Glob::new(value.get_ref()) {
                Ok(glob) => Ok(glob),
                Err(_) => self.error(value.span(), key, format!("expected {GLOB}, got {:?}", value.get_ref())),
            },
        }
    }

    fn number(&self, value: Option<&Spanned<f64>>, key: &str) -> Result<Option<f64>> {
        match value {
            Some(v) if !v.get_ref().is_finite() || *v.get_ref() < 0.0 => {
                self.error(v.span(), key, format!("expected a number of 0 or more, got {}", v.get_ref()))
            }
            other => Ok(other.map(|v| *v.get_ref())),
        }
    }

    fn levels(&self, rule: &RawRule, key: &str, unit: &str) -> Result<Levels> {
        let levels = Levels {
            warning: self.number(rule.warning.as_ref(), &format!("{key}: warning"))?,
            critical: self.number(rule.critical.as_ref(), &format!("{key}: critical"))?,
        };
        if levels.warning.is_none() && levels.critical.is_none() {
            return self.error(rule.kind.span(), key, format!("give `warning`, `critical` or both ({unit})"));
        }
        Ok(levels)
    }
}

/// Reads `[alerts]` from config file `text` (`name` is the file as errors call it);
/// `None` when the file has no `[alerts]`.
pub fn parse(text: &str, name: &str) -> Result<Option<AlertsConfig>> {
    let at = At { name, text };
    let root: Root = toml::from_str(text).map_err(|err| {
        let line = err.span().map(|span| format!(":{}", at.line(span.start))).unwrap_or_default();
        Error::new(format!("{name}{line}: alerts: {}", err.message().trim_end()))
    })?;
    let Some(raw) = root.alerts else { return Ok(None) };
    let raw = raw.into_inner();
    let mut config = AlertsConfig::default();
    let repeat = match &raw.repeat_interval {
        Some(value) => at.duration(value, "alerts.repeat_interval")?,
        None => rules::REPEAT_INTERVAL,
    };
    if let Some(value) = &raw.evaluate_every {
        config.evaluate_every = at.duration(value, "alerts.evaluate_every")?;
    }
    if let Some(value) = &raw.usage_every {
        config.usage_every = at.duration(value, "alerts.usage_every")?;
    }
    if raw.default_rules == Some(false) {
        config.rules.clear();
    }
    for default in &mut config.rules {
        default.repeat_interval = repeat;
    }
    for rule in &raw.rule {
        let rule = read_rule(&at, rule, repeat)?;
        match config.rules.iter_mut().find(|known| known.name == rule.name) {
            // A rule named like a default replaces it.
            Some(known) if rules::defaults().iter().any(|d| d.name == known.name) => *known = rule,
            Some(_) => {
                let raw_name = raw.rule.iter().rev().find(|r| r.name.get_ref() == &rule.name).expect("read");
                return at.error(raw_name.name.span(), "alerts.rule: name", format!("{:?} is given twice", rule.name));
            }
            None => config.rules.push(rule),
        }
    }
    for notifier in &raw.notifier {
        let notifier = read_notifier(&at, notifier)?;
        if config.notifiers.iter().any(|known| known.name == notifier.name) {
            let raw_name = raw.notifier.iter().rev().find(|n| n.name.get_ref() == &notifier.name).expect("read");
            return at.error(
                raw_name.name.span(),
                "alerts.notifier: name",
                format!("{:?} is given twice", notifier.name),
            );
        }
        config.notifiers.push(notifier);
    }
    Ok(Some(config))
}

fn read_rule(at: &At<'_>, raw: &RawRule, repeat: Duration) -> Result<Rule> {
    let name = raw.name.get_ref().clone();
    let key = format!("alerts.rule {name:?}");
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return at.error(raw.name.span(), &format!("{key}: name"), "expected letters, digits, `_` and `-` only");
    }
    // Keys that belong to other kinds of rule are refused, not ignored.
    let allowed: &[&str] = match raw.kind.get_ref().as_str() {
        "liveness" => &["status", "channel", "severity", "for"],
        "fleet" => &["channel", "min_online", "severity", "for"],
        "budget" => {
            &["measure", "channel", "model", "feature", "per_channel", "window", "limit", "warning", "critical"]
        }
        "llm_errors" | "llm_latency" => &["channel", "model", "window", "min_calls", "warning", "critical", "for"],
        "resource" => &["metric", "channel", "warning", "critical", "for"],
        other => {
            return at.error(
                raw.kind.span(),
                &format!("{key}: kind"),
                format!("expected liveness, fleet, budget, llm_errors, llm_latency or resource, got {other:?}"),
            )
        }
    };
    let given: [(&str, Option<std::ops::Range<usize>>); 15] = [
        ("severity", raw.severity.as_ref().map(Spanned::span)),
        ("status", raw.status.as_ref().map(Spanned::span)),
        ("channel", raw.channel.as_ref().map(Spanned::span)),
        ("model", raw.model.as_ref().map(Spanned::span)),
        ("feature", raw.feature.as_ref().map(Spanned::span)),
        ("for", raw.for_.as_ref().map(Spanned::span)),
        ("min_online", raw.min_online.as_ref().map(Spanned::span)),
        ("measure", raw.measure.as_ref().map(Spanned::span)),
        ("per_channel", raw.per_channel.map(|_| raw.name.span())),
        ("window", raw.window.as_ref().map(Spanned::span)),
        ("limit", raw.limit.as_ref().map(Spanned::span)),
        ("min_calls", raw.min_calls.as_ref().map(Spanned::span)),
        ("metric", raw.metric.as_ref().map(Spanned::span)),
        ("warning", raw.warning.as_ref().map(Spanned::span)),
        ("critical", raw.critical.as_ref().map(Spanned::span)),
    ];
    for (field, span) in given {
        if let Some(span) = span {
            if !allowed.contains(&field) {
                return at.error(
                    span,
                    &format!("{key}: {field}"),
                    format!("not a key of a {} rule", raw.kind.get_ref()),
                );
            }
        }
    }
    let severity = match &raw.severity {
        None => Severity::Warning,
        Some(value) => match Severity::parse(value.get_ref()) {
            Some(severity) => severity,
            None => {
                return at.error(
                    value.span(),
                    &format!("{key}: severity"),
                    format!("expected warning or critical, got {:?}", value.get_ref()),
                )
            }
        },
    };
    let for_ = match &raw.for_ {
        Some(value) => at.for_duration(value, &format!("{key}: for"))?,
        None => Duration::ZERO,
    };
    let repeat_interval = match &raw.repeat_interval {
        Some(value) => at.duration(value, &format!("{key}: repeat_interval"))?,
        None => repeat,
    };
    let channel = at.glob(raw.channel.as_ref(), &format!("{key}: channel"))?;
    let model = at.glob(raw.model.as_ref(), &format!("{key}: model"))?;
    let feature = at.glob(raw.feature.as_ref(), &format!("{key}: feature"))?;
    let required = |field: &str| {
        Error::new(format!(
            "{}:{}: {key}: {field}: required for a {} rule",
            at.name,
            at.line(raw.name.span().start),
            raw.kind.get_ref()
        ))
    };
    let rolling = |field: Option<&Spanned<String>>| -> Result<Duration> {
        match field {
            Some(value) => at.duration(value, &format!("{key}: window")),
            None => Err(required("window")),
        }
    };
    let min_calls = match &raw.min_calls {
        Some(n) if *n.get_ref() < 1 => {
            return at.error(n.span(), &format!("{key}: min_calls"), format!("expected 1 or more, got {}", n.get_ref()))
        }
        Some(n) => *n.get_ref() as u64,
        None => 1,
    };
    let kind = match raw.kind.get_ref().as_str() {
        "liveness" => {
            let status = raw.status.as_ref().ok_or_else(|| required("status"))?;
            let status = Liveness::parse(status.get_ref()).map_or_else(
                || {
                    at.error(
                        status.span(),
                        &format!("{key}: status"),
                        format!("expected stale, dead, unknown, offline or missing, got {:?}", status.get_ref()),
                    )
                },
                Ok,
            )?;
            Kind::Liveness { status, channel, severity }
        }
        "fleet" => {
            let min = raw.min_online.as_ref().ok_or_else(|| required("min_online"))?;
            if *min.get_ref() < 1 {
                return at.error(
                    min.span(),
                    &format!("{key}: min_online"),
                    format!("expected 1 or more, got {}", min.get_ref()),
                );
            }
            Kind::Fleet { channel, min_online: *min.get_ref() as usize, severity }
        }
        "budget" => {
            let measure = match raw.measure.as_ref().map(|m| (m, m.get_ref().as_str())) {
                None | Some((_, "tokens")) => Measure::Tokens,
                Some((_, "cost_usd")) => Measure::CostUsd,
                Some((m, other)) => {
                    return at.error(
                        m.span(),
                        &format!("{key}: measure"),
                        format!("expected tokens or cost_usd, got {other:?}"),
                    )
                }
            };
            let window = match raw.window.as_ref() {
                Some(value) if value.get_ref() == "day" => Window::DayUtc,
                Some(value) => Window::Rolling(at.duration(value, &format!("{key}: window")).map_err(|_| {
                    Error::new(format!(
                        "{}:{}: {key}: window: expected {DURATION}, or \"day\" (since 00:00 UTC), got {:?}",
                        at.name,
                        at.line(value.span().start),
                        value.get_ref()
                    ))
                })?),
                None => return Err(required("window")),
            };
            let limit = at.number(raw.limit.as_ref(), &format!("{key}: limit"))?.ok_or_else(|| required("limit"))?;
            let mut levels = Levels { warning: Some(80.0), critical: Some(100.0) };
            if raw.warning.is_some() || raw.critical.is_some() {
                levels = at.levels(raw, &key, "percent of limit")?;
            }
            Kind::Budget {
                measure,
                channel,
                model,
                feature,
                per_channel: raw.per_channel.unwrap_or(false),
                window,
                limit,
                levels,
            }
        }
        "llm_errors" => Kind::LlmErrors {
            channel,
            model,
            window: rolling(raw.window.as_ref())?,
            min_calls,
            levels: at.levels(raw, &key, "the share of calls with ok=false, 0 to 1")?,
        },
        "llm_latency" => Kind::LlmLatency {
            channel,
            model,
            window: rolling(raw.window.as_ref())?,
            min_calls,
            levels: at.levels(raw, &key, "p95 latency in ms")?,
        },
        "resource" => {
            let metric = match raw.metric.as_ref().map(|m| (m, m.get_ref().as_str())) {
                Some((_, "rss_mb")) => Resource::RssMb,
                Some((_, "lag_ms")) => Resource::LagMs,
                Some((m, other)) => {
                    return at.error(
                        m.span(),
                        &format!("{key}: metric"),
                        format!("expected rss_mb or lag_ms, got {other:?}"),
                    )
                }
                None => return Err(required("metric")),
            };
            Kind::Resource { metric, channel, levels: at.levels(raw, &key, "MiB for rss_mb, ms for lag_ms")? }
        }
        _ => unreachable!("checked above"),
    };
    Ok(Rule { name, kind, for_, repeat_interval })
}

fn read_notifier(at: &At<'_>, raw: &RawNotifier) -> Result<NotifierConfig> {
    let name = raw.name.get_ref().clone();
    let key = format!("alerts.notifier {name:?}");
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return at.error(raw.name.span(), &format!("{key}: name"), "expected letters, digits, `_` and `-` only");
    }
    let kind = raw.kind.get_ref().as_str();
    let url = || -> Result<String> {
        let Some(url) = &raw.url else {
            return Err(Error::new(format!(
                "{}:{}: {key}: url: required for a {kind} notifier",
                at.name,
                at.line(raw.name.span().start)
            )));
        };
        super::notify::check_url(url.get_ref())
            .map_err(|why| Error::new(format!("{}:{}: {key}: url: {why}", at.name, at.line(url.span().start))))
    };
    if let (Some(secret), false) = (&raw.hmac_secret, kind == "webhook") {
        return at.error(secret.span(), &format!("{key}: hmac_secret"), "only a webhook notifier signs its body");
    }
    if let (Some(url), "command") = (&raw.url, kind) {
        return at.error(url.span(), &format!("{key}: url"), "a command notifier takes `command`, not `url`");
    }
    if let (Some(command), false) = (&raw.command, kind == "command") {
        return at.error(
            command.span(),
            &format!("{key}: command"),
            format!("only a command notifier runs a command; a {kind} notifier takes `url`"),
        );
    }
    let target = match kind {
        "webhook" => {
            Target::Webhook { url: url()?, hmac_secret: raw.hmac_secret.as_ref().map(|s| s.get_ref().clone()) }
        }
        "slack" => Target::Slack { url: url()? },
        "discord" => Target::Discord { url: url()? },
        "alertmanager" => Target::Alertmanager { url: url()? },
        "command" => {
            let command = match &raw.command {
                Some(command) if command.get_ref().first().is_some_and(|p| !p.is_empty()) => command.get_ref().clone(),
                Some(command) => {
                    return at.error(
                        command.span(),
                        &format!("{key}: command"),
                        "expected a program and its arguments, like [\"/usr/local/bin/page\", \"--team\", \"ops\"]",
                    )
                }
                None => {
                    return Err(Error::new(format!(
                        "{}:{}: {key}: command: required for a command notifier",
                        at.name,
                        at.line(raw.name.span().start)
                    )))
                }
            };
            Target::Command { argv: command }
        }
        other => {
            return at.error(
                raw.kind.span(),
                &format!("{key}: kind"),
                format!("expected webhook, slack, discord, alertmanager or command, got {other:?}"),
            )
        }
    };
    let timeout = match &raw.timeout {
        Some(value) => at.duration(value, &format!("{key}: timeout"))?,
        None => super::notify::TIMEOUT,
    };
    let rules = match &raw.rules {
        None => vec![Glob::any()],
        Some(globs) => globs
            .get_ref()
            .iter()
            .map(|glob| {
                Glob::new(glob).map_err(|_| {
                    Error::new(format!(
                        "{}:{}: {key}: rules: expected {GLOB}, got {glob:?}",
                        at.name,
                        at.line(globs.span().start)
                    ))
                })
            })
            .collect::<Result<_>>()?,
    };
    Ok(NotifierConfig { name, target, timeout, rules })
}
