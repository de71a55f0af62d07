//! The OpenAPI 3.1 document, derived from the handlers and the types they
//! return. `spec/http-api.openapi.json` is this document, committed; a test
//! fails when the two differ.

use super::api;
use super::error::{ErrorBody, ErrorDetail};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kissmon monitor HTTP API",
        description = "Live status of a bot fleet and its LLM usage, from one kissmon monitor. Every endpoint but \
            /healthz needs `Authorization: Bearer TOKEN` when the monitor has a token (/metrics too, unless \
            --metrics-public). Errors are `{\"error\": {\"code\", \"message\"}}` and name what is wrong.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(api::bots, api::bot, super::fleet::fleet, api::usage, api::transitions, api::counters, api::monitor, api::healthz,
        super::alerts::alerts, super::alerts::silences, super::alerts::create_silence, super::alerts::expire_silence),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerToken),
    security(("bearer" = []), ()),
    tags(
        (name = "bots", description = "The live registry and status history"),
        (name = "usage", description = "LLM usage from the database"),
        (name = "monitor", description = "This monitor process"),
        (name = "alerts", description = "Alerts and silences")
    )
)]
pub struct ApiDoc;

/// The live event stream (`super::events`).
#[derive(OpenApi)]
#[openapi(
    paths(super::events::events, super::latency::table),
    components(schemas(super::latency::UsageTableRow, super::latency::UsageTable)),
    tags((name = "events", description = "Live updates for dashboards, as Server-Sent Events"))
)]
struct EventsDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The document as committed: pretty JSON with a final newline.
pub fn document() -> String {
    let mut doc = ApiDoc::openapi();
    doc.merge(EventsDoc::openapi());
    let mut text = doc.to_pretty_json().expect("the OpenAPI document serializes");
    text.push('\n');
    text
}
