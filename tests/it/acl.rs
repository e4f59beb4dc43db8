//! Namespaces and rights: `GET /v1/namespaces` on both servers; on Cyrus (ACL, RIGHTS), a
//! folder another user shares read-only: listed only with `namespaces=all` and as `otherUsers`,
//! its `myRights`, and writes to it answering 403 `missing-right` with the right they lack.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Admin, TestApp, cyrus, dovecot, dovecot_script, expect_problem, seg, settings_for, unique};

fn names(list: &Value) -> Vec<(String, Option<String>)> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| (m["name"].as_str().expect("name").to_string(), m["namespace"].as_str().map(str::to_string)))
        .collect()
}

#[tokio::test]
async fn dovecot_has_one_personal_namespace_and_no_rights() {
    let app = TestApp::start(settings_for(dovecot())).await;
    let token = app.login("tina").await.access;
    let ns = app.get_json("/v1/namespaces", &token).await;
    assert_eq!(ns, json!({"personal": [{"prefix": "", "delimiter": "/"}], "otherUsers": [], "shared": []}));
    let inbox = app.get_json("/v1/mailboxes/INBOX", &token).await;
    assert!(inbox.get("myRights").is_none(), "no ACL: {inbox}");
    let list = app.get_json("/v1/mailboxes?counts=false", &token).await;
    assert!(names(&list).iter().all(|(_, ns)| ns.as_deref() == Some("personal")), "{list}");
    // The connection stays usable after NAMESPACE: the next request on it works.
    assert_eq!(app.get_json("/v1/namespaces", &token).await, ns);
}

#[tokio::test]
async fn a_read_only_shared_folder_is_listed_as_another_users_and_writes_name_the_missing_right() {
    let (owner, reader) = ("eve", "dave");
    let folder = unique("shared");
    let mut admin = Admin::connect(cyrus(), owner).await;
    admin.create(&folder).await;
    admin.append(&folder, None, &crate::helpers::message("shared")).await;
    admin.command(&format!("SETACL {folder} {reader} lr")).await;

    let app = TestApp::start(settings_for(cyrus())).await;
    let token = app.login(reader).await.access;
    let ns = app.get_json("/v1/namespaces", &token).await;
    assert_eq!(ns["otherUsers"], json!([{"prefix": "Other Users/", "delimiter": "/"}]), "{ns}");
    assert_eq!(ns["personal"], json!([{"prefix": "", "delimiter": "/"}]), "{ns}");
    assert_eq!(ns["shared"].as_array().map(Vec::len), Some(1), "{ns}");

    let shared = format!("Other Users/{owner}/{folder}");
    let own = names(&app.get_json("/v1/mailboxes?counts=false", &token).await);
    assert!(own.iter().all(|(n, ns)| ns.as_deref() == Some("personal") && *n != shared), "{own:?}");
    let all = names(&app.get_json("/v1/mailboxes?counts=false&namespaces=all", &token).await);
    assert!(all.contains(&(shared.clone(), Some("otherUsers".into()))), "{all:?}");
    assert!(all.contains(&("INBOX".into(), Some("personal".into()))), "{all:?}");

    let state = app.get_json(&format!("/v1/mailboxes/{}", seg(&shared)), &token).await;
    assert_eq!(state["myRights"], "lr", "{state}");
    assert_eq!(state["exists"], 1);
    let inbox = app.get_json("/v1/mailboxes/INBOX", &token).await;
    let rights = inbox["myRights"].as_str().expect("rights on INBOX");
    assert!("lrswipkxte".chars().all(|r| rights.contains(r)), "{rights}");

    // Writes: each answers 403 with the right it lacks, and nothing changes.
    let resp = app.append(&token, &shared, "", crate::helpers::message("not allowed")).await;
    let p = expect_problem(resp, StatusCode::FORBIDDEN, "missing-right").await;
    assert_eq!((p["missingRights"].as_str(), p["myRights"].as_str()), (Some("i"), Some("lr")), "{p}");
    let resp = app.delete_message(&token, &shared, 1, true).await;
    let p = expect_problem(resp, StatusCode::FORBIDDEN, "missing-right").await;
    assert_eq!(p["missingRights"], "te", "{p}");
    let resp = app.expunge(&token, &shared, json!({"uids": [1]})).await;
    let p = expect_problem(resp, StatusCode::FORBIDDEN, "missing-right").await;
    assert_eq!(p["missingRights"], "e", "{p}");
    let after = app.get_json(&format!("/v1/mailboxes/{}", seg(&shared)), &token).await;
    assert_eq!(after["exists"], 1, "nothing was stored or removed: {after}");

    admin.delete(&folder).await;
    admin.logout().await;
}

#[tokio::test]
async fn on_dovecot_with_its_acl_plugin_a_read_only_shared_folder_names_the_missing_right() {
    let (dir, port, tls_port) = ("/tmp/igw-test-acl", 23143, 23993);
    let d = dovecot_script("start", dir, port, tls_port, &[("DOVECOT_ACL", "1")]);
    let folder = unique("shared");
    let mut owner = Admin::connect(&d, "bob").await;
    owner.create(&folder).await;
    owner.append(&folder, None, &crate::helpers::message("shared")).await;
    owner.command(&format!("SETACL {folder} alice lr")).await;

    let app = TestApp::start(settings_for(&d)).await;
    let token = app.login("alice").await.access;
    let ns = app.get_json("/v1/namespaces", &token).await;
    assert_eq!(ns["otherUsers"], json!([{"prefix": "shared/", "delimiter": "/"}]), "{ns}");
    let shared = format!("shared/bob/{folder}");
    let all = names(&app.get_json("/v1/mailboxes?counts=false&namespaces=all", &token).await);
    assert!(all.contains(&(shared.clone(), Some("otherUsers".into()))), "{all:?}");
    let own = names(&app.get_json("/v1/mailboxes?counts=false", &token).await);
    assert!(!own.iter().any(|(n, _)| *n == shared), "{own:?}");

    let state = app.get_json(&format!("/v1/mailboxes/{}", seg(&shared)), &token).await;
    assert_eq!(state["myRights"], "lr", "{state}");
    let resp = app.append(&token, &shared, "", crate::helpers::message("not allowed")).await;
    let p = expect_problem(resp, StatusCode::FORBIDDEN, "missing-right").await;
    assert_eq!((p["missingRights"].as_str(), p["myRights"].as_str()), (Some("i"), Some("lr")), "{p}");
    let resp = app.patch_message(&token, &shared, 1, &json!({"keywords": {"$flagged": true}}), None).await;
    let p = expect_problem(resp, StatusCode::FORBIDDEN, "missing-right").await;
    assert_eq!(p["missingRights"], "w", "{p}");
    let after = app.get_json(&format!("/v1/mailboxes/{}", seg(&shared)), &token).await;
    assert_eq!(after["exists"], 1, "nothing was stored: {after}");

    owner.logout().await;
    dovecot_script("stop", dir, port, tls_port, &[]);
}
