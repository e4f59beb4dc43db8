//! `GET …/messages/{uid}/parts/{section}` (decoded bytes of one part, streamed),
//! `…/headers` and `…/bodystructure`.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::stream;
use crate::{
    convert::stream::StreamDecoder,
    http::error::ApiError,
    http::{
        account::Account,
        extract::{ApiQuery, MessagePath, PartPath},
        found::found_message,
        headers::{download_headers, header_value},
    },
    imap::{message, read::Read},
    state::AppState,
    views::{message::BodyPart, problem::Problem},
};

/// Unicode format characters (bidi overrides, zero-width) that can disguise a file name.
fn is_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}')
}

/// A file name safe for a header: no paths, quotes, controls; at most 150 characters.
pub fn safe_filename(name: Option<&str>, fallback: &str) -> String {
    let base = name.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|&c| !c.is_control() && !is_format(c) && !matches!(c, '"' | '\\' | ';' | '%'))
        .take(150)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() { fallback.to_string() } else { cleaned }
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.len() <= 127 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
}

/// `type/subtype[; charset=x]` from server data, only if every piece is an RFC 2045 token;
/// anything else is served as `application/octet-stream`.
pub fn safe_content_type(ty: &str, charset: Option<&str>) -> String {
    let Some((t, sub)) = ty.split_once('/') else { return "application/octet-stream".into() };
    if !is_token(t) || !is_token(sub) {
        return "application/octet-stream".into();
    }
    match charset {
        Some(cs) if t == "text" && is_token(cs) => format!("{t}/{sub}; charset={cs}"),
        _ => format!("{t}/{sub}"),
    }
}

/// RFC 6266 `attachment; filename="ascii"; filename*=UTF-8''percent-encoded`.
pub fn content_disposition(kind: &str, name: &str) -> String {
    let ascii: String = name.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '_' }).collect();
    let mut pct = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            pct.push(b as char);
        } else {
            pct.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{pct}")
}

/// Query of the parts route.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PartQuery {
    /// `inline` to let a browser display it (still sandboxed); default `attachment`.
    pub disposition: Option<String>,
    /// The UIDVALIDITY the client knows (download URLs carry it); a different one answers 409.
    pub uid_validity: Option<u32>,
}

/// The decoded bytes of one part, streamed.
///
/// Sent with `nosniff` and `Content-Security-Policy: default-src 'none'; sandbox`.
///
/// The part's bytes decoded from base64, quoted-printable or uuencode, with its media type and a
/// Content-Disposition (`disposition=inline` to show it), in chunks, whatever its size.
/// `uidValidity` pins the URL to one incarnation of the mailbox.
#[utoipa::path(get, path = "/v1/mailboxes/{mailbox}/messages/{uid}/parts/{section}", tag = "messages", security(("bearer" = [])),
    params(
        ("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"),
        ("uid" = u32, Path, description = "Message UID"),
        ("section" = String, Path, description = "IMAP section (the partId), e.g. `2` or `1.2`"),
        PartQuery,
    ),
    responses(
        (status = 200, content_type = "*/*", description = "the decoded part, with its own media type", headers(
            ("Content-Disposition" = String, description = "`attachment` (or `inline`) with the part's file name"),
            ("Content-Security-Policy" = String, description = "`default-src 'none'; sandbox`"),
        )),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "the mailbox, message or part (`part-not-found`) does not exist"),
    ))]
pub async fn get_part(
    acct: Account,
    ApiQuery(q): ApiQuery<PartQuery>,
    PartPath { message: MessagePath { mailbox, uid }, section, part_id }: PartPath,
) -> Result<Response, ApiError> {
    let kind = match q.disposition.as_deref() {
        None | Some("attachment") => "attachment",
        Some("inline") => "inline",
        Some(_) => return Err(ApiError::bad_request("disposition is `attachment` or `inline`")),
    };
    let mut conn = acct.connection().await?;
    let tree = found_message(message::structure(&mut conn, &mailbox, uid, q.uid_validity).await?, uid, q.uid_validity)?;
    let part: BodyPart = message::find_part(&tree, &part_id).cloned().ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "part-not-found", "No such part").detail(part_id.clone())
    })?;
    let decoder = StreamDecoder::new(part.imap.encoding.as_deref());
    // BODYSTRUCTURE sizes can be off for broken MIME: read the section to its real end.
    let first = stream::first_chunk(&mut conn, uid, &section, 0, None).await?;
    // Nothing at all: an empty part, or the message was expunged since BODYSTRUCTURE (then 404
    // rather than a 200 with a cut body).
    if first.as_ref().is_some_and(Vec::is_empty)
        && !matches!(message::size(&mut conn, &mailbox, uid, q.uid_validity).await?, Read::Found(_))
    {
        return Err(ApiError::message_not_found(uid));
    }
    let body = stream::body(conn, uid, section, 0, None, decoder, first);
    let content_type = safe_content_type(&part.r#type, part.charset.as_deref());
    let filename = safe_filename(part.name.as_deref(), &format!("part-{part_id}"));
    let mut out = HeaderMap::new();
    out.insert(header::CONTENT_TYPE, header_value(&content_type));
    out.insert(header::CONTENT_DISPOSITION, header_value(&content_disposition(kind, &filename)));
    download_headers(&mut out);
    Ok((out, body).into_response())
}

