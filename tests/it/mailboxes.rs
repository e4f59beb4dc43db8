//! Mailbox routes against a real Dovecot: names, isolation, injection, counts.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Admin, ImapServer, TestApp, both_servers, dovecot, expect_problem, message, seg, unique};

fn names(list: &Value) -> Vec<String> {
    list["items"].as_array().expect("items").iter().map(|m| m["name"].as_str().expect("name").to_string()).collect()
}

both_servers!(non_ascii_names_created_elsewhere_are_listed_and_examined, "dave");

async fn non_ascii_names_created_elsewhere_are_listed_and_examined(server: &'static ImapServer, user: &str) {
    let tag = unique("n");
    // (UTF-8 name, the modified UTF-7 the server stores), written out by hand so that the
    // gateway's own encoder is not used to check itself.
    let cases = [
        (format!("{tag}/Entwürfe"), format!("{tag}/Entw&APw-rfe")),
        (format!("{tag}/日本語"), format!("{tag}/&ZeVnLIqe-")),
        (format!("{tag}/A&B"), format!("{tag}/A&-B")),
    ];
    let mut admin = Admin::connect(server, user).await;
    for (_, wire) in &cases {
        admin.create(wire).await;
    }
    admin.append(&cases[1].1, Some("(\\Seen)"), &message("one")).await;
    admin.append(&cases[1].1, None, &message("two")).await;

    let app = TestApp::start(crate::helpers::settings_for(server)).await;
    let token = app.login(user).await.access;
    let list = app.get_json(&format!("/v1/mailboxes?pattern={}", seg(&format!("{tag}/*"))), &token).await;
    let mut got = names(&list);
    got.sort();
    let mut want: Vec<String> = cases.iter().map(|(n, _)| n.clone()).collect();
    want.sort();
    assert_eq!(got, want);

    let jp = list["items"].as_array().expect("items").iter().find(|m| m["name"] == cases[1].0).expect("日本語");
    assert_eq!(jp["counts"]["messages"], 2);
    assert_eq!(jp["counts"]["unseen"], 1);
    assert_eq!(jp["delimiter"], "/");
    assert_eq!(list["countsSource"], "listStatus");

    let state = app.get_json(&format!("/v1/mailboxes/{}", seg(&cases[1].0)), &token).await;
    assert_eq!(state["name"], cases[1].0);
    assert_eq!(state["exists"], 2);
    assert_eq!(state["unseen"], 1);
    assert_eq!(state["readOnly"], true);
    assert!(state["uidValidity"].as_u64().expect("uidValidity") > 0);
    assert_eq!(state["uidNext"], 3);
    assert!(state["highestModSeq"].as_str().expect("modseq as string").parse::<u64>().is_ok());

    let status = app.get_json(&format!("/v1/mailboxes/{}/status", seg(&cases[2].0)), &token).await;
    assert_eq!(status["name"], cases[2].0);
    assert_eq!(status["messages"], 0);

    let parent = app.get_json(&format!("/v1/mailboxes?pattern={}", seg(&tag)), &token).await;
    assert_eq!(parent["items"][0]["hasChildren"], true);

    for (_, wire) in cases.iter().rev() {
        admin.delete(wire).await;
    }
    admin.delete(&tag).await;
    admin.logout().await;
}

#[tokio::test]
async fn roles_subscription_filter_and_missing_mailboxes() {
    let app = TestApp::spawn().await;
    let token = app.login("judy").await.access;
    let list = app.get_json("/v1/mailboxes", &token).await;
    let role_of = |name: &str| {
        list["items"].as_array().expect("items").iter().find(|m| m["name"] == name).map(|m| m["role"].clone())
    };
    assert_eq!(role_of("INBOX"), Some(Value::from("inbox")));
    assert_eq!(role_of("Sent"), Some(Value::from("sent")));
    assert_eq!(role_of("Trash"), Some(Value::from("trash")));
    assert_eq!(role_of("Archive"), Some(Value::from("archive")));

    let subscribed = names(&app.get_json("/v1/mailboxes?subscribed=true&counts=false", &token).await);
    assert!(subscribed.contains(&"Sent".to_string()), "{subscribed:?}");
    assert!(!subscribed.contains(&"Archive".to_string()), "Archive is auto-created, not subscribed: {subscribed:?}");

    let missing = app.get(&format!("/v1/mailboxes/{}", seg(&unique("missing"))), &token).await;
    let body = expect_problem(missing, StatusCode::NOT_FOUND, "mailbox-not-found").await;
    assert_eq!(body["imap"]["status"], "NO");
    let missing = app.get(&format!("/v1/mailboxes/{}/status", seg(&unique("missing"))), &token).await;
    expect_problem(missing, StatusCode::NOT_FOUND, "mailbox-not-found").await;
    let bad = app.get("/v1/mailboxes?nonsense=1", &token).await;
    expect_problem(bad, StatusCode::BAD_REQUEST, "invalid-request").await;
    let unknown = app.get("/v1/nowhere", &token).await;
    expect_problem(unknown, StatusCode::NOT_FOUND, "not-found").await;
}

