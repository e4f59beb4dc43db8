//! Sending against a scripted SMTP server: every failure gets its answer within the deadline,
//! nothing is saved to Sent for a send that failed, nothing is sent twice, and hostile compose
//! documents never reach the server.

use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

use imap_gateway::TlsMode;

use crate::{
    helpers::{TestApp, expect_problem, unique},
    smtp_fake::{FakeSmtp, Script},
};

const USER: &str = "tom";

async fn app_for(fake: &FakeSmtp, timeout_ms: u64) -> TestApp {
    let port = fake.port;
    TestApp::spawn_with(move |s| {
        s.smtp.host = Some("127.0.0.1".into());
        s.smtp.port = Some(port);
        s.smtp.tls = TlsMode::Plain;
        s.smtp.identities = vec!["{user}@example.org".into()];
        s.smtp.timeout_ms = timeout_ms;
    })
    .await
}

fn letter(subject: &str) -> Value {
    json!({"to": [{"email": "a@example.org"}, {"email": "b@example.org"}], "subject": subject, "text": "hello"})
}

async fn send_raw(app: &TestApp, token: &str, raw: &'static str) -> reqwest::Response {
    let req = app.http.post(app.url("/v1/messages/send")).bearer_auth(token).header("content-type", "message/rfc822");
    req.body(raw).send().await.expect("send")
}

async fn in_sent(app: &TestApp, token: &str, subject: &str) -> usize {
    let found: Value =
        app.search(token, "Sent", json!({"filter": {"subject": subject}})).await.json().await.expect("json");
    found["uids"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_4xx_is_503_with_retry_after_and_nothing_is_saved() {
    let fake = FakeSmtp::start(Script { mail: Some("451 4.3.0 try later".into()), ..Default::default() }).await;
    let app = app_for(&fake, 5_000).await;
    let token = app.login(USER).await.access;
    let subject = unique("4xx");
    let resp = app.post_json("/v1/messages/send", &token, &letter(&subject)).await;
    assert!(resp.headers().get("retry-after").is_some());
    let problem = expect_problem(resp, StatusCode::SERVICE_UNAVAILABLE, "smtp-try-again").await;
    assert_eq!(problem["smtp"]["code"], 451, "{problem}");
    assert_eq!(fake.messages(), 0);
    assert_eq!(in_sent(&app, &token, &subject).await, 0, "no Sent copy of a failed send");
}

#[tokio::test]
async fn refused_recipients_are_listed_and_all_refused_is_422() {
    let mut script = Script::default();
    script.rcpt.insert("a@example.org".into(), "550 5.1.1 no such user".into());
    let fake = FakeSmtp::start(script).await;
    let app = app_for(&fake, 5_000).await;
    let token = app.login(USER).await.access;
    let resp = app.post_json("/v1/messages/send", &token, &letter(&unique("partial"))).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["accepted"], json!(["b@example.org"]));
    assert_eq!(body["rejected"], json!([{"email": "a@example.org", "code": 550, "text": "5.1.1 no such user"}]));
    assert_eq!(fake.messages(), 1);

    let mut script = Script::default();
    for a in ["a@example.org", "b@example.org"] {
        script.rcpt.insert(a.into(), "550 5.1.1 no such user".into());
    }
    let fake = FakeSmtp::start(script).await;
    let app = app_for(&fake, 5_000).await;
    let token = app.login(USER).await.access;
    let subject = unique("none");
    let resp = app.post_json("/v1/messages/send", &token, &letter(&subject)).await;
    let problem = expect_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "recipients-refused").await;
    assert_eq!(problem["rejected"].as_array().map(Vec::len), Some(2));
    assert_eq!((fake.saw("DATA"), fake.messages()), (0, 0));
    assert_eq!(in_sent(&app, &token, &subject).await, 0);
}

#[tokio::test]
async fn a_disconnect_in_data_is_unconfirmed_and_a_retry_with_the_key_does_not_send_again() {
    let fake = FakeSmtp::start(Script { drop_in_data: Some(100), ..Default::default() }).await;
    let app = app_for(&fake, 5_000).await;
    let token = app.login(USER).await.access;
    let subject = unique("drop");
    let key = unique("key");
    for attempt in 0..2 {
        let resp = app
            .http
            .post(app.url("/v1/messages/send"))
            .bearer_auth(&token)
            .header("Idempotency-Key", &key)
            .json(&letter(&subject))
            .send()
            .await
            .expect("send");
        assert_eq!(resp.headers().get("idempotency-replayed").is_some(), attempt == 1);
        expect_problem(resp, StatusCode::GATEWAY_TIMEOUT, "send-unconfirmed").await;
    }
    assert_eq!(fake.saw("MAIL"), 1, "the retry replayed the answer: one transaction in all");
    assert_eq!(fake.messages(), 0);
    assert_eq!(in_sent(&app, &token, &subject).await, 0);
}

#[tokio::test]
async fn a_server_that_never_answers_the_message_is_answered_at_the_deadline() {
    let fake = FakeSmtp::start(Script { stall_after_data: Some(Duration::from_secs(20)), ..Default::default() }).await;
    let app = app_for(&fake, 1_500).await;
    let token = app.login(USER).await.access;
    let subject = unique("slow");
    let started = Instant::now();
    let resp = app.post_json("/v1/messages/send", &token, &letter(&subject)).await;
    expect_problem(resp, StatusCode::GATEWAY_TIMEOUT, "send-unconfirmed").await;
    assert!(started.elapsed() < Duration::from_secs(10), "answered at the 1.5 s deadline: {:?}", started.elapsed());
    assert_eq!((fake.saw("MAIL"), fake.messages()), (1, 1), "the server got it once, nothing was retried");
    assert_eq!(in_sent(&app, &token, &subject).await, 0);
}

