//! `GET /healthz` (the process answers) and `GET /readyz` (database reachable, not draining).

use std::sync::atomic::Ordering;

use axum::{Json, extract::State};

use crate::{http::error::ApiError, state::AppState, views::health::Health};

/// Liveness: the process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".into() })
}

/// Readiness: the database answers and shutdown has not begun.
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
