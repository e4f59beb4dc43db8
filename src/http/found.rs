//! What a read that did not find its data answers, and page cursors (what one that does not
//! open answers, and the cursor of the next page): used by every route that reads by UID,
//! pages or searches.

use axum::http::StatusCode;

use crate::{
    auth::cursor::{Cursor, CursorError},
    http::error::ApiError,
    imap::read::Read,
    state::AppState,
};

/// The data of `read`: `uid-validity-changed` with `stale` (409 for a message read, 410 for
/// pages and searches, 412 for a conditional write) when `known` is not the mailbox's
/// UIDVALIDITY any more, `missing()` when nothing was found.
pub fn found<T>(
    read: Read<T>,
    stale: StatusCode,
    known: Option<u32>,
    missing: impl FnOnce() -> ApiError,
) -> Result<T, ApiError> {
    match read {
        Read::Found(t) => Ok(t),
        Read::Stale { current } => Err(ApiError::uid_validity_changed(stale, known.unwrap_or(0), current)),
        Read::NotFound => Err(missing()),
    }
}

/// The message a read by UID found: 409 `uid-validity-changed` when `known` is not the
/// mailbox's UIDVALIDITY any more, 404 `message-not-found` when it is gone.
pub fn found_message<T>(read: Read<T>, uid: u32, known: Option<u32>) -> Result<T, ApiError> {
    found(read, StatusCode::CONFLICT, known, || ApiError::message_not_found(uid))
}

/// Opens a page cursor of `account` for `mailbox`: 400 `invalid-cursor` when it is not one of
/// this gateway's or belongs to another mailbox.
pub fn open_cursor(state: &AppState, cursor: &str, account: &str, mailbox: &str) -> Result<Cursor, ApiError> {
    state.auth.cursors.open(cursor, account, mailbox).map_err(|e| match e {
        CursorError::Invalid => ApiError::invalid_cursor("not a cursor of this gateway"),
        CursorError::Elsewhere => ApiError::invalid_cursor("the cursor belongs to another mailbox"),
    })
}

/// The cursor of the page after one that ended at UID `last` (`None`: no further page) of
/// `mailbox`; `search` is the fingerprint of the search it continues (`None` for the list).
pub fn next_cursor(
    state: &AppState,
    account: &str,
    mailbox: &str,
    uid_validity: u32,
    last: Option<u32>,
    search: Option<&str>,
) -> Option<String> {
    last.map(|before| {
        state.auth.cursors.seal(&Cursor {
            v: 1,
            a: account.to_string(),
            m: mailbox.to_string(),
            uv: uid_validity,
            before,
            q: search.map(str::to_string),
        })
    })
}
