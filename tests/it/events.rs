//! `GET /v1/events` against a real Dovecot, with changes made by a separate IMAP client.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use imap_gateway::Settings;

use crate::helpers::{Admin, ImapServer, TestApp, dovecot, expect_problem, message, seg, settings_for, unique};

const USER: &str = "heidi";

/// One parsed Server-Sent Event (`kind` is `comment` for heartbeats).
#[derive(Debug)]
pub(crate) struct Sse {
    pub(crate) kind: String,
    pub(crate) id: Option<String>,
    pub(crate) data: Value,
}

/// A minimal SSE reader over a streaming response.
pub(crate) struct Stream {
    resp: reqwest::Response,
    buf: String,
}

impl Stream {
    pub(crate) async fn open(app: &TestApp, token: &str, query: &str, last_event_id: Option<&str>) -> Self {
        let client = reqwest::Client::new();
        let mut req = client.get(app.url(&format!("/v1/events{query}"))).bearer_auth(token);
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id);
        }
        let resp = req.send().await.expect("events");
        assert_eq!(resp.status(), StatusCode::OK);
        Self::from_response(resp)
    }

    /// Reads the events of a 200 answer.
    pub(crate) fn from_response(resp: reqwest::Response) -> Self {
        let ct = resp.headers()["content-type"].to_str().expect("ascii").to_string();
        assert_eq!(ct, "text/event-stream");
        Self { resp, buf: String::new() }
    }

    /// The next event or comment, or `None` if none arrives within `within`.
    pub(crate) async fn next(&mut self, within: Duration) -> Option<Sse> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut ev = Sse { kind: "message".into(), id: None, data: Value::Null };
                for line in block.lines() {
                    if let Some(c) = line.strip_prefix(':') {
                        ev.kind = "comment".into();
                        ev.data = Value::String(c.trim().into());
                    } else if let Some(k) = line.strip_prefix("event:") {
                        ev.kind = k.trim().into();
                    } else if let Some(i) = line.strip_prefix("id:") {
                        ev.id = Some(i.trim().into());
                    } else if let Some(d) = line.strip_prefix("data:") {
                        ev.data = serde_json::from_str(d.trim()).expect("JSON data");
                    }
                }
                return Some(ev);
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk()).await.ok()?.expect("read")?;
            self.buf.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        }
    }

    /// The next event of `kind` (skipping others and heartbeats) within `within`.
    pub(crate) async fn expect(&mut self, kind: &str, within: Duration) -> Sse {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let ev = self.next(left).await.unwrap_or_else(|| panic!("no {kind} event within {within:?}"));
            if ev.kind == kind {
                return ev;
            }
        }
    }
}

fn uids(ev: &Sse) -> Vec<u64> {
    ev.data["uids"].as_array().expect("uids").iter().map(|u| u.as_u64().expect("uid")).collect()
}

#[tokio::test]
async fn events_follow_appends_flags_and_expunges_and_resume_from_last_event_id() {
    let mailbox = unique("events");
    let mut admin = Admin::connect(dovecot(), USER).await;
    admin.create(&mailbox).await;
    admin.append(&mailbox, None, &message("e1")).await;
    let app = TestApp::spawn_with(|s| s.events.heartbeat_secs = 1).await;
    let token = app.login(USER).await.access;
    let query = format!("?mailboxes={}", seg(&mailbox));
    let mut events = Stream::open(&app, &token, &query, None).await;
    let ready = events.expect("ready", Duration::from_secs(12)).await;
    assert_eq!(ready.data["watching"], true);

    let mut last_id = String::new();
    for uid in 2..=4u64 {
        let started = Instant::now();
        admin.append(&mailbox, None, &message(&format!("e{uid}"))).await;
        let ev = events.expect("message.created", Duration::from_secs(2)).await;
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert_eq!((uids(&ev), ev.data["mailbox"].as_str()), (vec![uid], Some(mailbox.as_str())));
        assert!(ev.data["state"].as_str().expect("state").starts_with("ms1."));
        last_id = ev.id.expect("id");
    }
    admin.add_flag(&mailbox, 1, "\\Flagged").await;
    let ev = events.expect("message.updated", Duration::from_secs(2)).await;
    assert_eq!(uids(&ev), [1]);
    admin.expunge_uid(&mailbox, 2).await;
    let ev = events.expect("message.deleted", Duration::from_secs(2)).await;
    assert_eq!(uids(&ev), [2]);
    let comment = events.expect("comment", Duration::from_secs(3)).await;
    assert_eq!(comment.data, "heartbeat");

    // Disconnected: the watcher lingers and buffers. Resuming after UID 4's event replays the
    // flag change, the deletion and the two appends made while away, in order.
    drop(events);
    admin.append(&mailbox, None, &message("e5")).await;
    admin.append(&mailbox, None, &message("e6")).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut resumed = Stream::open(&app, &token, &query, Some(&last_id)).await;
    resumed.expect("ready", Duration::from_secs(5)).await;
    let mut seen = Vec::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Some(ev) = resumed.next(until.saturating_duration_since(tokio::time::Instant::now())).await {
        if ev.kind.starts_with("message.") {
            seen.push((ev.kind.clone(), uids(&ev)));
        }
    }
    let kinds: Vec<(&str, Vec<u64>)> = seen.iter().map(|(k, u)| (k.as_str(), u.clone())).collect();
    assert_eq!(kinds[0], ("message.updated", vec![1]));
    assert!(kinds.contains(&("message.deleted", vec![2])), "{kinds:?}");
    let created: Vec<u64> = kinds.iter().filter(|k| k.0 == "message.created").flat_map(|k| k.1.clone()).collect();
    assert_eq!(created, [5, 6], "{kinds:?}");

    // An id the buffer cannot serve asks for a resync.
    let mut stale = Stream::open(&app, &token, &query, Some("0-1")).await;
    stale.expect("ready", Duration::from_secs(5)).await;
    assert_eq!(stale.next(Duration::from_secs(2)).await.map(|e| e.kind), Some("resync".into()));
    admin.logout().await;
}

