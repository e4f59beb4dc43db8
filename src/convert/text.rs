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

/// Undoes a transfer encoding chunk by chunk, keeping incomplete quanta for the next chunk, so
/// that a part can be streamed in constant memory.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    encoding: Encoding,
    pending: Vec<u8>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    #[default]
    Identity,
    Base64,
    QuotedPrintable,
}

impl StreamDecoder {
    /// A decoder for a Content-Transfer-Encoding name.
    pub fn new(encoding: Option<&str>) -> Self {
        let encoding = match encoding.map(str::to_ascii_lowercase).as_deref() {
            Some("base64") => Encoding::Base64,
            Some("quoted-printable") => Encoding::QuotedPrintable,
            _ => Encoding::Identity,
        };
        Self { encoding, pending: Vec::new() }
    }

    /// Decodes what can be decoded of `chunk`.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        match self.encoding {
            Encoding::Identity => chunk.to_vec(),
            Encoding::Base64 => {
                self.pending.extend(chunk.iter().copied().filter(|b| !b.is_ascii_whitespace()));
                let whole = self.pending.len() / 4 * 4;
                let rest = self.pending.split_off(whole);
                let out = transfer(&self.pending, Some("base64"), true).0;
                self.pending = rest;
                out
            }
            Encoding::QuotedPrintable => {
                self.pending.extend_from_slice(chunk);
                // Keep a possibly incomplete escape (`=`, `=X`, `=\r`) for the next chunk.
                let keep = self.pending.iter().rev().take(2).position(|&b| b == b'=').map_or(0, |p| p + 1);
                let cut = self.pending.len() - keep;
                let rest = self.pending.split_off(cut);
                let out = quoted_printable(&self.pending).0;
                self.pending = rest;
                out
            }
        }
    }

    /// Decodes whatever is left at the end.
    pub fn finish(&mut self) -> Vec<u8> {
        let rest = std::mem::take(&mut self.pending);
        match self.encoding {
            Encoding::Identity => rest,
            Encoding::Base64 => transfer(&rest, Some("base64"), false).0,
            Encoding::QuotedPrintable => quoted_printable(&rest).0,
        }
    }
}

#[cfg(test)]
mod stream_tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn streaming_equals_whole_decoding(data in prop::collection::vec(any::<u8>(), 0..2000), cuts in prop::collection::vec(1usize..300, 1..20)) {
            let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
            let wrapped: Vec<u8> = b64.as_bytes().chunks(76).flat_map(|l| [l, b"\r\n"].concat()).collect();
            let qp: Vec<u8> = data.iter().flat_map(|b| format!("={b:02X}").into_bytes()).collect();
            for (encoded, name) in [(wrapped, "base64"), (qp, "quoted-printable")] {
                let mut dec = StreamDecoder::new(Some(name));
                let mut out = Vec::new();
                let mut rest = encoded.as_slice();
                for &n in cuts.iter().cycle() {
                    if rest.is_empty() { break; }
                    let (a, b) = rest.split_at(n.min(rest.len()));
                    out.extend(dec.push(a));
                    rest = b;
                }
                out.extend(dec.finish());
                prop_assert_eq!(&out, &data, "{}", name);
            }
        }
    }
}
