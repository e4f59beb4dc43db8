//! Tests of previews: text and HTML, quotes, whitespace, cuts, and the part they come from.

use super::*;
use crate::views::message::{BodyPart, PartImap};

fn leaf(id: &str, t: &str, encoding: &str, size: u32) -> BodyPart {
    BodyPart {
        part_id: Some(id.into()),
        r#type: t.into(),
        charset: Some("utf-8".into()),
        disposition: None,
        name: None,
        cid: None,
        language: None,
        location: None,
        size: size.into(),
        imap: PartImap { encoding: Some(encoding.into()), encoded_size: Some(size), ..Default::default() },
        sub_parts: vec![],
    }
}

fn multi(t: &str, parts: Vec<BodyPart>) -> BodyPart {
    BodyPart { part_id: None, r#type: t.into(), sub_parts: parts, ..leaf("", "", "", 0) }
}

#[test]
fn the_preview_drops_the_quote_and_its_attribution() {
    let text = "Sounds good, see you then.\n\nOn Mon, 1 Dec 2026, Bob wrote:\n> Lunch at noon?\n> Bob\n";
    assert_eq!(from_text(text, false), "Sounds good, see you then.");
    let bottom = "On Mon, Bob wrote:\n> Lunch?\n\nYes, noon.\n-- \nAlice\nCEO";
    assert_eq!(from_text(bottom, false), "Yes, noon.");
    let outlook = "Fine by me.\r\n-----Original Message-----\r\nFrom: Bob\r\nLunch?";
    assert_eq!(from_text(outlook, false), "Fine by me.");
}

#[test]
fn a_reply_that_is_all_quote_keeps_the_quote() {
    assert_eq!(from_text("> only\n> quoted", false), "> only > quoted");
}

#[test]
fn whitespace_collapses_and_the_preview_is_cut_at_256_characters() {
    assert_eq!(from_text("  a\t\tb\r\n\r\n c  ", false), "a b c");
    let long = "é ".repeat(400);
    let p = from_text(&long, false);
    assert_eq!(p.chars().count(), 255, "the last space is trimmed");
    assert!(p.starts_with("é é"));
}

#[test]
fn html_becomes_text_without_styles_scripts_or_blockquotes() {
    let html = "<html><head><style>p{color:red}</style><title>T</title></head><body><p>Hello&nbsp;<b>there</b> &amp; you</p>\
                <div>On Monday Bob wrote:</div><blockquote type=cite><p>old <blockquote>older</blockquote> text</p></blockquote>\
                <script>alert(1)</script><p>After</p></body></html>";
    let p = from_text(html, true);
    assert!(p.starts_with("Hello there & you"), "{p}");
    assert!(p.ends_with("After"), "{p}");
    for gone in ["color", "alert", "old", "older", "text", "<"] {
        assert!(!p.contains(gone), "{gone} in {p}");
    }
}

#[test]
fn unbalanced_or_odd_html_never_panics() {
    for html in
        ["<blockquote>open", "</blockquote>x", "é<blockquote>", "<<blockquote", "<blockquoteé>a</blockquote>b", "<"]
    {
        let _ = from_text(html, true);
    }
}

#[test]
fn the_source_is_the_first_text_part_preferring_plain_text() {
    let alt =
        multi("multipart/alternative", vec![leaf("1", "text/plain", "7bit", 10), leaf("2", "text/html", "7bit", 20)]);
    let mixed = multi("multipart/mixed", vec![alt, leaf("2", "application/pdf", "base64", 900)]);
    let s = source(&mixed).expect("a text part");
    assert_eq!((s.section.as_str(), s.html), ("1", false));
    let html_only = multi("multipart/mixed", vec![leaf("1", "text/html", "quoted-printable", 10)]);
    assert!(source(&html_only).expect("html").html);
    assert_eq!(source(&leaf("1", "image/png", "base64", 10)), None);
}

#[test]
fn a_cut_part_gives_the_same_preview_as_the_whole_part() {
    let body = format!("{}\n> quote", "word ".repeat(2000));
    let encoded = body.as_bytes();
    let src = Source {
        section: "1".into(),
        encoding: Some("7bit".into()),
        charset: Some("utf-8".into()),
        encoded_size: encoded.len() as u32,
        html: false,
    };
    let from_cut = from_encoded(&src, &encoded[..src.fetch_len() as usize]);
    let from_whole = from_decoded(&src, encoded.to_vec(), false);
    assert_eq!(from_cut, from_whole);
    assert!(from_cut.starts_with("word word"));
}

#[test]
fn base64_and_quoted_printable_parts_are_decoded() {
    let src = |enc: &str, size: u32| Source {
        section: "1".into(),
        encoding: Some(enc.into()),
        charset: Some("iso-8859-1".into()),
        encoded_size: size,
        html: false,
    };
    assert_eq!(from_encoded(&src("base64", 8), b"Z3L8/g==\r\n"), "grüþ");
    assert_eq!(from_encoded(&src("quoted-printable", 12), b"gr=FC=DF =\r\nx"), "grüß x");
}

proptest::proptest! {
    #[test]
    fn any_text_or_html_gives_a_short_preview(s in "(<[a-z/!-]{0,12}[ =\"'a-z]{0,8}>|&[#a-z0-9]{0,6};|[a-zé€ \\n>:-]{0,12}){0,40}") {
        for html in [false, true] {
            let p = from_text(&s, html);
            proptest::prop_assert!(p.chars().count() <= PREVIEW_CHARS);
            proptest::prop_assert!(!p.contains("  ") && !p.contains('\n'));
        }
    }
}
