//! Message pages, full messages and raw source against a real Dovecot.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Admin, ImapServer, TestApp, both_servers, expect_problem, message, seg, unique};

fn uids(page: &Value) -> Vec<u64> {
    page["items"].as_array().expect("items").iter().map(|m| m["uid"].as_u64().expect("uid")).collect()
}

both_servers!(pages_are_newest_first_and_stable_when_mail_arrives, "alice");

async fn pages_are_newest_first_and_stable_when_mail_arrives(server: &'static ImapServer, user: &str) {
    let mailbox = unique("page");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&mailbox).await;
    for i in 1..=25 {
        admin.append(&mailbox, None, &message(&format!("m{i}"))).await;
    }
    let app = TestApp::start(crate::helpers::settings_for(server)).await;
    let token = app.login(user).await.access;
    let base = format!("/v1/mailboxes/{}/messages", seg(&mailbox));

    let resp = app.get(&format!("{base}?limit=10"), &token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let link = resp.headers()["link"].to_str().expect("ascii").to_string();
    let first: Value = resp.json().await.expect("json");
    assert_eq!(uids(&first), (16..=25).rev().collect::<Vec<u64>>());
    assert_eq!(first["total"], 25);
    assert_eq!(first["items"][0]["subject"], "m25");
    let cursor = first["nextCursor"].as_str().expect("cursor").to_string();
    assert!(link.contains(&cursor) && link.ends_with("rel=\"next\""), "{link}");

    // Ten new messages arrive between page 1 and page 2.
    for i in 26..=35 {
        admin.append(&mailbox, None, &message(&format!("m{i}"))).await;
    }
    let second = app.get_json(&format!("{base}?limit=10&cursor={cursor}"), &token).await;
    assert_eq!(uids(&second), (6..=15).rev().collect::<Vec<u64>>(), "no repeat, no skip");
    assert_eq!(second["total"], 35);
    let cursor = second["nextCursor"].as_str().expect("cursor");
    let third = app.get_json(&format!("{base}?limit=10&cursor={cursor}"), &token).await;
    assert_eq!(uids(&third), (1..=5).rev().collect::<Vec<u64>>());
    assert!(third["nextCursor"].is_null());

    let item = &first["items"][0];
    assert_eq!(item["from"][0]["email"], "alice@example.com");
    assert_eq!(item["from"][0]["name"], "Alice");
    assert_eq!(item["to"][0]["email"], "bob@example.org");
    assert_eq!(item["keywords"], serde_json::json!({}));
    assert_eq!(item["deleted"], false);
    assert_eq!(item["hasAttachment"], false);
    assert_eq!(item["sentAt"], "2026-11-02T10:00:00+00:00");
    assert!(item["receivedAt"].as_str().expect("receivedAt").ends_with('Z'));
    assert!(item["imap"]["modSeq"].as_str().is_some());

    // Cursors are bound to their mailbox and signed.
    let other = app.get(&format!("/v1/mailboxes/INBOX/messages?cursor={cursor}"), &token).await;
    expect_problem(other, StatusCode::BAD_REQUEST, "invalid-cursor").await;
    let forged = app.get(&format!("{base}?cursor=c1.e30.AAAA"), &token).await;
    expect_problem(forged, StatusCode::BAD_REQUEST, "invalid-cursor").await;
    let stale = app.state.auth.cursors.seal(&imap_gateway::internals::Cursor {
        v: 1,
        a: app.account_of(&token),
        m: mailbox.clone(),
        uv: 1,
        before: 10,
        q: None,
    });
    let resp = app.get(&format!("{base}?cursor={stale}"), &token).await;
    expect_problem(resp, StatusCode::GONE, "uidvalidity-changed").await;
    admin.delete(&mailbox).await;
    admin.logout().await;
}

