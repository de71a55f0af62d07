//! The engine: one task that evaluates the rules and carries each alert
//! through its life, `pending` (while `for` runs) → `firing` → `resolved`.
//!
//! It reads only the registry's published snapshot and, on a slower tick,
//! llm_usage (this monitor's calls) and silences (every monitor's) through
//! the read backend, in tasks of their own; it writes
//! through the alerts writer's queue and hands notices to each notifier's
//! queue without waiting. Nothing here can hold up ingest or storage.
//!
//! - One alert per rule and subject (a bot, a model, a channel), identified
//!   by a fingerprint of its labels.
//! - A condition that clears while pending leaves no trace: a bot that flaps
//!   between online and stale within `for` notifies nothing.
//! - A firing alert notifies once, then again every `repeat_interval`, and
//!   once more when it resolves (if its firing was notified).
//! - A silenced alert does not notify; when the silence ends while it still
//!   fires, it notifies then.
//! - Alerts that fire are stored, so a restart neither forgets nor re-notifies them.

use super::db::{self, AlertRow, Db, Silence};
use super::notify::{Job, Notifier, Stats};
use super::payload::{Notice, ZERO_TIME};
use super::rules::{Kind, Levels, Liveness, Measure, Resource, Rule, Severity, Window};
use crate::registry::{Fleet, Status};
use crate::store::read::Backend;
use crate::store::sql::{Query, Row};
use crate::time::{iso, parse_iso};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, watch, Notify};
use tokio::time::{interval, MissedTickBehavior};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Pending,
    Firing,
    Resolved,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Firing => "firing",
            State::Resolved => "resolved",
        }
    }
}

/// A condition that holds now: what one rule found about one subject.
#[derive(Debug, Clone)]
struct Finding {
    rule: usize,
    severity: Severity,
    /// Besides alertname and severity.
    labels: Vec<(&'static str, String)>,
    summary: String,
    value: f64,
}

#[derive(Debug, Clone)]
struct Alert {
    key: String,
    fingerprint: String,
    /// None for an alert restored from the database whose rule is gone.
    rule: Option<usize>,
    labels: BTreeMap<String, String>,
    summary: String,
    value: f64,
    state: State,
    since: SystemTime,
    fired_at: Option<SystemTime>,
    ended_at: Option<SystemTime>,
    last_notified: Option<SystemTime>,
    notified: bool,
    silenced_by: Option<i64>,
}

/// An alert as the API, `status`, /metrics and the dashboard show it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AlertJson {
    pub fingerprint: String,
    pub alertname: String,
    /// warning or critical.
    pub severity: String,
    /// pending, firing or resolved.
    #[schema(pattern = "^(pending|firing|resolved)$")]
    pub state: String,
    /// The bot's channel (or the rule's channel glob); absent for alerts about no channel.
    pub channel: Option<String>,
    /// alertname, severity, channel and what else names the alert's subject (model, metric, measure).
    pub labels: BTreeMap<String, String>,
    /// What is wrong, for people.
    pub summary: String,
    /// When the condition was first seen (pending) or the alert fired.
    pub starts_at: String,
    /// When it resolved.
    pub ends_at: Option<String>,
    pub last_notified_at: Option<String>,
    /// The silence that holds its notifications back now.
    pub silenced_by: Option<i64>,
}

/// The engine's published state.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Pending and firing alerts, firing first, then by start.
    pub active: Vec<AlertJson>,
    /// Silences the engine holds now (read from the database every `evaluate_every`).
    pub silences_active: usize,
}

impl View {
    /// Firing alerts by (alertname, severity).
    pub fn firing_counts(&self) -> BTreeMap<(String, String), u64> {
        let mut counts = BTreeMap::new();
        for alert in self.active.iter().filter(|a| a.state == "firing") {
            *counts.entry((alert.alertname.clone(), alert.severity.clone())).or_default() += 1;
        }
        counts
    }
}

