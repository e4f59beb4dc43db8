//! imap-gateway: an HTTP/JSON API in front of any IMAP4rev1 server.
//!
//! # Layout
//! Highest layer first; a module imports only modules listed after it (`tests/it/layering.rs`
//! checks this, and that no module is part of an import circle).
//! - `cli`, `startup`: the subcommands; building and running the application.
//! - `http`: routes, extractors, `ApiError` and the OpenAPI document. No SQL, no IMAP syntax.
//! - `state`: the application state and the handles the layers below take from it.
//! - `webhooks`: dispatch and signed delivery of events.
//! - `follow`: an account's live feed with its watcher (event streams and webhooks).
//! - `auth`: JWT, credential encryption, refresh tokens, login flows, and the credential
//!   policy (an account's IMAP credentials and pool).
//! - `sync`: change tokens, deltas, `/changes`, event feeds and the IDLE watcher.
//! - `smtp`: mail submission (connect, AUTH with the account's credentials, per-recipient
//!   answers).
//! - `imap`: the only code that talks to an IMAP server (connect, pooled sessions, encoder).
//! - `store`: sqlx repositories; the only code that names a table.
//! - `compose`: pure: a compose document's checks, its MIME (mail-builder), reply and forward
//!   facts, the copy without `Bcc`.
//! - `convert`: pure mapping from IMAP data to API views (a leaf: it imports only `views`).
//! - `views`: the request and response types with their schemas.
//! - `config`: the settings. `random`, `metrics`, `telemetry`: process plumbing.
//!
//! Every module is crate-private; the public surface is re-exported below.

pub(crate) mod auth;
pub(crate) mod cli;
pub(crate) mod compose;
pub(crate) mod config;
pub(crate) mod convert;
pub(crate) mod follow;
pub(crate) mod http;
pub(crate) mod imap;
pub(crate) mod metrics;
pub(crate) mod patterns;
pub(crate) mod random;
pub(crate) mod smtp;
pub(crate) mod startup;
pub(crate) mod state;
pub(crate) mod store;
pub(crate) mod sync;
pub(crate) mod telemetry;
pub(crate) mod views;
pub(crate) mod webhooks;

// The public surface: the binary's entry point, the settings, the application and its
// OpenAPI document. Every module stays crate-private behind it.
pub use cli::main;
pub use config::{OAuthProvider, Secret, Settings, TlsMode};
pub use http::openapi::spec_json;
pub use startup::Application;
pub use state::{App, AppState};
pub use telemetry::init_to_file;

/// The webhook signature scheme, for receivers (and the tests that play one).
pub mod signatures {
    pub use crate::webhooks::sign::*;
}

/// What the integration tests check below the HTTP API (the store, the keyring, the caches,
/// the pools). Not a supported interface.
#[doc(hidden)]
pub mod internals {
    pub use crate::{
        auth::{
            PASSWORD_FIELD,
            cursor::Cursor,
            keyring,
            limiter::LoginLimiter,
            oauth::{ACCESS_FIELD, REFRESH_FIELD},
            rotate::{Counts, rotate_keys},
        },
        imap::{
            AccountPool,
            cache::{CacheScope, Key, Weight},
            encode::MailboxName,
        },
        state::slots::AccountSlots,
        store::{
            Store, accounts::OAuthSecret, deliveries::Attempt, event_tickets::EventTicket, now, now_ms,
            purge::PurgedTokens, refresh::Consumed, webhooks::Webhook,
        },
    };
}
