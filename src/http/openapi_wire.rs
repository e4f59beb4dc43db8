//! What the OpenAPI document says about the wire beyond JSON bodies: the headers the gateway
//! reads and sends (`X-Request-Id`, `Retry-After`, `If-None-Match`/`ETag`, `Idempotency-Key`),
//! binary bodies, the multipart forms, the Server-Sent Events of `/v1/events` one schema per
//! event, public operations and `servers`.

use serde_json::{Map, Value, json};

use crate::webhooks::EVENT_TYPES;

fn header(description: &str, schema: Value) -> Value {
    json!({"description": description, "schema": schema})
}

fn binary() -> Value {
    json!({"type": "string", "format": "binary"})
}

/// Applies the wire rules to the whole document.
pub fn apply(doc: &mut Value) {
    doc["servers"] = json!([{"url": "/", "description": "the gateway that serves this document"}]);
    let schemas = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut);
    if let Some(schemas) = schemas {
        events(schemas);
        forms(schemas);
    }
    super::openapi_walk::each_operation(doc, operation);
}

fn operation(path: &str, op: &mut Value) {
    // Public operations say so (an empty requirement), rather than inherit nothing.
    if op.get("security").is_none() {
        op["security"] = json!([]);
    }
    let mut list = op["parameters"].as_array_mut().map(std::mem::take).unwrap_or_default();
    let named = |name: &str| list.iter().any(|p| p["name"] == name);
    let (idempotent, has_if_none_match) = (named("Idempotency-Key"), named("If-None-Match"));
    let conditional = op.pointer("/responses/304").is_some();
    list.push(json!({
        "name": "X-Request-Id", "in": "header", "required": false,
        "description": "Your id for this request: kept if it is 1-128 of `A-Z a-z 0-9 . _ : -` (any other \
            value is replaced by one the gateway makes), echoed in the answer, in problems (`requestId`) and in \
            the gateway's log",
        "schema": {"type": "string"},
    }));
    if conditional && !has_if_none_match {
        list.push(json!({
            "name": "If-None-Match", "in": "header", "required": false,
            "description": "An ETag of an earlier answer (or several, comma-separated, or `*`): 304 while it is current",
            "schema": {"type": "string"},
        }));
    }
    op["parameters"] = Value::Array(list);
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { return };
    for (code, response) in responses.iter_mut() {
        let headers = response.as_object_mut().map(|r| r.entry("headers").or_insert_with(|| json!({})));
        let Some(headers) = headers.and_then(Value::as_object_mut) else { continue };
        headers.insert(
            "X-Request-Id".into(),
            header("The request's id (yours, or one the gateway made)", json!({"type": "string"})),
        );
        let retry = code == "429" || code == "503" || (code == "409" && idempotent);
        if retry {
            headers.insert(
                "Retry-After".into(),
                header("Seconds to wait before trying again", json!({"type": "integer", "minimum": 0})),
            );
        }
        // A replay answers the first request's answer, whatever its status.
        if idempotent {
            headers.insert(
                "Idempotency-Replayed".into(),
                header(
                    "`true` when this is the saved answer of an earlier request with the same key",
                    json!({"type": "string", "enum": ["true"]}),
                ),
            );
        }
        if conditional && (code == "200" || code == "304") && !headers.contains_key("ETag") {
            headers.insert("ETag".into(), header("The answer's version, for If-None-Match", json!({"type": "string"})));
        }
        // Downloads: the bytes as they are.
        if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
            for (media, body) in content.iter_mut() {
                if !media.contains("json")
                    && media != "text/event-stream"
                    && body.get("schema").is_none_or(Value::is_null)
                {
                    body["schema"] = binary();
                }
            }
        }
    }
    if let Some(content) = op.pointer_mut("/requestBody/content").and_then(Value::as_object_mut) {
        if let Some(raw) = content.get_mut("message/rfc822") {
            raw["schema"] = json!({"type": "string", "format": "binary", "minLength": 1});
        }
        let form = match path {
            "/v1/mailboxes/{mailbox}/messages" => Some((
                "AppendForm",
                json!({"metadata": {"contentType": "application/json"}, "message": {"contentType": "message/rfc822"}}),
            )),
            "/v1/messages/send" | "/v1/drafts" | "/v1/drafts/{uid}" => {
                Some(("ComposeForm", json!({"compose": {"contentType": "application/json"}})))
            }
            _ => None,
        };
        if let Some((schema, encoding)) = form {
            content.insert(
                "multipart/form-data".into(),
                json!({"schema": {"$ref": format!("#/components/schemas/{schema}")}, "encoding": encoding}),
            );
        }
    }
    if path == "/v1/events"
        && let Some(sse) = op.pointer_mut("/responses/200/content/text~1event-stream")
    {
        sse["schema"] = json!({"$ref": "#/components/schemas/ServerSentEvent"});
    }
}

