//! PURE: the typed values commands are built from (UID sets, body sections, FETCH items,
//! flags, STATUS items, LIST options, SPECIAL-USE roles), each validated or built from integers
//! only, so that no caller text reaches a command unchecked.

use super::atoms::{EncodeError, atom};

/// Items a STATUS command may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusItem {
    /// MESSAGES
    Messages,
    /// UIDNEXT
    UidNext,
    /// UIDVALIDITY
    UidValidity,
    /// UNSEEN
    Unseen,
    /// HIGHESTMODSEQ (CONDSTORE)
    HighestModSeq,
}

impl StatusItem {
    pub(super) fn atom(self) -> &'static str {
        match self {
            Self::Messages => "MESSAGES",
            Self::UidNext => "UIDNEXT",
            Self::UidValidity => "UIDVALIDITY",
            Self::Unseen => "UNSEEN",
            Self::HighestModSeq => "HIGHESTMODSEQ",
        }
    }
}

pub(super) fn status_list(items: &[StatusItem]) -> String {
    let names: Vec<&str> = items.iter().map(|i| i.atom()).collect();
    format!("({})", names.join(" "))
}

/// What a LIST command returns beyond names (RFC 5258, RFC 5819, RFC 6154).
#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    /// `LIST (SUBSCRIBED)`: only subscribed mailboxes (LIST-EXTENDED).
    pub subscribed_only: bool,
    /// `RETURN (SUBSCRIBED)`: mark subscribed mailboxes (LIST-EXTENDED).
    pub return_subscribed: bool,
    /// `RETURN (SPECIAL-USE)`: role attributes (SPECIAL-USE with LIST-EXTENDED).
    pub return_special_use: bool,
    /// `RETURN (CHILDREN)`: `\HasChildren` / `\HasNoChildren` (CHILDREN with LIST-EXTENDED).
    pub return_children: bool,
    /// `RETURN (STATUS (...))`: counts in the same round trip (LIST-STATUS).
    pub return_status: Vec<StatusItem>,
}

/// A SPECIAL-USE role a mailbox can be created with (RFC 6154).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// \All
    All,
    /// \Archive
    Archive,
    /// \Drafts
    Drafts,
    /// \Flagged
    Flagged,
    /// \Junk
    Junk,
    /// \Sent
    Sent,
    /// \Trash
    Trash,
}

impl Role {
    /// Parses a JSON role name (`sent`, `trash`, …).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "all" => Self::All,
            "archive" => Self::Archive,
            "drafts" => Self::Drafts,
            "flagged" => Self::Flagged,
            "junk" => Self::Junk,
            "sent" => Self::Sent,
            "trash" => Self::Trash,
            _ => return None,
        })
    }
    pub(super) fn attribute(self) -> &'static str {
        match self {
            Self::All => "\\All",
            Self::Archive => "\\Archive",
            Self::Drafts => "\\Drafts",
            Self::Flagged => "\\Flagged",
            Self::Junk => "\\Junk",
            Self::Sent => "\\Sent",
            Self::Trash => "\\Trash",
        }
    }
}

/// A set of UIDs, built from integers only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UidSet(String);

impl UidSet {
    /// A single UID (must be non-zero).
    pub fn one(uid: u32) -> Self {
        Self(uid.max(1).to_string())
    }
    /// `from:to` (both non-zero).
    pub fn range(from: u32, to: u32) -> Self {
        Self(format!("{}:{}", from.max(1), to.max(1)))
    }
    /// The set as IMAP text.
    pub fn as_text(&self) -> &str {
        &self.0
    }
    /// A sorted list of UIDs as ranges (`1:3,7`); `None` if empty.
    pub fn ranges(sorted: &[u32]) -> Option<Self> {
        let mut parts: Vec<String> = Vec::new();
        let mut iter = sorted.iter().copied().filter(|&u| u > 0).peekable();
        while let Some(start) = iter.next() {
            let mut end = start;
            while let Some(&next) = iter.peek() {
                if next == end.saturating_add(1) || next == end {
                    end = next;
                    iter.next();
                } else {
                    break;
                }
            }
            parts.push(if start == end { start.to_string() } else { format!("{start}:{end}") });
        }
        (!parts.is_empty()).then(|| Self(parts.join(",")))
    }
    /// A list of UIDs; `None` if empty.
    pub fn list(uids: &[u32]) -> Option<Self> {
        let parts: Vec<String> = uids.iter().filter(|&&u| u > 0).map(u32::to_string).collect();
        (!parts.is_empty()).then(|| Self(parts.join(",")))
    }
}

