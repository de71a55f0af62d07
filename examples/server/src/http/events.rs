//! `GET /api/v1/events`: the live event stream (Server-Sent Events) the
//! dashboard reads, from the registry's [`Hub`], and the task that adds a
//! `counters` snapshot every [`EVERY`] and a `usage` delta when LLM usage
//! was committed.
//!
//! The stream is answered at once, so the listener's per-request timeout
//! (which bounds the time to the response head) never cuts it; a client that
//! stops reading is dropped by the hub's bound on what it has not taken
//! (events and bytes, enforced as events are published), or by the
//! listener's write stall bound, whichever comes first.

use super::error::ErrorBody;
use super::params::Params;
use super::{ApiError, HttpState};
use crate::counters::Counters;
use crate::registry::events::{Ended, Event as HubEvent, Hub, Receiver, Start};
use crate::registry::Fleet;
use crate::store::totals::{GrowthKey, UsageSums, UsageTotals};
use crate::time::iso;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use futures_util::stream::{self, Stream};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// How often `counters` and `usage` events are made.
pub const EVERY: Duration = Duration::from_secs(1);

pub fn router() -> Router<Arc<HttpState>> {
    Router::new().route("/api/v1/events", get(events))
}

/// One event of the stream, as a Server-Sent Events client reads it. `data`
/// is JSON whose shape depends on `event` (see the server README).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // The document's shape; the stream is written by axum's Sse.
pub struct SseEvent {
    /// `RUN:SEQ`: pass it back as `Last-Event-ID` to resume after it.
    #[schema(pattern = "^[0-9]+:[0-9]+$")]
    pub id: Option<String>,
    /// hello, status, counters, usage or reset.
    #[schema(pattern = "^(hello|status|counters|usage|reset)$")]
    pub event: Option<String>,
    pub data: String,
}

/// The live stream of status changes, counters and usage deltas (`text/event-stream`).
///
/// Events: `hello` (first, for a new client: load the state from /api/v1/bots, then apply what follows),
/// `status` (a bot changed status: `{channel, pid, from, to, reason, at}`), `counters` (every second while
/// clients are connected: `{at, counts, counters, clients}`), `usage` (LLM usage committed since the previous
/// one: `{at, rows: [{channel, model, feature, provider, calls, tokens_in, tokens_out, cost_usd}]}`) and `reset`
/// (the client is too far behind, or its id is from another run: reload everything, then apply what follows).
/// Each event but `hello` and `reset` has an id `RUN:SEQ`; send the last one seen as `Last-Event-ID` (or
/// `last_event_id`) to get what was missed. The last 4096 events (2 MiB of data at most) are kept for that. A
/// client more than 1024 events or 8 MiB of event data behind is disconnected; it reconnects with its last id.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(
        ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event seen, to resume after it"),
        ("last_event_id" = Option<String>, Query, description = "The same, for clients that cannot set headers")
    ),
    responses((status = 200, description = "A Server-Sent Events stream that lasts until the client or the monitor stops", content_type = "text/event-stream", body = SseEvent),
        (status = 400, description = "A bad or unknown parameter, named in the message", body = ErrorBody),
        (status = 401, description = "The monitor has a token and the request lacks it or has another", body = ErrorBody),
        (status = 503, description = "The monitor is stopping", body = ErrorBody)))]
