//! Tests of the OpenAPI rules: shared answers and descriptions, and the described limits.

use super::*;

#[test]
fn shared_answers_and_descriptions() {
    let mut op = json!({
        "security": [{"bearer": []}],
        "parameters": [{"name": "mailbox", "in": "path", "schema": {"type": "string"}},
                       {"name": "uidValidity", "in": "query", "schema": {"type": "integer"}}],
        "responses": {"200": {"description": ""}, "404": {"description": "gone"}},
    });
    operation("/v1/mailboxes/{mailbox}", &mut op);
    let r = &op["responses"];
    assert_eq!(r["200"]["description"], "OK");
    assert!(r["404"]["description"].as_str().unwrap_or_default().starts_with("gone; or "), "declared texts come first");
    for code in ["400", "401", "409", "429", "502", "503", "504"] {
        assert!(r.get(code).is_some(), "{code}");
    }
    assert!(r.get("415").is_none(), "no JSON body");
    assert_eq!(op["parameters"][0]["schema"], name_schema());
    assert_eq!(op["parameters"][1]["schema"]["maximum"], u32::MAX);
}

/// The descriptions of limited inputs (doc comments in `views/`) name the numbers the
/// handlers check, which live in `limits.rs`.
#[test]
fn described_limits_are_the_checked_ones() {
    use crate::http::limits::{BODY_VALUE_DEFAULT, CHANGES_DEFAULT, PAGE_DEFAULT};
    let (_, doc) = crate::http::api_router().split_for_parts();
    let v = crate::http::openapi::finish(doc);
    let param = |path: &str, name: &str| {
        let params = v["paths"][path]["get"]["parameters"].as_array().cloned().unwrap_or_default();
        let p = params.into_iter().find(|p| p["name"] == name).unwrap_or_default();
        p["description"].as_str().unwrap_or_default().to_string()
    };
    let prop = |schema: &str, name: &str| {
        v["components"]["schemas"][schema]["properties"][name]["description"].as_str().unwrap_or_default().to_string()
    };
    let cases = [
        (param("/v1/mailboxes/{mailbox}/messages", "limit"), vec![PAGE_MAX.to_string(), PAGE_DEFAULT.to_string()]),
        (
            param("/v1/mailboxes/{mailbox}/messages/{uid}", "maxBodyValueBytes"),
            vec![BODY_VALUE_MAX.to_string(), BODY_VALUE_DEFAULT.to_string()],
        ),
        (
            param("/v1/mailboxes/{mailbox}/changes", "maxChanges"),
            vec![CHANGES_MAX.to_string(), CHANGES_DEFAULT.to_string()],
        ),
        (prop("SearchRequest", "limit"), vec![PAGE_MAX.to_string(), PAGE_DEFAULT.to_string()]),
        (prop("MultiSearchRequest", "limit"), vec![MULTI_SEARCH_MAX.to_string(), PAGE_DEFAULT.to_string()]),
        (prop("MultiSearchRequest", "mailboxes"), vec![SEARCH_MAILBOXES_MAX.to_string()]),
    ];
    for (description, numbers) in cases {
        for n in numbers {
            assert!(description.contains(&n), "{description:?} does not name {n}");
        }
    }
}

/// Every operation has an example (a parameter's, a body's or an answer's), and the examples
/// say what the handlers take: a login with a password alone, a filter over nested operators.
/// (scripts/lint-openapi checks every example against its schema, as errors.)
#[test]
fn every_operation_has_an_example() {
    let doc: Value = serde_json::from_str(&crate::http::openapi::spec_json()).expect("JSON");
    let mut missing = Vec::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("operations") {
            let media = |v: &Value| v.as_object().is_some_and(|c| c.values().any(|m| m.get("example").is_some()));
            let has = op["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p.get("example").is_some()))
                || media(&op["requestBody"]["content"])
                || op["responses"].as_object().is_some_and(|r| r.values().any(|r| media(&r["content"])));
            if !has {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(missing.is_empty(), "no example: {missing:?}");
    let login = &doc["paths"]["/v1/auth/login"]["post"]["requestBody"]["content"]["application/json"]["example"];
    assert_eq!(login, &json!({"username": "alice", "password": "alice-pass"}));
    let search = &doc["paths"]["/v1/mailboxes/{mailbox}/search"]["post"]["requestBody"]["content"]["application/json"];
    assert_eq!(search["example"]["filter"]["conditions"][1]["operator"], "NOT");
}
