//! Reads over several mailboxes: the mailboxes they cover (those the caller names, at most
//! 100, or every selectable one less those of the roles left out), and one read per mailbox
//! with bounded fan-out.

use futures_util::StreamExt;

use crate::{
    convert,
    http::{
        account::{Account, RunError},
        error::ApiError,
        limits::SEARCH_MAILBOXES_MAX,
    },
    imap::{
        ImapError,
        encode::{ListPattern, MailboxName},
        mailbox,
    },
    state::AppState,
};

/// Runs `read` on each mailbox, at most as many at once as the account may hold connections;
/// a mailbox that vanished or cannot be selected (NO) is skipped, other failures become
/// problems through `map`.
pub async fn each<T, Fut>(
    state: &AppState,
    acct: &Account,
    names: Vec<MailboxName>,
    read: impl Fn(MailboxName) -> Fut,
    map: impl Fn(ImapError) -> ApiError,
) -> Result<Vec<T>, ApiError>
where
    Fut: Future<Output = Result<Option<T>, RunError>>,
{
    acct.ensure_pool().await?;
    let fan_out = state.settings.pool.per_account_max.max(1);
    let results: Vec<_> = futures_util::stream::iter(names).map(read).buffer_unordered(fan_out).collect().await;
    let mut out = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(Some(t)) => out.push(t),
            Ok(None) | Err(RunError::Imap(ImapError::No(_))) => {}
            Err(e) => return Err(e.map_imap(&map)),
        }
    }
    Ok(out)
}

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
