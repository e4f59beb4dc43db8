//! PURE: the only producer of IMAP command text. Caller data reaches the wire only
//! as an atom, a quoted string or a literal built here, and mailbox names only as modified UTF-7.

use std::fmt::Write as _;

pub use name::{ListPattern, MailboxName, set_name_limits};
pub use search::{SearchKey, SortKey, uid_search, uid_sort};

/// Command text without tag and final CRLF, ready for the raw-command path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    name: &'static str,
    text: String,
}

impl Command {
    fn new(name: &'static str) -> Self {
        Self { name, text: name.to_string() }
    }
    fn arg(mut self, encoded: &str) -> Self {
        self.text.push(' ');
        self.text.push_str(encoded);
        self
    }
    /// The command name, for logs and metrics (never carries caller data).
    pub fn name(&self) -> &'static str {
        self.name
    }
    /// The full text to send after the tag.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Why caller data cannot be put on the wire.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The value is empty where IMAP needs something.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// The value holds a control character (CR, LF, NUL, …).
    #[error("{0} must not contain control characters")]
    Control(&'static str),
    /// The value is longer than the gateway allows.
    #[error("{0} is too long")]
    TooLong(&'static str),
    /// A mailbox name is longer than the configured limit (UTF-8 bytes).
    #[error("the mailbox name is longer than {limit} bytes")]
    NameTooLong {
        /// The limit, in UTF-8 bytes.
        limit: usize,
    },
    /// A component of a mailbox name (between hierarchy delimiters) is longer than the
    /// configured limit, measured in bytes of its modified UTF-7 wire form.
    #[error("a mailbox name component is longer than {limit} bytes (as modified UTF-7 on the wire)")]
    ComponentTooLong {
        /// The limit, in bytes of modified UTF-7.
        limit: usize,
    },
    /// The value is not a valid IMAP atom.
    #[error("{0} is not a valid atom")]
    NotAtom(&'static str),
    /// 8-bit or control data needs a literal, and the server has no LITERAL+.
    #[error("{0} needs a literal, which this server cannot take inline")]
    NeedsLiteral(&'static str),
}

/// Quotes a string whose bytes are all 7-bit TEXT-CHAR (callers guarantee it).
fn quote_7bit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// True for ATOM-CHAR (RFC 3501 §9).
fn is_atom_char(b: u8) -> bool {
    (0x21..0x7f).contains(&b) && !b"(){%*\"\\]".contains(&b)
}

/// Validates an atom (keywords, capability names).
pub fn atom(s: &str, what: &'static str) -> Result<String, EncodeError> {
    if s.is_empty() {
        return Err(EncodeError::Empty(what));
    }
    if s.len() > 256 {
        return Err(EncodeError::TooLong(what));
    }
    if !s.bytes().all(is_atom_char) {
        return Err(EncodeError::NotAtom(what));
    }
    Ok(s.to_string())
}

/// Encodes any string argument as an atom, a quoted string or, for 8-bit or control data,
/// a non-synchronizing literal (`{n+}`, only when the server offers LITERAL+). The literal's
/// count is computed on the exact bytes that follow it.
pub fn astring(s: &str, literal_plus: bool, what: &'static str) -> Result<String, EncodeError> {
    if !s.is_empty() && s.bytes().all(is_atom_char) {
        return Ok(s.to_string());
    }
    if s.bytes().all(|b| (0x01..0x80).contains(&b) && b != b'\r' && b != b'\n') {
        return Ok(quote_7bit(s));
    }
    if s.as_bytes().contains(&0) {
        return Err(EncodeError::Control(what));
    }
    if !literal_plus {
        return Err(EncodeError::NeedsLiteral(what));
    }
    let mut out = String::with_capacity(s.len() + 12);
    let _ = write!(out, "{{{}+}}\r\n{}", s.len(), s);
    Ok(out)
}

/// Items a STATUS command may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusItem {
    /// MESSAGES
    Messages,
    /// RECENT
    Recent,
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
    fn atom(self) -> &'static str {
        match self {
            Self::Messages => "MESSAGES",
            Self::Recent => "RECENT",
            Self::UidNext => "UIDNEXT",
            Self::UidValidity => "UIDVALIDITY",
            Self::Unseen => "UNSEEN",
            Self::HighestModSeq => "HIGHESTMODSEQ",
        }
    }
}

fn status_list(items: &[StatusItem]) -> String {
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

/// `CAPABILITY`
pub fn capability() -> Command {
    Command::new("CAPABILITY")
}

/// `NOOP`
pub fn noop() -> Command {
    Command::new("NOOP")
}

/// `LOGOUT`
pub fn logout() -> Command {
    Command::new("LOGOUT")
}

/// `STARTTLS`
pub fn starttls() -> Command {
    Command::new("STARTTLS")
}

/// `EXPUNGE`: removes every `\Deleted` message of the selected mailbox.
pub fn expunge() -> Command {
    Command::new("EXPUNGE")
}

/// `CHECK`
pub fn check() -> Command {
    Command::new("CHECK")
}

/// `CLOSE`: expunges `\Deleted` messages silently and unselects.
pub fn close() -> Command {
    Command::new("CLOSE")
}

/// `UNSELECT` (RFC 3691)
pub fn unselect() -> Command {
    Command::new("UNSELECT")
}

/// `ENABLE CONDSTORE` (RFC 5161, RFC 7162)
pub fn enable_condstore() -> Command {
    Command::new("ENABLE").arg("CONDSTORE")
}

/// `IDLE` (RFC 2177); it ends when the client sends [`IDLE_DONE`].
pub fn idle() -> Command {
    Command::new("IDLE")
}

/// The line that ends an IDLE.
pub const IDLE_DONE: &[u8] = b"DONE\r\n";

/// `ENABLE CONDSTORE QRESYNC`: VANISHED replaces EXPUNGE on this connection from now on.
pub fn enable_qresync() -> Command {
    Command::new("ENABLE").arg("CONDSTORE QRESYNC")
}

/// `EXAMINE "name"`: read-only selection.
pub fn examine(mailbox: &MailboxName) -> Command {
    Command::new("EXAMINE").arg(&mailbox.wire())
}

/// `SELECT "name"`: read-write selection.
pub fn select(mailbox: &MailboxName) -> Command {
    Command::new("SELECT").arg(&mailbox.wire())
}

/// `CREATE "name"`
pub fn create(mailbox: &MailboxName) -> Command {
    Command::new("CREATE").arg(&mailbox.wire())
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
    fn attribute(self) -> &'static str {
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

/// `CREATE "name" (USE (\Role))` (CREATE-SPECIAL-USE, RFC 6154)
pub fn create_with_role(mailbox: &MailboxName, role: Role) -> Command {
    Command::new("CREATE").arg(&mailbox.wire()).arg(&format!("(USE ({}))", role.attribute()))
}

/// `RENAME "from" "to"`
pub fn rename(from: &MailboxName, to: &MailboxName) -> Command {
    Command::new("RENAME").arg(&from.wire()).arg(&to.wire())
}

/// `SUBSCRIBE "name"`
pub fn subscribe(mailbox: &MailboxName) -> Command {
    Command::new("SUBSCRIBE").arg(&mailbox.wire())
}

/// `UNSUBSCRIBE "name"`
pub fn unsubscribe(mailbox: &MailboxName) -> Command {
    Command::new("UNSUBSCRIBE").arg(&mailbox.wire())
}

/// `DELETE "name"`
pub fn delete(mailbox: &MailboxName) -> Command {
    Command::new("DELETE").arg(&mailbox.wire())
}

/// `STATUS "name" (items)`
pub fn status(mailbox: &MailboxName, items: &[StatusItem]) -> Command {
    Command::new("STATUS").arg(&mailbox.wire()).arg(&status_list(items))
}

/// `LIST ["(SUBSCRIBED)"] "" "pattern" [RETURN (...)]`
pub fn list(pattern: &ListPattern, options: &ListOptions) -> Command {
    let mut cmd = Command::new("LIST");
    if options.subscribed_only {
        cmd = cmd.arg("(SUBSCRIBED)");
    }
    cmd = cmd.arg("\"\"").arg(&pattern.wire());
    let mut ret: Vec<String> = Vec::new();
    if options.return_subscribed {
        ret.push("SUBSCRIBED".into());
    }
    if options.return_special_use {
        ret.push("SPECIAL-USE".into());
    }
    if options.return_children {
        ret.push("CHILDREN".into());
    }
    if !options.return_status.is_empty() {
        ret.push(format!("STATUS {}", status_list(&options.return_status)));
    }
    if !ret.is_empty() {
        cmd = cmd.arg(&format!("RETURN ({})", ret.join(" ")));
    }
    cmd
}

/// `LIST "" ""`: asks only for the hierarchy delimiter.
pub fn list_delimiter() -> Command {
    Command::new("LIST").arg("\"\"").arg("\"\"")
}

/// `LSUB "" "pattern"` (servers without LIST-EXTENDED)
pub fn lsub(pattern: &ListPattern) -> Command {
    Command::new("LSUB").arg("\"\"").arg(&pattern.wire())
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
    /// The section text, empty for the whole message.
    pub fn as_str(&self) -> &str {
        &self.0
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
    /// `BODY.PEEK[section]<offset.len>`: never sets `\Seen`.
    BodyPeek(Section, Option<(u64, u32)>),
    /// `BODY.PEEK[HEADER]`
    Header,
    /// `BODY.PEEK[HEADER]<0.n>`: at most the first `n` bytes of the header.
    HeaderPrefix(u32),
    /// `BODY.PEEK[HEADER.FIELDS (NAME)]<0.n>`: at most `n` bytes of one field (a name of the
    /// gateway's own, never caller data).
    HeaderField(&'static str, u32),
}

impl FetchItem {
    fn text(&self) -> String {
        match self {
            Self::Uid => "UID".into(),
            Self::Flags => "FLAGS".into(),
            Self::InternalDate => "INTERNALDATE".into(),
            Self::Size => "RFC822.SIZE".into(),
            Self::Envelope => "ENVELOPE".into(),
            Self::BodyStructure => "BODYSTRUCTURE".into(),
            Self::ModSeq => "MODSEQ".into(),
            Self::Header => "BODY.PEEK[HEADER]".into(),
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

/// `UID FETCH set (items)`
pub fn uid_fetch(set: &UidSet, items: &[FetchItem]) -> Command {
    let items: Vec<String> = items.iter().map(FetchItem::text).collect();
    Command::new("UID FETCH").arg(&set.0).arg(&format!("({})", items.join(" ")))
}

/// `FETCH from:to (items)` by message sequence numbers (both non-zero): the newest messages of
/// a mailbox whose message count is known.
pub fn fetch_sequence(from: u32, to: u32, items: &[FetchItem]) -> Command {
    let items: Vec<String> = items.iter().map(FetchItem::text).collect();
    Command::new("FETCH").arg(&format!("{}:{}", from.max(1), to.max(1))).arg(&format!("({})", items.join(" ")))
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

/// `UID STORE set [(UNCHANGEDSINCE n)] ±FLAGS.SILENT (flags)`
pub fn uid_store(set: &UidSet, mode: StoreMode, flags: &[Flag], unchanged_since: Option<u64>) -> Command {
    let mut cmd = Command::new("UID STORE").arg(&set.0);
    if let Some(m) = unchanged_since {
        cmd = cmd.arg(&format!("(UNCHANGEDSINCE {m})"));
    }
    let op = match mode {
        StoreMode::Add => "+FLAGS.SILENT",
        StoreMode::Remove => "-FLAGS.SILENT",
        StoreMode::Replace => "FLAGS.SILENT",
    };
    let list: Vec<&str> = flags.iter().map(Flag::as_str).collect();
    cmd.arg(op).arg(&format!("({})", list.join(" ")))
}

/// `SELECT "name" (CONDSTORE)` when `condstore`, else `SELECT "name"`.
pub fn select_condstore(mailbox: &MailboxName, condstore: bool) -> Command {
    let cmd = Command::new("SELECT").arg(&mailbox.wire());
    if condstore { cmd.arg("(CONDSTORE)") } else { cmd }
}

/// The head of `APPEND "mailbox" (flags) "date" {n}` (or `{n+}` with LITERAL+); the caller
/// sends exactly `len` message bytes after it. Returns the command and whether the literal is
/// synchronizing (wait for `+` first).
pub fn append_head(
    mailbox: &MailboxName,
    flags: &[Flag],
    received_at: Option<&chrono::DateTime<chrono::FixedOffset>>,
    len: usize,
    literal_plus: bool,
) -> (Command, bool) {
    let mut cmd = Command::new("APPEND").arg(&mailbox.wire());
    if !flags.is_empty() {
        let list: Vec<&str> = flags.iter().map(Flag::as_str).collect();
        cmd = cmd.arg(&format!("({})", list.join(" ")));
    }
    if let Some(d) = received_at {
        cmd = cmd.arg(&format!("\"{}\"", d.format("%d-%b-%Y %H:%M:%S %z")));
    }
    let literal = if literal_plus { format!("{{{len}+}}") } else { format!("{{{len}}}") };
    (cmd.arg(&literal), !literal_plus)
}

/// `UID COPY set "destination"`
pub fn uid_copy(set: &UidSet, destination: &MailboxName) -> Command {
    Command::new("UID COPY").arg(&set.0).arg(&destination.wire())
}

/// `UID MOVE set "destination"` (RFC 6851)
pub fn uid_move(set: &UidSet, destination: &MailboxName) -> Command {
    Command::new("UID MOVE").arg(&set.0).arg(&destination.wire())
}

/// `UID EXPUNGE set` (UIDPLUS): expunges exactly these UIDs.
pub fn uid_expunge(set: &UidSet) -> Command {
    Command::new("UID EXPUNGE").arg(&set.0)
}

/// `UID FETCH 1:* (UID FLAGS MODSEQ) (CHANGEDSINCE modseq [VANISHED])` (RFC 7162): the
/// messages changed since `modseq` and, with `vanished` (QRESYNC enabled), the UIDs expunged.
pub fn uid_fetch_changed_since(modseq: u64, vanished: bool) -> Command {
    let modifiers =
        if vanished { format!("(CHANGEDSINCE {modseq} VANISHED)") } else { format!("(CHANGEDSINCE {modseq})") };
    Command::new("UID FETCH").arg("1:*").arg("(UID FLAGS MODSEQ)").arg(&modifiers)
}

/// `UID SEARCH UID set`: which of these UIDs still exist.
pub fn uid_search_set(set: &UidSet) -> Command {
    Command::new("UID SEARCH").arg("UID").arg(&set.0)
}

/// `UID SEARCH UID from:to` (a window of UIDs, for keyset paging)
pub fn uid_search_range(from: u32, to: u32) -> Command {
    Command::new("UID SEARCH").arg("UID").arg(&UidSet::range(from, to).0)
}

mod name;
pub mod sasl;
pub mod search;

#[cfg(test)]
mod tests;
