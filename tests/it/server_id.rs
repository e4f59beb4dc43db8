//! The gateway names itself to the server with ID (RFC 2971) after every login where the
//! server offers it (the test Dovecot logs what clients send: `imap_id_log = *`).

use crate::helpers::{TestApp, dovecot};

#[tokio::test]
async fn the_gateway_sends_its_id_after_login() {
    let app = TestApp::spawn().await;
    let token = app.login("pat").await.access;
    app.get_json("/v1/mailboxes/INBOX", &token).await;
    let log = std::fs::read_to_string(&dovecot().log).expect("the Dovecot log");
    let sent = format!("ID sent: name=imap-gateway, version={}", env!("CARGO_PKG_VERSION"));
    let ours = log.lines().filter(|l| l.contains("(pat)") && l.contains(&sent)).count();
    assert!(ours >= 1, "no `{sent}` for pat in the Dovecot log");
}
