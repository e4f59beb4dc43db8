//! The injection corpus (security.md, issue 7): hostile strings through every parameter that
//! takes text (mailbox names, search strings and header names, keywords, list filters, APPEND
//! metadata). No answer is a 5xx, and no extra command reaches Dovecot: the victim mailbox, the
//! canary message and its flags all survive.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Admin, TestApp, dovecot, message, seg, unique};

fn corpus(victim: &str) -> Vec<String> {
    vec![
        format!("x\r\nA1 DELETE \"{victim}\"\r\n"),
        format!("x\nA1 DELETE {victim}"),
        format!("x\rA1 DELETE {victim}"),
        "nul\0byte".into(),
        "quote\"quote".into(),
        "back\\slash".into(),
        format!("{{5}}\r\nA1 DELETE {victim}"),
        format!("{{5+}}\r\nhello A1 DELETE {victim}"),
        format!("a) DELETE \"{victim}\" ("),
        format!("\" DELETE \"{victim}"),
        "*".into(),
        "%".into(),
        "~0000\u{202e}bidi".into(),
        "x".repeat(20_000),
        "\u{1F4A3} boom".into(),
    ]
}

#[tokio::test]
async fn hostile_strings_in_every_text_parameter_change_nothing() {
    let victim = unique("victim");
    let home = unique("attack");
    let mut admin = Admin::connect(dovecot(), "eve").await;
    admin.create(&victim).await;
    admin.create(&home).await;
    admin.append(&home, Some("(\\Flagged)"), &message("canary")).await;
    let app = TestApp::spawn().await;
    let token = app.login("eve").await.access;
    let mut answers = 0;
    let mut check = |what: &str, payload: &str, status: StatusCode| {
        answers += 1;
        assert!(!status.is_server_error(), "{what} with {:?}: {status}", payload.chars().take(40).collect::<String>());
    };
    for p in corpus(&victim) {
        let home_url = |rest: &str| app.url(&format!("/v1/mailboxes/{}{rest}", seg(&home)));
        // Mailbox names: in the path, created, renamed to.
        let resp = app.get(&format!("/v1/mailboxes/{}", seg(&p)), &token).await;
        check("GET mailbox", &p, resp.status());
        let resp = app.create_mailbox(&token, json!({"name": p})).await;
        check("create", &p, resp.status());
        let resp = app.rename_mailbox(&token, &unique("nope"), &p).await;
        check("rename", &p, resp.status());
        // Search strings, header names and keywords.
        for filter in [
            json!({"subject": p}),
            json!({"text": p}),
            json!({"header": {"name": p, "value": p}}),
            json!({"keyword": p}),
            json!({"from": p}),
        ] {
            let resp = app.search(&token, &home, json!({"filter": filter})).await;
            check("search", &p, resp.status());
        }
        let resp = app.get(&format!("/v1/mailboxes/{}/messages?subject={}", seg(&home), seg(&p)), &token).await;
        check("list filter", &p, resp.status());
        // Keywords on one message and in bulk.
        let resp = app.patch_message(&token, &home, 1, &json!({"keywords": {p.clone(): true}}), None).await;
        check("patch keywords", &p, resp.status());
        let resp = app.set_flags(&token, &home, json!({"uids": [1], "add": [p]})).await;
        check("bulk keywords", &p, resp.status());
        // APPEND metadata: keywords and date in the query, and in a multipart metadata part.
        let query = format!("?keywords={}&receivedAt={}", seg(&p), seg(&p));
        let resp = app.append(&token, &home, &query, message("never stored")).await;
        check("append query", &p, resp.status());
        // An impossible date keeps every APPEND from storing anything; keywords are checked first.
        let meta = json!({"keywords": [p], "receivedAt": p}).to_string();
        let form = reqwest::multipart::Form::new()
            .part("metadata", reqwest::multipart::Part::text(meta).mime_str("application/json").expect("mime"))
            .part("message", reqwest::multipart::Part::text(message("never stored either")));
        let resp = app.http.post(home_url("/messages")).bearer_auth(&token).multipart(form).send().await;
        check("append metadata", &p, resp.expect("append").status());
    }
    assert!(answers >= corpus(&victim).len() * 12);
    let names = admin.list().await;
    assert!(names.contains(&victim), "the victim mailbox survives");
    // The canary keeps its flag and nothing was appended beside it.
    let state: Value = app.get_json(&format!("/v1/mailboxes/{}", seg(&home)), &token).await;
    assert_eq!(state["exists"], 1, "{state}");
    assert!(admin.flags(&home, 1).await.iter().any(|f| f.contains("Flagged")));
    // A payload may become a mailbox name as a whole (quoted, it is only a name), never in part.
    let whole = corpus(&victim);
    // (The admin client's LIST leaves quoted names escaped.)
    let unescape = |n: &String| n.replace("\\\"", "\"").replace("\\\\", "\\");
    let fragments: Vec<String> =
        names.iter().map(unescape).filter(|n| n.contains("DELETE") && !whole.contains(n)).collect();
    assert!(fragments.is_empty(), "{fragments:?}");
    admin.logout().await;
}
