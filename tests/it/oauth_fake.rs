//! XOAUTH2 without SASL-IR, against a scripted server: the initial response goes after the
//! server's empty challenge, and a refused token's JSON challenge is answered with an empty
//! line, so the server's tagged NO arrives (a 401 carrying its status and scope) instead of a
//! connection that hangs until its deadline.

use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::json;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

use crate::{
    fake_imap::plain,
    helpers::{TestApp, expect_problem},
};

/// A server that offers AUTH=XOAUTH2 but no SASL-IR and accepts only the token `good-token`.
async fn fake() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = sock.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] fake\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let (tag, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
                    let reply = match rest.to_ascii_uppercase().as_str() {
                        "AUTHENTICATE XOAUTH2" => {
                            let _ = write.write_all(b"+ \r\n").await;
                            let Ok(Some(answer)) = lines.next_line().await else { return };
                            let decoded = base64::engine::general_purpose::STANDARD.decode(answer).unwrap_or_default();
                            if decoded == b"user=alice\x01auth=Bearer good-token\x01\x01" {
                                format!("{tag} OK [CAPABILITY IMAP4rev1] welcome\r\n")
                            } else {
                                let challenge =
                                    r#"{"status":"401","schemes":"bearer","scope":"https://mail.example/"}"#;
                                let b64 = base64::engine::general_purpose::STANDARD.encode(challenge);
                                let _ = write.write_all(format!("+ {b64}\r\n").as_bytes()).await;
                                // RFC 7628: the client answers, then the server says NO.
                                let Ok(Some(empty)) = lines.next_line().await else { return };
                                assert!(empty.is_empty(), "the client answers the challenge with an empty line");
                                format!("{tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n")
                            }
                        }
                        "CAPABILITY" => format!("* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n"),
                        "LOGOUT" => format!("* BYE bye\r\n{tag} OK done\r\n"),
                        _ => format!("{tag} OK done\r\n"),
                    };
                    if write.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn xoauth2_without_sasl_ir_logs_in_and_a_refused_token_is_401_not_a_hang() {
    let port = fake().await;
    let mut s = plain(port);
    s.imap.login_timeout_ms = 5_000;
    let app = TestApp::start(s).await;
    let login = |token: &str| json!({"username": "alice", "accessToken": token, "expiresIn": 600});
    let ok = app.login_with(&login("good-token")).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let started = Instant::now();
    let refused = app.login_with(&login("bad-token")).await;
    assert!(started.elapsed() < Duration::from_secs(2), "answered at once, not at the deadline");
    let body = expect_problem(refused, StatusCode::UNAUTHORIZED, "authentication-failed").await;
    assert_eq!(body["imap"]["code"], "AUTHENTICATIONFAILED");
    assert_eq!(body["imap"]["oauth"]["status"], "401");
    assert_eq!(body["imap"]["oauth"]["scope"], "https://mail.example/");
}
