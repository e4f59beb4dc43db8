//! Request bodies whose valid forms are alternatives, named one schema each (`oneOf`), so that
//! client generators make one type per form and a client cannot build a body the handler
//! refuses for its combination of fields: a login (password, access token, or refresh token),
//! an expunge (these UIDs, or all), and a bulk flag change (`set`, or `add` and `remove`).

use serde_json::{Map, Value, json};

/// A copy of `schema`'s property `prop`, without `null` (an alternative names only the fields
/// it needs, each given).
fn field(schemas: &Map<String, Value>, schema: &str, prop: &str) -> Value {
    let mut v =
        schemas.get(schema).and_then(|s| s.pointer(&format!("/properties/{prop}"))).cloned().unwrap_or_default();
    if let Some(t) = v.get("type").and_then(Value::as_array).and_then(|t| t.iter().find(|t| *t != "null")).cloned() {
        v["type"] = t;
    }
    if let Some(alternatives) = v.get("oneOf").and_then(Value::as_array).cloned() {
        let kept: Vec<Value> = alternatives.into_iter().filter(|a| a.get("type") != Some(&json!("null"))).collect();
        if let [one] = kept.as_slice() {
            v = one.clone();
        }
    }
    v
}

fn object(description: &str, required: &[&str], properties: Map<String, Value>) -> Value {
    json!({"type": "object", "description": description, "required": required,
           "additionalProperties": false, "properties": properties})
}

/// Replaces `LoginRequest` and `ExpungeRequest` by their alternatives; `uids` is the schema of a
/// UID list.
pub fn apply(s: &mut Map<String, Value>, uids: Value) {
    let login = |names: &[&str]| -> Map<String, Value> {
        names.iter().map(|n| ((*n).to_string(), field(s, "LoginRequest", n))).collect()
    };
    // `http::auth::login_with`: a password goes alone; OAuth2 needs an access token, or a
    // refresh token with its provider (`auth::oauth_flows::check`).
    let password = object("Log in with the IMAP password", &["username", "password"], login(&["username", "password"]));
    let mut token = object(
        "Log in with an OAuth2 access token (and a refresh token with its provider to renew it)",
        &["username", "accessToken"],
        login(&["username", "accessToken", "mechanism", "expiresIn", "refreshToken", "provider"]),
    );
    token["dependentRequired"] = json!({"refreshToken": ["provider"], "provider": ["refreshToken"]});
    let refresh = object(
        "Log in with an OAuth2 refresh token: the first access token comes from it at once",
        &["username", "refreshToken", "provider"],
        login(&["username", "refreshToken", "provider", "mechanism"]),
    );
    if let Some(l) = s.get_mut("LoginRequest") {
        let description = l["description"].clone();
        *l = json!({"description": description, "oneOf": [
            {"$ref": "#/components/schemas/PasswordLogin"}, {"$ref": "#/components/schemas/TokenLogin"},
            {"$ref": "#/components/schemas/RefreshTokenLogin"}]});
    }
    s.insert("PasswordLogin".into(), password);
    s.insert("TokenLogin".into(), token);
    s.insert("RefreshTokenLogin".into(), refresh);

    // Either exactly these UIDs, or `all: true` without `uids`.
    if let Some(e) = s.get_mut("ExpungeRequest") {
        let description = e["description"].clone();
        *e = json!({"description": description, "oneOf": [
            {"$ref": "#/components/schemas/ExpungeUids"}, {"$ref": "#/components/schemas/ExpungeAll"}]});
    }
    let mut uids_form = Map::new();
    uids_form.insert("uids".into(), uids);
    uids_form.insert("all".into(), json!({"anyOf": [{"type": "boolean", "const": false}, {"type": "null"}]}));
    s.insert(
        "ExpungeUids".into(),
        object(
            "Expunge exactly these UIDs (those among them that carry `\\Deleted`; needs UIDPLUS)",
            &["uids"],
            uids_form,
        ),
    );
    let mut all_form = Map::new();
    all_form.insert("all".into(), json!({"type": "boolean", "const": true}));
    all_form.insert("uids".into(), json!({"type": "null"}));
    s.insert("ExpungeAll".into(), object("Expunge every message that carries `\\Deleted`", &["all"], all_form));

    // `http::messages::flags::bulk_flags`: `set` replaces every flag, so it goes without
    // `add` and `remove`.
    let flags = |names: &[&str]| -> Map<String, Value> {
        names.iter().map(|n| ((*n).to_string(), field(s, "BulkFlags", n))).collect()
    };
    let set =
        object("Replace every keyword of the messages", &["uids", "set"], flags(&["uids", "set", "ifUnchangedSince"]));
    let mut change = object(
        "Add and remove keywords, leaving the others",
        &["uids"],
        flags(&["uids", "add", "remove", "ifUnchangedSince"]),
    );
    change["properties"]["set"] = json!({"type": "null"});
    if let Some(b) = s.get_mut("BulkFlags") {
        let description = b["description"].clone();
        *b = json!({"description": description, "oneOf": [
            {"$ref": "#/components/schemas/BulkFlagsSet"}, {"$ref": "#/components/schemas/BulkFlagsChange"}]});
    }
    s.insert("BulkFlagsSet".into(), set);
    s.insert("BulkFlagsChange".into(), change);
}
