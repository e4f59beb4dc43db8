//! The fault suite: a scripted fake IMAP server that misbehaves once, in a chosen way, on the
//! first command after login. Each fault must give a 502 or 504 problem within the configured
//! deadline, with no panic and bounded memory; the broken connection is discarded and the next
//! request (on a new connection) succeeds.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

use crate::{
    fake_imap::plain,
    helpers::{TestApp, vm_rss_kb},
};

/// How the server misbehaves, once.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Starts the answer, then says nothing more.
    Stall,
    /// Sends the answer one byte every 100 ms.
    Trickle,
    /// Announces a literal, sends part of it, and resets the connection.
    ResetInLiteral,
    /// An untagged BYE, then closes.
    Bye,
    /// Announces a 2 GiB literal and sends a little of it.
    HugeLiteral,
    /// Bytes that are no IMAP at all.
    Garbage,
}

struct Fake {
    port: u16,
    connections: Arc<AtomicUsize>,
}

/// Answers LOGIN, CAPABILITY, NOOP, LIST, LSUB and LOGOUT like a tiny server; the first `times`
/// LIST or LSUB commands get `fault` instead.
async fn fake(fault: Fault, times: usize) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let connections = Arc::new(AtomicUsize::new(0));
    let faults_left = Arc::new(AtomicUsize::new(times));
    let count = connections.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(sock, fault, faults_left.clone()));
        }
    });
    Fake { port, connections }
}

async fn serve(sock: TcpStream, fault: Fault, faults_left: Arc<AtomicUsize>) {
    let (read, mut write) = sock.into_split();
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"* OK [CAPABILITY IMAP4rev1] fake ready\r\n").await;
    while let Ok(Some(line)) = lines.next_line().await {
        let (tag, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let command = rest.split(' ').next().unwrap_or("").to_ascii_uppercase();
        let reply = match command.as_str() {
            "CAPABILITY" => format!("* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n"),
            "LOGIN" | "NOOP" | "CHECK" => format!("{tag} OK done\r\n"),
            "LOGOUT" => format!("* BYE bye\r\n{tag} OK done\r\n"),
            "LIST" | "LSUB"
                if faults_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() =>
            {
                misbehave(fault, tag, &mut write).await;
                return;
            }
            "LIST" | "LSUB" => format!("* {command} () \"/\" INBOX\r\n{tag} OK done\r\n"),
            _ => format!("{tag} BAD unknown\r\n"),
        };
        if write.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

async fn misbehave(fault: Fault, tag: &str, write: &mut tokio::net::tcp::OwnedWriteHalf) {
    let answer = format!("* LIST () \"/\" INBOX\r\n{tag} OK done\r\n");
    match fault {
        Fault::Stall => {
            let _ = write.write_all(b"* LIST () \"/\" INB").await;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Fault::Trickle => {
            for b in answer.bytes() {
                if write.write_all(&[b]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Fault::ResetInLiteral => {
            let _ = write.write_all(b"* LIST () \"/\" {10}\r\nINB").await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            // Dropping the half (and the read half with the task) resets the connection.
        }
        Fault::Bye => {
            let _ = write.write_all(b"* BYE the server is going away\r\n").await;
        }
        Fault::HugeLiteral => {
            let _ = write.write_all(b"* LIST () \"/\" {2147483647}\r\n").await;
            let _ = write.write_all(&[b'a'; 64 * 1024]).await;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Fault::Garbage => {
            let _ = write.write_all(b"\x00\xff\xfe garbage \x01\x02 {{{ ))) \r\n\r\n").await;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    }
}

fn status_of(problem: &str) -> (u16, String) {
    let v: serde_json::Value = serde_json::from_str(problem).unwrap_or_default();
    let slug = v["type"].as_str().unwrap_or("").rsplit('/').next().unwrap_or("").to_string();
    (v["status"].as_u64().unwrap_or(0) as u16, slug)
}

#[tokio::test]
async fn every_fault_gives_502_or_504_in_time_and_the_next_request_succeeds() {
    // A lost connection is retried once on a fresh one (reads only), so those faults strike
    // twice; a timeout is not retried.
    let cases = [
        (Fault::Stall, 1, StatusCode::GATEWAY_TIMEOUT, "upstream-timeout"),
        (Fault::Trickle, 1, StatusCode::GATEWAY_TIMEOUT, "upstream-timeout"),
        (Fault::ResetInLiteral, 2, StatusCode::BAD_GATEWAY, "upstream-disconnected"),
        (Fault::Bye, 2, StatusCode::BAD_GATEWAY, "upstream-disconnected"),
        (Fault::HugeLiteral, 2, StatusCode::BAD_GATEWAY, "upstream-disconnected"),
        (Fault::Garbage, 2, StatusCode::BAD_GATEWAY, "upstream-disconnected"),
    ];
    let _memory = crate::helpers::MEMORY.lock().await;
    for (fault, times, status, slug) in cases {
        let server = fake(fault, times).await;
        let mut s = plain(server.port);
        s.imap.command_timeout_ms = 1_500;
        let app = TestApp::start(s).await;
        let token = app.login("alice").await.access;
        let before = vm_rss_kb("self");
        let started = Instant::now();
        let resp = app.get("/v1/mailboxes?counts=false", &token).await;
        let took = started.elapsed();
        let body = resp.text().await.expect("body");
        assert_eq!(status_of(&body), (status.as_u16(), slug.to_string()), "{fault:?}: {body}");
        assert!(took < Duration::from_millis(4_000), "{fault:?} took {took:?}");
        let grown = vm_rss_kb("self").saturating_sub(before);
        assert!(grown < 64 * 1024, "{fault:?}: memory grew by {grown} kB");
        // The next request works, on a new connection: the broken one was not reused.
        let resp = app.get("/v1/mailboxes?counts=false", &token).await;
        assert_eq!(resp.status(), StatusCode::OK, "{fault:?}: the next request");
        assert!(server.connections.load(Ordering::SeqCst) >= 3, "{fault:?}: login probe, broken and new connection");
    }
}
