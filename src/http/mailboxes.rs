//! `GET /v1/mailboxes`, `GET /v1/mailboxes/{mailbox}` and `GET /v1/mailboxes/{mailbox}/status`.

use axum::{
    Json,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    account::Account,
    extract::{ApiQuery, MailboxPath},
    headers::{header_value, not_modified},
    mailbox_views,
};
use crate::{
    http::error::ApiError,
    imap::{ImapError, encode::ListPattern, mailbox, namespace, rights},
    views::{
        mailbox::{ListQuery, MailboxList, MailboxState, MailboxStatus, NamespaceFilter},
        namespace::Namespaces,
        problem::Problem,
    },
};

/// List mailboxes with attributes, role, subscription and counts.
///
/// One LIST (with LIST-EXTENDED and LIST-STATUS where the server has them, else LIST and STATUS per
/// mailbox) answers every mailbox of the account's own namespace, or of every namespace with
/// `namespaces=all`. `pattern` is an IMAP LIST pattern (`*`, `%`). The answer has an ETag that
/// changes with any name, attribute or count: send it as `If-None-Match` to get 304.
#[utoipa::path(get, path = "/v1/mailboxes", tag = "mailboxes", params(ListQuery), security(("bearer" = [])), responses(
    (status = 200, body = MailboxList, headers(("ETag" = String, description = "changes whenever the list changes"))),
    (status = 304, description = "If-None-Match matched"),
))]
pub async fn list_mailboxes(
    acct: Account,
    ApiQuery(q): ApiQuery<ListQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let pattern = match q.pattern.as_deref() {
        Some(p) => ListPattern::parse(p)?,
        None => ListPattern::all(),
    };
    let subscribed = q.subscribed.unwrap_or(false);
    let counts = q.counts.unwrap_or(true);
    let (entries, source, spaces) = acct
        .read(|mut c| async move {
            let spaces = match namespace::namespaces(&mut c).await {
                Ok(n) => Some(n),
                // A server that offers NAMESPACE but refuses it still lists its mailboxes.
                Err(ImapError::Unsupported(_) | ImapError::No(_) | ImapError::Bad(_)) => None,
                Err(e) => return Err(e),
            };
            let (entries, source) = mailbox::list(&mut c, &pattern, subscribed, counts).await?;
            Ok((entries, source, spaces))
        })
        .await?;
    let mut list = mailbox_views::mailbox_list(&entries, source);
    if let Some(spaces) = &spaces {
        for m in &mut list.items {
            m.namespace = Some(spaces.of(&m.name).to_string());
        }
        if q.namespaces.unwrap_or(NamespaceFilter::Personal) == NamespaceFilter::Personal {
            list.items.retain(|m| m.namespace.as_deref() == Some("personal"));
        }
    }
    // The list's ETag covers every name, attribute and state in it.
    let body = serde_json::to_vec(&list).map_err(ApiError::internal)?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &body);
    let hex: String = digest.as_ref()[..12].iter().map(|b| format!("{b:02x}")).collect();
    with_etag(&headers, &format!("\"ls1.{hex}\""), Json(list))
}

/// Answers 304 when `If-None-Match` names `etag`, else `body` with the ETag.
fn with_etag(headers: &HeaderMap, etag: &str, body: impl IntoResponse) -> Result<Response, ApiError> {
    let mut out = HeaderMap::new();
    out.insert(header::ETAG, header_value(etag));
    if not_modified(headers, etag) {
        return Ok((StatusCode::NOT_MODIFIED, out).into_response());
    }
    Ok((out, body).into_response())
}

/// Examine a mailbox read-only: exists, recent, unseen, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, flags.
///
/// STATUS and EXAMINE: the counts, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, the flags the mailbox
/// allows, its `state` token for `/changes`, and `myRights` where the server has ACL. Never changes
/// `\Recent` or `\Seen`. The ETag is the state: `If-None-Match` gives 304 while nothing changed.
#[utoipa::path(get, path = "/v1/mailboxes/{mailbox}", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment (`Archive%2F2024`)")),
    responses(
        (status = 200, body = MailboxState, headers(("ETag" = String, description = "the state token"))),
        (status = 304, description = "If-None-Match matched"),
    ))]
pub async fn get_mailbox(
    acct: Account,
    MailboxPath(name): MailboxPath,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let m = &name;
    let (selected, my_rights) = acct
        .read(|mut c| async move {
            let selected = mailbox::examine(&mut c, m).await?;
            Ok((selected, rights::my_rights(&mut c, m).await?))
        })
        .await?;
    let mut view = mailbox_views::mailbox_state(name.as_str(), &selected);
    view.my_rights = my_rights;
    // The rights are in the body: a change of rights is a new ETag too.
    let etag = match &view.my_rights {
        Some(rights) => format!("\"{}.{rights}\"", view.state),
        None => format!("\"{}\"", view.state),
    };
    with_etag(&headers, &etag, Json(view))
}

/// STATUS of a mailbox without selecting it.
///
/// One STATUS: messages, recent, unseen, UIDNEXT, UIDVALIDITY and HIGHESTMODSEQ where the server
/// has it, without selecting the mailbox.
#[utoipa::path(get, path = "/v1/mailboxes/{mailbox}/status", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    responses(
        (status = 200, body = MailboxStatus),
    ))]
pub async fn get_mailbox_status(
    acct: Account,
    MailboxPath(name): MailboxPath,
) -> Result<Json<MailboxStatus>, ApiError> {
    let m = &name;
    let status = acct.read(|mut c| async move { mailbox::status(&mut c, m).await }).await?;
    Ok(Json(mailbox_views::mailbox_status(name.as_str(), &status)))
}

/// The account's namespaces.
///
/// The account's namespaces (NAMESPACE, RFC 2342): its own, other users' and shared ones, each with
/// its prefix and delimiter.
///
/// The personal, other users' and shared namespaces as the server reports them, each with its
/// prefix and hierarchy delimiter; 501 where the server has no NAMESPACE.
#[utoipa::path(get, path = "/v1/namespaces", tag = "mailboxes", security(("bearer" = [])), responses(
    (status = 200, body = Namespaces),
    (status = 501, body = Problem, content_type = "application/problem+json", description = "the server has no NAMESPACE"),
))]
pub async fn get_namespaces(acct: Account) -> Result<Json<Namespaces>, ApiError> {
    Ok(Json(acct.read(|mut c| async move { namespace::namespaces(&mut c).await }).await?))
}
