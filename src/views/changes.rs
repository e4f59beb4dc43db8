//! `/changes` request and answer shapes (api-model §2.7).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Query of `GET /v1/mailboxes/{mailbox}/changes`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// A `state` from a mailbox response, or the `newState` of an earlier answer.
    pub since: String,
    /// Most changes in one answer (1–10000, default 1000). Deletions are never cut. An answer
    /// also ends at the gateway's `imap.changes_collect_max` (default 10000), with
    /// `hasMoreChanges`.
    pub max_changes: Option<u32>,
    /// UIDs the client holds, as a UID set (`1:40,52`). Needed to list deletions when the
    /// server lacks QRESYNC and messages were expunged.
    pub known_uids: Option<String>,
}

/// A message whose flags changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdatedMessage {
    /// UID.
    pub uid: u32,
    /// Keywords now set (`$seen`, `$flagged`, custom keywords lower-cased).
    pub keywords: BTreeMap<String, bool>,
    /// True if `\Deleted` is set.
    pub deleted: bool,
    /// MODSEQ of the change (a decimal string); absent for a scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mod_seq: Option<String>,
}

/// What changed in a mailbox since a state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Changes {
    /// The mailbox.
    pub mailbox: String,
    /// The `since` state.
    pub old_state: String,
    /// The state after these changes; ask again with it.
    pub new_state: String,
    /// True if `newState` is intermediate and more changes follow.
    pub has_more_changes: bool,
    /// New UIDs.
    pub created: Vec<u32>,
    /// Messages whose flags changed, with their flags now.
    pub updated: Vec<UpdatedMessage>,
    /// Expunged UIDs.
    pub destroyed: Vec<u32>,
    /// `qresync`, `condstore` or `scan`.
    pub sync_method: String,
}
