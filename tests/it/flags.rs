//! STORE through the API: merge-patch keywords, conditional changes, bulk changes.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Admin, ImapServer, TestApp, both_servers, expect_problem, message, seg, unique};

both_servers!(keywords_change_by_merge_patch_and_if_match_guards_the_change, dovecot: "heidi", cyrus: "carol");

async fn keywords_change_by_merge_patch_and_if_match_guards_the_change(server: &'static ImapServer, user: &str) {
    let mailbox = unique("flags");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&mailbox).await;
    for i in 1..=3 {
        admin.append(&mailbox, None, &message(&format!("f{i}"))).await;
    }
    let app = TestApp::start(crate::helpers::settings_for(server)).await;
    let token = app.login(user).await.access;

    let resp = app.patch_message(&token, &mailbox, 1, &json!({"keywords": {"$seen": true, "$Work": true}}), None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let etag = resp.headers()["etag"].to_str().expect("etag").to_string();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["keywords"], json!({"$seen": true, "$work": true}));
    let flags = admin.flags(&mailbox, 1).await;
    assert!(flags.iter().any(|f| f.contains("Seen")) && flags.iter().any(|f| f.contains("$Work")), "{flags:?}");

    let resp = app
        .patch_message(&token, &mailbox, 1, &json!({"keywords": {"$seen": null}, "deleted": true}), Some(&etag))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let newer = resp.headers()["etag"].to_str().expect("etag").to_string();
    assert_ne!(newer, etag, "a change gives a new ETag");
    let body: Value = resp.json().await.expect("json");
    assert_eq!((body["keywords"].clone(), body["deleted"].clone()), (json!({"$work": true}), json!(true)));

    // The old ETag is stale now: the server refuses with [MODIFIED].
    let resp = app.patch_message(&token, &mailbox, 1, &json!({"keywords": {"$flagged": true}}), Some(&etag)).await;
    expect_problem(resp, StatusCode::PRECONDITION_FAILED, "precondition-failed").await;
    let resp = app.patch_message(&token, &mailbox, 1, &json!({"keywords": {"a b": true}}), None).await;
    expect_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "invalid-properties").await;
    let resp =
        app.patch_message(&token, &mailbox, 1, &json!({"keywords": {"$flagged": true}}), Some("\"garbage\"")).await;
    // No ETag of this API names no state of the message: the condition is false.
    expect_problem(resp, StatusCode::PRECONDITION_FAILED, "precondition-failed").await;
    // `*` matches any state: no condition.
    let resp = app.patch_message(&token, &mailbox, 1, &json!({"keywords": {"$flagged": false}}), Some("*")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let get = app.get_json(&format!("/v1/mailboxes/{}/messages/1", seg(&mailbox)), &token).await;
    assert_eq!(get["keywords"], json!({"$work": true}), "the refused change left nothing behind");

    // Bulk.
    let bulk = |body: Value| app.set_flags(&token, &mailbox, body);
    let res: Value = bulk(json!({"uids": [2, 3, 99], "add": ["$flagged"]})).await.json().await.expect("json");
    assert_eq!(res["notFound"], json!([99]));
    let updated: Vec<u64> =
        res["updated"].as_array().expect("updated").iter().map(|m| m["uid"].as_u64().unwrap_or(0)).collect();
    assert_eq!(updated, [2, 3]);
    assert_eq!(res["updated"][0]["keywords"], json!({"$flagged": true}));
    let res: Value = bulk(json!({"uids": [2], "set": ["$seen", "$answered"]})).await.json().await.expect("json");
    assert_eq!(res["updated"][0]["keywords"], json!({"$answered": true, "$seen": true}));
    let res: Value =
        bulk(json!({"uids": [3], "add": ["$seen"], "ifUnchangedSince": "1"})).await.json().await.expect("json");
    assert_eq!((res["modified"].clone(), res["updated"].clone()), (json!([3]), json!([])));
    admin.delete(&mailbox).await;
    admin.logout().await;
}

both_servers!(a_change_by_another_client_makes_a_stale_if_match_fail_with_412, dovecot: "ivan", cyrus: "dave");

async fn a_change_by_another_client_makes_a_stale_if_match_fail_with_412(server: &'static ImapServer, user: &str) {
    let mailbox = unique("race");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&mailbox).await;
    admin.append(&mailbox, None, &message("contested")).await;
    let app = TestApp::start(crate::helpers::settings_for(server)).await;
    let token = app.login(user).await.access;
    let etag = app.etag(&token, &mailbox, 1).await;

    admin.add_flag(&mailbox, 1, "\\Answered").await;
    // Sent as plain `application/json`, which is accepted as well as a merge patch.
    let resp = app
        .http
        .patch(app.url(&format!("/v1/mailboxes/{}/messages/1", seg(&mailbox))))
        .bearer_auth(&token)
        .header("if-match", &etag)
        .json(&json!({"keywords": {"$seen": true}}))
        .send()
        .await
        .expect("PATCH");
    expect_problem(resp, StatusCode::PRECONDITION_FAILED, "precondition-failed").await;
    let flags = admin.flags(&mailbox, 1).await;
    assert!(!flags.iter().any(|f| f.contains("Seen")), "nothing was stored: {flags:?}");
    assert!(flags.iter().any(|f| f.contains("Answered")), "{flags:?}");
    admin.delete(&mailbox).await;
    admin.logout().await;
}
