//! Checks on every caller value that becomes part of a header: no CR, LF or NUL anywhere
//! (header injection), addresses that are plain `local@domain`, extra fields only from an
//! allow-list, and bounded sizes.

use super::ComposeError;
use crate::views::compose::Recipient;

/// Longest header value (subject, name, file name, extra field) accepted, in characters (so
/// at most 4,000 bytes of UTF-8), as JSON Schema's `maxLength` counts them.
pub const MAX_HEADER_VALUE: usize = 1000;
/// Most recipients (to, cc and bcc together).
pub const MAX_RECIPIENTS: usize = 100;
/// Most attachments.
pub const MAX_ATTACHMENTS: usize = 100;
/// Most extra header fields.
pub const MAX_EXTRA_HEADERS: usize = 32;
/// Longest address, in bytes (RFC 5321's path limit).
pub const MAX_ADDRESS: usize = 254;

/// Extra header fields a caller may set, besides any `X-*`.
pub const EXTRA_HEADERS: [&str; 8] = [
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Id",
    "Auto-Submitted",
    "Precedence",
    "Importance",
    "Priority",
    "Organization",
];

/// A header value: no CR, LF or NUL, at most [`MAX_HEADER_VALUE`] characters.
pub fn header_value(field: &str, value: &str) -> Result<(), ComposeError> {
    if value.chars().any(|c| matches!(c, '\r' | '\n' | '\0')) {
        return Err(ComposeError::invalid(field, "CR, LF and NUL are not allowed in a header value"));
    }
    if value.chars().count() > MAX_HEADER_VALUE {
        return Err(ComposeError::invalid(field, format!("at most {MAX_HEADER_VALUE} characters")));
    }
    Ok(())
}

/// A byte of an address's local part: ASCII graphic, but none that would end or bracket the
/// address in a header or an SMTP command, and not `@`.
fn local_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !b"<>(),;:\"\\[]@".contains(&b)
}

/// A byte of a domain label.
fn label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// An ECMA regular expression matching exactly what [`address`] accepts (length aside: at
/// most [`MAX_ADDRESS`] bytes).
pub fn address_pattern() -> String {
    let (local, label) = (crate::patterns::byte_class(local_byte), crate::patterns::byte_class(label_byte));
    format!("^{local}+@{label}+(\\.{label}+)*$")
}

/// An address: ASCII `local@domain` without spaces, controls or the characters that would
/// end or bracket it in a header or an SMTP command.
pub fn address(field: &str, email: &str) -> Result<(), ComposeError> {
    let bad = |reason: &str| ComposeError::invalid(field, reason.to_string());
    if email.len() > MAX_ADDRESS {
        return Err(bad("an address has at most 254 bytes"));
    }
    if !email.bytes().all(|b| b.is_ascii_graphic())
        || email.contains(['<', '>', '(', ')', ',', ';', ':', '"', '\\', '[', ']'])
    {
        return Err(bad("an address is ASCII local@domain, without spaces, quotes, brackets, commas or controls"));
    }
    match email.rsplit_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !local.contains('@')
                && !domain.is_empty()
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
                && domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-') =>
        {
            Ok(())
        }
        _ => Err(bad("not an address of the form local@domain")),
    }
}

/// A recipient: its address and display name.
pub fn recipient(field: &str, r: &Recipient) -> Result<(), ComposeError> {
    address(&format!("{field}.email"), &r.email)?;
    if let Some(name) = &r.name {
        header_value(&format!("{field}.name"), name)?;
    }
    Ok(())
}

/// Each recipient of a list, named `field[i]`.
pub fn recipients(field: &str, list: &[Recipient]) -> Result<(), ComposeError> {
    list.iter().enumerate().try_for_each(|(i, r)| recipient(&format!("{field}[{i}]"), r))
}

/// An extra header field: a name from the allow-list (or `X-*`) and a safe value.
pub fn extra_header(name: &str, value: &str) -> Result<(), ComposeError> {
    let field = format!("headers.{name}");
    let token = !name.is_empty() && name.len() <= 76 && name.bytes().all(header_name_byte);
    let allowed = name.len() > 2 && name.as_bytes()[..2].eq_ignore_ascii_case(b"x-")
        || EXTRA_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name));
    if !token || !allowed {
        return Err(ComposeError::invalid(
            field,
            format!("only X-* and {} may be set; structural fields come from the document", EXTRA_HEADERS.join(", ")),
        ));
    }
    if !value.is_ascii() {
        return Err(ComposeError::invalid(field, "an extra header value is ASCII"));
    }
    header_value(&field, value)
}

/// A byte of a media type's type or subtype.
fn media_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b)
}

/// A byte of a Content-ID.
fn cid_byte(b: u8) -> bool {
    b.is_ascii_graphic() && b != b'<' && b != b'>'
}