#[tokio::test]
async fn a_message_over_the_servers_size_is_413_before_mail_from() {
    let fake = FakeSmtp::start(Script { size: Some(1000), ..Default::default() }).await;
    let app = app_for(&fake, 5_000).await;
    let token = app.login(USER).await.access;
    let body = json!({"to": [{"email": "a@example.org"}], "subject": "big", "text": "x".repeat(5000)});
    let resp = app.post_json("/v1/messages/send", &token, &body).await;
    expect_problem(resp, StatusCode::PAYLOAD_TOO_LARGE, "message-too-large").await;
    assert_eq!(fake.saw("MAIL"), 0);
}

#[tokio::test]
async fn hostile_documents_are_422_and_never_reach_the_server() {
    let fake = FakeSmtp::start(Script::default()).await;
    let app = app_for(&fake, 5_000).await;
    let token = app.login(USER).await.access;
    let pdf = base64::engine::general_purpose::STANDARD.encode(b"%PDF");
    let to = json!([{"email": "a@example.org"}]);
    let cases = [
        (json!({"to": to, "subject": "hi\r\nBcc: x@evil.test"}), "subject"),
        (json!({"to": to, "subject": "hi\nX-Injected: 1"}), "subject"),
        (json!({"to": [{"name": "A\r\nBcc: x@evil.test", "email": "a@example.org"}], "subject": "s"}), "to[0].name"),
        (json!({"to": [{"email": "a@example.org>\r\nRCPT TO:<x@evil.test"}], "subject": "s"}), "to[0].email"),
        (json!({"to": to, "cc": [{"email": "a b@example.org"}]}), "cc[0].email"),
        (
            json!({"to": to, "attachments": [{"filename": "a\r\n.pdf", "contentType": "application/pdf", "contentBase64": pdf}]}),
            "attachments[0].filename",
        ),
        (
            json!({"to": to, "attachments": [{"filename": "a.pdf", "contentType": "application/pdf\r\nX: y", "contentBase64": pdf}]}),
            "attachments[0].contentType",
        ),
        (json!({"to": to, "headers": {"X-Ok": "v\r\nBcc: x@evil.test"}}), "headers.X-Ok"),
        (json!({"to": to, "headers": {"Bcc": "x@evil.test"}}), "headers.Bcc"),
        (json!({"to": to, "headers": {"Content-Type": "text/html"}}), "headers.Content-Type"),
        (json!({"to": to, "text": "nul \u{0} byte", "subject": "s\u{0}"}), "subject"),
    ];
    for (body, field) in cases {
        let resp = app.post_json("/v1/messages/send", &token, &body).await;
        let problem = expect_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "invalid-properties").await;
        assert_eq!(problem["invalidParams"][0]["name"], field, "{body}: {problem}");
    }
    let resp =
        app.post_json("/v1/messages/send", &token, &json!({"from": {"email": "rita@example.org"}, "to": to})).await;
    expect_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "not-an-identity").await;
    let raw = "From: rita@example.org\r\nTo: a@example.org\r\nSubject: spoof\r\n\r\nhi\r\n";
    let resp = send_raw(&app, &token, raw).await;
    expect_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "not-an-identity").await;
    let raw = "From: tom@example.org\r\nSender: rita@example.org\r\nTo: a@example.org\r\n\r\nhi\r\n";
    let resp = send_raw(&app, &token, raw).await;
    expect_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "not-an-identity").await;
    assert_eq!(fake.connections(), 0, "nothing hostile was sent");

    // A raw message from the account's own address goes out without its Bcc (folded, any
    // case), and with CRLF line ends: bare LFs cannot end the data early (SMTP smuggling).
    let raw = "From: tom@example.org\nTo: a@example.org\nBCC: b@example.org,\n c@example.org\nSubject: raw\n\nhi\n.\nMAIL FROM:<ceo@example.org>\nRCPT TO:<x@example.org>\nDATA\nsmuggled\n.\n";
    let resp = send_raw(&app, &token, raw).await;
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["accepted"], json!(["a@example.org", "b@example.org", "c@example.org"]));
    assert_eq!(body["sent"]["mailbox"], "Sent", "a raw message is saved to Sent too: {body}");
    assert_eq!((fake.messages(), fake.saw("MAIL")), (1, 1), "one message, no smuggled command");
    let data = fake.data(0);
    let text = String::from_utf8_lossy(&data);
    assert!(!text.to_ascii_lowercase().contains("bcc"), "no Bcc on the wire: {text}");
    assert!(text.contains("Subject: raw\r\n") && text.contains("\r\n..\r\nMAIL FROM:<ceo@example.org>\r\n"), "{text}");
    assert!(!data.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'), "CRLF only: {text}");
}

#[tokio::test]
async fn without_an_smtp_host_sending_is_501_and_drafts_still_work() {
    let app = TestApp::spawn().await;
    let token = app.login(USER).await.access;
    let resp = app
        .post_json(
            "/v1/messages/send",
            &token,
            &json!({"to": [{"email": "a@example.org"}], "from": {"email": "tom@example.org"}}),
        )
        .await;
    // no identities either: the sender check comes first
    expect_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "not-an-identity").await;
    let app = TestApp::spawn_with(|s| s.smtp.identities = vec!["{user}@example.org".into()]).await;
    let token = app.login(USER).await.access;
    let resp = app.post_json("/v1/messages/send", &token, &json!({"to": [{"email": "a@example.org"}]})).await;
    expect_problem(resp, StatusCode::NOT_IMPLEMENTED, "sending-not-configured").await;
    let resp = app.post_json("/v1/drafts", &token, &json!({"subject": unique("d")})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}
