//! Search requests and results.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::message::MessageSummary;

/// One sort criterion.
#[derive(Clone, Debug, Deserialize, ToSchema, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SortSpec {
    /// `arrival` (or `receivedAt`), `sentAt`, `from`, `to`, `cc`, `subject` or `size`.
    pub property: String,
    /// Ascending order (default false: newest, largest, Z first).
    #[serde(default)]
    pub is_ascending: bool,
}

/// `POST /v1/mailboxes/{mailbox}/search`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchRequest {
    /// JMAP-style filter (`Filter`): a condition object (all properties ANDed) or
    /// `{"operator": "AND"|"OR"|"NOT", "conditions": [...]}`, nested. `\Deleted` messages are
    /// excluded unless the filter mentions `deleted`. Absent: every message.
    #[schema(value_type = Object)]
    pub filter: Option<serde_json::Value>,
    /// Sort order (needs the server's SORT); default newest first.
    pub sort: Option<Vec<SortSpec>>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<u32>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// `uids` (default) or `summaries` (adds `items`).
    pub r#return: Option<String>,
    /// One result per thread: its first match in result order (the newest unless sorted),
    /// with `threadSize` and `threadUnread` of the thread in the mailbox on summaries.
    pub collapse_threads: Option<bool>,
}

/// Result of a mailbox search.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResponse {
    /// UIDs of this page, in result order.
    pub uids: Vec<u32>,
    /// All matches.
    pub total: usize,
    /// Cursor of the next page, null on the last.
    pub next_cursor: Option<String>,
    /// Summaries of this page, with `return: "summaries"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<MessageSummary>>,
}

/// `POST /v1/search`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MultiSearchRequest {
    /// Mailboxes to search; all selectable ones when absent (at most 100).
    pub mailboxes: Option<Vec<String>>,
    /// The filter, as in the mailbox search.
    #[schema(value_type = Object)]
    pub filter: Option<serde_json::Value>,
    /// How many of the newest matches to return, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// A match of a multi-mailbox search.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailboxMatch {
    /// The mailbox.
    pub mailbox: String,
    /// The message.
    #[serde(flatten)]
    pub message: MessageSummary,
}

/// Result of `POST /v1/search`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MultiSearchResponse {
    /// The newest matches over all searched mailboxes, by receivedAt.
    pub items: Vec<MailboxMatch>,
    /// Matches over all searched mailboxes.
    pub total: usize,
    /// Mailboxes searched.
    pub mailboxes_searched: usize,
}
