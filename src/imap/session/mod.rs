//! One authenticated IMAP connection: login, the raw command path that checks the tagged
//! status, the in-flight guard, unsolicited-response draining and selection tracking.

use std::{
    collections::BTreeSet,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use async_imap::{
    Authenticator, Session,
    imap_proto::{MailboxDatum, Response, ResponseCode, Status},
};
use tokio::{sync::OwnedSemaphorePermit, time::timeout};

use super::{
    connect::{Conn, Target, capability_name, lost, lost_io},
    encode::{self, Command, MailboxName, sasl::OAuthMechanism},
    error::{ImapError, Phase, server_reply},
};
use crate::config::Secret;

mod idle;
mod literal;
mod oauth;
mod reply;
pub use idle::IdleEnd;
use reply::classify_login_error;
pub use reply::code_name;

/// The credentials a pooled connection logs in with.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// IMAP user name.
    pub username: String,
    /// IMAP password (never logged).
    pub password: Secret,
    /// For a master login: the user to act as (SASL PLAIN authorization id); `username` and
    /// `password` are then the master's.
    pub authorize_as: Option<String>,
    /// For an OAuth2 account: the SASL mechanism, and `password` holds the access token.
    pub oauth: Option<OAuthMechanism>,
}

/// The tagged OK of a command, with its response code (e.g. `MODIFIED 7,9`, `APPENDUID …`).
#[derive(Clone, Debug)]
pub struct Completion {
    /// Code and text of the tagged OK.
    pub reply: super::error::ServerReply,
    /// `[COPYUID uidvalidity source destination]` (UIDPLUS), expanded pairwise.
    pub copy_uid: Option<CopyUid>,
    /// `[APPENDUID uidvalidity uid]` (UIDPLUS).
    pub append_uid: Option<(u32, u32)>,
}

/// The UID mapping of a COPY or MOVE (RFC 4315).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyUid {
    /// UIDVALIDITY of the destination.
    pub uid_validity: u32,
    /// (source UID, destination UID) pairs.
    pub pairs: Vec<(u32, u32)>,
}

/// Reads an APPENDUID response code (a single appended message).
pub fn append_uid(code: &ResponseCode<'_>) -> Option<(u32, u32)> {
    use async_imap::imap_proto::rfc4315::UidSetMember;
    let ResponseCode::AppendUid(uv, uids) = code else { return None };
    match uids.as_slice() {
        [UidSetMember::Uid(u)] => Some((*uv, *u)),
        _ => None,
    }
}

/// Reads a COPYUID response code.
pub fn copy_uid(code: &ResponseCode<'_>) -> Option<CopyUid> {
    use async_imap::imap_proto::rfc4315::UidSetMember;
    let ResponseCode::CopyUid(uv, src, dst) = code else { return None };
    let expand = |set: &[UidSetMember]| -> Vec<u32> {
        set.iter()
            .flat_map(|m| match m {
                UidSetMember::Uid(u) => vec![*u],
                UidSetMember::UidRange(r) if r.end() - r.start() <= 100_000 => r.clone().collect(),
                UidSetMember::UidRange(_) => Vec::new(),
            })
            .collect()
    };
    let (src, dst) = (expand(src), expand(dst));
    (src.len() == dst.len()).then(|| CopyUid { uid_validity: *uv, pairs: src.into_iter().zip(dst).collect() })
}

/// The mailbox a connection currently has selected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selected {
    /// The mailbox.
    pub mailbox: MailboxName,
    /// True after EXAMINE, false after SELECT.
    pub read_only: bool,
    /// What SELECT or EXAMINE reported; `exists` is kept current from the EXISTS, EXPUNGE and
    /// VANISHED responses of every later command on this connection.
    pub state: super::select_state::SelectState,
}

/// Changes made through one account's connections, shared by them (see
/// [`ImapConn::needs_sync`] and [`ImapConn::selection_current`]).
#[derive(Debug, Default)]
pub struct AccountChanges {
    /// Commands that removed messages from a mailbox (EXPUNGE, MOVE, CLOSE, DELETE, RENAME).
    pub writes: AtomicU64,
    /// RENAMEs and DELETEs of mailboxes.
    pub renames: AtomicU64,
}

/// Keeps the selected mailbox's message count current from one response.
pub(super) fn track(selected: &mut Option<Selected>, r: &Response<'_>) {
    let Some(s) = selected.as_mut() else { return };
    match r {
        Response::MailboxData(MailboxDatum::Exists(n)) => s.state.exists = *n,
        Response::Expunge(_) => s.state.exists = s.state.exists.saturating_sub(1),
        Response::Vanished { earlier: false, uids } => {
            let gone: u64 = uids.iter().map(|r| u64::from(r.end().saturating_sub(*r.start())) + 1).sum();
            s.state.exists = s.state.exists.saturating_sub(u32::try_from(gone).unwrap_or(u32::MAX));
        }
        _ => {}
    }
}

