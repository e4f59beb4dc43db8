//! Reused selections and cached summaries never serve stale data: after another client adds a
//! message, changes a flag and expunges a message, the next page and reads show all of it, on
//! the same pooled connection; with the default resync window, reads see another client's
//! change within it, and the gateway's own changes at once.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Admin, ImapServer, TestApp, both_servers, dovecot, message, metric, seg, settings_for, unique};

fn uids(page: &Value) -> Vec<u64> {
    page["items"].as_array().expect("items").iter().map(|m| m["uid"].as_u64().expect("uid")).collect()
}

#[tokio::test]
async fn pages_and_reads_see_changes_by_another_client_through_the_cache() {
    // One pooled connection, so every request reuses the same selection; views are synced
    // before every reuse (resync_after_ms = 0).
    let app = TestApp::spawn_with(|s| {
        s.pool.per_account_max = 1;
        s.imap.resync_after_ms = 0;
    })
    .await;
    let token = app.login("heidi").await.access;
    let name = unique("Reuse");
    let mut admin = Admin::connect(dovecot(), "heidi").await;
    admin.create(&name).await;
    for i in 1..=3 {
        admin.append(&name, None, &message(&format!("reuse {i}"))).await;
    }
    let path = format!("/v1/mailboxes/{name}/messages?limit=2");
    let first = app.get_json(&path, &token).await;
    assert_eq!(uids(&first), vec![3, 2]);
    assert!(first["nextCursor"].is_string(), "a third message is older");
    assert_eq!(first["items"][1]["keywords"]["$flagged"], Value::Null);
    assert!(app.state.pools.summaries.len() >= 2, "the page's summaries are cached");

    admin.add_flag(&name, 2, "\\Flagged").await;
    admin.append(&name, None, &message("reuse 4")).await;
    admin.expunge_uid(&name, 3).await;

    let second = app.get_json(&path, &token).await;
    assert_eq!(uids(&second), vec![4, 2], "the new message is in, the expunged one is gone");
    assert_eq!(second["total"], 3);
    assert_eq!(second["items"][0]["subject"], "reuse 4");
    assert_eq!(second["items"][1]["subject"], "reuse 2", "the cached envelope");
    assert_eq!(second["items"][1]["keywords"]["$flagged"], true, "flags are fresh, not cached");

    // A UID above the selection's UIDNEXT is read after a fresh EXAMINE; an expunged one is 404.
    let m = app.get_json(&format!("/v1/mailboxes/{name}/messages/4"), &token).await;
    assert_eq!(m["subject"], "reuse 4");
    // Read again from the cached structure: fresh flags, the same text.
    assert!(!app.state.pools.messages.is_empty(), "the message's structure is cached");
    admin.add_flag(&name, 4, "\\Answered").await;
    let again = app.get_json(&format!("/v1/mailboxes/{name}/messages/4"), &token).await;
    assert_eq!(again["keywords"]["$answered"], true, "flags are fresh, not cached");
    assert_eq!(again["bodyValues"], m["bodyValues"]);
    assert_eq!(again["textBody"], m["textBody"]);
    assert!(again["bodyValues"].as_object().is_some_and(|v| !v.is_empty()), "{again}");
    // The text is cached with the limit it was decoded for; another limit decodes afresh.
    let key = app.cache_key(&token, &name, m["imap"]["uidValidity"].as_u64().expect("uidValidity") as u32, 4);
    let entry = app.state.pools.messages.get(&key).expect("cached");
    let metrics = app.metrics().await;
    let gauge = |name: &str| metric(&metrics, name).expect("gauge");
    assert!(gauge("imap_message_cache_entries") >= 1);
    assert!(gauge("imap_message_cache_bytes") >= imap_gateway::internals::Weight::weight(&entry) as u64);
    assert_eq!(entry.values_for, Some(256 * 1024));
    assert_eq!(entry.message.body_values["1"].value, "Hello.\n");
    let short = app.get_json(&format!("/v1/mailboxes/{name}/messages/4?maxBodyValueBytes=3"), &token).await;
    assert_eq!(short["bodyValues"]["1"]["value"], "Hel");
    assert_eq!(short["bodyValues"]["1"]["isTruncated"], true);
    let whole = app.get_json(&format!("/v1/mailboxes/{name}/messages/4"), &token).await;
    assert_eq!(whole["bodyValues"], m["bodyValues"]);
    assert_eq!(whole["keywords"]["$answered"], true);
    let gone = app.get(&format!("/v1/mailboxes/{name}/messages/3"), &token).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    // An expunged message whose structure is cached is gone as well.
    admin.expunge_uid(&name, 4).await;
    let gone = app.get(&format!("/v1/mailboxes/{name}/messages/4"), &token).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);

    // The next page by cursor still lists the oldest message.
    let cursor = second["nextCursor"].as_str().expect("cursor");
    let third = app.get_json(&format!("{path}&cursor={cursor}"), &token).await;
    assert_eq!(uids(&third), vec![1]);
    // An APPEND through the gateway on the connection that has the mailbox selected: its
    // EXISTS is counted, so the next first page starts with the new message.
    let appended = app.append(&token, &name, "", message("reuse 5")).await;
    assert_eq!(appended.status(), StatusCode::CREATED);
    let fourth = app.get_json(&path, &token).await;
    assert_eq!(uids(&fourth), vec![5, 2], "{fourth}");
    let raw = app.get(&format!("/v1/mailboxes/{name}/messages/2/raw"), &token).await;
    assert_eq!(raw.status(), StatusCode::OK);
    assert!(raw.text().await.expect("raw").contains("Subject: reuse 2\r\n"), "size and body in one FETCH");
    let pool = app.pool_of(&token).expect("pool");
    assert_eq!(pool.stats.peak_open.load(std::sync::atomic::Ordering::SeqCst), 1, "one connection throughout");
    admin.delete(&name).await;
    admin.logout().await;
}

