//! Settings that protect the gateway and its users: login rate limits, CORS, the header that
//! names the client behind a proxy, and per-account concurrency.

use serde::{Deserialize, Serialize};

/// `[protection]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProtectionSettings {
    /// Failed logins per minute allowed per client IP and per username; then 429.
    pub login_failures_per_minute: usize,
    /// Header that carries the client IP when behind a trusted proxy (e.g. `x-real-ip`).
    /// Unset: the TCP peer address. Never set this without a proxy that overwrites it.
    pub client_ip_header: Option<String>,
    /// Origins allowed to call the API from a browser (exact `scheme://host[:port]`). Empty:
    /// no CORS headers at all.
    pub cors_origins: Vec<String>,
    /// Requests one account may have in flight at once; more answer 429.
    pub per_account_concurrency: usize,
}

impl Default for ProtectionSettings {
    fn default() -> Self {
        Self {
            login_failures_per_minute: 10,
            client_ip_header: None,
            cors_origins: Vec::new(),
            per_account_concurrency: 32,
        }
    }
}
