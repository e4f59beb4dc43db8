//! Mail submission: one SMTP connection per message to the configured server, authenticated
//! with the account's own credentials. lettre gives the connection, TLS and dot-stuffing; this
//! module sends its own EHLO parsing (SIZE, every AUTH mechanism), AUTH (PLAIN with an
//! authorization id, XOAUTH2, OAUTHBEARER) and envelope, so that each recipient's answer is
//! kept. Caller data reaches the wire only through `wire`.

pub(crate) mod ehlo;
pub(crate) mod error;
pub(crate) mod submit;
pub(crate) mod wire;

pub use error::SmtpError;
pub use submit::{Envelope, Submitter};
