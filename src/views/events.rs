//! Live-event shapes (`GET /v1/events`, and webhook bodies).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Query of `GET /v1/events`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Comma-separated mailboxes to watch (default `INBOX`). Names containing a comma cannot
    /// be watched here; ask a ticket for them. With `ticket`, the ticket's mailboxes are
    /// watched, and this, if given, must name the same ones.
    pub mailboxes: Option<String>,
    /// A single-use ticket from `POST /v1/events/ticket`, instead of an `Authorization` header
    /// (for a browser's `EventSource`, which cannot send one).
    /// (In the document as the `eventTicket` security scheme.)
    #[param(ignore)]
    pub ticket: Option<String>,
}

/// Body of `POST /v1/events/ticket`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventTicketRequest {
    /// The mailboxes the stream will watch (default `["INBOX"]`), at most
    /// `events.max_mailboxes`. Each must exist.
    #[schema(min_items = 1)]
    pub mailboxes: Option<Vec<String>>,
    /// Where the stream resumes, as `Last-Event-ID` would say: the `id` of the last event seen.
    /// A `Last-Event-ID` header on the stream's request wins over it.
    #[schema(min_length = 1, max_length = 128, pattern = "^[!-~]+$")]
    pub last_event_id: Option<String>,
}

/// A ticket for one event stream.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTicket {
    /// Opens one stream: `GET /v1/events?ticket=…`. Single-use.
    #[schema(pattern = "^evt_[A-Za-z0-9_-]{43}$")]
    pub ticket: String,
    /// When the ticket lapses if unused (RFC 3339).
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// Seconds until then.
    pub expires_in: u64,
    /// The mailboxes the stream will watch.
    pub mailboxes: Vec<String>,
}

/// One change in a watched mailbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventData {
    /// `message.created`, `message.updated`, `message.deleted` or `mailbox.changed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The mailbox.
    pub mailbox: String,
    /// The UIDs concerned (empty for `mailbox.changed`).
    pub uids: Vec<u32>,
    /// The mailbox state after the change (usable as `since` for `/changes`).
    pub state: String,
    /// When the gateway noticed the change (RFC 3339).
    #[schema(format = DateTime)]
    pub time: String,
    /// For `mailbox.changed`: `uidvalidity-changed` when the client must resync, `mailbox-gone`
    /// when the mailbox no longer exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Data of the `ready` event, sent first: whether the watcher follows the mailboxes yet.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReadyEvent {
    /// False if the watcher was not following them within the wait (events may come late).
    pub watching: bool,
}

/// Data of the `resync` event: events were lost; resynchronise with `/changes`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ResyncEvent {
    /// Why.
    pub reason: String,
}

/// The data of one event of the stream: a change, `ready` or `resync` (the `event:` field
/// says which).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum StreamEventData {
    /// `message.created`, `message.updated`, `message.deleted`, `mailbox.changed`.
    Change(EventData),
    /// `ready`.
    Ready(ReadyEvent),
    /// `resync`.
    Resync(ResyncEvent),
}
