//! Message routes under `/v1/mailboxes/{mailbox}/messages`: one file per action.

pub(crate) mod append;
pub(crate) mod flags;
pub(crate) mod get;
pub(crate) mod list;
pub(crate) mod parts;
pub(crate) mod raw;
pub(crate) mod stream;
pub(crate) mod transfer;
