//! Mailbox views: LIST entries, EXAMINE state and STATUS counts.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One mailbox as LIST reports it.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Mailbox {
    /// Full name, hierarchy included, UTF-8 (`Projects/2026`); percent-encode it as one path segment.
    #[schema(example = "Projects/2026")]
    pub name: String,
    /// Hierarchy delimiter, if any.
    #[schema(example = "/")]
    pub delimiter: Option<String>,
    /// `inbox`, or the SPECIAL-USE role lower-cased (`sent`, `trash`, `drafts`, `junk`, `archive`, `all`, `flagged`).
    pub role: Option<String>,
    /// Subscribed (LSUB / `\Subscribed`).
    pub is_subscribed: bool,
    /// False for `\Noselect` and `\NonExistent` names.
    pub is_selectable: bool,
    /// From `\HasChildren` / `\HasNoChildren` when the server says.
    pub has_children: Option<bool>,
    /// Attributes exactly as the server sent them.
    pub attributes: Vec<String>,
    /// Counts, unless `counts=false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<MailboxCounts>,
    /// Opaque state token (with counts): changes whenever anything in the mailbox changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `personal`, `otherUsers` or `shared` (RFC 2342), where the server has NAMESPACE.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub namespace: Option<String>,
}

/// STATUS counts.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct MailboxCounts {
    /// Number of messages.
    pub messages: Option<u32>,
    /// Number of messages without `\Seen`.
    pub unseen: Option<u32>,
    /// The UID the next message will get.
    pub uid_next: Option<u32>,
    /// UIDVALIDITY.
    pub uid_validity: Option<u32>,
    /// HIGHESTMODSEQ as a string (CONDSTORE servers).
    pub highest_mod_seq: Option<String>,
}

/// `GET /v1/mailboxes`
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailboxList {
    /// The mailboxes: INBOX first, then by name.
    pub items: Vec<Mailbox>,
    /// `listStatus` (one round trip), `status` (one STATUS per mailbox, capped) or `none`.
    pub counts_source: String,
}

/// Query of `GET /v1/mailboxes`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only subscribed mailboxes.
    pub subscribed: Option<bool>,
    /// LIST pattern: `*` matches anything, `%` anything but the delimiter. Default `*`.
    pub pattern: Option<String>,
    /// Include counts (default true).
    pub counts: Option<bool>,
    /// `personal` (default): the account's own mailboxes; `all`: other users' and shared ones
    /// it can see too, each with its `namespace` (where the server has NAMESPACE).
    #[param(inline)]
    pub namespaces: Option<NamespaceFilter>,
}

/// Which namespaces a mailbox list covers.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum NamespaceFilter {
    /// The account's own mailboxes.
    Personal,
    /// Every mailbox the account can see.
    All,
}

/// `GET /v1/mailboxes/{mailbox}`: what EXAMINE reports.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailboxState {
    /// Full name.
    pub name: String,
    /// Opaque state token, also sent as the ETag: changes whenever anything in the mailbox changes.
    pub state: String,
    /// Number of messages.
    pub exists: u32,
    /// Messages with `\Recent`.
    pub recent: u32,
    /// Messages without `\Seen` (from STATUS).
    pub unseen: Option<u32>,
    /// UIDVALIDITY.
    pub uid_validity: Option<u32>,
    /// UIDNEXT.
    pub uid_next: Option<u32>,
    /// HIGHESTMODSEQ as a string.
    pub highest_mod_seq: Option<String>,
    /// Flags defined in the mailbox.
    pub flags: Vec<String>,
    /// Flags that can be stored permanently (empty for a read-only examination).
    pub permanent_flags: Vec<String>,
    /// True: the gateway examined the mailbox read-only.
    pub read_only: bool,
    /// The account's rights on the mailbox (MYRIGHTS, RFC 4314: `l` lookup, `r` read, `s` seen,
    /// `w` write flags, `i` insert, `p` post, `k` create, `x` delete, `t` delete messages,
    /// `e` expunge, `a` administer), where the server has ACL.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub my_rights: Option<String>,
}

/// `GET /v1/mailboxes/{mailbox}/status`
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailboxStatus {
    /// Full name.
    pub name: String,
    /// The counts.
    #[serde(flatten)]
    pub counts: MailboxCounts,
}

/// `POST /v1/mailboxes`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateMailbox {
    /// Full name (`Projects/2026`), or the last level when `parent` is given. Missing parents are created.
    pub name: String,
    /// Full name of the parent.
    pub parent: Option<String>,
    /// SPECIAL-USE role: `all`, `archive`, `drafts`, `flagged`, `junk`, `sent` or `trash` (needs CREATE-SPECIAL-USE).
    pub role: Option<String>,
    /// Subscribe to it (default true).
    pub subscribe: Option<bool>,
}

/// `PATCH /v1/mailboxes/{mailbox}`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenameMailbox {
    /// The new full name; children move along.
    pub name: String,
    /// Renaming INBOX moves its messages into a new mailbox and leaves INBOX empty (RFC 3501):
    /// say `true` to do that.
    pub allow_inbox_rename: Option<bool>,
}

/// Query of `DELETE /v1/mailboxes/{mailbox}`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// Also delete the mailboxes below it (default false: 409 if there are any).
    pub recursive: Option<bool>,
}

/// `POST /v1/mailboxes/{mailbox}/noop`
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NoopResult {
    /// Messages in the mailbox after the NOOP.
    pub exists: Option<u32>,
    /// How many messages the server reported expunged.
    pub expunged: u32,
    /// UIDs whose flags the server reported changed.
    pub flag_changes: Vec<u32>,
}

/// `POST /v1/mailboxes/{mailbox}/expunge`
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpungeRequest {
    /// Expunge exactly these UIDs (those among them that carry `\Deleted`; needs UIDPLUS).
    pub uids: Option<Vec<u32>>,
    /// Without `uids`: must be true to expunge every `\Deleted` message.
    pub all: Option<bool>,
}

/// Result of an expunge.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpungeResult {
    /// UIDs removed.
    pub expunged: Vec<u32>,
}

/// Query of `POST /v1/mailboxes/{mailbox}/close`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CloseQuery {
    /// CLOSE (expunging `\Deleted` messages) when true (default); UNSELECT when false.
    pub expunge: Option<bool>,
}
