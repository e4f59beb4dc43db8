//! Slow and idle HTTP clients: the head deadline, the idle keep-alive deadline and the cap on
//! open connections (src/http/serve.rs). The gateway runs in this process, so `/proc/self/fd`
//! counts its descriptors (and the test's own sockets).

use std::time::{Duration, Instant};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    task::JoinSet,
    time::timeout,
};

use crate::helpers::TestApp;

const HEAD: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n";

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

/// How a slow client's connection ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// The server closed it (FIN or reset) while the client was still sending its head.
    ClosedByServer,
    /// The server answered something.
    Answered(String),
    /// The whole head went out and nothing closed the connection.
    NeverClosed,
}

/// Sends `HEAD` one byte every 5 s, watching for the server to close the socket; returns the
/// socket (still open on this side), how it ended and when, from the connect.
async fn trickle(mut sock: TcpStream) -> (TcpStream, End, Duration) {
    let opened = Instant::now();
    let mut buf = [0u8; 512];
    for &b in HEAD {
        if sock.write_all(&[b]).await.is_err() {
            return (sock, End::ClosedByServer, opened.elapsed());
        }
        match timeout(Duration::from_secs(5), sock.read(&mut buf)).await {
            Err(_) => continue,
            Ok(Ok(0) | Err(_)) => return (sock, End::ClosedByServer, opened.elapsed()),
            Ok(Ok(n)) => {
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                return (sock, End::Answered(text), opened.elapsed());
            }
        }
    }
    (sock, End::NeverClosed, opened.elapsed())
}

#[tokio::test]
async fn five_hundred_slow_heads_are_closed_by_the_server_while_a_normal_client_is_served() {
    let app = TestApp::spawn_with(|s| s.http.header_read_timeout_ms = 2_000).await;
    assert_eq!(app.http.get(app.url("/healthz")).send().await.expect("warm-up").status(), 200);
    let baseline = open_fds();
    let mut slow = JoinSet::new();
    for _ in 0..500 {
        let sock = TcpStream::connect(addr(&app)).await.expect("connect");
        slow.spawn(trickle(sock));
    }
    // While they trickle, a client on a new connection is served at once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let peak = open_fds();
    let fresh = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
    let served = Instant::now();
    let resp = fresh.get(app.url("/healthz")).send().await.expect("a normal client during the attack");
    assert_eq!(resp.status(), 200);
    assert!(served.elapsed() < Duration::from_secs(2), "served in {:?}", served.elapsed());
    drop(fresh);

    let ended = timeout(Duration::from_secs(60), slow.join_all()).await.expect("every slow socket ended");
    let mut latest = Duration::ZERO;
    for (_, end, after) in &ended {
        assert_eq!(*end, End::ClosedByServer, "after {after:?}");
        // The first byte went out at once and the second would have gone 5 s later: closed in
        // between, by the 2 s head deadline.
        assert!(*after >= Duration::from_millis(1_500), "closed too early: {after:?}");
        latest = latest.max(*after);
    }
    assert!(latest < Duration::from_secs(5), "the last one was closed after {latest:?}");
    // The server's 500 descriptors are gone while the test still holds its own 500.
    let server_closed = open_fds();
    drop(ended);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = open_fds();
    println!("open fds: baseline {baseline}, peak {peak}, server closed {server_closed}, after {after}");
    // Slack for other tests running in this process at the same time.
    let slack = 150;
    assert!(peak >= baseline + 900, "both ends of 500 connections were open: {peak} vs {baseline}");
    assert!(peak <= baseline + 1_000 + slack, "peak {peak} vs baseline {baseline}");
    assert!(server_closed <= baseline + 500 + slack, "server side released: {server_closed} vs {baseline}");
    assert!(after <= baseline + slack, "back to the baseline: {after} vs {baseline}");
}

/// Reads one response to `/healthz` from `sock`.
async fn read_response(sock: &mut TcpStream) -> String {
    let mut buf = vec![0u8; 4096];
    let n = timeout(Duration::from_secs(5), sock.read(&mut buf)).await.expect("answer in time").expect("read");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout_not_the_head_timeout() {
    let app = TestApp::spawn_with(|s| {
        s.http.header_read_timeout_ms = 1_000;
        s.http.idle_timeout_ms = 3_000;
    })
    .await;
    let mut sock = TcpStream::connect(addr(&app)).await.expect("connect");
    sock.write_all(HEAD).await.expect("request");
    assert!(read_response(&mut sock).await.starts_with("HTTP/1.1 200"));
    // Idle for twice the head deadline: still open, and the next request is served.
    tokio::time::sleep(Duration::from_secs(2)).await;
    sock.write_all(HEAD).await.expect("second request");
    let second = read_response(&mut sock).await;
    assert!(second.starts_with("HTTP/1.1 200"), "{second}");
    let idle = Instant::now();
    let mut buf = [0u8; 64];
    let n = timeout(Duration::from_secs(15), sock.read(&mut buf)).await.expect("closed by the server");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    let waited = idle.elapsed();
    assert!(waited >= Duration::from_millis(2_500) && waited < Duration::from_secs(9), "closed after {waited:?}");
}

#[tokio::test]
async fn past_the_connection_cap_a_new_client_waits_until_one_closes() {
    let app = TestApp::spawn_with(|s| {
        s.http.max_connections = 2;
        s.http.header_read_timeout_ms = 30_000;
        s.http.idle_timeout_ms = 30_000;
    })
    .await;
    let holders =
        [TcpStream::connect(addr(&app)).await.expect("first"), TcpStream::connect(addr(&app)).await.expect("second")];
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fresh = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().expect("client");
    let url = app.url("/healthz");
    let mut waiting = tokio::spawn(async move { fresh.get(url).send().await.map(|r| r.status().as_u16()) });
    assert!(
        timeout(Duration::from_millis(1_500), &mut waiting).await.is_err(),
        "a third connection is not served while two are open"
    );
    let [first, _second] = holders;
    drop(first);
    let status = timeout(Duration::from_secs(5), waiting).await.expect("served once a slot freed");
    assert_eq!(status.expect("task").expect("response"), 200);
}
