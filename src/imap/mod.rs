//! The only code that talks to an IMAP server: connections, pooled sessions, the command
//! encoder and typed operations. Nothing outside this module sends IMAP text.

pub(crate) mod backoff;
pub(crate) mod cache;
pub(crate) mod cache_sketch;
pub(crate) mod changes;
pub(crate) mod collect;
pub(crate) mod commands;
pub(crate) mod connect;
pub(crate) mod encode;
pub(crate) mod error;
pub(crate) mod flags;
pub(crate) mod full_message;
pub(crate) mod mailbox;
pub(crate) mod manage;
pub(crate) mod message;
pub(crate) mod mutf7;
pub(crate) mod namespace;
pub(crate) mod namespace_lines;
pub(crate) mod page;
pub(crate) mod pool;
pub(crate) mod pool_stats;
pub(crate) mod quota;
pub(crate) mod read;
pub(crate) mod rights;
pub(crate) mod roles;
pub(crate) mod run;
pub(crate) mod search;
pub(crate) mod select_state;
pub(crate) mod selection;
pub(crate) mod session;
pub(crate) mod summary_fetch;
pub(crate) mod thread_index;
pub(crate) mod threads;
pub(crate) mod transfer;

pub use error::ImapError;
pub use pool::{AccountPool, Pools};
pub use session::Credentials;
