//! HTTP boundary: routes (one file per resource), extractors, OpenAPI and middleware. It
//! holds no SQL and no IMAP syntax.

pub mod auth;
pub mod capabilities;
pub mod extract;
pub mod health;
pub mod mailboxes;
pub mod openapi;

use std::time::Duration;

use axum::{Router, extract::DefaultBodyLimit, http::StatusCode};
use tower_http::{timeout::TimeoutLayer, trace::TraceLayer};
use utoipa::OpenApi as _;
use utoipa_axum::{router::OpenApiRouter, routes};
use utoipa_swagger_ui::SwaggerUi;

use crate::{error::ApiError, state::AppState};

/// Every documented route, before state and middleware.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(capabilities::get_capabilities))
        .routes(routes!(mailboxes::list_mailboxes))
        .routes(routes!(mailboxes::get_mailbox))
        .routes(routes!(mailboxes::get_mailbox_status))
}

/// The full application router: API, `/openapi.json`, Swagger UI at `/docs`, middleware.
pub fn router(state: AppState) -> Router {
    let (api, spec) = api_router().split_for_parts();
    let settings = &state.settings.http;
    api.merge(SwaggerUi::new("/docs").url("/openapi.json", spec))
        .fallback(|| async { ApiError::not_found("no such route") })
        .layer(DefaultBodyLimit::max(settings.max_json_body))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            Duration::from_millis(settings.request_timeout_ms),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
