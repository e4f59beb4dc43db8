//! The account's namespaces (RFC 2342).

use serde::Serialize;
use utoipa::ToSchema;

/// One namespace.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Namespace {
    /// The prefix of its mailbox names, UTF-8 (`""`, `Other Users/`, `shared/`).
    pub prefix: String,
    /// Its hierarchy delimiter, if any.
    pub delimiter: Option<String>,
}

/// `GET /v1/namespaces`
#[derive(Clone, Debug, Default, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Namespaces {
    /// The account's own mailboxes.
    pub personal: Vec<Namespace>,
    /// Other users' mailboxes the account may see.
    pub other_users: Vec<Namespace>,
    /// Mailboxes shared by no one user.
    pub shared: Vec<Namespace>,
}

impl Namespaces {
    /// `personal`, `otherUsers` or `shared`: the namespace of a mailbox name (the longest
    /// prefix it starts with, or that is the name and its delimiter).
    pub fn of(&self, name: &str) -> &'static str {
        let groups = [("personal", &self.personal), ("otherUsers", &self.other_users), ("shared", &self.shared)];
        let mut best: (&'static str, usize) = ("personal", 0);
        for (kind, list) in groups {
            for ns in list.iter() {
                let bare = ns.delimiter.as_deref().and_then(|d| ns.prefix.strip_suffix(d)).unwrap_or(&ns.prefix);
                let inside = name.starts_with(&ns.prefix) || (!bare.is_empty() && name == bare);
                if inside && ns.prefix.len() > best.1 {
                    best = (kind, ns.prefix.len());
                }
            }
        }
        best.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_belongs_to_the_longest_prefix_it_starts_with() {
        let ns = |p: &str| Namespace { prefix: p.into(), delimiter: Some("/".into()) };
        let all = Namespaces {
            personal: vec![ns("")],
            other_users: vec![ns("Other Users/")],
            shared: vec![ns("Shared Folders/")],
        };
        assert_eq!(all.of("INBOX"), "personal");
        assert_eq!(all.of("Other Users/bob/x"), "otherUsers");
        assert_eq!(all.of("Other Users"), "otherUsers");
        assert_eq!(all.of("Shared Folders/news"), "shared");
        assert_eq!(all.of("Other Usersx"), "personal");
    }
}
