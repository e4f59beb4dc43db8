//! `POST …/messages/copy`, `POST …/messages/move` and `DELETE …/messages/{uid}`.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
};

use super::check_uid;
use crate::{
    error::ApiError,
    http::{
        extract::{ApiJson, ApiPath, ApiQuery, AuthUser},
        idempotency::{self, Outcome},
    },
    imap::{ImapError, encode::MailboxName, run, transfer},
    state::AppState,
    views::{
        message::{DeleteMessageQuery, DeleteResult, TransferRequest, TransferResult, UidPair},
        problem::Problem,
    },
};

fn map_error(e: ImapError) -> ApiError {
    match e {
        ImapError::No(r) if r.code.as_deref() == Some("TRYCREATE") => {
            ApiError::invalid_property("destination", "the destination mailbox does not exist")
        }
        other => other.into(),
    }
}

async fn run_transfer(
    state: AppState,
    user: AuthUser,
    name: String,
    req: TransferRequest,
    is_move: bool,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let print = idempotency::fingerprint(&[
        if is_move { b"move" } else { b"copy" },
        name.as_bytes(),
        req.destination.as_bytes(),
        format!("{:?}", req.uids).as_bytes(),
    ]);
    let account = user.claims.sub.clone();
    let work = || transfer_work(&state, &account, name, req, is_move);
    idempotency::once(&state, &user.claims.sub, &headers, print, work).await
}

async fn transfer_work(
    state: &AppState,
    account: &str,
    name: String,
    req: TransferRequest,
    is_move: bool,
) -> Result<Outcome, ApiError> {
    let source = MailboxName::parse(&name)?;
    let destination = MailboxName::parse(&req.destination)?;
    super::check_uids(&req.uids)?;
    let pool = state.pool_for(account).await?;
    let dest = destination.clone();
    let uids = req.uids;
    let mapping =
        run::once(&pool, move |c| Box::pin(async move { transfer::transfer(c, &source, &uids, &dest, is_move).await }))
            .await
            .map_err(map_error)?;
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
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/messages/copy", tag = "messages", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    request_body = TransferRequest,
    responses(
        (status = 200, body = TransferResult),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "destination does not exist"),
    ))]
pub async fn copy_messages(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<TransferRequest>,
) -> Result<Response, ApiError> {
    run_transfer(state, user, name, req, false, headers).await
}

/// Move messages (MOVE, or COPY + `\Deleted` + UID EXPUNGE of exactly those UIDs with UIDPLUS; 501 otherwise).
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/messages/move", tag = "messages", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    request_body = TransferRequest,
    responses(
        (status = 200, body = TransferResult),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "destination does not exist"),
        (status = 501, body = Problem, content_type = "application/problem+json", description = "neither MOVE nor UIDPLUS"),
    ))]
pub async fn move_messages(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<TransferRequest>,
) -> Result<Response, ApiError> {
    run_transfer(state, user, name, req, true, headers).await
}

/// Delete a message: move it to Trash, or with `permanent=true` (or inside Trash) expunge exactly it.
#[utoipa::path(delete, path = "/v1/mailboxes/{mailbox}/messages/{uid}", tag = "messages", security(("bearer" = [])),
    params(
        ("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"),
        ("uid" = u32, Path, description = "Message UID"),
        DeleteMessageQuery,
    ),
    responses(
        (status = 200, body = DeleteResult),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 501, body = Problem, content_type = "application/problem+json", description = "no UIDPLUS for a permanent delete"),
    ))]
pub async fn delete_message(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((name, uid)): ApiPath<(String, u32)>,
    ApiQuery(q): ApiQuery<DeleteMessageQuery>,
) -> Result<Json<DeleteResult>, ApiError> {
    let mailbox = MailboxName::parse(&name)?;
    let uid = check_uid(uid)?;
    let permanent = q.permanent.unwrap_or(false);
    let pool = state.pool_for(&user.claims.sub).await?;
    let done = run::once(&pool, move |c| Box::pin(async move { transfer::delete(c, &mailbox, uid, permanent).await }))
        .await
        .map_err(map_error)?;
    Ok(Json(match done {
        transfer::Deleted::ToTrash(trash, new_uid) => {
            DeleteResult { action: "trash".into(), mailbox: Some(trash), new_uid }
        }
        transfer::Deleted::Expunged => DeleteResult { action: "expunged".into(), mailbox: None, new_uid: None },
        transfer::Deleted::NotFound => return Err(ApiError::message_not_found(uid)),
    }))
}
