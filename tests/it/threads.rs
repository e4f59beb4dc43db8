//! Conversations on both servers: thread and email ids on pages, searches and full messages,
//! `GET /v1/threads/{threadId}` across mailboxes (Trash left out unless named), collapsed
//! pages and searches with their thread sizes and unread counts, and previews.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Admin, ImapServer, TestApp, both_servers, expect_problem, seg, settings_for, unique};

fn mail(id: &str, extra: &str, subject: &str, date: &str, body: &str) -> String {
    format!(
        "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: {subject}\r\nDate: {date}\r\n\
         Message-ID: <{id}>\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}"
    )
}

fn by_id<'a>(items: &'a [Value], id: &str) -> &'a Value {
    let wanted = format!("<{id}>");
    items.iter().find(|m| m["messageId"] == wanted.as_str()).unwrap_or_else(|| panic!("no message {id}"))
}

async fn items(app: &TestApp, token: &str, path: &str) -> Value {
    let resp = app.get(path, token).await;
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

both_servers!(a_reply_chain_is_one_thread_across_mailboxes_and_a_same_subject_message_is_not, dovecot: "tina", cyrus: "eve");

async fn a_reply_chain_is_one_thread_across_mailboxes_and_a_same_subject_message_is_not(
    server: &'static ImapServer,
    user: &str,
) {
    let tag = unique("thr");
    let (a, b, c, d) = (
        format!("{tag}-a@example.com"),
        format!("{tag}-b@example.com"),
        format!("{tag}-c@example.com"),
        format!("{tag}-d@example.com"),
    );
    let subject = format!("Plan {tag}");
    let box_name = unique("threads");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&box_name).await;
    let existing = admin.list().await;
    for role in ["Sent", "Trash"] {
        if !existing.iter().any(|m| m == role) {
            admin.create(role).await;
        }
    }
    let when = "01-Dec-2026 12:00:00 +0000";
    let msg_a = mail(&a, "", &subject, "Tue, 1 Dec 2026 09:00:00 +0000", "Shall we meet at noon?\r\n");
    let msg_b = mail(
        &b,
        &format!("In-Reply-To: <{a}>\r\n"),
        &format!("Re: {subject}"),
        "Tue, 1 Dec 2026 10:00:00 +0000",
        "Yes, noon works.\r\n\r\nOn Tue, Alice wrote:\r\n> Shall we meet at noon?\r\n",
    );
    let msg_c = mail(
        &c,
        &format!("In-Reply-To: <{b}>\r\nReferences: <{a}>\r\n <{b}>\r\n"),
        &format!("Re: {subject}"),
        "Tue, 1 Dec 2026 11:00:00 +0000",
        "See you there.\r\n",
    );
    let msg_d = mail(&d, "", &subject, "Tue, 1 Dec 2026 12:00:00 +0000", "A different plan entirely.\r\n");
    admin.append_at(&box_name, Some("(\\Seen)"), when, &msg_a).await;
    admin.append_at(&box_name, None, when, &msg_b).await;
    admin.append_at(&box_name, None, when, &msg_d).await;
    admin.append_at("Sent", Some("(\\Seen)"), when, &msg_c).await;
    admin.append_at("Trash", None, when, &msg_b).await;

    let app = TestApp::start(settings_for(server)).await;
    let token = app.login(user).await.access;
    let segment = seg(&box_name);

    // Pages: thread ids from the headers, email ids, previews without the quote.
    let page = items(&app, &token, &format!("/v1/mailboxes/{segment}/messages")).await;
    let list = page["items"].as_array().expect("items");
    assert_eq!(list.len(), 3, "{page}");
    let (ia, ib, id) = (by_id(list, &a), by_id(list, &b), by_id(list, &d));
    let thread = ia["threadId"].as_str().expect("threadId").to_string();
    assert_eq!(ib["threadId"], thread.as_str(), "B replies to A");
    assert_ne!(id["threadId"], thread.as_str(), "D only shares the subject");
    assert_eq!(ia["preview"], "Shall we meet at noon?");
    assert_eq!(ib["preview"], "Yes, noon works.", "the quote and its attribution are left out");
    let email_ids: Vec<&str> = [ia, ib, id].iter().map(|m| m["emailId"].as_str().expect("emailId")).collect();
    assert!(email_ids[0] != email_ids[1] && email_ids[1] != email_ids[2], "{email_ids:?}");
    let server_ids = matches!(server.software, crate::servers::Software::Cyrus);
    assert!(
        email_ids.iter().all(|e| e.starts_with(if server_ids { 'M' } else { 'G' })),
        "OBJECTID on Cyrus: {email_ids:?}"
    );

    // The full message of C, in Sent, is in A's thread by its References.
    let sent = items(&app, &token, "/v1/mailboxes/Sent/messages?limit=500").await;
    let uid_c = by_id(sent["items"].as_array().expect("items"), &c)["uid"].clone();
    let full = items(&app, &token, &format!("/v1/mailboxes/Sent/messages/{uid_c}")).await;
    assert_eq!(full["threadId"], thread.as_str());
    assert_eq!(full["preview"], "See you there.");

    // The thread across mailboxes, oldest first; the copy in Trash only when named.
    let t = items(&app, &token, &format!("/v1/threads/{thread}")).await;
    let got: Vec<(String, String)> = t["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            (m["mailbox"].as_str().expect("mailbox").to_string(), m["messageId"].as_str().expect("id").to_string())
        })
        .collect();
    let want = vec![
        (box_name.clone(), format!("<{a}>")),
        (box_name.clone(), format!("<{b}>")),
        ("Sent".to_string(), format!("<{c}>")),
    ];
    assert_eq!(got, want, "{t}");
    assert_eq!(t["threadId"], thread.as_str());
    let named = items(&app, &token, &format!("/v1/threads/{thread}?mailboxes={segment}&mailboxes=Trash")).await;
    let in_trash: Vec<&Value> =
        named["messages"].as_array().expect("messages").iter().filter(|m| m["mailbox"] == "Trash").collect();
    assert_eq!((named["mailboxesSearched"].as_u64(), in_trash.len()), (Some(2), 1), "{named}");
    assert_eq!(in_trash[0]["emailId"], ib["emailId"], "a copy keeps its email id");
    let lone = items(&app, &token, &format!("/v1/threads/{}", id["threadId"].as_str().expect("D's thread"))).await;
    assert_eq!(lone["messages"].as_array().map(Vec::len), Some(1), "{lone}");
    expect_problem(app.get("/v1/threads/not-a-thread", &token).await, StatusCode::NOT_FOUND, "not-found").await;
    let unknown = format!("T{}", "bm9ib2R5QGV4YW1wbGUuY29t");
    expect_problem(app.get(&format!("/v1/threads/{unknown}"), &token).await, StatusCode::NOT_FOUND, "not-found").await;

    // Collapsed: one item per thread, the newest, with its size and unread count.
    let first = items(&app, &token, &format!("/v1/mailboxes/{segment}/messages?collapseThreads=true&limit=1")).await;
    assert_eq!((first["threads"].as_u64(), first["total"].as_u64()), (Some(2), Some(3)), "{first}");
    let top = &first["items"][0];
    assert_eq!(
        (top["messageId"].as_str(), top["threadSize"].as_u64(), top["threadUnread"].as_u64()),
        (Some(format!("<{d}>").as_str()), Some(1), Some(1))
    );
    let cursor = first["nextCursor"].as_str().expect("a second page");
    let second =
        items(&app, &token, &format!("/v1/mailboxes/{segment}/messages?collapseThreads=true&limit=1&cursor={cursor}"))
            .await;
    let next = &second["items"][0];
    assert_eq!(
        (next["messageId"].as_str(), next["threadSize"].as_u64(), next["threadUnread"].as_u64()),
        (Some(format!("<{b}>").as_str()), Some(2), Some(1)),
        "{second}"
    );
    assert!(second["nextCursor"].is_null(), "{second}");
    let mixed = app.get(&format!("/v1/mailboxes/{segment}/messages?limit=1&cursor={cursor}"), &token).await;
    expect_problem(mixed, StatusCode::BAD_REQUEST, "invalid-cursor").await;

    // The same in a search: one result per thread.
    let resp = app
        .search(
            &token,
            &box_name,
            json!({"filter": {"subject": "Plan"}, "collapseThreads": true, "return": "summaries"}),
        )
        .await;
    let found: Value = resp.json().await.expect("json");
    let sizes: Vec<(Option<&str>, Option<u64>)> = found["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| (m["messageId"].as_str(), m["threadSize"].as_u64()))
        .collect();
    assert_eq!(
        sizes,
        vec![(Some(format!("<{d}>").as_str()), Some(1)), (Some(format!("<{b}>").as_str()), Some(2))],
        "{found}"
    );
    assert_eq!(found["total"].as_u64(), Some(3), "all matches");

    admin.delete(&box_name).await;
    admin.logout().await;
}
