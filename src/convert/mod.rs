//! PURE mapping from IMAP data to API views: deterministic, total, no I/O, never panics on
//! server input.

pub mod mailbox;
