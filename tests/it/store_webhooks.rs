//! The webhook tables on SQLite and PostgreSQL (called from `store::exercise`): registration,
//! the queue (one enqueue per event, one lease per delivery), attempts, cursors and the
//! per-account dispatch lease.

use imap_gateway::internals::{Attempt, Store, Webhook};

pub async fn exercise(store: &Store, account: &str) {
    let hook = Webhook {
        id: "wh_1".into(),
        account_id: account.into(),
        url: "https://hooks.example.com/x".into(),
        events: vec!["message.created".into()],
        mailboxes: vec!["INBOX".into()],
        sealed_secret: "sealed".into(),
        created_at: 1,
    };
    assert!(store.insert_webhook(&hook, usize::MAX).await.expect("insert"));
    assert_eq!(store.webhooks(account).await.expect("list"), [hook]);
    assert_eq!(store.webhook_accounts().await.expect("accounts"), [account.to_string()]);

    // The same event is queued once, however often it is offered.
    assert!(store.enqueue_delivery("d1", "wh_1", "INBOX:e-1", "message.created", "{}", 100).await.expect("enqueue"));
    assert!(!store.enqueue_delivery("d1b", "wh_1", "INBOX:e-1", "message.created", "{}", 100).await.expect("again"));
    assert!(store.enqueue_delivery("d2", "wh_1", "INBOX:e-2", "message.created", "{}", 500).await.expect("enqueue"));
    let due: Vec<String> = store.due_deliveries(200, 10).await.expect("due").into_iter().map(|d| d.id).collect();
    assert_eq!(due, ["d1"], "d2 is not due yet");
    // Two workers race for it: one lease.
    let (x, y) = tokio::join!(store.claim_delivery("d1", 200, 5_000), store.claim_delivery("d1", 200, 5_000));
    assert_eq!([x.expect("x"), y.expect("y")].iter().filter(|c| **c).count(), 1);
    assert!(store.due_deliveries(200, 10).await.expect("due").is_empty(), "leased");
    let failed = Attempt { attempt: 1, at: 210, http_status: Some(503), error: Some("503".into()), duration_ms: 3 };
    assert!(store.finish_attempt("d1", &failed, "pending", 300).await.expect("finish"));
    assert_eq!(store.due_deliveries(300, 10).await.expect("due")[0].attempts, 1, "due again after the backoff");
    let ok = Attempt { attempt: 2, at: 310, http_status: Some(204), error: None, duration_ms: 2 };
    assert!(store.claim_delivery("d1", 310, 5_000).await.expect("claim"));
    assert!(store.finish_attempt("d1", &ok, "delivered", 0).await.expect("finish"));
    let recent = store.recent_deliveries("wh_1", 10).await.expect("recent");
    let d1 = recent.iter().find(|d| d.id == "d1").expect("d1");
    assert_eq!((d1.status.as_str(), d1.attempts, d1.history.len()), ("delivered", 2, 2));
    assert_eq!(d1.history[0].http_status, Some(503));

    // Cursors and dispatch leases.
    assert_eq!(store.webhook_cursor(account, "INBOX").await.expect("cursor"), None);
    store.set_webhook_cursor(account, "INBOX", "ms1.a").await.expect("set");
    store.set_webhook_cursor(account, "INBOX", "ms1.b").await.expect("set");
    assert_eq!(store.webhook_cursor(account, "INBOX").await.expect("cursor").as_deref(), Some("ms1.b"));
    assert!(store.lease_webhooks(account, "A", 1_000, 31_000).await.expect("lease"));
    assert!(!store.lease_webhooks(account, "B", 2_000, 32_000).await.expect("lease"), "A holds it");
    assert!(store.lease_webhooks(account, "A", 10_000, 40_000).await.expect("renew"));
    assert!(store.lease_webhooks(account, "B", 40_001, 70_000).await.expect("lease"), "A's expired");
    store.release_all_webhook_leases("B").await.expect("release");
    assert!(store.lease_webhooks(account, "A", 40_002, 70_000).await.expect("lease"), "released");

    assert!(store.delete_webhook(account, "wh_1").await.expect("delete"));
    assert!(!store.delete_webhook(account, "wh_1").await.expect("delete"));
    assert!(store.recent_deliveries("wh_1", 10).await.expect("recent").is_empty());
    // A webhook deleted during an attempt or while its events are queued: no foreign-key error.
    let late = Attempt { attempt: 1, at: 600, http_status: Some(204), error: None, duration_ms: 1 };
    assert!(!store.finish_attempt("d2", &late, "delivered", 0).await.expect("finish after delete"));
    assert!(!store.enqueue_delivery("d3", "wh_1", "INBOX:e-3", "message.created", "{}", 700).await.expect("enqueue"));
}
