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

/// True if `name` exists as a real (selectable or not) mailbox.
async fn exists(conn: &mut ImapConn, name: &MailboxName) -> Result<bool, ImapError> {
    let pattern = ListPattern::parse(name.as_str())?;
    let (entries, _) = mailbox::list(conn, &pattern, false, false).await?;
    Ok(entries.iter().any(|e| !e.attributes.iter().any(|a| a.eq_ignore_ascii_case("\\NonExistent"))))
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

/// Renames `from` to `to` (children move with it).
pub async fn rename(conn: &mut ImapConn, from: &MailboxName, to: &MailboxName) -> Result<(), ImapError> {
    unselect_if(conn, from).await?;
    conn.execute(&encode::rename(from, to), |_| ()).await?;
    Ok(())
}

/// Full names of the mailboxes below `name`, deepest first.
pub async fn children(conn: &mut ImapConn, name: &MailboxName) -> Result<Vec<String>, ImapError> {
    let Some(d) = delimiter(conn).await?.filter(|d| !d.is_empty()) else { return Ok(Vec::new()) };
    let pattern = ListPattern::parse(&format!("{}{d}*", name.as_str()))?;
    let mut out = Vec::new();
    conn.execute(&encode::list(&pattern, &ListOptions::default()), |r| {
        if let Response::MailboxData(MailboxDatum::List(l)) = r
            && !l.name_attributes.iter().any(|a| matches!(a, async_imap::imap_proto::NameAttribute::Extension(x) if x.eq_ignore_ascii_case("\\NonExistent")))
        {
            out.push(super::mutf7::decode(&unquote(&l.name)));
        }
    })
    .await?;
    out.sort_by_key(|n| std::cmp::Reverse(n.matches(d.as_str()).count()));
    Ok(out)
}

/// Deletes `name`; with children it refuses (returning them) unless `recursive`.
pub async fn delete(
    conn: &mut ImapConn,
    name: &MailboxName,
    recursive: bool,
) -> Result<Result<(), Vec<String>>, ImapError> {
    let below = children(conn, name).await?;
    if !below.is_empty() && !recursive {
        return Ok(Err(below));
    }
    for child in below.iter().map(|c| MailboxName::parse(c)) {
        let child = child?;
        unselect_if(conn, &child).await?;
        conn.execute(&encode::delete(&child), |_| ()).await?;
        let _ = conn.execute(&encode::unsubscribe(&child), |_| ()).await;
    }
    unselect_if(conn, name).await?;
    conn.execute(&encode::delete(name), |_| ()).await?;
    // Some servers keep subscriptions of deleted mailboxes; a NO here changes nothing.
    let _ = conn.execute(&encode::unsubscribe(name), |_| ()).await;
    Ok(Ok(()))
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
