//! Memory from mail content (issue 14, item 7): messages with 2 MB To and Subject headers read
//! through pages of 500 and parallel `/headers` with the process's RSS watched, and
//! `/changes` from a MODSEQ of 1 cut to a bounded count.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Admin, TestApp, dovecot, seg, unique, vm_rss_kb};

/// Messages with huge headers in the mailbox (each about 4 MB).
const HUGE: u32 = 24;

/// A message whose To header holds about 2 MB of addresses and whose Subject about 2 MB of
/// words, both folded into ordinary lines.
fn huge_message(i: u32) -> String {
    let mut m = String::with_capacity(4_200_000);
    m.push_str("From: Sender <sender@example.com>\r\nTo: ");
    let mut n = 0;
    while m.len() < 2_000_000 {
        m.push_str(&format!("\"Recipient {n}\" <r{n}@example.org>,\r\n "));
        n += 1;
    }
    m.push_str("last@example.org\r\nSubject: ");
    let start = m.len();
    while m.len() - start < 2_000_000 {
        m.push_str(&format!("huge{i} subject words that go on and on and on\r\n "));
    }
    m.push_str(&format!(
        "end\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <huge-{i}@example.com>\r\n\r\nBody.\r\n"
    ));
    m
}

/// Samples this process's RSS every 10 ms until stopped; the highest value seen.
struct Peak {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl Peak {
    fn watch() -> Self {
        let (stop, peak) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
        let (s, p) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                p.fetch_max(vm_rss_kb("self"), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Self { stop, peak, thread }
    }

    fn finish(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.thread.join();
        self.peak.load(Ordering::SeqCst)
    }
}

async fn get(http: &reqwest::Client, url: String, token: &str) -> (StatusCode, Value) {
    let resp = http.get(url).bearer_auth(token).send().await.expect("request");
    let status = resp.status();
    let bytes = resp.bytes().await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_of_500_and_parallel_headers_of_2_mb_headers_stay_in_bounded_memory() {
    let _memory = crate::helpers::MEMORY.lock().await;
    let user = "peggy";
    let mailbox = unique("hugehdr");
    let mut admin = Admin::connect(dovecot(), user).await;
    admin.create(&mailbox).await;
    for i in 1..=HUGE {
        admin.append(&mailbox, None, &huge_message(i)).await;
    }
    admin.append(&mailbox, None, &crate::helpers::message("small one")).await;
    // The production command deadline (tests use 5 s): the server itself scans 100 MB of
    // headers for each page, three pages at once.
    // Fifteen heavy requests share the account's few connections: on a loaded machine the last
    // ones wait longer than the default 5 s for one, which is not what this test is about.
    let app = TestApp::spawn_with(|s| {
        s.imap.command_timeout_ms = 30_000;
        s.pool.wait_timeout_ms = 60_000;
    })
    .await;
    let token = app.login(user).await.access;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(120)).build().expect("client");
    let messages = app.url(&format!("/v1/mailboxes/{}/messages", seg(&mailbox)));
    // Warm up: the pool exists before the baseline.
    let (status, _) = get(&http, app.url(&format!("/v1/mailboxes/{}", seg(&mailbox))), &token).await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = vm_rss_kb("self");
    let peak = Peak::watch();
    let mut pages = Vec::new();
    for _ in 0..3 {
        let (h, u, t) = (http.clone(), format!("{messages}?limit=500"), token.clone());
        pages.push(tokio::spawn(async move { get(&h, u, &t).await }));
    }
    let mut headers = Vec::new();
    for i in 0..12u32 {
        let uid = i % HUGE + 1;
        let form = if i % 2 == 0 { "json" } else { "raw" };
        let (h, u, t) = (http.clone(), format!("{messages}/{uid}/headers?form={form}"), token.clone());
        headers.push(tokio::spawn(async move { get(&h, u, &t).await }));
    }
    let mut page_answers = Vec::new();
    for p in pages {
        page_answers.push(p.await.expect("page"));
    }
    let mut header_answers = Vec::new();
    for h in headers {
        header_answers.push(h.await.expect("headers"));
    }
    // A page again, now from the summary cache where it kept them.
    page_answers.push(get(&http, format!("{messages}?limit=500"), &token).await);
    let small = get(&http, format!("{messages}/{}/headers", HUGE + 1), &token).await;
    let peak = peak.finish();
    let after = vm_rss_kb("self");
    admin.delete(&mailbox).await;
    admin.logout().await;
    let growth_mb = peak.saturating_sub(before) as f64 / 1024.0;
    eprintln!(
        "2 MB To and Subject: test process RSS {before} kB before, {peak} kB peak, {after} kB after, growth {growth_mb:.1} MB"
    );
    assert!(growth_mb < 128.0, "RSS grew by {growth_mb:.1} MB");
    for (status, page) in &page_answers {
        assert_eq!(*status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().expect("items");
        assert_eq!(items.len() as u32, HUGE + 1, "every message on the page");
        assert_eq!(items[0]["subject"], "small one");
        assert!(items[0].get("envelopeTruncated").is_none(), "only a cut summary has the flag");
        for item in &items[1..] {
            assert_eq!(item["envelopeTruncated"], true, "uid {}", item["uid"]);
            let subject = item["subject"].as_str().expect("subject");
            assert!(subject.starts_with(&format!("huge{} subject words", item["uid"])), "{}", &subject[..40]);
            assert!(subject.len() <= 2048, "subject cut: {} bytes", subject.len());
            let to = item["to"].as_array().expect("to");
            assert!(!to.is_empty() && to.len() < 1000, "to cut: {} addresses", to.len());
            assert_eq!(to[0]["email"], "r0@example.org");
            assert_eq!(to[0]["name"], "Recipient 0");
            assert_eq!(item["from"][0]["email"], "sender@example.com");
            assert_eq!(item["sentAt"], "2026-11-02T10:00:00+00:00");
            assert_eq!(item["messageId"], format!("<huge-{}@example.com>", item["uid"]));
        }
    }
    for (status, problem) in &header_answers {
        assert_eq!(*status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(problem["type"].as_str().unwrap_or("").ends_with("/header-too-large"), "{problem}");
        assert!(problem["detail"].as_str().unwrap_or("").contains("1048576"), "{problem}");
    }
    assert_eq!(small.0, StatusCode::OK, "a normal header is served");
    assert!(small.1.as_array().expect("fields").iter().any(|f| f["name"] == "Subject" && f["value"] == " small one"));
}