#[tokio::test]
async fn two_users_never_see_each_others_mailboxes_even_concurrently() {
    let marker = unique("alice-marker");
    let mut admin = Admin::connect(dovecot(), "alice").await;
    admin.create(&marker).await;

    let app = TestApp::spawn().await;
    let alice = app.login("alice").await.access;
    let bob = app.login("bob").await.access;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (http, url) = (app.http.clone(), app.url("/v1/mailboxes?counts=false"));
        let (who, token) = if i % 2 == 0 { ("alice", alice.clone()) } else { ("bob", bob.clone()) };
        tasks.push(tokio::spawn(async move {
            let resp = http.get(url).bearer_auth(token).send().await.expect("send");
            let status = resp.status();
            let text = resp.text().await.expect("body");
            assert_eq!(status, StatusCode::OK, "{text}");
            let body: Value = serde_json::from_str(&text).expect("json");
            (who, names(&body))
        }));
    }
    for task in tasks {
        let (who, names) = task.await.expect("task");
        assert_eq!(names.contains(&marker), who == "alice", "{who} sees {names:?}");
    }
    admin.delete(&marker).await;
    admin.logout().await;
}

both_servers!(a_mailbox_name_carrying_an_injected_command_is_rejected_and_harmless, "carol");

async fn a_mailbox_name_carrying_an_injected_command_is_rejected_and_harmless(server: &'static ImapServer, user: &str) {
    let victim = unique("victim");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&victim).await;
    let app = TestApp::start(crate::helpers::settings_for(server)).await;
    let token = app.login(user).await.access;

    for evil in [
        format!("x\"\r\nA1 DELETE \"{victim}"),
        format!("x\r\nA1 DELETE {victim}"),
        format!("x\nDELETE {victim}"),
        "x\0y".to_string(),
    ] {
        for path in [format!("/v1/mailboxes/{}", seg(&evil)), format!("/v1/mailboxes/{}/status", seg(&evil))] {
            let resp = app.get(&path, &token).await;
            expect_problem(resp, StatusCode::BAD_REQUEST, "invalid-argument").await;
        }
        let resp = app.get(&format!("/v1/mailboxes?pattern={}", seg(&evil)), &token).await;
        expect_problem(resp, StatusCode::BAD_REQUEST, "invalid-argument").await;
    }
    // Quotes and backslashes are legal in names: they travel escaped inside one argument.
    let quoted = format!("x\" DELETE \"{victim}\\");
    let resp = app.get(&format!("/v1/mailboxes/{}", seg(&quoted)), &token).await;
    expect_problem(resp, StatusCode::NOT_FOUND, "mailbox-not-found").await;

    assert!(admin.list().await.contains(&victim), "victim survives");
    // The gateway's connection is still in sync after all that.
    let state = app.get_json("/v1/mailboxes/INBOX", &token).await;
    assert_eq!(state["name"], "INBOX");
    admin.delete(&victim).await;
    admin.logout().await;
}

#[tokio::test]
async fn capabilities_report_server_and_gateway_features() {
    let app = TestApp::spawn().await;
    let token = app.login("alice").await.access;
    let caps = app.get_json("/v1/capabilities", &token).await;
    let imap: Vec<&str> = caps["imap"].as_array().expect("imap").iter().filter_map(Value::as_str).collect();
    assert!(imap.contains(&"IMAP4REV1") && imap.contains(&"LIST-STATUS"), "{imap:?}");
    assert_eq!(caps["imapVersion"], "IMAP4rev1");
    assert_eq!(caps["gateway"]["listStatus"], true);
    assert_eq!(caps["gateway"]["condstore"], true);
    assert_eq!(caps["gateway"]["maxConnectionsPerAccount"], 3);
}

/// The parts of a mailbox view that must not depend on how the list was obtained. (A parent
/// that exists only as a hierarchy level is `\\NonExistent` under LIST-EXTENDED and `\\Noselect`
/// under plain LIST; both mean `isSelectable: false`, which is compared.)
fn comparable(list: &Value) -> Vec<Value> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| {
            let mut attrs: Vec<String> = m["attributes"]
                .as_array()
                .expect("attributes")
                .iter()
                .map(|a| a.as_str().unwrap_or("").to_string())
                .collect();
            attrs.retain(|a| a != "\\NonExistent" && a != "\\Noselect");
            attrs.sort();
            serde_json::json!([m["name"], m["role"], m["isSubscribed"], m["isSelectable"], m["counts"], attrs])
        })
        .collect()
}

