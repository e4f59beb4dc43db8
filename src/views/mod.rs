//! Request and response types of the API (serde + utoipa schemas), shared by `http` and
//! `convert`. JSON is camelCase; 64-bit modseqs are strings.

pub mod auth;
pub mod capabilities;
pub mod changes;
pub mod events;
pub mod health;
pub mod mailbox;
pub mod message;
pub mod problem;
pub mod search;
pub mod webhooks;
