//! What SELECT or EXAMINE reports about a mailbox: a plain value shared by the connection
//! (which keeps its count current), the mailbox operations and their callers.

/// The state EXAMINE reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SelectState {
    /// Number of messages.
    pub exists: u32,
    /// Number of messages with `\Recent`.
    pub recent: u32,
    /// UIDVALIDITY.
    pub uid_validity: Option<u32>,
    /// UIDNEXT.
    pub uid_next: Option<u32>,
    /// HIGHESTMODSEQ (with CONDSTORE).
    pub highest_mod_seq: Option<u64>,
    /// Flags defined in the mailbox.
    pub flags: Vec<String>,
    /// Flags the client can change permanently.
    pub permanent_flags: Vec<String>,
    /// Unseen messages (from STATUS, a count, not a sequence number).
    pub unseen: Option<u32>,
    /// True for EXAMINE.
    pub read_only: bool,
}
