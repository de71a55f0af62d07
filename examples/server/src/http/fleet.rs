//! `GET /api/v1/fleet`: every monitor's bots, each with its `monitor_id`.
//! On PostgreSQL that is every monitor that shares the database (from
//! `bot_status`, as each monitor last wrote it); on SQLite it is this
//! monitor's live registry. The dashboard shows it as the fleet table.

use super::error::{ApiError, ErrorBody};
use super::params::Params;
use super::HttpState;
use crate::time::iso;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

pub fn router() -> Router<Arc<HttpState>> {
    Router::new().route("/api/v1/fleet", get(fleet))
}

/// One bot of the fleet: (monitor_id, channel) identifies it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FleetBot {
    pub monitor_id: String,
    pub channel: String,
    pub pid: i64,
    #[schema(pattern = "^(online|stale|dead|offline|unknown)$")]
    pub status: String,
    pub status_reason: Option<String>,
    pub last_seen: String,
    pub lang: Option<String>,
}

/// One monitor of the fleet, as it last wrote itself into the database.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FleetMonitor {
    pub monitor_id: String,
    pub pid: Option<String>,
    pub started_at: Option<String>,
    /// Set once it stopped in order; absent while it runs (or after a crash).
    pub stopped_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FleetJson {
    /// This monitor's id.
    pub monitor_id: String,
    /// `postgresql` (every monitor sharing the database) or `sqlite` (this monitor only).
    #[schema(pattern = "^(postgresql|sqlite)$")]
    pub storage: String,
    pub monitors: Vec<FleetMonitor>,
    /// Sorted by monitor_id, then channel.
    pub bots: Vec<FleetBot>,
}

/// Every monitor's bots, with their monitor_id.
#[utoipa::path(get, path = "/api/v1/fleet", tag = "bots",
    responses((status = 200, description = "The fleet across monitors", body = FleetJson), (status = 400, description = "A bad or unknown parameter, named in the message", body = ErrorBody), (status = 401, description = "The monitor has a token and the request lacks it or has another", body = ErrorBody),
        (status = 503, description = "The database cannot be read now", body = ErrorBody)))]
pub async fn fleet(
    State(state): State<Arc<HttpState>>,
    RawQuery(query): RawQuery,
) -> Result<Json<FleetJson>, ApiError> {
    Params::parse(query.as_deref())?.finish(&[])?;
    let monitor_id = state.config.monitor_id.clone();
    let Some(pool) = state.backend.postgres() else {
        let fleet = state.fleet();
        let bots = fleet
            .bots
            .iter()
            .map(|bot| FleetBot {
                monitor_id: monitor_id.clone(),
                channel: bot.channel.clone(),
                pid: i64::from(bot.pid),
                status: bot.status.as_str().to_owned(),
                status_reason: Some(bot.status_reason.clone()),
                last_seen: iso(bot.last_seen),
                lang: bot.lang.clone(),
            })
            .collect();
        let this = FleetMonitor {
            monitor_id: monitor_id.clone(),
            pid: Some(std::process::id().to_string()),
            started_at: Some(iso(state.started_at)),
            stopped_at: None,
        };
        return Ok(Json(FleetJson { monitor_id, storage: "sqlite".into(), monitors: vec![this], bots }));
    };
    let client = pool.client().await.map_err(ApiError::unavailable)?;
    let report = crate::store::postgres::read::fleet_status(&client, &pool.target)
        .await
        .map_err(|err| ApiError::unavailable(err.to_string()))?;
    let bots = report
        .bots
        .into_iter()
        .map(|bot| FleetBot {
            monitor_id: bot.monitor_id.unwrap_or_default(),
            channel: bot.channel,
            pid: bot.pid,
            status: bot.status,
            status_reason: bot.reason,
            last_seen: bot.last_seen,
            lang: bot.lang,
        })
        .collect();
    let monitors = report
        .monitors
        .into_iter()
        .map(|m| FleetMonitor {
            monitor_id: m.monitor_id.unwrap_or_default(),
            pid: m.pid,
            started_at: m.started_at,
            stopped_at: m.stopped_at,
        })
        .collect();
    Ok(Json(FleetJson { monitor_id, storage: "postgresql".into(), monitors, bots }))
}
