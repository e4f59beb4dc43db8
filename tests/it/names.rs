//! A caller's mailbox name is a name: never a LIST pattern, never longer than the configured
//! limits (refused before any IMAP on every route but a new mailbox's parent: validation.rs).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Admin, TestApp, dovecot, expect_problem, unique};

/// victor is used by this file alone: a wildcard that reached LIST as a pattern would delete
/// every mailbox of the account.
const USER: &str = "victor";

async fn names(admin: &mut Admin, tag: &str) -> Vec<String> {
    let mut all: Vec<String> = admin.list().await.into_iter().filter(|n| n.starts_with(tag)).collect();
    all.sort();
    all
}

#[tokio::test]
async fn wildcards_in_names_are_characters_and_a_missing_name_deletes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.login(USER).await.access;
    let tag = unique("wc");
    let mut admin = Admin::connect(dovecot(), USER).await;
    let keep = [format!("{tag}Keep/A"), format!("{tag}Other/B"), format!("{tag}axb/c"), format!("{tag}rxs/t")];
    for n in keep.iter().chain([format!("{tag}a%b/c"), format!("{tag}r*s/t")].iter()) {
        admin.create(n).await;
    }
    let before = names(&mut admin, &tag).await;

    // Names that do not exist: 404, and nothing is deleted, with or without recursion.
    for missing in ["%", "*", &format!("{tag}%"), &format!("{tag}*"), &format!("{tag}Keep/%")] {
        for recursive in [true, false] {
            let resp = app.delete_mailbox(&token, missing, recursive).await;
            expect_problem(resp, StatusCode::NOT_FOUND, "mailbox-not-found").await;
        }
    }
    assert_eq!(names(&mut admin, &tag).await, before, "a missing name deleted something");

    // A real name with a wildcard deletes exactly itself and its own children.
    let resp = app.delete_mailbox(&token, &format!("{tag}a%b"), true).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let after: Vec<String> = before.iter().filter(|n| !n.starts_with(&format!("{tag}a%b"))).cloned().collect();
    assert_eq!(names(&mut admin, &tag).await, after);
    assert!(after.contains(&format!("{tag}axb/c")), "a sibling matching the name as a pattern survives");

    // Rename of a name with `*` moves its own children only, and answers the new mailbox.
    let resp = app.rename_mailbox(&token, &format!("{tag}r*s"), &format!("{tag}renamed")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["name"], format!("{tag}renamed"));
    let now = names(&mut admin, &tag).await;
    assert!(now.contains(&format!("{tag}renamed/t")) && now.contains(&format!("{tag}rxs/t")), "{now:?}");
    assert!(!now.iter().any(|n| n.starts_with(&format!("{tag}r*s"))), "{now:?}");
    for n in keep.iter().take(3) {
        assert!(now.contains(n), "{n} is gone: {now:?}");
    }

    // A placeholder parent (listed only for its children) is deleted by deleting its children.
    let resp = app.delete_mailbox(&token, &format!("{tag}Keep"), true).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert!(!names(&mut admin, &tag).await.iter().any(|n| n.starts_with(&format!("{tag}Keep"))));
    admin.logout().await;
}

/// The name of a new mailbox under a `parent` is checked once the hierarchy delimiter is known
/// (one LIST); over the limits it is refused like every other name (the other routes refuse
/// before any IMAP: validation.rs).
#[tokio::test]
async fn an_over_long_parent_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.login(USER).await.access;
    let long = "n".repeat(600);
    let resp = app.create_mailbox(&token, json!({"name": "x", "parent": long})).await;
    let problem = expect_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "mailbox-name-too-long").await;
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("255 bytes"), "{detail}");
}
