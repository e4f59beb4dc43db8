//! Mailbox roles from SPECIAL-USE attributes, and what LIST attributes say about a mailbox.

/// The SPECIAL-USE roles (RFC 6154), lower case, as the API names them.
pub const ROLES: [&str; 7] = ["all", "archive", "drafts", "flagged", "junk", "sent", "trash"];

/// True if `attrs` holds `name` (attributes compare without regard to case).
pub fn has(attrs: &[String], name: &str) -> bool {
    attrs.iter().any(|a| a.eq_ignore_ascii_case(name))
}

/// The mailbox role: `inbox` for INBOX, else the first SPECIAL-USE attribute lower-cased.
pub fn role(name: &str, attributes: &[String]) -> Option<String> {
    if name.eq_ignore_ascii_case("INBOX") {
        return Some("inbox".into());
    }
    attributes.iter().find_map(|a| {
        let lower = a.strip_prefix('\\')?.to_ascii_lowercase();
        ROLES.contains(&lower.as_str()).then_some(lower)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn roles_come_from_special_use_in_any_case() {
        assert_eq!(role("INBOX", &[]).as_deref(), Some("inbox"));
        assert_eq!(role("Sent", &attrs(&["\\HasNoChildren", "\\Sent"])).as_deref(), Some("sent"));
        assert_eq!(role("Papierkorb", &attrs(&["\\trash"])).as_deref(), Some("trash"));
        assert_eq!(role("Sent", &attrs(&["\\HasNoChildren"])), None);
    }
}
