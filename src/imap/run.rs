//! Running an operation on a pooled connection, with one retry on a fresh connection when an
//! idempotent read finds its pooled connection dead (for example after a server restart).
//!
//! An operation is a closure that takes the checked-out connection and returns a future that
//! owns it (the connection goes back to the pool when that future ends). Taking the connection
//! by value keeps the future free of higher-ranked lifetimes, so callers' futures stay `Send`
//! without boxing.

use std::future::Future;

use super::{error::ImapError, pool::AccountPool, pool::Pooled};

/// Runs a read-only `op`. If the pooled connection turns out to be dead, the account's idle
/// connections are dropped and `op` (a clone of it) runs once more on a new connection. Never
/// use this for commands that change mailbox state.
pub async fn read<T, F, Fut>(pool: &AccountPool, op: F) -> Result<T, ImapError>
where
    F: FnOnce(Pooled) -> Fut + Clone,
    Fut: Future<Output = Result<T, ImapError>>,
{
    let conn = pool.get().await?;
    // The connection is dropped (back to the pool, or discarded) when the first run ends.
    match op.clone()(conn).await {
        Err(e) if e.is_connection_failure() => {
            drop(pool.drop_idle());
            let conn = pool.get().await?;
            op(conn).await
        }
        other => other,
    }
}

/// Runs `op` exactly once (for commands that change state).
pub async fn once<T, F, Fut>(pool: &AccountPool, op: F) -> Result<T, ImapError>
where
    F: FnOnce(Pooled) -> Fut,
    Fut: Future<Output = Result<T, ImapError>>,
{
    op(pool.get().await?).await
}
