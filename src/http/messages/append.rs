//! `POST /v1/mailboxes/{mailbox}/messages`: APPEND a raw `message/rfc822`.

use axum::{
    body::Bytes,
    extract::{FromRequest, Multipart, Request, State},
    http::{StatusCode, header},
    response::Response,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::flags::flag;
use crate::http::rights;
use crate::{
    http::error::ApiError,
    http::{
        account::Account,
        extract::{ApiQuery, MailboxPath},
        idempotency::{self, IdempotencyKey, Outcome},
        urls::message_url,
    },
    imap::{encode::MailboxName, error::ImapError, transfer},
    state::AppState,
    views::problem::Problem,
};

/// Largest message accepted for APPEND, in bytes.
pub const MAX_UPLOAD: usize = 32 * 1024 * 1024;

/// Query of the APPEND route.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AppendQuery {
    /// Keywords to set, comma-separated (`$seen,$flagged,project-x`).
    pub keywords: Option<String>,
    /// INTERNALDATE, RFC 3339 (default: now, by the server).
    pub received_at: Option<String>,
}

/// Where the appended message is.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Appended {
    /// The mailbox.
    pub mailbox: String,
    /// The new UID (null without UIDPLUS).
    pub uid: Option<u32>,
    /// UIDVALIDITY of the mailbox (null without UIDPLUS).
    pub uid_validity: Option<u32>,
}

/// Store a message (raw `message/rfc822` body) in a mailbox.
///
/// APPEND of the bytes as sent (a raw `message/rfc822` body, or a form with `metadata` and
/// `message` parts), with keywords and an INTERNALDATE if given. Answers the new UID from APPENDUID
/// (201 with Location), or 202 without UIDPLUS. An `Idempotency-Key` makes a retry answer from the
/// first request instead of storing the message twice.
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/messages", tag = "messages", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"), AppendQuery, IdempotencyKey),
    request_body(content = String, content_type = "message/rfc822",
        description = "the message, as sent; or multipart/form-data with a JSON `metadata` part ({keywords, receivedAt}) and a `message` part"),
    responses(
        (status = 201, body = Appended, headers(("Location" = String, description = "the message URL"))),
        (status = 202, body = Appended, description = "stored; the server did not report the UID (no UIDPLUS)"),
        (status = 413, body = Problem, content_type = "application/problem+json", description = "the message is larger than 32 MiB"),
        (status = 415, body = Problem, content_type = "application/problem+json", description = "neither `message/rfc822` nor `multipart/form-data`"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "a NUL byte in the message, an invalid keyword or receivedAt, metadata that is not the expected JSON, or an Idempotency-Key used for a different request"),
        (status = 507, body = Problem, content_type = "application/problem+json", description = "over quota"),
    ))]
pub async fn append_message(
    State(state): State<AppState>,
    acct: Account,
    ApiQuery(q): ApiQuery<AppendQuery>,
    MailboxPath(mailbox): MailboxPath,
    req: Request,
) -> Result<Response, ApiError> {
    let headers = req.headers().clone();
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let length =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if length.is_some_and(|n| n > MAX_UPLOAD) {
        return Err(ApiError::invalid_body(StatusCode::PAYLOAD_TOO_LARGE, format!("at most {MAX_UPLOAD} bytes")));
    }
    // A raw message of known length without an Idempotency-Key streams straight into the IMAP
    // literal; otherwise (a replay needs the body's fingerprint first) it is read whole.
    let streamed = content_type.starts_with("message/rfc822") && !headers.contains_key("idempotency-key");
    if let (true, Some(len)) = (streamed, length) {
        let body = req.into_body().into_data_stream();
        return append_streamed(&acct, mailbox, &q, len, body).await;
    }
    let (body, keywords, received) = if content_type.starts_with("message/rfc822") {
        let body =
            Bytes::from_request(req, &()).await.map_err(|r| ApiError::invalid_body(r.status(), r.body_text()))?;
        (body, q.keywords.clone(), q.received_at.clone())
    } else if content_type.starts_with("multipart/form-data") {
        let form =
            Multipart::from_request(req, &()).await.map_err(|r| ApiError::invalid_body(r.status(), r.body_text()))?;
        read_form(form).await?
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send the message as message/rfc822, or as multipart/form-data with `metadata` and `message` parts",
        ));
    };
    if body.is_empty() {
        return Err(ApiError::bad_request("the message is empty"));
    }
    if body.contains(&0) {
        return Err(ApiError::invalid_property("body", "NUL bytes cannot be stored over IMAP"));
    }
    let (flags, received_at) = metadata(keywords.as_deref(), received.as_deref())?;
    let print = idempotency::fingerprint(&[
        b"append",
        mailbox.as_str().as_bytes(),
        keywords.as_deref().unwrap_or("").as_bytes(),
        received.as_deref().unwrap_or("").as_bytes(),
        &body,
    ]);
    let (target, flags) = (&mailbox, &flags);
    let work = || async {
        let data = futures_util::stream::iter([Ok(body.clone())]);
        let result = acct
            .write(|mut c| async move {
                transfer::append(&mut c, target, flags, received_at.as_ref(), body.len(), data).await
            })
            .await;
        let done = rights::explained(&acct, &[(target, "i")], result, ApiError::from).await?;
        outcome(&mailbox, done)
    };
    idempotency::once(&state, acct.id(), &headers, print, work).await
}

