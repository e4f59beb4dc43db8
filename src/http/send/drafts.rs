//! Drafts: `POST /v1/drafts` saves a compose document in the mailbox with role `drafts`
//! (`\Draft`, `\Seen`); `PUT /v1/drafts/{uid}` replaces one (APPEND the new draft, then
//! UID EXPUNGE exactly the old one); `POST /v1/drafts/{uid}/send` sends a stored draft and
//! removes it from Drafts.

use axum::{
    extract::{Request, State},
    http::StatusCode,
    response::Response,
};

use super::{deliver, input, letter, raw, sent};
use crate::{
    http::{
        account::Account,
        error::ApiError,
        extract::{ApiPath, ApiQuery},
        found::found_message,
        idempotency::{self, IdempotencyKey, Outcome},
        urls::message_url,
    },
    imap::{
        ImapError,
        encode::{Flag, MailboxName},
        message, roles,
        transfer::{self, Deleted},
    },
    state::AppState,
    views::{
        compose::{Compose, DraftSaved, SendResult},
        problem::Problem,
    },
};

fn no_drafts() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no-drafts-mailbox", "The account has no Drafts mailbox")
        .detail("no mailbox has the \\Drafts role or a usual Drafts name; create one with role `drafts`")
}

async fn drafts_mailbox(acct: &Account) -> Result<MailboxName, ApiError> {
    acct.read(|mut c| async move { roles::find(&mut c, "drafts").await }).await?.ok_or_else(no_drafts)
}

/// Saves a compose document as a draft: in `drafts` when the caller knows it already, else in
/// the account's Drafts mailbox.
async fn store_draft(
    state: &AppState,
    acct: &Account,
    (c, files): (&Compose, Vec<crate::compose::mime::File>),
    drafts: Option<&MailboxName>,
) -> Result<DraftSaved, ApiError> {
    let built = letter::build(state, acct, c, files, false).await?;
    let mut flags = vec![Flag::draft(), Flag::seen()];
    flags.extend(built.keywords.iter().cloned());
    let copy = deliver::store_copy(acct, ("drafts", drafts), &built.bytes, &flags).await?.ok_or_else(no_drafts)?;
    Ok(DraftSaved {
        mailbox: copy.mailbox,
        uid: copy.uid,
        uid_validity: copy.uid_validity,
        message_id: built.message_id,
    })
}

async fn compose_of(req: Request, route: &str) -> Result<(Compose, Vec<crate::compose::mime::File>, String), ApiError> {
    match input::read(req, route, false).await? {
        (input::Input::Compose(c, files), print) => Ok((*c, files, print)),
        (input::Input::Raw(_), _) => Err(ApiError::bad_request("a compose document")),
    }
}

fn outcome(saved: &DraftSaved, status: StatusCode) -> Result<Outcome, ApiError> {
    let body = serde_json::to_value(saved).map_err(ApiError::internal)?;
    Ok(Outcome { status, location: saved.uid.map(|u| message_url(&saved.mailbox, u)), body })
}

/// Save a draft.
///
/// The compose document (JSON, or a form with file parts) becomes a MIME message that is appended
/// to the Drafts mailbox with `\Draft` and `\Seen`; the answer names its UID. Nothing is sent.
#[utoipa::path(post, path = "/v1/drafts", tag = "sending", security(("bearer" = [])), params(IdempotencyKey),
    request_body(content = Compose, content_type = "application/json",
        description = "a compose document, or multipart/form-data with a JSON `compose` part and file parts; no recipient is required. An `Idempotency-Key` header makes a retry answer from the first request, never save twice"),
    responses(
        (status = 201, body = DraftSaved, headers(("Location" = String, description = "the draft's message URL"))),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "`no-drafts-mailbox`, or a message or mailbox named by `inReplyTo`, `forward` or an attachment does not exist"),
        (status = 413, body = Problem, content_type = "application/problem+json", description = "larger than 32 MiB"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "an invalid field, or a sender that is not an identity"),
    ))]
pub async fn create_draft(State(state): State<AppState>, acct: Account, req: Request) -> Result<Response, ApiError> {
    let headers = req.headers().clone();
    let (c, files, print) = compose_of(req, "draft").await?;
    let work = || async { outcome(&store_draft(&state, &acct, (&c, files), None).await?, StatusCode::CREATED) };
    idempotency::once(&state, acct.id(), &headers, print, work).await
}

