//! `GET /v1/capabilities`

use serde::Serialize;
use utoipa::ToSchema;

/// What the server advertises and what the gateway makes of it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    /// Capabilities the IMAP server advertised after login, upper case.
    pub imap: Vec<String>,
    /// `IMAP4rev1` or `IMAP4rev2`.
    pub imap_version: String,
    /// How the gateway serves this server.
    pub gateway: GatewayFeatures,
}

/// The gateway's use of the server's extensions.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayFeatures {
    /// Mailbox counts in one round trip (LIST-STATUS) rather than one STATUS each.
    pub list_status: bool,
    /// Mailbox roles from SPECIAL-USE.
    pub special_use: bool,
    /// Modification sequences (CONDSTORE).
    pub condstore: bool,
    /// Non-synchronizing literals (LITERAL+).
    pub literal_plus: bool,
    /// UIDs of appended and copied messages (UIDPLUS).
    pub uidplus: bool,
    /// Atomic moves (MOVE).
    pub r#move: bool,
    /// Closing a mailbox without expunging (UNSELECT).
    pub unselect: bool,
    /// Largest page size of message lists.
    pub max_page_size: u32,
    /// Connections the gateway keeps per account.
    pub max_connections_per_account: usize,
}
