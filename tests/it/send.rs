//! Writing mail through a real Postfix (submission with SASL through the test Dovecot,
//! delivery over LMTP into the same Dovecot): send, Bcc, the Sent copy, non-ASCII round trips,
//! reply and forward, drafts, `Idempotency-Key`, the rate limit, and injection attempts.

use std::time::Duration;

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

use imap_gateway::{Settings, TlsMode};

use crate::{
    events::Stream,
    helpers::{TestApp, expect_problem, seg, unique},
};

/// The test Postfix of `scripts/test` (`SMTP_*` variables).
pub fn smtp_settings(s: &mut Settings) {
    let port = std::env::var("SMTP_SUBMISSION_PORT").expect("SMTP_SUBMISSION_PORT: run the tests with scripts/test");
    s.smtp.host = Some(std::env::var("SMTP_HOST").unwrap_or_else(|_| "127.0.0.1".into()));
    s.smtp.port = Some(port.parse().expect("port"));
    s.smtp.tls = TlsMode::Starttls;
    s.smtp.ca_file = Some(std::env::var("SMTP_TLS_CA").expect("SMTP_TLS_CA").into());
    s.smtp.identities = vec!["{user}@example.org".into(), "sam:sales@example.org".into()];
    s.smtp.timeout_ms = 10_000;
}

pub async fn mail_app() -> TestApp {
    TestApp::spawn_with(smtp_settings).await
}

pub async fn send(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.post_json("/v1/messages/send", token, body).await
}

