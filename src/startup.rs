//! Builds the application (store, migrations, pools, router), binds its listener and runs it
//! until a shutdown signal, then drains: readiness off, in-flight requests finish within the
//! grace period, pooled connections LOGOUT.

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use tokio::net::TcpListener;

use crate::{
    auth::{Auth, credentials::Vault},
    config::{ConfigError, Settings},
    follow::Follower,
    imap::{Pools, connect::Target},
    state::{App, AppState},
    store::{Store, StoreError},
    sync::events::Hub,
    webhooks::Webhooks,
};

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Bad or missing settings.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Database unreachable or migration failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The listener could not bind.
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
    /// The SMTP settings cannot be used (a CA file that cannot be read).
    #[error("smtp: {0}")]
    Smtp(String),
}

/// A built application with a bound listener.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    /// `metrics.listen`: `/metrics` alone, on its own address.
    metrics_listener: Option<TcpListener>,
    state: AppState,
    port: u16,
}

impl Application {
    /// Validates settings, connects and migrates the store, and binds the listener.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        settings.validate_for_serve()?;
        let store = Store::connect(&settings.database.url, settings.database.max_connections).await?;
        store.migrate().await?;
        let target = Target::from_settings(&settings.imap).map_err(ConfigError::Invalid)?;
        crate::imap::encode::set_name_limits(
            settings.imap.mailbox_name_max_bytes,
            settings.imap.mailbox_component_max_bytes,
        );
        let auth = Auth::from_settings(&settings.auth)?;
        let trusted = crate::auth::trusted::Trusted::from_settings(&settings.trusted)?.map(Arc::new);
        let metrics = target.metrics.clone();
        let login_limiter = crate::auth::limiter::LoginLimiter::new(
            &store,
            settings.protection.login_failures_per_minute,
            crate::auth::limiter::WINDOW,
        );
        let slots = crate::state::slots::AccountSlots::new(
            &store,
            settings.protection.per_account_concurrency,
            Duration::from_millis(settings.http.request_timeout_ms),
        );
        let pools = Arc::new(Pools::new(target, settings.pool.clone()));
        pools.spawn_reaper();
        let listener = TcpListener::bind(&settings.http.listen)
            .await
            .map_err(|e| StartupError::Bind(settings.http.listen.clone(), e))?;
        let port = listener.local_addr().map_err(|e| StartupError::Bind(settings.http.listen.clone(), e))?.port();
        let metrics_listener = match &settings.metrics.listen {
            Some(addr) => Some(TcpListener::bind(addr).await.map_err(|e| StartupError::Bind(addr.clone(), e))?),
            None => None,
        };
        let oauth = Arc::new(crate::auth::oauth::OAuth::new(settings.oauth.clone()));
        let mailer = crate::smtp::Submitter::new(&settings.smtp).map_err(StartupError::Smtp)?.map(Arc::new);
        let vault = Vault {
            store: store.clone(),
            keyring: auth.keyring.clone(),
            oauth: oauth.clone(),
            pools: pools.clone(),
            trusted: trusted.clone(),
            trusted_accounts: Default::default(),
        };
        let events = Arc::<Hub>::default();
        let follower = Follower::new(events.clone(), vault.clone(), &settings);
        let ready = Arc::new(AtomicBool::new(true));
        let webhooks = Arc::new(Webhooks::new(
            store.clone(),
            auth.keyring.clone(),
            settings.webhooks.clone(),
            follower.clone(),
            ready.clone(),
        ));
        let state = AppState(Arc::new(App {
            settings,
            store,
            pools,
            auth,
            ready,
            snapshots: Default::default(),
            events,
            webhooks: webhooks.clone(),
            metrics,
            login_limiter,
            slots,
            trusted,
            trusted_accounts: vault.trusted_accounts.clone(),
            oauth,
            vault,
            follower,
            mailer,
        }));
        spawn_sweeper(&state);
        webhooks.start().await;
        Ok(Self { listener, metrics_listener, state, port })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the separate `/metrics` listener, if `metrics.listen` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_listener.as_ref().and_then(|l| l.local_addr().ok()).map(|a| a.port())
    }

    /// The shared state (tests inspect pools through it).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// The application's router, to call in process (tests use `tower::ServiceExt::oneshot`).
    pub fn router(&self) -> axum::Router {
        crate::http::router(self.state.clone())
    }

    /// Serves until `shutdown` completes, then drains.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let state = self.state.clone();
        let grace = Duration::from_millis(state.settings.http.shutdown_grace_ms);
        let app = crate::http::router(self.state.clone());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let flag = state.clone();
        let signal = async move {
            shutdown.await;
            flag.ready.store(false, Ordering::SeqCst);
            tracing::info!("shutdown requested; draining");
            // Event streams would otherwise hold the drain open until the grace period ends.
            flag.events.stop_all();
            let _ = stop_tx.send(());
        };
        let limits = crate::http::serve::Limits::from_settings(&state.settings.http);
        let metrics = self.metrics_listener.map(|l| {
            let app = crate::http::metrics::router(state.clone());
            tokio::spawn(crate::http::serve::serve(l, app, limits, std::future::pending()))
        });
        let server = crate::http::serve::serve(self.listener, app, limits, signal);
        let mut server = std::pin::pin!(server);
        tokio::select! {
            () = &mut server => {}
            _ = async { let _ = stop_rx.await; tokio::time::sleep(grace).await; } => {
                tracing::warn!("grace period over; abandoning in-flight requests");
            }
        }
        if let Some(task) = metrics {
            task.abort();
        }
        state.pools.close_all().await;
        // Another instance may take over this one's webhooks at once.
        if let Err(e) = state.store.release_all_webhook_leases(&state.webhooks.instance).await {
            tracing::warn!(error = %e, "cannot release webhook leases");
        }
        tracing::info!("stopped");
        Ok(())
    }
}