/// Usage sums per rule, from one read of llm_usage.
type UsageFindings = HashMap<usize, Vec<Finding>>;

enum Loaded {
    Silences(Vec<Silence>),
    SilencesFailed,
    Usage(UsageFindings),
    UsageFailed,
}

pub struct Engine {
    rules: Vec<Rule>,
    notifiers: Vec<Notifier>,
    stats: Arc<Stats>,
    db: Db,
    alerts: HashMap<String, Alert>,
    usage: UsageFindings,
    usage_loaded: bool,
    silences: Vec<Silence>,
    publish: watch::Sender<Arc<View>>,
    generator_url: String,
    monitor: Monitor,
}

/// The monitor an engine runs in.
pub struct Monitor {
    /// Whose llm_usage the usage rules read.
    pub id: String,
    /// It shares its database (PostgreSQL): every alert carries a `monitor_id`
    /// label, so that the same channel on two hosts is two alerts.
    pub shared: bool,
    /// Its HTTP API (`http://ADDR/`), or empty: notices link to its alerts.
    pub external_url: String,
}

impl Engine {
    pub fn new(
        rules: Vec<Rule>,
        notifiers: Vec<Notifier>,
        stats: Arc<Stats>,
        db: Db,
        restored: Vec<AlertRow>,
        publish: watch::Sender<Arc<View>>,
        monitor: Monitor,
    ) -> Engine {
        let mut engine = Engine {
            rules,
            notifiers,
            stats,
            db,
            alerts: HashMap::new(),
            usage: HashMap::new(),
            usage_loaded: false,
            silences: Vec::new(),
            publish,
            generator_url: format!("{}api/v1/alerts", monitor.external_url),
            monitor,
        };
        for row in restored {
            let labels = db::labels(&row);
            let rule = engine.rules.iter().position(|rule| rule.name == row.alertname);
            let summary = db::annotations(&row).remove("summary").unwrap_or_default();
            let since = parse_iso(&row.starts_at).unwrap_or_else(SystemTime::now);
            let alert = Alert {
                key: row.key,
                fingerprint: row.fingerprint.clone(),
                rule,
                labels,
                summary,
                value: 0.0,
                state: State::Firing,
                since,
                fired_at: Some(since),
                ended_at: None,
                last_notified: row.last_notified_at.as_deref().and_then(parse_iso),
                notified: row.notified,
                silenced_by: None,
            };
            engine.alerts.insert(row.fingerprint, alert);
        }
        engine
    }

