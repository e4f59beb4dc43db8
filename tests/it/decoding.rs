//! Decoding real mail: base64 with junk after its padding, uuencoded parts, and a UTF-16 text
//! that ends in half a character, read as body values and downloaded as parts.

use base64::Engine as _;
use serde_json::Value;

use crate::helpers::{Admin, ImapServer, TestApp, both_servers, seg, settings_for, unique};

/// `uuencode` of "Grüße, Welt!\n" (as Python's `binascii.b2a_uu` makes it).
const UU_FILE: &str = "begin 644 gruss.txt\r\n/1W+#O,.?92P@5V5L=\"$*\r\n`\r\nend\r\n";
const UU_TEXT: &str = "Grüße, Welt!\n";

fn mail(subject: &str, content_type: &str, encoding: &str, body: &str) -> String {
    format!(
        "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: {subject}\r\n\
         Date: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{}@example.com>\r\nMIME-Version: 1.0\r\n\
         Content-Type: {content_type}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n{body}\r\n",
        uuid::Uuid::new_v4()
    )
}

/// `text` in UTF-16LE and base64, with `extra` bytes after it.
fn utf16(text: &str, extra: &[u8]) -> String {
    let mut bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    bytes.extend_from_slice(extra);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Message `uid` as JSON, with `query` added to its URL.
async fn read(app: &TestApp, token: &str, mailbox: &str, uid: u32, query: &str) -> Value {
    app.get_json(&format!("/v1/mailboxes/{}/messages/{uid}{query}", seg(mailbox)), token).await
}

async fn download(app: &TestApp, token: &str, mailbox: &str, uid: u32, part: &str) -> Vec<u8> {
    let resp = app.get(&format!("/v1/mailboxes/{}/messages/{uid}/parts/{part}", seg(mailbox)), token).await;
    assert_eq!(resp.status(), reqwest::StatusCode::OK, "part {part} of {uid}");
    resp.bytes().await.expect("part body").to_vec()
}

both_servers!(broken_and_old_transfer_encodings_decode_as_mail_readers_do, "alice");

async fn broken_and_old_transfer_encodings_decode_as_mail_readers_do(server: &'static ImapServer, user: &str) {
    let mailbox = unique("decoding");
    let mut admin = Admin::connect(server, user).await;
    admin.create(&mailbox).await;
    let plain = "text/plain; charset=utf-8";
    let messages = [
        mail("junk after padding", plain, "base64", "ecO2dMOkIHZhYW4uCg== ignored"),
        mail("uuencoded", plain, "x-uuencode", UU_FILE),
        mail("uue", plain, "X-UUE", UU_FILE),
        mail("uuencode, no begin", plain, "uuencode", &UU_FILE["begin 644 gruss.txt\r\n".len()..]),
        mail("half a character", "text/plain; charset=utf-16le", "base64", &utf16("Hi!", b"x")),
        mail("whole characters", "text/plain; charset=utf-16le", "base64", &utf16("Hallo, Welt! Hallo, Welt!", b"")),
    ];
    for m in &messages {
        admin.append(&mailbox, None, m).await;
    }
    let app = TestApp::start(settings_for(server)).await;
    let token = app.login(user).await.access;

    // 11: the text before the padding, flagged.
    let m = read(&app, &token, &mailbox, 1, "").await;
    assert_eq!(m["bodyValues"]["1"]["value"], "yötä vaan.\n", "{m}");
    assert_eq!(m["bodyValues"]["1"]["isEncodingProblem"], true);
    assert_eq!(download(&app, &token, &mailbox, 1, "1").await, "yötä vaan.\n".as_bytes());

    // 12: uuencode under each name, decoded in body values and downloads; a missing
    // `begin` line still decodes, flagged.
    for (uid, problem) in [(2, false), (3, false), (4, true)] {
        let m = read(&app, &token, &mailbox, uid, "").await;
        assert_eq!(m["bodyValues"]["1"]["value"], UU_TEXT, "{uid}: {m}");
        assert_eq!(m["bodyValues"]["1"]["isEncodingProblem"], problem, "{uid}");
        assert_eq!(m["bodyValues"]["1"]["isTruncated"], false, "{uid}");
        assert_eq!(download(&app, &token, &mailbox, uid, "1").await, UU_TEXT.as_bytes(), "{uid}");
    }
    // Cut by maxBodyValueBytes: the text is cut, not reported as broken.
    let cut = read(&app, &token, &mailbox, 2, "?maxBodyValueBytes=5").await;
    assert_eq!(cut["bodyValues"]["1"]["value"], "Grü", "{cut}");
    assert_eq!(cut["bodyValues"]["1"]["isTruncated"], true);
    assert_eq!(cut["bodyValues"]["1"]["isEncodingProblem"], false);

    // 13: half a character at the end is U+FFFD, not dropped.
    let m = read(&app, &token, &mailbox, 5, "").await;
    assert_eq!(m["bodyValues"]["1"]["value"], "Hi!\u{FFFD}", "{m}");
    assert_eq!(m["bodyValues"]["1"]["isEncodingProblem"], true);
    assert_eq!(download(&app, &token, &mailbox, 5, "1").await, b"H\0i\0!\0x");
    // Cut by the limit: the part comes whole (the preview's part is fetched up to 4 KiB
    // whatever the limit), and the text is cut on a character, which is no problem.
    let whole = read(&app, &token, &mailbox, 6, "").await;
    assert_eq!(whole["bodyValues"]["1"]["value"], "Hallo, Welt! Hallo, Welt!", "{whole}");
    assert_eq!(whole["bodyValues"]["1"]["isEncodingProblem"], false);
    let cut = read(&app, &token, &mailbox, 6, "?maxBodyValueBytes=10").await;
    assert_eq!(cut["bodyValues"]["1"]["value"], "Hallo, Wel", "{cut}");
    assert_eq!(cut["preview"], whole["preview"], "the same preview whatever the limit");
    assert_eq!(cut["bodyValues"]["1"]["isTruncated"], true);
    assert_eq!(cut["bodyValues"]["1"]["isEncodingProblem"], false);

    admin.delete(&mailbox).await;
    admin.logout().await;
}
