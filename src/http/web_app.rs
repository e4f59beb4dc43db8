//! The reference web client (`web/`, built into the checked-in `web/dist/`), embedded in the
//! binary and served at `/app/` under a strict Content-Security-Policy: scripts, styles and
//! fetches from this origin only, images from it or from `blob:` (inline mail images the page
//! fetched with its token), no inline script or style, no frames, no form posts.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

/// The page's policy. Mail HTML reaches the page sanitized by the gateway (`sanitize=true`), and
/// even markup that slipped through could neither run nor load anything from elsewhere.
pub const APP_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const INDEX: &[u8] = include_bytes!("../../web/dist/index.html");
const SCRIPT: &[u8] = include_bytes!("../../web/dist/app.js");
const STYLE: &[u8] = include_bytes!("../../web/dist/app.css");

/// `/app` (redirected to `/app/`), the page, its script and its stylesheet.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/app", get(|| async { Redirect::permanent("/app/") }))
        .route("/app/", get(|| async { asset("text/html; charset=utf-8", INDEX) }))
        .route("/app/index.html", get(|| async { asset("text/html; charset=utf-8", INDEX) }))
        .route("/app/app.js", get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }))
        .route("/app/app.css", get(|| async { asset("text/css; charset=utf-8", STYLE) }))
}

fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(APP_CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // Revalidated on every load, so a new binary's client is picked up at once.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}
