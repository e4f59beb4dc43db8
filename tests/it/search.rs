//! Search against a real Dovecot: every RFC 3501 key with a message that matches and one that
//! does not, nesting, sorting, paging, simple list filters and the multi-mailbox search.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Admin, ImapServer, TestApp, both_servers, dovecot, expect_problem, seg, unique};

/// Message 1 has every "positive" property, message 2 none, message 3 is `\Deleted`.
async fn corpus(user: &str) -> (Admin, String) {
    corpus_on(dovecot(), user).await
}

async fn corpus_on(server: &'static ImapServer, user: &str) -> (Admin, String) {
    let mailbox = unique("search");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&mailbox).await;
    let m1 = "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nCc: carol@example.net\r\nBcc: dave@example.com\r\n\
              Subject: =?UTF-8?Q?Quarterly_report_M=C3=A4rz?=\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\nX-Tag: red\r\n\
              Message-ID: <s1@example.com>\r\n\r\nbudget numbers\r\n";
    let m2 = format!(
        "From: Mallory <mallory@example.net>\r\nTo: eve@example.com\r\nCc: frank@example.com\r\nBcc: grace@example.com\r\n\
         Subject: Lunch\r\nDate: Thu, 1 Oct 2026 12:00:00 +0000\r\nX-Tag: blue\r\nMessage-ID: <s2@example.com>\r\n\r\npizza {}\r\n",
        "z".repeat(5000)
    );
    let m3 = "From: Trash <trash@example.com>\r\nTo: eve@example.com\r\nSubject: Old junk\r\nDate: Thu, 1 Oct 2026 12:00:00 +0000\r\n\r\nbye\r\n";
    admin
        .append_at(&mailbox, Some("(\\Answered \\Seen \\Flagged \\Draft $Work)"), "02-Nov-2026 10:00:00 +0000", m1)
        .await;
    admin.append_at(&mailbox, None, "01-Oct-2026 12:00:00 +0000", &m2).await;
    admin.append_at(&mailbox, Some("(\\Deleted)"), "01-Oct-2026 12:00:00 +0000", m3).await;
    (admin, mailbox)
}

async fn uids(app: &TestApp, token: &str, mailbox: &str, filter: Value) -> Vec<u64> {
    let resp = app.search(token, mailbox, json!({ "filter": filter })).await;
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(status, StatusCode::OK, "{filter}: {body}");
    body["uids"].as_array().expect("uids").iter().map(|u| u.as_u64().expect("uid")).collect()
}

both_servers!(every_rfc3501_search_key_matches_one_message_and_not_the_other, "alice");

async fn every_rfc3501_search_key_matches_one_message_and_not_the_other(server: &'static ImapServer, user: &str) {
    let (mut admin, mailbox) = corpus_on(server, user).await;
    let app = TestApp::start(crate::helpers::settings_for(server)).await;
    let token = app.login(user).await.access;
    let cases: Vec<(Value, Vec<u64>)> = vec![
        (json!({"all": true}), vec![2, 1]),
        (json!({}), vec![2, 1]),
        (json!({"answered": true}), vec![1]),
        (json!({"answered": false}), vec![2]),
        (json!({"bcc": "dave@"}), vec![1]),
        (json!({"before": "2026-10-15"}), vec![2]),
        (json!({"body": "budget"}), vec![1]),
        (json!({"cc": "carol"}), vec![1]),
        (json!({"deleted": true}), vec![3]),
        (json!({"deleted": false}), vec![2, 1]),
        (json!({"draft": true}), vec![1]),
        (json!({"draft": false}), vec![2]),
        (json!({"flagged": true}), vec![1]),
        (json!({"flagged": false}), vec![2]),
        (json!({"from": "alice"}), vec![1]),
        (json!({"header": {"name": "X-Tag", "value": "red"}}), vec![1]),
        (json!({"keyword": "$Work"}), vec![1]),
        (json!({"unkeyword": "$Work"}), vec![2]),
        (json!({"larger": 2000}), vec![2]),
        (json!({"smaller": 2000}), vec![1]),
        (json!({"on": "2026-11-02"}), vec![1]),
        (json!({"seen": true}), vec![1]),
        (json!({"seen": false}), vec![2]),
        (json!({"sentBefore": "2026-10-15"}), vec![2]),
        (json!({"sentOn": "2026-11-02"}), vec![1]),
        (json!({"sentSince": "2026-10-15"}), vec![1]),
        (json!({"since": "2026-10-15"}), vec![1]),
        (json!({"subject": "März"}), vec![1]),
        (json!({"subject": "Lunch"}), vec![2]),
        (json!({"text": "pizza"}), vec![2]),
        (json!({"to": "eve@"}), vec![2]),
        (json!({"uid": "1"}), vec![1]),
        (json!({"seq": "2"}), vec![2]),
        (json!({"operator": "NOT", "conditions": [{"from": "alice"}]}), vec![2]),
        (json!({"operator": "OR", "conditions": [{"from": "alice"}, {"subject": "Lunch"}]}), vec![2, 1]),
        (
            json!({"operator": "AND", "conditions": [{"seen": true}, {"operator": "NOT", "conditions": [{"operator": "OR", "conditions": [{"to": "eve"}, {"cc": "frank"}]}]}]}),
            vec![1],
        ),
        (json!({"operator": "OR", "conditions": [{"deleted": true}, {"from": "mallory"}]}), vec![3, 2]),
    ];
    for (filter, want) in cases {
        assert_eq!(uids(&app, &token, &mailbox, filter.clone()).await, want, "{filter}");
    }
    // NEW/OLD/RECENT depend on which session saw the mail first; they partition the mailbox.
    let recent = uids(&app, &token, &mailbox, json!({"recent": true})).await;
    let old = uids(&app, &token, &mailbox, json!({"old": true})).await;
    let new = uids(&app, &token, &mailbox, json!({"new": true})).await;
    let mut all = [recent.clone(), old.clone()].concat();
    all.sort_unstable();
    assert_eq!(all, [1, 2], "RECENT and OLD partition the undeleted messages");
    assert!(new.iter().all(|u| recent.contains(u) && *u == 2), "NEW = RECENT UNSEEN: {new:?}");
    admin.delete(&mailbox).await;
    admin.logout().await;
}

