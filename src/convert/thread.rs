//! Thread and email ids, computed from a message's own header so that they are the same in
//! every mailbox, on every page, and after a restart. A thread is named by its root: the first
//! id of `References`, else of `In-Reply-To`, else the message's own `Message-ID` (a reply
//! written by the rules of RFC 5322 §3.6.4 carries its thread's root first). The id is that
//! root, base64url-encoded behind `T`, so the thread route can search for it. A message with
//! none of the three is a thread of its own, `E` and its email id.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};

/// Longest message id taken (RFC 5322's line limit).
const ID_MAX: usize = 998;

/// Bytes of the `References` field fetched for its first id.
pub const REFERENCES_EXCERPT: u32 = 2048;

/// The inside of the first `<…>` of a header value, if it is a plausible message id (visible
/// ASCII, no brackets, at most 998 bytes); a bare `local@domain` token when there are no
/// brackets at all.
pub fn first_id(value: &str) -> Option<&str> {
    let candidate = match value.find('<') {
        Some(open) => {
            let rest = &value[open + 1..];
            &rest[..rest.find('>')?]
        }
        None => value.split_whitespace().next().filter(|t| t.contains('@'))?,
    };
    let plausible = !candidate.is_empty()
        && candidate.len() <= ID_MAX
        && candidate.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>');
    plausible.then_some(candidate)
}

/// The first id of the `References` field in a `HEADER.FIELDS (REFERENCES)` excerpt.
pub fn first_reference(excerpt: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(excerpt);
    let (name, value) = text.split_once(':')?;
    if !name.trim().eq_ignore_ascii_case("references") {
        return None;
    }
    first_id(value).map(str::to_string)
}

/// The root of a message's thread from an excerpt of `HEADER.FIELDS (MESSAGE-ID IN-REPLY-TO
/// REFERENCES)`, by the same rule as [`root`].
pub fn root_from_fields(raw: &[u8]) -> Option<String> {
    let fields = super::bounded::fields(raw);
    let value =
        |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| String::from_utf8_lossy(v).into_owned());
    root(value("references").as_deref(), value("in-reply-to").as_deref(), value("message-id").as_deref())
}

/// The root of a message's thread, from its first reference, `In-Reply-To` and `Message-ID`.
pub fn root(first_reference: Option<&str>, in_reply_to: Option<&str>, message_id: Option<&str>) -> Option<String> {
    first_reference
        .and_then(first_id)
        .or_else(|| in_reply_to.and_then(first_id))
        .or_else(|| message_id.and_then(first_id))
        .map(str::to_string)
}

/// The thread id of a message: its root's, or its own when it has no root.
pub fn thread_id(root: Option<&str>, email_id: &str) -> String {
    match root {
        Some(root) => root_thread_id(root),
        None => format!("E{email_id}"),
    }
}

/// The thread id of the thread with this root.
pub fn root_thread_id(root: &str) -> String {
    format!("T{}", B64.encode(root))
}

/// What a thread id names.
#[derive(Debug, PartialEq, Eq)]
pub enum ThreadName {
    /// The thread whose root is this message id.
    Root(String),
    /// A message without ids, by its email id.
    Lone(String),
}

/// Reads a thread id; `None` when it is not one of ours.
pub fn parse_thread_id(id: &str) -> Option<ThreadName> {
    if let Some(encoded) = id.strip_prefix('T') {
        let bytes = B64.decode(encoded).ok()?;
        let root = String::from_utf8(bytes).ok()?;
        return (first_id(&format!("<{root}>")) == Some(root.as_str())).then_some(ThreadName::Root(root));
    }
    let email = id.strip_prefix('E')?;
    is_object_id(email).then(|| ThreadName::Lone(email.to_string()))
}