/// An authenticated connection as the pool hands it out.
#[derive(Debug)]
pub struct ImapConn {
    session: Session<Conn>,
    /// Set before a command is written and cleared only after its tagged completion: a
    /// connection whose flag is still set must never be reused.
    in_flight: bool,
    selected: Option<Selected>,
    capabilities: Arc<BTreeSet<String>>,
    qresync: bool,
    command_timeout: Duration,
    /// The account's counts of changes made through any of its connections (shared).
    account_writes: Arc<AccountChanges>,
    /// The account's rename count when the current mailbox was selected.
    renames_seen: u64,
    /// When this connection's view last caught up (SELECT, EXAMINE, NOOP or its own change),
    /// and the account's change count then.
    synced: Option<(u64, std::time::Instant)>,
    /// How old a synced view may get before a reused selection is synced again.
    resync_after: Duration,
    metrics: Arc<crate::metrics::Metrics>,
    /// The session's namespaces, once asked (they do not change within a session).
    namespaces: Option<crate::views::namespace::Namespaces>,
    _permit: Option<OwnedSemaphorePermit>,
    _guard: Option<super::pool_stats::OpenGuard>,
}

struct Plain<'a>(&'a Credentials);

impl Authenticator for Plain<'_> {
    type Response = Vec<u8>;
    fn process(&mut self, _challenge: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(user) = &self.0.authorize_as {
            out.extend_from_slice(user.as_bytes());
        }
        out.push(0);
        out.extend_from_slice(self.0.username.as_bytes());
        out.push(0);
        out.extend_from_slice(self.0.password.expose().as_bytes());
        out
    }
}

