//! Observability: exact counters on `/metrics` after a known sequence of requests, and the
//! request id in headers and problem bodies.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, metric};

#[tokio::test]
async fn metrics_count_exactly_what_happened() {
    let app = TestApp::spawn().await;
    let token = app.login("eve").await.access;
    for _ in 0..2 {
        assert_eq!(app.get("/v1/mailboxes", &token).await.status(), StatusCode::OK);
    }
    assert_eq!(app.get("/v1/mailboxes/No%20such", &token).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/v1/no-such-route", &token).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/v1/mailboxes", "not-a-token").await.status(), StatusCode::UNAUTHORIZED);

    let resp = app.http.get(app.url("/metrics")).send().await.expect("scrape");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().expect("ascii").starts_with("text/plain; version=0.0.4"));
    let text = resp.text().await.expect("text");
    let expect = [
        (r#"http_requests_total{method="POST",route="/v1/auth/login",status="200"}"#, 1),
        (r#"http_requests_total{method="GET",route="/v1/mailboxes",status="200"}"#, 2),
        (r#"http_requests_total{method="GET",route="/v1/mailboxes",status="401"}"#, 1),
        (r#"http_requests_total{method="GET",route="/v1/mailboxes/{mailbox}",status="404"}"#, 1),
        (r#"http_requests_total{method="any",route="unmatched",status="404"}"#, 1),
        (r#"http_request_duration_seconds_count{method="GET",route="/v1/mailboxes"}"#, 3),
        (r#"imap_commands_total{command="STATUS",outcome="no"}"#, 1),
        ("imap_pool_accounts", 1),
        ("imap_connections_in_use", 0),
        ("imap_pool_waiters", 0),
        ("imap_message_cache_entries", 0),
        ("imap_message_cache_bytes", 0),
    ];
    for (series, want) in expect {
        assert_eq!(metric(&text, series), Some(want), "{series}\n{text}");
    }
    let logins = metric(&text, r#"imap_logins_total{outcome="ok"}"#).expect("logins");
    let open = metric(&text, "imap_connections_open").expect("open");
    assert!(logins >= 1 && open >= 1 && open <= logins, "logins {logins}, open {open}");
    assert!(text.contains("# TYPE imap_command_duration_seconds histogram"));
}

#[tokio::test]
async fn the_request_id_is_echoed_and_quoted_in_problems() {
    let app = TestApp::spawn().await;
    let token = app.login("eve").await.access;
    let resp = app
        .http
        .get(app.url("/v1/mailboxes/No%20such"))
        .bearer_auth(&token)
        .header("x-request-id", "test-req:42")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.headers()["x-request-id"], "test-req:42");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["requestId"], "test-req:42");
    // A malformed id is replaced by a generated one, which the problem quotes too.
    let resp =
        app.http.get(app.url("/v1/nope")).header("x-request-id", "bad id with spaces").send().await.expect("get");
    let id = resp.headers()["x-request-id"].to_str().expect("ascii").to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["requestId"], id.as_str());
}
