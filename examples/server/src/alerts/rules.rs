//! What can raise an alert: the kinds of rule, their levels, and the rules
//! that apply with no configuration at all. Rules are plain data; the engine
//! evaluates them and the config file builds them.

use super::glob::Glob;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        [Severity::Warning, Severity::Critical].into_iter().find(|s| s.as_str() == text)
    }
}

/// What a liveness rule looks for in a bot's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Stale while it was being watched (not since a monitor restart).
    Stale,
    Dead,
    Unknown,
    /// Offline without `reason: close`.
    Offline,
    /// Stale since a monitor restart: it was not cleanly unregistered and has not come back.
    Missing,
}

impl Liveness {
    pub const ALL: [Liveness; 5] =
        [Liveness::Stale, Liveness::Dead, Liveness::Unknown, Liveness::Offline, Liveness::Missing];

    pub fn as_str(self) -> &'static str {
        match self {
            Liveness::Stale => "stale",
            Liveness::Dead => "dead",
            Liveness::Unknown => "unknown",
            Liveness::Offline => "offline",
            Liveness::Missing => "missing",
        }
    }

    pub fn parse(text: &str) -> Option<Liveness> {
        Liveness::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Tokens,
    CostUsd,
}

impl Measure {
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Tokens => "tokens",
            Measure::CostUsd => "cost_usd",
        }
    }
}

/// The span of usage a budget or LLM-health rule sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last this-long, ending now.
    Rolling(Duration),
    /// Since 00:00 UTC today.
    DayUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Resident memory, MiB.
    RssMb,
    /// Event-loop lag at the last heartbeat, ms.
    LagMs,
}

impl Resource {
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::RssMb => "rss_mb",
            Resource::LagMs => "lag_ms",
        }
    }
}

/// A warning and a critical threshold, in the rule's unit; a value at or
/// over a threshold raises that level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Levels {
    pub warning: Option<f64>,
    pub critical: Option<f64>,
}

impl Levels {
    /// Each level `value` reaches, with its threshold.
    pub fn reached(&self, value: f64) -> impl Iterator<Item = (Severity, f64)> + '_ {
        [(Severity::Warning, self.warning), (Severity::Critical, self.critical)]
            .into_iter()
            .filter_map(move |(severity, threshold)| threshold.filter(|t| value >= *t).map(|t| (severity, t)))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// One alert per bot whose status is `status`.
    Liveness { status: Liveness, channel: Glob, severity: Severity },
    /// Fewer than `min_online` bots matching `channel` are online.
    Fleet { channel: Glob, min_online: usize, severity: Severity },
    /// Tokens or cost of matching calls over `window` against `limit`; levels in percent of it.
    Budget {
        measure: Measure,
        channel: Glob,
        model: Glob,
        feature: Glob,
        per_channel: bool,
        window: Window,
        limit: f64,
        levels: Levels,
    },
    /// The share of calls with `ok=false` per model, once `min_calls` were made in `window`.
    LlmErrors { channel: Glob, model: Glob, window: Duration, min_calls: u64, levels: Levels },
    /// p95 latency (ms) per model, once `min_calls` were made in `window`.
    LlmLatency { channel: Glob, model: Glob, window: Duration, min_calls: u64, levels: Levels },
    /// A bot's rss (MiB) or event-loop lag (ms).
    Resource { metric: Resource, channel: Glob, levels: Levels },
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Liveness { .. } => "liveness",
            Kind::Fleet { .. } => "fleet",
            Kind::Budget { .. } => "budget",
            Kind::LlmErrors { .. } => "llm_errors",
            Kind::LlmLatency { .. } => "llm_latency",
            Kind::Resource { .. } => "resource",
        }
    }

    /// Reads llm_usage from the database (on the engine's slower usage tick).
    pub fn reads_usage(&self) -> bool {
        matches!(self, Kind::Budget { .. } | Kind::LlmErrors { .. } | Kind::LlmLatency { .. })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The alert's `alertname`.
    pub name: String,
    pub kind: Kind,
    /// How long the condition must hold before the alert fires (pending until then).
    pub for_: Duration,
    /// Notify again this often while it still fires.
    pub repeat_interval: Duration,
}

// Thresholds are checked finite when a rule is read, so equality is total.
impl Eq for Rule {}

/// Re-notify a still-firing alert this often unless a rule says otherwise (Alertmanager's default).
pub const REPEAT_INTERVAL: Duration = Duration::from_secs(4 * 3600);

/// The rules that apply with no configuration: a bot dies (critical), stays
/// stale for 2 minutes (warning), or has not come back after a monitor restart (warning).
pub fn defaults() -> Vec<Rule> {
    let rule = |name: &str, status, for_, severity| Rule {
        name: name.into(),
        kind: Kind::Liveness { status, channel: Glob::any(), severity },
        for_,
        repeat_interval: REPEAT_INTERVAL,
    };
    vec![
        rule("BotDead", Liveness::Dead, Duration::ZERO, Severity::Critical),
        rule("BotStale", Liveness::Stale, Duration::from_secs(120), Severity::Warning),
        rule("BotMissingAfterRestart", Liveness::Missing, Duration::ZERO, Severity::Warning),
    ]
}
