//! SELECT, NOOP, CHECK, CLOSE and EXPUNGE routes against a real Dovecot, checked with a
//! separate IMAP client.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Admin, ImapServer, TestApp, both_servers, expect_problem, message, seg, settings_for, unique};

both_servers!(state_commands_and_exact_expunges, dovecot: "mallory", cyrus: "eve");

async fn state_commands_and_exact_expunges(server: &'static ImapServer, user: &str) {
    let mailbox = unique("state");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&mailbox).await;
    for (i, flags) in [(1, Some("(\\Deleted)")), (2, Some("(\\Deleted)")), (3, None), (4, Some("(\\Deleted)"))] {
        admin.append(&mailbox, flags, &message(&format!("s{i}"))).await;
    }
    let settings = settings_for(server);
    let app = TestApp::start(settings.clone()).await;
    let token = app.login(user).await.access;
    let command = |name: &'static str| app.mailbox_command(&token, &mailbox, name);

    let selected: Value = command("select").await.json().await.expect("json");
    assert_eq!((selected["exists"].clone(), selected["readOnly"].clone()), (json!(4), json!(false)));
    assert!(selected["permanentFlags"].as_array().expect("flags").iter().any(|f| f == "\\*"));
    let noop: Value = command("noop").await.json().await.expect("json");
    assert_eq!(noop["exists"], 4);
    assert_eq!(command("check").await.status(), StatusCode::NO_CONTENT);

    let expunge = |body: Value| app.expunge(&token, &mailbox, body);
    // Exactly UID 1 (and UID 3 is not \Deleted, so it stays): 2 and 4 survive though \Deleted.
    let res: Value = expunge(json!({"uids": [1, 3]})).await.json().await.expect("json");
    assert_eq!(res["expunged"], json!([1]));
    let page = app.get_json(&format!("/v1/mailboxes/{}/messages", seg(&mailbox)), &token).await;
    let uids: Vec<u64> =
        page["items"].as_array().expect("items").iter().map(|m| m["uid"].as_u64().unwrap_or(0)).collect();
    assert_eq!(uids, [4, 3, 2]);
    let mut no_uidplus = settings;
    no_uidplus.imap.ignore_capabilities = vec!["UIDPLUS".into()];
    let plain = TestApp::start(no_uidplus).await;
    let resp = plain.expunge(&token, &mailbox, json!({"uids": [2]})).await;
    expect_problem(resp, StatusCode::NOT_IMPLEMENTED, "unsupported").await;

    // UNSELECT keeps \Deleted messages; CLOSE expunges them; EXPUNGE all=true too.
    assert_eq!(command("close?expunge=false").await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_json(&format!("/v1/mailboxes/{}", seg(&mailbox)), &token).await["exists"], 3);
    let res: Value = expunge(json!({"all": true})).await.json().await.expect("json");
    assert_eq!(res["expunged"], json!([2, 4]));
    admin.append(&mailbox, Some("(\\Deleted)"), &message("s5")).await;
    assert_eq!(command("close").await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_json(&format!("/v1/mailboxes/{}", seg(&mailbox)), &token).await["exists"], 1);
    let flags = admin.flags(&mailbox, 3).await;
    assert!(!flags.iter().any(|f| f.contains("Deleted")), "the survivor is intact: {flags:?}");
    admin.delete(&mailbox).await;
    admin.logout().await;
}
