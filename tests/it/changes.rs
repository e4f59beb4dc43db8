//! `/changes` against a real Dovecot, with changes made by a separate IMAP client: QRESYNC,
//! CONDSTORE only and the scan must give the same answer.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{
    Admin, ImapServer, Software, TestApp, both_servers, dovecot, expect_problem, message, seg, settings_for, unique,
};

const USER: &str = "ivan";

async fn changes(app: &TestApp, token: &str, mailbox: &str, query: &str) -> reqwest::Response {
    app.get(&format!("/v1/mailboxes/{}/changes?{query}", seg(mailbox)), token).await
}

async fn changes_json(app: &TestApp, token: &str, mailbox: &str, query: &str) -> Value {
    let resp = changes(app, token, mailbox, query).await;
    assert_eq!(resp.status(), StatusCode::OK, "{query}");
    resp.json().await.expect("json")
}

fn uids(v: &Value) -> Vec<u64> {
    v.as_array().expect("array").iter().map(|u| u.as_u64().or_else(|| u["uid"].as_u64()).expect("uid")).collect()
}

/// A base state for `app`: the mailbox state, or for a scan the state of a first `/changes`.
async fn base(app: &TestApp, token: &str, mailbox: &str) -> String {
    let state = app.get_json(&format!("/v1/mailboxes/{}", seg(mailbox)), token).await["state"]
        .as_str()
        .expect("state")
        .to_string();
    let first = changes_json(app, token, mailbox, &format!("since={state}")).await;
    first["newState"].as_str().expect("newState").to_string()
}

