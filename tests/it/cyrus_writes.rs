//! The write routes against Cyrus, the second server, checked with a separate client.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Admin, TestApp, cyrus, expect_problem, message, seg, settings_for, unique};

#[tokio::test]
async fn writes_work_on_cyrus_too() {
    let server = cyrus();
    let app = TestApp::start(settings_for(server)).await;
    let token = app.login("bob").await.access;
    let (src, dst) = (unique("cw-src"), unique("cw-dst"));
    for name in [&src, &dst] {
        let resp = app.create_mailbox(&token, json!({"name": name})).await;
        assert_eq!(resp.status(), StatusCode::CREATED, "create {name}");
    }
    for i in 1..=3 {
        let resp = app.append(&token, &src, "?keywords=$Work", message(&format!("c{i}"))).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["uid"], i);
    }
    // Flags with If-Match.
    let etag = app.etag(&token, &src, 1).await;
    let resp = app.patch_message(&token, &src, 1, &json!({"keywords": {"$flagged": true}}), Some(&etag)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app.patch_message(&token, &src, 1, &json!({"keywords": {"$seen": true}}), Some(&etag)).await;
    expect_problem(resp, StatusCode::PRECONDITION_FAILED, "precondition-failed").await;
    // Copy, move, delete, expunge.
    let copied: Value =
        app.copy_messages(&token, &src, json!({"uids": [1], "destination": dst})).await.json().await.expect("json");
    assert_eq!(copied["mapping"][0]["uid"], 1);
    let moved: Value =
        app.move_messages(&token, &src, json!({"uids": [2], "destination": dst})).await.json().await.expect("json");
    assert_eq!(moved["mapping"][0]["uid"], 2);
    let resp = app.delete_message(&token, &src, 3, true).await;
    let res: Value = resp.json().await.expect("json");
    assert_eq!(res["action"], "expunged");
    let bulk: Value =
        app.set_flags(&token, &src, json!({"uids": [1], "add": ["$deleted"]})).await.json().await.expect("json");
    assert_eq!(bulk["updated"][0]["deleted"], true);
    let exp: Value = app.expunge(&token, &src, json!({"uids": [1]})).await.json().await.expect("json");
    assert_eq!(exp["expunged"], json!([1]));

    let mut admin = Admin::connect(server, "bob").await;
    let list = admin.list().await;
    assert!(list.contains(&src) && list.contains(&dst), "{list:?}");
    let src_state = app.get_json(&format!("/v1/mailboxes/{}", seg(&src)), &token).await;
    assert_eq!(src_state["exists"], 0, "everything moved, deleted or expunged");
    let dst_page = app.get_json(&format!("/v1/mailboxes/{}/messages", seg(&dst)), &token).await;
    let subjects: Vec<&str> =
        dst_page["items"].as_array().expect("items").iter().map(|m| m["subject"].as_str().unwrap_or("")).collect();
    assert_eq!(subjects, ["c2", "c1"]);
    let flags = admin.flags(&dst, 1).await;
    assert!(flags.iter().any(|f| f.contains("Flagged")) && flags.iter().any(|f| f.contains("$Work")), "{flags:?}");
    for name in [&src, &dst] {
        let resp = app.delete_mailbox(&token, name, false).await;
        assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    }
    admin.logout().await;
}
