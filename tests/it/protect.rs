//! Protection: login brute force gets 429 before Dovecot sees more attempts, CORS answers only
//! configured origins, and one account's concurrent requests are capped.

use std::time::Duration;

use reqwest::StatusCode;
use tokio::io::AsyncWriteExt as _;

use crate::helpers::{TestApp, dovecot, expect_problem};

/// Password mismatches Dovecot logged for `user`.
fn mismatches(user: &str) -> usize {
    let log = std::fs::read_to_string(&dovecot().log).unwrap_or_default();
    let who = format!("passwd-file({user},");
    log.lines().filter(|l| l.contains(&who) && l.contains("Password mismatch")).count()
}

#[tokio::test]
async fn login_brute_force_is_stopped_at_the_threshold() {
    let app = TestApp::spawn().await;
    let before = mismatches("dave");
    for i in 0..10 {
        let resp = app.login_raw("dave", &format!("guess-{i}")).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    for password in ["guess-10", "dave-pass"] {
        let resp = app.login_raw("dave", password).await;
        let retry: u64 = resp.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
        assert!((1..=60).contains(&retry), "{retry}");
        expect_problem(resp, StatusCode::TOO_MANY_REQUESTS, "too-many-login-attempts").await;
    }
    // The same client is limited for other names too.
    expect_problem(app.login_raw("frank", "nope").await, StatusCode::TOO_MANY_REQUESTS, "too-many-login-attempts")
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = mismatches("dave") - before;
    assert_eq!(seen, 10, "Dovecot saw exactly the 10 attempts below the threshold");
    let metrics = app.metrics().await;
    assert!(metrics.contains("login_rate_limited_total{limit=\"failures\"} 3\n"), "{metrics}");
}

#[tokio::test]
async fn cors_answers_configured_origins_only() {
    let app = TestApp::spawn_with(|s| s.protection.cors_origins = vec!["https://app.example.com".into()]).await;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/v1/mailboxes"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization,if-none-match")
            .send()
    };
    let ok = preflight("https://app.example.com").await.expect("preflight");
    assert!(ok.status().is_success(), "{}", ok.status());
    let h = ok.headers();
    assert_eq!(h["access-control-allow-origin"], "https://app.example.com");
    assert!(h.get("access-control-allow-credentials").is_none());
    let allowed = h["access-control-allow-headers"].to_str().expect("ascii").to_ascii_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("if-none-match"), "{allowed}");
    assert!(h["access-control-allow-methods"].to_str().expect("ascii").contains("PATCH"));
    let denied = preflight("https://evil.example").await.expect("preflight");
    assert!(denied.headers().get("access-control-allow-origin").is_none());
    // A simple request from the allowed origin can read the request id.
    let token = app.login("frank").await.access;
    let get = app
        .http
        .get(app.url("/v1/mailboxes"))
        .bearer_auth(&token)
        .header("origin", "https://app.example.com")
        .send()
        .await
        .expect("get");
    assert_eq!(get.headers()["access-control-allow-origin"], "https://app.example.com");
    assert!(get.headers()["access-control-expose-headers"].to_str().expect("ascii").contains("x-request-id"));
    // Without configured origins nothing is allowed.
    let closed = TestApp::spawn().await;
    let resp = closed
        .http
        .request(reqwest::Method::OPTIONS, closed.url("/v1/mailboxes"))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("preflight");
    assert!(resp.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn one_account_cannot_run_more_than_its_concurrent_requests() {
    let app = TestApp::spawn_with(|s| s.protection.per_account_concurrency = 1).await;
    let token = app.login("frank").await.access;
    // A request whose body never finishes holds the account's only slot.
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.expect("connect");
    let head = format!(
        "POST /v1/mailboxes HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{{\"name\":"
    );
    slow.write_all(head.as_bytes()).await.expect("write");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let resp = app.get("/v1/mailboxes", &token).await;
    assert_eq!(resp.headers()["retry-after"], "1");
    expect_problem(resp, StatusCode::TOO_MANY_REQUESTS, "too-many-concurrent-requests").await;
    // Another account is not affected.
    let other = app.login("eve").await.access;
    assert_eq!(app.get("/v1/mailboxes", &other).await.status(), StatusCode::OK);
    drop(slow);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.get("/v1/mailboxes", &token).await.status(), StatusCode::OK);
}

/// Stored credentials the server now refuses: one login attempt, then the account is parked
/// (401 at once, nothing sent to Dovecot) until the user logs in again.
#[tokio::test]
async fn refused_stored_credentials_are_parked_not_retried() {
    // The reaper runs every second: it must not forget the parked pool (or the next request
    // would log in again).
    let app = TestApp::spawn_with(|s| s.pool.reap_interval_secs = 1).await;
    let token = app.login("judy").await.access;
    let account = app.account_of(&token);
    // As if the password had changed on the server: the stored one is now wrong.
    let sealed = app.state.auth.keyring.seal(&account, imap_gateway::internals::PASSWORD_FIELD, "judy-old-pass");
    app.state.store.set_account_secret(&account, &sealed).await.expect("secret");
    app.state.pools.close_account(&account).await;
    let before = mismatches("judy");
    for _ in 0..5 {
        let resp = app.get("/v1/mailboxes?counts=false", &token).await;
        expect_problem(resp, StatusCode::UNAUTHORIZED, "authentication-failed").await;
    }
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    for _ in 0..3 {
        let resp = app.get("/v1/mailboxes?counts=false", &token).await;
        expect_problem(resp, StatusCode::UNAUTHORIZED, "authentication-failed").await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mismatches("judy") - before, 1, "one refused login, then parked, across reaper passes");
    assert!(app.pool_of(&token).expect("pool").parked());
    // Logging in again proves the password and lifts the park.
    let fresh = app.login("judy").await.access;
    assert_eq!(app.get("/v1/mailboxes?counts=false", &fresh).await.status(), StatusCode::OK);
}

/// Parallel guesses cannot slip past the limit: each attempt counts when it is checked.
#[tokio::test]
async fn thirty_parallel_guesses_reach_dovecot_at_most_ten_times() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let before = mismatches("frank");
    let mut tasks = Vec::new();
    for i in 0..30 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move { app.login_raw("frank", &format!("parallel-{i}")).await.status() }));
    }
    let mut limited = 0;
    for t in tasks {
        match t.await.expect("task") {
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            s => assert_eq!(s, StatusCode::UNAUTHORIZED),
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(limited, 20, "10 attempts, then 429");
    assert!(mismatches("frank") - before <= 10, "Dovecot saw at most the threshold");
}