    /// Runs until `stop` turns true or the registry stops publishing.
    pub async fn run(
        mut self,
        mut fleet: watch::Receiver<Arc<Fleet>>,
        backend: Backend,
        every: Duration,
        usage_every: Duration,
        reload: Arc<Notify>,
        mut stop: watch::Receiver<bool>,
    ) {
        let ticker = |period: Duration| {
            let mut ticker = interval(period.max(Duration::from_millis(10)));
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            ticker
        };
        let mut tick = ticker(every);
        let mut usage_tick = ticker(usage_every);
        let reads_usage = self.rules.iter().any(|rule| rule.kind.reads_usage());
        self.usage_loaded = !reads_usage;
        let (loaded_tx, mut loaded) = mpsc::channel::<Loaded>(4);
        let mut usage_in_flight = false;
        let mut silences_in_flight = false;
        let load_silences = |in_flight: &mut bool| {
            if std::mem::replace(in_flight, true) {
                return;
            }
            let (backend, tx) = (backend.clone(), loaded_tx.clone());
            tokio::spawn(async move {
                let loaded = match backend.read(vec![db::silences(SystemTime::now(), false)]).await {
                    Ok(rows) => Loaded::Silences(rows.concat().iter().map(db::silence_row).collect()),
                    Err(err) => {
                        // The silences read last hold until the database answers again.
                        tracing::warn!("alerts: cannot read silences: {err}");
                        Loaded::SilencesFailed
                    }
                };
                let _ = tx.send(loaded).await;
            });
        };
        // Silences first: a restart must not notify what a silence holds back.
        load_silences(&mut silences_in_flight);
        if let Some(Loaded::Silences(silences)) = loaded.recv().await {
            self.silences = silences;
        }
        silences_in_flight = false;
        loop {
            tokio::select! {
                changed = fleet.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                _ = tick.tick() => load_silences(&mut silences_in_flight),
                _ = reload.notified() => load_silences(&mut silences_in_flight),
                _ = usage_tick.tick(), if reads_usage && !usage_in_flight => {
                    usage_in_flight = true;
                    let rules = self.rules.clone();
                    let queries = usage_queries(&rules, SystemTime::now(), &self.monitor.id);
                    let (backend, tx) = (backend.clone(), loaded_tx.clone());
                    tokio::spawn(async move {
                        match backend.read(queries.iter().map(|(_, query)| query.clone()).collect()).await {
                            Ok(rows) => {
                                let found = usage_findings(&rules, queries.iter().map(|(index, _)| *index).zip(rows));
                                let _ = tx.send(Loaded::Usage(found)).await;
                            }
                            Err(err) => {
                                tracing::warn!("alerts: cannot read llm_usage: {err}");
                                let _ = tx.send(Loaded::UsageFailed).await;
                            }
                        }
                    });
                }
                Some(result) = loaded.recv() => match result {
                    Loaded::Silences(silences) => {
                        silences_in_flight = false;
                        self.silences = silences;
                    }
                    Loaded::Usage(found) => {
                        usage_in_flight = false;
                        self.usage = found;
                        self.usage_loaded = true;
                    }
                    Loaded::SilencesFailed => silences_in_flight = false,
                    Loaded::UsageFailed => usage_in_flight = false,
                },
                _ = stop.changed() => break,
            }
            let snapshot = Arc::clone(&fleet.borrow_and_update());
            self.evaluate(&snapshot, SystemTime::now());
        }
        // What was notified is stored before the monitor exits, so that a
        // restart does not notify it again.
        let db = self.db.clone();
        if !tokio::task::spawn_blocking(move || db.flush(Duration::from_secs(5))).await.unwrap_or(false) {
            tracing::warn!("alerts: the last alert rows were not all stored before stopping");
        }
    }

