//! `GET /v1/quota` against Dovecot's quota plugin: the user's root with STORAGE in KiB, its
//! usage growing after an APPEND, and a user with a smaller limit.

use serde_json::Value;

use crate::helpers::{TestApp, message};

fn storage(q: &Value) -> (u64, u64) {
    let roots = q["roots"].as_array().expect("roots");
    assert_eq!(roots.len(), 1, "{q}");
    assert_eq!(roots[0]["name"], "User quota", "{q}");
    let r =
        roots[0]["resources"].as_array().expect("resources").iter().find(|r| r["name"] == "STORAGE").expect("STORAGE");
    (r["usage"].as_u64().expect("usage"), r["limit"].as_u64().expect("limit"))
}

#[tokio::test]
async fn quota_names_the_root_and_its_usage_grows_after_an_append() {
    let app = TestApp::spawn().await;
    // pat is this test's own user: nothing else changes its usage
    let token = app.login("pat").await.access;
    let (before, limit) = storage(&app.get_json("/v1/quota", &token).await);
    assert_eq!(limit, 1024 * 1024, "1 GiB, in KiB");
    let big = format!("{}{}", message("quota"), "x".repeat(40 * 1024));
    let resp = app.append(&token, "INBOX", "", big).await;
    assert_eq!(resp.status(), reqwest::StatusCode::CREATED);
    let (after, _) = storage(&app.get_json("/v1/quota", &token).await);
    assert!(after >= before + 40, "usage {before} -> {after} KiB after a 40 KiB message");

    let small = app.login("quota").await.access;
    let (_, limit) = storage(&app.get_json("/v1/quota", &small).await);
    assert_eq!(limit, 20, "the quota user's 20 KiB");
}
