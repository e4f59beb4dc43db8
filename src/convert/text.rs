//! Text decoding: RFC 2047 encoded-words in headers, body charsets, and transfer encodings.
//! Total: undecodable bytes become U+FFFD and are reported, never a panic.

use mail_parser::decoders::charsets::map::charset_decoder;

use super::{base64_lenient, uuencode};

/// Removes the `\\` escapes of an IMAP quoted string (imap-proto keeps them).
pub fn unquote(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('\\') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ ('"' | '\\')) => out.push(n),
                Some(n) => {
                    out.push(c);
                    out.push(n);
                }
                None => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`unquote`] for bytes.
pub fn unquote_bytes(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && matches!(b.get(i + 1), Some(b'"' | b'\\')) {
            out.push(b[i + 1]);
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Decodes a header value as sent: RFC 2047 encoded-words in any charset (adjacent words of one
/// charset are joined before decoding, so a character split across two words survives), raw
/// UTF-8, or raw 8-bit (taken as windows-1252).
pub fn header(raw: &[u8]) -> String {
    let mut out = String::new();
    let mut pending: Option<(String, Vec<u8>)> = None; // charset, bytes of adjacent words
    let mut gap = String::new(); // whitespace after an encoded-word, dropped if another follows
    let mut rest = raw;
    let flush = |pending: &mut Option<(String, Vec<u8>)>, out: &mut String| {
        if let Some((cs, bytes)) = pending.take() {
            out.push_str(&charset_text(&bytes, &cs));
        }
    };
    while !rest.is_empty() {
        if let Some((charset, bytes, len)) = encoded_word(rest) {
            match &mut pending {
                Some((cs, acc)) if cs.eq_ignore_ascii_case(&charset) => acc.extend(bytes),
                _ => {
                    // White space between two encoded-words is dropped (RFC 2047 §6.2).
                    flush(&mut pending, &mut out);
                    gap.clear();
                    pending = Some((charset, bytes));
                }
            }
            gap.clear();
            rest = &rest[len..];
            continue;
        }
        let c = rest[0];
        if pending.is_some() && (c == b' ' || c == b'\t' || c == b'\r' || c == b'\n') {
            if c == b' ' || c == b'\t' {
                gap.push(c as char);
            }
            rest = &rest[1..];
            continue;
        }
        flush(&mut pending, &mut out);
        out.push_str(&std::mem::take(&mut gap));
        // Copy plain text up to the next possible encoded-word.
        let end = rest.windows(2).position(|w| w == b"=?").map_or(rest.len(), |p| p.max(1));
        out.push_str(&plain(&rest[..end]));
        rest = &rest[end..];
    }
    flush(&mut pending, &mut out);
    out.push_str(&gap);
    unfold(&out)
}

fn plain(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        // Raw 8-bit that is not UTF-8: by far most often Latin-1 / windows-1252.
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// Text in a charset; unknown charsets fall back to UTF-8, then windows-1252.
fn charset_text(bytes: &[u8], charset: &str) -> String {
    let charset = charset.split('*').next().unwrap_or(charset); // RFC 2231 language suffix
    match charset_decoder(charset.as_bytes()) {
        Some(decode) => decode(bytes),
        None => plain(bytes),
    }
}

/// Longest encoded-word looked for (RFC 2047 allows 75; some mailers exceed it a little).
const MAX_WORD: usize = 256;

/// Parses `=?charset?B|Q?text?=` at the start of `s`: (charset, decoded bytes, length).
fn encoded_word(s: &[u8]) -> Option<(String, Vec<u8>, usize)> {
    // RFC 2047 words are at most 75 bytes; looking further would make long headers quadratic.
    let s = &s[..s.len().min(MAX_WORD)];
    let end = s.iter().position(|b| b.is_ascii_whitespace()).unwrap_or(s.len());
    let s = &s[..end];
    let body = s.strip_prefix(b"=?")?;
    let q1 = body.iter().position(|&b| b == b'?')?;
    let charset = std::str::from_utf8(&body[..q1]).ok()?.to_string();
    let enc = *body.get(q1 + 1)?;
    if body.get(q1 + 2) != Some(&b'?') || charset.is_empty() {
        return None;
    }
    let text_start = q1 + 3;
    let text_len = body[text_start..].windows(2).position(|w| w == b"?=")?;
    let text = &body[text_start..text_start + text_len];
    if text.iter().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let bytes = match enc.to_ascii_uppercase() {
        b'B' => transfer(text, Some("base64"), false).0,
        b'Q' => {
            let underscores: Vec<u8> = text.iter().map(|&b| if b == b'_' { b' ' } else { b }).collect();
            quoted_printable(&underscores).0
        }
        _ => return None,
    };
    Some((charset, bytes, 2 + text_start + text_len + 2))
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
            let mut text = decode(bytes);
            // The UTF-16 decoders drop an odd last byte; half a character is still one.
            if utf16_order(charset).is_some() && bytes.len() % 2 == 1 {
                text.push('\u{FFFD}');
            }
            let problem = text.contains('\u{FFFD}');
            (text, problem)
        }
        None => (String::from_utf8_lossy(bytes).into_owned(), true),
    }
}

/// Byte order of a UTF-16 charset (the names the charset decoders map to UTF-16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Utf16 {
    Le,
    Be,
    /// From a byte-order mark, little-endian without one.
    Mark,
}

fn utf16_order(charset: &str) -> Option<Utf16> {
    let name = charset.to_ascii_lowercase().replace('-', "_");
    match name.as_str() {
        "utf_16le" | "csutf16le" => Some(Utf16::Le),
        "utf_16be" | "csutf16be" | "unicodefffe" => Some(Utf16::Be),
        "utf_16" | "csutf16" | "csunicode" | "ucs_2" | "iso_10646_ucs_2" | "unicode" | "unicodefeff" => {
            Some(Utf16::Mark)
        }
        _ => None,
    }
}

/// A Content-Transfer-Encoding, from its name (case-insensitive); unknown names are identity.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum TransferEncoding {
    /// `7bit`, `8bit`, `binary` and anything unknown: the bytes as they are.
    #[default]
    Identity,
    Base64,
    QuotedPrintable,
    /// `x-uuencode`, `x-uue` or `uuencode`.
    Uuencode,
}

