//! Rules applied to the generated OpenAPI document once every path is in: the answers every
//! route shares (auth, extractor rejections, IMAP failures), a description on every response,
//! and the one schema of each parameter that many handlers declare (mailbox, UID, UIDVALIDITY).

use serde_json::{Value, json};

use super::openapi_walk::refine;

use super::limits::{
    BODY_VALUE_MAX, CHANGES_MAX, FILTER_TEXT_MAX, MULTI_SEARCH_MAX, PAGE_MAX, SEARCH_MAILBOXES_MAX, UIDS_MAX,
};
use super::search::filter_schema::DATE;
use crate::config::MAILBOX_NAME_MAX_BYTES;

/// A mailbox name or LIST pattern as `MailboxName::parse` and `ListPattern::parse` accept it:
/// 1 to 1000 bytes of UTF-8 (`maxLength` counts characters, so the byte bound is only in the
/// description), no control characters (Unicode `Cc`).
pub fn name_schema() -> Value {
    json!({
        "type": "string", "minLength": 1, "maxLength": MAILBOX_NAME_MAX_BYTES,
        "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]+$",
    })
}

/// A UID (or UIDVALIDITY) is an unsigned 32-bit number; UIDs start at 1.
fn u32_schema(minimum: u64) -> Value {
    json!({"type": "integer", "format": "int64", "minimum": minimum, "maximum": u32::MAX})
}

/// Applies the rules to the document `v` (utoipa's output as JSON).
pub fn apply(v: &mut Value) {
    super::openapi_walk::each_operation(v, operation);
    if let Some(schemas) = v.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        bodies(schemas);
        schemas.extend(super::search::filter_schema::schemas());
        super::openapi_vocab::apply(schemas);
        super::openapi_values::apply(schemas);
    }
    super::openapi_vocab::normalise(v);
    super::openapi_wire::apply(v);
    super::openapi_values::send_bodies(v);
}

/// `Section::parse`: 1 to 64 dot-separated part numbers, 1 to 9 digits, no leading 0.
fn section_schema() -> Value {
    json!({"type": "string", "pattern": "^[1-9][0-9]{0,8}(\\.[1-9][0-9]{0,8}){0,63}$"})
}

/// A list of 1 to [`UIDS_MAX`] UIDs (`limits::check_uids`).
pub(super) fn uids_schema() -> Value {
    json!({"type": "array", "items": u32_schema(1), "minItems": 1, "maxItems": UIDS_MAX})
}