pub async fn events(
    State(state): State<Arc<HttpState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let mut params = Params::parse(query.as_deref())?;
    let from_query = params.take("last_event_id");
    params.finish(&["last_event_id"])?;
    let from_header = headers.get("last-event-id").and_then(|value| value.to_str().ok()).map(str::to_owned);
    let last = from_header.or(from_query).filter(|id| !id.trim().is_empty());
    let hub = Arc::clone(&state.events);
    let subscription =
        hub.subscribe(last.as_deref()).ok_or_else(|| ApiError::unavailable("the monitor is stopping"))?;
    let mut first: VecDeque<Event> = VecDeque::new();
    let latest_id = hub.id(subscription.latest);
    let mut last_sent = subscription.latest;
    match subscription.start {
        Start::Fresh => first.push_back(control("hello", &latest_id, "")),
        Start::Reset(why) => first.push_back(control("reset", &latest_id, why)),
        Start::Resume(missed) => {
            last_sent =
                last.as_deref().and_then(|id| id.split_once(':')).and_then(|(_, s)| s.parse().ok()).unwrap_or(0);
            for event in missed {
                last_sent = event.seq;
                first.push_back(sse(&hub, &event));
            }
        }
    }
    let feed = Feed { hub, first, live: subscription.live, last_sent };
    let stream = stream::unfold(feed, |mut feed| async move {
        if let Some(event) = feed.first.pop_front() {
            return Some((Ok(event), feed));
        }
        loop {
            match feed.live.recv().await {
                Ok(event) if event.seq <= feed.last_sent => continue,
                Ok(event) => {
                    feed.last_sent = event.seq;
                    let out = sse(&feed.hub, &event);
                    return Some((Ok(out), feed));
                }
                // Lagged (the hub logged it; the client resumes with its last id) or closed.
                Err(Ended::Lagged | Ended::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

struct Feed {
    hub: Arc<Hub>,
    first: VecDeque<Event>,
    live: Receiver,
    last_sent: u64,
}

fn sse(hub: &Hub, event: &HubEvent) -> Event {
    Event::default().id(hub.id(event.seq)).event(event.kind).data(&event.data)
}

/// `hello` and `reset` carry the latest id, so a client that reconnects after them resumes from there.
fn control(kind: &'static str, id: &str, why: &str) -> Event {
    let data = serde_json::json!({ "id": id, "reason": why }).to_string();
    Event::default().id(id).event(kind).data(data)
}

#[derive(Serialize)]
struct CountersData {
    at: String,
    counts: BTreeMap<&'static str, usize>,
    counters: BTreeMap<&'static str, u64>,
    clients: usize,
}

#[derive(Serialize, PartialEq, Debug)]
struct UsageRow {
    channel: String,
    model: String,
    feature: String,
    provider: String,
    calls: u64,
    tokens_in: u64,
    tokens_out: u64,
    cost_usd: f64,
}

/// Adds `counters` (while clients are connected) and `usage` events until `stop`.
pub async fn pump(
    hub: Arc<Hub>,
    counters: Arc<Counters>,
    totals: Arc<UsageTotals>,
    fleet: watch::Receiver<Arc<Fleet>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    totals.track_growth();
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = ticker.tick() => {}
        }
        let rows = usage_rows(totals.take_growth());
        let at = iso(SystemTime::now());
        if !rows.is_empty() {
            let data = serde_json::json!({ "at": at, "rows": rows }).to_string();
            hub.publish("usage", data);
        }
        let clients = hub.clients();
        if clients > 0 {
            let snapshot = Arc::clone(&fleet.borrow());
            let data = CountersData {
                at,
                counts: snapshot.counts().iter().map(|(status, n)| (status.as_str(), *n)).collect(),
                counters: counters.snapshot().into_iter().collect(),
                clients,
            };
            if let Ok(data) = serde_json::to_string(&data) {
                hub.publish("counters", data);
            }
        }
    }
}

/// A `usage` event's rows: what each series gained, sorted.
fn usage_rows(growth: HashMap<GrowthKey, UsageSums>) -> Vec<UsageRow> {
    let mut rows: Vec<UsageRow> = growth
        .into_iter()
        .filter(|(_, sums)| sums.calls > 0)
        .map(|((channel, model, feature, provider), sums)| UsageRow {
            channel,
            model,
            feature,
            provider,
            calls: sums.calls,
            tokens_in: sums.tokens_in,
            tokens_out: sums.tokens_out,
            cost_usd: sums.cost_usd,
        })
        .collect();
    rows.sort_by(|a, b| (&a.channel, &a.model, &a.feature).cmp(&(&b.channel, &b.model, &b.feature)));
    rows
}
