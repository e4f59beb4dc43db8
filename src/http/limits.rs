//! The limits the handlers check on caller input, each in one place: the handler's check and
//! the OpenAPI schema (`openapi_rules.rs`) both use these constants.

use crate::http::error::ApiError;

/// Default size of a message page or a search page.
pub const PAGE_DEFAULT: u32 = 50;
/// Largest message page (`limit` of the list and of a mailbox search); also reported by
/// `/v1/capabilities` as `maxPageSize`.
pub const PAGE_MAX: u32 = 500;
/// Largest `limit` of a search over several mailboxes.
pub const MULTI_SEARCH_MAX: u32 = 200;
/// Most mailboxes one search over several mailboxes reads.
pub const SEARCH_MAILBOXES_MAX: usize = 100;
/// Messages of one thread taken from each mailbox (the newest).
pub const THREAD_MESSAGES_MAX: usize = 500;
/// Most UIDs in one bulk write (flags, copy, move, expunge).
pub const UIDS_MAX: usize = 1000;
/// Default cap of each body value of a message, in bytes.
pub const BODY_VALUE_DEFAULT: u32 = 256 * 1024;
/// Largest accepted `maxBodyValueBytes`.
pub const BODY_VALUE_MAX: u32 = 4 * 1024 * 1024;
/// Default `maxChanges` of `/changes`.
pub const CHANGES_DEFAULT: u32 = 1000;
/// Largest `maxChanges` of `/changes`.
pub const CHANGES_MAX: u32 = 10_000;
/// Longest text of a search filter (and of the list's filter parameters), in bytes.
pub const FILTER_TEXT_MAX: usize = 1000;

/// Checks a list of UIDs for a bulk write: 1 to [`UIDS_MAX`] of them, none 0.
pub fn check_uids(uids: &[u32]) -> Result<(), ApiError> {
    if uids.is_empty() || uids.len() > UIDS_MAX || uids.contains(&0) {
        return Err(ApiError::bad_request(format!("uids must hold 1 to {UIDS_MAX} UIDs, none of them 0")));
    }
    Ok(())
}
