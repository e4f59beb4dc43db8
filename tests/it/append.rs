//! APPEND through the API against a real Dovecot, checked with a separate client.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Admin, ImapServer, TestApp, both_servers, expect_problem, message, seg, settings_for, unique};

both_servers!(append_stores_the_exact_bytes_with_keywords_and_date, "alice");

async fn append_stores_the_exact_bytes_with_keywords_and_date(server: &'static ImapServer, user: &str) {
    let mailbox = unique("app");
    let victim = unique("victim");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&mailbox).await;
    admin.create(&victim).await;
    let settings = settings_for(server);
    let app = TestApp::start(settings.clone()).await;
    let token = app.login(user).await.access;
    let url = |q: &str| app.url(&format!("/v1/mailboxes/{}/messages{q}", seg(&mailbox)));
    let send = |url: String, body: Vec<u8>, ct: &'static str| {
        app.http.post(url).bearer_auth(&token).header("content-type", ct).body(body).send()
    };

    // 200 KB: far above the JSON body limit, which does not apply here.
    let raw = format!("{}{}\r\n", message("appended"), "x".repeat(200_000)).into_bytes();
    let resp = send(url("?keywords=$seen,$Work&receivedAt=2026-11-03T09:15:02%2B01:00"), raw.clone(), "message/rfc822")
        .await
        .expect("append");
    assert_eq!(resp.status(), StatusCode::CREATED);
    let location = resp.headers()["location"].to_str().expect("location").to_string();
    let body: Value = resp.json().await.expect("json");
    let uid = body["uid"].as_u64().expect("uid");
    assert_eq!(location, format!("/v1/mailboxes/{}/messages/{uid}", seg(&mailbox)));
    assert!(body["uidValidity"].as_u64().is_some());
    let m = app.get_json(&location, &token).await;
    assert_eq!(m["subject"], "appended");
    assert_eq!(m["receivedAt"], "2026-11-03T08:15:02Z");
    assert_eq!(m["keywords"], serde_json::json!({"$seen": true, "$work": true}));
    let stored = app.get(&format!("{location}/raw"), &token).await.bytes().await.expect("bytes");
    assert!(stored == raw, "the stored message is byte-identical");
    let flags = admin.flags(&mailbox, uid as u32).await;
    assert!(flags.iter().any(|f| f.contains("Seen")) && flags.iter().any(|f| f.contains("$Work")), "{flags:?}");

    let missing = app.url(&format!("/v1/mailboxes/{}/messages", seg(&unique("nope"))));
    expect_problem(
        send(missing, raw.clone(), "message/rfc822").await.expect("append"),
        StatusCode::NOT_FOUND,
        "destination-not-found",
    )
    .await;
    expect_problem(
        send(url(""), raw.clone(), "text/plain").await.expect("append"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    )
    .await;
    let evil = format!("?keywords={}", seg(&format!("x) DELETE {victim}")));
    expect_problem(
        send(url(&evil), raw.clone(), "message/rfc822").await.expect("append"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-properties",
    )
    .await;
    let memory = crate::helpers::MEMORY.lock().await;
    let huge = vec![b'a'; 33 * 1024 * 1024];
    let resp = send(url(""), huge, "message/rfc822").await.expect("append");
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    drop(memory);
    assert!(admin.list().await.contains(&victim), "victim survives");

    let mut no_uidplus = settings;
    no_uidplus.imap.ignore_capabilities = vec!["UIDPLUS".into()];
    let plain = TestApp::start(no_uidplus).await;
    let resp = plain.append(&token, &mailbox, "", raw).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED, "stored, UID unknown without UIDPLUS");
    // Without LITERAL+ the literal is synchronizing: the gateway waits for the server's `+`.
    let mut sync = settings_for(server);
    sync.imap.ignore_capabilities = vec!["LITERAL+".into()];
    let sync_app = TestApp::start(sync).await;
    let t = sync_app.login(user).await.access;
    let resp = sync_app.append(&t, &mailbox, "", message("synchronizing").into_bytes()).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let page = app.get_json(&format!("/v1/mailboxes/{}/messages", seg(&mailbox)), &token).await;
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"][0]["subject"], "synchronizing");
    admin.delete(&mailbox).await;
    admin.delete(&victim).await;
    admin.logout().await;
}