#[tokio::test]
async fn qresync_condstore_and_scan_agree_on_changes_by_another_client() {
    let mailbox = unique("changes");
    let mut admin = Admin::connect(dovecot(), USER).await;
    admin.create(&mailbox).await;
    for i in 1..=5 {
        admin.append(&mailbox, None, &message(&format!("c{i}"))).await;
    }
    let settings = settings_for(dovecot());
    let qresync = TestApp::start(settings.clone()).await;
    let mut s = settings.clone();
    s.imap.ignore_capabilities = vec!["QRESYNC".into()];
    let condstore = TestApp::start(s).await;
    let mut s = settings;
    s.imap.ignore_capabilities = vec!["QRESYNC".into(), "CONDSTORE".into()];
    let scan = TestApp::start(s).await;
    let apps = [("qresync", &qresync), ("condstore", &condstore), ("scan", &scan)];
    let mut tokens = Vec::new();
    let mut bases = Vec::new();
    for (_, app) in apps {
        let token = app.login(USER).await.access;
        bases.push(base(app, &token, &mailbox).await);
        tokens.push(token);
    }
    assert!(bases[2].starts_with("sc1."), "a scan continues from a snapshot: {}", bases[2]);

    admin.append(&mailbox, None, &message("c6")).await;
    admin.append(&mailbox, None, &message("c7")).await;
    admin.add_flag(&mailbox, 2, "\\Flagged").await;
    admin.expunge_uid(&mailbox, 4).await;

    for (i, (method, app)) in apps.into_iter().enumerate() {
        let q = format!("since={}&knownUids=1:5", bases[i]);
        let c = changes_json(app, &tokens[i], &mailbox, &q).await;
        assert_eq!(c["syncMethod"], method);
        assert_eq!(uids(&c["created"]), [6, 7], "{method}: {c}");
        assert_eq!(uids(&c["updated"]), [2], "{method}: {c}");
        assert_eq!(c["updated"][0]["keywords"]["$flagged"], true, "{method}");
        assert_eq!(c["updated"][0]["deleted"], false, "{method}");
        assert_eq!(uids(&c["destroyed"]), [4], "{method}: {c}");
        assert_eq!(c["hasMoreChanges"], false);
        // Nothing changed since the new state.
        let again =
            changes_json(app, &tokens[i], &mailbox, &format!("since={}", c["newState"].as_str().expect("s"))).await;
        assert_eq!(
            (uids(&again["created"]), uids(&again["updated"]), uids(&again["destroyed"])),
            (vec![], vec![], vec![])
        );
    }
    // Only QRESYNC can name deletions unaided.
    let c = changes_json(&qresync, &tokens[0], &mailbox, &format!("since={}", bases[0])).await;
    assert_eq!(uids(&c["destroyed"]), [4]);
    let resp = changes(&condstore, &tokens[1], &mailbox, &format!("since={}", bases[1])).await;
    expect_problem(resp, StatusCode::CONFLICT, "known-uids-required").await;

    // Pages of one change each add up to the whole answer.
    let (mut since, mut seen) = (bases[0].clone(), Vec::new());
    for _ in 0..10 {
        let c = changes_json(&qresync, &tokens[0], &mailbox, &format!("since={since}&maxChanges=1")).await;
        seen.extend(uids(&c["created"]).into_iter().chain(uids(&c["updated"])));
        since = c["newState"].as_str().expect("s").to_string();
        if c["hasMoreChanges"] == false {
            break;
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, [2, 6, 7]);
    admin.logout().await;
}

#[tokio::test]
async fn recreated_mailbox_is_gone_and_bad_tokens_are_refused() {
    let mailbox = unique("changes-gone");
    let mut admin = Admin::connect(dovecot(), USER).await;
    admin.create(&mailbox).await;
    admin.append(&mailbox, None, &message("g1")).await;
    let app = TestApp::spawn().await;
    let token = app.login(USER).await.access;
    let state = base(&app, &token, &mailbox).await;
    admin.delete(&mailbox).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    admin.create(&mailbox).await;
    let resp = changes(&app, &token, &mailbox, &format!("since={state}")).await;
    expect_problem(resp, StatusCode::GONE, "uidvalidity-changed").await;
    // (Tokens that are no state token at all are refused in process: validation.rs.)
    for bad in [&format!("since={state}&maxChanges=0"), &format!("since={state}&knownUids=1:*")] {
        expect_problem(changes(&app, &token, &mailbox, bad).await, StatusCode::BAD_REQUEST, "invalid-request").await;
    }
    // A scan token this instance never issued.
    let foreign = "sc1.MTIzLjQ1Ng";
    expect_problem(
        changes(&app, &token, &mailbox, &format!("since={foreign}")).await,
        StatusCode::GONE,
        "cannot-calculate-changes",
    )
    .await;
    admin.logout().await;
}

/// The same delta from Cyrus (QRESYNC, and CONDSTORE with known UIDs).
#[tokio::test]
async fn changes_work_on_cyrus_too() {
    let server = crate::helpers::cyrus();
    let mailbox = unique("changes-cy");
    let mut admin = Admin::connect(server, "carol").await;
    admin.create(&mailbox).await;
    for i in 1..=3 {
        admin.append(&mailbox, None, &message(&format!("y{i}"))).await;
    }
    let qresync = TestApp::start(settings_for(server)).await;
    let mut s = settings_for(server);
    s.imap.ignore_capabilities = vec!["QRESYNC".into()];
    let condstore = TestApp::start(s).await;
    let mut runs = Vec::new();
    for app in [&qresync, &condstore] {
        let token = app.login("carol").await.access;
        let since = base(app, &token, &mailbox).await;
        runs.push((app, token, since));
    }
    admin.append(&mailbox, None, &message("y4")).await;
    admin.add_flag(&mailbox, 3, "$Done").await;
    admin.expunge_uid(&mailbox, 1).await;
    for ((app, token, since), method) in runs.iter().zip(["qresync", "condstore"]) {
        let c = changes_json(app, token, &mailbox, &format!("since={since}&knownUids=1:3")).await;
        assert_eq!(c["syncMethod"], method);
        assert_eq!(
            (uids(&c["created"]), uids(&c["updated"]), uids(&c["destroyed"])),
            (vec![4], vec![3], vec![1]),
            "{method}: {c}"
        );
        assert_eq!(c["updated"][0]["keywords"]["$done"], true);
    }
    admin.logout().await;
}

/// Walks `/changes` pages from `since` to the end: (created, updated with their MODSEQs, pages).
/// Every page holds at most `bound` changes.
async fn walk(
    app: &TestApp,
    token: &str,
    mailbox: &str,
    since: &str,
    max: u32,
    bound: usize,
) -> (Vec<u64>, Vec<(u64, String)>, usize) {
    let (mut since, mut created, mut updated, mut pages) = (since.to_string(), Vec::new(), Vec::new(), 0);
    loop {
        let c = changes_json(app, token, mailbox, &format!("since={since}&maxChanges={max}")).await;
        let size = c["created"].as_array().expect("created").len() + c["updated"].as_array().expect("updated").len();
        assert!(size <= bound && size > 0, "page {pages} holds {size} changes, bound {bound}");
        created.extend(uids(&c["created"]));
        for u in c["updated"].as_array().expect("updated") {
            updated.push((u["uid"].as_u64().expect("uid"), u["modSeq"].as_str().unwrap_or_default().to_string()));
        }
        pages += 1;
        assert!(pages < 1000, "pages never end");
        since = c["newState"].as_str().expect("newState").to_string();
        if c["hasMoreChanges"] == false {
            return (created, updated, pages);
        }
    }
}

/// 300 messages created after a state, then 150 of them flagged by one STORE (one MODSEQ on
/// Dovecot): with `imap.changes_collect_max` 40 no page holds more than 40 changes (nor more
/// than `maxChanges`, even inside one MODSEQ), and the pages add up to every change once.
async fn bounded_pages(server: &'static ImapServer, user: &str, ignore: &[&str]) {
    let mailbox = unique("changes-bounded");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&mailbox).await;
    let mut s = settings_for(server);
    s.imap.ignore_capabilities = ignore.iter().map(|c| c.to_string()).collect();
    s.imap.changes_collect_max = 40;
    let app = TestApp::start(s).await;
    let token = app.login(user).await.access;
    let url = format!("/v1/mailboxes/{}", seg(&mailbox));
    let empty = app.get_json(&url, &token).await["state"].as_str().expect("state").to_string();
    for i in 1..=300 {
        admin.append(&mailbox, None, &message(&format!("b{i}"))).await;
    }
    let appended = app.get_json(&url, &token).await["state"].as_str().expect("state").to_string();
    let resp = app
        .set_flags(&token, &mailbox, serde_json::json!({"uids": (1..=150).collect::<Vec<u32>>(), "add": ["$flagged"]}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    // From before every message: 300 created, in pages of at most 40 although 1000 were allowed.
    let (mut created, updated, pages) = walk(&app, &token, &mailbox, &empty, 1000, 40).await;
    created.sort_unstable();
    assert_eq!(created, (1..=300).collect::<Vec<u64>>(), "{ignore:?}: every message once");
    assert!(updated.is_empty() && pages >= 8, "{ignore:?}: {pages} pages");

    // From after the appends: the 150 flagged ones, 7 a page, even where they share a MODSEQ.
    let (created, updated, pages) = walk(&app, &token, &mailbox, &appended, 7, 7).await;
    assert!(created.is_empty());
    let mut flagged: Vec<u64> = updated.iter().map(|u| u.0).collect();
    flagged.sort_unstable();
    assert_eq!(flagged, (1..=150).collect::<Vec<u64>>(), "{ignore:?}: every flagged message once");
    assert_eq!(pages, 150usize.div_ceil(7));
    if server.port == dovecot().port {
        let mod_seqs: std::collections::BTreeSet<&String> = updated.iter().map(|u| &u.1).collect();
        assert_eq!(mod_seqs.len(), 1, "one STORE, one MODSEQ on Dovecot: {mod_seqs:?}");
    }
    admin.logout().await;
}

both_servers!(changes_come_in_bounded_pages_even_within_one_mod_seq, dovecot: "ivan", cyrus: "carol");

/// On Dovecot also with QRESYNC ignored (CONDSTORE alone).
async fn changes_come_in_bounded_pages_even_within_one_mod_seq(server: &'static ImapServer, user: &str) {
    bounded_pages(server, user, &[]).await;
    if server.software == Software::Dovecot {
        bounded_pages(server, user, &["QRESYNC"]).await;
    }
}
