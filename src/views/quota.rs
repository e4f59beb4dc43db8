//! Quota: the quota roots of the account's INBOX and their resources.

use serde::Serialize;
use utoipa::ToSchema;

/// One resource of a quota root.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct QuotaResource {
    /// As the server names it, upper case: `STORAGE` (counted in KiB, units of 1,024 octets,
    /// as IMAP counts it), `MESSAGE` (messages), or another the server has.
    #[schema(example = "STORAGE")]
    pub name: String,
    /// Current usage, in the resource's unit.
    pub usage: u64,
    /// Limit, in the resource's unit.
    pub limit: u64,
}

/// A quota root.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct QuotaRoot {
    /// The root's name (`User quota`; may be empty).
    pub name: String,
    /// Its resources; empty when the server gives none.
    pub resources: Vec<QuotaResource>,
}

/// `GET /v1/quota`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Quota {
    /// Every quota root of INBOX.
    pub roots: Vec<QuotaRoot>,
}
