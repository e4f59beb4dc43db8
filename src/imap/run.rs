//! Running an operation on a pooled connection, with one retry on a fresh connection when an
//! idempotent read finds its pooled connection dead (for example after a server restart).

use futures_util::future::BoxFuture;

use super::{error::ImapError, pool::AccountPool, session::ImapConn};

/// Runs a read-only `op`. If the pooled connection turns out to be dead, the account's idle
/// connections are dropped and `op` runs once more on a new connection. Never use this for
/// commands that change mailbox state.
pub async fn read<T, F>(pool: &AccountPool, op: F) -> Result<T, ImapError>
where
    F: for<'c> Fn(&'c mut ImapConn) -> BoxFuture<'c, Result<T, ImapError>>,
{
    let mut conn = pool.get().await?;
    match op(&mut conn).await {
        Err(e) if e.is_connection_failure() => {
            drop(conn);
            drop(pool.drop_idle());
            let mut conn = pool.get().await?;
            op(&mut conn).await
        }
        other => other,
    }
}

/// Runs `op` exactly once (for commands that change state).
pub async fn once<T, F>(pool: &AccountPool, op: F) -> Result<T, ImapError>
where
    F: for<'c> FnOnce(&'c mut ImapConn) -> BoxFuture<'c, Result<T, ImapError>>,
{
    let mut conn = pool.get().await?;
    op(&mut conn).await
}
