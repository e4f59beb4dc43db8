//! The connection pool: per-account cap, cancelled commands, wait deadline.

use std::{sync::atomic::Ordering, time::Duration};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Admin, TestApp, dovecot, expect_problem, unique};

#[tokio::test]
async fn twenty_concurrent_requests_never_hold_more_than_the_per_account_cap() {
    let app = TestApp::spawn().await;
    let token = app.login("dave").await.access;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (http, url, token) = (app.http.clone(), app.url("/v1/mailboxes"), token.clone());
        tasks.push(tokio::spawn(async move { http.get(url).bearer_auth(token).send().await.expect("send").status() }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), StatusCode::OK);
    }
    let pool = app.pool_of(&token).expect("pool");
    let peak = pool.stats.peak_open.load(Ordering::SeqCst);
    let logins = pool.stats.logins.load(Ordering::SeqCst);
    assert!(peak <= 3, "peak {peak} connections for one account");
    assert!(logins <= 3, "{logins} logins: connections are reused");
    assert!(peak >= 2, "the requests did run concurrently (peak {peak})");
    assert!(pool.status().size <= 3);
}

/// `n` mailboxes under one unique parent, so that a LIST with counts takes a while.
struct ManyMailboxes {
    admin: Admin,
    tag: String,
    n: usize,
}

impl ManyMailboxes {
    async fn create(user: &str, n: usize) -> Self {
        let tag = unique("many");
        let mut admin = Admin::connect(dovecot(), user).await;
        for i in 0..n {
            admin.create(&format!("{tag}/m{i:04}")).await;
        }
        Self { admin, tag, n }
    }

    async fn remove(mut self) {
        for i in 0..self.n {
            self.admin.delete(&format!("{}/m{i:04}", self.tag)).await;
        }
        self.admin.logout().await;
    }
}

#[tokio::test]
async fn a_request_cancelled_mid_command_leaves_no_trace_in_the_next_answer() {
    let many = ManyMailboxes::create("eve", 300).await;
    // One connection only, so the next request would inherit a dirty one if it were recycled.
    let app = TestApp::spawn_with(|s| s.pool.per_account_max = 1).await;
    let token = app.login("eve").await.access;
    let expected: Value = app.get_json("/v1/mailboxes/INBOX", &token).await;
    let pool = app.pool_of(&token).expect("pool");

    let mut cancelled = 0;
    for attempt in 0..20 {
        // The HTTP client gives up while the gateway is reading the LIST-STATUS answer.
        let give_up = Duration::from_millis(5 + attempt * 3);
        let slow = app.http.get(app.url("/v1/mailboxes")).bearer_auth(&token).timeout(give_up).send().await;
        assert!(slow.is_err() || slow.as_ref().is_ok_and(|r| r.status() == StatusCode::OK));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let next: Value = app.get_json("/v1/mailboxes/INBOX", &token).await;
        assert_eq!(next, expected, "attempt {attempt}: the next answer is exactly INBOX's state");
        let listed = app.get_json(&format!("/v1/mailboxes?pattern={}%2Fm000%25&counts=false", many.tag), &token).await;
        assert_eq!(listed["items"].as_array().expect("items").len(), 10, "attempt {attempt}");
        cancelled = pool.stats.discarded_in_flight.load(Ordering::SeqCst);
        if cancelled >= 3 {
            break;
        }
    }
    assert!(cancelled >= 1, "no request was cut mid-command; the test proved nothing");
    many.remove().await;
}

#[tokio::test]
async fn pool_wait_past_the_deadline_is_503_with_retry_after() {
    let many = ManyMailboxes::create("frank", 150).await;
    let app = TestApp::spawn_with(|s| {
        s.pool.per_account_max = 1;
        s.pool.wait_timeout_ms = 1;
    })
    .await;
    let token = app.login("frank").await.access;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (http, url, token) = (app.http.clone(), app.url("/v1/mailboxes"), token.clone());
        tasks.push(tokio::spawn(async move { http.get(url).bearer_auth(token).send().await.expect("send") }));
    }
    let mut busy = 0;
    for t in tasks {
        let resp = t.await.expect("task");
        if resp.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(resp.headers()["retry-after"], "1");
            expect_problem(resp, StatusCode::SERVICE_UNAVAILABLE, "connection-limit").await;
            busy += 1;
        } else {
            assert_eq!(resp.status(), StatusCode::OK);
        }
    }
    assert!(busy >= 1, "with one connection and no wait, some of six requests must be refused");
    many.remove().await;
}

#[tokio::test]
async fn idle_pools_are_reaped_and_their_connections_closed() {
    let app = TestApp::spawn_with(|s| {
        s.pool.idle_timeout_secs = 1;
        s.pool.reap_interval_secs = 1;
    })
    .await;
    let token = app.login("grace").await.access;
    assert_eq!(app.get("/v1/mailboxes?counts=false", &token).await.status(), StatusCode::OK);
    // Keep only the counters: holding the pool itself would (rightly) keep the reaper off it.
    let stats = app.pool_of(&token).expect("pool").stats.clone();
    assert_eq!(stats.open.load(Ordering::SeqCst), 1);
    let account = app.account_of(&token);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while (app.state.pools.existing(&account, 0).is_some() || stats.open.load(Ordering::SeqCst) > 0)
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(app.state.pools.existing(&account, 0).is_none(), "the idle pool was removed");
    assert_eq!(stats.open.load(Ordering::SeqCst), 0, "its connection was closed");
    // The next request builds a new pool from the stored, encrypted credential.
    assert_eq!(app.get("/v1/mailboxes?counts=false", &token).await.status(), StatusCode::OK);
    assert!(app.state.pools.existing(&account, 0).is_some());
}

#[tokio::test]
async fn a_request_past_its_deadline_is_a_504_problem_and_its_connection_is_discarded() {
    let many = ManyMailboxes::create("ivan", 300).await;
    let settings = crate::helpers::settings_for(dovecot());
    let normal = TestApp::start(settings.clone()).await;
    let token = normal.login("ivan").await.access;
    let mut timeouts = 0;
    let mut discarded = 0;
    // Deadlines from short to longer, so that some request gets past login into the slow LIST.
    for deadline_ms in (30..=400).step_by(10) {
        let mut s = settings.clone();
        s.http.request_timeout_ms = deadline_ms;
        s.pool.per_account_max = 1;
        let hasty = TestApp::start(s).await;
        for _ in 0..3 {
            let resp = hasty.get("/v1/mailboxes", &token).await;
            if resp.status() == StatusCode::GATEWAY_TIMEOUT {
                expect_problem(resp, StatusCode::GATEWAY_TIMEOUT, "request-timeout").await;
                timeouts += 1;
            } else {
                assert_eq!(resp.status(), StatusCode::OK);
            }
        }
        if let Some(pool) = hasty.pool_of(&token) {
            assert!(pool.stats.peak_open.load(Ordering::SeqCst) <= 1);
            discarded += pool.stats.discarded_in_flight.load(Ordering::SeqCst);
        }
        if timeouts > 0 && discarded > 0 {
            break;
        }
    }
    assert!(timeouts > 0, "no request ran past its deadline");
    assert!(discarded > 0, "no connection was cut mid-command by the deadline");
    let state = normal.get_json("/v1/mailboxes/INBOX", &token).await;
    assert_eq!(state["name"], "INBOX");
    many.remove().await;
}