both_servers!(a_replayed_idempotency_key_creates_exactly_one_message, "bob");

async fn a_replayed_idempotency_key_creates_exactly_one_message(server: &'static ImapServer, user: &str) {
    let (mailbox, dest) = (unique("idem"), unique("idem-dst"));
    let mut admin = Admin::connect(server, user).await;
    admin.create(&mailbox).await;
    admin.create(&dest).await;
    let app = TestApp::start(crate::helpers::settings_for(server)).await;
    let token = app.login(user).await.access;
    let body = "From: a@example.com\r\nSubject: once\r\nMessage-ID: <once@example.com>\r\n\r\nhi\r\n";
    let send = |key: &'static str, body: &'static str| {
        app.http
            .post(app.url(&format!("/v1/mailboxes/{}/messages", seg(&mailbox))))
            .bearer_auth(&token)
            .header("content-type", "message/rfc822")
            .header("idempotency-key", key)
            .body(body)
            .send()
    };
    let first = send("k-1", body).await.expect("append");
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("json");
    let again = send("k-1", body).await.expect("append");
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotency-replayed"], "true");
    let again: Value = again.json().await.expect("json");
    assert_eq!(again, first, "the replay returns the first result");
    let other = send("k-1", "From: a@example.com\r\nSubject: other\r\n\r\nhi\r\n").await.expect("append");
    expect_problem(other, StatusCode::UNPROCESSABLE_ENTITY, "invalid-properties").await;
    let page = app.get_json(&format!("/v1/mailboxes/{}/messages", seg(&mailbox)), &token).await;
    assert_eq!(page["total"], 1, "exactly one message");

    let copy = || {
        app.http
            .post(app.url(&format!("/v1/mailboxes/{}/messages/copy", seg(&mailbox))))
            .bearer_auth(&token)
            .header("idempotency-key", "copy-1")
            .json(&serde_json::json!({"uids": [1], "destination": dest}))
            .send()
    };
    let a: Value = copy().await.expect("copy").json().await.expect("json");
    let b: Value = copy().await.expect("copy").json().await.expect("json");
    assert_eq!(a, b);
    let dst = app.get_json(&format!("/v1/mailboxes/{}", seg(&dest)), &token).await;
    assert_eq!(dst["exists"], 1, "copied once");
    admin.delete(&mailbox).await;
    admin.delete(&dest).await;
    admin.logout().await;
}

both_servers!(multipart_append_takes_metadata_and_the_message, "carol");

