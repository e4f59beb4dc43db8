//! Message routes under `/v1/mailboxes/{mailbox}/messages`: one file per action.

pub mod append;
pub mod flags;
pub mod get;
pub mod list;
pub mod parts;
pub mod raw;
pub mod stream;
pub mod transfer;

use axum::http::{HeaderMap, HeaderValue, header};

use crate::{error::ApiError, imap::read::Read, views::message::Message};

/// Percent-encodes a mailbox name as one path segment.
pub fn segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical URL of a message.
pub fn message_url(mailbox: &str, uid: u32) -> String {
    format!("/v1/mailboxes/{}/messages/{uid}", segment(mailbox))
}

/// Sets the download URL of each listed part of `msg` (text, HTML, attachments):
/// `{message URL}/parts/{partId}?uidValidity={uidValidity}`, pinned to the UIDVALIDITY so that
/// it never serves another message after a recreate.
pub fn set_download_urls(msg: &mut Message, mailbox: &str, uid: u32) {
    let base = message_url(mailbox, uid);
    let uid_validity = msg.summary.imap.uid_validity;
    for part in msg.text_body.iter_mut().chain(&mut msg.html_body).chain(&mut msg.attachments) {
        part.download_url = format!("{base}/parts/{}?uidValidity={uid_validity}", part.part_id);
    }
}

/// The message a read by UID found: 409 `uid-validity-changed` when `known` is not the
/// mailbox's UIDVALIDITY any more, 404 `message-not-found` when it is gone.
pub fn found_message<T>(read: Read<T>, uid: u32, known: Option<u32>) -> Result<T, ApiError> {
    match read {
        Read::Found(t) => Ok(t),
        Read::Stale { current } => {
            Err(ApiError::uid_validity_changed(axum::http::StatusCode::CONFLICT, known.unwrap_or(0), current))
        }
        Read::NotFound => Err(ApiError::message_not_found(uid)),
    }
}

/// A UID from a path: 1 to 2^32-1.
pub fn check_uid(uid: u32) -> Result<u32, ApiError> {
    if uid == 0 {
        return Err(ApiError::bad_request("UIDs start at 1"));
    }
    Ok(uid)
}

/// Checks a list of UIDs for a bulk write: 1 to [`flags::MAX_UIDS`] of them, none 0.
pub fn check_uids(uids: &[u32]) -> Result<(), ApiError> {
    if uids.is_empty() || uids.len() > flags::MAX_UIDS || uids.contains(&0) {
        return Err(ApiError::bad_request(format!("uids must hold 1 to {} UIDs, none of them 0", flags::MAX_UIDS)));
    }
    Ok(())
}

/// True if `If-None-Match` names `etag` (or `*`).
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == etag || t == "*"))
}

/// `Content-Security-Policy` of every download (raw, parts, raw headers): a browser that opens
/// one loads nothing and runs nothing.
pub const DOWNLOAD_CSP: &str = "default-src 'none'; sandbox";

/// Adds what every download carries: `nosniff` and [`DOWNLOAD_CSP`].
pub fn download_headers(out: &mut HeaderMap) {
    out.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    out.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOWNLOAD_CSP));
}

/// Header value from a string that is known to be visible ASCII.
pub fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_and_etags() {
        assert_eq!(segment("Archive/2024 ü"), "Archive%2F2024%20%C3%BC");
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"1.2\", W/\"7.9\""));
        assert!(not_modified(&h, "\"7.9\""));
        assert!(!not_modified(&h, "\"7.8\""));
    }
}
