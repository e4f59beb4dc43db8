//! PURE mapping from IMAP data (imap-proto values) to API views: deterministic, total, no I/O,
//! never panics on server input.

pub(crate) mod base64_lenient;
pub(crate) mod body;
pub(crate) mod bounded;
pub(crate) mod envelope;
pub(crate) mod flags;
pub(crate) mod html;
pub(crate) mod mailbox;
pub(crate) mod message;
pub(crate) mod namespace;
pub(crate) mod preview;
pub(crate) mod stream;
pub(crate) mod text;
pub(crate) mod thread;
pub(crate) mod uuencode;
