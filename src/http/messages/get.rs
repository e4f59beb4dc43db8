//! `GET /v1/mailboxes/{mailbox}/messages/{uid}`: the full message as JSON.

use axum::{
    Json,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{
    http::error::ApiError,
    http::{
        account::Account,
        extract::{ApiQuery, MessagePath},
        found::found_message,
        headers::{header_value, not_modified},
        limits::{BODY_VALUE_DEFAULT, BODY_VALUE_MAX},
        urls::set_download_urls,
    },
    imap::message,
    views::message::{Message, MessageQuery},
};

/// The full message: envelope, keywords, part tree, text/HTML/attachment lists and decoded text.
///
/// Never sets `\Seen`. `ETag` is `"uidValidity.modSeq"`, with `-b<maxBodyValueBytes>` for a limit
/// other than the default and `-sanitized` with `sanitize=true` (each variant's own).
///
/// EXAMINE and UID FETCH of ENVELOPE, FLAGS, BODYSTRUCTURE and the text parts' first bytes (up to
/// `maxBodyValueBytes`), turned into JSON with RFC 8621 body selection and, with `sanitize=true`,
/// HTML made safe to show.
#[utoipa::path(get, path = "/v1/mailboxes/{mailbox}/messages/{uid}", tag = "messages", security(("bearer" = [])),
    params(
        ("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"),
        ("uid" = u32, Path, description = "Message UID"),
        MessageQuery,
    ),
    responses(
        (status = 200, body = Message, headers(("ETag" = String, description = "\"uidValidity.modSeq\", with -b<maxBodyValueBytes> for a non-default limit and -sanitized with sanitize=true"))),
        (status = 304, description = "If-None-Match matched"),
    ))]
pub async fn get_message(
    acct: Account,
    ApiQuery(q): ApiQuery<MessageQuery>,
    MessagePath { mailbox, uid }: MessagePath,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let max = q.max_body_value_bytes.unwrap_or(BODY_VALUE_DEFAULT);
    if !(1..=BODY_VALUE_MAX).contains(&max) {
        return Err(ApiError::bad_request(format!("maxBodyValueBytes must be between 1 and {BODY_VALUE_MAX}")));
    }
    let known = q.uid_validity;
    let (name, cache) = (&mailbox, acct.cache());
    let found =
        acct.read(|mut c| async move { message::message(&mut c, name, uid, known, max, Some(cache)).await }).await?;
    let mut msg = found_message(found, uid, known)?;
    set_download_urls(&mut msg, mailbox.as_str(), uid);
    let sanitized = q.sanitize == Some(true);
    if sanitized {
        sanitize_html(&mut msg);
    }
    let etag =
        msg.summary.imap.mod_seq.as_deref().map(|m| message_etag(msg.summary.imap.uid_validity, m, max, sanitized));
    let mut out = HeaderMap::new();
    if let Some(etag) = &etag {
        out.insert(header::ETAG, header_value(etag));
        if not_modified(&headers, etag) {
            return Ok((StatusCode::NOT_MODIFIED, out).into_response());
        }
    }
    out.insert(header::CACHE_CONTROL, header_value("private, no-cache"));
    Ok((out, Json(msg)).into_response())
}

/// The ETag of a message: `"uidValidity.modSeq"`, with `-b<maxBodyValueBytes>` for a limit
/// other than the default and `-sanitized` for the sanitized variant: each body differs, so a
/// cached copy of one variant never answers for another.
pub fn message_etag(uid_validity: u32, mod_seq: &str, max_body_value_bytes: u32, sanitized: bool) -> String {
    let limit = match max_body_value_bytes {
        BODY_VALUE_DEFAULT => String::new(),
        n => format!("-b{n}"),
    };
    format!("\"{uid_validity}.{mod_seq}{limit}{}\"", if sanitized { "-sanitized" } else { "" })
}

/// Replaces the HTML body values with sanitized HTML whose `cid:` images point at part URLs.
fn sanitize_html(msg: &mut Message) {
    let cids: std::collections::HashMap<String, String> = msg
        .attachments
        .iter()
        .chain(&msg.html_body)
        .filter_map(|p| p.cid.as_ref().map(|c| (c.to_ascii_lowercase(), p.download_url.clone())))
        .collect();
    for value in msg.body_values.values_mut() {
        if value.html.is_some() {
            value.value = crate::convert::html::sanitize(&value.value, &cids);
            value.html = Some("sanitized".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sanitized_variant_has_its_own_etag() {
        let d = BODY_VALUE_DEFAULT;
        assert_eq!(message_etag(7, "42", d, false), "\"7.42\"");
        assert_eq!(message_etag(7, "42", d, true), "\"7.42-sanitized\"");
        assert_eq!(message_etag(7, "42", 3, true), "\"7.42-b3-sanitized\"");
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, header_value(&message_etag(7, "42", d, false)));
        assert!(
            !not_modified(&h, &message_etag(7, "42", d, true)),
            "the plain ETag does not validate the sanitized body"
        );
        assert!(!not_modified(&h, &message_etag(7, "42", 3, false)), "nor a body cut at another limit");
    }
}