#[tokio::test]
async fn sorting_paging_summaries_and_errors() {
    let (mut admin, mailbox) = corpus("bob").await;
    let app = TestApp::spawn().await;
    let token = app.login("bob").await.access;

    let body: Value = app
        .search(&token, &mailbox, json!({"sort": [{"property": "size", "isAscending": true}]}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["uids"], json!([1, 2]));
    let body: Value = app
        .search(&token, &mailbox, json!({"sort": [{"property": "subject"}], "limit": 1}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["uids"], json!([1]), "Quarterly… sorts after Lunch, reversed");
    let cursor = body["nextCursor"].as_str().expect("cursor");
    let next: Value = app
        .search(&token, &mailbox, json!({"sort": [{"property": "subject"}], "limit": 1, "cursor": cursor}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!((next["uids"].clone(), next["nextCursor"].clone()), (json!([2]), Value::Null));
    let wrong = app.search(&token, &mailbox, json!({"limit": 1, "cursor": cursor})).await;
    expect_problem(wrong, StatusCode::BAD_REQUEST, "invalid-cursor").await;

    let page: Value =
        app.search(&token, &mailbox, json!({"limit": 1, "return": "summaries"})).await.json().await.expect("json");
    assert_eq!((page["uids"].clone(), page["total"].clone()), (json!([2]), json!(2)));
    assert_eq!(page["items"][0]["subject"], "Lunch");
    let cursor = page["nextCursor"].as_str().expect("cursor");
    let page: Value = app
        .search(&token, &mailbox, json!({"limit": 1, "cursor": cursor, "return": "summaries"}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(page["items"][0]["subject"], "Quarterly report März");

    let hostile = uids(&app, &token, &mailbox, json!({"subject": "x\" ALL\r\nA1 DELETE INBOX"})).await;
    assert!(hostile.is_empty(), "a hostile string is one search argument");

    let unsorted = TestApp::spawn_with(|s| s.imap.ignore_capabilities = vec!["SORT".into()]).await;
    let t = unsorted.login("bob").await.access;
    let resp = unsorted.search(&t, &mailbox, json!({"sort": [{"property": "size"}]})).await;
    expect_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "unsupported-sort").await;

    let list = app.get_json(&format!("/v1/mailboxes/{}/messages?from=alice&seen=true", seg(&mailbox)), &token).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["uid"], 1);
    let list = app.get_json(&format!("/v1/mailboxes/{}/messages?larger=2000&limit=5", seg(&mailbox)), &token).await;
    assert_eq!(list["items"][0]["subject"], "Lunch");
    admin.delete(&mailbox).await;
    admin.logout().await;
}

#[tokio::test]
async fn a_multi_mailbox_search_merges_newest_first() {
    let (mut admin, first) = corpus("carol").await;
    let second = unique("search2");
    admin.create(&second).await;
    let newest =
        "From: Alice <alice@example.com>\r\nSubject: newest\r\nDate: Mon, 9 Nov 2026 10:00:00 +0000\r\n\r\nhi\r\n";
    admin.append_at(&second, None, "09-Nov-2026 10:00:00 +0000", newest).await;
    let app = TestApp::spawn().await;
    let token = app.login("carol").await.access;
    let resp =
        app.search_all(&token, json!({"mailboxes": [first, second], "filter": {"from": "alice"}, "limit": 10})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["mailboxesSearched"], 2);
    assert_eq!(body["total"], 2);
    let subjects: Vec<&str> =
        body["items"].as_array().expect("items").iter().map(|m| m["subject"].as_str().unwrap_or("")).collect();
    assert_eq!(subjects, ["newest", "Quarterly report März"]);
    assert_eq!(body["items"][0]["mailbox"], second);

    let everywhere: Value =
        app.search_all(&token, json!({"filter": {"subject": "newest"}})).await.json().await.expect("json");
    assert!(everywhere["mailboxesSearched"].as_u64().expect("count") >= 2);
    assert_eq!(everywhere["items"][0]["mailbox"], second);
    admin.delete(&first).await;
    admin.delete(&second).await;
    admin.logout().await;
}
