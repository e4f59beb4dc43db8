//! `POST/GET /v1/webhooks`, `DELETE /v1/webhooks/{id}`, `GET /v1/webhooks/{id}/deliveries`.

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    account::Account,
    extract::{ApiJson, ApiPath, AuthUser},
};
use crate::{
    auth::WEBHOOK_SECRET_FIELD,
    http::error::ApiError,
    imap::encode::MailboxName,
    state::AppState,
    store::{deliveries::Delivery, webhooks::Webhook as Row},
    views::{
        problem::Problem,
        webhooks::{AttemptView, DeliveryList, DeliveryView, NewWebhook, Webhook, WebhookList},
    },
    webhooks::{EVENT_TYPES, sign, ssrf},
};

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn view(r: &Row, secret: Option<String>) -> Webhook {
    Webhook {
        id: r.id.clone(),
        url: r.url.clone(),
        events: r.events.clone(),
        mailboxes: r.mailboxes.clone(),
        created_at: rfc3339(r.created_at),
        secret,
    }
}

fn too_many(max: usize) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "too-many-webhooks", "The account has too many webhooks")
        .detail(format!("at most {max}"))
}

/// Registers a webhook. The secret that signs its deliveries is in this answer only.
///
/// The URL must be https and resolve to a public address (unless the gateway allows otherwise);
/// deliveries are POSTed with the Standard Webhooks headers, signed with the secret, and retried
/// with backoff.
#[utoipa::path(post, path = "/v1/webhooks", tag = "sync", security(("bearer" = [])),
    request_body = NewWebhook,
    responses(
        (status = 201, body = Webhook, headers(("Location" = String, description = "the webhook"))),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "a mailbox does not exist"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "too many webhooks"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "URL refused (scheme, allow-list, internal address), unknown event type, or the account's webhooks would follow more than `events.max_mailboxes` mailboxes together (`too-many-watched-mailboxes`)"),
    ))]
pub async fn create_webhook(
    State(st): State<AppState>,
    acct: Account,
    ApiJson(req): ApiJson<NewWebhook>,
) -> Result<Response, ApiError> {
    let account = acct.id().to_string();
    let events = req.events.unwrap_or_else(|| EVENT_TYPES.iter().map(|e| e.to_string()).collect());
    if events.is_empty() || events.iter().any(|e| !EVENT_TYPES.contains(&e.as_str())) {
        return Err(ApiError::invalid_property(
            "events",
            "each must be one of message.created, message.updated, message.deleted, mailbox.changed",
        ));
    }
    let names = req.mailboxes.unwrap_or_else(|| vec!["INBOX".into()]);
    let max = st.settings.events.max_mailboxes;
    if names.is_empty() || names.len() > max {
        return Err(ApiError::invalid_property("mailboxes", "between 1 and max_mailboxes names"));
    }
    let mailboxes = names.iter().map(|n| MailboxName::parse(n)).collect::<Result<Vec<_>, _>>()?;
    // No name is resolved here (only at each delivery), so the answer tells nothing of DNS.
    ssrf::check(&req.url, &st.settings.webhooks).map_err(|e| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "webhook-url-refused", "This URL cannot receive webhooks")
            .detail(e.to_string())
    })?;
    let cap = st.settings.webhooks.per_account_max;
    // A quick answer before any IMAP; the insert enforces the cap atomically.
    let existing = st.store.webhooks(&account).await?;
    if existing.len() >= cap {
        return Err(too_many(cap));
    }
    // The account's webhooks together follow at most `max` mailboxes (the watcher's share).
    let followed: std::collections::BTreeSet<&str> = existing
        .iter()
        .flat_map(|h| h.mailboxes.iter().map(String::as_str))
        .chain(names.iter().map(String::as_str))
        .collect();
    if followed.len() > max {
        return Err(crate::sync::events::StreamRefused::TooManyMailboxes(max).into());
    }
    acct.mailboxes_exist(&mailboxes).await?;
    let id = format!("wh_{}", uuid::Uuid::new_v4().simple());
    let secret = sign::new_secret();
    let row = Row {
        id: id.clone(),
        account_id: account.clone(),
        url: req.url,
        events,
        mailboxes: mailboxes.iter().map(|m| m.as_str().to_string()).collect(),
        sealed_secret: st.auth.keyring.seal(&id, WEBHOOK_SECRET_FIELD, &secret),
        created_at: chrono::Utc::now().timestamp_millis(),
    };
    if !st.store.insert_webhook(&row, cap).await? {
        return Err(too_many(cap));
    }
    // Before the 201 the watcher follows the mailboxes and the dispatcher serves the new
    // webhook, so that every later change is delivered.
    let feed = st.follower.follow(&account, &row.mailboxes, &[]).await?;
    let told = st.webhooks.ensure(&account).await;
    let limit = std::time::Duration::from_secs(10);
    feed.wait_watching(&row.mailboxes, limit).await;
    told.served(limit).await;
    tracing::info!(account.id = %account, webhook.id = %id, "webhook registered");
    let mut resp = (StatusCode::CREATED, Json(view(&row, Some(secret)))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/webhooks/{id}")) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// The account's webhooks (without secrets).
///
/// Each webhook with its URL, event types, mailboxes and creation time; secrets are never shown
/// again.
#[utoipa::path(get, path = "/v1/webhooks", tag = "sync", security(("bearer" = [])),
    responses((status = 200, body = WebhookList)))]
