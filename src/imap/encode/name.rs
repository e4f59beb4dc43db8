//! Mailbox names and LIST patterns from callers: validated, limited in length (the configured
//! limits), and never a pattern when they are a name.

use super::atoms::{EncodeError, quote_7bit};
use crate::{
    config::{MAILBOX_COMPONENT_MAX_BYTES, MAILBOX_NAME_MAX_BYTES},
    imap::mutf7,
};
/// The characters a component ends at: the hierarchy delimiters servers use. Splitting at each
/// of them measures the shortest components a server could store, so no name is refused that
/// fits; a longer component the server still refuses stays its own 502.
const COMPONENT_DELIMITERS: [char; 2] = ['/', '.'];

static NAME_LIMITS: [std::sync::atomic::AtomicUsize; 2] = [
    std::sync::atomic::AtomicUsize::new(MAILBOX_NAME_MAX_BYTES),
    std::sync::atomic::AtomicUsize::new(MAILBOX_COMPONENT_MAX_BYTES),
];

/// Sets the process's limits on caller-supplied mailbox names (total UTF-8 bytes, bytes of one
/// component on the wire), from the settings at start-up; 0 keeps a limit's default.
pub fn set_name_limits(total: usize, component: usize) {
    use std::sync::atomic::Ordering::Relaxed;
    NAME_LIMITS[0].store(if total == 0 { MAILBOX_NAME_MAX_BYTES } else { total }, Relaxed);
    NAME_LIMITS[1].store(if component == 0 { MAILBOX_COMPONENT_MAX_BYTES } else { component }, Relaxed);
}

fn name_limits() -> (usize, usize) {
    use std::sync::atomic::Ordering::Relaxed;
    (NAME_LIMITS[0].load(Relaxed), NAME_LIMITS[1].load(Relaxed))
}

/// A validated mailbox name: UTF-8 as the API sees it, and its wire form.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MailboxName {
    name: String,
    wire: String,
}

impl MailboxName {
    /// Validates a caller-supplied mailbox name.
    pub fn parse(name: &str) -> Result<Self, EncodeError> {
        validate_name(name, "mailbox name")?;
        check_name_limits(name)?;
        Ok(Self { name: name.to_string(), wire: mutf7::encode(name) })
    }
    /// A name the server listed (or one checked with [`Self::parse`] before), decoded: checked
    /// like a caller's name but without the configured length limits, which are for callers.
    pub fn listed(name: &str) -> Result<Self, EncodeError> {
        validate_name(name, "mailbox name")?;
        if name.len() > MAILBOX_NAME_MAX_BYTES.max(name_limits().0) {
            return Err(EncodeError::TooLong("mailbox name"));
        }
        Ok(Self { name: name.to_string(), wire: mutf7::encode(name) })
    }
    /// Takes a name exactly as the server sent it (modified UTF-7), so that it goes back
    /// byte for byte even if it does not decode cleanly.
    pub fn from_wire(wire: &str) -> Result<Self, EncodeError> {
        validate_name(wire, "mailbox name")?;
        if wire.len() > MAILBOX_NAME_MAX_BYTES {
            return Err(EncodeError::TooLong("mailbox name"));
        }
        if !wire.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(EncodeError::NeedsLiteral("mailbox name"));
        }
        Ok(Self { name: mutf7::decode(wire), wire: wire.to_string() })
    }
    /// The UTF-8 name.
    pub fn as_str(&self) -> &str {
        &self.name
    }
    /// True for INBOX in any case (RFC 3501 §5.1).
    pub fn is_inbox(&self) -> bool {
        self.name.eq_ignore_ascii_case("INBOX")
    }
    /// The quoted modified UTF-7 form sent on the wire.
    pub(super) fn wire(&self) -> String {
        quote_7bit(&self.wire)
    }
}

/// A validated LIST pattern: a mailbox name that may hold the wildcards `*` and `%`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListPattern(String);

impl ListPattern {
    /// Validates a caller-supplied pattern.
    pub fn parse(pattern: &str) -> Result<Self, EncodeError> {
        validate_name(pattern, "pattern")?;
        check_name_limits(pattern)?;
        Ok(Self(pattern.to_string()))
    }
    /// Every mailbox.
    pub fn all() -> Self {
        Self("*".into())
    }
    /// A pattern that matches the mailbox `name` itself. A caller's name is a name, never a
    /// pattern: when it holds a wildcard (`*` or `%`), the pattern is its text before the first
    /// wildcard followed by `*`, a superset from which the caller keeps only the exact name.
    pub fn matching(name: &MailboxName) -> Self {
        Self::literal_then_any(name.as_str(), None)
    }
    /// A pattern that matches every mailbox below `name` (children at any depth), with the same
    /// rule: a superset when the name holds a wildcard, which the caller narrows by an exact
    /// prefix match of `name` and the delimiter.
    pub fn below(name: &MailboxName, delimiter: &str) -> Self {
        Self::literal_then_any(name.as_str(), Some(delimiter))
    }
    fn literal_then_any(name: &str, delimiter: Option<&str>) -> Self {
        match name.find(['*', '%']) {
            Some(i) => Self(format!("{}*", &name[..i])),
            None => match delimiter {
                Some(d) if !d.contains(['*', '%']) => Self(format!("{name}{d}*")),
                Some(_) => Self(format!("{name}*")),
                None => Self(name.to_string()),
            },
        }
    }
    pub(super) fn wire(&self) -> String {
        quote_7bit(&mutf7::encode(&self.0))
    }
}

fn validate_name(name: &str, what: &'static str) -> Result<(), EncodeError> {
    if name.is_empty() {
        return Err(EncodeError::Empty(what));
    }
    if name.chars().any(|c| c.is_control()) {
        return Err(EncodeError::Control(what));
    }
    Ok(())
}

/// The configured limits on a caller's name: its total UTF-8 bytes, and each component's bytes
/// in modified UTF-7 (what the server stores).
fn check_name_limits(name: &str) -> Result<(), EncodeError> {
    let (total, component) = name_limits();
    if name.len() > total {
        return Err(EncodeError::NameTooLong { limit: total });
    }
    // ASCII other than `&` is one byte in modified UTF-7, and no character costs more than 2.5
    // times its UTF-8 bytes there (`&` is `&-`, `ü` is `&APw-`), so short names need no encoding.
    if name.len() * 5 / 2 > component && name.split(COMPONENT_DELIMITERS).any(|c| mutf7::encode(c).len() > component) {
        return Err(EncodeError::ComponentTooLong { limit: component });
    }
    Ok(())
}
