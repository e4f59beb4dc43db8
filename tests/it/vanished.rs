//! A message expunged between the size read and the first chunk of a download: a fake IMAP
//! server reports the message's size, then has no FETCH data for its bytes. The raw route must
//! answer 404, not commit to a 200 with a `Content-Length` and then cut the body.

use std::sync::Arc;

use reqwest::StatusCode;

use crate::{
    fake_imap::{plain, scripted},
    helpers::TestApp,
};

/// Answers like a tiny server whose message UID 5 (100 bytes) vanishes before its bytes are read.
fn reply(tag: &str, rest: &str) -> String {
    let upper = rest.to_ascii_uppercase();
    if upper.starts_with("EXAMINE") || upper.starts_with("SELECT") {
        format!(
            "* 1 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 6] ok\r\n{tag} OK [READ-ONLY] done\r\n"
        )
    } else if upper.starts_with("UID FETCH") && upper.contains("RFC822.SIZE") {
        format!("* 1 FETCH (UID 5 RFC822.SIZE 100)\r\n{tag} OK done\r\n")
    } else {
        // The chunk fetch (BODY.PEEK[]<0.100>), NOOP, LOGIN: nothing more to say.
        format!("{tag} OK done\r\n")
    }
}

#[tokio::test]
async fn a_message_expunged_before_its_first_chunk_answers_404() {
    let app = TestApp::start(plain(scripted(Arc::new(reply)).await)).await;
    let token = app.login("alice").await.access;
    let resp = app.get("/v1/mailboxes/INBOX/messages/5/raw", &token).await;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("message-not-found"), "{body}");
}