/// The UID of the message with `message_id` in `mailbox`, waiting up to 15 s for delivery.
pub async fn arrived(app: &TestApp, token: &str, mailbox: &str, message_id: &str) -> u64 {
    let filter = json!({"filter": {"header": {"name": "Message-ID", "value": message_id.trim_matches(['<', '>'])}}});
    for _ in 0..150 {
        let resp = app.search(token, mailbox, filter.clone()).await;
        let body: Value = resp.json().await.expect("json");
        if let Some(uid) = body["uids"].as_array().and_then(|u| u.first()).and_then(Value::as_u64) {
            return uid;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{message_id} did not arrive in {mailbox}");
}

pub async fn raw(app: &TestApp, token: &str, mailbox: &str, uid: u64) -> Vec<u8> {
    let resp = app.get(&format!("/v1/mailboxes/{}/messages/{uid}/raw", seg(mailbox)), token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.bytes().await.expect("bytes").to_vec()
}

/// `raw` without the trace fields Postfix and LMTP put on top, and without `Bcc`.
fn without(raw: &[u8], fields: &[&str]) -> Vec<u8> {
    let text = raw.to_vec();
    let mut out = Vec::new();
    let mut dropping = false;
    let mut in_head = true;
    for line in text.split_inclusive(|&b| b == b'\n') {
        if in_head && (line == b"\r\n" || line == b"\n") {
            in_head = false;
        }
        if in_head {
            if !matches!(line.first(), Some(b' ' | b'\t')) {
                let name = line.split(|&b| b == b':').next().unwrap_or_default();
                dropping = fields.iter().any(|f| f.as_bytes().eq_ignore_ascii_case(name));
            }
            if dropping {
                continue;
            }
        }
        out.extend_from_slice(line);
    }
    out
}

#[tokio::test]
async fn a_message_arrives_byte_for_byte_bcc_stays_hidden_and_the_sent_copy_is_seen() {
    let app = mail_app().await;
    let sam = app.login("sam").await.access;
    let rita = app.login("rita").await.access;
    let tom = app.login("tom").await.access;
    let mut sent_events = Stream::open(&app, &sam, "?mailboxes=Sent", None).await;
    sent_events.expect("ready", Duration::from_secs(12)).await;
    let subject = format!("会議の資料 🎉 {}", unique("s"));
    let pdf = base64::engine::general_purpose::STANDARD.encode([0u8, 1, 2, 200, 255]);
    let resp = send(
        &app,
        &sam,
        &json!({
            "from": {"name": "山田 太郎 🎌", "email": "sam@example.org"},
            "to": [{"name": "Rita, R.", "email": "rita@example.org"}],
            "bcc": [{"email": "tom@example.org"}],
            "subject": subject,
            "text": "こんにちは\nline two",
            "html": "<p>こんにちは</p>",
            "attachments": [{"filename": "報告書 2026 🎉.pdf", "contentType": "application/pdf", "contentBase64": pdf}],
            "headers": {"X-Campaign": "7"},
            "keywords": ["project-x"],
        }),
    )
    .await;
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["accepted"], json!(["rita@example.org", "tom@example.org"]));
    assert_eq!(body["rejected"], json!([]));
    assert_eq!(body["sent"]["mailbox"], "Sent");
    let message_id = body["messageId"].as_str().expect("messageId");
    let sent_uid = body["sent"]["uid"].as_u64().expect("sent uid");

    // The recipient's copy is the transmitted bytes: the Sent copy without Bcc.
    let in_rita = arrived(&app, &rita, "INBOX", message_id).await;
    let delivered = raw(&app, &rita, "INBOX", in_rita).await;
    let kept = raw(&app, &sam, "Sent", sent_uid).await;
    let trace = ["Return-Path", "Delivered-To", "Received"];
    assert_eq!(without(&delivered, &trace), without(&kept, &["Bcc"]), "byte for byte apart from trace fields");
    assert!(!String::from_utf8_lossy(&delivered).to_lowercase().contains("tom@example.org"), "Bcc never leaks");
    let kept_text = String::from_utf8_lossy(&kept);
    assert!(kept_text.contains("\r\nBcc: <tom@example.org>\r\n"), "the Sent copy keeps Bcc: {kept_text}");
    arrived(&app, &tom, "INBOX", message_id).await;

    // Non-ASCII survives, read back through the gateway's own message JSON.
    let m = app.get_json(&format!("/v1/mailboxes/INBOX/messages/{in_rita}"), &rita).await;
    assert_eq!(m["subject"], subject.as_str());
    assert_eq!(m["from"][0]["name"], "山田 太郎 🎌");
    assert_eq!(m["to"][0]["name"], "Rita, R.");
    let names: Vec<&str> =
        m["attachments"].as_array().expect("attachments").iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, ["報告書 2026 🎉.pdf"], "{m}");
    let copy = app.get_json(&format!("/v1/mailboxes/Sent/messages/{sent_uid}"), &sam).await;
    let keywords = &copy["keywords"];
    assert_eq!((keywords["$seen"].as_bool(), keywords["project-x"].as_bool()), (Some(true), Some(true)), "{copy}");

    // The sender's event stream shows the Sent copy.
    // (other tests send as sam too: wait for the event naming this copy)
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let ev = sent_events.expect("message.created", left).await;
        assert_eq!(ev.data["mailbox"], "Sent");
        if ev.data["uids"].as_array().expect("uids").iter().any(|u| u.as_u64() == Some(sent_uid)) {
            break;
        }
    }
}

