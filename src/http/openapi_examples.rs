//! An example on every operation, made from the finished document's own schemas: each JSON
//! request body and success answer, every parameter, and the text answers (SSE, raw source,
//! metrics). Values come from the property's name where it says what it holds (a mailbox, an
//! address, a UID), else from the schema (its enum, format, bounds). Redocly's example rules
//! check each against its schema (`openapi/redocly.yaml`).

use serde_json::{Map, Value, json};

use super::openapi_walk::each_operation;

/// How deep an example follows nested schemas (the filter and the part tree are recursive).
const DEPTH: usize = 5;

/// What a property or parameter of this name holds, where its name says it.
fn by_name(name: &str) -> Option<Value> {
    Some(match name {
        "mailbox" | "destination" | "parent" => json!("Archive/2024"),
        "mailboxes" => json!(["INBOX", "Archive/2024"]),
        // Recursive: from Bob, and not yet read.
        "filter" => json!({"operator": "AND", "conditions": [
            {"from": "bob@example.org"},
            {"operator": "NOT", "conditions": [{"hasKeyword": "$seen"}]},
        ]}),
        "email" => json!("bob@example.org"),
        "username" => json!("alice"),
        "password" => json!("correct horse battery staple"),
        "accessToken" => json!("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"),
        "refreshToken" => json!("igwrt_3q2-7wExampleRefreshToken"),
        "attributes" => json!(["\\HasNoChildren"]),
        "flags" | "permanentFlags" => json!(["\\Seen", "$Work"]),
        "countsSource" => json!("listStatus"),
        "provider" => json!("google"),
        "uid" | "newUid" => json!(42),
        "uids" | "notFound" | "modified" | "destroyed" | "created" | "expunged" => json!([41, 42]),
        "uidValidity" => json!(1_796_304_302u64),
        "uidNext" => json!(43),
        "modSeq" | "highestModSeq" | "ifUnchangedSince" => json!("1234"),
        "subject" => json!("Quarterly report"),
        "preview" => json!("Hi team, the figures for the third quarter are attached."),
        "text" => json!("Hi team,\n\nthe figures are attached.\n\nBob"),
        "html" => json!("<p>Hi team,</p><p>the figures are attached.</p>"),
        "url" => json!("https://hooks.example.org/mail"),
        "downloadUrl" => json!("/v1/mailboxes/INBOX/messages/42/parts/2"),
        "location" => json!("/v1/mailboxes/INBOX/messages/42"),
        "contentType" | "type" => json!("application/pdf"),
        "filename" => json!("report.pdf"),
        "contentBase64" => json!("JVBERi0xLjQK"),
        "partId" | "section" => json!("2"),
        "charset" => json!("utf-8"),
        "cid" => json!("logo@example.org"),
        "messageId" => json!("<20261203093000.4711@example.org>"),
        "threadId" => json!("TPDIwMjYxMjAzMDkzMDAwLjQ3MTFAZXhhbXBsZS5vcmc-"),
        "emailId" => json!("M1796304302-42"),
        "keyword" | "hasKeyword" | "notKeyword" => json!("$flagged"),
        "state" | "oldState" | "newState" | "since" => json!("ms1.MTc5NjMwNDMwMi4xMjM0LjQzLjQy"),
        "cursor" | "nextCursor" => json!("c1.eyJ1IjoxMDB9.sig"),
        "knownUids" => json!("1:40,52"),
        "ticket" => json!("evt_Qm9vdGNhbXAtdGlja2V0LWV4YW1wbGUtMDEyMzQ1Njc"),
        "secret" => json!("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        "requestId" | "X-Request-Id" => json!("5f0c6a52-8d3e-4c1b-9a7e-2b6d4f8e1c30"),
        "Idempotency-Key" => json!("0b8c5f0e-4a57-4f0e-9d2b-7f3a1c6e8d91"),
        "If-Match" | "If-None-Match" => json!("\"1796304302.1234\""),
        "Last-Event-ID" | "lastEventId" => json!("1a2b3c-17"),
        "Range" => json!("bytes=0-1023"),
        "pattern" => json!("Archive*"),
        "delimiter" => json!("/"),
        "title" => json!("The mailbox does not exist"),
        "detail" => json!("no mailbox Archive/2025"),
        "scope" => json!("https://mail.google.com/"),
        _ => return None,
    })
}

/// Resolves a `$ref` of the document's components.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => doc.pointer(&format!("/components/schemas/{name}")).unwrap_or(schema),
        None => schema,
    }
}