impl ImapConn {
    /// Connects, authenticates (AUTHENTICATE PLAIN where offered, else LOGIN unless
    /// LOGINDISABLED) and reads the post-login capabilities.
    pub async fn login(
        target: &Target,
        creds: &Credentials,
        permit: Option<OwnedSemaphorePermit>,
    ) -> Result<Self, ImapError> {
        let (client, pre) = target.open().await?;
        let login = async {
            if let Some(mechanism) = creds.oauth {
                if !pre.contains(mechanism.capability()) {
                    return Err(ImapError::Unsupported(mechanism.capability()));
                }
                let token = creds.password.expose();
                oauth::authenticate(
                    client,
                    mechanism,
                    &creds.username,
                    token,
                    target.address(),
                    pre.contains("SASL-IR"),
                )
                .await
            } else if pre.contains("AUTH=PLAIN") {
                // PLAIN carries any UTF-8 password in base64, with no quoting rules to get wrong.
                client
                    .authenticate("PLAIN", Plain(creds))
                    .await
                    .map_err(|(e, _)| classify_login_error("AUTHENTICATE", e))
            } else if creds.authorize_as.is_some() {
                Err(ImapError::Unsupported("AUTH=PLAIN (for a master login)"))
            } else if !pre.contains("LOGINDISABLED") {
                // async-imap quotes both arguments and refuses CR/LF in them.
                client
                    .login(&creds.username, creds.password.expose())
                    .await
                    .map_err(|(e, _)| classify_login_error("LOGIN", e))
            } else {
                Err(ImapError::Unsupported("AUTH=PLAIN or LOGIN"))
            }
        };
        let session = match timeout(target.login_timeout, login).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                let outcome = if matches!(e, ImapError::AuthFailed(_)) { "rejected" } else { "error" };
                target.metrics.inc("imap_logins_total", &[("outcome", outcome)]);
                return Err(e);
            }
            Err(_) => {
                target.metrics.inc("imap_logins_total", &[("outcome", "timeout")]);
                return Err(ImapError::Timeout(Phase::Login));
            }
        };
        target.metrics.inc("imap_logins_total", &[("outcome", "ok")]);
        let mut conn = Self {
            session,
            in_flight: false,
            selected: None,
            capabilities: Arc::default(),
            qresync: false,
            command_timeout: target.command_timeout,
            account_writes: Arc::default(),
            renames_seen: 0,
            synced: None,
            resync_after: target.resync_after,
            metrics: target.metrics.clone(),
            namespaces: None,
            _permit: permit,
            _guard: None,
        };
        let mut caps = BTreeSet::new();
        conn.execute(&encode::capability(), |r| {
            if let Response::Capabilities(list) = r {
                caps.extend(list.iter().map(capability_name));
            }
        })
        .await?;
        caps.retain(|c| !target.ignored_capabilities.contains(c));
        conn.capabilities = Arc::new(caps);
        if conn.has("ID") {
            // Tells the server's logs who connected; a server that refuses it loses nothing.
            match conn.execute(&encode::id(), |_| ()).await {
                Ok(_) | Err(ImapError::No(_) | ImapError::Bad(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if conn.has("QRESYNC") && conn.has("ENABLE") {
            // VANISHED replaces EXPUNGE from here on; commands::noop counts both.
            conn.execute(&encode::enable_qresync(), |_| ()).await?;
            conn.qresync = true;
        } else if conn.has("CONDSTORE") && conn.has("ENABLE") {
            // HIGHESTMODSEQ is reported on every EXAMINE/STATUS once CONDSTORE is enabled.
            conn.execute(&encode::enable_condstore(), |_| ()).await?;
        }
        Ok(conn)
    }

    /// Shares the account's change count with this connection (the pool's connections all
    /// hold the same one).
    pub fn attach_writes(&mut self, writes: Arc<AccountChanges>) {
        self.account_writes = writes;
    }

    /// False once a connection of the account renamed or deleted a mailbox after this one
    /// selected its mailbox: the selection may then name another mailbox, or none.
    pub fn selection_current(&self) -> bool {
        self.account_writes.renames.load(Ordering::SeqCst) == self.renames_seen
    }

    /// True if a reused selection must be synced (NOOP) before it serves a read: its view is
    /// older than `resync_after`, or a connection of the same account removed messages since.
    pub fn needs_sync(&self) -> bool {
        let now = self.account_writes.writes.load(Ordering::SeqCst);
        self.synced.is_none_or(|(seen, at)| seen != now || at.elapsed() >= self.resync_after)
    }

    /// Ties the pool's open-connection counter to this connection's lifetime.
    pub fn attach_guard(&mut self, guard: super::pool_stats::OpenGuard) {
        self._guard = Some(guard);
    }

    /// Capabilities the server advertised after login (upper case).
    pub fn capabilities(&self) -> &Arc<BTreeSet<String>> {
        &self.capabilities
    }

    /// True if the server advertised `name` after login.
    pub fn has(&self, name: &str) -> bool {
        self.capabilities.contains(name)
    }

    /// True once `ENABLE QRESYNC` succeeded on this connection.
    pub fn qresync_enabled(&self) -> bool {
        self.qresync
    }

    /// The namespaces this session was told, if it asked before.
    pub fn namespaces(&self) -> Option<&crate::views::namespace::Namespaces> {
        self.namespaces.as_ref()
    }

    /// Keeps the namespaces this session was told.
    pub fn remember_namespaces(&mut self, namespaces: crate::views::namespace::Namespaces) {
        self.namespaces = Some(namespaces);
    }

    /// Makes a NAMESPACE answer readable to the parser (around that command only).
    pub fn read_namespace(&mut self, on: bool) {
        self.session.get_mut().read_namespace(on);
    }

    /// True while a command has been started but not completed.
    pub fn is_in_flight(&self) -> bool {
        self.in_flight
    }

    /// The mailbox currently selected, if any.
    pub fn selected(&self) -> Option<&Selected> {
        self.selected.as_ref()
    }

    /// Records a new selection (or none); called by the operations that change it.
    pub fn set_selected(&mut self, selected: Option<Selected>) {
        self.selected = selected;
        self.renames_seen = self.account_writes.renames.load(Ordering::SeqCst);
    }

    /// Runs one command through the raw path. Every untagged response is handed to
    /// `on_data` before the next is read, so nothing is copied. Tagged NO/BAD become errors
    /// (async-imap swallows them on its typed paths); I/O failures, BYE and timeouts leave
    /// the in-flight flag set so that the pool discards the connection.
    pub async fn execute<F>(&mut self, cmd: &Command, mut on_data: F) -> Result<Completion, ImapError>
    where
        F: FnMut(&Response<'_>),
    {
        self.in_flight = true;
        let name = cmd.name();
        let session = &mut self.session;
        let selected = &mut self.selected;
        let run = async {
            let tag = session.run_command(cmd.as_str()).await.map_err(|_| lost("write failed"))?;
            loop {
                let resp = session
                    .read_response()
                    .await
                    .map_err(|e| lost_io(&e))?
                    .ok_or_else(|| lost("server closed the connection"))?;
                match resp.parsed() {
                    Response::Done { tag: t, status, outcome } => {
                        if *t != tag {
                            return Err(ImapError::Protocol("tagged response for another command".into()));
                        }
                        let text = outcome.information.as_deref().unwrap_or("");
                        let code = outcome.code.as_ref().map(code_name);
                        return match status {
                            Status::Ok => Ok(Ok(Completion {
                                reply: server_reply(name, "OK", code, text),
                                copy_uid: outcome.code.as_ref().and_then(copy_uid),
                                append_uid: outcome.code.as_ref().and_then(append_uid),
                            })),
                            Status::No => Ok(Err(ImapError::No(server_reply(name, "NO", code, text)))),
                            _ => Ok(Err(ImapError::Bad(server_reply(name, "BAD", code, text)))),
                        };
                    }
                    Response::Data { status: Status::Bye, outcome } if name != "LOGOUT" => {
                        let text = outcome.information.as_deref().unwrap_or("BYE");
                        return Err(ImapError::ConnectionLost(server_reply(name, "BYE", None, text).text));
                    }
                    other => {
                        track(selected, other);
                        on_data(other)
                    }
                }
            }
        };
        let started = std::time::Instant::now();
        let result = timeout(self.command_timeout, run).await;
        self.record(name, started, &result);
        let outcome = result.map_err(|_| ImapError::Timeout(Phase::Command))??;
        // The tagged response arrived: the wire is clean again, whatever the status was.
        self.in_flight = false;
        if outcome.is_ok() {
            self.note_sync(name);
        }
        self.drain_unsolicited();
        outcome
    }

    /// After a completed command: a removal bumps the account's count (this connection saw its
    /// own change); SELECT, EXAMINE and NOOP bring the view up to date. Other changes need no
    /// sync of other connections' views: a UID FETCH answers with a message's current flags
    /// (Dovecot and Cyrus, `tests/it/reuse.rs`), and a message added (APPEND, COPY, MOVE into
    /// a mailbox) has a UID at or above the UIDNEXT a reused selection serves.
    pub(super) fn note_sync(&mut self, name: &str) {
        const REMOVALS: [&str; 6] = ["CLOSE", "EXPUNGE", "UID EXPUNGE", "UID MOVE", "DELETE", "RENAME"];
        if matches!(name, "RENAME" | "DELETE") {
            self.account_writes.renames.fetch_add(1, Ordering::SeqCst);
        }
        let writes = &self.account_writes.writes;
        if matches!(name, "SELECT" | "EXAMINE" | "NOOP") {
            self.synced = Some((writes.load(Ordering::SeqCst), std::time::Instant::now()));
        } else if REMOVALS.contains(&name) {
            let now = writes.fetch_add(1, Ordering::SeqCst) + 1;
            // Our own change keeps our view current if it was before, but no newer: it did not
            // bring in other clients' changes, so the resync window still runs from the last sync.
            if let Some((seen, at)) = self.synced
                && seen + 1 == now
            {
                self.synced = Some((now, at));
            }
        }
    }

    /// Counts a finished (or failed) command and its latency.
    fn record<E>(
        &self,
        name: &'static str,
        started: std::time::Instant,
        result: &Result<Result<Result<Completion, ImapError>, ImapError>, E>,
    ) {
        let outcome = match result {
            Ok(Ok(Ok(_))) => "ok",
            Ok(Ok(Err(ImapError::No(_)))) => "no",
            Ok(Ok(Err(ImapError::Bad(_)))) => "bad",
            Ok(Ok(Err(_))) | Ok(Err(_)) => "error",
            Err(_) => "timeout",
        };
        self.metrics.inc("imap_commands_total", &[("command", name), ("outcome", outcome)]);
        self.metrics.observe("imap_command_duration_seconds", &[("command", name)], started.elapsed());
    }

    /// Empties async-imap's bounded unsolicited channel so that it never fills and drops.
    pub fn drain_unsolicited(&mut self) {
        while self.session.unsolicited_responses.try_recv().is_ok() {}
    }

    /// Health check through the raw path, which notices a dead stream (`Session::noop` may not).
    pub async fn check_alive(&mut self, deadline: Duration) -> Result<(), ImapError> {
        timeout(deadline, self.execute(&encode::noop(), |_| ()))
            .await
            .map_err(|_| ImapError::Timeout(Phase::Command))??;
        Ok(())
    }

    /// Says goodbye politely, bounded by a short deadline; errors are irrelevant here.
    pub async fn logout(mut self) {
        let _ = timeout(Duration::from_secs(2), self.execute(&encode::logout(), |_| ())).await;
    }
}
