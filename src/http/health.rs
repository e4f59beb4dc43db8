//! `GET /healthz` (the process answers) and `GET /readyz` (database reachable, not draining).

use std::sync::atomic::Ordering;

use axum::{Json, extract::State};

use crate::{http::error::ApiError, state::AppState, views::health::Health};

/// Liveness: the process is up.
///
/// Answers 200 `{"status": "ok"}` while the process runs, without touching the database or any IMAP
/// server: for a container's liveness probe.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".into() })
}

/// Readiness: the database answers and shutdown has not begun.
///
/// Answers 200 when the database answers a query and the process is not shutting down, else 503
/// with what is not ready: for a load balancer's readiness probe. IMAP servers are not checked (one
/// user's server being down must not take the gateway out of rotation).
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, body = Health),
    (status = 503, body = crate::views::problem::Problem, content_type = "application/problem+json", description = "the database does not answer, or shutdown has begun"),
))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    if !state.ready.load(Ordering::SeqCst) {
        return Err(ApiError::unavailable("shutting down"));
    }
    state.store.ping().await?;
    Ok(Json(Health { status: "ok".into() }))
}
