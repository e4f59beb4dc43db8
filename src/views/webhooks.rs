//! Webhook shapes: registration, listing, deliveries, and the signed delivery body.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewWebhook {
    /// Where deliveries are POSTed (https).
    pub url: String,
    /// Event types to deliver (default: all four).
    pub events: Option<Vec<String>>,
    /// Mailboxes to watch (default `["INBOX"]`).
    pub mailboxes: Option<Vec<String>>,
}

/// A registered webhook.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// Id.
    pub id: String,
    /// Destination.
    pub url: String,
    /// Event types delivered.
    pub events: Vec<String>,
    /// Mailboxes watched.
    pub mailboxes: Vec<String>,
    /// Created (RFC 3339).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The signing secret, `whsec_` and base64 (Standard Webhooks): returned once, at
    /// registration only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("mailboxes", &self.mailboxes)
            .field("created_at", &self.created_at)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// The account's webhooks.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookList {
    /// Oldest first.
    pub items: Vec<Webhook>,
}

/// One delivery attempt.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView {
    /// 1-based.
    pub attempt: i64,
    /// When (RFC 3339).
    #[schema(format = DateTime)]
    pub at: String,
    /// The receiver's status code, if it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<i64>,
    /// What went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Duration.
    pub duration_ms: i64,
}

/// One delivery with its attempts.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    /// Delivery id (the `Webhook-Id` header).
    pub id: String,
    /// Event type.
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// Next attempt (pending only, RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
    /// Queued (RFC 3339).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Attempts, oldest first.
    pub history: Vec<AttemptView>,
}

/// Recent deliveries of a webhook.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryList {
    /// Newest first (at most 50).
    pub items: Vec<DeliveryView>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_never_shows_the_secret() {
        let w = super::Webhook {
            id: "wh_1".into(),
            url: "https://example.com/h".into(),
            events: vec![],
            mailboxes: vec![],
            created_at: String::new(),
            secret: Some("whsec_very-secret".into()),
        };
        let shown = format!("{w:?} {:?}", super::WebhookList { items: vec![w.clone()] });
        assert!(!shown.contains("very-secret") && shown.contains("[redacted]"), "{shown}");
    }
}
