//! A webhook's registration against a real Dovecot: once the 201 is out, every change of its
//! mailboxes is delivered, even while the account's dispatcher starts over for it.

use std::{collections::BTreeMap, time::Duration};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{Admin, TestApp, dovecot, message, unique},
    webhooks::receiver,
};

const USER: &str = "grace";

/// Registrations one after another on one mailbox, each followed at once by a message: the
/// first starts the dispatcher, each later one makes it start over with one more webhook. A
/// message reaches every webhook registered before it, once. (One appended just before a
/// registration may reach the new webhook too: the dispatcher may see it only after.)
#[tokio::test]
async fn every_change_after_a_registrations_201_is_delivered() {
    let app = TestApp::spawn_with(|s| {
        s.webhooks.allow_http = true;
        s.webhooks.allow_internal = true;
        s.webhooks.poll_ms = 100;
    })
    .await;
    let token = app.login(USER).await.access;
    let (rx, url) = receiver().await;
    let mut admin = Admin::connect(dovecot(), USER).await;
    let mailbox = unique("reg");
    admin.create(&mailbox).await;
    const MESSAGES: u64 = 5;
    // Each webhook, and the UID of the first message appended after its 201.
    let mut hooks = BTreeMap::new();
    for uid in 1..=MESSAGES {
        let resp = app
            .create_webhook(&token, json!({"url": url, "mailboxes": [mailbox], "events": ["message.created"]}))
            .await;
        let status = resp.status();
        let body: Value = resp.json().await.expect("json");
        assert_eq!(status, StatusCode::CREATED, "{body}");
        hooks.insert(body["id"].as_str().expect("id").to_string(), uid);
        admin.append(&mailbox, None, &message("right after the 201")).await;
    }
    // Each webhook's UIDs in the order delivered, from the first one appended after its 201.
    let delivered = || {
        let mut got: BTreeMap<String, Vec<u64>> = hooks.keys().map(|id| (id.clone(), Vec::new())).collect();
        for (_, _, _, body) in rx.got.lock().expect("lock").iter() {
            let v: Value = serde_json::from_str(body).expect("JSON body");
            let id = v["webhookId"].as_str().expect("webhookId");
            let first = hooks.get(id).copied().expect("one of the webhooks");
            let uids = v["uids"].as_array().expect("uids").iter().map(|u| u.as_u64().expect("uid"));
            got.entry(id.to_string()).or_default().extend(uids.filter(|u| *u >= first));
        }
        got
    };
    let want: BTreeMap<String, Vec<u64>> =
        hooks.iter().map(|(id, first)| (id.clone(), (*first..=MESSAGES).collect())).collect();
    for _ in 0..100 {
        if delivered() == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(delivered(), want, "each message reaches every webhook registered before it, once");
    admin.logout().await;
}
