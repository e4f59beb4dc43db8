//! sqlx repositories over SQLite or PostgreSQL (the `Any` driver): the only code that names a
//! table. Queries use `$n` placeholders, which both backends accept.

pub(crate) mod accounts;
pub(crate) mod deliveries;
pub(crate) mod event_tickets;
pub(crate) mod idempotency;
pub(crate) mod leases;
pub(crate) mod limits;
pub(crate) mod purge;
pub(crate) mod refresh;
pub(crate) mod revocation_cache;
pub(crate) mod revocations;
pub(crate) mod sealed;
pub(crate) mod sends;
pub(crate) mod webhooks;

use std::time::Duration;

use sqlx::{AnyPool, any::AnyPoolOptions};

/// Errors of the store boundary.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed or is unreachable.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    /// Recent "not revoked" answers (shared by clones).
    revocations: std::sync::Arc<revocation_cache::RevocationCache>,
    /// PostgreSQL, which several instances share: limits are kept in the database.
    shared: bool,
}

impl Store {
    /// Connects (creating a SQLite file if missing) without migrating.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let url = if sqlite { sqlite_url(url) } else { url.to_string() };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&url)
            .await?;
        if sqlite && !url.contains(":memory:") {
            // WAL lets readers run beside the single writer; the setting persists in the file.
            sqlx::query("PRAGMA journal_mode=WAL").execute(&pool).await?;
        }
        Ok(Self { pool, revocations: Default::default(), shared: !sqlite })
    }

    /// Applies pending migrations. Safe when several instances start at once: sqlx takes a
    /// lock (an advisory lock on PostgreSQL).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations").run(&self.pool).await?;
        Ok(())
    }

    /// A cheap round trip, for readiness.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// True on PostgreSQL, where instances share the database and so keep limits in it
    /// (SQLite serves one instance: its limits stay in memory).
    pub fn shared(&self) -> bool {
        self.shared
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// Lets sqlx create a missing SQLite file (`mode=rwc`) unless the URL says otherwise.
fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") {
        return url.to_string();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}mode=rwc")
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Store {
    /// The underlying pool, for tests that need raw SQL (database creation).
    #[doc(hidden)]
    pub fn any_pool(&self) -> &AnyPool {
        &self.pool
    }
}
