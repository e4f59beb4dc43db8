//! Mailbox operations (LIST, LSUB, STATUS, EXAMINE) over one pooled connection, returning
//! plain data: names decoded from modified UTF-7, attributes as IMAP spells them.

use std::collections::HashMap;

use async_imap::imap_proto::{MailboxDatum, NameAttribute, Response, ResponseCode, Status, StatusAttribute};

use crate::convert::text::unquote;

use super::{
    encode::{self, ListOptions, ListPattern, MailboxName, StatusItem},
    error::ImapError,
    mutf7,
    session::{ImapConn, Selected},
};

use super::select_state::SelectState;

/// At most this many STATUS commands are sent to fill counts without LIST-STATUS.
pub const MAX_STATUS_FALLBACK: usize = 200;

/// STATUS data of one mailbox; absent items were not reported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusData {
    /// MESSAGES
    pub messages: Option<u32>,
    /// RECENT
    pub recent: Option<u32>,
    /// UIDNEXT
    pub uid_next: Option<u32>,
    /// UIDVALIDITY
    pub uid_validity: Option<u32>,
    /// UNSEEN (a count)
    pub unseen: Option<u32>,
    /// HIGHESTMODSEQ
    pub highest_mod_seq: Option<u64>,
}

/// One LIST entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEntry {
    /// Full name, UTF-8.
    pub name: String,
    /// Hierarchy delimiter, if the server has one.
    pub delimiter: Option<String>,
    /// Attributes such as `\HasNoChildren`, `\Subscribed`, `\Sent`.
    pub attributes: Vec<String>,
    /// Counts, when asked for.
    pub status: Option<StatusData>,
}

/// How counts were obtained for a LIST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountsSource {
    /// One LIST ... RETURN (STATUS ...) round trip.
    ListStatus,
    /// One STATUS per mailbox.
    Status,
    /// Counts were not requested.
    None,
}

fn status_items(conn: &ImapConn) -> Vec<StatusItem> {
    let mut items = vec![StatusItem::Messages, StatusItem::Unseen, StatusItem::UidNext, StatusItem::UidValidity];
    if conn.has("CONDSTORE") {
        items.push(StatusItem::HighestModSeq);
    }
    items
}

fn attribute_name(a: &NameAttribute<'_>) -> String {
    match a {
        NameAttribute::NoInferiors => "\\Noinferiors".into(),
        NameAttribute::NoSelect => "\\Noselect".into(),
        NameAttribute::Marked => "\\Marked".into(),
        NameAttribute::Unmarked => "\\Unmarked".into(),
        NameAttribute::All => "\\All".into(),
        NameAttribute::Archive => "\\Archive".into(),
        NameAttribute::Drafts => "\\Drafts".into(),
        NameAttribute::Flagged => "\\Flagged".into(),
        NameAttribute::Junk => "\\Junk".into(),
        NameAttribute::Sent => "\\Sent".into(),
        NameAttribute::Trash => "\\Trash".into(),
        NameAttribute::Extension(s) => s.to_string(),
        _ => "\\Unknown".into(),
    }
}

fn apply_status(data: &mut StatusData, attrs: &[StatusAttribute]) {
    for a in attrs {
        match *a {
            StatusAttribute::Messages(n) => data.messages = Some(n),
            StatusAttribute::Recent(n) => data.recent = Some(n),
            StatusAttribute::UidNext(n) => data.uid_next = Some(n),
            StatusAttribute::UidValidity(n) => data.uid_validity = Some(n),
            StatusAttribute::Unseen(n) => data.unseen = Some(n),
            StatusAttribute::HighestModSeq(n) => data.highest_mod_seq = Some(n),
            _ => {}
        }
    }
}

