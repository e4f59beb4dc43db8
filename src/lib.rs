//! imap-gateway: an HTTP/JSON API in front of any IMAP4rev1 server.
//!
//! # Layout
//! - [`http`]: routes, extractors and the OpenAPI document. No SQL, no IMAP syntax.
//! - [`imap`]: the only code that talks to an IMAP server (connect, pooled sessions, encoder).
//! - [`convert`]: pure mapping from IMAP data to API views.
//! - [`views`]: request and response types shared by `http` and `convert`.
//! - [`auth`]: JWT issue and verify, credential encryption, refresh tokens, login flows, and
//!   the credential policy (an account's IMAP credentials and pool).
//! - [`sync`], [`follow`], [`webhooks`]: change tokens and live events, following an account
//!   (its feed and watcher), webhook dispatch and delivery.
//! - [`state`]: the application state and the handles the layers take from it.
//! - [`store`]: sqlx repositories; the only code that names a table.
//! - [`config`], [`startup`], [`telemetry`], [`cli`], [`random`]: process plumbing.

pub mod auth;
pub mod cli;
pub mod config;
pub mod convert;
pub mod follow;
pub mod http;
pub mod imap;
pub mod metrics;
pub mod random;
pub mod startup;
pub mod state;
pub mod store;
pub mod sync;
pub mod telemetry;
pub mod views;
pub mod webhooks;
