//! `GET /metrics` (Prometheus text format) and the middleware that counts requests by route
//! template, status and latency, and upstream failures by problem type.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{error::ProblemSlug, state::AppState};

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
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, content_type = "text/plain", body = String, description = "Prometheus text format 0.0.4")))]
pub async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    let (open, in_use, waiting) = st.pools.totals();
    let gauges = [
        ("imap_pool_accounts", "Accounts with a connection pool", st.pools.account_count() as u64),
        ("imap_connections_open", "Pooled IMAP connections open", open),
        ("imap_connections_in_use", "Pooled IMAP connections checked out", in_use),
        ("imap_pool_waiters", "Requests waiting for a pooled connection", waiting),
        ("event_watchers", "Accounts with an IDLE watcher", st.events.len() as u64),
        ("imap_summary_cache_entries", "Message summaries cached", st.pools.summaries.len() as u64),
        ("imap_summary_cache_bytes", "Estimated bytes of the summary cache", st.pools.summaries.bytes() as u64),
        ("imap_message_cache_entries", "Messages cached (structure, text)", st.pools.messages.len() as u64),
        ("imap_message_cache_bytes", "Estimated bytes of the message cache", st.pools.messages.bytes() as u64),
    ];
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], st.metrics.render(&gauges))
}
