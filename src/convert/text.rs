//! Text decoding: RFC 2047 encoded-words in headers, body charsets, and transfer encodings.
//! Total: undecodable bytes become U+FFFD and are reported, never a panic.

use base64::Engine as _;
use mail_parser::{HeaderValue, decoders::charsets::map::charset_decoder, parsers::MessageStream};

/// Decodes a header value as sent (possibly with encoded-words, possibly raw 8-bit).
pub fn header(raw: &[u8]) -> String {
    let has_words = raw.windows(2).any(|w| w == b"=?");
    if !has_words {
        return match std::str::from_utf8(raw) {
            Ok(s) => unfold(s),
            // Raw 8-bit that is not UTF-8: by far most often Latin-1 / windows-1252.
            Err(_) => unfold(&encoding_rs::WINDOWS_1252.decode(raw).0),
        };
    }
    let mut line = raw.to_vec();
    line.extend_from_slice(b"\r\n");
    match MessageStream::new(&line).parse_unstructured() {
        HeaderValue::Text(t) => t.into_owned(),
        HeaderValue::TextList(list) => list.join(" "),
        _ => unfold(&String::from_utf8_lossy(raw)),
    }
}

fn unfold(s: &str) -> String {
    s.replace("\r\n", "").replace('\n', "").trim().to_string()
}

/// Decodes body bytes in `charset` (UTF-8 when absent). Returns the text and whether
/// anything could not be decoded.
pub fn body(bytes: &[u8], charset: Option<&str>) -> (String, bool) {
    let charset = charset.unwrap_or("utf-8");
    if charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("us-ascii") {
        return match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_string(), false),
            Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
        };
    }
    match charset_decoder(charset.as_bytes()) {
        Some(decode) => {
            let text = decode(bytes);
            let problem = text.contains('\u{FFFD}');
            (text, problem)
        }
        None => (String::from_utf8_lossy(bytes).into_owned(), true),
    }
}

/// Undoes a Content-Transfer-Encoding. `truncated` input (a partial fetch) may end mid-quantum;
/// the incomplete tail is dropped rather than reported as a problem.
pub fn transfer(bytes: &[u8], encoding: Option<&str>, truncated: bool) -> (Vec<u8>, bool) {
    match encoding.map(str::to_ascii_lowercase).as_deref() {
        Some("base64") => {
            let mut clean: Vec<u8> = bytes.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
            if truncated {
                clean.truncate(clean.len() / 4 * 4);
            }
            let engine = base64::engine::GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                base64::engine::GeneralPurposeConfig::new()
                    .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
                    .with_decode_allow_trailing_bits(true),
            );
            match engine.decode(&clean) {
                Ok(out) => (out, false),
                Err(_) => (bytes.to_vec(), true),
            }
        }
        Some("quoted-printable") => quoted_printable(bytes),
        _ => (bytes.to_vec(), false),
    }
}

fn quoted_printable(bytes: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(bytes.len());
    let mut problem = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'=' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(b'\r'), Some(b'\n')) => i += 3,
            (Some(b'\n'), _) => i += 2,
            (Some(&h), Some(&l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                let hex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                out.push(hex(h) << 4 | hex(l));
                i += 3;
            }
            (None, _) | (Some(_), None) => break, // cut by a partial fetch
            _ => {
                problem = true;
                out.push(b'=');
                i += 1;
            }
        }
    }
    (out, problem)
}

/// Cuts `s` to at most `max` bytes on a character boundary; returns whether it cut.
pub fn truncate(s: &mut String, max: usize) -> bool {
    if s.len() <= max {
        return false;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    true
}

#[cfg(test)]
mod tests {
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
        let mut s = "aä".to_string();
        assert!(truncate(&mut s, 2));
        assert_eq!(s, "a");
    }
}
