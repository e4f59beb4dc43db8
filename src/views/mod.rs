//! Request and response types of the API (serde + utoipa schemas), shared by `http` and
//! `convert`. JSON is camelCase; 64-bit modseqs are strings.

pub(crate) mod auth;
pub(crate) mod capabilities;
pub(crate) mod changes;
pub(crate) mod compose;
pub(crate) mod events;
pub(crate) mod health;
pub(crate) mod mailbox;
pub(crate) mod message;
pub(crate) mod namespace;
pub(crate) mod problem;
pub(crate) mod quota;
pub(crate) mod search;
pub(crate) mod thread;
pub(crate) mod webhooks;
