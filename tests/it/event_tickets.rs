//! Event tickets: `POST /v1/events/ticket` and `GET /v1/events?ticket=…` without an
//! Authorization header, through a real `EventSource` in Node and through reqwest.

use std::{process::Stdio, time::Duration};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader, Lines};

use crate::{
    events::Stream,
    helpers::{Admin, TestApp, dovecot, expect_problem, message, unique},
};

const USER: &str = "heidi";

async fn ticket(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/v1/events/ticket"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("ticket")
}

async fn new_ticket(app: &TestApp, token: &str, body: Value) -> Value {
    let resp = ticket(app, token, body).await;
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// GET /v1/events with the ticket and no Authorization.
async fn open(app: &TestApp, query: &str) -> reqwest::Response {
    reqwest::Client::new().get(app.url(&format!("/v1/events{query}"))).send().await.expect("events")
}

/// The Node EventSource program, its output read line by line.
struct Node {
    child: tokio::process::Child,
    lines: Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Node {
    fn start(url: &str, want: u32) -> Self {
        let deps =
            std::env::var("IGW_NODE_DEPS").expect("IGW_NODE_DEPS (scripts/test installs tests/node and sets it)");
        let mut child = tokio::process::Command::new("node")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/node/eventsource-ticket.mjs"))
            .arg(url)
            .arg(want.to_string())
            .env("IGW_NODE_DEPS", deps)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Self { child, lines }
    }

    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(35), self.lines.next_line())
            .await
            .expect("a line from node within 35 s")
            .expect("read")
            .expect("node printed a line before exiting");
        serde_json::from_str(&line).expect("JSON line")
    }

    async fn exit_code(mut self) -> Option<i32> {
        tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("node exits")
            .expect("wait")
            .code()
    }
}

#[tokio::test]
async fn a_browser_eventsource_opens_the_stream_with_a_ticket_once() {
    let mailbox = unique("ticket");
    let mut admin = Admin::connect(dovecot(), USER).await;
    admin.create(&mailbox).await;
    let app = TestApp::spawn().await;
    let token = app.login(USER).await.access;
    let t = new_ticket(&app, &token, json!({"mailboxes": [mailbox]})).await;
    assert_eq!(t["mailboxes"], json!([mailbox]));
    assert_eq!(t["expiresIn"], 60);
    let ticket = t["ticket"].as_str().expect("ticket");
    assert!(ticket.starts_with("evt_") && ticket.len() == 47, "{ticket}");
    let url = app.url(&format!("/v1/events?ticket={ticket}"));

    let mut node = Node::start(&url, 1);
    let ready = node.next().await;
    assert_eq!((ready["type"].as_str(), &ready["data"]), (Some("ready"), &json!({"watching": true})));
    admin.append(&mailbox, None, &message("via ticket")).await;
    let created = node.next().await;
    assert_eq!(created["type"], "message.created");
    assert_eq!((&created["data"]["mailbox"], &created["data"]["uids"]), (&json!(mailbox), &json!([1])));
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(node.exit_code().await, Some(0));

    // The same URL again, as EventSource's own reconnect would send it: refused, and the
    // EventSource closes instead of retrying.
    let mut again = Node::start(&url, 1);
    assert_eq!(again.next().await, json!({"type": "error", "code": 401, "closed": true}));
    assert_eq!(again.exit_code().await, Some(0));

    // A new ticket with lastEventId resumes after that event: the next append is the first
    // change the new stream shows.
    admin.append(&mailbox, None, &message("after")).await;
    let t = new_ticket(&app, &token, json!({"mailboxes": [mailbox], "lastEventId": id})).await;
    let mut resumed = Node::start(&app.url(&format!("/v1/events?ticket={}", t["ticket"].as_str().expect("t"))), 1);
    assert_eq!(resumed.next().await["type"], "ready");
    let next = loop {
        let ev = resumed.next().await;
        if ev["type"] != "mailbox.changed" {
            break ev;
        }
    };
    assert_eq!((next["type"].as_str(), &next["data"]["uids"]), (Some("message.created"), &json!([2])));
    admin.logout().await;
}

#[tokio::test]
async fn tickets_are_single_use_bound_and_refused_clearly() {
    let mailbox = unique("ticket-rules");
    let mut admin = Admin::connect(dovecot(), USER).await;
    admin.create(&mailbox).await;
    admin.logout().await;
    let app = TestApp::spawn().await;
    let token = app.login(USER).await.access;

    // Asking needs a token; the mailboxes must exist; at least one.
    let anon = reqwest::Client::new().post(app.url("/v1/events/ticket")).json(&json!({})).send().await.expect("anon");
    expect_problem(anon, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let missing = ticket(&app, &token, json!({"mailboxes": ["No such box"]})).await;
    expect_problem(missing, StatusCode::NOT_FOUND, "mailbox-not-found").await;
    expect_problem(ticket(&app, &token, json!({"mailboxes": []})).await, StatusCode::BAD_REQUEST, "invalid-request")
        .await;
    let bad_id = ticket(&app, &token, json!({"lastEventId": "a b"})).await;
    expect_problem(bad_id, StatusCode::BAD_REQUEST, "invalid-request").await;

    // Without a body the ticket is for INBOX. A stream without either way in is refused.
    let inbox = new_ticket(&app, &token, json!({})).await;
    assert_eq!(inbox["mailboxes"], json!(["INBOX"]));
    expect_problem(open(&app, "").await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let unknown = format!("?ticket=evt_{}", "A".repeat(43));
    expect_problem(open(&app, &unknown).await, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // A ticket with an Authorization header too is ambiguous (the ticket stays unused).
    let both = reqwest::Client::new()
        .get(app.url(&format!("/v1/events?ticket={}", inbox["ticket"].as_str().expect("t"))))
        .bearer_auth(&token)
        .send()
        .await
        .expect("both");
    expect_problem(both, StatusCode::BAD_REQUEST, "invalid-request").await;

    // The ticket's mailboxes are the stream's: `mailboxes` may repeat them, not change them.
    let t = new_ticket(&app, &token, json!({"mailboxes": ["INBOX", mailbox]})).await;
    let q = format!("?ticket={}&mailboxes=INBOX", t["ticket"].as_str().expect("t"));
    expect_problem(open(&app, &q).await, StatusCode::BAD_REQUEST, "invalid-request").await;
    let t = new_ticket(&app, &token, json!({"mailboxes": ["INBOX", mailbox]})).await;
    let q = format!("?ticket={}&mailboxes=INBOX,{}", t["ticket"].as_str().expect("t"), crate::helpers::seg(&mailbox));
    let resp = open(&app, &q).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let mut stream = Stream::from_response(resp);
    assert_eq!(stream.expect("ready", Duration::from_secs(12)).await.data, json!({"watching": true}));
    drop(stream);

    // A logout revokes the token, and with it the tickets it asked for.
    let t = new_ticket(&app, &token, json!({})).await;
    assert_eq!(app.logout(&token).await.status(), StatusCode::NO_CONTENT);
    let q = format!("?ticket={}", t["ticket"].as_str().expect("t"));
    expect_problem(open(&app, &q).await, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // At most 20 unused tickets per account, whichever token asked: the INBOX ticket above is
    // still unused, so 19 more fit.
    let token = app.login(USER).await.access;
    for _ in 0..19 {
        new_ticket(&app, &token, json!({})).await;
    }
    let resp = ticket(&app, &token, json!({})).await;
    assert_eq!(resp.headers()["retry-after"], "60");
    expect_problem(resp, StatusCode::TOO_MANY_REQUESTS, "too-many-tickets").await;
}