#[tokio::test]
async fn a_reply_threads_and_marks_answered_and_a_forward_attaches_the_original() {
    let app = mail_app().await;
    let uma = app.login("uma").await.access;
    let kim = app.login("kim").await.access;
    let lee = app.login("lee").await.access;
    let subject = unique("thread");
    let first: Value =
        send(&app, &uma, &json!({"to": [{"email": "kim@example.org"}], "subject": subject, "text": "first"}))
            .await
            .json()
            .await
            .expect("json");
    let first_id = first["messageId"].as_str().expect("id").to_string();
    let in_kim = arrived(&app, &kim, "INBOX", &first_id).await;

    let reply = send(&app, &kim, &json!({"to": [{"email": "uma@example.org"}], "text": "answer", "inReplyTo": {"mailbox": "INBOX", "uid": in_kim}})).await;
    assert_eq!(reply.status(), StatusCode::CREATED);
    let reply: Value = reply.json().await.expect("json");
    let in_uma = arrived(&app, &uma, "INBOX", reply["messageId"].as_str().expect("id")).await;
    let got = app.get_json(&format!("/v1/mailboxes/INBOX/messages/{in_uma}"), &uma).await;
    assert_eq!(got["subject"], format!("Re: {subject}"));
    assert_eq!(got["inReplyTo"], first_id.as_str(), "{got}");
    let raw_reply = String::from_utf8(raw(&app, &uma, "INBOX", in_uma).await).expect("utf8");
    assert!(raw_reply.contains(&format!("References: {first_id}\r\n")), "{raw_reply}");
    let original = app.get_json(&format!("/v1/mailboxes/INBOX/messages/{in_kim}"), &kim).await;
    assert_eq!(original["keywords"]["$answered"], true, "{original}");

    let fwd = send(&app, &kim, &json!({"to": [{"email": "lee@example.org"}], "text": "see below", "forward": {"mailbox": "INBOX", "uid": in_kim}})).await;
    assert_eq!(fwd.status(), StatusCode::CREATED);
    let fwd: Value = fwd.json().await.expect("json");
    let in_lee = arrived(&app, &lee, "INBOX", fwd["messageId"].as_str().expect("id")).await;
    let got = app.get_json(&format!("/v1/mailboxes/INBOX/messages/{in_lee}"), &lee).await;
    assert_eq!(got["subject"], format!("Fwd: {subject}"));
    let raw_fwd = String::from_utf8(raw(&app, &lee, "INBOX", in_lee).await).expect("utf8");
    assert!(raw_fwd.contains("Content-Type: message/rfc822"), "{raw_fwd}");
    assert!(raw_fwd.contains(&format!("Message-ID: {first_id}")), "the original is attached as it is");
    let original = app.get_json(&format!("/v1/mailboxes/INBOX/messages/{in_kim}"), &kim).await;
    assert_eq!(original["keywords"]["$forwarded"], true, "{original}");

    // An inline forward quotes the text instead.
    let inline = send(&app, &kim, &json!({"to": [{"email": "lee@example.org"}], "forward": {"mailbox": "INBOX", "uid": in_kim, "asAttachment": false}})).await;
    let inline: Value = inline.json().await.expect("json");
    let in_lee = arrived(&app, &lee, "INBOX", inline["messageId"].as_str().expect("id")).await;
    let raw_inline = String::from_utf8(raw(&app, &lee, "INBOX", in_lee).await).expect("utf8");
    assert!(raw_inline.contains("Forwarded message") && raw_inline.contains("first"), "{raw_inline}");
    assert!(!raw_inline.contains("message/rfc822"));
}

#[tokio::test]
async fn drafts_are_saved_replaced_exactly_and_sent() {
    let app = mail_app().await;
    let lee = app.login("lee").await.access;
    let sam = app.login("sam").await.access;
    let subject = unique("draft");
    let asked: Value =
        send(&app, &sam, &json!({"to": [{"email": "lee@example.org"}], "subject": subject, "text": "?"}))
            .await
            .json()
            .await
            .expect("json");
    let asked_uid = arrived(&app, &lee, "INBOX", asked["messageId"].as_str().expect("id")).await;
    let reply_to = json!({"mailbox": "INBOX", "uid": asked_uid});
    let resp = app.post_json("/v1/drafts", &lee, &json!({"inReplyTo": reply_to, "text": "v1"})).await;
    let status = resp.status();
    let first: Value = resp.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["mailbox"], "Drafts");
    let uid1 = first["uid"].as_u64().expect("uid");
    let d = app.get_json(&format!("/v1/mailboxes/Drafts/messages/{uid1}"), &lee).await;
    assert_eq!((d["keywords"]["$draft"].as_bool(), d["keywords"]["$seen"].as_bool()), (Some(true), Some(true)));

    let resp = app
        .http
        .put(app.url(&format!("/v1/drafts/{uid1}")))
        .bearer_auth(&lee)
        .json(&json!({"to": [{"email": "sam@example.org"}], "inReplyTo": reply_to, "text": "v2"}))
        .send()
        .await
        .expect("put");
    assert_eq!(resp.status(), StatusCode::OK);
    let second: Value = resp.json().await.expect("json");
    let uid2 = second["uid"].as_u64().expect("uid");
    assert!(uid2 > uid1);
    let gone = app.get(&format!("/v1/mailboxes/Drafts/messages/{uid1}"), &lee).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND, "exactly the old draft is expunged");
    let missing = app
        .http
        .put(app.url("/v1/drafts/999999"))
        .bearer_auth(&lee)
        .json(&json!({"text": "x"}))
        .send()
        .await
        .expect("put");
    expect_problem(missing, StatusCode::NOT_FOUND, "message-not-found").await;

    // A draft without recipients is kept, but the stored draft cannot be sent: 409, not 422.
    let resp = app.post_json("/v1/drafts", &lee, &json!({"subject": unique("nobody"), "text": "x"})).await;
    let lonely: Value = resp.json().await.expect("json");
    let lonely = lonely["uid"].as_u64().expect("uid");
    let resp = app.post_empty(&format!("/v1/drafts/{lonely}/send"), &lee).await;
    let problem = expect_problem(resp, StatusCode::CONFLICT, "draft-not-sendable").await;
    assert!(problem["detail"].as_str().unwrap_or_default().contains("recipient"), "{problem}");

    let resp = app.post_empty(&format!("/v1/drafts/{uid2}/send?saveToSent=false"), &lee).await;
    let status = resp.status();
    let sent: Value = resp.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["sent"], Value::Null, "saveToSent=false: no Sent copy");
    assert_eq!(sent["messageId"], second["messageId"]);
    let in_sam = arrived(&app, &sam, "INBOX", sent["messageId"].as_str().expect("id")).await;
    let got = app.get_json(&format!("/v1/mailboxes/INBOX/messages/{in_sam}"), &sam).await;
    assert_eq!(got["subject"], format!("Re: {subject}"));
    assert_eq!(got["inReplyTo"], asked["messageId"]);
    let delivered = String::from_utf8(raw(&app, &sam, "INBOX", in_sam).await).expect("utf8");
    assert!(!delivered.contains("X-Imap-Gateway-Draft-Of"), "the draft's own field stays home: {delivered}");
    let gone = app.get(&format!("/v1/mailboxes/Drafts/messages/{uid2}"), &lee).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND, "a sent draft leaves Drafts");
    let original = app.get_json(&format!("/v1/mailboxes/INBOX/messages/{asked_uid}"), &lee).await;
    assert_eq!(original["keywords"]["$answered"], true, "sending the reply draft marks the original: {original}");
}

