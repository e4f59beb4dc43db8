//! A conversation across mailboxes.

use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::search::MailboxMatch;

/// `GET /v1/threads/{threadId}`
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Thread {
    /// The thread id asked for.
    pub thread_id: String,
    /// Its messages in the mailboxes searched, oldest first (by Date, then INTERNALDATE), each
    /// a summary with its mailbox and UID.
    pub messages: Vec<MailboxMatch>,
    /// How many mailboxes were searched.
    pub mailboxes_searched: usize,
}

/// Query of `GET /v1/threads/{threadId}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreadQuery {
    /// Mailboxes to search, the parameter repeated for each (at most 100); by default every
    /// selectable mailbox but those with the role `trash` or `junk`.
    #[param(explode = true, style = Form)]
    pub mailboxes: Option<Vec<String>>,
}