pub async fn list_webhooks(State(st): State<AppState>, user: AuthUser) -> Result<Json<WebhookList>, ApiError> {
    let rows = st.store.webhooks(&user.claims.sub).await?;
    Ok(Json(WebhookList { items: rows.iter().map(|r| view(r, None)).collect() }))
}

/// Deletes a webhook and its queued deliveries.
///
/// The webhook stops at once; its deliveries, queued or done, are deleted. Answers 204.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "sync", security(("bearer" = [])),
    params(("id" = String, Path, description = "Webhook id")),
    responses((status = 204, description = "deleted"), (status = 404, body = Problem, content_type = "application/problem+json", description = "no such webhook of this account")))]
pub async fn delete_webhook(
    State(st): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    if !st.store.delete_webhook(&user.claims.sub, &id).await? {
        return Err(ApiError::not_found("no such webhook"));
    }
    // The webhook is gone from the store, so no delivery of it is made: nothing to wait for.
    drop(st.webhooks.ensure(&user.claims.sub).await);
    Ok(StatusCode::NO_CONTENT)
}

fn delivery_view(d: Delivery) -> DeliveryView {
    DeliveryView {
        next_attempt_at: (d.status == "pending").then(|| rfc3339(d.next_attempt_at)),
        id: d.id,
        event_type: d.event_type,
        status: d.status,
        attempts: d.attempts,
        created_at: rfc3339(d.created_at),
        history: d
            .history
            .into_iter()
            .map(|a| AttemptView {
                attempt: a.attempt,
                at: rfc3339(a.at),
                http_status: a.http_status,
                error: a.error,
                duration_ms: a.duration_ms,
            })
            .collect(),
    }
}

/// The webhook's 50 most recent deliveries with their attempts.
///
/// Each delivery with its event, status (`pending`, `delivered`, `failed`), attempts (time, HTTP
/// status or error, duration) and the time of the next attempt.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "sync", security(("bearer" = [])),
    params(("id" = String, Path, description = "Webhook id")),
    responses((status = 200, body = DeliveryList), (status = 404, body = Problem, content_type = "application/problem+json", description = "no such webhook of this account")))]
pub async fn list_deliveries(
    State(st): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DeliveryList>, ApiError> {
    match st.store.webhook(&id).await? {
        Some(w) if w.account_id == user.claims.sub => {}
        _ => return Err(ApiError::not_found("no such webhook")),
    }
    let items = st.store.recent_deliveries(&id, 50).await?;
    Ok(Json(DeliveryList { items: items.into_iter().map(delivery_view).collect() }))
}
