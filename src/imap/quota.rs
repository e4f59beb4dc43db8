//! Quota (RFC 2087/9208): GETQUOTAROOT of INBOX, with the QUOTA answer of each root.

use async_imap::imap_proto::{Response, rfc2087::QuotaResourceName};

use super::{
    encode::{self, MailboxName},
    error::ImapError,
    session::ImapConn,
};
use crate::views::quota::{QuotaResource, QuotaRoot};

/// The quota roots of INBOX with their resources, in the order the server names them.
pub async fn roots(conn: &mut ImapConn) -> Result<Vec<QuotaRoot>, ImapError> {
    if !conn.has("QUOTA") {
        return Err(ImapError::Unsupported("QUOTA"));
    }
    let mut names: Vec<String> = Vec::new();
    let mut found: Vec<QuotaRoot> = Vec::new();
    conn.execute(&encode::getquotaroot(&MailboxName::parse("INBOX")?), |r| match r {
        Response::QuotaRoot(q) => names.extend(q.quota_root_names.iter().map(|n| n.to_string())),
        Response::Quota(q) => found.push(QuotaRoot {
            name: q.root_name.to_string(),
            resources: q
                .resources
                .iter()
                .map(|res| QuotaResource {
                    name: match &res.name {
                        QuotaResourceName::Storage => "STORAGE".into(),
                        QuotaResourceName::Message => "MESSAGE".into(),
                        QuotaResourceName::Atom(a) => a.to_ascii_uppercase(),
                    },
                    usage: res.usage,
                    limit: res.limit,
                })
                .collect(),
        }),
        _ => {}
    })
    .await?;
    // a root the server named without a QUOTA answer has no limits
    for name in names {
        if !found.iter().any(|r| r.name == name) {
            found.push(QuotaRoot { name, resources: Vec::new() });
        }
    }
    Ok(found)
}