impl TransferEncoding {
    /// The encoding named `name` (None: identity).
    pub fn of(name: Option<&str>) -> Self {
        match name.map(str::to_ascii_lowercase).as_deref() {
            Some("base64") => Self::Base64,
            Some("quoted-printable") => Self::QuotedPrintable,
            Some("x-uuencode" | "x-uue" | "uuencode") => Self::Uuencode,
            _ => Self::Identity,
        }
    }
}

/// Undoes a Content-Transfer-Encoding, leniently (junk is skipped and reported, never a
/// failure). `truncated` input (a partial fetch) may end mid-quantum or mid-line; the
/// incomplete tail is dropped rather than reported as a problem.
pub fn transfer(bytes: &[u8], encoding: Option<&str>, truncated: bool) -> (Vec<u8>, bool) {
    match TransferEncoding::of(encoding) {
        TransferEncoding::Base64 => base64_lenient::decode(bytes, truncated),
        TransferEncoding::QuotedPrintable => quoted_printable(bytes),
        TransferEncoding::Uuencode => uuencode::decode(bytes, truncated),
        TransferEncoding::Identity => (bytes.to_vec(), false),
    }
}

/// Decodes quoted-printable; the flag reports malformed escapes.
pub(crate) fn quoted_printable(bytes: &[u8]) -> (Vec<u8>, bool) {
    let (out, problem, _) = quoted_printable_part(bytes, true);
    (out, problem)
}

/// The most white space a soft line break may carry (a line's length, RFC 5322 §2.1.1).
const QP_MAX_PAD: usize = 998;

