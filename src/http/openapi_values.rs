//! Values the handlers check beyond their Rust type, as schema constraints built from the same
//! predicates: keywords are IMAP atoms, recipients' addresses what `compose::check::address`
//! accepts, a webhook URL an absolute http(s) URL without credentials or fragment.

use serde_json::{Map, Value, json};

use super::openapi_walk::refine;
use crate::{compose::check, imap::encode};

/// The longest atom `encode::atom` takes.
const KEYWORD_MAX: usize = 256;
/// The longest webhook URL `webhooks::ssrf::parse` takes.
const URL_MAX: usize = 2048;

/// One keyword.
fn keyword() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": KEYWORD_MAX, "pattern": encode::atom_pattern()})
}

/// The compose document's values as `compose::check` and `http::send::input` check them.
fn compose(s: &mut Map<String, Value>) {
    let [(_, media), (_, cid), (_, header_name), (_, header_value)] = check::patterns();
    let text = json!({"maxLength": check::MAX_HEADER_VALUE, "pattern": header_value});
    refine(s, "Compose", "subject", text.clone());
    refine(s, "Recipient", "name", text.clone());
    refine(s, "UploadedFile", "filename", text);
    refine(s, "UploadedFile", "contentType", json!({"pattern": media}));
    refine(s, "UploadedFile", "cid", json!({"pattern": cid}));
    // Standard base64 with its padding and no stray bits (whitespace around it is trimmed).
    let (b, last2, last3) = ("[A-Za-z0-9+/]", "[AQgw]", "[AEIMQUYcgkosw048]");
    let base64 = format!("^\\s*({b}{{4}})*({b}{last2}==|{b}{{2}}{last3}=)?\\s*$");
    refine(s, "UploadedFile", "contentBase64", json!({"pattern": base64}));
    // Extra fields: X-* or the allow-list, with printable ASCII values (CR, LF, NUL refused).
    let values = json!({"type": "string", "maxLength": check::MAX_HEADER_VALUE, "pattern": "^[\\u0001-\\u0009\\u000b\\u000c\\u000e-\\u007f]*$"});
    refine(
        s,
        "Compose",
        "headers",
        json!({"maxProperties": check::MAX_EXTRA_HEADERS, "propertyNames": {"type": "string", "pattern": header_name}, "additionalProperties": values}),
    );
    for list in ["to", "cc", "bcc"] {
        refine(s, "Compose", list, json!({"maxItems": check::MAX_RECIPIENTS}));
    }
    refine(s, "Compose", "attachments", json!({"maxItems": check::MAX_ATTACHMENTS}));
}

/// A port, 0 to 65535.
const PORT: &str = "(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})";

/// Applies the constraints to the component schemas `s`.
pub fn apply(s: &mut Map<String, Value>) {
    for (schema, prop) in [("BulkFlagsChange", "add"), ("BulkFlagsChange", "remove"), ("BulkFlagsSet", "set")] {
        refine(s, schema, prop, json!({"items": keyword()}));
    }
    // A MODSEQ (`bulk_flags` parses a u64; RFC 7162 keeps them below 2^63).
    for schema in ["BulkFlagsChange", "BulkFlagsSet"] {
        refine(s, schema, "ifUnchangedSince", json!({"type": ["string", "null"], "pattern": "^[0-9]{1,19}$"}));
    }
    refine(s, "Compose", "keywords", json!({"items": keyword()}));
    refine(s, "AppendMetadata", "keywords", json!({"items": keyword()}));
    refine(s, "FlagsPatch", "keywords", json!({"propertyNames": keyword()}));
    refine(s, "Recipient", "email", json!({"maxLength": check::MAX_ADDRESS, "pattern": check::address_pattern()}));
    compose(s);
    // `ssrf::parse`: ASCII, a host name of labels or an IPv6 literal, no credentials or fragment.
    let label = "[A-Za-z0-9-]+";
    let host = format!("({label}(\\.{label})*|\\[[0-9A-Fa-f:.]+\\])");
    let url = format!("^https?://{host}(:{PORT})?([/?][!-\"$-~]*)?$");
    refine(s, "NewWebhook", "url", json!({"format": "uri", "maxLength": URL_MAX, "pattern": url}));
}

/// A UID: 1 to 4294967295, without leading zeros.
const NZ_U32: &str = "([1-9][0-9]{0,8}|[1-3][0-9]{9}|4[01][0-9]{8}|42[0-8][0-9]{7}|429[0-3][0-9]{6}|4294[0-8][0-9]{5}\
                      |42949[0-5][0-9]{4}|429496[0-6][0-9]{3}|4294967[01][0-9]{2}|42949672[0-8][0-9]|429496729[0-5])";

/// A UID set as `sync::changes` parses `knownUids`: UIDs and `a:b` ranges, comma-separated.
pub fn uid_set() -> Value {
    let item = format!("{NZ_U32}(:{NZ_U32})?");
    json!({"type": "string", "maxLength": crate::sync::changes::KNOWN_UIDS_MAX, "pattern": format!("^{item}(,{item})*$")})
}

/// `POST /v1/messages/send` takes a compose document with at least one recipient
/// (`http::send::letter`): `ComposeToSend`, and the form `ComposeFormToSend` that carries one.
pub fn send_bodies(doc: &mut Value) {
    let some = |list: &str| json!({"required": [list], "properties": {list: {"minItems": 1}}});
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else { return };
    schemas.insert(
        "ComposeToSend".into(),
        json!({"description": "A compose document to send: at least one of `to`, `cc` and `bcc` names someone.",
               "allOf": [{"$ref": "#/components/schemas/Compose"}], "anyOf": [some("to"), some("cc"), some("bcc")]}),
    );
    if let Some(mut form) = schemas.get("ComposeForm").cloned() {
        form["properties"]["compose"] = json!({"$ref": "#/components/schemas/ComposeToSend"});
        schemas.insert("ComposeFormToSend".into(), form);
    }
    let Some(content) =
        doc.pointer_mut("/paths/~1v1~1messages~1send/post/requestBody/content").and_then(Value::as_object_mut)
    else {
        return;
    };
    for (kind, name) in [("application/json", "ComposeToSend"), ("multipart/form-data", "ComposeFormToSend")] {
        if let Some(m) = content.get_mut(kind) {
            m["schema"] = json!({"$ref": format!("#/components/schemas/{name}")});
        }
    }
}

/// The `keywords` query parameter of APPEND: keywords separated by commas.
pub fn keyword_list() -> Value {
    json!({"type": "string", "pattern": encode::atom_list_pattern(b',')})
}