/// One header field, as sent (unfolded, not decoded).
#[derive(Debug, Serialize, ToSchema)]
pub struct HeaderField {
    /// Field name as sent.
    pub name: String,
    /// Raw value after the colon, unfolded.
    pub value: String,
}

/// Query of the headers route.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HeadersQuery {
    /// `json` (default): a list of fields; `raw`: the header block as sent (`text/plain`).
    pub form: Option<String>,
}

/// The header fields of a message, in order, or the raw header block.
///
/// The header fields (BODY.PEEK[HEADER]) as JSON name/value pairs in their order; or with
/// `form=raw` the header block as it is. A header longer than `imap.header_max_bytes` answers 422
/// `header-too-large`.
#[utoipa::path(get, path = "/v1/mailboxes/{mailbox}/messages/{uid}/headers", tag = "messages", security(("bearer" = [])),
    params(
        ("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"),
        ("uid" = u32, Path, description = "Message UID"),
        HeadersQuery,
    ),
    responses(
        (status = 200, content(([HeaderField] = "application/json"), (String = "text/plain")), description = "the fields (`form=raw`: the header block as text/plain)"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "`header-too-large`: the header is longer than `imap.header_max_bytes` (read it from `…/raw`)"),
    ))]
pub async fn get_headers(
    State(state): State<AppState>,
    acct: Account,
    ApiQuery(q): ApiQuery<HeadersQuery>,
    MessagePath { mailbox, uid }: MessagePath,
) -> Result<Response, ApiError> {
    let raw_form = match q.form.as_deref() {
        None | Some("json") => false,
        Some("raw") => true,
        Some(_) => return Err(ApiError::bad_request("form is `json` or `raw`")),
    };
    let max = state.settings.imap.header_max_bytes;
    let raw = found_message(
        acct.read(|mut c| async move { message::header(&mut c, &mailbox, uid, max).await }).await?,
        uid,
        None,
    )?;
    if raw.len() > max as usize {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "header-too-large", "The header is too large")
            .detail(format!("the header is longer than {max} bytes (imap.header_max_bytes); read it from …/raw")));
    }
    if raw_form {
        let mut out = HeaderMap::new();
        out.insert(header::CONTENT_TYPE, header_value("text/plain; charset=utf-8"));
        download_headers(&mut out);
        return Ok((out, raw).into_response());
    }
    Ok(Json(parse_header_block(&raw)).into_response())
}

/// Splits a header block into fields, unfolding continuation lines.
pub fn parse_header_block(raw: &[u8]) -> Vec<HeaderField> {
    let text = String::from_utf8_lossy(raw);
    let mut out: Vec<HeaderField> = Vec::new();
    for line in text.split('\n').map(|l| l.trim_end_matches('\r')) {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push(HeaderField { name: name.trim().to_string(), value: value.to_string() });
        }
    }
    out
}

/// The body-part tree alone.
///
/// BODYSTRUCTURE as a JSON tree of parts, each with its section id (for `/parts/{section}`), media
/// type, parameters, disposition, encoding and size.
#[utoipa::path(get, path = "/v1/mailboxes/{mailbox}/messages/{uid}/bodystructure", tag = "messages", security(("bearer" = [])),
    params(
        ("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"),
        ("uid" = u32, Path, description = "Message UID"),
    ),
    responses(
        (status = 200, body = BodyPart),
    ))]
pub async fn get_bodystructure(
    acct: Account,
    MessagePath { mailbox, uid }: MessagePath,
) -> Result<Json<BodyPart>, ApiError> {
    let tree = acct.read(|mut c| async move { message::structure(&mut c, &mailbox, uid, None).await }).await?;
    Ok(Json(found_message(tree, uid, None)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_are_sanitized_for_headers() {
        assert_eq!(safe_filename(Some("../../etc/passwd"), "x"), "passwd");
        assert_eq!(safe_filename(Some("a\"b\r\n.pdf"), "x"), "ab.pdf");
        assert_eq!(safe_filename(Some(".."), "part-2"), "part-2");
        assert_eq!(safe_filename(None, "part-2"), "part-2");
        assert_eq!(safe_filename(Some("invoice\u{202E}fdp.exe"), "x"), "invoicefdp.exe");
        assert_eq!(safe_content_type("text/plain", Some("us-ascii,text/html")), "text/plain");
        assert_eq!(safe_content_type("text/plain", Some("utf-8")), "text/plain; charset=utf-8");
        assert_eq!(safe_content_type("image/pn g", None), "application/octet-stream");
        assert_eq!(safe_content_type("application/pdf", Some("utf-8")), "application/pdf");
        assert_eq!(
            content_disposition("attachment", "Übersicht März.pdf"),
            "attachment; filename=\"_bersicht M_rz.pdf\"; filename*=UTF-8''%C3%9Cbersicht%20M%C3%A4rz.pdf"
        );
    }

    #[test]
    fn header_blocks_unfold() {
        let f = parse_header_block(b"Subject: a\r\n b\r\nX-Y:z\r\n\r\nbody");
        assert_eq!((f[0].name.as_str(), f[0].value.as_str()), ("Subject", " a b"));
        assert_eq!((f[1].name.as_str(), f[1].value.as_str()), ("X-Y", "z"));
        assert_eq!(f.len(), 2);
    }
}
