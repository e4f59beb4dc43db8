//! A message expunged between the size read and the first chunk of a download: a fake IMAP
//! server reports the message's size, then has no FETCH data for its bytes. The raw route must
//! answer 404, not commit to a 200 with a `Content-Length` and then cut the body.

use reqwest::StatusCode;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

use crate::helpers::{TestApp, dovecot, settings_for};

/// Answers like a tiny server whose message UID 5 (100 bytes) vanishes before its bytes are read.
async fn fake() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(serve(sock));
        }
    });
    port
}

async fn serve(sock: TcpStream) {
    let (read, mut write) = sock.into_split();
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"* OK [CAPABILITY IMAP4rev1] fake ready\r\n").await;
    while let Ok(Some(line)) = lines.next_line().await {
        let (tag, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let upper = rest.to_ascii_uppercase();
        let reply = if upper.starts_with("CAPABILITY") {
            format!("* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n")
        } else if upper.starts_with("LOGOUT") {
            format!("* BYE bye\r\n{tag} OK done\r\n")
        } else if upper.starts_with("EXAMINE") || upper.starts_with("SELECT") {
            format!(
                "* 1 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 6] ok\r\n{tag} OK [READ-ONLY] done\r\n"
            )
        } else if upper.starts_with("UID FETCH") && upper.contains("RFC822.SIZE") {
            format!("* 1 FETCH (UID 5 RFC822.SIZE 100)\r\n{tag} OK done\r\n")
        } else {
            // The chunk fetch (BODY.PEEK[]<0.100>), NOOP, LOGIN: nothing more to say.
            format!("{tag} OK done\r\n")
        };
        if write.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn a_message_expunged_before_its_first_chunk_answers_404() {
    let mut s = settings_for(dovecot());
    s.imap.port = Some(fake().await);
    s.imap.tls = imap_gateway::TlsMode::Plain;
    s.imap.ca_file = None;
    let app = TestApp::start(s).await;
    let token = app.login("alice").await.access;
    let resp = app.get("/v1/mailboxes/INBOX/messages/5/raw", &token).await;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("message-not-found"), "{body}");
}
