//! The copy of a message that goes over SMTP: the same bytes without any `Bcc` field (its
//! folded lines included), so blind copies never reach the other recipients.

/// End of the header block (the index after its blank line), or the whole length.
fn header_end(raw: &[u8]) -> usize {
    let mut i = 0;
    while i < raw.len() {
        let line_end = raw[i..].iter().position(|&b| b == b'\n').map_or(raw.len(), |p| i + p + 1);
        let line = &raw[i..line_end];
        if line == b"\r\n" || line == b"\n" {
            return line_end;
        }
        i = line_end;
    }
    raw.len()
}

/// `raw` without the header fields named `name` (case-insensitive) and their continuation
/// lines; the body is untouched.
pub fn without_field(raw: &[u8], name: &str) -> Vec<u8> {
    let end = header_end(raw);
    let mut out = Vec::with_capacity(raw.len());
    let mut dropping = false;
    let mut i = 0;
    while i < end {
        let line_end = raw[i..end].iter().position(|&b| b == b'\n').map_or(end, |p| i + p + 1);
        let line = &raw[i..line_end];
        let continuation = matches!(line.first(), Some(b' ' | b'\t'));
        if !continuation {
            dropping = line.len() > name.len()
                && line[..name.len()].eq_ignore_ascii_case(name.as_bytes())
                && line[name.len()..].iter().find(|b| !matches!(b, b' ' | b'\t')) == Some(&b':');
        }
        if !dropping {
            out.extend_from_slice(line);
        }
        i = line_end;
    }
    out.extend_from_slice(&raw[end..]);
    out
}

/// `raw` with every line ending CRLF: a bare LF or CR becomes CRLF (RFC 5322 §2.3).
pub fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 64);
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'\r' if raw.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// The addresses in the header fields named `name` of a parsed header (for the envelope of a
/// raw message); none when the header could not be parsed.
pub fn addresses(m: Option<&mail_parser::Message<'_>>, name: &str) -> Vec<String> {
    let Some(m) = m else { return Vec::new() };
    m.header_values(name)
        .filter_map(|v| v.as_address())
        .flat_map(|a| a.iter().filter_map(|x| x.address().map(str::to_string)).collect::<Vec<_>>())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcc_and_its_folded_lines_go_and_nothing_else_changes() {
        let raw = b"From: a@x\r\nBcc: b@x,\r\n c@x\r\nbcc : d@x\r\nBcc-Like: keep\r\nSubject: s\r\n\r\nBcc: in the body stays\r\n";
        let out = without_field(raw, "Bcc");
        assert_eq!(out, b"From: a@x\r\nBcc-Like: keep\r\nSubject: s\r\n\r\nBcc: in the body stays\r\n".to_vec());
        assert_eq!(without_field(b"Subject: s\r\n\r\nbody", "Bcc"), b"Subject: s\r\n\r\nbody".to_vec());
        assert_eq!(without_field(b"Bcc: x@y", "Bcc"), b"".to_vec());
    }

    #[test]
    fn line_ends_become_crlf() {
        assert_eq!(crlf(b"a\nb\rc\r\nd\n.\n"), b"a\r\nb\r\nc\r\nd\r\n.\r\n".to_vec());
        assert_eq!(crlf(b"\r\r\n"), b"\r\n\r\n".to_vec());
    }

    #[test]
    fn addresses_come_from_every_field_of_a_name() {
        let raw = b"To: A <a@x>, b@x\r\nTo: c@x\r\nCc: \"D\" <d@x>\r\n\r\n";
        let m = mail_parser::MessageParser::default().parse_headers(raw);
        assert_eq!(addresses(m.as_ref(), "To"), ["a@x", "b@x", "c@x"]);
        assert_eq!(addresses(m.as_ref(), "Cc"), ["d@x"]);
        assert!(addresses(m.as_ref(), "Bcc").is_empty());
        assert!(addresses(None, "To").is_empty());
    }
}
