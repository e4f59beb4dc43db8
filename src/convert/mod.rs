//! PURE mapping from IMAP data (imap-proto values) to API views: deterministic, total, no I/O,
//! never panics on server input.

pub mod base64_lenient;
pub mod body;
pub mod bounded;
pub mod envelope;
pub mod flags;
pub mod html;
pub mod mailbox;
pub mod message;
pub mod stream;
pub mod text;
pub mod uuencode;