/// Replace a draft: the new one is saved first, then exactly the old UID is expunged.
///
/// The new version is appended first and the old UID is expunged only after that succeeded, so a
/// failure never loses the draft; the answer names the new UID.
#[utoipa::path(put, path = "/v1/drafts/{uid}", tag = "sending", security(("bearer" = [])),
    params(("uid" = u32, Path, description = "UID of the draft in the Drafts mailbox")),
    request_body(content = Compose, content_type = "application/json",
        description = "a compose document, or multipart/form-data with a JSON `compose` part and file parts"),
    responses(
        (status = 200, body = DraftSaved, description = "the new draft (a new UID)"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "no such draft, `no-drafts-mailbox`, or a message or mailbox named by `inReplyTo`, `forward` or an attachment does not exist"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "an invalid field, or a sender that is not an identity"),
    ))]
pub async fn replace_draft(
    State(state): State<AppState>,
    acct: Account,
    ApiPath(uid): ApiPath<u32>,
    req: Request,
) -> Result<Response, ApiError> {
    let drafts = drafts_mailbox(&acct).await?;
    let mb = &drafts;
    let (read, uidplus) =
        acct.read(|mut c| async move { Ok((message::size(&mut c, mb, uid, None).await?, c.has("UIDPLUS"))) }).await?;
    found_message(read, uid, None)?;
    if !uidplus {
        // without UID EXPUNGE the old draft could not be removed exactly: refuse before saving
        return Err(ImapError::Unsupported("UIDPLUS").into());
    }
    let (c, files, _) = compose_of(req, "draft-replace").await?;
    let saved = store_draft(&state, &acct, (&c, files), Some(&drafts)).await?;
    let deleted = acct.write(|mut c| async move { transfer::delete(&mut c, mb, uid, true).await }).await?;
    if deleted != Deleted::Expunged {
        tracing::warn!("a replaced draft was already gone");
    }
    Ok(outcome(&saved, StatusCode::OK)?.into_response())
}

/// The stored draft, not the request, is what cannot be sent (its headers, or recipients the
/// submission server refused all of): 409, with the checks' words and the server's answer.
fn not_sendable(e: ApiError) -> ApiError {
    if e.status != StatusCode::UNPROCESSABLE_ENTITY || !["invalid-properties", "recipients-refused"].contains(&e.slug) {
        return e;
    }
    let mut conflict = ApiError::new(StatusCode::CONFLICT, "draft-not-sendable", "The draft cannot be sent as it is");
    conflict.detail = e.detail;
    conflict.invalid_params = e.invalid_params;
    conflict.smtp = e.smtp;
    conflict.settles_key = e.settles_key;
    conflict
}

/// Send a stored draft, then remove it from Drafts.
///
/// The draft is submitted over SMTP as the account (as `POST /v1/messages/send` would), a copy is
/// saved to Sent unless `saveToSent=false`, and only then is the draft expunged from Drafts.
#[utoipa::path(post, path = "/v1/drafts/{uid}/send", tag = "sending", security(("bearer" = [])),
    params(("uid" = u32, Path, description = "UID of the draft in the Drafts mailbox"), super::SendQuery, IdempotencyKey),
    responses(
        (status = 201, body = SendResult),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "no such draft, or `no-drafts-mailbox`"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "`draft-not-sendable`: the stored draft has no recipient, no single From, or a From that is not an identity (`invalidParams` names the header), or the submission server refused every recipient (`smtp`, `rejected`)"),
    ))]
pub async fn send_draft(
    State(state): State<AppState>,
    acct: Account,
    ApiPath(uid): ApiPath<u32>,
    ApiQuery(q): ApiQuery<super::SendQuery>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let save = q.save_to_sent.unwrap_or(true);
    let print = idempotency::fingerprint(&[b"draft-send", &uid.to_be_bytes(), &[u8::from(save)]]);
    super::detached(async move {
        let work = || async {
            let drafts = drafts_mailbox(&acct).await?;
            let bytes = letter::raw_message(&acct, &drafts, uid).await?;
            let built = raw::built(&state, &acct, &bytes, true).await.map_err(not_sendable)?;
            let result: SendResult = deliver::send(&state, &acct, &built, save).await.map_err(not_sendable)?;
            let mb = &drafts;
            if let Err(e) = acct.write(|mut c| async move { transfer::delete(&mut c, mb, uid, true).await }).await {
                tracing::warn!(problem = ApiError::from(e).slug, "a sent draft could not be removed from Drafts");
            }
            sent(&result)
        };
        idempotency::once(&state, acct.id(), &headers, print, work).await
    })
    .await
}
