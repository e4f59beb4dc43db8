//! Tests of the MIME builder: a letter read back by mail-parser.

use mail_parser::{MessageParser, MimeHeaders};

use super::*;

fn who(name: Option<&str>, email: &str) -> Recipient {
    Recipient { name: name.map(str::to_string), email: email.into() }
}

fn letter() -> Letter {
    Letter {
        from: Some(who(Some("山田 太郎 🎌"), "alice@example.org")),
        to: vec![who(Some("Bob, Jr."), "bob@example.org"), who(None, "carol@example.org")],
        bcc: vec![who(None, "dave@example.org")],
        cc: Vec::new(),
        reply_to: Vec::new(),
        subject: "会議の資料 🎉 ready".into(),
        text: Some("こんにちは\r\nline two".into()),
        html: Some("<p>hi <img src=\"cid:logo@x\"></p>".into()),
        files: vec![
            File {
                filename: "報告書 2026 🎉.pdf".into(),
                content_type: "application/pdf".into(),
                data: vec![0, 1, 2, 255],
                cid: None,
                inline: false,
            },
            File {
                filename: "logo.png".into(),
                content_type: "image/png".into(),
                data: vec![137, 80, 78, 71],
                cid: Some("logo@x".into()),
                inline: true,
            },
        ],
        forwarded: Some(b"Subject: old\r\nFrom: x@y\r\n\r\nold body \xc3\xa9\r\n".to_vec()),
        in_reply_to: Some("orig@example.org".into()),
        references: vec!["root@example.org".into(), "orig@example.org".into()],
        extra: vec![("X-Campaign".into(), "7".into())],
        message_id: "new@example.org".into(),
        date: 1_790_000_000,
    }
}

#[test]
fn a_letter_round_trips_through_a_mime_parser() {
    let bytes = build(&letter());
    let head = String::from_utf8_lossy(&bytes[..bytes.windows(4).position(|w| w == b"\r\n\r\n").expect("header end")]);
    assert!(head.is_ascii(), "every header is ASCII on the wire: {head}");
    let m = MessageParser::default().parse(&bytes).expect("parses");
    assert_eq!(m.subject(), Some("会議の資料 🎉 ready"));
    assert_eq!(m.from().and_then(|a| a.first()).and_then(|a| a.name()), Some("山田 太郎 🎌"));
    let to: Vec<_> = m.to().expect("to").iter().map(|a| (a.name(), a.address())).collect();
    assert_eq!(to, [(Some("Bob, Jr."), Some("bob@example.org")), (None, Some("carol@example.org"))]);
    assert_eq!(m.bcc().and_then(|a| a.first()).and_then(|a| a.address()), Some("dave@example.org"));
    assert_eq!(m.message_id(), Some("new@example.org"));
    assert_eq!(m.in_reply_to().as_text(), Some("orig@example.org"));
    assert_eq!(m.header_raw("X-Campaign").map(str::trim), Some("7"));
    assert_eq!(m.body_text(0).as_deref(), Some("こんにちは\r\nline two"));
    assert!(m.body_html(0).is_some_and(|h| h.contains("cid:logo@x")));
    let names: Vec<_> = m.attachments().map(|a| a.attachment_name().unwrap_or("").to_string()).collect();
    assert!(names.contains(&"報告書 2026 🎉.pdf".to_string()), "{names:?}");
    let pdf = m.attachments().find(|a| a.attachment_name() == Some("報告書 2026 🎉.pdf")).expect("pdf");
    assert_eq!(pdf.contents(), [0, 1, 2, 255]);
    let raw = String::from_utf8_lossy(&bytes);
    assert!(raw.contains("Content-Type: multipart/related"), "{raw}");
    assert!(raw.contains("Content-Type: message/rfc822"), "{raw}");
    assert!(raw.contains("Content-Transfer-Encoding: 8bit"), "{raw}");
    assert!(raw.contains("old body \u{e9}"), "the forwarded message is attached as it is");
}

#[test]
fn an_empty_letter_still_has_a_text_body_and_a_date() {
    let bytes = build(&Letter { message_id: "x@y".into(), date: 0, ..Default::default() });
    let m = MessageParser::default().parse(&bytes).expect("parses");
    assert_eq!(m.body_text(0).as_deref(), Some(""));
    assert!(m.date().is_some());
    assert!(m.from().is_none());
}
