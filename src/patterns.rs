//! Regular expressions for the OpenAPI document, built from the byte predicates the checks
//! use, so that a pattern says what its check accepts. They are valid in ECMA's unicode mode (as
//! JSON Schema validators use it), in Python's and in Rust's syntax.

use std::fmt::Write as _;

/// `c` as a regular expression matching itself outside a class, escaped where ECMA's unicode
/// mode needs and allows it (syntax characters and `/`; `\-` is an error there), controls as
/// `\uXXXX`.
pub fn literal(c: char) -> String {
    if "^$\\.*+?()[]{}|/".contains(c) {
        format!("\\{c}")
    } else if c.is_ascii_graphic() {
        c.to_string()
    } else {
        format!("\\u{:04x}", c as u32)
    }
}

/// A character class of the ASCII bytes `accepts` takes; runs of letters or digits as ranges.
pub fn byte_class(accepts: impl Fn(u8) -> bool) -> String {
    let bytes: Vec<u8> = (0u8..0x80).filter(|b| accepts(*b)).collect();
    let mut class = String::from("[");
    let mut i = 0;
    while i < bytes.len() {
        // A run of letters or digits is written as a range.
        let mut j = i;
        while j + 1 < bytes.len() && bytes[j + 1] == bytes[j] + 1 && bytes[j + 1].is_ascii_alphanumeric() {
            j += 1;
        }
        if bytes[i].is_ascii_alphanumeric() && j >= i + 2 {
            let _ = write!(class, "{}-{}", bytes[i] as char, bytes[j] as char);
            i = j + 1;
        } else {
            // In a class `-` is escaped too (it would make a range).
            let c = bytes[i] as char;
            class.push_str(&if c == '-' { "\\-".to_string() } else { literal(c) });
            i += 1;
        }
    }
    class.push(']');
    class
}
