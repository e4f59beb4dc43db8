//! `POST …/messages/copy`, `POST …/messages/move` and `DELETE …/messages/{uid}`.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
};

use crate::http::rights;
use crate::{
    http::error::ApiError,
    http::{
        account::Account,
        extract::{ApiJson, ApiQuery, MailboxPath, MessagePath},
        idempotency::{self, IdempotencyKey, Outcome},
        limits,
    },
    imap::{ImapError, encode::MailboxName, transfer},
    state::AppState,
    views::{
        message::{DeleteMessageQuery, DeleteResult, TransferRequest, TransferResult, UidPair},
        problem::Problem,
    },
};

fn map_error(e: ImapError) -> ApiError {
    match e {
        // Like any mailbox that is not there: 404, saying which one.
        ImapError::No(r) if r.code.as_deref() == Some("TRYCREATE") => {
            ApiError::new(StatusCode::NOT_FOUND, "mailbox-not-found", "The mailbox does not exist")
                .detail("the destination mailbox does not exist")
        }
        other => other.into(),
    }
}

async fn run_transfer(
    state: AppState,
    acct: Account,
    source: MailboxName,
    req: TransferRequest,
    is_move: bool,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let destination = MailboxName::parse(&req.destination)?;
    limits::check_uids(&req.uids)?;
    let print = idempotency::fingerprint(&[
        if is_move { b"move" } else { b"copy" },
        source.as_str().as_bytes(),
        req.destination.as_bytes(),
        format!("{:?}", req.uids).as_bytes(),
    ]);
    let work = || transfer_work(&acct, &source, &destination, &req.uids, is_move);
    idempotency::once(&state, acct.id(), &headers, print, work).await
}

async fn transfer_work(
    acct: &Account,
    source: &MailboxName,
    destination: &MailboxName,
    uids: &[u32],
    is_move: bool,
) -> Result<Outcome, ApiError> {
    let result =
        acct.write(|mut c| async move { transfer::transfer(&mut c, source, uids, destination, is_move).await }).await;
    let needs: &[(&MailboxName, &str)] =
        if is_move { &[(destination, "i"), (source, "te")] } else { &[(destination, "i")] };
    let mapping = rights::explained(acct, needs, result, map_error).await?;
    let result = TransferResult {
        destination: destination.as_str().to_string(),
        uid_validity: mapping.as_ref().map(|m| m.uid_validity),
        mapping: mapping
            .map(|m| m.pairs.into_iter().map(|(uid, new_uid)| UidPair { uid, new_uid }).collect())
            .unwrap_or_default(),
    };
    Ok(Outcome {
        status: StatusCode::OK,
        location: None,
        body: serde_json::to_value(&result).map_err(ApiError::internal)?,
    })
}

/// Copy messages to another mailbox; answers the UID mapping from COPYUID.
///
/// UID COPY of the UIDs to `destination`; the answer maps each source UID to its new UID where the
/// server has UIDPLUS.
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/messages/copy", tag = "messages", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"), IdempotencyKey),
    request_body = TransferRequest,
    responses(
        (status = 200, body = TransferResult),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "the mailbox or the destination does not exist (`mailbox-not-found`; the detail says which)"),
    ))]
pub async fn copy_messages(
    State(state): State<AppState>,
    acct: Account,
    MailboxPath(source): MailboxPath,
    headers: HeaderMap,
    ApiJson(req): ApiJson<TransferRequest>,
) -> Result<Response, ApiError> {
    run_transfer(state, acct, source, req, false, headers).await
}

/// Move messages (MOVE, or COPY + `\Deleted` + UID EXPUNGE of exactly those UIDs with UIDPLUS; 501
/// otherwise).
///
/// UID MOVE to `destination` where the server has MOVE; else COPY, `\Deleted` and UID EXPUNGE of
/// exactly these UIDs (with UIDPLUS; 501 without). The answer maps each source UID to its new UID.
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/messages/move", tag = "messages", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"), IdempotencyKey),
    request_body = TransferRequest,
    responses(
        (status = 200, body = TransferResult),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "the mailbox or the destination does not exist (`mailbox-not-found`; the detail says which)"),
        (status = 501, body = Problem, content_type = "application/problem+json", description = "neither MOVE nor UIDPLUS"),
    ))]
pub async fn move_messages(
    State(state): State<AppState>,
    acct: Account,
    MailboxPath(source): MailboxPath,
    headers: HeaderMap,
    ApiJson(req): ApiJson<TransferRequest>,
) -> Result<Response, ApiError> {
    run_transfer(state, acct, source, req, true, headers).await
}

/// Delete a message: move it to Trash, or with `permanent=true` (or inside Trash) expunge exactly
/// it.
///
/// Outside Trash the message is moved to the Trash mailbox (found by its `\Trash` role); with
/// `permanent=true`, or inside Trash, it is marked `\Deleted` and expunged by UID EXPUNGE, never
/// touching another message.
#[utoipa::path(delete, path = "/v1/mailboxes/{mailbox}/messages/{uid}", tag = "messages", security(("bearer" = [])),
    params(
        ("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"),
        ("uid" = u32, Path, description = "Message UID"),
        DeleteMessageQuery,
    ),
    responses(
        (status = 200, body = DeleteResult),
        (status = 501, body = Problem, content_type = "application/problem+json", description = "no UIDPLUS for a permanent delete"),
    ))]
pub async fn delete_message(
    acct: Account,
    ApiQuery(q): ApiQuery<DeleteMessageQuery>,
    MessagePath { mailbox, uid }: MessagePath,
) -> Result<Json<DeleteResult>, ApiError> {
    let permanent = q.permanent.unwrap_or(false);
    let m = &mailbox;
    let result = acct.write(|mut c| async move { transfer::delete(&mut c, m, uid, permanent).await }).await;
    let done = rights::explained(&acct, &[(&mailbox, "te")], result, map_error).await?;
    Ok(Json(match done {
        transfer::Deleted::ToTrash(trash, new_uid) => {
            DeleteResult { action: "trash".into(), mailbox: Some(trash), new_uid }
        }
        transfer::Deleted::Expunged => DeleteResult { action: "expunged".into(), mailbox: None, new_uid: None },
        transfer::Deleted::NotFound => return Err(ApiError::message_not_found(uid)),
    }))
}