fn spawn_sweeper(state: &AppState) {
    let weak = Arc::downgrade(&state.0);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            let Some(app) = weak.upgrade() else { break };
            if let Err(e) = app.store.sweep_revocations().await {
                tracing::warn!(error = %e, "revocation sweep failed");
            }
            if let Err(e) = app.store.sweep_idempotency_keys(24 * 3600).await {
                tracing::warn!(error = %e, "idempotency-key sweep failed");
            }
            // An access token nobody can renew is kept only while it is valid.
            if let Err(e) = app.store.sweep_expired_access_tokens(app.oauth.clock.now()).await {
                tracing::warn!(error = %e, "expired-token sweep failed");
            }
            purge(&app).await;
        }
    });
}

/// Spent refresh tokens and families, expired event tickets, old failed-login rows and request
/// leases, finished webhook deliveries.
async fn purge(app: &App) {
    let auth = &app.settings.auth;
    // A revoked family denies its access tokens until the last of them has expired.
    let grace = (auth.access_ttl_secs + auth.leeway_secs + 60) as i64;
    match app.store.purge_tokens(crate::store::now(), grace).await {
        Ok(n) => tracing::debug!(refresh_tokens = n.refresh_tokens, families = n.families, "tokens purged"),
        Err(e) => tracing::warn!(error = %e, "token purge failed"),
    }
    if let Err(e) = app.store.purge_event_tickets(crate::store::now()).await {
        tracing::warn!(error = %e, "event-ticket purge failed");
    }
    let now_ms = crate::store::now_ms();
    if app.store.shared() {
        let window = crate::auth::limiter::WINDOW.as_millis() as i64;
        if let Err(e) = app.store.sweep_login_failures(now_ms - window).await {
            tracing::warn!(error = %e, "failed-login sweep failed");
        }
        if let Err(e) = app.store.sweep_account_leases(now_ms).await {
            tracing::warn!(error = %e, "request-lease sweep failed");
        }
    }
    let retention = app.settings.webhooks.delivery_retention_secs.saturating_mul(1000).min(i64::MAX as u64) as i64;
    if let Err(e) = app.store.purge_deliveries(now_ms.saturating_sub(retention)).await {
        tracing::warn!(error = %e, "webhook delivery purge failed");
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
