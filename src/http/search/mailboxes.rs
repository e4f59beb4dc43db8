//! The mailboxes a read over several mailboxes covers: those the caller names (at most 100),
//! or every selectable one, less those of the roles left out.

use crate::{
    convert,
    http::{account::Account, error::ApiError, limits::SEARCH_MAILBOXES_MAX},
    imap::{
        encode::{ListPattern, MailboxName},
        mailbox,
    },
};

/// The names to read: `named` checked, or every selectable mailbox without a role in
/// `skip_roles` (at most [`SEARCH_MAILBOXES_MAX`]).
pub async fn to_read(
    acct: &Account,
    named: Option<Vec<String>>,
    skip_roles: &[&str],
) -> Result<Vec<MailboxName>, ApiError> {
    if let Some(list) = named {
        if list.len() > SEARCH_MAILBOXES_MAX {
            return Err(ApiError::bad_request(format!("at most {SEARCH_MAILBOXES_MAX} mailboxes")));
        }
        return Ok(list.iter().map(|n| MailboxName::parse(n)).collect::<Result<_, _>>()?);
    }
    let (entries, _) =
        acct.read(|mut c| async move { mailbox::list(&mut c, &ListPattern::all(), false, false).await }).await?;
    Ok(entries
        .iter()
        .filter(|e| {
            !e.attributes
                .iter()
                .any(|a| a.eq_ignore_ascii_case("\\Noselect") || a.eq_ignore_ascii_case("\\NonExistent"))
        })
        .filter(|e| convert::mailbox::role(&e.name, &e.attributes).is_none_or(|r| !skip_roles.contains(&r.as_str())))
        .filter_map(|e| MailboxName::listed(&e.name).ok())
        .take(SEARCH_MAILBOXES_MAX)
        .collect())
}