#[tokio::test]
async fn logout_forgets_the_accounts_cached_summaries() {
    let app = TestApp::spawn().await;
    let token = app.login("ivan").await.access;
    let name = unique("Forget");
    let mut admin = Admin::connect(dovecot(), "ivan").await;
    admin.create(&name).await;
    admin.append(&name, None, &message("remember me")).await;
    let page = app.get_json(&format!("/v1/mailboxes/{name}/messages"), &token).await;
    let key =
        app.cache_key(&token, &name, page["items"][0]["imap"]["uidValidity"].as_u64().expect("uidValidity") as u32, 1);
    assert_eq!(app.state.pools.summaries.get(&key).and_then(|s| s.subject).as_deref(), Some("remember me"));
    assert_eq!(app.logout(&token).await.status(), StatusCode::NO_CONTENT);
    assert!(app.state.pools.summaries.get(&key).is_none(), "forgotten at logout");
    admin.delete(&name).await;
    admin.logout().await;
}

#[tokio::test]
async fn reads_see_other_clients_within_the_resync_window_and_own_changes_at_once() {
    let app = TestApp::spawn_with(|s| {
        s.pool.per_account_max = 2;
        s.imap.resync_after_ms = 1_500;
    })
    .await;
    let token = app.login("peggy").await.access;
    let name = unique("Window");
    let mut admin = Admin::connect(dovecot(), "peggy").await;
    admin.create(&name).await;
    for i in 1..=3 {
        admin.append(&name, None, &message(&format!("window {i}"))).await;
    }
    let path = |uid: u32| format!("/v1/mailboxes/{name}/messages/{uid}");
    let (app, token) = (&app, &token);
    let read = |uid: u32| async move { app.get(&path(uid), token).await };
    assert_eq!(read(1).await.status(), StatusCode::OK);
    // Another client's expunge shows within the window (here 1.5 s), not necessarily at once.
    admin.expunge_uid(&name, 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_600)).await;
    assert_eq!(read(1).await.status(), StatusCode::NOT_FOUND, "seen once the window has passed");
    // A change through the gateway is seen at once by every pooled connection: both have read
    // (and cached) message 2 within the window before it goes.
    let (a, b) = tokio::join!(read(2), read(2));
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
    let (d, r) = tokio::join!(app.delete_message(token, &name, 2, true), read(3));
    assert!(d.status().is_success());
    assert_eq!(r.status(), StatusCode::OK);
    for _ in 0..4 {
        let status = read(2).await.status();
        assert_eq!(status, StatusCode::NOT_FOUND, "the gateway's own expunge, on any connection");
    }
    admin.delete(&name).await;
    admin.logout().await;
}