    fn evaluate(&mut self, fleet: &Fleet, now: SystemTime) {
        let mut findings = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            evaluate_fleet(index, rule, fleet, &mut findings);
        }
        findings.extend(self.usage.values().flatten().cloned());
        let mut seen = HashSet::new();
        for finding in findings {
            let rule = &self.rules[finding.rule];
            let mut labels: BTreeMap<String, String> =
                finding.labels.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            labels.insert("alertname".into(), rule.name.clone());
            labels.insert("severity".into(), finding.severity.as_str().into());
            if self.monitor.shared {
                labels.insert("monitor_id".into(), self.monitor.id.clone());
            }
            let fingerprint = fingerprint(&labels);
            seen.insert(fingerprint.clone());
            let alert = self.alerts.entry(fingerprint.clone()).or_insert_with(|| Alert {
                key: String::new(),
                fingerprint,
                rule: Some(finding.rule),
                labels,
                summary: String::new(),
                value: 0.0,
                state: State::Pending,
                since: now,
                fired_at: None,
                ended_at: None,
                last_notified: None,
                notified: false,
                silenced_by: None,
            });
            alert.summary = finding.summary;
            alert.value = finding.value;
            alert.rule = Some(finding.rule);
        }
        let now_iso = iso(now);
        let mut gone = Vec::new();
        let fingerprints: Vec<String> = self.alerts.keys().cloned().collect();
        for fingerprint in fingerprints {
            let alert = self.alerts.get_mut(&fingerprint).expect("listed");
            let usage_rule = alert.rule.is_some_and(|rule| self.rules[rule].kind.reads_usage());
            if !seen.contains(&fingerprint) {
                // A usage alert restored at start waits for the first read of llm_usage.
                if usage_rule && !self.usage_loaded {
                    continue;
                }
                if alert.state == State::Firing {
                    alert.state = State::Resolved;
                    alert.ended_at = Some(now);
                    tracing::info!("alert {} resolved: {}", alert.labels["alertname"], alert.summary);
                    let alert = alert.clone();
                    if alert.notified {
                        self.notify(&alert, now);
                    }
                    self.db.alert(row(&alert));
                }
                gone.push(fingerprint);
                continue;
            }
            let rule = &self.rules[alert.rule.expect("a seen alert has its rule")];
            if alert.state == State::Pending && now.duration_since(alert.since).unwrap_or_default() >= rule.for_ {
                alert.state = State::Firing;
                alert.fired_at = Some(now);
                alert.key = format!("{}-{}", alert.fingerprint, now_iso);
                tracing::info!("alert {} firing: {}", rule.name, alert.summary);
                self.db.alert(row(alert));
            }
            if alert.state != State::Firing {
                continue;
            }
            let channel = alert.labels.get("channel").map_or("", String::as_str);
            let alertname = &alert.labels["alertname"];
            alert.silenced_by = self
                .silences
                .iter()
                .find(|s| {
                    s.active_at(&now_iso)
                        && super::glob::Glob::new(&s.rule).is_ok_and(|g| g.matches(alertname))
                        && super::glob::Glob::new(&s.channel).is_ok_and(|g| g.matches(channel))
                })
                .map(|s| s.id);
            if alert.silenced_by.is_some() {
                continue;
            }
            let due = match alert.last_notified {
                _ if !alert.notified => true,
                Some(last) => now.duration_since(last).unwrap_or_default() >= rule.repeat_interval,
                None => true,
            };
            if due {
                alert.notified = true;
                alert.last_notified = Some(now);
                let alert = alert.clone();
                self.notify(&alert, now);
                self.db.alert(row(&alert));
            }
        }
        for fingerprint in gone {
            self.alerts.remove(&fingerprint);
        }
        self.publish_view(&now_iso);
    }

    fn notify(&self, alert: &Alert, now: SystemTime) {
        let alertname = alert.labels.get("alertname").map_or("", String::as_str);
        let repeat = alert.rule.map_or(super::rules::REPEAT_INTERVAL, |rule| self.rules[rule].repeat_interval);
        let notice = Arc::new(Notice {
            status: if alert.state == State::Resolved { "resolved" } else { "firing" },
            labels: alert.labels.clone(),
            annotations: [("summary".to_owned(), alert.summary.clone())].into_iter().collect(),
            starts_at: iso(alert.fired_at.unwrap_or(alert.since)),
            ends_at: alert.ended_at.map_or_else(|| ZERO_TIME.to_owned(), iso),
            generator_url: self.generator_url.clone(),
            fingerprint: alert.fingerprint.clone(),
        });
        let until = iso(now + repeat * 2);
        for notifier in self.notifiers.iter().filter(|n| n.config.hears(alertname)) {
            let job = Job { alert_key: alert.key.clone(), notice: Arc::clone(&notice), until: until.clone() };
            notifier.offer(job, &self.stats, &self.db);
        }
    }

    fn publish_view(&self, now: &str) {
        let mut active: Vec<AlertJson> = self.alerts.values().map(json).collect();
        active.sort_by(|a, b| {
            (a.state != "firing", &a.starts_at, &a.fingerprint).cmp(&(
                b.state != "firing",
                &b.starts_at,
                &b.fingerprint,
            ))
        });
        let silences_active = self.silences.iter().filter(|s| s.active_at(now)).count();
        let view = View { active, silences_active };
        self.publish.send_if_modified(|old| {
            if old.active == view.active && old.silences_active == view.silences_active {
                false
            } else {
                *old = Arc::new(view);
                true
            }
        });
    }
}