/// What the handlers check in JSON bodies, as schema constraints.
fn bodies(s: &mut serde_json::Map<String, Value>) {
    let no_control = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$";
    // flows::check_input: 1-256 bytes without control characters; 1-1024 bytes without NUL.
    refine(s, "LoginRequest", "username", json!({"minLength": 1, "maxLength": 256, "pattern": no_control}));
    refine(s, "LoginRequest", "password", json!({"minLength": 1, "maxLength": 1024, "pattern": "^[^\\u0000]+$"}));
    // oauth_flows::check: an RFC 6750 b64token; a refresh token without control characters.
    refine(
        s,
        "LoginRequest",
        "accessToken",
        json!({"minLength": 1, "maxLength": 16384, "pattern": "^[A-Za-z0-9._~+/=-]+$"}),
    );
    refine(s, "LoginRequest", "refreshToken", json!({"minLength": 1, "maxLength": 16384, "pattern": no_control}));
    refine(s, "LoginRequest", "provider", json!({"minLength": 1, "maxLength": 100}));
    let mut name = name_schema();
    refine(s, "CreateMailbox", "name", name.clone());
    refine(s, "RenameMailbox", "name", name.clone());
    refine(s, "TransferRequest", "destination", name.clone());
    refine(s, "TransferRequest", "uids", uids_schema());
    refine(s, "BulkFlags", "uids", uids_schema());
    // Messages a compose document names: a mailbox and a UID, as the routes take them.
    for schema in ["MessageRef", "ForwardRef", "StoredPart"] {
        refine(s, schema, "mailbox", name.clone());
        refine(s, schema, "uid", u32_schema(1));
    }
    refine(s, "StoredPart", "partId", section_schema());
    name["type"] = json!(["string", "null"]);
    refine(s, "CreateMailbox", "parent", name);
    super::openapi_shapes::apply(s, uids_schema());
    // keywords: a map of keyword to true (add) or false/null (remove).
    refine(
        s,
        "FlagsPatch",
        "keywords",
        json!({"type": ["object", "null"], "additionalProperties": {"type": ["boolean", "null"]}}),
    );
    for (schema, max) in [("SearchRequest", PAGE_MAX), ("MultiSearchRequest", MULTI_SEARCH_MAX)] {
        if let Some(f) = s.get_mut(schema).and_then(|x| x.pointer_mut("/properties/filter")) {
            let description = f.get("description").cloned().unwrap_or_default();
            *f = json!({"description": description,
                        "oneOf": [{"$ref": "#/components/schemas/Filter"}, {"type": "null"}]});
        }
        refine(s, schema, "limit", json!({"type": ["integer", "null"], "minimum": 1, "maximum": max}));
    }
    refine(s, "SearchRequest", "return", json!({"type": ["string", "null"], "enum": ["uids", "summaries", null]}));
    let names = json!({"type": ["array", "null"], "items": name_schema(), "maxItems": SEARCH_MAILBOXES_MAX});
    refine(s, "MultiSearchRequest", "mailboxes", names);
    refine(
        s,
        "NewWebhook",
        "events",
        json!({"type": ["array", "null"], "minItems": 1,
        "items": {"type": "string", "enum": crate::webhooks::EVENT_TYPES}}),
    );
    let watched = crate::config::EventsSettings::default().max_mailboxes;
    let names = json!({"type": ["array", "null"], "minItems": 1, "maxItems": watched, "items": name_schema()});
    refine(s, "EventTicketRequest", "mailboxes", names);
    refine(s, "NewWebhook", "mailboxes", json!({"type": ["array", "null"], "minItems": 1, "items": name_schema()}));
    for schema in ["SearchRequest", "MultiSearchRequest", "FlagsPatch"] {
        if let Some(r) = s.get_mut(schema).and_then(|x| x.get_mut("required")).and_then(Value::as_array_mut) {
            r.retain(|f| !["filter", "keywords"].contains(&f.as_str().unwrap_or("")));
        }
    }
}

/// The schema of a query parameter the handler checks beyond its Rust type.
fn query_schema(path: &str, name: &str) -> Option<Value> {
    let text = json!({"type": "string", "maxLength": FILTER_TEXT_MAX, "pattern": "^[^\\u0000]*$"});
    Some(match (path.rsplit('/').next().unwrap_or(""), name) {
        ("messages", "limit") => json!({"type": "integer", "minimum": 1, "maximum": PAGE_MAX}),
        ("messages", "since" | "before") => json!({"type": "string", "pattern": DATE}),
        ("messages", "from" | "to" | "subject" | "text") => text,
        ("messages", "larger" | "smaller") => u32_schema(0),
        ("messages", "receivedAt") => json!({"type": "string", "format": "date-time"}),
        ("messages", "keywords") => super::openapi_values::keyword_list(),
        ("{uid}", "maxBodyValueBytes") => json!({"type": "integer", "minimum": 1, "maximum": BODY_VALUE_MAX}),
        // Comma-separated mailbox names (each checked by `MailboxName::parse`); empty: INBOX.
        ("events", "mailboxes") => {
            let one = "[^,\\u0000-\\u001f\\u007f-\\u009f]+";
            json!({"type": "string", "pattern": format!("^({one}(,{one})*)?$")})
        }
        // Repeated names, each checked by `MailboxName::parse`.
        ("{threadId}", "mailboxes") => {
            json!({"type": "array", "items": name_schema(), "maxItems": SEARCH_MAILBOXES_MAX})
        }
        ("changes", "maxChanges") => json!({"type": "integer", "minimum": 1, "maximum": CHANGES_MAX}),
        ("changes", "knownUids") => super::openapi_values::uid_set(),
        ("headers", "form") => json!({"type": "string", "enum": ["json", "raw"]}),
        (_, "disposition") => json!({"type": "string", "enum": ["attachment", "inline"]}),
        _ => return None,
    })
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    })
}

