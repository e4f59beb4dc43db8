//! The counters of one account's pool, and the guard inside each connection that keeps the
//! count of open connections true however the connection ends.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, AtomicUsize, Ordering},
};

/// Counters shared by one account's pool; tests and metrics read them.
#[derive(Debug, Default)]
pub struct PoolStats {
    /// Connections currently open.
    pub open: AtomicUsize,
    /// Highest number of connections ever open at once.
    pub peak_open: AtomicUsize,
    /// Successful logins.
    pub logins: AtomicU64,
    /// Connections thrown away because a command did not complete.
    pub discarded_in_flight: AtomicU64,
    /// Connections thrown away because the health check failed.
    pub discarded_unhealthy: AtomicU64,
    /// Refused logins.
    pub refused_logins: AtomicU64,
    /// Until when logins are parked after the server refused the stored credentials.
    pub(super) parked_until: Mutex<Option<std::time::Instant>>,
}

/// Lives inside a connection and keeps [`PoolStats::open`] true however it ends.
#[derive(Debug)]
pub struct OpenGuard(pub(super) Arc<PoolStats>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}
