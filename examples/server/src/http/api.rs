//! REST API v1: JSON views of the live registry (from its snapshot, never
//! from the state worker itself) and of the history in the database: this
//! monitor's SQLite file, or on PostgreSQL every monitor's rows, where a bot
//! is (monitor_id, channel) and `?monitor=` picks one monitor. Handlers only
//! read; none holds a lock across an `.await`.

use super::error::{ApiError, ErrorBody};
use super::params::{self, Params};
use super::HttpState;
use crate::registry::{BotView, Fleet, Status};
use crate::store::read::{self, Dimension, UsageGroup, UsageQuery};
use crate::time::iso;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<Arc<HttpState>> {
    Router::new()
        .route("/api/v1/bots", get(bots))
        .route("/api/v1/bots/{channel}", get(bot))
        .route("/api/v1/usage", get(usage))
        .route("/api/v1/transitions", get(transitions))
        .route("/api/v1/counters", get(counters))
        .route("/api/v1/monitor", get(monitor))
        .route("/healthz", get(healthz))
}

/// A bot as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Bot {
    pub channel: String,
    pub pid: u32,
    /// online, stale, dead, offline or unknown.
    #[schema(pattern = "^(online|stale|dead|offline|unknown)$")]
    pub status: String,
    /// Why it has this status: `register`, `no heartbeat for 80.1s, stale after 75.0s`, `unregister: close`, ...
    pub status_reason: String,
    pub status_changed_at: String,
    pub registered_at: String,
    /// The last register or heartbeat.
    pub last_seen: String,
    pub lang: Option<String>,
    pub sdk_version: Option<String>,
    pub instance: Option<String>,
    /// The features it registered, name to on/off.
    #[schema(value_type = Object)]
    pub features: serde_json::Value,
    pub heartbeat_interval_s: Option<f64>,
    /// How long it may go without a heartbeat before it is stale.
    pub stale_after_s: f64,
    /// Its event loop's lag at its last heartbeat.
    pub lag_ms: Option<f64>,
    /// Latest resident memory sample, MiB (bots on this host).
    pub rss_mb: Option<f64>,
    /// Latest cpu sample, percent of one core.
    pub cpu_pct: Option<f64>,
    /// Its pid is not visible here (another pid namespace or host): never declared dead.
    pub pid_unverified: bool,
    /// A message's pid differed from the sender's (SO_PEERCRED).
    pub peer_mismatch: bool,
}

impl Bot {
    pub fn of(view: &BotView) -> Bot {
        Bot {
            channel: view.channel.clone(),
            pid: view.pid,
            status: view.status.as_str().to_owned(),
            status_reason: view.status_reason.clone(),
            status_changed_at: iso(view.status_changed_at),
            registered_at: iso(view.registered_at),
            last_seen: iso(view.last_seen),
            lang: view.lang.clone(),
            sdk_version: view.sdk_version.clone(),
            instance: view.instance.clone(),
            features: serde_json::from_str(&view.features_json).unwrap_or_else(|_| serde_json::json!({})),
            heartbeat_interval_s: view.heartbeat_interval_s,
            stale_after_s: view.stale_after.as_secs_f64(),
            lag_ms: view.lag_ms,
            rss_mb: view.rss_mb,
            cpu_pct: view.cpu_pct,
            pid_unverified: view.pid_unverified,
            peer_mismatch: view.peer_mismatch,
        }
    }
}

/// A bot's JSON, made once per view of it.
fn bot_json(view: &BotView) -> &str {
    view.json.get_or_init(|| serde_json::to_string(&Bot::of(view)).expect("a bot serializes").into_boxed_str())
}

