//! A message read for the first time comes in one UID FETCH when its text and HTML fit in the
//! bytes fetched on speculation with its structure (parts 1 and 2), and in two when the HTML is
//! longer; on Dovecot and Cyrus, with the same body values either way.

use serde_json::Value;

use crate::helpers::{Admin, ImapServer, TestApp, both_servers, metric, seg, settings_for, unique};

/// A text and HTML alternative whose HTML part is about `html_bytes` long.
fn alternative(subject: &str, html_bytes: usize) -> String {
    let paragraph = "<p>Speculation saves a round trip.</p>\r\n";
    let html = paragraph.repeat(html_bytes / paragraph.len() + 1);
    format!(
        "From: a@example.org\r\nTo: b@example.org\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nThe text of {subject}.\r\n--b\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n<html><body>{html}</body></html>\r\n--b--\r\n"
    )
}

both_servers!(a_first_read_fetches_text_and_html_with_the_structure, dovecot: "lee", cyrus: "dave");

async fn a_first_read_fetches_text_and_html_with_the_structure(server: &'static ImapServer, user: &str) {
    let app = TestApp::start(settings_for(server)).await;
    let token = app.login(user).await.access;
    let name = unique("spec");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&name).await;
    admin.append(&name, None, &alternative("short", 2_000)).await;
    admin.append(&name, None, &alternative("long", 40_000)).await;
    let fetches = |text: &str| metric(text, "imap_commands_total{command=\"UID FETCH\",outcome=\"ok\"}").unwrap_or(0);
    for (uid, subject, want) in [(1, "short", 1), (2, "long", 2)] {
        let before = fetches(&app.metrics().await);
        let m = app.get_json(&format!("/v1/mailboxes/{}/messages/{uid}", seg(&name)), &token).await;
        assert_eq!(fetches(&app.metrics().await) - before, want, "UID FETCHes for the {subject} HTML: {m}");
        let value = |list: &str| {
            let part = m[list][0]["partId"].as_str().expect("partId").to_string();
            m["bodyValues"][&part].clone()
        };
        let (text, html) = (value("textBody"), value("htmlBody"));
        assert_eq!(text["value"], format!("The text of {subject}."), "{m}");
        let html_value = html["value"].as_str().expect("html");
        assert!(html_value.starts_with("<html><body><p>Speculation"), "{html}");
        assert!(html_value.ends_with("</body></html>"), "the whole HTML: {}", &html_value[html_value.len() - 40..]);
        assert_eq!(html["isTruncated"], Value::Bool(false));
    }
    admin.delete(&name).await;
    admin.logout().await;
}
