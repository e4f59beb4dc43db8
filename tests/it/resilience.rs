//! Upstream faults: a stopped and restarted Dovecot, a server that never greets, a server at its
//! connection limit, TLS with the wrong CA.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::net::TcpListener;

use crate::helpers::{Admin, TestApp, dovecot, dovecot_script, expect_problem, settings_for};

#[tokio::test]
async fn a_stopped_dovecot_gives_502_or_504_in_time_and_service_resumes_without_restart() {
    let dir = "/tmp/igw-test-restart";
    let d = dovecot_script("start", dir, 20143, 20993, &[]);
    let app = TestApp::start(settings_for(&d)).await;
    let token = app.login("alice").await.access;
    assert_eq!(app.get("/v1/mailboxes", &token).await.status(), StatusCode::OK);

    dovecot_script("stop", dir, 20143, 20993, &[]);
    for _ in 0..2 {
        let started = Instant::now();
        let resp = app.get("/v1/mailboxes", &token).await;
        let elapsed = started.elapsed();
        assert!(
            resp.status() == StatusCode::BAD_GATEWAY || resp.status() == StatusCode::GATEWAY_TIMEOUT,
            "status {}",
            resp.status()
        );
        assert!(elapsed < Duration::from_secs(6), "answered within the deadline ({elapsed:?})");
        let body: serde_json::Value = resp.json().await.expect("problem");
        assert!(body["type"].as_str().expect("type").contains("upstream"), "{body}");
    }

    // Back up: the connect backoff (at most 1.6 s) may answer 502 for a moment, then it works.
    dovecot_script("start", dir, 20143, 20993, &[]);
    let restarted = Instant::now();
    let mut status = app.get("/v1/mailboxes", &token).await.status();
    while status != StatusCode::OK && restarted.elapsed() < Duration::from_secs(5) {
        assert_eq!(status, StatusCode::BAD_GATEWAY, "only the backoff's 502 while it waits");
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = app.get("/v1/mailboxes", &token).await.status();
    }
    assert_eq!(status, StatusCode::OK, "service resumed within 5 s of the restart");
    dovecot_script("stop", dir, 20143, 20993, &[]);
}

#[tokio::test]
async fn a_server_that_never_greets_gives_504_within_the_greeting_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock); // accept, then say nothing
        }
    });
    let mut s = settings_for(dovecot());
    s.imap.port = Some(port);
    s.imap.greeting_timeout_ms = 500;
    let app = TestApp::start(s).await;
    let started = Instant::now();
    let resp = app.login_raw("alice", "alice-pass").await;
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    let body = expect_problem(resp, StatusCode::GATEWAY_TIMEOUT, "upstream-timeout").await;
    assert!(body["detail"].as_str().expect("detail").contains("greeting"));
}

#[tokio::test]
async fn an_unreachable_server_gives_502() {
    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let mut s = settings_for(dovecot());
    s.imap.port = Some(port);
    let app = TestApp::start(s).await;
    expect_problem(app.login_raw("alice", "alice-pass").await, StatusCode::BAD_GATEWAY, "upstream-unreachable").await;
}

#[tokio::test]
async fn the_servers_connection_limit_becomes_503_with_retry_after() {
    let dir = "/tmp/igw-test-limit";
    let d = dovecot_script("start", dir, 21143, 21993, &[("DOVECOT_MAX_USERIP_CONNECTIONS", "1")]);
    let holder = Admin::connect(&d, "bob").await;
    let app = TestApp::start(settings_for(&d)).await;
    let resp = app.login_raw("bob", "bob-pass").await;
    assert_eq!(resp.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("30"));
    let body = expect_problem(resp, StatusCode::SERVICE_UNAVAILABLE, "connection-limit").await;
    assert_eq!(body["imap"]["code"], "LIMIT", "{body}");
    holder.logout().await;
    dovecot_script("stop", dir, 21143, 21993, &[]);
}

#[tokio::test]
async fn implicit_tls_works_and_a_wrong_ca_is_refused() {
    let d = dovecot();
    let mut s = settings_for(d);
    s.imap.tls = imap_gateway::TlsMode::Implicit;
    s.imap.port = Some(d.tls_port);
    let app = TestApp::start(s.clone()).await;
    let token = app.login("carol").await.access;
    assert_eq!(app.get("/v1/mailboxes/INBOX", &token).await.status(), StatusCode::OK);

    let other_ca = std::env::temp_dir().join(format!("igw-other-ca-{}.pem", uuid::Uuid::new_v4()));
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=other-ca",
            "-keyout",
            "/dev/null",
            "-out",
        ])
        .arg(&other_ca)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success());
    s.imap.ca_file = Some(other_ca.clone());
    let app = TestApp::start(s).await;
    expect_problem(app.login_raw("carol", "carol-pass").await, StatusCode::BAD_GATEWAY, "upstream-tls").await;
    let _ = std::fs::remove_file(other_ca);
}

fn logins_in(log: &std::path::Path, user: &str) -> usize {
    let needle = format!("Login: user=<{user}>");
    std::fs::read_to_string(log).unwrap_or_default().lines().filter(|l| l.contains(&needle)).count()
}

#[tokio::test]
async fn dovecot_restarted_under_load_recovers_within_5_s_without_a_login_storm() {
    let (dir, port, tls_port) = ("/tmp/igw-test-storm", 22143, 22993);
    let d = dovecot_script("start", dir, port, tls_port, &[]);
    let app = std::sync::Arc::new(TestApp::start(settings_for(&d)).await);
    let token = app.login("alice").await.access;
    assert_eq!(app.get("/v1/mailboxes", &token).await.status(), StatusCode::OK);

    // 16 clients ask for the mailbox list back to back; each answer is (when, status, latency).
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let origin = Instant::now();
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let (app, token, stop) = (app.clone(), token.clone(), stop.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let t = Instant::now();
                    let status = app.get("/v1/mailboxes?counts=false", &token).await.status();
                    seen.push((t - origin, status, t.elapsed()));
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                seen
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    dovecot_script("stop", dir, port, tls_port, &[]);
    let stopped = origin.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let logins_before = logins_in(&d.log, "alice");
    dovecot_script("start", dir, port, tls_port, &[]);
    let restarted = origin.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answers = Vec::new();
    for c in clients {
        answers.extend(c.await.expect("client"));
    }
    let logins_after = logins_in(&d.log, "alice") - logins_before;
    dovecot_script("stop", dir, port, tls_port, &[]);

    for (at, status, took) in &answers {
        assert!(
            status.is_success() || *status == StatusCode::BAD_GATEWAY || *status == StatusCode::GATEWAY_TIMEOUT,
            "at {at:?}: status {status}"
        );
        assert!(*took < Duration::from_secs(6), "at {at:?}: answered in {took:?}");
    }
    let failed_while_down = answers.iter().filter(|(at, s, _)| *at > stopped && *at < restarted && !s.is_success());
    assert!(failed_while_down.count() > 20, "the load went on while Dovecot was down");
    let recovered = answers
        .iter()
        .filter(|(at, s, _)| *at > restarted && s.is_success())
        .map(|(at, ..)| *at)
        .min()
        .expect("a request succeeded after the restart");
    assert!(recovered - restarted < Duration::from_secs(5), "recovered {:?} after the restart", recovered - restarted);
    let served_after = answers.iter().filter(|(at, s, _)| *at > restarted && s.is_success()).count();
    assert!(served_after > 50, "{served_after} requests served after the restart");
    // Three pooled connections at most, each logging in once; a storm would log in per request.
    assert!((1..=6).contains(&logins_after), "{logins_after} LOGINs after the restart for {served_after} requests");
}
