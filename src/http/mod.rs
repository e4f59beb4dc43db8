//! HTTP boundary: routes (one file per resource), extractors, OpenAPI and middleware. It
//! holds no SQL and no IMAP syntax.

pub(crate) mod account;
pub(crate) mod auth;
pub(crate) mod capabilities;
pub(crate) mod changes;
pub(crate) mod error;
pub(crate) mod event_tickets;
pub(crate) mod events;
pub(crate) mod extract;
pub(crate) mod found;
pub(crate) mod headers;
pub(crate) mod health;
pub(crate) mod idempotency;
pub(crate) mod limits;
pub(crate) mod mailbox_manage;
pub(crate) mod mailbox_state;
pub(crate) mod mailbox_views;
pub(crate) mod mailboxes;
pub(crate) mod messages;
pub(crate) mod metrics;
pub(crate) mod openapi;
pub(crate) mod openapi_examples;
pub(crate) mod openapi_rules;
pub(crate) mod openapi_shapes;
pub(crate) mod openapi_values;
pub(crate) mod openapi_vocab;
pub(crate) mod openapi_walk;
pub(crate) mod openapi_wire;
pub(crate) mod quota;
pub(crate) mod request_id;
pub(crate) mod rights;
pub(crate) mod search;
pub(crate) mod send;
pub(crate) mod serve;
pub(crate) mod threads;
pub(crate) mod urls;
pub(crate) mod web_app;
pub(crate) mod webhooks;

use std::time::Duration;

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request, State},
    http::StatusCode,
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    trace::TraceLayer,
};
use utoipa::OpenApi as _;
use utoipa_axum::{router::OpenApiRouter, routes};
use utoipa_swagger_ui::SwaggerUi;

use crate::{http::error::ApiError, state::AppState};

/// Every documented route, before state and middleware.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(metrics::metrics))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(capabilities::get_capabilities))
        .routes(routes!(quota::get_quota))
        .routes(routes!(mailboxes::get_namespaces))
        .routes(routes!(threads::get_thread))
        .routes(routes!(mailboxes::list_mailboxes, mailbox_manage::create_mailbox))
        .routes(routes!(mailboxes::get_mailbox, mailbox_manage::rename_mailbox, mailbox_manage::delete_mailbox))
        .routes(routes!(mailbox_manage::subscribe, mailbox_manage::unsubscribe))
        .routes(routes!(mailbox_state::select))
        .routes(routes!(mailbox_state::noop))
        .routes(routes!(mailbox_state::check))
        .routes(routes!(mailbox_state::close))
        .routes(routes!(mailbox_state::expunge))
        .routes(routes!(mailboxes::get_mailbox_status))
        .routes(routes!(changes::get_changes))
        .routes(routes!(events::events))
        .routes(routes!(event_tickets::create_ticket))
        .routes(routes!(webhooks::create_webhook, webhooks::list_webhooks))
        .routes(routes!(webhooks::delete_webhook))
        .routes(routes!(webhooks::list_deliveries))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(send::send_message))
                .routes(routes!(send::drafts::create_draft))
                .routes(routes!(send::drafts::replace_draft))
                .routes(routes!(send::drafts::send_draft))
                .layer(DefaultBodyLimit::max(send::input::MAX_REQUEST)),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(messages::list::list_messages, messages::append::append_message))
                .layer(DefaultBodyLimit::max(messages::append::MAX_UPLOAD)),
        )
        .routes(routes!(messages::get::get_message, messages::flags::patch_message, messages::transfer::delete_message))
        .routes(routes!(messages::transfer::copy_messages))
        .routes(routes!(messages::transfer::move_messages))
        .routes(routes!(messages::flags::bulk_flags))
        .routes(routes!(messages::raw::get_raw))
        .routes(routes!(messages::parts::get_part))
        .routes(routes!(messages::parts::get_headers))
        .routes(routes!(messages::parts::get_bodystructure))
        .routes(routes!(search::search_mailbox))
        .routes(routes!(search::search_all))
}

/// The full application router: API, `/openapi.json`, Swagger UI at `/docs`, the web client at
/// `/app/`, middleware.
pub fn router(state: AppState) -> Router {
    let (api, spec) = api_router().split_for_parts();
    let spec = openapi::finish(spec);
    let limit = state.settings.http.max_json_body;
    let counted = state.clone();
    api.route_layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .merge(SwaggerUi::new("/docs").external_url_unchecked("/openapi.json", spec))
        .layer(middleware::from_fn(docs_without_slash))
        .merge(web_app::routes())
        .fallback(move || async move {
            counted.metrics.inc("http_requests_total", &[("method", "any"), ("route", "unmatched"), ("status", "404")]);
            ApiError::not_found("no such route")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed")
        })
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(state.clone(), deadline))
        .layer(CatchPanicLayer::custom(|_| ApiError::internal("a handler panicked").into_response()))
        // The request span (request_id.rs) names method and path; the query string, which may
        // hold search terms and addresses, is never logged.
        .layer(TraceLayer::new_for_http().make_span_with(|_: &Request| tracing::debug_span!("http")))
        .layer(cors(&state.settings.protection.cors_origins))
        .layer(middleware::from_fn(request_id::middleware))
        .with_state(state)
}

/// CORS for the configured origins only: never `*`, and no credentials (the API takes bearer
/// tokens, not cookies). Without origins the layer adds nothing, so browsers refuse.
fn cors(origins: &[String]) -> CorsLayer {
    use axum::http::{HeaderName, HeaderValue, Method};
    let allowed: Vec<HeaderValue> =
        origins.iter().filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok()).collect();
    let names = |list: &[&'static str]| list.iter().map(|h| HeaderName::from_static(h)).collect::<Vec<_>>();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers(names(&[
            "authorization",
            "content-type",
            "if-match",
            "if-none-match",
            "idempotency-key",
            "last-event-id",
            "x-request-id",
            "range",
        ]))
        .expose_headers(names(&[
            "etag",
            "location",
            "link",
            "retry-after",
            "x-request-id",
            "idempotency-replayed",
            "content-disposition",
            "content-range",
        ]))
        .max_age(Duration::from_secs(600))
}

/// The whole-request deadline. Dropping the handler on expiry is safe: a connection cut
/// mid-command is discarded by the pool, never reused.
async fn deadline(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = Duration::from_millis(state.settings.http.request_timeout_ms);
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::new(StatusCode::GATEWAY_TIMEOUT, "request-timeout", "The request took too long")
            .detail(format!("no answer within {} ms", limit.as_millis()))
            .into_response(),
    }
}

/// Swagger UI's page at `/docs` itself, not only at `/docs/` (a plain `curl /docs` would get a
/// bare redirect): the same page, its files named from the root.
async fn docs_without_slash(req: Request, next: Next) -> Response {
    if req.uri().path() != "/docs" || req.method() != axum::http::Method::GET {
        return next.run(req).await;
    }
    const PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"UTF-8\"><title>imap-gateway API</title>\n\
        <link rel=\"stylesheet\" type=\"text/css\" href=\"/docs/swagger-ui.css\">\n\
        <link rel=\"stylesheet\" type=\"text/css\" href=\"/docs/index.css\"></head>\n\
        <body><div id=\"swagger-ui\"></div>\n<script src=\"/docs/swagger-ui-bundle.js\" charset=\"UTF-8\"></script>\n\
        <script src=\"/docs/swagger-ui-standalone-preset.js\" charset=\"UTF-8\"></script>\n\
        <script src=\"/docs/swagger-initializer.js\" charset=\"UTF-8\"></script></body>\n</html>\n";
    ([(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response()
}
