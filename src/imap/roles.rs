//! The mailbox of a role (`sent`, `drafts`): the one with the SPECIAL-USE attribute, or else
//! the first with a usual name for it.

use super::{
    encode::{ListPattern, MailboxName},
    error::ImapError,
    mailbox,
    session::ImapConn,
};
use crate::convert;

/// Usual names of a role's mailbox on servers without SPECIAL-USE, in order of preference.
fn usual_names(role: &str) -> &'static [&'static str] {
    match role {
        "sent" => &["Sent", "Sent Items", "Sent Messages", "INBOX.Sent", "INBOX/Sent"],
        "drafts" => &["Drafts", "INBOX.Drafts", "INBOX/Drafts"],
        _ => &[],
    }
}

/// The mailbox with `role`, if the account has one.
pub async fn find(conn: &mut ImapConn, role: &str) -> Result<Option<MailboxName>, ImapError> {
    let (entries, _) = mailbox::list(conn, &ListPattern::all(), false, false).await?;
    let selectable = |attrs: &[String]| {
        !convert::mailbox::has(attrs, "\\Noselect") && !convert::mailbox::has(attrs, "\\NonExistent")
    };
    let by_attribute = entries
        .iter()
        .find(|e| selectable(&e.attributes) && convert::mailbox::role(&e.name, &e.attributes).as_deref() == Some(role));
    let by_name = || {
        usual_names(role)
            .iter()
            .find_map(|n| entries.iter().find(|e| selectable(&e.attributes) && e.name.eq_ignore_ascii_case(n)))
    };
    match by_attribute.or_else(by_name) {
        Some(e) => Ok(Some(MailboxName::parse(&e.name)?)),
        None => Ok(None),
    }
}