/// Writes the JSON of every bot in each new snapshot as it is published, on
/// a blocking thread, so that `GET /api/v1/bots` only concatenates: a cold
/// list of 10,000 bots took 100 to 400 ms to answer, a warm one 7 to 40 ms.
/// Only views that changed have no JSON yet, and snapshots that arrive while
/// one is warmed are skipped to the latest.
pub async fn warm(mut fleet: watch::Receiver<Arc<Fleet>>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            changed = fleet.changed() => if changed.is_err() { return },
            _ = stop.changed() => return,
        }
        let snapshot = Arc::clone(&fleet.borrow_and_update());
        let warmed = tokio::task::spawn_blocking(move || {
            for bot in &snapshot.bots {
                bot_json(bot);
            }
        });
        if warmed.await.is_err() {
            return;
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)] // The document's shape; `bots` writes it from cached parts.
pub struct BotList {
    pub bots: Vec<Bot>,
    /// Bots by status over the whole registry, before filters.
    pub counts: BTreeMap<String, usize>,
    /// When the registry snapshot was taken: a bot's age is `taken_at - last_seen`.
    pub taken_at: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct BotsParams {
    /// Only bots with one of these statuses, comma-separated.
    #[param(pattern = "^(online|stale|dead|offline|unknown)(,(online|stale|dead|offline|unknown))*$")]
    status: Option<String>,
    /// Only bots whose channel contains this text (case-insensitive), at most 128 bytes of UTF-8.
    #[param(max_length = 128)]
    q: Option<String>,
}

fn statuses(text: &str) -> Result<Vec<Status>, String> {
    text.split(',')
        .map(|part| {
            Status::parse(part).ok_or_else(|| {
                format!("expected a comma-separated list of online, stale, dead, offline, unknown; got {part:?}")
            })
        })
        .collect()
}

/// The bots in the live registry, with counts by status.
#[utoipa::path(get, path = "/api/v1/bots", tag = "bots", params(BotsParams),
    responses((status = 200, description = "The bots, sorted by channel", body = BotList), (status = 400, description = "A bad or unknown parameter, named in the message", body = ErrorBody), (status = 401, description = "The monitor has a token and the request lacks it or has another", body = ErrorBody)))]