/// A multipart message with quoted-printable text, base64 HTML and a PDF with a non-ASCII name.
fn rich_message(long_text: &str) -> String {
    let html = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b"<p>Hallo <b>Welt</b></p>");
    format!(
        "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@example.com>\r\n\
         To: Team: a@example.org, b@example.org;\r\n\
         Subject: =?UTF-8?Q?Rechnung_M=C3=A4rz?=\r\n\
         Date: Tue, 3 Nov 2026 09:15:02 +0100\r\n\
         Message-ID: <rich@example.com>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
         --outer\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n\
         --inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
         Gr=C3=BC=C3=9Fe {long_text}\r\n\
         --inner\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{html}\r\n\
         --inner--\r\n\
         --outer\r\nContent-Type: application/pdf; name=\"x.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename*=utf-8''%C3%9Cbersicht.pdf\r\n\r\nJVBERi0xLjQK\r\n\
         --outer--\r\n"
    )
}

both_servers!(a_full_message_is_decoded_json_and_reading_never_marks_it_seen, "bob");

async fn a_full_message_is_decoded_json_and_reading_never_marks_it_seen(server: &'static ImapServer, user: &str) {
    let mailbox = unique("full");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&mailbox).await;
    admin.append(&mailbox, Some("(\\Flagged $Forwarded)"), &rich_message(&"x".repeat(5000))).await;
    let app = TestApp::start(crate::helpers::settings_for(server)).await;
    let token = app.login(user).await.access;
    let url = format!("/v1/mailboxes/{}/messages/1", seg(&mailbox));

    let resp = app.get(&url, &token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let etag = resp.headers()["etag"].to_str().expect("etag").to_string();
    let m: Value = resp.json().await.expect("json");
    assert_eq!(m["subject"], "Rechnung März");
    assert_eq!(m["envelope"]["subject"], "Rechnung März");
    assert_eq!(m["envelope"]["date"], "Tue, 3 Nov 2026 09:15:02 +0100");
    assert_eq!(m["envelope"]["sentAt"], "2026-11-03T09:15:02+01:00");
    assert_eq!(m["envelope"]["from"][0]["name"], "Jürgen Müller");
    assert_eq!(m["envelope"]["to"][0]["group"], "Team");
    assert_eq!(m["envelope"]["to"][1]["email"], "b@example.org");
    assert_eq!(m["envelope"]["messageId"], "<rich@example.com>");
    assert_eq!(m["keywords"], serde_json::json!({"$flagged": true, "$forwarded": true}));
    assert_eq!(m["hasAttachment"], true);
    assert_eq!(m["textBody"][0]["partId"], "1.1");
    assert_eq!(m["htmlBody"][0]["partId"], "1.2");
    assert_eq!(m["attachments"][0]["partId"], "2");
    assert_eq!(m["attachments"][0]["name"], "Übersicht.pdf");
    let uv = m["imap"]["uidValidity"].as_u64().expect("uidValidity");
    assert_eq!(m["attachments"][0]["downloadUrl"], format!("{url}/parts/2?uidValidity={uv}"));
    assert_eq!(m["bodyStructure"]["type"], "multipart/mixed");
    assert_eq!(m["bodyStructure"]["subParts"][0]["subParts"][0]["imap"]["encoding"], "quoted-printable");
    let text = m["bodyValues"]["1.1"]["value"].as_str().expect("text");
    assert!(text.starts_with("Grüße xxx"), "{text:.40}");
    assert_eq!(m["bodyValues"]["1.1"]["isTruncated"], false);
    assert_eq!(m["bodyValues"]["1.2"]["value"], "<p>Hallo <b>Welt</b></p>");
    assert_eq!(etag, format!("\"{}.{}\"", m["imap"]["uidValidity"], m["imap"]["modSeq"].as_str().expect("modseq")));

    let cut = app.get_json(&format!("{url}?maxBodyValueBytes=100"), &token).await;
    let value = cut["bodyValues"]["1.1"]["value"].as_str().expect("text");
    assert!(value.len() <= 100 && text.starts_with(value), "{} bytes", value.len());
    assert_eq!(cut["bodyValues"]["1.1"]["isTruncated"], true);
    assert_eq!(cut["bodyValues"]["1.1"]["isEncodingProblem"], false);

    let resp =
        app.http.get(app.url(&url)).bearer_auth(&token).header("if-none-match", &etag).send().await.expect("send");
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    let resp = app.get(&format!("{url}?uidValidity=1"), &token).await;
    expect_problem(resp, StatusCode::CONFLICT, "uidvalidity-changed").await;
    let resp = app.get(&format!("/v1/mailboxes/{}/messages/999", seg(&mailbox)), &token).await;
    expect_problem(resp, StatusCode::NOT_FOUND, "message-not-found").await;
    let page = app.get_json(&format!("/v1/mailboxes/{}/messages", seg(&mailbox)), &token).await;
    assert_eq!(page["items"][0]["hasAttachment"], true);
    let raw = app.get(&format!("{url}/raw"), &token).await;
    assert_eq!(raw.status(), StatusCode::OK);

    let part = app.get(&format!("{url}/parts/2"), &token).await;
    assert_eq!(part.status(), StatusCode::OK);
    assert_eq!(part.headers()["content-type"], "application/pdf");
    assert_eq!(part.headers()["x-content-type-options"], "nosniff");
    assert_eq!(part.headers()["content-security-policy"], "default-src 'none'; sandbox");
    let disposition = part.headers()["content-disposition"].to_str().expect("ascii").to_string();
    assert!(
        disposition.starts_with("attachment; ") && disposition.contains("filename*=UTF-8''%C3%9Cbersicht.pdf"),
        "{disposition}"
    );
    assert_eq!(part.bytes().await.expect("body"), b"%PDF-1.4\n".as_slice());
    let html = app.get(&format!("{url}/parts/1.2?disposition=inline"), &token).await;
    assert_eq!(html.headers()["content-type"], "text/html; charset=utf-8");
    assert!(html.headers()["content-disposition"].to_str().expect("ascii").starts_with("inline; "));
    assert_eq!(html.text().await.expect("text"), "<p>Hallo <b>Welt</b></p>");
    let text = app.get(&format!("{url}/parts/1.1"), &token).await.text().await.expect("text");
    assert!(text.starts_with("Grüße xxxx"), "{text:.20}");
    expect_problem(app.get(&format!("{url}/parts/7"), &token).await, StatusCode::NOT_FOUND, "part-not-found").await;
    let stale = app.get(&format!("{url}/parts/2?uidValidity=1"), &token).await;
    expect_problem(stale, StatusCode::CONFLICT, "uidvalidity-changed").await;
    let stale = app.get(&format!("{url}/raw?uidValidity=1"), &token).await;
    expect_problem(stale, StatusCode::CONFLICT, "uidvalidity-changed").await;
    let headers = app.get_json(&format!("{url}/headers"), &token).await;
    let subject = headers.as_array().expect("list").iter().find(|h| h["name"] == "Subject").expect("Subject");
    assert_eq!(subject["value"], " =?UTF-8?Q?Rechnung_M=C3=A4rz?=");
    let raw_headers = app.get(&format!("{url}/headers?form=raw"), &token).await.text().await.expect("text");
    assert!(
        raw_headers.starts_with("From: =?UTF-8?Q?J=C3=BCrgen") && raw_headers.ends_with("\r\n\r\n"),
        "{raw_headers:.60}"
    );
    let tree = app.get_json(&format!("{url}/bodystructure"), &token).await;
    assert_eq!(tree, m["bodyStructure"]);

    let flags = admin.flags(&mailbox, 1).await;
    assert!(!flags.iter().any(|f| f.contains("Seen")), "reading set \\Seen: {flags:?}");
    assert!(flags.iter().any(|f| f.contains("Flagged")), "{flags:?}");
    admin.delete(&mailbox).await;
    admin.logout().await;
}

