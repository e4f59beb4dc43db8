//! Writing mail: `POST /v1/messages/send` (a compose document or a whole message) and the
//! drafts routes (`drafts.rs`). The request is read (`input`), made into a message
//! (`letter`, or `raw` for one sent as it is) and sent (`deliver`).

pub(crate) mod deliver;
pub(crate) mod drafts;
pub(crate) mod input;
pub(crate) mod letter;
pub(crate) mod raw;

use axum::{
    extract::{Request, State},
    http::StatusCode,
    response::Response,
};

use serde::Deserialize;
use utoipa::IntoParams;

use self::input::Input;
use crate::{
    http::{
        account::Account,
        error::ApiError,
        extract::ApiQuery,
        idempotency::{self, IdempotencyKey, Outcome},
    },
    state::AppState,
    views::{
        compose::{Compose, SendResult},
        problem::Problem,
    },
};

/// Query of the send routes.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SendQuery {
    /// Save a copy to the Sent mailbox (default true). For a whole message or a draft, which
    /// have no `saveToSent` field; a compose document's own `saveToSent` comes first.
    pub save_to_sent: Option<bool>,
}

/// The answer of a send.
pub fn sent(result: &SendResult) -> Result<Outcome, ApiError> {
    let body = serde_json::to_value(result).map_err(ApiError::internal)?;
    Ok(Outcome { status: StatusCode::CREATED, location: None, body })
}

/// Send a message over SMTP as the account.
///
/// Send a message: compose it from JSON (or take it whole), submit it over SMTP as the account, and
/// save a copy to the Sent mailbox.
///
/// The compose document becomes a MIME message with the account's identity as From (or a whole
/// `message/rfc822` message is taken as it is), is submitted to the configured SMTP server as the
/// account, and, unless `saveToSent=false`, a copy is appended to Sent. Recipients the server
/// refused are listed in `rejected`. With an `Idempotency-Key`, a retry gets the first answer
/// instead of a second submission.
#[utoipa::path(post, path = "/v1/messages/send", tag = "sending", security(("bearer" = [])),
    params(SendQuery, IdempotencyKey),
    request_body(content(
        (Compose = "application/json"),
        (String = "message/rfc822"),
    ), description = "a compose document; or a whole message (its From must be an identity; Bcc is removed before sending); or multipart/form-data with a JSON `compose` part and file parts. An `Idempotency-Key` header makes a retry answer from the first request, never send twice"),
    responses(
        (status = 201, body = SendResult, description = "sent (to at least one recipient; the refused ones are in `rejected`)"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "a message or mailbox named by `inReplyTo`, `forward` or an attachment does not exist"),
        (status = 413, body = Problem, content_type = "application/problem+json", description = "larger than 32 MiB, or than the server's SIZE"),
        (status = 415, body = Problem, content_type = "application/problem+json", description = "not JSON, a form or message/rfc822"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "an invalid field (CR or LF in a header value, a bad address, a header not allowed), a sender that is not an identity (`not-an-identity`), every recipient refused (`recipients-refused`, see `rejected`), or the message refused (`smtp-refused`)"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "`send-rate-limited`: more than `smtp.per_hour` messages in the last hour"),
        (status = 501, body = Problem, content_type = "application/problem+json", description = "`sending-not-configured`"),
        (status = 502, body = Problem, content_type = "application/problem+json", description = "the submission server refused the login or cannot be used"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "a 4xx answer or no connection: nothing was sent, retry after `Retry-After`"),
        (status = 504, body = Problem, content_type = "application/problem+json", description = "`send-unconfirmed`: the message was handed over and the answer never came; it may have been sent"),
    ))]
pub async fn send_message(
    State(state): State<AppState>,
    acct: Account,
    ApiQuery(q): ApiQuery<SendQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let headers = req.headers().clone();
    // the query is part of what the request is (its Idempotency-Key fingerprint)
    let route = format!("send?saveToSent={:?}", q.save_to_sent);
    let (input, print) = input::read(req, &route, true).await?;
    detached(async move {
        let work = || async {
            let (built, save) = match input {
                Input::Compose(c, files) => {
                    let save = c.save_to_sent.or(q.save_to_sent).unwrap_or(true);
                    (letter::build(&state, &acct, &c, files, true).await?, save)
                }
                Input::Raw(bytes) => (raw::built(&state, &acct, &bytes, false).await?, q.save_to_sent.unwrap_or(true)),
            };
            sent(&deliver::send(&state, &acct, &built, save).await?)
        };
        idempotency::once(&state, acct.id(), &headers, print, work).await
    })
    .await
}

/// Runs a send to its end in a task of its own: neither the request deadline nor a client that
/// goes away can stop it between the submission and its records (the Sent copy, the marks, the
/// `Idempotency-Key` result), so a retry finds the key in use or replays the answer.
pub async fn detached<F>(work: F) -> Result<Response, ApiError>
where
    F: std::future::Future<Output = Result<Response, ApiError>> + Send + 'static,
{
    tokio::spawn(work).await.map_err(ApiError::internal)?
}