async fn bots(State(state): State<Arc<HttpState>>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let mut params = Params::parse(query.as_deref())?;
    let wanted = params.take_with("status", statuses)?;
    let q = params.take_with("q", |q| {
        if q.len() > 128 {
            Err(format!("at most 128 bytes, got {}", q.len()))
        } else {
            Ok(q.to_lowercase())
        }
    })?;
    params.finish(&["status", "q"])?;
    let fleet = state.fleet();
    let mut body = String::with_capacity(fleet.bots.len() * 512 + 256);
    body.push_str("{\"bots\":[");
    let mut first = true;
    for bot in &fleet.bots {
        if wanted.as_ref().map_or(true, |wanted| wanted.contains(&bot.status))
            && q.as_ref().map_or(true, |q| bot.channel.to_lowercase().contains(q.as_str()))
        {
            if !first {
                body.push(',');
            }
            first = false;
            body.push_str(bot_json(bot));
        }
    }
    let counts: BTreeMap<&str, usize> = fleet.counts().iter().map(|(status, n)| (status.as_str(), *n)).collect();
    body.push_str("],\"counts\":");
    body.push_str(&serde_json::to_string(&counts).expect("counts serialize"));
    body.push_str(",\"taken_at\":");
    body.push_str(&serde_json::to_string(&iso(fleet.taken_at)).expect("a string serializes"));
    body.push('}');
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BotDetail {
    /// The bot's monitor: (monitor_id, channel) is a bot.
    pub monitor_id: String,
    pub bot: Bot,
    /// Its latest status changes, newest first (at most 50).
    pub transitions: Vec<read::Transition>,
    /// Its rss/cpu samples over the last 24 h, oldest first (at most 1440, the newest).
    pub samples: Vec<Sample>,
    /// Its LLM usage over the last 24 h by model and feature.
    pub usage: Vec<UsageGroupJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Sample {
    pub ts: String,
    pub rss_mb: f64,
    pub cpu_pct: f64,
}

/// `?monitor=`: one monitor's rows. On SQLite every row is this monitor's, so another id is refused.
pub fn monitor_param(state: &HttpState, params: &mut Params) -> Result<Option<String>, ApiError> {
    let monitor = params.take_with("monitor", params::monitor)?;
    match &monitor {
        Some(other) if state.backend.postgres().is_none() && other != state.monitor_id() => {
            Err(ApiError::bad_parameter(
                "monitor",
                format!(
                    "this monitor ({}) stores in SQLite, where every row is its own; {other:?} is another monitor \
                     (monitors share their rows only in PostgreSQL)",
                    state.monitor_id()
                ),
            ))
        }
        _ => Ok(monitor),
    }
}

/// One bot: the registry's view, or its last stored row once the registry forgot it.
///
/// On PostgreSQL, `monitor` names the monitor of a bot of another host (default: this monitor).
#[utoipa::path(get, path = "/api/v1/bots/{channel}", tag = "bots",
    params(("channel" = String, Path, description = "The bot's channel, percent-encoded: 1 to 128 bytes of UTF-8, no control characters", min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"),
        ("monitor" = Option<String>, Query, description = "The bot's monitor (its --monitor-id), default this monitor; another monitor's bots are readable on PostgreSQL only", min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$")),
    responses((status = 200, description = "The bot with its recent history", body = BotDetail), (status = 400, description = "A bad or unknown parameter, named in the message", body = ErrorBody), (status = 401, description = "The monitor has a token and the request lacks it or has another", body = ErrorBody),
        (status = 404, description = "No bot with this channel (of this monitor), live or stored", body = ErrorBody), (status = 503, description = "The database cannot be read now", body = ErrorBody)))]
async fn bot(
    State(state): State<Arc<HttpState>>,
    channel: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Json<BotDetail>, ApiError> {
    let Path(channel) = channel.map_err(|err| ApiError::bad_parameter("channel", err.body_text()))?;
    let channel = params::channel(&channel).map_err(|why| ApiError::bad_parameter("channel", why))?;
    let mut params = Params::parse(query.as_deref())?;
    let monitor = monitor_param(&state, &mut params)?.unwrap_or_else(|| state.monitor_id().to_owned());
    params.finish(&["monitor"])?;
    let now = SystemTime::now();
    let live = if monitor == state.monitor_id() { state.fleet().get(&channel).map(Bot::of) } else { None };
    let day_ago = now.checked_sub(Duration::from_secs(86_400)).unwrap_or(SystemTime::UNIX_EPOCH);
    let usage_query = UsageQuery {
        since: day_ago,
        until: now + Duration::from_secs(1),
        group_by: vec![Dimension::Model, Dimension::Feature],
        bucket_s: None,
        channel: Some(channel.clone()),
        monitor: Some(monitor.clone()),
    };
    let mut queries = vec![
        read::transitions(SystemTime::UNIX_EPOCH, Some(&channel), Some(&monitor), None, 50),
        read::samples(&channel, &monitor, day_ago, 1440),
        read::usage(state.backend.dialect(), &usage_query, false),
    ];
    if live.is_none() {
        queries.push(read::bot(&channel, &monitor));
    }
    let results = state.query(queries).await?;
    let stored = results.get(3).and_then(|rows| rows.first()).map(read::status_row);
    let stored = stored.map(|row| Bot::of(&BotView::from_row(row, &state.config)));
    let bot =
        live.or(stored).ok_or_else(|| ApiError::not_found(format!("no bot with this channel on monitor {monitor}")))?;
    let own = state.monitor_id();
    Ok(Json(BotDetail {
        bot,
        transitions: results[0].iter().map(|row| read::transition(row, own)).collect(),
        samples: read::samples_of(&results[1])
            .into_iter()
            .map(|s| Sample { ts: s.ts, rss_mb: s.rss_mb, cpu_pct: s.cpu_pct })
            .collect(),
        usage: read::usage_groups(&results[2], &usage_query, false)
            .into_iter()
            .map(|g| UsageGroupJson::of(g, &[Dimension::Model, Dimension::Feature]))
            .collect(),
        monitor_id: monitor,
    }))
}

/// One group (of a series: one bucket of one group). Only the grouped dimensions are present.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageGroupJson {
    /// Start of the bucket (series only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    /// Empty when the bots did not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(flatten)]
    pub sums: read::UsageSums,
}

impl UsageGroupJson {
    fn of(group: UsageGroup, dims: &[Dimension]) -> UsageGroupJson {
        let mut json = UsageGroupJson {
            start: group.bucket_start,
            channel: None,
            model: None,
            feature: None,
            provider: None,
            sums: group.sums,
        };
        for (dim, value) in dims.iter().zip(group.values) {
            let slot = match dim {
                Dimension::Channel => &mut json.channel,
                Dimension::Model => &mut json.model,
                Dimension::Feature => &mut json.feature,
                Dimension::Provider => &mut json.provider,
            };
            *slot = Some(value);
        }
        json
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageReportJson {
    pub since: String,
    pub until: String,
    pub group_by: Vec<String>,
    /// Bucket width (`1m`, `5m`, `1h`, `1d`) when a series was asked for.
    pub bucket: Option<String>,
    pub totals: read::UsageSums,
    /// One entry per group, ordered by the grouped values; empty without `group_by`.
    pub groups: Vec<UsageGroupJson>,
    /// With `bucket`: one entry per bucket and group that had calls, in time order.
    pub series: Vec<UsageGroupJson>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct UsageParams {
    /// Start (inclusive): RFC 3339, Unix seconds, or a duration ago like `24h`. Default: 24 h ago.
    #[param(
        pattern = "^([0-9]{1,11}(\\.[0-9]+)?|[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?|([0-9]+ ?(ns|us|ms|s|sec|m|min|h|hr|d|day|days|w|week|weeks) ?)+)$"
    )]
    since: Option<String>,
    /// End (exclusive), in the same forms, not before `since`. Default: now.
    #[param(
        pattern = "^([0-9]{1,11}(\\.[0-9]+)?|[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?|([0-9]+ ?(ns|us|ms|s|sec|m|min|h|hr|d|day|days|w|week|weeks) ?)+)$"
    )]
    until: Option<String>,
    /// Dimensions to group by, comma-separated.
    #[param(pattern = "^(channel|model|feature|provider)(,(channel|model|feature|provider))*$")]
    group_by: Option<String>,
    /// Also return a time series with buckets of this width.
    #[param(pattern = "^(1m|5m|1h|1d)$")]
    bucket: Option<String>,
    /// Only this channel's calls: 1 to 128 bytes of UTF-8, no control characters.
    #[param(min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$")]
    channel: Option<String>,
    /// Only this monitor's calls (its --monitor-id). Default: every monitor's on PostgreSQL (this monitor's on SQLite, where another id is refused).
    #[param(min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$")]
    monitor: Option<String>,
}

/// Buckets one series may have.
const MAX_BUCKETS: u64 = 10_000;

fn dimensions(text: &str) -> Result<Vec<Dimension>, String> {
    let mut dims = Vec::new();
    for part in text.split(',') {
        let dim = Dimension::ALL.into_iter().find(|d| d.name() == part).ok_or_else(|| {
            format!("expected a comma-separated list of channel, model, feature, provider; got {part:?}")
        })?;
        if dims.contains(&dim) {
            return Err(format!("{part} is listed twice"));
        }
        dims.push(dim);
    }
    Ok(dims)
}

fn bucket(text: &str) -> Result<(String, u64), String> {
    let width = match text {
        "1m" => 60,
        "5m" => 300,
        "1h" => 3600,
        "1d" => 86_400,
        _ => return Err(format!("expected one of 1m, 5m, 1h, 1d; got {text:?}")),
    };
    Ok((text.to_owned(), width))
}

/// LLM usage totals over a time range, grouped, and as a time series.
#[utoipa::path(get, path = "/api/v1/usage", tag = "usage", params(UsageParams),
    responses((status = 200, description = "Totals, groups and series", body = UsageReportJson), (status = 400, description = "A bad or unknown parameter, named in the message", body = ErrorBody), (status = 401, description = "The monitor has a token and the request lacks it or has another", body = ErrorBody),
        (status = 503, description = "The database cannot be read now", body = ErrorBody)))]
