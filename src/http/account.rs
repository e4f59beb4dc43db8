//! The account of a request: the verified user of its access token and, on first use, the
//! account's IMAP pool, through which handlers run IMAP operations. The pool comes only from
//! `App::pool_for` of the token's verified `sub`, and only when the first operation runs, so
//! every check of the request's input comes first.

use std::{future::Future, sync::Arc};

use axum::{extract::FromRequestParts, http::request::Parts};
use tokio::sync::OnceCell;

use super::extract::AuthUser;
use crate::{
    auth::jwt::Claims,
    http::error::ApiError,
    imap::{AccountPool, ImapError, cache::CacheScope, encode::MailboxName, mailbox, pool::Pooled, run},
    state::AppState,
};

/// The verified user of a request and its account's pool.
#[derive(Debug)]
pub struct Account {
    user: AuthUser,
    state: AppState,
    pool: OnceCell<Arc<AccountPool>>,
}

/// Why an IMAP operation of a request failed: the account has no usable pool (already a
/// problem), or the operation failed (a handler may map some IMAP errors to its own problems).
#[derive(Debug)]
pub enum RunError {
    /// Getting the account's pool failed.
    Account(ApiError),
    /// The operation failed.
    Imap(ImapError),
}

impl RunError {
    /// The problem, with IMAP errors mapped by `map`.
    pub fn map_imap(self, map: impl FnOnce(ImapError) -> ApiError) -> ApiError {
        match self {
            Self::Account(e) => e,
            Self::Imap(e) => map(e),
        }
    }
}

impl From<RunError> for ApiError {
    fn from(e: RunError) -> Self {
        e.map_imap(ApiError::from)
    }
}

impl FromRequestParts<AppState> for Account {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        Ok(Self::of(user, state))
    }
}

impl Account {
    /// The account of an admitted user.
    pub fn of(user: AuthUser, state: &AppState) -> Self {
        Self { user, state: state.clone(), pool: OnceCell::new() }
    }

    /// The account id (the token's `sub`).
    pub fn id(&self) -> &str {
        &self.user.claims.sub
    }

    /// The verified claims of the access token.
    pub fn claims(&self) -> &Claims {
        &self.user.claims
    }

    /// Gets the account's pool now, so that operations run concurrently afterwards (a search
    /// over many mailboxes) share it, and a failure to get it is answered once.
    pub async fn ensure_pool(&self) -> Result<(), ApiError> {
        self.pool().await.map(|_| ()).map_err(ApiError::from)
    }

    /// The account's pool, from `pool_for` the first time.
    async fn pool(&self) -> Result<&Arc<AccountPool>, RunError> {
        self.pool
            .get_or_try_init(|| self.state.pool_for(&self.user.claims.sub))
            .await
            .map_err(|e| RunError::Account(e.into()))
    }

    /// Runs a read-only `op` on a checked-out connection, once more (a clone of `op`) on a
    /// fresh connection if the pooled one was dead (`imap::run::read`). Never use this for
    /// commands that change mailbox state.
    pub async fn read<T, F, Fut>(&self, op: F) -> Result<T, RunError>
    where
        F: FnOnce(Pooled) -> Fut + Clone,
        Fut: Future<Output = Result<T, ImapError>>,
    {
        run::read(self.pool().await?, op).await.map_err(RunError::Imap)
    }

    /// Runs `op` exactly once (for commands that change state; `imap::run::once`).
    pub async fn write<T, F, Fut>(&self, op: F) -> Result<T, RunError>
    where
        F: FnOnce(Pooled) -> Fut,
        Fut: Future<Output = Result<T, ImapError>>,
    {
        run::once(self.pool().await?, op).await.map_err(RunError::Imap)
    }

    /// A connection of its own, for a download that streams after the handler returns.
    pub async fn connection(&self) -> Result<Pooled, ApiError> {
        Ok(self.pool().await.map_err(ApiError::from)?.get().await?)
    }

    /// The process's caches, scoped to this account.
    pub fn cache(&self) -> CacheScope<'_> {
        CacheScope::of(&self.state.pools, &self.user.claims.sub)
    }

    /// Checks that each mailbox exists (STATUS on each, in order): 404 for the first that does
    /// not. Event streams and webhooks fail at once rather than leave the watcher retrying a
    /// mailbox that does not exist.
    pub async fn mailboxes_exist(&self, mailboxes: &[MailboxName]) -> Result<(), ApiError> {
        for m in mailboxes {
            self.read(|mut c| async move { mailbox::status(&mut c, m).await }).await?;
        }
        Ok(())
    }
}