/// A body section path such as `1.2`, or the whole message; built from integers only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section(String);

impl Section {
    /// The whole message (`BODY[]`).
    pub fn whole() -> Self {
        Self(String::new())
    }
    /// Parses `1`, `1.2.3`: non-zero numbers joined by dots, at most 64 levels.
    pub fn parse(s: &str) -> Result<Self, EncodeError> {
        let parts: Vec<&str> = s.split('.').collect();
        let ok = !s.is_empty()
            && parts.len() <= 64
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()) && !p.starts_with('0'));
        if !ok {
            return Err(EncodeError::NotAtom("section"));
        }
        Ok(Self(s.to_string()))
    }
}

/// A FETCH data item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchItem {
    /// UID
    Uid,
    /// FLAGS
    Flags,
    /// INTERNALDATE
    InternalDate,
    /// RFC822.SIZE
    Size,
    /// ENVELOPE
    Envelope,
    /// BODYSTRUCTURE
    BodyStructure,
    /// MODSEQ (CONDSTORE)
    ModSeq,
    /// EMAILID (OBJECTID, RFC 8474)
    EmailId,
    /// `BODY.PEEK[section]<offset.len>`: never sets `\Seen`.
    BodyPeek(Section, Option<(u64, u32)>),
    /// `BODY.PEEK[HEADER]<0.n>`: at most the first `n` bytes of the header.
    HeaderPrefix(u32),
    /// `BODY.PEEK[HEADER.FIELDS (NAME)]<0.n>`: at most `n` bytes of one field (a name of the
    /// gateway's own, never caller data).
    HeaderField(&'static str, u32),
}

impl FetchItem {
    pub(super) fn text(&self) -> String {
        match self {
            Self::Uid => "UID".into(),
            Self::Flags => "FLAGS".into(),
            Self::InternalDate => "INTERNALDATE".into(),
            Self::Size => "RFC822.SIZE".into(),
            Self::Envelope => "ENVELOPE".into(),
            Self::BodyStructure => "BODYSTRUCTURE".into(),
            Self::ModSeq => "MODSEQ".into(),
            Self::EmailId => "EMAILID".into(),
            Self::HeaderPrefix(n) => format!("BODY.PEEK[HEADER]<0.{n}>"),
            Self::HeaderField(name, n) => format!("BODY.PEEK[HEADER.FIELDS ({name})]<0.{n}>"),
            Self::BodyPeek(section, partial) => {
                let mut t = format!("BODY.PEEK[{}]", section.0);
                if let Some((offset, len)) = partial {
                    t.push_str(&format!("<{offset}.{len}>"));
                }
                t
            }
        }
    }
}

/// A flag to store: a system flag or a keyword, validated.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Flag(String);

impl Flag {
    /// From the JSON keyword form: `$seen`, `$answered`, `$flagged`, `$draft` become system flags,
    /// anything else must be a valid keyword atom (RFC 8621 §4.1.1).
    pub fn keyword(k: &str) -> Result<Self, EncodeError> {
        Ok(Self(match k.to_ascii_lowercase().as_str() {
            "$seen" => "\\Seen".into(),
            "$answered" => "\\Answered".into(),
            "$flagged" => "\\Flagged".into(),
            "$draft" => "\\Draft".into(),
            _ if k.starts_with('\\') => return Err(EncodeError::NotAtom("keyword")),
            _ => atom(k, "keyword")?,
        }))
    }
    /// `\Deleted`.
    pub fn deleted() -> Self {
        Self("\\Deleted".into())
    }
    /// `\Seen`.
    pub fn seen() -> Self {
        Self("\\Seen".into())
    }
    /// `\Answered`.
    pub fn answered() -> Self {
        Self("\\Answered".into())
    }
    /// `\Draft`.
    pub fn draft() -> Self {
        Self("\\Draft".into())
    }
    /// `$Forwarded` (RFC 5788).
    pub fn forwarded() -> Self {
        Self("$Forwarded".into())
    }
    /// The flag as IMAP spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How STORE changes flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreMode {
    /// `+FLAGS`
    Add,
    /// `-FLAGS`
    Remove,
    /// `FLAGS` (replace)
    Replace,
}