/// One schema per Server-Sent Event of `/v1/events`, and their union.
fn events(schemas: &mut Map<String, Value>) {
    let event = |names: Value, data: &str, id: bool, description: &str| {
        let mut properties = json!({
            "event": names,
            "data": {"type": "string", "contentMediaType": "application/json",
                     "contentSchema": {"$ref": format!("#/components/schemas/{data}")},
                     "description": format!("one line of JSON: `{data}`")},
        });
        if id {
            properties["id"] =
                json!({"type": "string", "description": "the event's id, for Last-Event-ID or lastEventId"});
        }
        let required = if id { json!(["event", "id", "data"]) } else { json!(["event", "data"]) };
        json!({"type": "object", "description": description, "required": required, "properties": properties})
    };
    schemas.insert(
        "ChangeEvent".into(),
        event(json!({"type": "string", "enum": EVENT_TYPES}), "EventData", true, "a change in a watched mailbox"),
    );
    schemas.insert(
        "ReadyEventMessage".into(),
        event(
            json!({"type": "string", "const": "ready"}),
            "ReadyEvent",
            false,
            "sent first: whether the watcher follows the mailboxes yet",
        ),
    );
    schemas.insert(
        "ResyncEventMessage".into(),
        event(
            json!({"type": "string", "const": "resync"}),
            "ResyncEvent",
            false,
            "events were lost: resynchronise with `/changes`",
        ),
    );
    let mut mapping = Map::new();
    for t in EVENT_TYPES {
        mapping.insert(t.into(), json!("#/components/schemas/ChangeEvent"));
    }
    mapping.insert("ready".into(), json!("#/components/schemas/ReadyEventMessage"));
    mapping.insert("resync".into(), json!("#/components/schemas/ResyncEventMessage"));
    schemas.insert(
        "ServerSentEvent".into(),
        json!({
            "description": "One event of the stream (`event:`, `id:` and `data:` lines); comments (`: heartbeat`) keep it alive",
            "oneOf": [{"$ref": "#/components/schemas/ChangeEvent"}, {"$ref": "#/components/schemas/ReadyEventMessage"},
                      {"$ref": "#/components/schemas/ResyncEventMessage"}],
            "discriminator": {"propertyName": "event", "mapping": mapping},
        }),
    );
    schemas.remove("StreamEventData");
}

/// The `multipart/form-data` bodies: APPEND's and the compose routes'.
fn forms(schemas: &mut Map<String, Value>) {
    schemas.insert(
        "AppendForm".into(),
        json!({
            "type": "object", "required": ["message"], "additionalProperties": false,
            "description": "APPEND as a form: the message, and optional metadata",
            "properties": {
                "metadata": {"$ref": "#/components/schemas/AppendMetadata"},
                "message": {"type": "string", "format": "binary", "minLength": 1, "description": "the message, as sent"},
            },
        }),
    );
    schemas.insert(
        "ComposeForm".into(),
        json!({
            "type": "object", "required": ["compose"],
            "description": "A compose document with its files as parts: each `files` part, with a filename, \
                becomes an attachment named by its filename, of its Content-Type (else application/octet-stream)",
            "properties": {
                "compose": {"$ref": "#/components/schemas/Compose"},
                "files": {"type": "array", "items": binary()},
            },
            "additionalProperties": false,
        }),
    );
}
