//! Message routes under `/v1/mailboxes/{mailbox}/messages`: one file per action.

pub mod append;
pub mod flags;
pub mod get;
pub mod list;
pub mod parts;
pub mod raw;
pub mod stream;
pub mod transfer;