#[tokio::test]
async fn without_list_extended_the_list_falls_back_to_lsub_and_status_with_the_same_answer() {
    let tag = unique("fb");
    let mut admin = Admin::connect(dovecot(), "carol").await;
    admin.create(&format!("{tag}/Entw&APw-rfe")).await;
    admin.create(&format!("{tag}/plain")).await;
    admin.subscribe(&format!("{tag}/plain")).await;
    admin.append(&format!("{tag}/plain"), Some("(\\Seen)"), &message("a")).await;
    admin.append(&format!("{tag}/plain"), None, &message("b")).await;

    // Two gateways on one database and secret: one uses LIST-EXTENDED/LIST-STATUS, one may not.
    let settings = crate::helpers::settings_for(dovecot());
    let extended = TestApp::start(settings.clone()).await;
    let mut plain_settings = settings;
    plain_settings.imap.ignore_capabilities = vec!["LIST-EXTENDED".into(), "LIST-STATUS".into()];
    let basic = TestApp::start(plain_settings).await;
    let token = extended.login("carol").await.access;
    let pattern = format!("/v1/mailboxes?pattern={}", seg(&format!("{tag}*")));
    let a = extended.get_json(&pattern, &token).await;
    let b = basic.get_json(&pattern, &token).await;
    assert_eq!(a["countsSource"], "listStatus");
    assert_eq!(b["countsSource"], "status");
    assert_eq!(comparable(&a), comparable(&b));
    assert_eq!(names(&b), [tag.clone(), format!("{tag}/Entwürfe"), format!("{tag}/plain")]);
    let plain = &b["items"][2];
    assert_eq!((plain["counts"]["messages"].as_u64(), plain["counts"]["unseen"].as_u64()), (Some(2), Some(1)));
    assert_eq!(plain["isSubscribed"], true);

    let sub = format!("{pattern}&subscribed=true");
    let (a, b) = (extended.get_json(&sub, &token).await, basic.get_json(&sub, &token).await);
    assert_eq!(names(&a), [format!("{tag}/plain")]);
    assert_eq!(names(&a), names(&b));
    // LSUB carries no child information, so only subscription and counts are compared.
    assert_eq!(
        (&a["items"][0]["isSubscribed"], &a["items"][0]["counts"]),
        (&b["items"][0]["isSubscribed"], &b["items"][0]["counts"])
    );
    let caps = basic.get_json("/v1/capabilities", &token).await;
    assert_eq!(caps["gateway"]["listStatus"], false);

    admin.delete(&format!("{tag}/Entw&APw-rfe")).await;
    admin.delete(&format!("{tag}/plain")).await;
    admin.delete(&tag).await;
    admin.logout().await;
}

both_servers!(state_tokens_are_etags_and_change_with_the_mailbox, dovecot: "frank", cyrus: "bob");

async fn state_tokens_are_etags_and_change_with_the_mailbox(server: &'static ImapServer, user: &str) {
    let mailbox = unique("st");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&mailbox).await;
    let app = TestApp::start(crate::helpers::settings_for(server)).await;
    let token = app.login(user).await.access;
    let url = app.url(&format!("/v1/mailboxes/{}", seg(&mailbox)));
    let get = |etag: Option<String>| {
        let mut req = app.http.get(&url).bearer_auth(&token);
        if let Some(e) = etag {
            req = req.header("if-none-match", e);
        }
        req.send()
    };
    let first = get(None).await.expect("GET");
    let etag = first.headers()["etag"].to_str().expect("etag").to_string();
    let body: Value = first.json().await.expect("json");
    // The ETag is the state, and the account's rights on the mailbox where the server has ACL.
    let state = body["state"].as_str().expect("state");
    let want = match body["myRights"].as_str() {
        Some(rights) => format!("\"{state}.{rights}\""),
        None => format!("\"{state}\""),
    };
    assert_eq!(etag, want);
    assert_eq!(get(Some(etag.clone())).await.expect("GET").status(), StatusCode::NOT_MODIFIED);

    let list_url = format!("/v1/mailboxes?pattern={}", seg(&mailbox));
    let list = app.get(&list_url, &token).await;
    let list_etag = list.headers()["etag"].to_str().expect("etag").to_string();
    let list_body: Value = list.json().await.expect("json");
    assert_eq!(list_body["items"][0]["state"], body["state"], "LIST-STATUS and EXAMINE agree on the state");
    let again = app
        .http
        .get(app.url(&list_url))
        .bearer_auth(&token)
        .header("if-none-match", &list_etag)
        .send()
        .await
        .expect("list");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    admin.append(&mailbox, None, &message("news")).await;
    let changed = get(Some(etag.clone())).await.expect("GET");
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()["etag"].to_str().expect("etag"), etag);
    let again = app
        .http
        .get(app.url(&list_url))
        .bearer_auth(&token)
        .header("if-none-match", &list_etag)
        .send()
        .await
        .expect("list");
    assert_eq!(again.status(), StatusCode::OK, "the list changed too");
    admin.delete(&mailbox).await;
    admin.logout().await;
}