/// Lists mailboxes matching `pattern`, with subscription marks, special-use attributes and,
/// if `with_counts`, STATUS counts (LIST-STATUS when offered, else one STATUS each, capped).
pub async fn list(
    conn: &mut ImapConn,
    pattern: &ListPattern,
    subscribed_only: bool,
    with_counts: bool,
) -> Result<(Vec<ListEntry>, CountsSource), ImapError> {
    let extended = conn.has("LIST-EXTENDED");
    let list_status = with_counts && extended && conn.has("LIST-STATUS");
    let mut entries: Vec<(String, ListEntry)> = Vec::new();
    let mut statuses: HashMap<String, StatusData> = HashMap::new();
    let mut collect = |r: &Response<'_>| match r {
        Response::MailboxData(MailboxDatum::List(l)) => {
            let wire = unquote(&l.name).into_owned();
            let entry = ListEntry {
                name: mutf7::decode(&wire),
                delimiter: l.delimiter.as_ref().map(|d| d.to_string()),
                attributes: l.name_attributes.iter().map(attribute_name).collect(),
                status: None,
            };
            entries.push((wire, entry));
        }
        Response::MailboxData(MailboxDatum::Status { mailbox, status }) => {
            apply_status(statuses.entry(unquote(mailbox).into_owned()).or_default(), status);
        }
        _ => {}
    };
    if extended {
        let options = ListOptions {
            subscribed_only,
            return_subscribed: true,
            return_special_use: conn.has("SPECIAL-USE"),
            return_children: conn.has("CHILDREN"),
            return_status: if list_status { status_items(conn) } else { Vec::new() },
        };
        conn.execute(&encode::list(pattern, &options), &mut collect).await?;
    } else if subscribed_only {
        conn.execute(&encode::lsub(pattern), &mut collect).await?;
        for (_, e) in entries.iter_mut() {
            e.attributes.push("\\Subscribed".into());
        }
    } else {
        conn.execute(&encode::list(pattern, &ListOptions::default()), &mut collect).await?;
        let mut subscribed = Vec::new();
        conn.execute(&encode::lsub(pattern), |r| {
            if let Response::MailboxData(MailboxDatum::List(l)) = r {
                subscribed.push(unquote(&l.name).into_owned());
            }
        })
        .await?;
        for (wire, e) in entries.iter_mut() {
            if subscribed.contains(wire) {
                e.attributes.push("\\Subscribed".into());
            }
        }
    }
    let source = if list_status {
        CountsSource::ListStatus
    } else if with_counts {
        status_each(conn, &mut entries, &mut statuses).await?;
        CountsSource::Status
    } else {
        CountsSource::None
    };
    let out = entries
        .into_iter()
        .map(|(wire, mut e)| {
            e.status = statuses.remove(&wire);
            e
        })
        .collect();
    Ok((out, source))
}

