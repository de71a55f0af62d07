//! The `status` and `usage` commands: read-only queries on a monitor
//! database (kissmon's, or the earlier monitor's whose tables lack the new
//! columns), printed as a table or as JSON.

use crate::error::{Context, Result};
use crate::store::{self, columns};
use crate::time::{iso, parse_iso, short_age};
use rusqlite::Connection;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BotStatus {
    /// The monitor the bot reports to, in a database several monitors share (PostgreSQL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitor_id: Option<String>,
    pub channel: String,
    pub pid: i64,
    pub status: String,
    /// Why the bot has this status: `register`, `no heartbeat for 2.6s ...`, `monitor_stopped`, ...
    pub reason: Option<String>,
    pub features: serde_json::Value,
    pub registered_at: String,
    pub last_seen: String,
    /// Seconds since `last_seen`, when it parses.
    pub last_seen_age_s: Option<f64>,
    pub lang: Option<String>,
    pub sdk_version: Option<String>,
    pub heartbeat_interval_s: Option<f64>,
    pub pid_unverified: bool,
    pub peer_mismatch: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MonitorInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitor_id: Option<String>,
    pub pid: Option<String>,
    pub started_at: Option<String>,
    /// Empty while running (or after a crash).
    pub stopped_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatusReport {
    pub monitor: MonitorInfo,
    /// Every monitor of a shared database (PostgreSQL), by monitor_id; empty for SQLite.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub monitors: Vec<MonitorInfo>,
    pub bots: Vec<BotStatus>,
    pub counters: BTreeMap<String, i64>,
    /// Alerts firing (and, from a running monitor's API, pending).
    pub alerts: Vec<ActiveAlert>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ActiveAlert {
    /// The monitor that raised it, in a database several monitors share (PostgreSQL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitor_id: Option<String>,
    pub alertname: String,
    pub severity: String,
    pub state: String,
    pub channel: Option<String>,
    pub starts_at: String,
    pub summary: String,
}

/// Firing alerts as the database has them (none in a database from before alerts).
fn firing_alerts(conn: &Connection) -> Vec<ActiveAlert> {
    let Ok(rows) = crate::store::sql::sqlite(conn, &crate::alerts::db::firing(None)) else { return Vec::new() };
    rows.iter().map(|row| active_alert(crate::alerts::db::alert_row(row))).collect()
}

/// A stored firing alert as `status` shows it.
pub fn active_alert(row: crate::alerts::db::AlertRow) -> ActiveAlert {
    ActiveAlert {
        summary: crate::alerts::db::annotations(&row).remove("summary").unwrap_or_default(),
        monitor_id: row.monitor_id,
        alertname: row.alertname,
        severity: row.severity,
        state: row.state,
        channel: row.channel,
        starts_at: row.starts_at,
    }
}

/// A column of `table` if it exists, else NULL under its name.
fn optional_column(existing: &[String], name: &str) -> String {
    if existing.iter().any(|c| c == name) {
        name.to_owned()
    } else {
        format!("NULL AS {name}")
    }
}

pub fn read_status(path: &Path) -> Result<StatusReport> {
    if let Some(url) = store::postgres::url(path) {
        return store::postgres::read::status_report(url);
    }
    let conn = store::open_for_reading(path, "bot_status")?;
    status_from(&conn, path)
}

/// The status report from an open monitor database (`path` names it in errors).
pub fn status_from(conn: &Connection, path: &Path) -> Result<StatusReport> {
    let existing = columns(conn, "bot_status").context(|| "cannot read the columns of bot_status".into())?;
    let extra: Vec<String> =
        ["status_reason", "lang", "sdk_version", "heartbeat_interval_s", "pid_unverified", "peer_mismatch"]
            .iter()
            .map(|name| optional_column(&existing, name))
            .collect();
    let sql = format!(
        "SELECT channel, pid, status, features_json, registered_at, last_seen, {} FROM bot_status ORDER BY channel",
        extra.join(", ")
    );
    let now = SystemTime::now();
    let mut statement = conn.prepare(&sql).context(|| format!("cannot query bot_status in {}", path.display()))?;
    let bots = statement
        .query_map([], |row| {
            let features_json: String = row.get(3)?;
            let last_seen: String = row.get(5)?;
            Ok(BotStatus {
                monitor_id: None,
                channel: row.get(0)?,
                pid: row.get(1)?,
                status: row.get(2)?,
                features: serde_json::from_str(&features_json).unwrap_or(serde_json::Value::String(features_json)),
                registered_at: row.get(4)?,
                last_seen_age_s: parse_iso(&last_seen)
                    .map(|at| now.duration_since(at).unwrap_or(Duration::ZERO).as_secs_f64()),
                last_seen,
                reason: row.get(6)?,
                lang: row.get(7)?,
                sdk_version: row.get(8)?,
                heartbeat_interval_s: row.get(9)?,
                pid_unverified: row.get::<_, Option<bool>>(10)?.unwrap_or(false),
                peer_mismatch: row.get::<_, Option<bool>>(11)?.unwrap_or(false),
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .context(|| format!("cannot read bot_status in {}", path.display()))?;
    Ok(StatusReport {
        monitor: monitor_info(conn),
        monitors: Vec::new(),
        bots,
        counters: read_counters(conn),
        alerts: firing_alerts(conn),
    })
}

fn monitor_info(conn: &Connection) -> MonitorInfo {
    let get = |key: &str| store::meta(conn, key).filter(|v| !v.is_empty());
    MonitorInfo {
        monitor_id: None,
        pid: get("monitor_pid"),
        started_at: get("monitor_started_at"),
        stopped_at: get("monitor_stopped_at"),
    }
}

/// The monitor's counters, empty for a database without them (the earlier monitor's).
pub fn read_counters(conn: &Connection) -> BTreeMap<String, i64> {
    let Ok(mut statement) = conn.prepare("SELECT name, value FROM monitor_counters") else { return BTreeMap::new() };
    let rows = statement.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)));
    rows.map(|rows| rows.filter_map(|row| row.ok()).collect()).unwrap_or_default()
}

fn features_text(features: &serde_json::Value) -> String {
    match features {
        serde_json::Value::Object(map) if map.is_empty() => "-".into(),
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(name, on)| if on.as_bool() == Some(false) { format!("-{name}") } else { name.clone() })
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

/// Lays out rows under a header, each column as wide as its widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}  ");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

pub fn render_status(report: &StatusReport) -> String {
    let mut out = String::new();
    let monitor = &report.monitor;
    match (&monitor.pid, &monitor.started_at, &monitor.stopped_at) {
        (_, _, Some(stopped)) => {
            let _ = writeln!(out, "monitor stopped at {stopped}");
        }
        (Some(pid), Some(started), None) => {
            let _ = writeln!(out, "monitor pid {pid}, started at {started}");
        }
        _ => {}
    }
    for monitor in &report.monitors {
        let id = monitor.monitor_id.as_deref().unwrap_or("?");
        let pid = monitor.pid.as_deref().unwrap_or("?");
        let _ = match (&monitor.started_at, &monitor.stopped_at) {
            (_, Some(stopped)) => writeln!(out, "monitor {id}: pid {pid}, stopped at {stopped}"),
            (Some(started), None) => writeln!(out, "monitor {id}: pid {pid}, started at {started}"),
            (None, None) => writeln!(out, "monitor {id}"),
        };
    }
    // A shared database (PostgreSQL) names each bot's monitor in a first column.
    let fleet = report.bots.iter().any(|bot| bot.monitor_id.is_some());
    if report.bots.is_empty() {
        out.push_str("no bots\n");
    } else {
        let rows: Vec<Vec<String>> = report
            .bots
            .iter()
            .map(|bot| {
                let mut flags = Vec::new();
                if bot.pid_unverified {
                    flags.push("pid_unverified");
                }
                if bot.peer_mismatch {
                    flags.push("peer_mismatch");
                }
                let monitor = fleet.then(|| bot.monitor_id.clone().unwrap_or_default());
                monitor
                    .into_iter()
                    .chain([
                        bot.channel.clone(),
                        bot.pid.to_string(),
                        bot.status.clone(),
                        bot.last_seen_age_s.map_or_else(|| "?".into(), |age| short_age(Duration::from_secs_f64(age))),
                        bot.lang.clone().unwrap_or_else(|| "-".into()),
                        features_text(&bot.features),
                        if flags.is_empty() { "-".into() } else { flags.join(",") },
                        bot.reason.clone().unwrap_or_default(),
                    ])
                    .collect()
            })
            .collect();
        let header = ["MONITOR", "CHANNEL", "PID", "STATUS", "LAST SEEN", "LANG", "FEATURES", "FLAGS", "WHY"];
        out.push_str(&table(&header[usize::from(!fleet)..], &rows));
    }
    if report.alerts.is_empty() {
        out.push_str("alerts: none\n");
    } else {
        let now = SystemTime::now();
        let rows: Vec<Vec<String>> = report
            .alerts
            .iter()
            .map(|alert| {
                let age = parse_iso(&alert.starts_at).map(|at| now.duration_since(at).unwrap_or(Duration::ZERO));
                let monitor = alert.monitor_id.iter().filter(|_| fleet).cloned();
                monitor
                    .chain([
                        alert.alertname.clone(),
                        alert.severity.clone(),
                        alert.state.clone(),
                        alert.channel.clone().unwrap_or_else(|| "-".into()),
                        age.map_or_else(|| "?".into(), short_age),
                        alert.summary.clone(),
                    ])
                    .collect()
            })
            .collect();
        let _ = writeln!(out, "alerts:");
        let header = ["MONITOR", "ALERT", "SEVERITY", "STATE", "CHANNEL", "FOR", "SUMMARY"];
        out.push_str(&table(&header[usize::from(!fleet)..], &rows));
    }
    let bad: i64 = report.counters.iter().filter(|(name, _)| name.starts_with("bad_")).map(|(_, v)| v).sum();
    if !report.counters.is_empty() {
        let get = |name: &str| report.counters.get(name).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "lines: {} register, {} heartbeat, {} unregister, {} llm_usage, {bad} bad; {} connections open; {} llm calls stored",
            get("lines_register"),
            get("lines_heartbeat"),
            get("lines_unregister"),
            get("lines_llm_usage"),
            get("connections_open"),
            get("usage_calls_written"),
        );
        let lost =
            get("lines_shed_overload") + get("usage_shed") + get("storage_rows_lost") + get("peer_mismatch_rejected");
        if lost > 0 {
            let _ = writeln!(
                out,
                "not stored: {} lines shed under overload, {} llm calls shed, {} rows lost to storage errors, {} lines rejected for a pid mismatch",
                get("lines_shed_overload"),
                get("usage_shed"),
                get("storage_rows_lost"),
                get("peer_mismatch_rejected"),
            );
        }
    }
    out
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UsageLine {
    /// The monitor that stored the calls, in a database several monitors share (PostgreSQL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitor_id: Option<String>,
    pub channel: String,
    pub model: String,
    pub feature: String,
    /// LLM calls: the sum of `count` (a folded row stands for several calls).
    pub calls: i64,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub cost_usd: Option<f64>,
    /// Mean over the calls that reported a latency.
    pub mean_latency_ms: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UsageReport {
    /// Rows with `ts` at or after this instant; `None` for all rows.
    pub since: Option<String>,
    pub lines: Vec<UsageLine>,
    pub total_calls: i64,
    pub total_tokens_in: i64,
    pub total_tokens_out: i64,
    pub total_cost_usd: Option<f64>,
}

/// LLM usage by channel, model and feature over the last `since` (all rows for `None`).
pub fn read_usage(path: &Path, since: Option<Duration>) -> Result<UsageReport> {
    if let Some(url) = store::postgres::url(path) {
        return store::postgres::read::usage_report(url, since);
    }
    let conn = store::open_for_reading(path, "llm_usage")?;
    let existing = columns(&conn, "llm_usage").context(|| "cannot read the columns of llm_usage".into())?;
    let has = |name: &str| existing.iter().any(|c| c == name);
    let calls = if has("count") { "SUM(count)" } else { "COUNT(*)" };
    let weight = if has("count") { "count" } else { "1" };
    let cost = if has("cost_usd") { "SUM(cost_usd)" } else { "NULL" };
    let sql = format!(
        "SELECT channel, model, feature, {calls}, SUM(tokens_in), SUM(tokens_out), {cost},
                SUM(latency_ms * {weight}) / NULLIF(SUM(CASE WHEN latency_ms IS NULL THEN 0 ELSE {weight} END), 0)
         FROM llm_usage WHERE ts >= ?1 GROUP BY channel, model, feature ORDER BY channel, model, feature"
    );
    let cutoff = since.map(|since| iso(SystemTime::now().checked_sub(since).unwrap_or(SystemTime::UNIX_EPOCH)));
    let mut statement = conn.prepare(&sql).context(|| format!("cannot query llm_usage in {}", path.display()))?;
    let lines = statement
        .query_map([cutoff.clone().unwrap_or_default()], |row| {
            Ok(UsageLine {
                monitor_id: None,
                channel: row.get(0)?,
                model: row.get(1)?,
                feature: row.get(2)?,
                calls: row.get(3)?,
                tokens_in: row.get(4)?,
                tokens_out: row.get(5)?,
                cost_usd: row.get(6)?,
                mean_latency_ms: row.get(7)?,
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .context(|| format!("cannot read llm_usage in {}", path.display()))?;
    let total_cost = lines.iter().filter_map(|l| l.cost_usd).reduce(|a, b| a + b);
    Ok(UsageReport {
        since: cutoff,
        total_calls: lines.iter().map(|l| l.calls).sum(),
        total_tokens_in: lines.iter().map(|l| l.tokens_in).sum(),
        total_tokens_out: lines.iter().map(|l| l.tokens_out).sum(),
        total_cost_usd: total_cost,
        lines,
    })
}

pub fn render_usage(report: &UsageReport) -> String {
    let mut out = String::new();
    if let Some(since) = &report.since {
        let _ = writeln!(out, "LLM usage since {since}");
    }
    if report.lines.is_empty() {
        out.push_str("no LLM calls\n");
        return out;
    }
    let money = |cost: Option<f64>| cost.map_or_else(|| "-".into(), |c| format!("${c:.4}"));
    // A shared database (PostgreSQL) names each line's monitor in a first column.
    let fleet = report.lines.iter().any(|line| line.monitor_id.is_some());
    let mut rows: Vec<Vec<String>> = report
        .lines
        .iter()
        .map(|l| {
            let monitor = fleet.then(|| l.monitor_id.clone().unwrap_or_default());
            monitor
                .into_iter()
                .chain([
                    l.channel.clone(),
                    l.model.clone(),
                    l.feature.clone(),
                    l.calls.to_string(),
                    l.tokens_in.to_string(),
                    l.tokens_out.to_string(),
                    money(l.cost_usd),
                    l.mean_latency_ms.map_or_else(|| "-".into(), |ms| format!("{ms:.0}")),
                ])
                .collect()
        })
        .collect();
    let total_first = if fleet { vec!["TOTAL".to_owned(), String::new()] } else { vec!["TOTAL".to_owned()] };
    rows.push(
        total_first
            .into_iter()
            .chain([
                String::new(),
                String::new(),
                report.total_calls.to_string(),
                report.total_tokens_in.to_string(),
                report.total_tokens_out.to_string(),
                money(report.total_cost_usd),
                String::new(),
            ])
            .collect(),
    );
    let header = ["MONITOR", "CHANNEL", "MODEL", "FEATURE", "CALLS", "TOKENS IN", "TOKENS OUT", "COST", "MEAN MS"];
    out.push_str(&table(&header[usize::from(!fleet)..], &rows));
    out
}