fn json(alert: &Alert) -> AlertJson {
    AlertJson {
        fingerprint: alert.fingerprint.clone(),
        alertname: alert.labels.get("alertname").cloned().unwrap_or_default(),
        severity: alert.labels.get("severity").cloned().unwrap_or_default(),
        state: alert.state.as_str().into(),
        channel: alert.labels.get("channel").cloned(),
        labels: alert.labels.clone(),
        summary: alert.summary.clone(),
        starts_at: iso(alert.fired_at.unwrap_or(alert.since)),
        ends_at: alert.ended_at.map(iso),
        last_notified_at: alert.last_notified.map(iso),
        silenced_by: alert.silenced_by,
    }
}

fn row(alert: &Alert) -> AlertRow {
    AlertRow {
        key: alert.key.clone(),
        fingerprint: alert.fingerprint.clone(),
        alertname: alert.labels.get("alertname").cloned().unwrap_or_default(),
        severity: alert.labels.get("severity").cloned().unwrap_or_default(),
        channel: alert.labels.get("channel").cloned(),
        state: alert.state.as_str().into(),
        labels_json: serde_json::to_string(&alert.labels).unwrap_or_else(|_| "{}".into()),
        annotations_json: serde_json::json!({ "summary": alert.summary }).to_string(),
        starts_at: iso(alert.fired_at.unwrap_or(alert.since)),
        ends_at: alert.ended_at.map(iso),
        last_notified_at: alert.last_notified.map(iso),
        notified: alert.notified,
        monitor_id: None,
    }
}

/// The first 8 bytes of the SHA-256 of the sorted labels, in hex (Alertmanager's fingerprints are 16 hex digits too).
pub fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for (name, value) in labels {
        context.update(name.as_bytes());
        context.update(&[0xff]);
        context.update(value.as_bytes());
        context.update(&[0xff]);
    }
    context.finish().as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn evaluate_fleet(index: usize, rule: &Rule, fleet: &Fleet, out: &mut Vec<Finding>) {
    match &rule.kind {
        Kind::Liveness { status, channel, severity } => {
            for bot in fleet.bots.iter().filter(|bot| channel.matches(&bot.channel)) {
                let restarted = bot.status_reason.contains("since the monitor restarted");
                let holds = match status {
                    Liveness::Stale => bot.status == Status::Stale && !restarted,
                    Liveness::Missing => bot.status == Status::Stale && restarted,
                    Liveness::Dead => bot.status == Status::Dead,
                    Liveness::Unknown => bot.status == Status::Unknown,
                    Liveness::Offline => bot.status == Status::Offline && bot.status_reason != "unregister: close",
                };
                if holds {
                    out.push(Finding {
                        rule: index,
                        severity: *severity,
                        labels: vec![("channel", bot.channel.clone())],
                        summary: format!(
                            "bot {} (pid {}) is {}: {}",
                            bot.channel,
                            bot.pid,
                            status.as_str(),
                            bot.status_reason
                        ),
                        value: 1.0,
                    });
                }
            }
        }
        Kind::Fleet { channel, min_online, severity } => {
            let online =
                fleet.bots.iter().filter(|bot| bot.status == Status::Online && channel.matches(&bot.channel)).count();
            if online < *min_online {
                out.push(Finding {
                    rule: index,
                    severity: *severity,
                    labels: vec![("channel", channel.to_string())],
                    summary: format!("{online} bots matching {channel} are online; at least {min_online} should be"),
                    value: online as f64,
                });
            }
        }
        Kind::Resource { metric, channel, levels } => {
            for bot in fleet
                .bots
                .iter()
                .filter(|bot| matches!(bot.status, Status::Online | Status::Stale) && channel.matches(&bot.channel))
            {
                let value = match metric {
                    Resource::RssMb => bot.rss_mb,
                    Resource::LagMs => bot.lag_ms,
                };
                let Some(value) = value else { continue };
                for (severity, threshold) in levels.reached(value) {
                    out.push(Finding {
                        rule: index,
                        severity,
                        labels: vec![("channel", bot.channel.clone()), ("metric", metric.as_str().into())],
                        summary: format!(
                            "bot {} {} is {value:.1}, at or over {threshold} ({})",
                            bot.channel,
                            metric.as_str(),
                            severity.as_str()
                        ),
                        value,
                    });
                }
            }
        }
        Kind::Budget { .. } | Kind::LlmErrors { .. } | Kind::LlmLatency { .. } => {}
    }
}

