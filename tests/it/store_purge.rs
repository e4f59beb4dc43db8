//! The scheduled purges on SQLite and PostgreSQL: expired refresh tokens, families revoked or
//! emptied more than the grace period ago (a revoked family still denies its access tokens
//! within it), finished webhook deliveries past their retention (pending ones stay), and
//! expired event tickets.

use imap_gateway::internals::{Attempt, EventTicket, PurgedTokens, Store, Webhook};

async fn exercise(url: &str) {
    let store = Store::connect(url, 5).await.expect("connect");
    store.migrate().await.expect("migrate");
    let a = store.ensure_account("default", "purge-user").await.expect("account");
    let t = imap_gateway::internals::now();
    for f in ["live", "expiring", "revoked"] {
        store.insert_family(f, &a.id).await.expect("family");
    }
    assert!(store.insert_refresh("r-live", "live", &a.id, t + 100).await.expect("insert"));
    assert!(store.insert_refresh("r-expiring", "expiring", &a.id, t + 10).await.expect("insert"));
    assert!(store.insert_refresh("r-revoked", "revoked", &a.id, t + 1000).await.expect("insert"));
    store.revoke_family("revoked").await.expect("revoke");

    // 50 s later, grace 100 s: only the expired token goes; the revoked family still denies
    // its access tokens; the emptied family is younger than the grace period.
    let first = store.purge_tokens(t + 50, 100).await.expect("purge");
    assert_eq!(first, PurgedTokens { refresh_tokens: 1, families: 0 });
    assert!(store.refresh_family("r-expiring").await.expect("lookup").is_none());
    assert!(store.refresh_family("r-live").await.expect("lookup").is_some());
    assert!(store.access_revoked("some-jti", "revoked").await.expect("check"), "revoked within the grace period");
    assert!(!store.family_revoked("live").await.expect("live"));

    // 200 s later: the live token expired, the revoked family is past the grace period.
    let second = store.purge_tokens(t + 200, 100).await.expect("purge");
    assert_eq!(second, PurgedTokens { refresh_tokens: 2, families: 3 });
    assert!(store.refresh_family("r-revoked").await.expect("lookup").is_none());
    assert_eq!(store.purge_tokens(t + 200, 100).await.expect("again"), PurgedTokens::default(), "idempotent");

    // Deliveries: finished ones older than the retention go with their attempts.
    let hook = Webhook {
        id: "wh_purge".into(),
        account_id: a.id.clone(),
        url: "https://hooks.example.com/x".into(),
        events: vec!["message.created".into()],
        mailboxes: vec!["INBOX".into()],
        sealed_secret: "sealed".into(),
        created_at: 1,
    };
    assert!(store.insert_webhook(&hook, usize::MAX).await.expect("webhook"));
    let now_ms = imap_gateway::internals::now_ms();
    let day_ms = 24 * 3600 * 1000;
    let old = now_ms - 8 * day_ms;
    for (id, at) in [("d-old", old), ("d-old-failed", old), ("d-old-pending", old), ("d-new", now_ms)] {
        assert!(store.enqueue_delivery(id, "wh_purge", id, "message.created", "{}", at).await.expect("enqueue"));
    }
    for (id, status) in [("d-old", "delivered"), ("d-old-failed", "failed"), ("d-new", "delivered")] {
        assert!(store.claim_delivery(id, now_ms, now_ms + 10_000).await.expect("claim"));
        let a = Attempt { attempt: 1, at: now_ms, http_status: Some(204), error: None, duration_ms: 1 };
        assert!(store.finish_attempt(id, &a, status, 0).await.expect("finish"));
    }
    assert_eq!(store.purge_deliveries(now_ms - 7 * day_ms).await.expect("purge"), 2);
    let mut left: Vec<String> =
        store.recent_deliveries("wh_purge", 10).await.expect("recent").into_iter().map(|d| d.id).collect();
    left.sort();
    assert_eq!(left, ["d-new", "d-old-pending"]);
    assert_eq!(store.purge_deliveries(now_ms - 7 * day_ms).await.expect("again"), 0);
    event_tickets(&store, t).await;
}

/// Event tickets: taken once, never after they expire, at most `limit` unexpired per account,
/// and purged once expired.
async fn event_tickets(store: &Store, t: i64) {
    let ticket = |account: &str| EventTicket {
        account_id: account.into(),
        mailboxes: r#"["INBOX"]"#.into(),
        last_event_id: Some("5f-3".into()),
        claims: "{}".into(),
    };
    assert!(store.put_event_ticket("h-live", &ticket("acct-a"), t, t + 60, 2).await.expect("put"));
    assert!(store.put_event_ticket("h-old", &ticket("acct-a"), t - 100, t - 40, 2).await.expect("put"));
    // h-old has expired at t: acct-a holds one unexpired ticket, so one more fits, not two.
    assert!(store.put_event_ticket("h-second", &ticket("acct-a"), t, t + 60, 2).await.expect("put"));
    assert!(!store.put_event_ticket("h-third", &ticket("acct-a"), t, t + 60, 2).await.expect("put"));
    assert!(store.put_event_ticket("h-other", &ticket("acct-b"), t, t + 60, 2).await.expect("put"), "per account");
    assert_eq!(store.take_event_ticket("h-live", t).await.expect("take"), Some(ticket("acct-a")));
    assert_eq!(store.take_event_ticket("h-live", t).await.expect("take"), None, "single use");
    assert_eq!(store.take_event_ticket("h-old", t).await.expect("take"), None, "expired");
    assert_eq!(store.take_event_ticket("h-second", t + 60).await.expect("take"), None, "expires at expires_at");
    let none = EventTicket { last_event_id: None, ..ticket("acct-c") };
    assert!(store.put_event_ticket("h-expiring", &none, t, t + 10, 2).await.expect("put"));
    assert_eq!(store.purge_event_tickets(t + 11).await.expect("purge"), 1, "only the one past its time");
    assert_eq!(store.take_event_ticket("h-other", t + 11).await.expect("take"), Some(ticket("acct-b")));
}

#[tokio::test]
async fn purges_work_on_sqlite() {
    exercise(&crate::store::sqlite_url()).await;
}

#[tokio::test]
async fn purges_work_on_postgresql() {
    let (name, url) = crate::store::fresh_pg().await;
    exercise(&url).await;
    crate::store::drop_pg(&name).await;
}