/// One STATUS per selectable mailbox (capped). A mailbox whose STATUS is refused keeps no
/// counts instead of failing the whole list.
async fn status_each(
    conn: &mut ImapConn,
    entries: &mut [(String, ListEntry)],
    statuses: &mut HashMap<String, StatusData>,
) -> Result<(), ImapError> {
    let selectable = entries.iter().filter(|(_, e)| {
        !e.attributes.iter().any(|a| a.eq_ignore_ascii_case("\\Noselect") || a.eq_ignore_ascii_case("\\NonExistent"))
    });
    for (wire, _) in selectable.take(MAX_STATUS_FALLBACK) {
        let Ok(name) = MailboxName::from_wire(wire) else {
            continue;
        };
        match status(conn, &name).await {
            Ok(data) => {
                statuses.insert(wire.clone(), data);
            }
            Err(ImapError::No(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// STATUS of one mailbox. If this connection has it selected, it is unselected first
/// (RFC 3501 §6.3.10 says STATUS should not be used on the selected mailbox).
pub async fn status(conn: &mut ImapConn, mailbox: &MailboxName) -> Result<StatusData, ImapError> {
    if conn.selected().is_some_and(|s| &s.mailbox == mailbox) && conn.has("UNSELECT") {
        conn.execute(&encode::unselect(), |_| ()).await?;
        conn.set_selected(None);
    }
    let mut data = StatusData::default();
    let items = status_items(conn);
    conn.execute(&encode::status(mailbox, &items), |r| {
        if let Response::MailboxData(MailboxDatum::Status { status, .. }) = r {
            apply_status(&mut data, status);
        }
    })
    .await?;
    Ok(data)
}

/// STATUS of the selected mailbox as numbers that change whenever a message arrives, goes or
/// changes flags (MESSAGES, UIDNEXT, UNSEEN, HIGHESTMODSEQ; for CONDSTORE servers), to tell
/// whether what was computed from it still holds (`None` when the server left one out, as for
/// a mailbox without mod-sequences). Unlike [`status`] it keeps the selection.
pub async fn fingerprint(conn: &mut ImapConn, mailbox: &MailboxName) -> Result<Option<[u64; 4]>, ImapError> {
    let mut data = StatusData::default();
    let items = [StatusItem::Messages, StatusItem::UidNext, StatusItem::Unseen, StatusItem::HighestModSeq];
    conn.execute(&encode::status(mailbox, &items), |r| {
        if let Response::MailboxData(MailboxDatum::Status { status, .. }) = r {
            apply_status(&mut data, status);
        }
    })
    .await?;
    Ok(match (data.messages, data.uid_next, data.unseen, data.highest_mod_seq) {
        (Some(m), Some(n), Some(u), Some(h)) => Some([m.into(), n.into(), u.into(), h]),
        _ => None,
    })
}

/// EXAMINE a mailbox (read-only), plus its unseen count from STATUS.
pub async fn examine(conn: &mut ImapConn, mailbox: &MailboxName) -> Result<SelectState, ImapError> {
    let unseen = status(conn, mailbox).await?.unseen;
    let mut state = select_read_only(conn, mailbox).await?;
    state.unseen = unseen;
    Ok(state)
}

/// EXAMINE a mailbox (read-only) and record the selection on the connection.
pub async fn select_read_only(conn: &mut ImapConn, mailbox: &MailboxName) -> Result<SelectState, ImapError> {
    select_with(conn, mailbox, true).await
}

/// SELECT a mailbox (read-write, with CONDSTORE where offered) for commands that change it.
pub async fn select_read_write(conn: &mut ImapConn, mailbox: &MailboxName) -> Result<SelectState, ImapError> {
    select_with(conn, mailbox, false).await
}

async fn select_with(conn: &mut ImapConn, mailbox: &MailboxName, read_only: bool) -> Result<SelectState, ImapError> {
    conn.set_selected(None);
    let mut state = SelectState { read_only, ..Default::default() };
    let cmd =
        if read_only { encode::examine(mailbox) } else { encode::select_condstore(mailbox, conn.has("CONDSTORE")) };
    conn.execute(&cmd, |r| match r {
        Response::MailboxData(MailboxDatum::Flags(f)) => state.flags = f.iter().map(|s| s.to_string()).collect(),
        Response::MailboxData(MailboxDatum::Exists(n)) => state.exists = *n,
        Response::MailboxData(MailboxDatum::Recent(n)) => state.recent = *n,
        Response::Data { status: Status::Ok, outcome } => match &outcome.code {
            Some(ResponseCode::UidValidity(n)) => state.uid_validity = Some(*n),
            Some(ResponseCode::UidNext(n)) => state.uid_next = Some(*n),
            Some(ResponseCode::HighestModSeq(n)) => state.highest_mod_seq = Some(*n),
            Some(ResponseCode::PermanentFlags(f)) => {
                state.permanent_flags = f.iter().map(|s| s.to_string()).collect();
            }
            _ => {}
        },
        _ => {}
    })
    .await?;
    conn.set_selected(Some(Selected { mailbox: mailbox.clone(), read_only, state: state.clone() }));
    Ok(state)
}