/// Since when a window reaches back from `now`.
fn window_start(window: Window, now: SystemTime) -> SystemTime {
    match window {
        Window::Rolling(span) => now.checked_sub(span).unwrap_or(SystemTime::UNIX_EPOCH),
        Window::DayUtc => {
            let secs = now.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs();
            SystemTime::UNIX_EPOCH + Duration::from_secs(secs - secs % 86_400)
        }
    }
}

fn describe(window: Window) -> String {
    match window {
        Window::Rolling(span) => format!("in the last {}", crate::config::value::show_duration(span)),
        Window::DayUtc => "today (UTC)".into(),
    }
}

fn leveled(
    index: usize,
    levels: &Levels,
    value: f64,
    labels: Vec<(&'static str, String)>,
    summary: impl Fn(Severity, f64) -> String,
    out: &mut Vec<Finding>,
) {
    for (severity, threshold) in levels.reached(value) {
        out.push(Finding {
            rule: index,
            severity,
            labels: labels.clone(),
            summary: summary(severity, threshold),
            value,
        });
    }
}

/// The llm_usage queries of the usage rules, by rule index: sums grouped
/// by what the rules' globs match, this monitor's calls only (on
/// PostgreSQL, each monitor alerts on its own bots' calls, as on their
/// liveness). The globs are applied to the groups by [`usage_findings`].
fn usage_queries(rules: &[Rule], now: SystemTime, monitor_id: &str) -> Vec<(usize, Query)> {
    let mut queries = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let (text, window) = match &rule.kind {
            Kind::Budget { window, .. } => (
                "SELECT channel, model, feature, CAST(SUM(tokens_in + tokens_out) AS DOUBLE PRECISION),
                        CAST(SUM(COALESCE(cost_usd, 0)) AS DOUBLE PRECISION)
                 FROM llm_usage WHERE ts >= ?1 AND {monitor_is} GROUP BY channel, model, feature",
                *window,
            ),
            Kind::LlmErrors { window, .. } => (
                "SELECT channel, model, CAST(SUM(count) AS BIGINT),
                        CAST(SUM(CASE WHEN ok = FALSE THEN count ELSE 0 END) AS BIGINT)
                 FROM llm_usage WHERE ts >= ?1 AND {monitor_is} GROUP BY channel, model",
                Window::Rolling(*window),
            ),
            Kind::LlmLatency { window, .. } => (
                "SELECT channel, model, latency_ms, CAST(SUM(count) AS BIGINT) FROM llm_usage
                 WHERE ts >= ?1 AND latency_ms IS NOT NULL AND {monitor_is}
                 GROUP BY channel, model, latency_ms ORDER BY model, latency_ms LIMIT 500000",
                Window::Rolling(*window),
            ),
            _ => continue,
        };
        let query = Query::new(text).bind(iso(window_start(window, now))).monitor(Some(monitor_id));
        queries.push((index, query));
    }
    queries
}

