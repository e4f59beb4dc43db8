//! Cross-tenant stress (issue 7): two accounts with marker messages, 2,000 concurrent mixed
//! requests with random client-side cancellations; no answer ever holds the other's marker.

use std::{sync::Arc, time::Duration};

use reqwest::StatusCode;

use crate::helpers::{Admin, TestApp, dovecot, message, seg, unique};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_mixed_requests_with_cancellations_never_cross_accounts() {
    let app = Arc::new(
        TestApp::spawn_with(|s| {
            s.protection.per_account_concurrency = 1000;
            s.pool.wait_timeout_ms = 20_000;
        })
        .await,
    );
    let mut accounts = Vec::new();
    for user in ["alice", "bob"] {
        let mailbox = unique("tenant");
        let marker = format!("MARKER-{user}-{}", uuid::Uuid::new_v4().simple());
        let mut admin = Admin::connect(dovecot(), user).await;
        admin.create(&mailbox).await;
        admin.append(&mailbox, None, &message(&marker)).await;
        admin.logout().await;
        let token = app.login(user).await.access;
        accounts.push((token, mailbox, marker));
    }
    let accounts = Arc::new(accounts);
    let mut tasks = Vec::new();
    for i in 0..2000usize {
        let (app, accounts) = (app.clone(), accounts.clone());
        tasks.push(tokio::spawn(async move {
            let me = i % 2;
            let (token, mailbox, _) = &accounts[me];
            let path = match (i / 2) % 4 {
                0 => format!("/v1/mailboxes/{}/messages", seg(mailbox)),
                1 => format!("/v1/mailboxes/{}/messages/1", seg(mailbox)),
                2 => format!("/v1/mailboxes/{}/messages/1/raw", seg(mailbox)),
                _ => format!("/v1/mailboxes/{}", seg(mailbox)),
            };
            let request = async {
                let resp = app.get(&path, token).await;
                let status = resp.status();
                (status, resp.text().await.unwrap_or_default())
            };
            // Every seventh request is abandoned after a few milliseconds, mid-flight.
            let outcome = if i % 7 == 0 {
                tokio::time::timeout(Duration::from_millis((i % 13) as u64 + 1), request).await.ok()
            } else {
                Some(request.await)
            };
            (me, outcome)
        }));
    }
    let (mut ok, mut cancelled) = (0, 0);
    for t in tasks {
        let (me, outcome) = t.await.expect("task");
        let Some((status, body)) = outcome else {
            cancelled += 1;
            continue;
        };
        let other = &accounts[1 - me].2;
        assert!(!body.contains(other.as_str()), "account {me} saw the other account's marker");
        assert!(!status.is_server_error() || status == StatusCode::GATEWAY_TIMEOUT, "{status}: {body}");
        if status == StatusCode::OK {
            ok += 1;
        }
    }
    assert!(ok > 1500 && cancelled > 50, "ok {ok}, cancelled {cancelled}");
    // Each account still reads its own marker.
    for (token, mailbox, marker) in accounts.iter() {
        let page = app.get_json(&format!("/v1/mailboxes/{}/messages", seg(mailbox)), token).await;
        assert_eq!(page["items"][0]["subject"], marker.as_str());
    }
}