/// An RFC 8474 object id: 1 to 255 letters, digits, `-` and `_`.
pub fn is_object_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An email id of the gateway's own where the server has no OBJECTID: `G` and 24 hex digits
/// of a SHA-256 over the Message-ID, RFC822.SIZE, INTERNALDATE, Date and Subject. A copy or a
/// move keeps it (COPY keeps INTERNALDATE); two deliveries of one message share it.
pub fn derived_email_id(
    message_id: Option<&str>,
    size: u32,
    internal_date: Option<&str>,
    sent_at: Option<&str>,
    subject: Option<&str>,
) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for field in [
        message_id.unwrap_or(""),
        &size.to_string(),
        internal_date.unwrap_or(""),
        sent_at.unwrap_or(""),
        subject.unwrap_or(""),
    ] {
        ctx.update(field.as_bytes());
        ctx.update(&[0]);
    }
    let digest = ctx.finish();
    let hex: String = digest.as_ref()[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("G{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_the_first_reference_then_in_reply_to_then_the_message_id() {
        let a = root(None, None, Some("<a@x>"));
        let b = root(None, Some("<a@x>"), Some("<b@x>"));
        let c = root(Some("<a@x> <b@x>"), Some("<b@x>"), Some("<c@x>"));
        let d = root(None, None, Some("<d@x>"));
        assert_eq!(a.as_deref(), Some("a@x"));
        assert_eq!((b.clone(), c.clone()), (a.clone(), a.clone()));
        assert_ne!(d, a);
        assert_eq!(root(None, Some("junk without id"), Some("<e@x>")).as_deref(), Some("e@x"));
        assert_eq!(root(None, None, None), None);
    }

    #[test]
    fn the_first_reference_is_read_from_a_folded_excerpt() {
        let raw = b"References: \r\n <CAF+1=a/b@mail.example>\r\n <two@x>\r\n\r\n";
        assert_eq!(first_reference(raw).as_deref(), Some("CAF+1=a/b@mail.example"));
        assert_eq!(first_reference(b"Subject: <x@y>\r\n"), None);
        assert_eq!(first_reference(b""), None);
    }

    #[test]
    fn the_root_from_header_fields_follows_the_same_rule() {
        let raw = b"Message-ID: <c@x>\r\nIn-Reply-To: <b@x>\r\nReferences: <a@x>\r\n <b@x>\r\n\r\n";
        assert_eq!(root_from_fields(raw).as_deref(), Some("a@x"));
        assert_eq!(root_from_fields(b"Message-ID: <c@x>\r\nIn-Reply-To: <b@x>\r\n\r\n").as_deref(), Some("b@x"));
        assert_eq!(root_from_fields(b"message-id:\r\n <c@x>\r\n\r\n").as_deref(), Some("c@x"));
        assert_eq!(root_from_fields(b"\r\n"), None);
    }

    #[test]
    fn implausible_ids_are_not_roots() {
        assert_eq!(first_id("<>"), None);
        assert_eq!(first_id("<a b@x>"), None);
        assert_eq!(first_id("<unterminated@x"), None);
        assert_eq!(first_id(&format!("<{}@x>", "a".repeat(1000))), None);
        assert_eq!(first_id("bare@x.example (comment)"), Some("bare@x.example"));
        assert_eq!(first_id("no id here"), None);
    }

    #[test]
    fn thread_ids_read_back_to_what_they_name() {
        let id = thread_id(Some("CAF+1=a/b@mail.example"), "G00");
        assert!(id.starts_with('T') && id[1..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(parse_thread_id(&id), Some(ThreadName::Root("CAF+1=a/b@mail.example".into())));
        assert_eq!(parse_thread_id(&thread_id(None, "Mf001f3a6")), Some(ThreadName::Lone("Mf001f3a6".into())));
        for bad in [
            "",
            "T",
            "T!!",
            "X123",
            "E",
            "E../x",
            &format!("T{}", B64.encode("a b@x")),
            &format!("T{}", B64.encode([0xff, 0xfe])),
        ] {
            assert_eq!(parse_thread_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn derived_email_ids_are_stable_and_tell_messages_apart() {
        let one = derived_email_id(Some("<a@x>"), 100, Some("2026-01-01T00:00:00Z"), None, Some("Hi"));
        assert_eq!(one, derived_email_id(Some("<a@x>"), 100, Some("2026-01-01T00:00:00Z"), None, Some("Hi")));
        assert_eq!(one.len(), 25);
        assert!(one.starts_with('G'));
        assert_ne!(one, derived_email_id(Some("<a@x>"), 101, Some("2026-01-01T00:00:00Z"), None, Some("Hi")));
        assert_ne!(one, derived_email_id(None, 100, Some("2026-01-01T00:00:00Z"), None, Some("Hi")));
    }
}
