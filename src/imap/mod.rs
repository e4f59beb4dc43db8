//! The only code that talks to an IMAP server: connections, pooled sessions, the command
//! encoder and typed operations. Nothing outside this module sends IMAP text.

pub mod backoff;
pub mod cache;
pub mod changes;
pub mod collect;
pub mod commands;
pub mod connect;
pub mod encode;
pub mod error;
pub mod flags;
pub mod full_message;
pub mod mailbox;
pub mod manage;
pub mod message;
pub mod mutf7;
pub mod page;
pub mod pool;
pub mod pool_stats;
pub mod read;
pub mod run;
pub mod search;
pub mod select_state;
pub mod selection;
pub mod session;
pub mod summary_fetch;
pub mod transfer;

pub use error::ImapError;
pub use pool::{AccountPool, Pools};
pub use session::{Credentials, ImapConn};