fn operation(path: &str, op: &mut Value) {
    let secured = op.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty());
    let json_body = op
        .pointer("/requestBody/content")
        .and_then(Value::as_object)
        .is_some_and(|c| c.keys().any(|k| k.contains("json")));
    let params = op.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
    let has_input = !params.is_empty() || op.get("requestBody").is_some();
    let takes_uid_validity = params.iter().any(|p| p["name"] == "uidValidity");
    // Routes that only read or write the gateway's own tables never talk to IMAP.
    let imap = secured && !path.starts_with("/v1/webhooks/") && path != "/v1/webhooks";

    let mut shared: Vec<(&str, &str)> = Vec::new();
    if has_input {
        shared.push(("400", "invalid path, query or body"));
    }
    if secured {
        shared.push(("401", "missing, invalid, expired or revoked access token"));
        shared.push(("429", "too many concurrent requests of this account (Retry-After)"));
        shared.push(("504", "the request or the IMAP server timed out"));
    }
    if imap {
        shared.push(("502", "the IMAP server is unreachable, failed or answered garbage"));
        shared.push(("503", "all of the account's IMAP connections are busy (Retry-After)"));
    }
    if json_body {
        shared.push(("413", "the JSON body is too large"));
        shared.push(("415", "the body is not `application/json`"));
        shared.push(("422", "the JSON body does not have the expected shape"));
    }
    if path.contains("{mailbox}") {
        shared.push(("404", "the mailbox (or message) does not exist"));
        shared.push((
            "422",
            "the mailbox name is longer than the configured limits (`mailbox-name-too-long`), or the IMAP server refused it (its own naming rules)",
        ));
    }
    if params.iter().any(|p| p["name"] == "mailboxes" && p["in"] == "query" && path.contains("{threadId}")) {
        shared.push(("422", "a mailbox name is longer than the configured limits (`mailbox-name-too-long`)"));
    }
    if params.iter().any(|p| p["name"] == "pattern" && p["in"] == "query") {
        shared.push(("422", "the pattern is longer than the configured name limits (`mailbox-name-too-long`)"));
    }
    if takes_uid_validity {
        shared.push(("409", "uidValidity does not match the mailbox"));
    }
    let query = params.iter().any(|p| p["in"] == "query");
    if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
        // The HTTP layer's own answer, without a body, to a query too long to read.
        if query {
            responses
                .entry("414")
                .or_insert_with(|| json!({"description": "the request line is too long to read (no body)"}));
        }
        // One text per status: the shared meanings joined, after the route's own (if any).
        let mut texts: Vec<(&str, String)> = Vec::new();
        for (code, description) in shared {
            match texts.iter_mut().find(|(c, _)| *c == code) {
                Some((_, text)) => *text = format!("{text}; or {description}"),
                None => texts.push((code, description.to_string())),
            }
        }
        for (code, text) in texts {
            let response = responses.entry(code).or_insert_with(|| problem(""));
            let own = response.get("description").and_then(Value::as_str).unwrap_or_default();
            let merged = if own.is_empty() { text } else { format!("{own}; or {text}") };
            response["description"] = merged.into();
        }
        for (code, response) in responses.iter_mut() {
            let Some(response) = response.as_object_mut() else { continue };
            let empty = response.get("description").and_then(Value::as_str).is_none_or(str::is_empty);
            if empty {
                let reason = code
                    .parse::<u16>()
                    .ok()
                    .and_then(|c| axum::http::StatusCode::from_u16(c).ok())
                    .and_then(|c| c.canonical_reason())
                    .unwrap_or("response");
                response.insert("description".into(), reason.into());
            }
        }
    }
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in params {
            let schema = match (p["in"].as_str(), p["name"].as_str()) {
                (Some("path"), Some("mailbox")) | (Some("query"), Some("pattern")) => name_schema(),
                (Some("path"), Some("uid")) => u32_schema(1),
                (Some("path"), Some("section")) => section_schema(),
                (Some("query"), Some("uidValidity")) => u32_schema(0),
                (Some("query"), Some(name)) => match query_schema(path, name) {
                    Some(schema) => schema,
                    None => continue,
                },
                _ => continue,
            };
            p["schema"] = schema;
        }
    }
}

#[cfg(test)]
#[path = "openapi_rules_tests.rs"]
mod tests;