#[tokio::test]
async fn other_mailboxes_are_polled_and_the_watcher_stops_after_its_subscribers() {
    // The watched mailbox other than INBOX is checked with STATUS every second.
    let mailbox = unique("events-other");
    let mut admin = Admin::connect(dovecot(), USER).await;
    admin.create(&mailbox).await;
    let app = TestApp::spawn_with(|s| {
        s.events.poll_secs = 1;
        s.events.linger_secs = 1;
    })
    .await;
    let token = app.login(USER).await.access;
    let mut events = Stream::open(&app, &token, &format!("?mailboxes=INBOX,{}", seg(&mailbox)), None).await;
    assert_eq!(events.expect("ready", Duration::from_secs(12)).await.data["watching"], true);
    admin.append(&mailbox, None, &message("p1")).await;
    let ev = events.expect("message.created", Duration::from_secs(4)).await;
    assert_eq!((uids(&ev), ev.data["mailbox"].as_str()), (vec![1], Some(mailbox.as_str())));
    admin.add_flag(&mailbox, 1, "\\Seen").await;
    assert_eq!(uids(&events.expect("message.updated", Duration::from_secs(4)).await), [1]);
    admin.logout().await;
    assert_eq!(app.state.events.len(), 1);
    drop(events);
    check_stop_and_refusals(&app, &token).await;
}

async fn check_stop_and_refusals(app: &TestApp, token: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.state.events.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(app.state.events.is_empty(), "the watcher stops after linger_secs without subscribers");

    // Unknown mailboxes are refused up front; so are too many.
    let resp = app.get("/v1/events?mailboxes=No%20such%20box", token).await;
    expect_problem(resp, StatusCode::NOT_FOUND, "mailbox-not-found").await;
    let many = vec!["INBOX"; 21].join(",");
    expect_problem(
        app.get(&format!("/v1/events?mailboxes={many}"), token).await,
        StatusCode::BAD_REQUEST,
        "invalid-request",
    )
    .await;
}

/// Without QRESYNC the watcher names deletions from the UIDs it tracks; without CONDSTORE it
/// finds flag changes by comparing scans.
#[tokio::test]
async fn events_are_exact_with_condstore_only_and_with_neither() {
    for ignored in [vec!["QRESYNC"], vec!["QRESYNC", "CONDSTORE"]] {
        let mut s = settings_for(dovecot());
        s.imap.ignore_capabilities = ignored.iter().map(|c| c.to_string()).collect();
        created_updated_deleted(dovecot(), USER, s, Duration::from_secs(2)).await;
    }
}

/// The same events from Cyrus (its IDLE goes through idled).
#[tokio::test]
async fn events_work_on_cyrus_too() {
    let server = crate::helpers::cyrus();
    created_updated_deleted(server, "dave", settings_for(server), Duration::from_secs(4)).await;
}

/// A mailbox with two messages; another client appends, flags and expunges; each shows up as
/// its event within `within`.
async fn created_updated_deleted(server: &'static ImapServer, user: &str, settings: Settings, within: Duration) {
    let mailbox = unique("events-flow");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&mailbox).await;
    admin.append(&mailbox, None, &message("f1")).await;
    admin.append(&mailbox, None, &message("f2")).await;
    let label = format!("{:?}", settings.imap.ignore_capabilities);
    let app = TestApp::start(settings).await;
    let token = app.login(user).await.access;
    let mut events = Stream::open(&app, &token, &format!("?mailboxes={}", seg(&mailbox)), None).await;
    events.expect("ready", Duration::from_secs(12)).await;
    admin.append(&mailbox, None, &message("f3")).await;
    assert_eq!(uids(&events.expect("message.created", within).await), [3], "{label}");
    admin.add_flag(&mailbox, 2, "$Label1").await;
    assert_eq!(uids(&events.expect("message.updated", within).await), [2], "{label}");
    admin.expunge_uid(&mailbox, 1).await;
    assert_eq!(uids(&events.expect("message.deleted", within).await), [1], "{label}");
    admin.logout().await;
}
