//! Reusing a pooled connection's current selection instead of opening the mailbox again. A read
//! by UID below the UIDNEXT the selection saw uses it as it is while its view is fresh
//! (`ImapConn::needs_sync`), else after a NOOP; a UID STORE uses it as it is; a page or search
//! always NOOPs first.
//! Opening a large mailbox costs the server milliseconds (Dovecot reloads its index); NOOP
//! costs microseconds, and it reports what other clients expunged.

use super::{
    encode::{self, MailboxName},
    error::ImapError,
    mailbox::{select_read_only, select_read_write},
    select_state::SelectState,
    session::ImapConn,
};

/// The selection of `mailbox` if this connection has it, in a mode that allows `write`, and
/// every one of `uids` existed when it was made.
fn reusable(conn: &ImapConn, mailbox: &MailboxName, uids: &[u32], write: bool) -> Option<SelectState> {
    if !conn.selection_current() {
        return None;
    }
    let s = conn.selected()?;
    let known = s.state.uid_next.is_some_and(|next| uids.iter().all(|&u| u < next)) && !uids.is_empty();
    (s.mailbox == *mailbox && (!write || !s.read_only) && known).then(|| s.state.clone())
}

/// NOOP on a reused selection, so that expunges by other clients are seen (Dovecot defers them
/// while a pipelined command runs, so the NOOP gets its own round trip).
async fn resync(conn: &mut ImapConn, state: SelectState) -> Result<SelectState, ImapError> {
    conn.execute(&encode::noop(), |_| ()).await?;
    Ok(conn.selected().map_or(state, |s| s.state.clone()))
}

/// `mailbox` selected for reading `uids`: the current selection when it is reusable, else a
/// fresh EXAMINE. Messages appended since have higher UIDs and so always get the fresh EXAMINE.
pub async fn for_reading(conn: &mut ImapConn, mailbox: &MailboxName, uids: &[u32]) -> Result<SelectState, ImapError> {
    match reusable(conn, mailbox, uids, false) {
        Some(state) if !conn.needs_sync() => Ok(state),
        Some(state) => resync(conn, state).await,
        None => select_read_only(conn, mailbox).await,
    }
}

/// `mailbox` selected read-write for a UID STORE of `uids`: the current read-write selection
/// as it is, without the NOOP a read would send after another connection's change. UIDs are
/// stable, a STORE changes exactly the messages that still exist, and its own untagged FETCHes
/// (or their absence for an expunged UID) say what it did; a UID at or above the selection's
/// UIDNEXT (a message this view has not seen) still gets a fresh SELECT.
pub async fn for_storing(conn: &mut ImapConn, mailbox: &MailboxName, uids: &[u32]) -> Result<SelectState, ImapError> {
    match reusable(conn, mailbox, uids, true) {
        Some(state) => Ok(state),
        None => select_read_write(conn, mailbox).await,
    }
}

/// `mailbox` with a current message count: NOOP when this connection has it selected (the
/// server reports EXISTS, EXPUNGE and VANISHED, which the connection tracks), else EXAMINE.
/// UIDNEXT and HIGHESTMODSEQ of a reused selection are those of its SELECT.
pub async fn synced(conn: &mut ImapConn, mailbox: &MailboxName) -> Result<SelectState, ImapError> {
    if conn.selection_current() && conn.selected().is_some_and(|s| s.mailbox == *mailbox) {
        conn.execute(&encode::noop(), |_| ()).await?;
        if let Some(s) = conn.selected() {
            return Ok(s.state.clone());
        }
    }
    select_read_only(conn, mailbox).await
}
