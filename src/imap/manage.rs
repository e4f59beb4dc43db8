//! Changing mailboxes: CREATE (with missing parents and CREATE-SPECIAL-USE), RENAME, DELETE
//! (refusing or recursing into children), SUBSCRIBE and UNSUBSCRIBE.

use async_imap::imap_proto::{MailboxDatum, Response};

use super::{
    encode::{self, ListOptions, ListPattern, MailboxName, Role},
    error::ImapError,
    mailbox,
    session::ImapConn,
};
use crate::convert::text::unquote;

/// The server's hierarchy delimiter, if it has one.
pub async fn delimiter(conn: &mut ImapConn) -> Result<Option<String>, ImapError> {
    let mut delim = None;
    conn.execute(&encode::list_delimiter(), |r| {
        if let Response::MailboxData(MailboxDatum::List(l)) = r {
            delim = l.delimiter.as_ref().map(|d| unquote(d).into_owned());
        }
    })
    .await?;
    Ok(delim)
}

/// How `name` is listed: `None` if not at all, `Some(true)` for a real (selectable or not)
/// mailbox, `Some(false)` for a placeholder the server lists only because it has children
/// (`\NonExistent`). The name is matched exactly, never as a pattern.
async fn lookup(conn: &mut ImapConn, name: &MailboxName) -> Result<Option<bool>, ImapError> {
    let (entries, _) = mailbox::list(conn, &ListPattern::matching(name), false, false).await?;
    let same = |n: &str| n == name.as_str() || (name.is_inbox() && n.eq_ignore_ascii_case("INBOX"));
    Ok(entries
        .iter()
        .filter(|e| same(&e.name))
        .map(|e| !e.attributes.iter().any(|a| a.eq_ignore_ascii_case("\\NonExistent")))
        .reduce(|a, b| a || b))
}

/// True if `name` exists as a real (selectable or not) mailbox.
async fn exists(conn: &mut ImapConn, name: &MailboxName) -> Result<bool, ImapError> {
    Ok(lookup(conn, name).await? == Some(true))
}

/// Creates `name`, first creating any missing parents; optionally with a SPECIAL-USE role
/// (needs CREATE-SPECIAL-USE) and a subscription.
pub async fn create(
    conn: &mut ImapConn,
    name: &MailboxName,
    role: Option<Role>,
    subscribe: bool,
) -> Result<(), ImapError> {
    if role.is_some() && !conn.has("CREATE-SPECIAL-USE") {
        return Err(ImapError::Unsupported("CREATE-SPECIAL-USE"));
    }
    if let Some(d) = delimiter(conn).await?.filter(|d| !d.is_empty()) {
        let parts: Vec<&str> = name.as_str().split(d.as_str()).collect();
        for depth in 1..parts.len() {
            let parent = MailboxName::parse(&parts[..depth].join(&d))?;
            if !exists(conn, &parent).await? {
                match conn.execute(&encode::create(&parent), |_| ()).await {
                    Err(ImapError::No(r)) if r.code.as_deref() == Some("ALREADYEXISTS") => {}
                    other => drop(other?),
                }
            }
        }
    }
    let cmd = match role {
        Some(r) => encode::create_with_role(name, r),
        None => encode::create(name),
    };
    conn.execute(&cmd, |_| ()).await?;
    if subscribe {
        conn.execute(&encode::subscribe(name), |_| ()).await?;
    }
    Ok(())
}

/// Renames `from` to `to` (children move with it); false, with nothing sent, if `to` is below
/// `from`.
pub async fn rename(conn: &mut ImapConn, from: &MailboxName, to: &MailboxName) -> Result<bool, ImapError> {
    // A mailbox cannot move below itself: false, and nothing sent.
    if let Some(d) = delimiter(conn).await?.filter(|d| !d.is_empty())
        && to.as_str().starts_with(&format!("{}{d}", from.as_str()))
    {
        return Ok(false);
    }
    unselect_if(conn, from).await?;
    conn.execute(&encode::rename(from, to), |_| ()).await?;
    Ok(true)
}

