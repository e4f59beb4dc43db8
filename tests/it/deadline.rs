//! The request deadline and `Idempotency-Key`: a key whose handler the deadline dropped is
//! released, so the retry runs. Dovecot's answers are held back by a TCP proxy that can stall.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

use crate::helpers::{Admin, TestApp, dovecot, expect_problem, seg, settings_for, unique};

/// A proxy to `upstream`; while the flag is set, nothing the server sends is passed on.
async fn stalling_proxy(upstream: u16) -> (u16, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let stalled = Arc::new(AtomicBool::new(false));
    let flag = stalled.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else { continue };
            let flag = flag.clone();
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
            });
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    let n = match server_read.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    while flag.load(Ordering::SeqCst) {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    if client_write.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, stalled)
}

#[tokio::test]
async fn an_idempotency_key_dropped_by_the_deadline_is_released_and_the_retry_runs() {
    let d = dovecot();
    let mailbox = unique("idem-deadline");
    let mut admin = Admin::connect(d, "eve").await;
    admin.create(&mailbox).await;
    let (port, stalled) = stalling_proxy(d.port).await;
    let mut s = settings_for(d);
    s.imap.port = Some(port);
    s.imap.command_timeout_ms = 20_000;
    s.http.request_timeout_ms = 3_000;
    let app = TestApp::start(s).await;
    let token = app.login("eve").await.access;
    let send = || {
        app.http
            .post(app.url(&format!("/v1/mailboxes/{}/messages", seg(&mailbox))))
            .bearer_auth(&token)
            .header("content-type", "message/rfc822")
            .header("idempotency-key", "deadline-1")
            .body("From: a@example.com\r\nSubject: deadline\r\n\r\nhi\r\n")
            .send()
    };
    stalled.store(true, Ordering::SeqCst);
    let first = send().await.expect("append");
    expect_problem(first, StatusCode::GATEWAY_TIMEOUT, "request-timeout").await;
    stalled.store(false, Ordering::SeqCst);

    // The key is released in the background as the handler is dropped: a retry may see 409
    // for a moment, never for long. Right after the stall the retry may also meet the upstream
    // side recovering (a fresh connection outlasting the deadline on a loaded machine, a
    // backoff after a failed attempt): a 5xx then is never a replay of the first, and is
    // retried too. Only a 201 that is not a replay passes.
    let started = Instant::now();
    let mut seen = Vec::new();
    let retry = loop {
        let resp = send().await.expect("retry");
        let status = resp.status();
        assert!(resp.headers().get("idempotency-replayed").is_none(), "the dropped request left nothing to replay");
        if status == StatusCode::CREATED || started.elapsed() > Duration::from_secs(30) {
            break resp;
        }
        let transient = status == StatusCode::CONFLICT || status.is_server_error();
        let body = resp.text().await.unwrap_or_default();
        seen.push(format!("{status}: {body}"));
        assert!(transient, "the retry was refused: {seen:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (status, elapsed) = (retry.status(), started.elapsed());
    let body = retry.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::CREATED, "the retry ran ({elapsed:?} after the timeout): {body}; before: {seen:?}");
    let again = send().await.expect("replay");
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotency-replayed"], "true", "the key works as usual afterwards");
    admin.delete(&mailbox).await;
    admin.logout().await;
}