#[tokio::test]
async fn a_retried_send_with_its_idempotency_key_is_sent_once() {
    let app = mail_app().await;
    let tom = app.login("tom").await.access;
    let uma = app.login("uma").await.access;
    let subject = unique("once");
    let body = json!({"to": [{"email": "uma@example.org"}], "subject": subject, "text": "only once"});
    let key = unique("key");
    let mut ids = Vec::new();
    for attempt in 0..2 {
        let resp = app
            .http
            .post(app.url("/v1/messages/send"))
            .bearer_auth(&tom)
            .header("Idempotency-Key", &key)
            .json(&body)
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), StatusCode::CREATED);
        assert_eq!(resp.headers().get("idempotency-replayed").is_some(), attempt == 1);
        let v: Value = resp.json().await.expect("json");
        ids.push(v["messageId"].as_str().expect("id").to_string());
    }
    assert_eq!(ids[0], ids[1]);
    arrived(&app, &uma, "INBOX", &ids[0]).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let found =
        app.search(&uma, "INBOX", json!({"filter": {"subject": subject}})).await.json::<Value>().await.expect("json");
    assert_eq!(found["uids"].as_array().map(Vec::len), Some(1), "delivered once: {found}");
}

#[tokio::test]
async fn the_send_rate_limit_answers_429_and_sends_nothing_more() {
    let app = TestApp::spawn_with(|s| {
        smtp_settings(s);
        s.smtp.per_hour = 2;
    })
    .await;
    let rita = app.login("rita").await.access;
    let subject = unique("rate");
    let ok = json!({"to": [{"email": "kim@example.org"}], "subject": subject});
    assert_eq!(send(&app, &rita, &ok).await.status(), StatusCode::CREATED);
    // a send the server refused for every recipient sent nothing and is not counted
    let refused = json!({"to": [{"email": "nobody@example.org"}], "subject": subject});
    expect_problem(send(&app, &rita, &refused).await, StatusCode::UNPROCESSABLE_ENTITY, "recipients-refused").await;
    assert_eq!(send(&app, &rita, &ok).await.status(), StatusCode::CREATED, "the second of two an hour");
    let resp = send(&app, &rita, &ok).await;
    let retry = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    expect_problem(resp, StatusCode::TOO_MANY_REQUESTS, "send-rate-limited").await;
    assert!(retry.is_some_and(|r| (1..=3600).contains(&r)), "{retry:?}");
    // the limit is the account's: another account still sends
    let kim = app.login("kim").await.access;
    let resp = send(&app, &kim, &json!({"to": [{"email": "rita@example.org"}], "subject": subject})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn recipients_the_server_refuses_are_reported_per_address() {
    let app = mail_app().await;
    let sam = app.login("sam").await.access;
    let resp = send(
        &app,
        &sam,
        &json!({"to": [{"email": "nobody@example.org"}, {"email": "rita@example.org"}], "subject": "partial"}),
    )
    .await;
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["accepted"], json!(["rita@example.org"]));
    assert_eq!(body["rejected"][0]["email"], "nobody@example.org");
    assert_eq!(body["rejected"][0]["code"], 550);
    assert!(body["rejected"][0]["text"].as_str().expect("text").contains("User unknown"), "{body}");
    let resp = send(
        &app,
        &sam,
        &json!({"to": [{"email": "nobody@example.org"}, {"email": "x@other.test"}], "subject": "none"}),
    )
    .await;
    let problem = expect_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "recipients-refused").await;
    assert_eq!(problem["rejected"].as_array().map(Vec::len), Some(2), "{problem}");
    // another identity of sam's is allowed; another user's address is not
    let resp = send(
        &app,
        &sam,
        &json!({"from": {"email": "sales@example.org"}, "to": [{"email": "rita@example.org"}], "subject": "as sales"}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn attachments_come_from_uploads_form_parts_and_stored_messages() {
    let app = mail_app().await;
    let sam = app.login("sam").await.access;
    let tom = app.login("tom").await.access;
    let pdf = [0u8, 1, 2, 200, 255, b'\r', b'\n', 7];
    let subject = unique("files");
    let body = json!({
        "to": [{"email": "tom@example.org"}], "subject": subject, "text": "see attached",
        "attachments": [{"filename": "Ünïcode report.pdf", "contentType": "application/pdf",
            "contentBase64": base64::engine::general_purpose::STANDARD.encode(pdf)}],
    });
    let sent: Value = send(&app, &sam, &body).await.json().await.expect("json");
    let in_tom = arrived(&app, &tom, "INBOX", sent["messageId"].as_str().expect("id")).await;

    // a draft made of a form: the compose part names the stored PDF, a file part adds a note
    let compose = json!({"subject": subject, "attachments": [{"mailbox": "INBOX", "uid": in_tom, "partId": "2"}]});
    let form = reqwest::multipart::Form::new().text("compose", compose.to_string()).part(
        "files",
        reqwest::multipart::Part::bytes(b"hello file\r\n".to_vec())
            .file_name("notes.txt")
            .mime_str("text/plain")
            .expect("mime"),
    );
    let resp = app.http.post(app.url("/v1/drafts")).bearer_auth(&tom).multipart(form).send().await.expect("post");
    let status = resp.status();
    let draft: Value = resp.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let uid = draft["uid"].as_u64().expect("uid");
    let got = app.get_json(&format!("/v1/mailboxes/Drafts/messages/{uid}"), &tom).await;
    let files: Vec<(String, String)> = got["attachments"]
        .as_array()
        .expect("attachments")
        .iter()
        .map(|a| (a["name"].as_str().unwrap_or("").to_string(), a["partId"].as_str().expect("partId").to_string()))
        .collect();
    assert_eq!(files.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), ["Ünïcode report.pdf", "notes.txt"], "{got}");
    for ((_, part), want) in files.iter().zip([&pdf[..], b"hello file\r\n"]) {
        let resp = app.get(&format!("/v1/mailboxes/Drafts/messages/{uid}/parts/{part}"), &tom).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.bytes().await.expect("bytes").as_ref(), want, "part {part}");
    }
    // a missing part is 404 and saves nothing
    let compose = json!({"subject": subject, "attachments": [{"mailbox": "INBOX", "uid": in_tom, "partId": "9"}]});
    let resp = app.post_json("/v1/drafts", &tom, &compose).await;
    expect_problem(resp, StatusCode::NOT_FOUND, "part-not-found").await;
}