/// Full names of the mailboxes below `name`, deepest first: those whose real name starts with
/// `name` and the delimiter (an exact prefix match; a wildcard in `name` is a character).
pub async fn children(conn: &mut ImapConn, name: &MailboxName) -> Result<Vec<String>, ImapError> {
    let Some(d) = delimiter(conn).await?.filter(|d| !d.is_empty()) else { return Ok(Vec::new()) };
    let prefix = format!("{}{d}", name.as_str());
    let mut out = Vec::new();
    conn.execute(&encode::list(&ListPattern::below(name, &d), &ListOptions::default()), |r| {
        if let Response::MailboxData(MailboxDatum::List(l)) = r
            && !l.name_attributes.iter().any(|a| matches!(a, async_imap::imap_proto::NameAttribute::Extension(x) if x.eq_ignore_ascii_case("\\NonExistent")))
        {
            let full = super::mutf7::decode(&unquote(&l.name));
            if full.starts_with(&prefix) {
                out.push(full);
            }
        }
    })
    .await?;
    out.sort_by_key(|n| std::cmp::Reverse(n.matches(d.as_str()).count()));
    Ok(out)
}

/// What a DELETE did, or why it did nothing.
#[derive(Debug, PartialEq, Eq)]
pub enum Deleted {
    /// The mailbox (and, when asked, its children) is gone.
    Done,
    /// Nothing was deleted: the mailbox has these children and `recursive` was not asked.
    HasChildren(Vec<String>),
    /// Nothing was deleted: no mailbox has this exact name.
    Missing,
}

/// Deletes `name`; with children it refuses (returning them) unless `recursive`. A name the
/// server does not list exactly deletes nothing. A placeholder (`\NonExistent` with children)
/// is removed by removing its children.
pub async fn delete(conn: &mut ImapConn, name: &MailboxName, recursive: bool) -> Result<Deleted, ImapError> {
    let Some(real) = lookup(conn, name).await? else { return Ok(Deleted::Missing) };
    let below = children(conn, name).await?;
    if !below.is_empty() && !recursive {
        return Ok(Deleted::HasChildren(below));
    }
    // Every child is checked before any is deleted: no half-done recursive delete.
    let below = below.iter().map(|c| MailboxName::listed(c)).collect::<Result<Vec<_>, _>>()?;
    for child in below {
        unselect_if(conn, &child).await?;
        conn.execute(&encode::delete(&child), |_| ()).await?;
        let _ = conn.execute(&encode::unsubscribe(&child), |_| ()).await;
    }
    unselect_if(conn, name).await?;
    match conn.execute(&encode::delete(name), |_| ()).await {
        Ok(_) => {}
        Err(ImapError::No(r)) if !real && r.code.as_deref() == Some("NONEXISTENT") => {}
        Err(e) => return Err(e),
    }
    // Some servers keep subscriptions of deleted mailboxes; a NO here changes nothing.
    let _ = conn.execute(&encode::unsubscribe(name), |_| ()).await;
    Ok(Deleted::Done)
}

/// SUBSCRIBE or UNSUBSCRIBE.
pub async fn set_subscribed(conn: &mut ImapConn, name: &MailboxName, on: bool) -> Result<(), ImapError> {
    let cmd = if on { encode::subscribe(name) } else { encode::unsubscribe(name) };
    conn.execute(&cmd, |_| ()).await?;
    Ok(())
}

async fn unselect_if(conn: &mut ImapConn, name: &MailboxName) -> Result<(), ImapError> {
    if conn.selected().is_some_and(|s| &s.mailbox == name) {
        if conn.has("UNSELECT") {
            conn.execute(&encode::unselect(), |_| ()).await?;
        }
        conn.set_selected(None);
    }
    Ok(())
}
