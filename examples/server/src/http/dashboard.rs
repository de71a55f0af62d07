//! `GET /`: the live dashboard, one HTML file, one ES module, one CSS file
//! and a vendored uPlot (`dashboard/`, embedded in the binary). The page
//! reads only /api/v1/* and /api/v1/events, from this monitor.
//!
//! Its files hold no secret, so they are served without the token; the page
//! asks for the token itself and sends it as a bearer header. Every answer
//! carries a Content-Security-Policy that allows scripts, styles and
//! connections from this origin only, and no inline script or style.

use super::HttpState;
use axum::body::Bytes;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// Path, content type, body.
const FILES: &[(&str, &str, &str)] = &[
    ("/", "text/html; charset=utf-8", include_str!("../../dashboard/index.html")),
    ("/app.js", "text/javascript; charset=utf-8", include_str!("../../dashboard/app.js")),
    ("/alerts.js", "text/javascript; charset=utf-8", include_str!("../../dashboard/alerts.js")),
    ("/style.css", "text/css; charset=utf-8", include_str!("../../dashboard/style.css")),
    ("/vendor/uPlot.esm.js", "text/javascript; charset=utf-8", include_str!("../../dashboard/vendor/uPlot.esm.js")),
    ("/vendor/uPlot.min.css", "text/css; charset=utf-8", include_str!("../../dashboard/vendor/uPlot.min.css")),
    ("/vendor/uPlot.LICENSE", "text/plain; charset=utf-8", include_str!("../../dashboard/vendor/uPlot.LICENSE")),
];

/// The dashboard's files need no token (the page asks for it).
pub fn is_public(path: &str) -> bool {
    FILES.iter().any(|(p, _, _)| *p == path)
}

/// The page preloads the bot list so that its request starts while the
/// script loads. A monitor with a token leaves that out: the preload cannot
/// carry the token, so it would only be refused.
const PRELOAD: &str = "  <link rel=\"preload\" href=\"/api/v1/bots\" as=\"fetch\" crossorigin=\"anonymous\">\n";

pub fn router(token: bool) -> Router<Arc<HttpState>> {
    FILES.iter().fold(Router::new(), |router, &(path, content_type, body)| {
        let body = if path == "/" && token {
            assert!(body.contains(PRELOAD), "index.html preloads the bot list");
            Bytes::from(body.replacen(PRELOAD, "", 1))
        } else {
            Bytes::from_static(body.as_bytes())
        };
        router.route(path, get(move || async move { file(content_type, body) }))
    })
}

fn file(content_type: &'static str, body: Bytes) -> Response {
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}