/// A UID STORE reuses the read-write selection as it is: no NOOP first, even once the view is
/// older than the resync window; a message another client expunged meanwhile is 404.
#[tokio::test]
async fn a_flag_change_reuses_the_selection_without_a_noop() {
    let app = TestApp::spawn_with(|s| {
        s.pool.per_account_max = 1;
        s.imap.resync_after_ms = 1;
    })
    .await;
    let token = app.login("peggy").await.access;
    let name = unique("Store");
    let mut admin = Admin::connect(dovecot(), "peggy").await;
    admin.create(&name).await;
    for i in 1..=3 {
        admin.append(&name, None, &message(&format!("store {i}"))).await;
    }
    let http = reqwest::Client::new();
    let flag = |uid: u32| {
        http.patch(app.url(&format!("/v1/mailboxes/{name}/messages/{uid}")))
            .bearer_auth(&token)
            .header("content-type", "application/merge-patch+json")
            .body(r#"{"keywords":{"$flagged":true}}"#)
            .send()
    };
    let count = |text: &str, command: &str| {
        metric(text, &format!("imap_commands_total{{command=\"{command}\",outcome=\"ok\"}}")).unwrap_or(0)
    };
    assert_eq!(flag(1).await.expect("PATCH").status(), StatusCode::OK);
    let before = app.metrics().await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let second = flag(2).await.expect("PATCH");
    assert_eq!(second.status(), StatusCode::OK);
    let body: Value = second.json().await.expect("json");
    assert_eq!(body["keywords"]["$flagged"], true, "{body}");
    let after = app.metrics().await;
    assert_eq!(count(&after, "NOOP"), count(&before, "NOOP"), "no NOOP before the STORE");
    assert_eq!(count(&after, "SELECT"), count(&before, "SELECT"), "the selection was reused");
    assert_eq!(count(&after, "UID STORE"), count(&before, "UID STORE") + 1);
    assert!(admin.flags(&name, 2).await.iter().any(|f| f.contains("Flagged")));
    // Expunged by another client behind the selection's back: not found, not an error.
    admin.expunge_uid(&name, 3).await;
    let gone = flag(3).await.expect("PATCH");
    assert_eq!(gone.status(), StatusCode::NOT_FOUND, "{}", gone.text().await.unwrap_or_default());
    admin.delete(&name).await;
    admin.logout().await;
}

both_servers!(a_flag_change_through_the_gateway_is_read_at_once_on_every_connection_without_a_noop, dovecot: "peggy", cyrus: "carol");

/// The gateway's own flag change is seen at once by a read on any pooled connection, with no
/// NOOP first (the window here is a minute): the read's UID FETCH answers with current flags.
async fn a_flag_change_through_the_gateway_is_read_at_once_on_every_connection_without_a_noop(
    server: &'static ImapServer,
    user: &str,
) {
    let mut s = settings_for(server);
    s.pool.per_account_max = 2;
    s.imap.resync_after_ms = 60_000;
    let app = TestApp::start(s).await;
    let token = app.login(user).await.access;
    let name = unique("OwnFlags");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&name).await;
    admin.append(&name, None, &message("own flags")).await;
    let path = format!("/v1/mailboxes/{}/messages/1", seg(&name));
    let (app, token, path) = (&app, &token, &path);
    let read = || async move { app.get_json(path, token).await };
    // Both connections select the mailbox and cache the message.
    let (a, b) = tokio::join!(read(), read());
    assert_eq!((&a["keywords"]["$flagged"], &b["keywords"]["$flagged"]), (&Value::Null, &Value::Null));
    let noops = |text: &str| metric(text, "imap_commands_total{command=\"NOOP\",outcome=\"ok\"}").unwrap_or(0);
    for on in [true, false] {
        let resp = reqwest::Client::new()
            .patch(app.url(path))
            .bearer_auth(token)
            .header("content-type", "application/merge-patch+json")
            .body(format!(r#"{{"keywords":{{"$flagged":{on}}}}}"#))
            .send()
            .await
            .expect("PATCH");
        assert_eq!(resp.status(), StatusCode::OK);
        let before = noops(&app.metrics().await);
        let (a, b) = tokio::join!(read(), read());
        let want = if on { Value::Bool(true) } else { Value::Null };
        assert_eq!((&a["keywords"]["$flagged"], &b["keywords"]["$flagged"]), (&want, &want), "{a}\n{b}");
        assert_eq!(noops(&app.metrics().await), before, "reads after the gateway's own flag change sent a NOOP");
    }
    admin.delete(&name).await;
    admin.logout().await;
}
