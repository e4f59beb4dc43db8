//! The one integration-test binary: real Dovecot, real SQLite and PostgreSQL.

mod append;
mod auth;
mod changes;
mod containers;
mod corpus;
mod cyrus_writes;
mod events;
mod faults;
mod flags;
mod helpers;
mod mailboxes;
mod manage;
mod messages;
mod observe;
mod openapi;
mod pool;
mod protect;
mod resilience;
mod search;
mod service;
mod state;
mod store;
mod store_webhooks;
mod transfer;
mod trusted;
mod webhooks;
