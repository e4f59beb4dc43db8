//! Every problem type the gateway answers: the slugs after `PROBLEM_BASE`, one list that
//! `ApiError::new` checks in debug builds and the OpenAPI document gives as the enum of a
//! problem's `type`. A source scan (below) finds every slug the code names.

/// The problem types, sorted.
pub const PROBLEM_TYPES: &[&str] = &[
    "already-exists",
    "authentication-failed",
    "authorization-failed",
    "bad-charset",
    "cannot",
    "cannot-calculate-changes",
    "connection-limit",
    "credentials-expired",
    "cursor-expired",
    "destination-not-found",
    "draft-not-sendable",
    "forbidden",
    "header-too-large",
    "idempotency-key-in-use",
    "imap-refused",
    "inbox-rename",
    "internal",
    "invalid-argument",
    "invalid-body",
    "invalid-cursor",
    "invalid-filter",
    "invalid-message",
    "invalid-properties",
    "invalid-request",
    "invalid-special-use",
    "known-uids-required",
    "limit-exceeded",
    "mailbox-has-child",
    "mailbox-name-too-long",
    "mailbox-not-found",
    "message-not-found",
    "message-too-large",
    "method-not-allowed",
    "missing-right",
    "no-drafts-mailbox",
    "not-an-identity",
    "not-found",
    "over-quota",
    "part-not-found",
    "precondition-failed",
    "range-not-satisfiable",
    "reauth-required",
    "recipients-refused",
    "refresh-token-reused",
    "rename-below-itself",
    "request-timeout",
    "role-not-supported",
    "send-rate-limited",
    "send-unconfirmed",
    "sending-not-configured",
    "smtp-login-refused",
    "smtp-misconfigured",
    "smtp-needs-8bitmime",
    "smtp-refused",
    "smtp-try-again",
    "smtp-unavailable",
    "store-unavailable",
    "tls-required",
    "token-endpoint-unavailable",
    "too-large",
    "too-many-changes",
    "too-many-concurrent-requests",
    "too-many-login-attempts",
    "too-many-streams",
    "too-many-tickets",
    "too-many-watched-mailboxes",
    "too-many-webhooks",
    "uidvalidity-changed",
    "unauthorized",
    "unavailable",
    "unknown-oauth-provider",
    "unknown-transfer-encoding",
    "unsupported",
    "unsupported-media-type",
    "unsupported-sort",
    "upstream-disconnected",
    "upstream-error",
    "upstream-protocol-error",
    "upstream-timeout",
    "upstream-tls",
    "upstream-unavailable",
    "upstream-unreachable",
    "webhook-url-refused",
];

#[cfg(test)]
mod tests {
    use super::PROBLEM_TYPES;

    /// Every slug the code gives a problem (a call of `new` with a status, or a row of status,
    /// slug and title) is in the list, and the list holds no other.
    #[test]
    fn the_list_is_every_slug_the_code_names() {
        let call = regex::Regex::new(r#"(?s)(?:ApiError::new|Self::new)\(\s*[^;"]*?,\s*"([a-z][a-z0-9-]+)",\s*""#)
            .expect("regex");
        let row = regex::Regex::new(r#"\((?:S|StatusCode)::[A-Z_]+,\s*"([a-z][a-z0-9-]+)",\s*""#).expect("regex");
        let mut found = std::collections::BTreeSet::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).expect("read");
                    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                    for c in call.captures_iter(code).chain(row.captures_iter(code)) {
                        found.insert(c[1].to_string());
                    }
                }
            }
        }
        let listed: std::collections::BTreeSet<String> = PROBLEM_TYPES.iter().map(|s| s.to_string()).collect();
        assert_eq!(found, listed);
        assert!(PROBLEM_TYPES.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
    }
}
