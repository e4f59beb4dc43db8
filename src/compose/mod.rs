//! Writing mail without I/O: every caller value checked before it can reach a header
//! (`check`), the MIME tree built by mail-builder (`mime`), what a reply or forward takes from
//! the original (`original`), and the copy without `Bcc` that is transmitted (`strip`).

pub(crate) mod check;
pub(crate) mod mime;
pub(crate) mod original;
pub(crate) mod strip;

/// Why a compose document cannot become a message (all 422 or 413, before anything is sent).
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// A field's value is not allowed; `field` is its JSON path.
    #[error("{field}: {reason}")]
    Invalid {
        /// JSON path of the field (`to[1].email`).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// `from` is not one of the account's identities.
    #[error("{0} is not an identity of this account")]
    NotIdentity(String),
    /// The message would be larger than allowed.
    #[error("the message is {size} bytes, more than {limit}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
}

impl ComposeError {
    /// An invalid field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), reason: reason.into() }
    }
}