async fn multipart_append_takes_metadata_and_the_message(server: &'static ImapServer, user: &str) {
    let mailbox = unique("mp");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&mailbox).await;
    let app = TestApp::start(crate::helpers::settings_for(server)).await;
    let token = app.login(user).await.access;
    let url = app.url(&format!("/v1/mailboxes/{}/messages", seg(&mailbox)));
    let form = |meta: Option<&str>, msg: Option<&str>| {
        let mut f = reqwest::multipart::Form::new();
        if let Some(m) = meta {
            f = f.part(
                "metadata",
                reqwest::multipart::Part::text(m.to_string()).mime_str("application/json").expect("mime"),
            );
        }
        if let Some(m) = msg {
            f = f.part(
                "message",
                reqwest::multipart::Part::bytes(m.as_bytes().to_vec()).mime_str("message/rfc822").expect("mime"),
            );
        }
        f
    };
    let raw = message("multipart append");
    let resp = app
        .http
        .post(&url)
        .bearer_auth(&token)
        .multipart(form(
            Some(r#"{"keywords": ["$flagged", "$Work"], "receivedAt": "2026-10-01T12:00:00Z"}"#),
            Some(&raw),
        ))
        .send()
        .await
        .expect("append");
    assert_eq!(resp.status(), StatusCode::CREATED);
    let location = resp.headers()["location"].to_str().expect("location").to_string();
    let m = app.get_json(&location, &token).await;
    assert_eq!(m["subject"], "multipart append");
    assert_eq!(m["receivedAt"], "2026-10-01T12:00:00Z");
    assert_eq!(m["keywords"], serde_json::json!({"$flagged": true, "$work": true}));
    let flags = admin.flags(&mailbox, 1).await;
    assert!(flags.iter().any(|f| f.contains("Flagged")), "{flags:?}");

    let resp = app.http.post(&url).bearer_auth(&token).multipart(form(Some("{}"), None)).send().await.expect("append");
    expect_problem(resp, StatusCode::BAD_REQUEST, "invalid-request").await;
    let resp = app
        .http
        .post(&url)
        .bearer_auth(&token)
        .multipart(form(Some(r#"{"keywords": "x"}"#), Some(&raw)))
        .send()
        .await
        .expect("append");
    expect_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "invalid-body").await;
    admin.delete(&mailbox).await;
    admin.logout().await;
}

#[tokio::test]
async fn an_append_over_quota_is_507() {
    // The test Dovecot gives user "quota" 20 KiB of storage.
    let app = TestApp::spawn().await;
    let token = app.login("quota").await.access;
    let big = format!("{}{}\r\n", message("too big"), "q".repeat(40_000)).into_bytes();
    let resp = app
        .http
        .post(app.url("/v1/mailboxes/INBOX/messages"))
        .bearer_auth(&token)
        .header("content-type", "message/rfc822")
        .body(big)
        .send()
        .await
        .expect("append");
    let problem = expect_problem(resp, StatusCode::INSUFFICIENT_STORAGE, "over-quota").await;
    assert_eq!(problem["imap"]["code"], "OVERQUOTA", "{problem}");
    assert_eq!(app.get_json("/v1/mailboxes/INBOX", &token).await["exists"], 0);
}

both_servers!(a_large_upload_streams_and_a_nul_half_way_stores_nothing, "carol");

/// A raw upload streams into the literal: a large one is stored byte for byte, and a NUL byte
/// half-way ends it with 422, stores nothing, and leaves no broken connection behind.
async fn a_large_upload_streams_and_a_nul_half_way_stores_nothing(server: &'static ImapServer, user: &str) {
    let _memory = crate::helpers::MEMORY.lock().await;
    let mailbox = unique("stream-up");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&mailbox).await;
    let app = TestApp::start(crate::helpers::settings_for(server)).await;
    let token = app.login(user).await.access;
    let url = app.url(&format!("/v1/mailboxes/{}/messages", seg(&mailbox)));
    let line = "The quick brown fox jumps over the lazy dog, 0123456789.\r\n";
    let big = format!("Subject: big upload\r\n\r\n{}", line.repeat(12 * 1024 * 1024 / line.len())).into_bytes();
    let post = |body: Vec<u8>| {
        app.http.post(url.clone()).bearer_auth(&token).header("content-type", "message/rfc822").body(body).send()
    };
    let resp = post(big.clone()).await.expect("append");
    assert_eq!(resp.status(), StatusCode::CREATED);
    let location = resp.headers()["location"].to_str().expect("ascii").to_string();
    let stored = app.get(&format!("{location}/raw"), &token).await;
    assert!(stored.bytes().await.expect("bytes") == big, "byte-identical");

    let mut poisoned = big[..4 * 1024 * 1024].to_vec();
    poisoned[3 * 1024 * 1024] = 0;
    expect_problem(
        post(poisoned.clone()).await.expect("append"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-properties",
    )
    .await;
    let status = app.get_json(&format!("/v1/mailboxes/{}", seg(&mailbox)), &token).await;
    assert_eq!(status["exists"], 1, "nothing was stored");
    let pool = app.pool_of(&token).expect("pool");
    assert!(
        pool.stats.discarded_in_flight.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "the cut literal's connection was thrown away"
    );
    // The same with a synchronizing literal.
    let mut no_literal_plus = crate::helpers::settings_for(server);
    no_literal_plus.imap.ignore_capabilities = vec!["LITERAL+".into()];
    let sync = TestApp::start(no_literal_plus).await;
    let t2 = sync.login(user).await.access;
    let resp = sync.append(&t2, &mailbox, "", poisoned).await;
    expect_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "invalid-properties").await;
    assert_eq!(sync.get_json(&format!("/v1/mailboxes/{}", seg(&mailbox)), &t2).await["exists"], 1);
    admin.logout().await;
}
