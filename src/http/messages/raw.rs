//! `GET /v1/mailboxes/{mailbox}/messages/{uid}/raw`: the message as `message/rfc822`, streamed
//! in chunks of partial fetches so that memory stays constant; `Range` gives 206. Always an
//! attachment, under the download CSP.

use axum::{
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::stream;
use crate::{
    convert::stream::StreamDecoder,
    http::error::ApiError,
    http::{
        account::Account,
        extract::{ApiQuery, MessagePath},
        found::found_message,
        headers::{download_headers, header_value},
    },
    imap::{encode::Section, message},
    views::problem::Problem,
};

/// Parses a single `bytes=` range against `size`: `a-b`, `a-` or `-n`.
pub fn parse_range(value: &str, size: u64) -> Option<(u64, u64)> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || size == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (size.saturating_sub(n), size - 1)
        }
        (a, "") => (a.parse().ok()?, size - 1),
        (a, b) => (a.parse().ok()?, b.parse::<u64>().ok()?.min(size - 1)),
    };
    (start <= end && start < size).then_some((start, end))
}

/// Query of the raw route.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RawQuery {
    /// The UIDVALIDITY the client knows; a different one answers 409.
    pub uid_validity: Option<u32>,
}

/// The raw message, streamed; never sets `\Seen`.
///
/// The message exactly as stored (BODY.PEEK[]), in chunks, whatever its size; `Range` gives 206
/// with one byte range. Never sets `\Seen`.
#[utoipa::path(get, path = "/v1/mailboxes/{mailbox}/messages/{uid}/raw", tag = "messages", security(("bearer" = [])),
    params(
        ("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"),
        ("uid" = u32, Path, description = "Message UID"),
        ("Range" = Option<String>, Header, description = "`bytes=start-end`, one range"),
        RawQuery,
    ),
    responses(
        (status = 200, content_type = "message/rfc822", description = "the message", headers(
            ("Content-Disposition" = String, description = "`attachment; filename=\"message-{uid}.eml\"`"),
            ("Content-Security-Policy" = String, description = "`default-src 'none'; sandbox`"),
        )),
        (status = 206, content_type = "message/rfc822", description = "the requested range", headers(
            ("Content-Disposition" = String, description = "`attachment; filename=\"message-{uid}.eml\"`"),
            ("Content-Security-Policy" = String, description = "`default-src 'none'; sandbox`"),
        )),
        (status = 416, body = Problem, content_type = "application/problem+json", description = "the range cannot be served (`Content-Range: bytes */size`)"),
    ))]
pub async fn get_raw(
    acct: Account,
    ApiQuery(q): ApiQuery<RawQuery>,
    MessagePath { mailbox, uid }: MessagePath,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // The connection is held for the whole download (unless the first FETCH brought all of it):
    // the chunks are read on the mailbox it selected. A client that goes away stops the loop between two complete commands.
    let mut conn = acct.connection().await?;
    // Only byte ranges are served; any other unit is ignored (RFC 9110 §14.2).
    let range =
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()).filter(|r| r.trim_start().starts_with("bytes="));
    // Without a range, the size and the first chunk come in one FETCH.
    let read = match range {
        None => message::size_and_head(&mut conn, &mailbox, uid, q.uid_validity, stream::CHUNK)
            .await?
            .map(|(size, head)| (size, Some(head))),
        Some(_) => message::size(&mut conn, &mailbox, uid, q.uid_validity).await?.map(|size| (size, None)),
    };
    let (size, head) = found_message(read, uid, q.uid_validity)?;
    let size = u64::from(size);
    let (start, end, status) = match range {
        None => (0, size.saturating_sub(1), StatusCode::OK),
        Some(r) => match parse_range(r, size) {
            Some((s, e)) => (s, e, StatusCode::PARTIAL_CONTENT),
            None => {
                let mut resp = ApiError::range_not_satisfiable(size).into_response();
                resp.headers_mut().insert(header::CONTENT_RANGE, header_value(&format!("bytes */{size}")));
                return Ok(resp);
            }
        },
    };
    let len = if size == 0 { 0 } else { end - start + 1 };
    // The first chunk before the status is committed: a message expunged since its size was
    // read answers 404, not a 200 with a cut body.
    let first = match head {
        Some(_) if len == 0 => None,
        // Never more than announced, even if the server's RFC822.SIZE was short.
        Some(mut bytes) => {
            bytes.truncate(usize::try_from(len).unwrap_or(usize::MAX));
            Some(bytes)
        }
        None => stream::first_chunk(&mut conn, uid, &Section::whole(), start, Some(len)).await?,
    };
    if first.as_ref().is_some_and(Vec::is_empty) {
        return Err(ApiError::message_not_found(uid));
    }
    let body = match first {
        // The whole range came with the first FETCH (most messages are under a chunk): the
        // answer is those bytes, and the connection goes back to the pool now.
        Some(bytes) if bytes.len() as u64 == len => axum::body::Body::from(bytes),
        first => stream::body(conn, uid, Section::whole(), start, Some(len), StreamDecoder::new(None), first),
    };
    let mut out = HeaderMap::new();
    out.insert(header::CONTENT_TYPE, header_value("message/rfc822"));
    out.insert(header::CONTENT_LENGTH, header_value(&len.to_string()));
    out.insert(header::ACCEPT_RANGES, header_value("bytes"));
    out.insert(header::CONTENT_DISPOSITION, header_value(&raw_disposition(uid)));
    download_headers(&mut out);
    if status == StatusCode::PARTIAL_CONTENT {
        out.insert(header::CONTENT_RANGE, header_value(&format!("bytes {start}-{end}/{size}")));
    }
    Ok((status, out, body).into_response())
}

/// `Content-Disposition` of a raw download: an attachment named after the UID.
pub fn raw_disposition(uid: u32) -> String {
    super::parts::content_disposition("attachment", &format!("message-{uid}.eml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_downloads_are_attachments() {
        assert_eq!(raw_disposition(42), "attachment; filename=\"message-42.eml\"; filename*=UTF-8''message-42.eml");
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=50-500", 100), Some((50, 99)));
        for bad in ["bytes=100-", "bytes=9-3", "bytes=0-1,4-5", "items=0-1", "bytes=x-1"] {
            assert_eq!(parse_range(bad, 100), None, "{bad}");
        }
    }
}