/// The schema's types, without `null`.
fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect(),
        _ => Vec::new(),
    }
}

/// An example of `schema`, for a value named `name` (a property or parameter).
fn example(doc: &Value, schema: &Value, name: &str, depth: usize) -> Value {
    if name == "filter" {
        return by_name(name).unwrap_or_default();
    }
    if depth > 2 * DEPTH {
        return json!({});
    }
    let schema = resolve(doc, schema);
    if let Some(e) = schema.get("example").or_else(|| schema.get("const")) {
        return e.clone();
    }
    if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|e| e.iter().find(|v| !v.is_null())) {
        return first.clone();
    }
    // allOf: one object of every part's properties.
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = json!({"type": "object", "properties": {}, "required": []});
        for part in parts {
            let part = resolve(doc, part);
            if let (Some(to), Some(from)) =
                (merged["properties"].as_object_mut(), part.get("properties").and_then(Value::as_object))
            {
                to.extend(from.clone());
            }
            if let (Some(to), Some(from)) =
                (merged["required"].as_array_mut(), part.get("required").and_then(Value::as_array))
            {
                to.extend(from.iter().cloned());
            }
        }
        return object(doc, &merged, name, depth);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = schema.get(key).and_then(Value::as_array) {
            let non_null = alts.iter().find(|a| resolve(doc, a).get("type") != Some(&json!("null")));
            if let Some(a) = non_null {
                return example(doc, a, name, depth + 1);
            }
        }
    }
    // JSON carried in a string (an event's `data:` line): the example of its schema, as text.
    if let Some(inner) = schema.get("contentSchema") {
        return json!(example(doc, inner, name, depth + 1).to_string());
    }
    let kinds = types(schema);
    let kind = kinds.first().copied().unwrap_or(if schema.get("properties").is_some() { "object" } else { "string" });
    match kind {
        "object" => object(doc, schema, name, depth),
        "array" => {
            if let Some(v) = by_name(name).filter(Value::is_array) {
                return v;
            }
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            if depth >= DEPTH && min == 0 {
                return json!([]);
            }
            let item = example(doc, &items, singular(name), depth + 1);
            Value::Array(vec![item; min.max(1) as usize])
        }
        "integer" | "number" => number(schema, name),
        "boolean" => json!(matches!(name, "seen" | "isSubscribed" | "isSelectable" | "uidplus" | "condstore")),
        _ => string(schema, name),
    }
}

/// The name of one item of a list named `name`.
fn singular(name: &str) -> &str {
    match name {
        "mailboxes" => "mailbox",
        "uids" => "uid",
        "keywords" | "add" | "remove" | "set" => "keyword",
        "to" | "cc" | "bcc" | "replyTo" => "recipient",
        _ => name,
    }
}

fn object(doc: &Value, schema: &Value, name: &str, depth: usize) -> Value {
    let mut out = Map::new();
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (prop, sub) in props {
            let sub_resolved = resolve(doc, sub);
            let only_null = sub_resolved.get("type") == Some(&json!("null"));
            let nullable =
                types(sub_resolved).len() < sub_resolved.get("type").and_then(Value::as_array).map_or(0, Vec::len);
            let optional = !required.contains(&prop.as_str());
            // A nullable field is shown where its name says what it holds (an address's email).
            let hinted = by_name(prop).is_some() || prop == "name";
            if only_null || (optional && ((nullable && !hinted) || depth >= DEPTH)) {
                continue;
            }
            out.insert(prop.clone(), example(doc, sub, prop, depth + 1));
        }
    } else if let Some(values) = schema.get("additionalProperties").filter(|a| a.is_object()) {
        // A map: one entry, keyed as its name says.
        let key = if name == "keywords" { "$seen" } else { "X-Campaign" };
        let value = if name == "keywords" { json!(true) } else { example(doc, values, key, depth + 1) };
        out.insert(key.into(), value);
    }
    Value::Object(out)
}