/// A byte of an extra header's name.
fn header_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// ECMA regular expressions of what the checks below accept, for the OpenAPI document: a
/// media type, a Content-ID, an extra header's name (any case), a header value.
pub fn patterns() -> [(&'static str, String); 4] {
    use crate::patterns::byte_class;
    let media = byte_class(media_byte);
    let name = byte_class(header_name_byte);
    let case_free = |h: &str| -> String {
        h.chars()
            .map(|c| {
                if c.is_ascii_alphabetic() {
                    format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
                } else {
                    crate::patterns::literal(c)
                }
            })
            .collect()
    };
    let listed: Vec<String> = EXTRA_HEADERS.iter().map(|h| case_free(h)).collect();
    [
        ("media", format!("^{media}{{1,127}}/{media}{{1,127}}$")),
        ("cid", format!("^{}{{1,250}}$", byte_class(cid_byte))),
        ("header-name", format!("^([Xx]-{name}{{1,74}}|{})$", listed.join("|"))),
        ("header-value", "^[^\\r\\n\\u0000]*$".to_string()),
    ]
}

/// A media type `type/subtype` of token characters.
pub fn media_type(field: &str, value: &str) -> Result<(), ComposeError> {
    let token = |s: &str| !s.is_empty() && s.len() <= 127 && s.bytes().all(media_byte);
    match value.split_once('/') {
        Some((t, s)) if token(t) && token(s) => Ok(()),
        _ => Err(ComposeError::invalid(field, "a media type is type/subtype")),
    }
}

/// A Content-ID without angle brackets: visible ASCII, no brackets or spaces.
pub fn content_id(field: &str, cid: &str) -> Result<(), ComposeError> {
    if cid.is_empty() || cid.len() > 250 || !cid.bytes().all(cid_byte) {
        return Err(ComposeError::invalid(field, "a Content-ID is visible ASCII without <>"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_injection_and_bad_addresses_are_refused() {
        for bad in ["a\r\nBcc: x@y", "a\nb", "a\rb", "a\0b"] {
            assert!(header_value("subject", bad).is_err(), "{bad:?}");
        }
        assert!(header_value("subject", "Grüße 🎉").is_ok());
        for bad in [
            "",
            "a",
            "@b",
            "a@",
            "a b@c",
            "a@b\r\nRCPT TO:<x@y>",
            "a@b>",
            "<a@b",
            "a@b,c@d",
            "ü@b",
            "a@.b",
            "a@b..c",
            "a@b_c",
        ] {
            assert!(address("to", bad).is_err(), "{bad:?}");
        }
        for good in ["a@b", "first.last+tag@sub.example.org", "o'brien@example.org"] {
            assert!(address("to", good).is_ok(), "{good:?}");
        }
    }

    /// The document's pattern says what `address` says, on the examples above and on
    /// random strings of the bytes that matter.
    #[test]
    fn the_address_pattern_accepts_what_address_accepts() {
        let re = regex::Regex::new(&address_pattern()).expect("a valid regex");
        let mut samples: Vec<String> =
            ["", "a", "@b", "a@", "a b@c", "a@b>", "a@.b", "a@b..c", "a@b_c", "a@b.", "a@@b"]
                .into_iter()
                .chain(["a@b", "first.last+tag@sub.example.org", "o'brien@example.org", "x@-", "ü@b", "a@b\r\nc"])
                .map(String::from)
                .collect();
        let alphabet: Vec<char> = "ab.-@_<\"\\ü\u{1}'+=".chars().collect();
        let mut seed = 7u64;
        for _ in 0..20_000 {
            let mut s = String::new();
            for _ in 0..(seed % 8) {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                s.push(alphabet[(seed >> 33) as usize % alphabet.len()]);
            }
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            samples.push(s);
        }
        for s in samples {
            assert_eq!(address("to", &s).is_ok(), re.is_match(&s), "{s:?}");
        }
    }

    #[test]
    fn only_allowed_extra_headers_pass() {
        assert!(extra_header("X-Campaign", "7").is_ok());
        assert!(extra_header("list-unsubscribe", "<mailto:u@example.org>").is_ok());
        for bad in ["From", "Bcc", "Content-Type", "Message-ID", "X", "X-a b", "X-\u{e9}", "", "\u{e9}x", "\u{1F600}"] {
            assert!(extra_header(bad, "v").is_err(), "{bad:?}");
        }
        assert!(extra_header("X-Ok", "v\r\nBcc: x@y").is_err());
        assert!(media_type("t", "application/pdf").is_ok());
        assert!(media_type("t", "text/plain; charset=utf-8").is_err());
        assert!(content_id("c", "logo@x").is_ok());
        assert!(content_id("c", "<logo>").is_err());
    }
}
