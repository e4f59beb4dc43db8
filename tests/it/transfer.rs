//! COPY, MOVE (and its UIDPLUS fallback) and deleting messages against a real Dovecot.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Admin, ImapServer, TestApp, both_servers, expect_problem, message, seg, settings_for, unique};

fn subjects(page: &Value) -> Vec<String> {
    page["items"].as_array().expect("items").iter().map(|m| m["subject"].as_str().unwrap_or("").to_string()).collect()
}

both_servers!(copy_move_and_delete_with_uid_mappings, dovecot: "judy", cyrus: "eve");

async fn copy_move_and_delete_with_uid_mappings(server: &'static ImapServer, user: &str) {
    let (src, dst) = (unique("src"), unique("dst"));
    let mut admin = Admin::connect(server, user).await;
    admin.create(&src).await;
    admin.create(&dst).await;
    for i in 1..=4 {
        admin.append(&src, None, &message(&format!("t{i}"))).await;
    }
    // A message already marked \Deleted must survive every move, including the fallback.
    admin.append(&src, Some("(\\Deleted)"), &message("bystander")).await;
    let settings = settings_for(server);
    let app = TestApp::start(settings.clone()).await;
    let token = app.login(user).await.access;

    let copied: Value =
        app.copy_messages(&token, &src, json!({"uids": [1, 2], "destination": dst})).await.json().await.expect("json");
    assert_eq!(copied["mapping"], json!([{"uid": 1, "newUid": 1}, {"uid": 2, "newUid": 2}]));
    assert!(copied["uidValidity"].as_u64().is_some());
    let moved: Value =
        app.move_messages(&token, &src, json!({"uids": [3], "destination": dst})).await.json().await.expect("json");
    assert_eq!(moved["mapping"], json!([{"uid": 3, "newUid": 3}]));

    // MOVE without the MOVE extension: COPY + \Deleted + UID EXPUNGE of exactly that UID.
    let mut no_move = settings.clone();
    no_move.imap.ignore_capabilities = vec!["MOVE".into()];
    let fallback = TestApp::start(no_move).await;
    let moved: Value = fallback
        .move_messages(&token, &src, json!({"uids": [4], "destination": dst}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(moved["mapping"], json!([{"uid": 4, "newUid": 4}]));
    let mut neither = settings;
    neither.imap.ignore_capabilities = vec!["MOVE".into(), "UIDPLUS".into()];
    let refusing = TestApp::start(neither).await;
    let resp = refusing.move_messages(&token, &src, json!({"uids": [1], "destination": dst})).await;
    expect_problem(resp, StatusCode::NOT_IMPLEMENTED, "unsupported").await;

    let source = app.get_json(&format!("/v1/mailboxes/{}/messages", seg(&src)), &token).await;
    assert_eq!(subjects(&source), ["bystander", "t2", "t1"], "moved ones left, the \\Deleted bystander stayed");
    let dest = app.get_json(&format!("/v1/mailboxes/{}/messages", seg(&dst)), &token).await;
    assert_eq!(subjects(&dest), ["t4", "t3", "t2", "t1"]);

    let resp = app.copy_messages(&token, &src, json!({"uids": [1], "destination": unique("missing")})).await;
    let body = expect_problem(resp, StatusCode::NOT_FOUND, "mailbox-not-found").await;
    assert_eq!(body["detail"], "the destination mailbox does not exist");

    // Delete: to Trash first, for good with permanent=true.
    let del = |uid: u32, permanent: bool| app.delete_message(&token, &dst, uid, permanent);
    let res: Value = del(1, false).await.json().await.expect("json");
    assert_eq!((res["action"].clone(), res["mailbox"].clone()), (json!("trash"), json!("Trash")));
    let trash_uid = res["newUid"].as_u64().expect("uid in Trash");
    let in_trash = app.get_json(&format!("/v1/mailboxes/Trash/messages/{trash_uid}"), &token).await;
    assert_eq!(in_trash["subject"], "t1");
    let res: Value = del(2, true).await.json().await.expect("json");
    assert_eq!(res["action"], "expunged");
    let dest = app.get_json(&format!("/v1/mailboxes/{}/messages", seg(&dst)), &token).await;
    assert_eq!(subjects(&dest), ["t4", "t3"]);
    expect_problem(del(2, false).await, StatusCode::NOT_FOUND, "message-not-found").await;
    let trash_delete = app.delete_message(&token, "Trash", u32::try_from(trash_uid).expect("uid"), false).await;
    let res: Value = trash_delete.json().await.expect("json");
    assert_eq!(res["action"], "expunged", "deleting inside Trash expunges");

    admin.delete(&src).await;
    admin.delete(&dst).await;
    admin.logout().await;
}
