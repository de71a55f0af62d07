//! `/api/v1/alerts` (active alerts from the engine's published view, this
//! monitor's history from the database) and `/api/v1/silences` (list,
//! create, expire). Silences are written in the database (on PostgreSQL,
//! for every monitor that shares it), then the engine is woken to read
//! them; the token rules are those of every endpoint.

use super::error::{ApiError, ErrorBody};
use super::params::{self, Params};
use super::HttpState;
use crate::alerts::db::{self, NewSilence, Silence};
use crate::alerts::engine::AlertJson;
use crate::alerts::glob::{Glob, GLOB};
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use utoipa::ToSchema;

pub fn router() -> Router<Arc<HttpState>> {
    Router::new()
        .route("/api/v1/alerts", get(alerts))
        .route("/api/v1/silences", get(silences).post(create_silence))
        .route("/api/v1/silences/{id}", delete(expire_silence))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertsJson {
    /// Pending and firing alerts, firing first.
    pub active: Vec<AlertJson>,
    /// Resolved alerts, newest first.
    pub history: Vec<AlertJson>,
}

fn resolved(row: db::AlertRow) -> AlertJson {
    let labels = db::labels(&row);
    let summary = db::annotations(&row).remove("summary").unwrap_or_default();
    AlertJson {
        fingerprint: row.fingerprint,
        alertname: row.alertname,
        severity: row.severity,
        state: row.state,
        channel: row.channel,
        labels,
        summary,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        last_notified_at: row.last_notified_at,
        silenced_by: None,
    }
}

/// This monitor's alerts: what is pending or firing now, and what resolved.
///
/// On PostgreSQL every alert has a `monitor_id` label.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts",
    params(("history" = Option<u32>, Query, description = "How many resolved alerts, 1 to 1000 (default 50)", minimum = 1, maximum = 1000)),
    responses((status = 200, description = "Active alerts and history", body = AlertsJson), (status = 400, description = "A bad or unknown parameter, named in the message", body = ErrorBody), (status = 401, description = "The monitor has a token and the request lacks it or has another", body = ErrorBody),
        (status = 503, description = "The database cannot be read now", body = ErrorBody)))]
async fn alerts(State(state): State<Arc<HttpState>>, RawQuery(query): RawQuery) -> Result<Json<AlertsJson>, ApiError> {
    let mut params = Params::parse(query.as_deref())?;
    let limit = params.take_with("history", params::limit)?.unwrap_or(50);
    params.finish(&["history"])?;
    let active = state.alerts.view.borrow().active.clone();
    let rows = state.query(vec![db::history(limit, state.monitor_id())]).await?.concat();
    let history = rows.iter().map(db::alert_row).map(resolved).collect();
    Ok(Json(AlertsJson { active, history }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SilencesJson {
    /// Newest first.
    pub silences: Vec<Silence>,
}

/// Silences that have not ended (with `all=true`, every one, up to 1000).
///
/// On PostgreSQL, every silence of the fleet: each holds for every monitor.
#[utoipa::path(get, path = "/api/v1/silences", tag = "alerts",
    params(("all" = Option<bool>, Query, description = "Include silences that ended")),
    responses((status = 200, description = "The silences", body = SilencesJson), (status = 400, description = "A bad or unknown parameter, named in the message", body = ErrorBody), (status = 401, description = "The monitor has a token and the request lacks it or has another", body = ErrorBody),
        (status = 503, description = "The database cannot be read now", body = ErrorBody)))]
async fn silences(
    State(state): State<Arc<HttpState>>,
    RawQuery(query): RawQuery,
) -> Result<Json<SilencesJson>, ApiError> {
    let mut params = Params::parse(query.as_deref())?;
    let all = params
        .take_with("all", |text| match text {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(format!("expected true or false, got {text:?}")),
        })?
        .unwrap_or(false);
    params.finish(&["all"])?;
    let rows = state.query(vec![db::silences(SystemTime::now(), all)]).await?.concat();
    let silences = rows.iter().map(db::silence_row).collect();
    Ok(Json(SilencesJson { silences }))
}

/// A new silence. Give `rule`, `channel` or both, and `duration` or `ends_at`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SilenceRequest {
    /// A glob on the alert name, like `BotDead` or `Bot*` (default `*`).
    #[schema(min_length = 1, max_length = 200)]
    pub rule: Option<String>,
    /// A glob on the channel, like `worker-*` (default `*`).
    #[schema(min_length = 1, max_length = 200)]
    pub channel: Option<String>,
    /// How long from now, like `2h` or `30m`.
    #[schema(min_length = 1, max_length = 64)]
    pub duration: Option<String>,
    /// Until when, RFC 3339.
    #[schema(min_length = 1, max_length = 64)]
    pub ends_at: Option<String>,
    /// Why: shown with the silence.
    #[schema(min_length = 1, max_length = 1000)]
    pub comment: String,
    /// Who (default `api`).
    #[schema(min_length = 1, max_length = 200)]
    pub created_by: Option<String>,
}