both_servers!(raw_source_streams_byte_identical_with_ranges, "carol");

async fn raw_source_streams_byte_identical_with_ranges(server: &'static ImapServer, user: &str) {
    let mailbox = unique("raw");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&mailbox).await;
    // Three and a half chunks, so the download crosses chunk boundaries.
    let line = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01\r\n";
    let body: String = line.repeat(3 * 1024 * 1024 / line.len() + 7000);
    let original = format!("{}{body}", message("big").trim_end_matches("Hello.\r\n"));
    admin.append(&mailbox, None, &original).await;
    let app = TestApp::start(crate::helpers::settings_for(server)).await;
    let token = app.login(user).await.access;
    let url = format!("/v1/mailboxes/{}/messages/1/raw", seg(&mailbox));

    let resp = app.get(&url, &token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "message/rfc822");
    assert_eq!(resp.headers()["content-length"], original.len().to_string().as_str());
    let got = resp.bytes().await.expect("body");
    assert!(got == original.as_bytes(), "{} bytes back for {}", got.len(), original.len());

    let resp = app
        .http
        .get(app.url(&url))
        .bearer_auth(&token)
        .header("range", "bytes=1048570-1048589")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.headers()["content-range"], format!("bytes 1048570-1048589/{}", original.len()).as_str());
    assert_eq!(resp.bytes().await.expect("body"), original.as_bytes()[1048570..1048590]);
    let resp = app.http.get(app.url(&url)).bearer_auth(&token).header("range", "items=0-5").send().await.expect("send");
    assert_eq!(resp.status(), StatusCode::OK, "other range units are ignored");
    drop(resp);
    let resp = app.http.get(app.url(&url)).bearer_auth(&token).header("range", "bytes=-5").send().await.expect("send");
    assert_eq!(resp.bytes().await.expect("body"), original.as_bytes()[original.len() - 5..]);
    let resp =
        app.http.get(app.url(&url)).bearer_auth(&token).header("range", "bytes=999999999-").send().await.expect("send");
    expect_problem(resp, StatusCode::RANGE_NOT_SATISFIABLE, "range-not-satisfiable").await;
    let resp = app.get(&format!("/v1/mailboxes/{}/messages/2/raw", seg(&mailbox)), &token).await;
    expect_problem(resp, StatusCode::NOT_FOUND, "message-not-found").await;
    // The pooled connection is clean after a streamed download.
    assert_eq!(app.get_json(&format!("/v1/mailboxes/{}", seg(&mailbox)), &token).await["exists"], 1);
    admin.delete(&mailbox).await;
    admin.logout().await;
}

