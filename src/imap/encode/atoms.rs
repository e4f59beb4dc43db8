//! PURE: how caller data becomes an argument on the wire: a validated atom, a quoted string
//! or a non-synchronizing literal, and why a value cannot be sent at all ([`EncodeError`]).

use std::fmt::Write as _;

use crate::patterns::{byte_class, literal};

/// Why caller data cannot be put on the wire.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The value is empty where IMAP needs something.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// The value holds a control character (CR, LF, NUL, …).
    #[error("{0} must not contain control characters")]
    Control(&'static str),
    /// The value is longer than the gateway allows.
    #[error("{0} is too long")]
    TooLong(&'static str),
    /// A mailbox name is longer than the configured limit (UTF-8 bytes).
    #[error("the mailbox name is longer than {limit} bytes")]
    NameTooLong {
        /// The limit, in UTF-8 bytes.
        limit: usize,
    },
    /// A component of a mailbox name (between hierarchy delimiters) is longer than the
    /// configured limit, measured in bytes of its modified UTF-7 wire form.
    #[error("a mailbox name component is longer than {limit} bytes (as modified UTF-7 on the wire)")]
    ComponentTooLong {
        /// The limit, in bytes of modified UTF-7.
        limit: usize,
    },
    /// The value is not a valid IMAP atom.
    #[error("{0} is not a valid atom")]
    NotAtom(&'static str),
    /// 8-bit or control data needs a literal, and the server has no LITERAL+.
    #[error("{0} needs a literal, which this server cannot take inline")]
    NeedsLiteral(&'static str),
}

/// Quotes a string whose bytes are all 7-bit TEXT-CHAR (callers guarantee it).
pub(super) fn quote_7bit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// True for ATOM-CHAR (RFC 3501 §9).
pub(super) fn is_atom_char(b: u8) -> bool {
    (0x21..0x7f).contains(&b) && !b"(){%*\"\\]".contains(&b)
}

/// An ECMA regular expression matching what [`atom`] accepts (length aside): one or more
/// ATOM-CHARs, the class built from [`is_atom_char`].
pub fn atom_pattern() -> String {
    format!("^{}+$", byte_class(is_atom_char))
}

/// An ECMA regular expression for atoms separated by `sep` (which the atoms then cannot hold),
/// each with optional whitespace around it, empty items allowed (they are skipped).
pub fn atom_list_pattern(sep: u8) -> String {
    let class = byte_class(|b| is_atom_char(b) && b != sep);
    let item = format!("\\s*({class}+)?\\s*");
    format!("^{item}({}{item})*$", literal(sep as char))
}

/// Validates an atom (keywords, capability names).
pub fn atom(s: &str, what: &'static str) -> Result<String, EncodeError> {
    if s.is_empty() {
        return Err(EncodeError::Empty(what));
    }
    if s.len() > 256 {
        return Err(EncodeError::TooLong(what));
    }
    if !s.bytes().all(is_atom_char) {
        return Err(EncodeError::NotAtom(what));
    }
    Ok(s.to_string())
}

/// Encodes any string argument as an atom, a quoted string or, for 8-bit or control data,
/// a non-synchronizing literal (`{n+}`, only when the server offers LITERAL+). The literal's
/// count is computed on the exact bytes that follow it.
pub fn astring(s: &str, literal_plus: bool, what: &'static str) -> Result<String, EncodeError> {
    if !s.is_empty() && s.bytes().all(is_atom_char) {
        return Ok(s.to_string());
    }
    if s.bytes().all(|b| (0x01..0x80).contains(&b) && b != b'\r' && b != b'\n') {
        return Ok(quote_7bit(s));
    }
    if s.as_bytes().contains(&0) {
        return Err(EncodeError::Control(what));
    }
    if !literal_plus {
        return Err(EncodeError::NeedsLiteral(what));
    }
    let mut out = String::with_capacity(s.len() + 12);
    let _ = write!(out, "{{{}+}}\r\n{}", s.len(), s);
    Ok(out)
}