/// What the usage rules find in the rows of [`usage_queries`].
fn usage_findings(rules: &[Rule], results: impl Iterator<Item = (usize, Vec<Row>)>) -> UsageFindings {
    let mut found = UsageFindings::new();
    for (index, rows) in results {
        let out = found.entry(index).or_default();
        match &rules[index].kind {
            Kind::Budget { measure, channel, model, feature, per_channel, window, limit, levels } => {
                let mut used: BTreeMap<String, f64> = BTreeMap::new();
                for row in &rows {
                    let (row_channel, row_model, row_feature) = (row.text(0), row.text(1), row.text(2));
                    if !(channel.matches(&row_channel) && model.matches(&row_model) && feature.matches(&row_feature)) {
                        continue;
                    }
                    let subject = if *per_channel { row_channel } else { String::new() };
                    *used.entry(subject).or_default() += match measure {
                        Measure::Tokens => row.real(3),
                        Measure::CostUsd => row.real(4),
                    };
                }
                for (subject, used) in used {
                    let percent = if *limit > 0.0 { used / limit * 100.0 } else { f64::INFINITY };
                    let mut labels = vec![("measure", measure.as_str().to_owned())];
                    if *per_channel {
                        labels.push(("channel", subject.clone()));
                    }
                    let whose = if *per_channel { format!("channel {subject}") } else { format!("channels {channel}") };
                    leveled(
                        index,
                        levels,
                        percent,
                        labels,
                        |severity, threshold| {
                            format!(
                                "{} {used} of {limit} ({percent:.0}%, {} at {threshold}%) {} for {whose}",
                                measure.as_str(),
                                severity.as_str(),
                                describe(*window)
                            )
                        },
                        out,
                    );
                }
            }
            Kind::LlmErrors { channel, model, window, min_calls, levels } => {
                let mut by_model: BTreeMap<String, (i64, i64)> = BTreeMap::new();
                for row in rows.iter().filter(|row| channel.matches(&row.text(0)) && model.matches(&row.text(1))) {
                    let sums = by_model.entry(row.text(1)).or_default();
                    sums.0 += row.int(2);
                    sums.1 += row.int(3);
                }
                for (model, (calls, failed)) in by_model {
                    if calls <= 0 || (calls as u64) < *min_calls {
                        continue;
                    }
                    let ratio = failed as f64 / calls as f64;
                    let summary = |severity: Severity, threshold: f64| {
                        format!(
                            "model {model}: {failed} of {calls} calls failed ({:.0}%, {} at {:.0}%) {}",
                            ratio * 100.0,
                            severity.as_str(),
                            threshold * 100.0,
                            describe(Window::Rolling(*window))
                        )
                    };
                    leveled(index, levels, ratio, vec![("model", model.clone())], summary, out);
                }
            }
            Kind::LlmLatency { channel, model, window, min_calls, levels } => {
                // (latency, calls) per model; a folded row stands for `count` calls.
                let mut by_model: BTreeMap<String, Vec<(f64, i64)>> = BTreeMap::new();
                for row in rows.iter().filter(|row| channel.matches(&row.text(0)) && model.matches(&row.text(1))) {
                    by_model.entry(row.text(1)).or_default().push((row.real(2), row.int(3)));
                }
                for (model, mut latencies) in by_model {
                    let calls: i64 = latencies.iter().map(|(_, n)| n.max(&0)).sum();
                    if calls <= 0 || (calls as u64) < *min_calls {
                        continue;
                    }
                    latencies.sort_by(|a, b| a.0.total_cmp(&b.0));
                    let Some(p95) = crate::http::latency::percentile(&latencies, 0.95) else { continue };
                    let summary = |severity: Severity, threshold: f64| {
                        format!(
                            "model {model}: p95 latency {p95:.0} ms over {calls} calls ({} at {threshold} ms) {}",
                            severity.as_str(),
                            describe(Window::Rolling(*window))
                        )
                    };
                    leveled(index, levels, p95, vec![("model", model.clone())], summary, out);
                }
            }
            _ => {}
        }
    }
    found
}