async fn usage(
    State(state): State<Arc<HttpState>>,
    RawQuery(query): RawQuery,
) -> Result<Json<UsageReportJson>, ApiError> {
    let mut params = Params::parse(query.as_deref())?;
    let (since, until) = params::range(&mut params, Duration::from_secs(86_400))?;
    let group_by = params.take_with("group_by", dimensions)?.unwrap_or_default();
    let bucket = params.take_with("bucket", bucket)?;
    let channel = params.take_with("channel", params::channel)?;
    let monitor = monitor_param(&state, &mut params)?;
    params.finish(&["since", "until", "group_by", "bucket", "channel", "monitor"])?;
    if let Some((name, width)) = &bucket {
        let span = until.duration_since(since).unwrap_or_default().as_secs();
        if span / width > MAX_BUCKETS {
            return Err(ApiError::bad_parameter(
                "bucket",
                format!("{name} buckets over this range would be {}, more than {MAX_BUCKETS}", span / width),
            ));
        }
    }
    let query = UsageQuery {
        since,
        until,
        group_by: group_by.clone(),
        bucket_s: bucket.as_ref().map(|b| b.1),
        channel,
        monitor,
    };
    let dialect = state.backend.dialect();
    let totals_query = UsageQuery { group_by: Vec::new(), ..query.clone() };
    let mut queries = vec![read::usage(dialect, &totals_query, false)];
    if !query.group_by.is_empty() {
        queries.push(read::usage(dialect, &query, false));
    }
    if query.bucket_s.is_some() {
        queries.push(read::usage(dialect, &query, true));
    }
    let mut results = state.query(queries).await?.into_iter();
    let totals = results.next().unwrap_or_default();
    let totals = read::usage_groups(&totals, &totals_query, false).pop().map(|g| g.sums).unwrap_or_default();
    let groups = if query.group_by.is_empty() {
        Vec::new()
    } else {
        read::usage_groups(&results.next().unwrap_or_default(), &query, false)
    };
    let series = match query.bucket_s {
        Some(_) => read::usage_groups(&results.next().unwrap_or_default(), &query, true),
        None => Vec::new(),
    };
    Ok(Json(UsageReportJson {
        since: iso(since),
        until: iso(until),
        group_by: group_by.iter().map(|d| d.name().to_owned()).collect(),
        bucket: bucket.map(|b| b.0),
        totals,
        groups: groups.into_iter().map(|g| UsageGroupJson::of(g, &group_by)).collect(),
        series: series.into_iter().map(|g| UsageGroupJson::of(g, &group_by)).collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionPage {
    /// Newest first.
    pub transitions: Vec<read::Transition>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct TransitionParams {
    /// Only transitions at or after this instant: RFC 3339, Unix seconds, or a duration ago like `24h`.
    #[param(
        pattern = "^([0-9]{1,11}(\\.[0-9]+)?|[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?|([0-9]+ ?(ns|us|ms|s|sec|m|min|h|hr|d|day|days|w|week|weeks) ?)+)$"
    )]
    since: Option<String>,
    /// Only this channel's transitions: 1 to 128 bytes of UTF-8, no control characters.
    #[param(min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$")]
    channel: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{1,18}$")]
    cursor: Option<String>,
    /// Only this monitor's bots (its --monitor-id). Default: every monitor's on PostgreSQL (this monitor's on SQLite, where another id is refused).
    #[param(min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$")]
    monitor: Option<String>,
}

/// Status changes of every bot, newest first, in pages.
///
/// On PostgreSQL, every monitor's bots, each transition with its `monitor_id`.
#[utoipa::path(get, path = "/api/v1/transitions", tag = "bots", params(TransitionParams),
    responses((status = 200, description = "One page of transitions", body = TransitionPage), (status = 400, description = "A bad or unknown parameter, named in the message", body = ErrorBody), (status = 401, description = "The monitor has a token and the request lacks it or has another", body = ErrorBody),
        (status = 503, description = "The database cannot be read now", body = ErrorBody)))]
async fn transitions(
    State(state): State<Arc<HttpState>>,
    RawQuery(query): RawQuery,
) -> Result<Json<TransitionPage>, ApiError> {
    let mut params = Params::parse(query.as_deref())?;
    let since = params.take_with("since", params::instant)?.unwrap_or(SystemTime::UNIX_EPOCH);
    let channel = params.take_with("channel", params::channel)?;
    let limit = params.take_with("limit", params::limit)?.unwrap_or(100);
    let cursor = params.take_with("cursor", |c| match c.parse::<i64>() {
        Ok(id) if id >= 0 && c.len() <= 18 => Ok(id),
        _ => Err(format!("expected the next_cursor of a previous page, got {c:?}")),
    })?;
    let monitor = monitor_param(&state, &mut params)?;
    params.finish(&["since", "channel", "limit", "cursor", "monitor"])?;
    let query = read::transitions(since, channel.as_deref(), monitor.as_deref(), cursor, limit + 1);
    let own = state.monitor_id();
    let mut rows: Vec<read::Transition> =
        state.query(vec![query]).await?.concat().iter().map(|row| read::transition(row, own)).collect();
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|t| t.id.to_string())
    } else {
        None
    };
    Ok(Json(TransitionPage { transitions: rows, next_cursor }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountersJson {
    /// Every counter of this monitor process by name (see the server README).
    pub counters: BTreeMap<String, u64>,
}

/// The monitor's own counters since it started.
#[utoipa::path(get, path = "/api/v1/counters", tag = "monitor",
    responses((status = 200, description = "The counters", body = CountersJson), (status = 400, description = "A bad or unknown parameter, named in the message", body = ErrorBody), (status = 401, description = "The monitor has a token and the request lacks it or has another", body = ErrorBody)))]