/// Decodes quoted-printable up to where more input could change the result; returns the
/// bytes, the problem flag, and how many input bytes were used. At the end of the input
/// (`at_end`) an escape it cuts is dropped (a partial fetch), and nothing waits for more.
pub(crate) fn quoted_printable_part(bytes: &[u8], at_end: bool) -> (Vec<u8>, bool, usize) {
    let mut out = Vec::with_capacity(bytes.len());
    let mut problem = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'=' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        // A soft line break may carry trailing white space before the line end (RFC 2045 §6.7),
        // within a line's length: past that the `=` is no break (and a stream waits for no
        // more than that).
        let mut j = i + 1;
        while matches!(bytes.get(j), Some(b' ' | b'\t')) && j - i <= QP_MAX_PAD {
            j += 1;
        }
        if j > i + 1 && j - i <= QP_MAX_PAD {
            match (bytes.get(j), bytes.get(j + 1)) {
                (Some(b'\r'), Some(b'\n')) => {
                    i = j + 2;
                    continue;
                }
                (Some(b'\n'), _) => {
                    i = j + 1;
                    continue;
                }
                (None, _) => break,
                (Some(b'\r'), None) if !at_end => break,
                _ => {}
            }
        }
        match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(b'\r'), Some(b'\n')) => i += 3,
            (Some(b'\n'), _) => i += 2,
            (Some(&h), Some(&l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                let hex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                out.push(hex(h) << 4 | hex(l));
                i += 3;
            }
            (None, _) | (Some(_), None) => break, // cut by a partial fetch, or by a chunk
            _ => {
                problem = true;
                out.push(b'=');
                i += 1;
            }
        }
    }
    (out, problem, i)
}

/// Encoded bytes to fetch so that at least `max` decoded bytes come out (of a part that long).
pub fn encoded_budget(encoding: Option<&str>, max: u32) -> u32 {
    match TransferEncoding::of(encoding) {
        // 4/3 for the encoding, plus CRLF after every 76 characters.
        TransferEncoding::Base64 => max.saturating_mul(4) / 3 + max / 28 + 8,
        TransferEncoding::QuotedPrintable => max.saturating_mul(3),
        // 63 bytes (length, 60 digits, CRLF) per 45, plus the `begin` line.
        TransferEncoding::Uuencode => max.saturating_mul(7) / 5 + 512,
        TransferEncoding::Identity => max,
    }
}

/// After a partial fetch, a UTF-8 or UTF-16 body may end inside a character: drop that
/// incomplete tail so that it is not reported as an encoding problem. (Only for a cut body: a
/// whole body that ends in half a character decodes to U+FFFD there.)
pub fn drop_partial_tail(bytes: &mut Vec<u8>, charset: Option<&str>) {
    if let Some(order) = charset.and_then(utf16_order) {
        return drop_partial_utf16_tail(bytes, order);
    }
    if !charset.is_none_or(|c| c.eq_ignore_ascii_case("utf-8")) {
        return;
    }
    // Walk back over continuation bytes to the lead byte of the last character.
    let mut i = bytes.len();
    while i > 0 && bytes.len() - i < 3 && bytes[i - 1] & 0xC0 == 0x80 {
        i -= 1;
    }
    let Some(&lead) = i.checked_sub(1).and_then(|j| bytes.get(j)) else { return };
    let need = match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => return,
    };
    if bytes.len() - (i - 1) < need {
        bytes.truncate(i - 1);
    }
}

/// Drops an odd last byte, then a last unit that is the high half of a surrogate pair.
fn drop_partial_utf16_tail(bytes: &mut Vec<u8>, order: Utf16) {
    bytes.truncate(bytes.len() / 2 * 2);
    let big_endian = match order {
        Utf16::Le => false,
        Utf16::Be => true,
        Utf16::Mark => bytes.starts_with(&[0xFE, 0xFF]),
    };
    if let [.., a, b] = bytes[..] {
        let unit = if big_endian { u16::from_be_bytes([a, b]) } else { u16::from_le_bytes([a, b]) };
        if (0xD800..0xDC00).contains(&unit) {
            bytes.truncate(bytes.len() - 2);
        }
    }
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
#[path = "text_tests.rs"]
mod tests;