both_servers!(html_is_marked_untrusted_and_sanitized_on_request, "dave");

async fn html_is_marked_untrusted_and_sanitized_on_request(server: &'static ImapServer, user: &str) {
    let mailbox = unique("html");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&mailbox).await;
    let msg = "From: news@example.com\r\nTo: dave@example.org\r\nSubject: News\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/related; boundary=\"r\"\r\n\r\n\
        --r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
        <p onclick=\"x()\">Hi<script>alert(1)</script><img src=\"https://tracker.example.net/p.gif\"><img src=\"cid:logo@example.com\"></p>\r\n\
        --r\r\nContent-Type: image/png\r\nContent-ID: <logo@example.com>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n\
        --r--\r\n";
    admin.append(&mailbox, None, msg).await;
    let app = TestApp::start(crate::helpers::settings_for(server)).await;
    let token = app.login(user).await.access;
    let url = format!("/v1/mailboxes/{}/messages/1", seg(&mailbox));
    let raw = app.get_json(&url, &token).await;
    assert_eq!(raw["bodyValues"]["1"]["html"], "untrusted");
    assert!(raw["bodyValues"]["1"]["value"].as_str().expect("html").contains("<script>"));
    let clean = app.get_json(&format!("{url}?sanitize=true"), &token).await;
    let value = clean["bodyValues"]["1"]["value"].as_str().expect("html");
    assert_eq!(clean["bodyValues"]["1"]["html"], "sanitized");
    for gone in ["<script", "onclick", "tracker.example.net"] {
        assert!(!value.contains(gone), "{gone} in {value}");
    }
    let uv = clean["imap"]["uidValidity"].as_u64().expect("uidValidity");
    assert!(value.contains(&format!("src=\"{url}/parts/2?uidValidity={uv}\"")), "{value}");
    admin.delete(&mailbox).await;
    admin.logout().await;
}
