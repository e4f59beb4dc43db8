//! Settings of the live-event watchers and of webhook delivery.

use serde::{Deserialize, Serialize};

/// Live events (`GET /v1/events`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventsSettings {
    /// IDLE is re-issued after this many seconds (RFC 2177 servers may drop it after 30 min).
    pub idle_refresh_secs: u64,
    /// Mailboxes other than the IDLE one are checked with STATUS this often, in seconds.
    pub poll_secs: u64,
    /// A watcher stops this many seconds after its last subscriber left.
    pub linger_secs: u64,
    /// Events kept per account for `Last-Event-ID` replay.
    pub replay_buffer: usize,
    /// A heartbeat comment is sent this often, in seconds.
    pub heartbeat_secs: u64,
    /// Most mailboxes one account's open event streams follow together, and its webhooks
    /// together (so most in one request; default 20); past it 422 `too-many-watched-mailboxes`.
    pub max_mailboxes: usize,
    /// Most open event streams of one account in this process (default 10); past it 429
    /// `too-many-streams`.
    pub max_streams_per_account: usize,
    /// First reconnect delay after the watcher's connection fails, in milliseconds (doubled up
    /// to 60 s, with full jitter).
    pub reconnect_base_ms: u64,
}

impl Default for EventsSettings {
    fn default() -> Self {
        Self {
            idle_refresh_secs: 25 * 60,
            poll_secs: 30,
            linger_secs: 180,
            replay_buffer: 1000,
            heartbeat_secs: 15,
            max_mailboxes: 20,
            max_streams_per_account: 10,
            reconnect_base_ms: 500,
        }
    }
}

/// Webhook registration and delivery.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Accept `http://` URLs (https only otherwise).
    pub allow_http: bool,
    /// Accept loopback, private and other internal addresses. Tests only: this opens SSRF.
    pub allow_internal: bool,
    /// If not empty, only these host names may receive webhooks.
    pub allowed_hosts: Vec<String>,
    /// Most webhooks per account.
    pub per_account_max: usize,
    /// Attempts per delivery before it is given up.
    pub max_attempts: u32,
    /// First retry delay in milliseconds; doubled per attempt, with full jitter.
    pub retry_base_ms: u64,
    /// Longest retry delay in milliseconds.
    pub retry_max_ms: u64,
    /// Deadline of one delivery attempt, in milliseconds.
    pub timeout_ms: u64,
    /// How often the delivery worker looks for due deliveries, in milliseconds.
    pub poll_ms: u64,
    /// Delivered and failed deliveries (with their attempts) are purged this many seconds
    /// after they were queued (default 7 days).
    pub delivery_retention_secs: u64,
    /// Deliveries in flight at once per instance (default 8).
    pub concurrency: usize,
    /// Deliveries of one account in flight at once per instance (default 2), so that one
    /// account's slow receivers hold at most this share of the workers.
    pub per_account_concurrency: usize,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_http: false,
            allow_internal: false,
            allowed_hosts: Vec::new(),
            per_account_max: 10,
            max_attempts: 10,
            retry_base_ms: 2_000,
            retry_max_ms: 15 * 60 * 1000,
            timeout_ms: 10_000,
            poll_ms: 1_000,
            delivery_retention_secs: 7 * 24 * 3600,
            concurrency: 8,
            per_account_concurrency: 2,
        }
    }
}
