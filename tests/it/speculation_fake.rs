//! A server that refuses a FETCH naming a body part the message does not have (no real test
//! server does: Dovecot and Cyrus answer it empty) still serves a first read: the gateway asks
//! again for part 1 only, then for the part it lacks.

use std::sync::{Arc, Mutex};

use reqwest::StatusCode;

use crate::{
    fake_imap::{plain, scripted},
    helpers::TestApp,
};

const STRUCTURE: &str = "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 9 1 NIL NIL NIL NIL)\
     (\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 11 1 NIL NIL NIL NIL) \"alternative\" \
     (\"boundary\" \"b\") NIL NIL NIL)";

/// One message in INBOX; a UID FETCH naming `BODY.PEEK[2]<` (a partial part 2) is BAD.
fn reply(tag: &str, rest: &str) -> String {
    let upper = rest.to_ascii_uppercase();
    if upper.starts_with("LIST") {
        format!("* LIST () \"/\" INBOX\r\n{tag} OK done\r\n")
    } else if upper.starts_with("EXAMINE") || upper.starts_with("SELECT") {
        format!("* 1 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 2] n\r\n{tag} OK [READ-ONLY] done\r\n")
    } else if upper.starts_with("UID FETCH") && upper.contains("BODY.PEEK[2]<") {
        format!("{tag} BAD no such part\r\n")
    } else if upper.starts_with("UID FETCH") && upper.contains("BODYSTRUCTURE") {
        format!(
            "* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2024 00:00:00 +0000\" RFC822.SIZE 200 \
             ENVELOPE (NIL \"strict\" NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE {STRUCTURE} \
             BODY[HEADER.FIELDS (REFERENCES)] {{2}}\r\n\r\n BODY[1] {{9}}\r\nthe text.)\r\n{tag} OK done\r\n"
        )
    } else if upper.starts_with("UID FETCH") {
        format!("* 1 FETCH (UID 1 BODY[2] {{11}}\r\n<p>html</p>)\r\n{tag} OK done\r\n")
    } else {
        format!("{tag} OK done\r\n")
    }
}

#[tokio::test]
async fn a_server_refusing_a_missing_part_is_asked_again_without_it() {
    let commands = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = commands.clone();
    let script = move |tag: &str, rest: &str| {
        seen.lock().expect("lock").push(rest.to_string());
        reply(tag, rest)
    };
    let app = TestApp::start(plain(scripted(Arc::new(script)).await)).await;
    let token = app.login("alice").await.access;
    let resp = app.get("/v1/mailboxes/INBOX/messages/1", &token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let m: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(m["bodyValues"]["1"]["value"], "the text.", "{m}");
    assert_eq!(m["bodyValues"]["2"]["value"], "<p>html</p>", "{m}");
    let fetches: Vec<String> = commands
        .lock()
        .expect("lock")
        .iter()
        .filter(|c| c.to_ascii_uppercase().starts_with("UID FETCH"))
        .cloned()
        .collect();
    assert_eq!(fetches.len(), 3, "{fetches:#?}");
    assert!(fetches[0].contains("BODY.PEEK[2]<0.16384>"), "speculation on part 2 first: {fetches:#?}");
    assert!(fetches[1].contains("BODY.PEEK[1]<0.65536>") && !fetches[1].contains("BODY.PEEK[2]"), "{fetches:#?}");
    assert!(fetches[2].contains("BODY.PEEK[2]") && !fetches[2].contains("BODYSTRUCTURE"), "{fetches:#?}");
}
