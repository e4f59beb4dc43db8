//! `POST /v1/events/ticket` and the caller of `GET /v1/events`: who opens a stream, on which
//! mailboxes, from where. A ticket stands in for the `Authorization` header a browser's
//! `EventSource` cannot send, so an access token never goes in a URL.

use axum::{Json, extract::State, http::HeaderMap};

use super::{
    account::Account,
    extract::{ApiJson, AuthUser},
};
use crate::{
    auth::{jwt::Claims, tokens},
    http::error::ApiError,
    imap::encode::MailboxName,
    state::AppState,
    store::event_tickets::EventTicket as Stored,
    views::{
        events::{EventTicket, EventTicketRequest, EventsQuery},
        problem::Problem,
    },
};

/// How long a ticket stays valid unused, in seconds.
pub const TICKET_TTL_SECS: i64 = 60;

/// Unexpired tickets one account may hold at once.
pub const TICKETS_PER_ACCOUNT: i64 = 20;

/// Prefix of every ticket.
const PREFIX: &str = "evt_";

/// Who opens a stream and what it follows.
#[derive(Debug)]
pub struct Watch {
    /// The caller's account.
    pub account: Account,
    /// The mailboxes, checked to exist.
    pub mailboxes: Vec<MailboxName>,
    /// Where the stream resumes.
    pub last_event_id: Option<String>,
}

/// A single-use ticket for `GET /v1/events?ticket=…`.
///
/// For a browser's `EventSource`, which cannot send `Authorization`. The ticket is valid for 60
/// seconds, opens one stream, and binds it to the account and to the mailboxes asked; the stream
/// ends when the access token that asked for the ticket expires or is revoked, as a stream
/// opened with that token would. To reconnect, ask a new ticket with `lastEventId`.
#[utoipa::path(post, path = "/v1/events/ticket", tag = "sync", security(("bearer" = [])),
    request_body(content = EventTicketRequest, content_type = "application/json"),
    responses(
        (status = 200, body = EventTicket, description = "the ticket"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "a mailbox does not exist"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "a mailbox name is too long (`mailbox-name-too-long`) or refused by the IMAP server"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "the account holds 20 unused tickets (`too-many-tickets`)"),
    ))]
pub async fn create_ticket(
    State(st): State<AppState>,
    account: Account,
    ApiJson(req): ApiJson<EventTicketRequest>,
) -> Result<Json<EventTicket>, ApiError> {
    let names = req.mailboxes.unwrap_or_else(|| vec!["INBOX".into()]);
    if req
        .last_event_id
        .as_deref()
        .is_some_and(|id| id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(ApiError::bad_request("lastEventId: 1 to 128 printable ASCII characters"));
    }
    let mailboxes = checked(&st, &account, &names).await?;
    let ticket = tokens::new_token(PREFIX);
    let now = crate::store::now();
    let expires_at = (now + TICKET_TTL_SECS).min(account.claims().exp);
    let names: Vec<String> = mailboxes.iter().map(|m| m.as_str().to_string()).collect();
    let stored = Stored {
        account_id: account.id().to_string(),
        mailboxes: serde_json::to_string(&names).map_err(ApiError::internal)?,
        last_event_id: req.last_event_id,
        claims: serde_json::to_string(account.claims()).map_err(ApiError::internal)?,
    };
    if !st.store.put_event_ticket(&tokens::hash(&ticket), &stored, now, expires_at, TICKETS_PER_ACCOUNT).await? {
        return Err(ApiError::new(axum::http::StatusCode::TOO_MANY_REQUESTS, "too-many-tickets", "Too many tickets")
            .detail(format!(
                "an account may hold {TICKETS_PER_ACCOUNT} unused tickets; each lapses after {TICKET_TTL_SECS} s"
            ))
            .retry_after(TICKET_TTL_SECS as u64));
    }
    Ok(Json(EventTicket {
        ticket,
        expires_at: chrono::DateTime::from_timestamp(expires_at, 0).unwrap_or_default().to_rfc3339(),
        expires_in: u64::try_from(expires_at - now).unwrap_or(0),
        mailboxes: names,
    }))
}

/// The caller of `GET /v1/events`: the bearer token's account and the `mailboxes` query, or
/// the ticket's account and mailboxes (never both ways at once).
pub async fn caller(st: &AppState, q: &EventsQuery, headers: &HeaderMap) -> Result<Watch, ApiError> {
    let header_id = headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_string);
    let Some(ticket) = q.ticket.as_deref() else {
        let account = Account::of(AuthUser::admit(super::extract::bearer_claims(headers, st).await?, st).await?, st);
        let names: Vec<String> = match q.mailboxes.as_deref() {
            None | Some("") => vec!["INBOX".into()],
            Some(list) => list.split(',').map(str::to_string).collect(),
        };
        let mailboxes = checked(st, &account, &names).await?;
        return Ok(Watch { account, mailboxes, last_event_id: header_id });
    };
    if headers.contains_key(axum::http::header::AUTHORIZATION) {
        return Err(ApiError::bad_request("send either an Authorization header or a ticket, not both"));
    }
    let invalid = || ApiError::unauthorized("the ticket is unknown, used or expired; ask a new one");
    if !ticket.starts_with(PREFIX) || ticket.len() > 100 {
        return Err(invalid());
    }
    // A ticket lapses no later than its token (`create_ticket`): taken, the token is unexpired.
    let t = st.store.take_event_ticket(&tokens::hash(ticket), crate::store::now()).await?.ok_or_else(invalid)?;
    let claims: Claims = serde_json::from_str(&t.claims).map_err(ApiError::internal)?;
    let names: Vec<String> = serde_json::from_str(&t.mailboxes).map_err(ApiError::internal)?;
    if q.mailboxes.as_deref().is_some_and(|m| m.split(',').ne(names.iter().map(String::as_str))) {
        return Err(ApiError::bad_request("mailboxes: a ticket's stream watches the mailboxes it was asked for"));
    }
    let account = Account::of(AuthUser::admit(claims, st).await?, st);
    let mailboxes = checked(st, &account, &names).await?;
    Ok(Watch { account, mailboxes, last_event_id: header_id.or(t.last_event_id) })
}

/// Parses `names` (at most `events.max_mailboxes`) and checks that each exists.
async fn checked(st: &AppState, account: &Account, names: &[String]) -> Result<Vec<MailboxName>, ApiError> {
    let max = st.settings.events.max_mailboxes;
    if names.is_empty() || names.len() > max {
        return Err(ApiError::bad_request(format!("mailboxes: 1 to {max}")));
    }
    let mailboxes = names.iter().map(|n| MailboxName::parse(n)).collect::<Result<Vec<_>, _>>()?;
    account.mailboxes_exist(&mailboxes).await?;
    Ok(mailboxes)
}
