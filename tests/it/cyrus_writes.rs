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
        let resp = app
            .http
            .post(app.url("/v1/mailboxes"))
            .bearer_auth(&token)
            .json(&json!({"name": name}))
            .send()
            .await
            .expect("create");
        assert_eq!(resp.status(), StatusCode::CREATED, "create {name}");
    }
    let append = |subject: &str| {
        app.http
            .post(app.url(&format!("/v1/mailboxes/{}/messages?keywords=$Work", seg(&src))))
            .bearer_auth(&token)
            .header("content-type", "message/rfc822")
            .body(message(subject).into_bytes())
            .send()
    };
    for i in 1..=3 {
        let resp = append(&format!("c{i}")).await.expect("append");
        assert_eq!(resp.status(), StatusCode::CREATED);
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["uid"], i);
    }
    // Flags with If-Match.
    let url = app.url(&format!("/v1/mailboxes/{}/messages/1", seg(&src)));
    let etag = app.http.get(&url).bearer_auth(&token).send().await.expect("GET").headers()["etag"]
        .to_str()
        .expect("etag")
        .to_string();
    let resp = app
        .http
        .patch(&url)
        .bearer_auth(&token)
        .header("if-match", &etag)
        .json(&json!({"keywords": {"$flagged": true}}))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .http
        .patch(&url)
        .bearer_auth(&token)
        .header("if-match", &etag)
        .json(&json!({"keywords": {"$seen": true}}))
        .send()
        .await
        .expect("PATCH");
    expect_problem(resp, StatusCode::PRECONDITION_FAILED, "precondition-failed").await;
    // Copy, move, delete, expunge.
    let post = |action: &str, body: Value| {
        app.http.post(app.url(&format!("/v1/mailboxes/{}/{action}", seg(&src)))).bearer_auth(&token).json(&body).send()
    };
    let copied: Value = post("messages/copy", json!({"uids": [1], "destination": dst}))
        .await
        .expect("copy")
        .json()
        .await
        .expect("json");
    assert_eq!(copied["mapping"][0]["uid"], 1);
    let moved: Value = post("messages/move", json!({"uids": [2], "destination": dst}))
        .await
        .expect("move")
        .json()
        .await
        .expect("json");
    assert_eq!(moved["mapping"][0]["uid"], 2);
    let resp = app
        .http
        .delete(app.url(&format!("/v1/mailboxes/{}/messages/3?permanent=true", seg(&src))))
        .bearer_auth(&token)
        .send()
        .await
        .expect("delete");
    let res: Value = resp.json().await.expect("json");
    assert_eq!(res["action"], "expunged");
    let bulk: Value = post("messages/flags", json!({"uids": [1], "add": ["$deleted"]}))
        .await
        .expect("flags")
        .json()
        .await
        .expect("json");
    assert_eq!(bulk["updated"][0]["deleted"], true);
    let exp: Value = post("expunge", json!({"uids": [1]})).await.expect("expunge").json().await.expect("json");
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
        let resp = app
            .http
            .delete(app.url(&format!("/v1/mailboxes/{}", seg(name))))
            .bearer_auth(&token)
            .send()
            .await
            .expect("delete");
        assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    }
    admin.logout().await;
}