async fn counters(
    State(state): State<Arc<HttpState>>,
    RawQuery(query): RawQuery,
) -> Result<Json<CountersJson>, ApiError> {
    Params::parse(query.as_deref())?.finish(&[])?;
    let counters = state.counters.snapshot().into_iter().map(|(name, v)| (name.to_owned(), v)).collect();
    Ok(Json(CountersJson { counters }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonitorJson {
    pub pid: u32,
    pub version: String,
    pub started_at: String,
    pub uptime_s: f64,
    pub socket: String,
    pub database: String,
    /// The address the HTTP API listens on.
    pub http: String,
    /// The writer's lag: how long the oldest row not yet committed has waited, in seconds.
    pub writer_lag_s: f64,
    pub last_commit_at: Option<String>,
}

/// This monitor process.
#[utoipa::path(get, path = "/api/v1/monitor", tag = "monitor",
    responses((status = 200, description = "This monitor", body = MonitorJson), (status = 400, description = "A bad or unknown parameter, named in the message", body = ErrorBody), (status = 401, description = "The monitor has a token and the request lacks it or has another", body = ErrorBody)))]
async fn monitor(
    State(state): State<Arc<HttpState>>,
    RawQuery(query): RawQuery,
) -> Result<Json<MonitorJson>, ApiError> {
    Params::parse(query.as_deref())?.finish(&[])?;
    let health = state.store.health();
    Ok(Json(MonitorJson {
        pid: std::process::id(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at: iso(state.started_at),
        uptime_s: SystemTime::now().duration_since(state.started_at).unwrap_or_default().as_secs_f64(),
        socket: state.config.socket_path.display().to_string(),
        database: state.config.db_shown(),
        http: state.http_addr.to_string(),
        writer_lag_s: health.lag.as_secs_f64(),
        last_commit_at: health.last_commit.map(iso),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`; `degraded` while the database refuses writes (the monitor still
    /// ingests, keeps rows in bounded memory and retries); `unhealthy` otherwise.
    #[schema(pattern = "^(ok|degraded|unhealthy)$")]
    pub status: String,
    /// Why it is not ok.
    pub reason: Option<String>,
    pub writer_lag_s: f64,
    pub last_commit_at: Option<String>,
    /// The database, and what SQLite said the last time it refused a transaction; absent while it commits.
    pub storage: Option<StorageHealth>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StorageHealth {
    pub database: String,
    pub error: String,
    /// When the first refused transaction of this episode was tried.
    pub failing_since: String,
    pub failed_attempts: u64,
    /// Rows waiting for the writer, the refused batch included.
    pub pending_rows: u64,
}

/// 200 while the monitor accepts bots and its writer commits (and, on PostgreSQL, its --monitor-id is its own); 503 with the reason otherwise. Needs no token.
#[utoipa::path(get, path = "/healthz", tag = "monitor", security(()),
    responses((status = 200, description = "Healthy", body = Health), (status = 400, description = "A bad or unknown parameter, named in the message", body = ErrorBody), (status = 503, description = "Degraded or unhealthy, with the reason", body = Health)))]
async fn healthz(State(state): State<Arc<HttpState>>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    Params::parse(query.as_deref())?.finish(&[])?;
    let health = state.store.health();
    let stall = state.config.writer_stall;
    let id_conflict =
        state.id_conflict.as_ref().and_then(|conflict| conflict.lock().unwrap_or_else(|p| p.into_inner()).clone());
    let database = state.config.db_shown();
    let storage = health.fault.as_ref().map(|fault| StorageHealth {
        database: database.clone(),
        error: fault.error.clone(),
        failing_since: iso(fault.since),
        failed_attempts: fault.failed_attempts,
        pending_rows: health.pending_rows,
    });
    let mut status = "unhealthy";
    let reason = if !state.accepting.load(std::sync::atomic::Ordering::Relaxed) {
        Some("the socket no longer accepts bots".to_owned())
    } else if let Some(conflict) = id_conflict {
        Some(conflict)
    } else if let Some(fault) = &health.fault {
        status = "degraded";
        Some(format!(
            "storage is failing: the database {database} has refused writes since {} ({}, {} attempts); \
             {} rows wait in memory and are retried, llm_usage folds and then is shed (counted) past its bounds",
            iso(fault.since),
            fault.error,
            fault.failed_attempts,
            health.pending_rows
        ))
    } else if health.lag > stall {
        Some(format!(
            "the writer has not committed for {:.1}s while {} rows wait (threshold {:.0}s); last commit {}",
            health.lag.as_secs_f64(),
            health.pending_rows,
            stall.as_secs_f64(),
            health.last_commit.map_or_else(|| "never".to_owned(), iso)
        ))
    } else {
        None
    };
    let code = if reason.is_some() { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    let body = Health {
        status: if reason.is_some() { status } else { "ok" }.to_owned(),
        reason,
        writer_lag_s: health.lag.as_secs_f64(),
        last_commit_at: health.last_commit.map(iso),
        storage,
    };
    Ok((code, Json(body)).into_response())
}
