//! The monitor's HTTP face: the REST API (`api`), Prometheus `/metrics`
//! (`metrics`), the OpenAPI document (`openapi`), behind one bearer-token
//! check, served by `listener` with bounded connections, header sizes and
//! times.
//!
//! Nothing here touches the ingest path: live state comes from the
//! registry's published snapshot and the store's atomics, history from the
//! read backend (read-only SQLite connections on blocking threads, or a
//! PostgreSQL pool), at most [`DB_READS_AT_ONCE`] reads at a time. A slow
//! or hostile HTTP client costs the bots nothing.

pub mod alerts;
pub mod api;
mod dashboard;
mod error;
pub mod events;
pub mod fleet;
pub mod latency;
mod listener;
pub mod metrics;
pub mod openapi;
mod params;

pub use error::ApiError;
pub use listener::serve;

use crate::config::Config;
use crate::counters::Counters;
use crate::registry::Fleet;
use crate::store::read::Backend;
use crate::store::sql::{Query, Row};
use crate::store::Store;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::SystemTime;
use tokio::sync::{watch, Semaphore};

/// Database reads that may run at once; more wait their turn.
pub const DB_READS_AT_ONCE: usize = 2;

/// What every handler reads.
pub struct HttpState {
    pub config: Arc<Config>,
    pub fleet: watch::Receiver<Arc<Fleet>>,
    pub counters: Arc<Counters>,
    pub store: Store,
    /// Where history is read: this monitor's SQLite file, or the PostgreSQL every monitor shares.
    pub backend: Backend,
    pub read_permits: Semaphore,
    pub started_at: SystemTime,
    /// The bot socket's accept loop runs.
    pub accepting: Arc<AtomicBool>,
    pub http_addr: SocketAddr,
    /// Live events for `GET /api/v1/events`.
    pub events: Arc<crate::registry::events::Hub>,
    /// The alert engine's published state, and its silences trigger.
    pub alerts: crate::alerts::Alerts,
    /// On PostgreSQL: set while another monitor holds this monitor's `--monitor-id`.
    pub id_conflict: Option<crate::store::postgres::lease::Conflict>,
}

impl HttpState {
    /// The registry's latest snapshot.
    pub fn fleet(&self) -> Arc<Fleet> {
        Arc::clone(&self.fleet.borrow())
    }

    /// Runs `queries` on one snapshot of the database: the rows of each.
    pub async fn query(&self, queries: Vec<Query>) -> Result<Vec<Vec<Row>>, ApiError> {
        let _permit =
            self.read_permits.acquire().await.map_err(|_| ApiError::unavailable("the monitor is stopping"))?;
        self.backend.read(queries).await.map_err(|err| {
            tracing::warn!("http: {err}");
            ApiError::unavailable(format!("the database cannot be read now: {err}"))
        })
    }

    /// Runs `statements` in one transaction: the rows each returns.
    pub async fn write(&self, statements: Vec<Query>) -> Result<Vec<Vec<Row>>, ApiError> {
        let _permit =
            self.read_permits.acquire().await.map_err(|_| ApiError::unavailable("the monitor is stopping"))?;
        self.backend.write(statements).await.map_err(|err| {
            tracing::warn!("http: {err}");
            ApiError::unavailable(format!("the database cannot be written now: {err}"))
        })
    }

    /// This monitor's id (`--monitor-id`).
    pub fn monitor_id(&self) -> &str {
        &self.config.monitor_id
    }
}

pub fn listener_limits(config: &Config) -> listener::Limits {
    listener::Limits { max_connections: config.http_max_connections, request_timeout: config.http_request_timeout }
}

/// Every route, with the token check and the response headers every answer carries.
pub fn router(state: Arc<HttpState>) -> Router {
    Router::new()
        .merge(api::router())
        .merge(alerts::router())
        .merge(events::router())
        .merge(fleet::router())
        .merge(dashboard::router(state.config.http_token.is_some()))
        .merge(latency::router())
        .route("/metrics", get(metrics_endpoint))
        .route("/api/v1/openapi.json", get(openapi_endpoint))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(Arc::clone(&state), authorize))
        .layer(middleware::from_fn(common_headers))
        .with_state(state)
}

async fn metrics_endpoint(State(state): State<Arc<HttpState>>, headers: axum::http::HeaderMap) -> Response {
    let wants_openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .any(|value| value.to_str().is_ok_and(|v| v.contains("application/openmetrics-text")));
    match metrics::render(&state) {
        Ok(text) if wants_openmetrics => ([(header::CONTENT_TYPE, metrics::OPENMETRICS)], text).into_response(),
        Ok(text) => ([(header::CONTENT_TYPE, metrics::TEXT_FORMAT)], metrics::to_text_format(&text)).into_response(),
        Err(_) => ApiError::unavailable("the metrics could not be written").into_response(),
    }
}

async fn openapi_endpoint() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], openapi::document()).into_response()
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; the API is described at /api/v1/openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        code: "method_not_allowed",
        message: "this method is not served here".into(),
    }
}

/// With a token configured, every path but /healthz (and /metrics with
/// `metrics_public`) needs `Authorization: Bearer TOKEN`.
async fn authorize(State(state): State<Arc<HttpState>>, request: Request, next: Next) -> Response {
    let Some(token) = &state.config.http_token else { return next.run(request).await };
    let path = request.uri().path();
    if path == "/healthz" || (path == "/metrics" && state.config.metrics_public) || dashboard::is_public(path) {
        return next.run(request).await;
    }
    let given = request.headers().get(header::AUTHORIZATION).map(|value| value.as_bytes());
    match given.and_then(|value| value.strip_prefix(b"Bearer ")) {
        Some(given) if same_secret(given, token.as_bytes()) => next.run(request).await,
        Some(_) => ApiError::unauthorized("the bearer token is wrong").into_response(),
        None => ApiError::unauthorized("this monitor needs `Authorization: Bearer TOKEN` (its --http-token)")
            .into_response(),
    }
}

/// Compares in time that depends only on the lengths, never on where the bytes differ.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let mut diff = u8::from(given.len() != expected.len());
    for (i, byte) in expected.iter().enumerate() {
        diff |= byte ^ given.get(i).copied().unwrap_or(!byte);
    }
    std::hint::black_box(diff) == 0
}

async fn common_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(same_secret(b"s3cret", b"s3cret"));
        assert!(!same_secret(b"s3cres", b"s3cret"));
        assert!(!same_secret(b"s3cre", b"s3cret"));
        assert!(!same_secret(b"s3cret!", b"s3cret"));
        assert!(!same_secret(b"", b"s3cret"));
    }
}
