//! Live-event shapes (`GET /v1/events`, and webhook bodies).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Query of `GET /v1/events`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Comma-separated mailboxes to watch (default `INBOX`). Names containing a comma cannot
    /// be watched.
    pub mailboxes: Option<String>,
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
    pub time: String,
    /// For `mailbox.changed`: `uidvalidity-changed` when the client must resync.
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
