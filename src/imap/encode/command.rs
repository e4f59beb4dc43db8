//! PURE: the command builders: every IMAP command the gateway sends, as [`Command`] text
//! without tag and final CRLF, from the typed values of `values.rs` and `name.rs`.

use super::{
    name::{ListPattern, MailboxName},
    values::{FetchItem, Flag, ListOptions, Role, StatusItem, StoreMode, UidSet, status_list},
};

/// Command text without tag and final CRLF, ready for the raw-command path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    name: &'static str,
    text: String,
}

impl Command {
    pub(super) fn new(name: &'static str) -> Self {
        Self { name, text: name.to_string() }
    }
    pub(super) fn arg(mut self, encoded: &str) -> Self {
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

/// `CAPABILITY`
pub fn capability() -> Command {
    Command::new("CAPABILITY")
}

/// `ID ("name" "imap-gateway" "version" "…")` (RFC 2971): who the client is, for the server's
/// logs. Constant text: nothing of a caller's.
pub fn id() -> Command {
    Command::new("ID").arg(&format!("(\"name\" \"imap-gateway\" \"version\" \"{}\")", env!("CARGO_PKG_VERSION")))
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

/// `CREATE "name"`
pub fn create(mailbox: &MailboxName) -> Command {
    Command::new("CREATE").arg(&mailbox.wire())
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

/// `NAMESPACE` (RFC 2342).
pub fn namespace() -> Command {
    Command::new("NAMESPACE")
}

/// `MYRIGHTS mailbox` (ACL, RFC 4314).
pub fn my_rights(mailbox: &MailboxName) -> Command {
    Command::new("MYRIGHTS").arg(&mailbox.wire())
}

/// `GETQUOTAROOT mailbox` (RFC 2087/9208).
pub fn getquotaroot(mailbox: &MailboxName) -> Command {
    Command::new("GETQUOTAROOT").arg(&mailbox.wire())
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

/// `UID FETCH set (items)`
pub fn uid_fetch(set: &UidSet, items: &[FetchItem]) -> Command {
    let items: Vec<String> = items.iter().map(FetchItem::text).collect();
    Command::new("UID FETCH").arg(set.as_text()).arg(&format!("({})", items.join(" ")))
}

/// `FETCH from:to (items)` by message sequence numbers (both non-zero): the newest messages of
/// a mailbox whose message count is known.
pub fn fetch_sequence(from: u32, to: u32, items: &[FetchItem]) -> Command {
    let items: Vec<String> = items.iter().map(FetchItem::text).collect();
    Command::new("FETCH").arg(&format!("{}:{}", from.max(1), to.max(1))).arg(&format!("({})", items.join(" ")))
}

/// `UID STORE set [(UNCHANGEDSINCE n)] ±FLAGS.SILENT (flags)`: the server answers with no
/// FETCH of the changed messages (a `\Deleted` before an expunge).
pub fn uid_store(set: &UidSet, mode: StoreMode, flags: &[Flag], unchanged_since: Option<u64>) -> Command {
    store_command(set, mode, flags, unchanged_since, true)
}

/// `UID STORE set [(UNCHANGEDSINCE n)] ±FLAGS (flags)`: the server answers with a FETCH of
/// each changed message's new FLAGS (and MODSEQ under CONDSTORE), so none is needed after it.
pub fn uid_store_reporting(set: &UidSet, mode: StoreMode, flags: &[Flag], unchanged_since: Option<u64>) -> Command {
    store_command(set, mode, flags, unchanged_since, false)
}

fn store_command(set: &UidSet, mode: StoreMode, flags: &[Flag], unchanged_since: Option<u64>, silent: bool) -> Command {
    let mut cmd = Command::new("UID STORE").arg(set.as_text());
    if let Some(m) = unchanged_since {
        cmd = cmd.arg(&format!("(UNCHANGEDSINCE {m})"));
    }
    let op = match (mode, silent) {
        (StoreMode::Add, true) => "+FLAGS.SILENT",
        (StoreMode::Remove, true) => "-FLAGS.SILENT",
        (StoreMode::Replace, true) => "FLAGS.SILENT",
        (StoreMode::Add, false) => "+FLAGS",
        (StoreMode::Remove, false) => "-FLAGS",
        (StoreMode::Replace, false) => "FLAGS",
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
    Command::new("UID COPY").arg(set.as_text()).arg(&destination.wire())
}

/// `UID MOVE set "destination"` (RFC 6851)
pub fn uid_move(set: &UidSet, destination: &MailboxName) -> Command {
    Command::new("UID MOVE").arg(set.as_text()).arg(&destination.wire())
}

/// `UID EXPUNGE set` (UIDPLUS): expunges exactly these UIDs.
pub fn uid_expunge(set: &UidSet) -> Command {
    Command::new("UID EXPUNGE").arg(set.as_text())
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
    Command::new("UID SEARCH").arg("UID").arg(set.as_text())
}

/// `UID SEARCH UID from:to` (a window of UIDs, for keyset paging)
pub fn uid_search_range(from: u32, to: u32) -> Command {
    Command::new("UID SEARCH").arg("UID").arg(UidSet::range(from, to).as_text())
}
