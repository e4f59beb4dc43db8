//! The base OpenAPI document: info, bearer security scheme and tags. Paths are added by
//! `utoipa_axum::routes!` in `http::api_router`.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};

/// Base document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "imap-gateway",
        description = "HTTP/JSON API in front of any IMAP4rev1 server. Errors are RFC 9457 problem documents.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&BearerAuth),
    // Schemas only the document's multipart forms name.
    components(schemas(crate::http::messages::append::AppendMetadata)),
    tags(
        (name = "auth", description = "Log in with IMAP credentials; access and refresh tokens"),
        (name = "mailboxes", description = "LIST, STATUS, EXAMINE"),
        (name = "messages", description = "Pages, full messages and raw source; reading never sets \\Seen"),
        (name = "search", description = "SEARCH and SORT with a JSON filter tree"),
        (name = "sending", description = "Compose, send over SMTP submission, drafts, reply and forward"),
        (name = "sync", description = "Changes since a state token; live events; webhooks"),
        (name = "server", description = "Server capabilities"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            "eventTicket",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "ticket",
                "A single-use event-stream ticket from `POST /v1/events/ticket` (`GET /v1/events` only)",
            ))),
        );
    }
}

/// The complete document: what utoipa generated from the routes, with the rules applied, then
/// the examples made from the finished schemas. It stays JSON from here on: utoipa's types do
/// not hold every JSON Schema keyword the rules use.
pub fn finish(api: utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut v = serde_json::to_value(&api).expect("OpenAPI serializes");
    super::openapi_rules::apply(&mut v);
    super::openapi_examples::apply(&mut v);
    v
}

/// The complete document as pretty JSON with a trailing newline (what `openapi/openapi.json`
/// holds).
pub fn spec_json() -> String {
    let (_, api) = super::api_router().split_for_parts();
    let mut s = serde_json::to_string_pretty(&finish(api)).expect("JSON serializes");
    s.push('\n');
    s
}
