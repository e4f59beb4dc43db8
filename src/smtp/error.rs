//! Why a submission failed, and whether the message may have been sent anyway.

use crate::views::compose::RejectedRecipient;

/// A failed submission. Only [`SmtpError::Unconfirmed`] may have delivered the message.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// No `[smtp] host` is configured.
    #[error("sending is not configured")]
    NotConfigured,
    /// An envelope address or credential that cannot be written as SMTP.
    #[error("not usable in SMTP: {0}")]
    Address(String),
    /// The server could not be reached, or its TLS failed, before the message was sent.
    #[error("the submission server is unavailable: {0}")]
    Unavailable(String),
    /// `tls = "starttls"` and the server does not offer STARTTLS.
    #[error("the submission server does not offer STARTTLS")]
    NoStarttls,
    /// The server offers no mechanism for these credentials.
    #[error("the submission server offers no AUTH mechanism for this account ({0})")]
    NoMechanism(String),
    /// The server refused the account's credentials.
    #[error("the submission server refused the login: {code} {text}")]
    AuthRefused {
        /// Reply code.
        code: u16,
        /// Reply text.
        text: String,
    },
    /// The message is larger than the server's SIZE.
    #[error("the message is {size} bytes; the server takes at most {limit}")]
    TooLarge {
        /// Message size.
        size: usize,
        /// The server's SIZE.
        limit: u64,
    },
    /// The message has 8-bit bytes and the server does not offer 8BITMIME.
    #[error("the message has 8-bit content and the submission server does not offer 8BITMIME")]
    NeedsEightBit,
    /// A 4xx answer before the message was accepted: nothing was sent, try again later.
    #[error("the submission server answered {code} {text}")]
    Transient {
        /// Reply code.
        code: u16,
        /// Reply text.
        text: String,
    },
    /// A 5xx answer to the sender or the message: nothing was sent.
    #[error("the submission server refused the message: {code} {text}")]
    Refused {
        /// Reply code.
        code: u16,
        /// Reply text.
        text: String,
    },
    /// Every recipient was refused: nothing was sent.
    #[error("every recipient was refused")]
    AllRejected(Vec<RejectedRecipient>),
    /// The deadline passed or the connection broke before the server answered the message:
    /// it may or may not have been accepted.
    #[error("the server did not confirm the message: {0}")]
    Unconfirmed(String),
}

impl SmtpError {
    /// From a negative reply of lettre's: the code and the server's text (controls removed,
    /// at most 300 characters).
    pub fn reply(e: &lettre::transport::smtp::Error) -> Option<(u16, String)> {
        let code = e.status()?;
        let text = std::error::Error::source(e).map(|s| s.to_string()).unwrap_or_default();
        Some((u16::from(code), sanitize(&text)))
    }
}

/// A server's text as it may be shown: no control characters, at most 300 characters.
pub fn sanitize(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(300).collect()
}