/// Checks a silence request; the error names the field.
pub fn new_silence(request: SilenceRequest, now: SystemTime) -> Result<NewSilence, ApiError> {
    let glob = |name: &str, value: Option<String>| -> Result<Glob, ApiError> {
        match value {
            None => Ok(Glob::any()),
            Some(text) if text.is_empty() || text.len() > 200 => {
                Err(ApiError::bad_parameter(name, format!("expected 1 to 200 bytes, got {}", text.len())))
            }
            Some(text) => {
                Glob::new(&text).map_err(|_| ApiError::bad_parameter(name, format!("expected {GLOB}, got {text:?}")))
            }
        }
    };
    if request.rule.is_none() && request.channel.is_none() {
        return Err(ApiError::bad_parameter(
            "rule",
            "give rule, channel or both (a silence of everything is not made by accident)",
        ));
    }
    let rule = glob("rule", request.rule)?;
    let channel = glob("channel", request.channel)?;
    let ends_at = match (request.duration, request.ends_at) {
        (Some(_), Some(_)) => return Err(ApiError::bad_parameter("ends_at", "give duration or ends_at, not both")),
        (Some(text), None) => match crate::config::value::duration(&text) {
            Ok(span) if span <= Duration::from_secs(10 * 365 * 86_400) => now + span,
            Ok(_) => return Err(ApiError::bad_parameter("duration", "at most 10 years")),
            Err(expected) => {
                return Err(ApiError::bad_parameter("duration", format!("expected {expected}, got {text:?}")))
            }
        },
        (None, Some(text)) => match crate::time::parse_iso(&text).filter(|_| text.contains('T')) {
            Some(at) if at > now => at,
            Some(_) => return Err(ApiError::bad_parameter("ends_at", format!("{text} is not in the future"))),
            None => {
                return Err(ApiError::bad_parameter(
                    "ends_at",
                    format!("expected RFC 3339 like 2026-12-01T10:00:00Z, got {text:?}"),
                ))
            }
        },
        (None, None) => return Err(ApiError::bad_parameter("duration", "give duration (like 2h) or ends_at")),
    };
    let text = |name: &str, value: String, max: usize| {
        if value.is_empty() || value.len() > max {
            Err(ApiError::bad_parameter(name, format!("expected 1 to {max} bytes, got {}", value.len())))
        } else {
            Ok(value)
        }
    };
    Ok(NewSilence {
        rule,
        channel,
        ends_at,
        comment: text("comment", request.comment, 1000)?,
        created_by: text("created_by", request.created_by.unwrap_or_else(|| "api".into()), 200)?,
    })
}

/// Creates a silence; the engine holds back matching notifications from now until it ends.
///
/// On PostgreSQL the silence holds for every monitor that shares the database.
#[utoipa::path(post, path = "/api/v1/silences", tag = "alerts", request_body = SilenceRequest,
    responses((status = 201, description = "The silence, with its id", body = Silence), (status = 400, description = "A bad field, named in the message", body = ErrorBody), (status = 401, description = "The monitor has a token and the request lacks it or has another", body = ErrorBody),
        (status = 503, description = "The database cannot be written now", body = ErrorBody)))]
async fn create_silence(
    State(state): State<Arc<HttpState>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    Params::parse(query.as_deref())?.finish(&[])?;
    let request: SilenceRequest = serde_json::from_slice(&body)
        .map_err(|err| ApiError::bad_parameter("body", format!("expected a JSON silence ({err})")))?;
    let new = new_silence(request, SystemTime::now())?;
    let statement = db::add_silence(state.backend.dialect(), &new, state.monitor_id());
    let rows = state.write(vec![statement]).await?.concat();
    let silence =
        rows.first().map(db::silence_row).ok_or_else(|| ApiError::unavailable("the silence was not stored"))?;
    state.alerts.reload.notify_one();
    Ok((StatusCode::CREATED, Json(silence)).into_response())
}

/// Ends a silence now; notifications it held back go out if their alerts still fire.
#[utoipa::path(delete, path = "/api/v1/silences/{id}", tag = "alerts",
    params(("id" = String, Path, description = "The silence's id", pattern = "^[0-9]{1,18}$")),
    responses((status = 200, description = "The silence, ended", body = Silence), (status = 400, description = "A bad parameter, named in the message", body = ErrorBody), (status = 401, description = "The monitor has a token and the request lacks it or has another", body = ErrorBody),
        (status = 404, description = "No silence with this id", body = ErrorBody), (status = 503, description = "The database cannot be written now", body = ErrorBody)))]
async fn expire_silence(
    State(state): State<Arc<HttpState>>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Json<Silence>, ApiError> {
    let Path(id) = id.map_err(|err| ApiError::bad_parameter("id", err.body_text()))?;
    let id = match id.parse::<i64>() {
        Ok(n) if id.len() <= 18 && id.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => return Err(ApiError::bad_parameter("id", format!("expected a silence id, got {id:?}"))),
    };
    Params::parse(query.as_deref())?.finish(&[])?;
    let rows = state.write(db::expire_silence(id).into()).await?.concat();
    state.alerts.reload.notify_one();
    rows.first()
        .map(|row| Json(db::silence_row(row)))
        .ok_or_else(|| ApiError::not_found(format!("no silence with id {id}")))
}
