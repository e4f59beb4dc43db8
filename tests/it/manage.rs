//! Creating, renaming, deleting and subscribing mailboxes against real servers.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Admin, TestApp, cyrus, dovecot, expect_problem, message, seg, settings_for, unique};

fn names(list: &Value) -> Vec<String> {
    list["items"].as_array().expect("items").iter().map(|m| m["name"].as_str().expect("name").to_string()).collect()
}

#[tokio::test]
async fn create_rename_subscribe_and_delete_mailboxes() {
    let app = TestApp::spawn().await;
    let token = app.login("grace").await.access;
    let tag = unique("mg");

    // Missing parents are created; the new mailbox comes back with a Location.
    let resp = app.create_mailbox(&token, json!({"name": format!("{tag}/Projekte/Entwürfe")})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(
        resp.headers()["location"],
        format!("/v1/mailboxes/{}", seg(&format!("{tag}/Projekte/Entwürfe"))).as_str()
    );
    let created: Value = resp.json().await.expect("json");
    assert_eq!(
        (created["name"].clone(), created["isSubscribed"].clone()),
        (json!(format!("{tag}/Projekte/Entwürfe")), json!(true))
    );
    let list = app.get_json(&format!("/v1/mailboxes?pattern={}", seg(&format!("{tag}*"))), &token).await;
    assert_eq!(names(&list), [tag.clone(), format!("{tag}/Projekte"), format!("{tag}/Projekte/Entwürfe")]);
    assert_eq!(list["items"][0]["isSelectable"], true, "the parent is a real mailbox");

    let resp = app.create_mailbox(&token, json!({"name": "Entwürfe", "parent": format!("{tag}/Projekte")})).await;
    expect_problem(resp, StatusCode::CONFLICT, "already-exists").await;
    // Dovecot has no CREATE-SPECIAL-USE: the request is fine, the server cannot do it.
    let resp = app.create_mailbox(&token, json!({"name": format!("{tag}/x"), "role": "archive"})).await;
    expect_problem(resp, StatusCode::FORBIDDEN, "role-not-supported").await;
    let resp = app.create_mailbox(&token, json!({"name": "a\r\nb"})).await;
    expect_problem(resp, StatusCode::BAD_REQUEST, "invalid-argument").await;

    // Rename moves the children.
    let resp = app.rename_mailbox(&token, &format!("{tag}/Projekte"), &format!("{tag}/Archiv")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let list = app.get_json(&format!("/v1/mailboxes?pattern={}&counts=false", seg(&format!("{tag}*"))), &token).await;
    assert_eq!(names(&list), [tag.clone(), format!("{tag}/Archiv"), format!("{tag}/Archiv/Entwürfe")]);
    let resp = app.rename_mailbox(&token, "INBOX", "Old").await;
    expect_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "inbox-rename").await;
    // Not below itself; a sibling whose name merely starts alike is fine.
    let resp = app.rename_mailbox(&token, &format!("{tag}/Archiv"), &format!("{tag}/Archiv/Neu")).await;
    expect_problem(resp, StatusCode::CONFLICT, "rename-below-itself").await;
    let list = app.get_json(&format!("/v1/mailboxes?pattern={}&counts=false", seg(&format!("{tag}*"))), &token).await;
    assert_eq!(names(&list), [tag.clone(), format!("{tag}/Archiv"), format!("{tag}/Archiv/Entwürfe")], "unchanged");

    // Subscriptions.
    let archiv = format!("{tag}/Archiv");
    assert_eq!(app.subscribe(&token, &archiv, false).await.status(), StatusCode::NO_CONTENT);
    let subscribed = app
        .get_json(&format!("/v1/mailboxes?subscribed=true&counts=false&pattern={}", seg(&format!("{tag}*"))), &token)
        .await;
    assert!(!names(&subscribed).contains(&format!("{tag}/Archiv")));
    assert_eq!(app.subscribe(&token, &archiv, true).await.status(), StatusCode::NO_CONTENT);
    let subscribed = app
        .get_json(&format!("/v1/mailboxes?subscribed=true&counts=false&pattern={}", seg(&format!("{tag}*"))), &token)
        .await;
    assert!(names(&subscribed).contains(&format!("{tag}/Archiv")));

    // Delete: refused with children, recursive deletes all; INBOX never.
    let resp = app.delete_mailbox(&token, &tag, false).await;
    expect_problem(resp, StatusCode::CONFLICT, "mailbox-has-child").await;
    let resp = app.delete_mailbox(&token, &tag, true).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let list = app.get_json(&format!("/v1/mailboxes?pattern={}&counts=false", seg(&format!("{tag}*"))), &token).await;
    assert_eq!(names(&list), Vec::<String>::new());
    let resp = app.delete_mailbox(&token, "INBOX", false).await;
    expect_problem(resp, StatusCode::FORBIDDEN, "cannot").await;
    let resp = app.delete_mailbox(&token, &unique("none"), false).await;
    expect_problem(resp, StatusCode::NOT_FOUND, "mailbox-not-found").await;
}

#[tokio::test]
async fn a_selected_mailbox_can_be_renamed_and_deleted_and_cyrus_creates_roles() {
    // Dovecot: the pooled connection has the mailbox selected when it is renamed and deleted.
    let app = TestApp::spawn_with(|s| s.pool.per_account_max = 1).await;
    let token = app.login("grace").await.access;
    let name = unique("sel");
    let mut admin = Admin::connect(dovecot(), "grace").await;
    admin.create(&name).await;
    admin.append(&name, None, &message("keep me")).await;
    assert_eq!(app.get_json(&format!("/v1/mailboxes/{}", seg(&name)), &token).await["exists"], 1);
    let renamed = format!("{name}-renamed");
    let resp = app.rename_mailbox(&token, &name, &renamed).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let moved = app.get_json(&format!("/v1/mailboxes/{}/messages", seg(&renamed)), &token).await;
    assert_eq!(moved["items"][0]["subject"], "keep me");
    let resp = app.delete_mailbox(&token, &renamed, false).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    admin.logout().await;

    // Cyrus offers CREATE-SPECIAL-USE.
    let cy = TestApp::start(settings_for(cyrus())).await;
    let token = cy.login("carol").await.access;
    let archive = unique("arch");
    let resp = cy.create_mailbox(&token, json!({"name": archive, "role": "archive", "subscribe": false})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let view: Value = resp.json().await.expect("json");
    assert_eq!((view["role"].clone(), view["isSubscribed"].clone()), (json!("archive"), json!(false)));
    let resp = cy.delete_mailbox(&token, &archive, false).await;
    // Cyrus protects special-use mailboxes (specialuse_protect): its NO comes back faithfully.
    let problem = expect_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "imap-refused").await;
    assert_eq!(problem["imap"]["command"], "DELETE");
    assert!(problem["imap"]["text"].as_str().expect("text").contains("SPECIAL-USE"), "{problem}");
}