fn number(schema: &Value, name: &str) -> Value {
    let wanted = by_name(name).and_then(|v| v.as_u64()).unwrap_or(match name {
        "limit" => 50,
        "size" | "encodedSize" | "larger" | "smaller" => 2048,
        "maxChanges" => 500,
        "durationMs" => 182,
        "httpStatus" | "status" => 200,
        "expiresIn" => 3600,
        _ => 1,
    });
    let min = schema.get("minimum").and_then(Value::as_u64).unwrap_or(0);
    let max = schema.get("maximum").and_then(Value::as_u64).unwrap_or(u64::MAX);
    json!(wanted.clamp(min, max))
}

fn string(schema: &Value, name: &str) -> Value {
    let pattern = schema.get("pattern").and_then(Value::as_str).unwrap_or_default();
    // A date (`since` and `before` of a message list), whatever the name says elsewhere.
    if pattern.contains("[0-9]{2}-(") {
        return json!("2026-12-03");
    }
    if let Some(v) = by_name(name).filter(Value::is_string) {
        return v;
    }
    match schema.get("format").and_then(Value::as_str) {
        Some("date-time") => return json!("2026-12-03T09:30:00Z"),
        Some("date") => return json!("2026-12-03"),
        Some("uri") => return json!("https://hooks.example.org/mail"),
        _ => {}
    }
    let described = |word: &str| schema.get("description").and_then(Value::as_str).is_some_and(|d| d.contains(word));
    match name {
        "id" if described("Last-Event-ID") => json!("1a2b3c-17"),
        "id" | "webhookId" => json!("wh_5f0c6a528d3e4c1b9a7e2b6d4f8e1c30"),
        "name" => json!("Bob Example"),
        "group" => json!("Team"),
        "reason" => json!("must be a UID set such as 1:40,52"),
        "error" => json!("HTTP 503"),
        "value" => json!("7"),
        "body" => json!("{\"id\":\"dl_...\"}"),
        "prefix" => json!(""),
        _ => json!("Archive"),
    }
}

/// Adds the examples to the document `doc`.
pub fn apply(doc: &mut Value) {
    let source = doc.clone();
    each_operation(doc, |_, op| {
        if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
            for p in params.iter_mut() {
                let name = p["name"].as_str().unwrap_or_default().to_string();
                let schema = p.get("schema").cloned().unwrap_or(json!({}));
                let value = match name.as_str() {
                    "mailbox" if p["in"] == "path" => json!("INBOX"),
                    _ => example(&source, &schema, &name, 0),
                };
                p["example"] = value;
            }
        }
        if let Some(content) = op.pointer_mut("/requestBody/content").and_then(Value::as_object_mut) {
            media(&source, content);
        }
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for (_, r) in responses.iter_mut().filter(|(code, _)| code.starts_with('2')) {
                if let Some(content) = r.get_mut("content").and_then(Value::as_object_mut) {
                    media(&source, content);
                }
            }
        }
    });
}

/// An example for each JSON media type of `content`, and for the text ones.
fn media(doc: &Value, content: &mut Map<String, Value>) {
    for (kind, m) in content.iter_mut() {
        // An event of the stream is described as an object (its fields): so is its example.
        let example = if kind.contains("json") || kind == "text/event-stream" {
            let schema = m.get("schema").cloned().unwrap_or(json!({}));
            example(doc, &schema, "", 0)
        } else {
            match kind.as_str() {
                "message/rfc822" => json!(
                    "From: Bob Example <bob@example.org>\r\nTo: alice@example.org\r\nSubject: Quarterly report\r\nDate: Thu, 3 Dec 2026 09:30:00 +0000\r\nMessage-ID: <20261203093000.4711@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi team,\r\n\r\nthe figures are attached.\r\n"
                ),
                "text/plain" => json!(
                    "# TYPE imap_gateway_http_requests_total counter\nimap_gateway_http_requests_total{route=\"/v1/mailboxes\",status=\"200\"} 17\n"
                ),
                _ => continue,
            }
        };
        if let Some(m) = m.as_object_mut() {
            m.insert("example".into(), example);
        }
    }
}
