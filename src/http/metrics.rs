//! `GET /metrics` (Prometheus text format) and the middleware that counts requests by route
//! template, status and latency, and upstream failures by problem type. `/metrics` may move to
//! its own listener (`metrics.listen`) and may require a bearer token (`metrics.bearer_token`).

use std::time::Instant;

use axum::{
    Router,
    extract::{MatchedPath, Request, State},
    http::{HeaderMap, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use ring::digest;

use crate::{
    http::error::{ApiError, ProblemSlug},
    state::AppState,
};

/// Problem types that mean the IMAP server (not the caller) failed.
const UPSTREAM: [&str; 6] = [
    "upstream-unreachable",
    "upstream-tls",
    "upstream-disconnected",
    "upstream-protocol-error",
    "upstream-timeout",
    "connection-limit",
];

/// Counts one request; `route` is the template, never the concrete path.
pub async fn track(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_string();
    // Only standard methods become labels: a made-up method must not mint new series.
    let method = match req.method().as_str() {
        m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => m,
        _ => "other",
    }
    .to_string();
    let started = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method.as_str()), ("route", route.as_str())];
    st.metrics.inc("http_requests_total", &[labels[0], labels[1], ("status", status.as_str())]);
    st.metrics.observe("http_request_duration_seconds", &labels, started.elapsed());
    if let Some(ProblemSlug(slug)) = resp.extensions().get::<ProblemSlug>()
        && UPSTREAM.contains(slug)
    {
        st.metrics.inc("upstream_errors_total", &[("type", slug)]);
    }
    resp
}

/// Prometheus metrics of this instance.
///
/// Not served here when `metrics.listen` names a separate address; needs
/// `Authorization: Bearer` when `metrics.bearer_token` is set.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses(
        (status = 200, content_type = "text/plain", body = String, description = "Prometheus text format 0.0.4"),
        (status = 401, body = crate::views::problem::Problem, content_type = "application/problem+json", description = "`metrics.bearer_token` is set and the request does not carry it"),
        (status = 404, body = crate::views::problem::Problem, content_type = "application/problem+json", description = "`/metrics` is served on its own listener (`metrics.listen`)"),
    ))]
pub async fn metrics(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if st.settings.metrics.listen.is_some() {
        return Err(ApiError::not_found("no such route"));
    }
    render(&st, &headers)
}

/// The router of the separate metrics listener: `/metrics` alone.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(|State(st): State<AppState>, headers: HeaderMap| async move { render(&st, &headers) }))
        .fallback(|| async { ApiError::not_found("no such route") })
        .with_state(state)
}

/// True when `headers` carry `Authorization: Bearer <token>`; compared in constant time
/// (digests of equal length, every byte looked at).
pub fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .unwrap_or("");
    let (a, b) = (digest::digest(&digest::SHA256, given.as_bytes()), digest::digest(&digest::SHA256, token.as_bytes()));
    let diff = a.as_ref().iter().zip(b.as_ref()).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    diff == 0 && !given.is_empty()
}

fn render(st: &AppState, headers: &HeaderMap) -> Result<Response, ApiError> {
    if let Some(token) = &st.settings.metrics.bearer_token
        && !bearer_matches(headers, token.expose())
    {
        return Err(ApiError::unauthorized("/metrics needs the configured bearer token"));
    }
    let (open, in_use, waiting) = st.pools.totals();
    let (summary_hits, summary_misses) = st.pools.summaries.lookups();
    let (message_hits, message_misses) = st.pools.messages.lookups();
    let gauges = [
        ("imap_pool_accounts", "gauge", "Accounts with a connection pool", st.pools.account_count() as u64),
        ("imap_connections_open", "gauge", "Pooled IMAP connections open", open),
        ("imap_connections_in_use", "gauge", "Pooled IMAP connections checked out", in_use),
        ("imap_pool_waiters", "gauge", "Requests waiting for a pooled connection", waiting),
        ("event_watchers", "gauge", "Accounts with an IDLE watcher", st.events.len() as u64),
        ("imap_summary_cache_entries", "gauge", "Message summaries cached", st.pools.summaries.len() as u64),
        (
            "imap_summary_cache_bytes",
            "gauge",
            "Estimated bytes of the summary cache",
            st.pools.summaries.bytes() as u64,
        ),
        ("imap_summary_cache_hits_total", "counter", "Summaries found in the cache", summary_hits),
        (
            "imap_summary_cache_misses_total",
            "counter",
            "Summaries looked for in the cache and not found",
            summary_misses,
        ),
        ("imap_message_cache_entries", "gauge", "Messages cached (structure, text)", st.pools.messages.len() as u64),
        ("imap_message_cache_bytes", "gauge", "Estimated bytes of the message cache", st.pools.messages.bytes() as u64),
        ("imap_message_cache_hits_total", "counter", "Message reads served from the cache", message_hits),
        (
            "imap_message_cache_misses_total",
            "counter",
            "Message reads looked for in the cache and not found",
            message_misses,
        ),
    ];
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], st.metrics.render(&gauges))
        .into_response())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn the_bearer_token_must_match_exactly() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(v));
            h
        };
        assert!(bearer_matches(&with("Bearer s3cret-token"), "s3cret-token"));
        for wrong in ["Bearer s3cret-toke", "Bearer s3cret-token2", "Basic s3cret-token", "Bearer ", "s3cret-token"] {
            assert!(!bearer_matches(&with(wrong), "s3cret-token"), "{wrong}");
        }
        assert!(!bearer_matches(&HeaderMap::new(), "s3cret-token"));
    }
}
