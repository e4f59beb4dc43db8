//! Header and body text decoding, transfer encodings, and cut or half characters.

use super::*;

#[test]
fn headers_decode_in_any_charset() {
    let cases: [(&[u8], &str); 8] = [
        (b"=?UTF-8?Q?Rechnung_M=C3=A4rz?=", "Rechnung März"),
        (b"=?ISO-8859-1?Q?caf=E9?=", "café"),
        (b"=?windows-1252?Q?=80uro?=", "€uro"),
        (b"=?KOI8-R?B?8NLJ18XU?=", "Привет"),
        (b"=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=", "日本語"),
        (b"=?GB2312?B?1tDOxA==?=", "中文"),
        (b"caf\xe9 na\xefve", "café naïve"),
        (b"plain\r\n folded", "plain folded"),
    ];
    for (raw, want) in cases {
        assert_eq!(header(raw), want, "{:?}", String::from_utf8_lossy(raw));
    }
}

#[test]
fn adjacent_words_join_and_odd_input_survives() {
    // One UTF-8 character split across two B words.
    assert_eq!(header(b"J=?UTF-8?B?w7Zy?= =?UTF-8?B?ZyDD?= =?UTF-8?B?mGRlZ8OlcmQ=?="), "Jörg Ødegård");
    assert_eq!(header(b"=?ISO-8859-1?Q?a?= b =?ISO-8859-1?Q?c?="), "a b c");
    assert_eq!(header(b"=?x-unknown?Q?caf=E9?= ok"), "café ok");
    assert_eq!(header(b"\"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\" x"), "\"Grüße\" x");
    assert_eq!(header(b"=?ISO-8859-1?Q?a?= =?UTF-8?Q?=C3=BC?="), "aü");
    let long: Vec<u8> = b"=?a?Q?b ".repeat(30_000);
    assert_eq!(header(&long).len(), long.len() - 1, "linear and verbatim");
    assert_eq!(header(b"=?broken"), "=?broken");
    assert_eq!(unquote("a\\\\b\\\"c"), "a\\b\"c");
}

#[test]
fn bodies_decode_and_report_problems() {
    assert_eq!(body(b"caf\xe9", Some("iso-8859-1")), ("café".into(), false));
    assert_eq!(body("ok".as_bytes(), None), ("ok".into(), false));
    assert!(body(b"\xff\xfe", Some("utf-8")).1);
    assert_eq!(transfer(b"aGVsbG8gd29y\r\nbGQ=", Some("BASE64"), false), (b"hello world".to_vec(), false));
    assert_eq!(transfer(b"aGVsbG8gd29", Some("base64"), true).0, b"hello ".to_vec());
    assert_eq!(
        transfer(b"caf=C3=A9 =\r\nsoft", Some("quoted-printable"), false),
        ("café soft".as_bytes().to_vec(), false)
    );
    assert_eq!(transfer(b"cut =C", Some("quoted-printable"), true).0, b"cut ".to_vec());
    assert_eq!(transfer(b"soft = \t\r\nbreak", Some("quoted-printable"), false), (b"soft break".to_vec(), false));
    let mut cut = "aä".as_bytes()[..2].to_vec();
    drop_partial_tail(&mut cut, Some("UTF-8"));
    assert_eq!(cut, b"a");
    let mut s = "aä".to_string();
    assert!(truncate(&mut s, 2));
    assert_eq!(s, "a");
}

#[test]
fn base64_with_junk_after_the_padding_decodes_to_its_text() {
    let (bytes, problem) = transfer(b"ecO2dMOkIHZhYW4uCg== ignored", Some("base64"), false);
    assert_eq!(body(&bytes, Some("utf-8")), ("yötä vaan.\n".into(), false));
    assert!(problem, "reported as an encoding problem");
    assert_eq!(header(b"=?UTF-8?B?ecO2dMOkIHZhYW4uCg==?="), "yötä vaan.");
}

#[test]
fn uuencode_decodes_under_each_of_its_names() {
    let file = b"begin 644 hello.txt\r\n/1W+#O,.?92P@5V5L=\"$*\r\n`\r\nend\r\n";
    for name in ["x-uuencode", "X-UUE", "uuencode"] {
        assert_eq!(transfer(file, Some(name), false), ("Grüße, Welt!\n".as_bytes().to_vec(), false), "{name}");
    }
    assert_eq!(transfer(&file[..44], Some("x-uuencode"), true), ("Grüße, Welt!\n".as_bytes().to_vec(), false));
    assert!(transfer(&file[21..], Some("x-uuencode"), false).1, "no begin line");
    assert_eq!(TransferEncoding::of(Some("x-uuencode")), TransferEncoding::Uuencode);
    assert_eq!(TransferEncoding::of(Some("7bit")), TransferEncoding::Identity);
}

#[test]
fn a_text_ending_in_half_a_utf16_character_ends_in_a_replacement_character() {
    let whole = "Hi!".encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>();
    assert_eq!(body(&whole, Some("utf-16le")), ("Hi!".into(), false));
    let mut odd = whole.clone();
    odd.push(b'x');
    assert_eq!(body(&odd, Some("UTF-16LE")), ("Hi!\u{FFFD}".into(), true));
    assert_eq!(body(b"\0H\0i\0", Some("utf-16be")), ("Hi\u{FFFD}".into(), true));
    assert_eq!(body(b"\xff\xfeH\0i\0!", Some("utf-16")), ("Hi\u{FFFD}".into(), true), "after a byte-order mark");
    assert_eq!(body(b"x", Some("ucs-2")), ("\u{FFFD}".into(), true));
    // Cut by a partial fetch: the half character (and half a surrogate pair) is dropped.
    let emoji = "a😀".encode_utf16().flat_map(u16::to_be_bytes).collect::<Vec<u8>>();
    for cut in 3..emoji.len() {
        let mut bytes = emoji[..cut].to_vec();
        drop_partial_tail(&mut bytes, Some("utf-16be"));
        assert_eq!(body(&bytes, Some("utf-16be")), ("a".into(), false), "cut at {cut}");
    }
    let mut bytes = odd;
    drop_partial_tail(&mut bytes, Some("utf-16le"));
    assert_eq!(body(&bytes, Some("utf-16le")), ("Hi!".into(), false));
}
