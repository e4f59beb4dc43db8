//! Webhooks under pressure: one account's receivers that never answer do not stall another
//! account's deliveries, and the per-account webhook cap holds when creates race (through the
//! route, and in the store on SQLite and PostgreSQL).

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use imap_gateway::internals::{Store, Webhook};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{Admin, TestApp, dovecot, message, unique},
    webhooks::receiver,
};

/// A receiver that accepts connections and never answers; counts the connections.
async fn silent_receiver() -> (Arc<AtomicUsize>, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().expect("addr").port());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (accepted, url)
}

async fn register(app: &TestApp, token: &str, url: &str, mailbox: &str) -> reqwest::Response {
    app.create_webhook(token, json!({"url": url, "mailboxes": [mailbox]})).await
}

#[tokio::test]
async fn a_receiver_that_never_answers_does_not_stall_other_accounts() {
    const TIMEOUT_MS: u64 = 10_000;
    let app = TestApp::spawn_with(|s| {
        s.webhooks.allow_http = true;
        s.webhooks.allow_internal = true;
        s.webhooks.poll_ms = 100;
        s.webhooks.timeout_ms = TIMEOUT_MS;
    })
    .await;
    let per_account = app.settings.webhooks.per_account_concurrency;
    assert!(per_account < app.settings.webhooks.concurrency, "one account gets a share of the workers");
    let (silent, silent_url) = silent_receiver().await;
    let (rx, ok_url) = receiver().await;

    // Account A: ten webhooks on a receiver that never answers.
    let (mailbox_a, mailbox_b) = (unique("stall"), unique("fair"));
    let mut admin_a = Admin::connect(dovecot(), "peggy").await;
    admin_a.create(&mailbox_a).await;
    let token_a = app.login("peggy").await.access;
    for _ in 0..app.settings.webhooks.per_account_max {
        let resp = register(&app, &token_a, &silent_url, &mailbox_a).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    // Account B: one webhook on a receiver that answers.
    let mut admin_b = Admin::connect(dovecot(), "olivia").await;
    admin_b.create(&mailbox_b).await;
    let token_b = app.login("olivia").await.access;
    let hook_b = register(&app, &token_b, &ok_url, &mailbox_b).await;
    assert_eq!(hook_b.status(), StatusCode::CREATED);

    // A's changes queue dozens of deliveries (two events per message and webhook).
    for i in 0..3 {
        admin_a.append(&mailbox_a, None, &message(&format!("stall {i}"))).await;
    }
    let start = Instant::now();
    while silent.load(Ordering::SeqCst) == 0 {
        assert!(start.elapsed() < Duration::from_secs(20), "A's deliveries never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // B's delivery arrives while A's receivers hang.
    admin_b.append(&mailbox_b, None, &message("fair")).await;
    let appended = Instant::now();
    let created_b = || {
        rx.got.lock().expect("lock").iter().any(|(_, _, _, body)| {
            let v: Value = serde_json::from_str(body).expect("JSON body");
            v["type"] == "message.created" && v["uids"] == json!([1])
        })
    };
    while !created_b() && appended.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let waited = appended.elapsed();
    let hanging = silent.load(Ordering::SeqCst);
    assert!(created_b(), "B's delivery never arrived");
    assert!(waited < Duration::from_secs(5), "B waited {waited:?} behind A's silent receivers");
    eprintln!("B's delivery arrived after {waited:?}; A's silent receiver holds {hanging} connections");
    assert!(hanging <= per_account, "A holds {hanging} workers, more than its share of {per_account}");

    // A receiver that never answers is given up after the attempt's deadline.
    let hooks = app.get_json("/v1/webhooks", &token_a).await;
    let ids: Vec<String> =
        hooks["items"].as_array().expect("items").iter().map(|h| h["id"].as_str().expect("id").to_string()).collect();
    let mut timed_out = None;
    for _ in 0..400 {
        for id in &ids {
            let d = app.get_json(&format!("/v1/webhooks/{id}/deliveries"), &token_a).await;
            timed_out = d["items"]
                .as_array()
                .expect("items")
                .iter()
                .flat_map(|i| i["history"].as_array().cloned().unwrap_or_default())
                .find(|a| a["error"] == "timed out");
            if timed_out.is_some() {
                break;
            }
        }
        if timed_out.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let attempt = timed_out.expect("an attempt on the silent receiver timed out");
    let took = attempt["durationMs"].as_u64().expect("durationMs");
    assert!(
        (TIMEOUT_MS - 1_000..TIMEOUT_MS + 5_000).contains(&took),
        "a silent receiver is bounded by the attempt's deadline: {took} ms"
    );
    admin_a.logout().await;
    admin_b.logout().await;
}

#[tokio::test]
async fn parallel_creates_never_exceed_the_per_account_cap() {
    const CAP: usize = 3;
    let app = TestApp::spawn_with(|s| s.webhooks.per_account_max = CAP).await;
    let mailbox = unique("cap");
    let mut admin = Admin::connect(dovecot(), "oscar").await;
    admin.create(&mailbox).await;
    let token = app.login("oscar").await.access;
    // A public address literal: accepted without any lookup, and nothing is sent to it (the
    // mailbox stays unchanged).
    let creates = (0..12).map(|_| register(&app, &token, "https://93.184.216.34/hook", &mailbox));
    let answers = futures_util::future::join_all(creates).await;
    let mut created = 0;
    for resp in answers {
        match resp.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {
                let body: Value = resp.json().await.expect("problem");
                assert_eq!(body["type"], "https://imap-gateway.dev/problems/too-many-webhooks", "{body}");
            }
            other => panic!("unexpected {other}: {}", resp.text().await.unwrap_or_default()),
        }
    }
    let listed = app.get_json("/v1/webhooks", &token).await["items"].as_array().expect("items").len();
    assert_eq!((created, listed), (CAP, CAP), "exactly the cap is created, however the creates race");
    admin.logout().await;
}

/// Eighty racing inserts with a cap of five leave five rows; due deliveries take turns.
async fn capped_and_fair(url: &str) {
    let store = Store::connect(url, 8).await.expect("connect");
    store.migrate().await.expect("migrate");
    let account = store.ensure_account("default", "racer").await.expect("account").id;
    let hook = |i: usize| Webhook {
        id: format!("wh_race_{i}"),
        account_id: account.clone(),
        url: "https://hooks.example.com/x".into(),
        events: vec!["message.created".into()],
        mailboxes: vec!["INBOX".into()],
        sealed_secret: "sealed".into(),
        created_at: i as i64,
    };
    let hooks: Vec<Webhook> = (0..80).map(hook).collect();
    let inserted = futures_util::future::join_all(hooks.iter().map(|h| store.insert_webhook(h, 5))).await;
    let won = inserted.into_iter().map(|r| r.expect("insert")).filter(|w| *w).count();
    assert_eq!(won, 5);
    assert_eq!(store.webhooks(&account).await.expect("list").len(), 5);
    assert!(!store.insert_webhook(&hook(99), 5).await.expect("insert"), "full");
    assert!(store.insert_webhook(&hook(98), 6).await.expect("insert"), "below a higher cap");

    // Due deliveries take turns between accounts: A's backlog does not hide B's delivery.
    let other = store.ensure_account("default", "patient").await.expect("account").id;
    let b_hook = Webhook { id: "wh_b".into(), account_id: other.clone(), ..hook(0) };
    assert!(store.insert_webhook(&b_hook, 5).await.expect("insert"));
    let a_hook = store.webhooks(&account).await.expect("list")[0].id.clone();
    for i in 0..5 {
        let key = format!("INBOX:a-{i}");
        assert!(
            store
                .enqueue_delivery(&format!("a{i}"), &a_hook, &key, "message.created", "{}", 10 + i)
                .await
                .expect("enqueue")
        );
    }
    assert!(store.enqueue_delivery("b0", "wh_b", "INBOX:b-0", "message.created", "{}", 100).await.expect("enqueue"));
    let due = store.due_deliveries(1_000, 3).await.expect("due");
    let order: Vec<(&str, &str)> = due.iter().map(|d| (d.id.as_str(), d.account_id.as_str())).collect();
    assert_eq!(order, [("a0", account.as_str()), ("b0", other.as_str()), ("a1", account.as_str())]);
}

#[tokio::test]
async fn the_webhook_cap_holds_under_a_race_and_accounts_take_turns_on_sqlite() {
    capped_and_fair(&crate::store::sqlite_url()).await;
}

#[tokio::test]
async fn the_webhook_cap_holds_under_a_race_and_accounts_take_turns_on_postgresql() {
    let (name, url) = crate::store::fresh_pg().await;
    capped_and_fair(&url).await;
    crate::store::drop_pg(&name).await;
}