/// Keywords and `receivedAt` to IMAP flags and a date.
type Metadata = (Vec<crate::imap::encode::Flag>, Option<chrono::DateTime<chrono::FixedOffset>>);

fn metadata(keywords: Option<&str>, received: Option<&str>) -> Result<Metadata, ApiError> {
    let flags = keywords
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| flag(k, "keywords"))
        .collect::<Result<Vec<_>, _>>()?;
    let received_at = match received {
        None => None,
        Some(d) => Some(
            chrono::DateTime::parse_from_rfc3339(d)
                .map_err(|_| ApiError::invalid_property("receivedAt", "must be RFC 3339"))?,
        ),
    };
    Ok((flags, received_at))
}

fn outcome(mailbox: &MailboxName, done: transfer::Appended) -> Result<Outcome, ApiError> {
    let result = Appended { mailbox: mailbox.as_str().to_string(), uid: done.uid, uid_validity: done.uid_validity };
    let body = serde_json::to_value(&result).map_err(ApiError::internal)?;
    Ok(match done.uid {
        Some(uid) => Outcome { status: StatusCode::CREATED, location: Some(message_url(mailbox.as_str(), uid)), body },
        None => Outcome { status: StatusCode::ACCEPTED, location: None, body },
    })
}

/// APPEND from the request body as it arrives: chunks go to the server as they come, NUL bytes
/// are refused in each chunk, and memory stays at one chunk whatever the message size.
async fn append_streamed(
    acct: &Account,
    mailbox: MailboxName,
    q: &AppendQuery,
    len: usize,
    body: axum::body::BodyDataStream,
) -> Result<Response, ApiError> {
    use futures_util::StreamExt as _;
    if len == 0 {
        return Err(ApiError::bad_request("the message is empty"));
    }
    let (flags, received_at) = metadata(q.keywords.as_deref(), q.received_at.as_deref())?;
    let data = body.map(|chunk| match chunk {
        Ok(c) if c.contains(&0) => Err(ImapError::Upload { nul: true, detail: "NUL byte".into() }),
        Ok(c) => Ok(c),
        Err(e) => Err(ImapError::Upload { nul: false, detail: format!("the upload failed: {e}") }),
    });
    let target = &mailbox;
    let result = acct
        .write(|mut c| async move { transfer::append(&mut c, target, &flags, received_at.as_ref(), len, data).await })
        .await;
    let done = rights::explained(acct, &[(target, "i")], result, ApiError::from).await?;
    Ok(outcome(&mailbox, done)?.into_response())
}

/// The JSON `metadata` part of a multipart APPEND.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppendMetadata {
    /// Keywords to set (`["$seen", "project-x"]`).
    #[serde(default)]
    #[schema(inline, value_type = Vec<String>)]
    pub keywords: Vec<String>,
    /// INTERNALDATE, RFC 3339.
    #[schema(format = DateTime)]
    pub received_at: Option<String>,
}

/// Reads a `multipart/form-data` APPEND: an optional JSON `metadata` part and the `message`.
async fn read_form(mut form: Multipart) -> Result<(Bytes, Option<String>, Option<String>), ApiError> {
    let mut meta = AppendMetadata::default();
    let mut message = None;
    while let Some(field) = form.next_field().await.map_err(|e| ApiError::invalid_body(e.status(), e.body_text()))? {
        match field.name().unwrap_or("") {
            "metadata" => {
                let bytes = field.bytes().await.map_err(|e| ApiError::invalid_body(e.status(), e.body_text()))?;
                meta = serde_json::from_slice(&bytes)
                    .map_err(|e| ApiError::invalid_body(StatusCode::UNPROCESSABLE_ENTITY, format!("metadata: {e}")))?;
            }
            "message" => {
                message = Some(field.bytes().await.map_err(|e| ApiError::invalid_body(e.status(), e.body_text()))?)
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown form part `{other}`: send `metadata` and `message`"
                )));
            }
        }
    }
    let message = message.ok_or_else(|| ApiError::bad_request("the form has no `message` part"))?;
    let keywords = (!meta.keywords.is_empty()).then(|| meta.keywords.join(","));
    Ok((message, keywords, meta.received_at))
}
