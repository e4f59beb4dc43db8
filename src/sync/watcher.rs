//! The per-account watcher: a dedicated IMAP connection outside the request pool that IDLEs
//! on one mailbox (INBOX by default), checks the others with STATUS every `poll_secs`, turns
//! what changed into events with the `/changes` machinery, reconnects with jittered backoff,
//! and stops `linger_secs` after its last subscriber left.
//!
//! NOTIFY (RFC 5465) is not used: with `NOTIFY SET` active, Dovecot 2.3.19 answered the next
//! IDLE at once with a STATUS of an unchanged mailbox and delayed the selected mailbox's EXISTS,
//! which cost more than the STATUS polling it would save.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use super::{
    delta::{self, Next},
    events::{Feed, Hub},
    snapshots::{Snapshot, digest},
    token::{self, ModState},
};
use crate::{
    config::{CHANGES_COLLECT_MAX as COLLECT_MAX, EventsSettings},
    imap::{
        Credentials,
        changes::{self, Outcome, SCAN_LIMIT},
        connect::Target,
        encode::MailboxName,
        error::ImapError,
        mailbox,
        pool::PARK_FOR,
        select_state::SelectState,
        session::{IdleEnd, ImapConn},
    },
    views::events::EventData,
};

/// The `reason` of a `mailbox.changed` event when the mailbox was deleted or renamed away.
pub const MAILBOX_GONE: &str = "mailbox-gone";
/// The `reason` of a `mailbox.changed` event when the mailbox was recreated: resynchronise.
pub const UIDVALIDITY_CHANGED: &str = "uidvalidity-changed";

/// What the watcher knows of one mailbox.
#[derive(Debug)]
struct Tracked {
    state: ModState,
    /// Every message's flags digest (servers without CONDSTORE).
    snapshot: Option<Snapshot>,
    /// Every UID (servers without QRESYNC), so that deletions can be named.
    known: Option<Vec<u32>>,
    /// Too large to follow message by message: only `mailbox.changed`.
    coarse: bool,
}

fn mod_state(s: &SelectState) -> ModState {
    ModState {
        uid_validity: s.uid_validity.unwrap_or(0),
        mod_seq: s.highest_mod_seq.unwrap_or(0),
        uid_next: s.uid_next.unwrap_or(0),
        exists: s.exists,
        after_uid: 0,
    }
}

/// Where a watcher gets its credentials, read afresh at every (re)connect so that a password
/// changed by a new login is used from the next reconnect on; `None` ends the watcher.
pub type CredentialSource =
    Arc<dyn Fn() -> futures_util::future::BoxFuture<'static, Option<Credentials>> + Send + Sync>;

/// Starts the watcher of `feed`.
/// Its connection is replaced after `lifetime` (like a pooled one), so that a password changed
/// at the server is noticed (then refused and parked) within that time.
pub fn spawn(
    feed: Arc<Feed>,
    hub: Arc<Hub>,
    target: Arc<Target>,
    source: CredentialSource,
    settings: EventsSettings,
    lifetime: Duration,
) {
    tokio::spawn(async move {
        let mut tracked = BTreeMap::new();
        let mut failures = 0u32;
        loop {
            let logins = feed.logins();
            let Some(creds) = source().await else {
                tracing::warn!(account.id = %feed.account, "event watcher has no credentials; stopping");
                hub.stop(&feed.account);
                return;
            };
            let started = tokio::time::Instant::now();
            let delay = match watch(&feed, &hub, &target, &creds, &settings, lifetime, &mut tracked).await {
                Ok(()) => return,
                Err(ImapError::AuthFailed(_)) => {
                    // Parked like the pool: no login with credentials the server refused until
                    // the user logs in again or PARK_FOR passes (a retry loop would lock
                    // accounts in directories with lockout).
                    tracing::warn!(account.id = %feed.account, "event watcher's login was refused; parked until the next login");
                    failures = 0;
                    PARK_FOR
                }
                Err(e) => {
                    tracing::warn!(account.id = %feed.account, error = %e, "event watcher lost its connection");
                    failures = if started.elapsed() > Duration::from_secs(60) { 1 } else { failures.saturating_add(1) };
                    let ceiling = settings.reconnect_base_ms.saturating_mul(1 << failures.min(16)).min(60_000);
                    Duration::from_millis(crate::random::random_id() % ceiling.max(1))
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = feed.until_login_after(logins), if delay == PARK_FOR => {}
                _ = feed.until_stopped() => return,
            }
            if feed.unwatched_for().is_some_and(|d| d >= Duration::from_secs(settings.linger_secs))
                && hub.remove_if_idle(&feed)
            {
                return;
            }
        }
    });
}

/// One connection's life. `Ok` means the watcher is done for good.
async fn watch(
    feed: &Arc<Feed>,
    hub: &Hub,
    target: &Target,
    creds: &Credentials,
    s: &EventsSettings,
    lifetime: Duration,
    tracked: &mut BTreeMap<String, Tracked>,
) -> Result<(), ImapError> {
    let mut conn = ImapConn::login(target, creds, None).await?;
    let retire_at = tokio::time::Instant::now() + lifetime;
    let refresh = Duration::from_secs(s.idle_refresh_secs.max(1));
    let poll = Duration::from_secs(s.poll_secs.max(1));
    let linger = Duration::from_secs(s.linger_secs);
    let mut next_poll = tokio::time::Instant::now();
    loop {
        if feed.is_stopped() {
            conn.logout().await;
            return Ok(());
        }
        let wanted = feed.wanted();
        // mailboxes no stream or webhook wants any more are no longer followed
        tracked.retain(|name, _| wanted.contains(name));
        let idle_on =
            if wanted.contains("INBOX") { "INBOX".to_string() } else { wanted.first().cloned().unwrap_or_default() };
        let new: Vec<String> = wanted.iter().filter(|n| !tracked.contains_key(*n)).cloned().collect();
        for name in &new {
            let mailbox = MailboxName::listed(name).map_err(|e| ImapError::Protocol(e.to_string()))?;
            match baseline(&mut conn, &mailbox, feed.take_seed(name)).await {
                Ok(t) => {
                    feed.mark_watching(name, t.state);
                    tracked.insert(name.clone(), t);
                }
                Err(ImapError::No(_)) => {
                    // Gone (deleted meanwhile): stop following it rather than retry forever.
                    feed.unwant(name);
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        if tokio::time::Instant::now() >= next_poll {
            for name in wanted.iter().filter(|n| **n != idle_on) {
                let mailbox = MailboxName::listed(name).map_err(|e| ImapError::Protocol(e.to_string()))?;
                let Some(status) = checked(mailbox::status(&mut conn, &mailbox).await, feed, tracked, name)? else {
                    continue;
                };
                let Some(t) = tracked.get_mut(name) else { continue };
                let now = ModState {
                    uid_validity: status.uid_validity.unwrap_or(0),
                    mod_seq: status.highest_mod_seq.unwrap_or(0),
                    uid_next: status.uid_next.unwrap_or(0),
                    exists: status.messages.unwrap_or(0),
                    after_uid: 0,
                };
                // Without MODSEQ a flag change does not show in STATUS: a scan must look.
                if now != t.state || t.snapshot.is_some() {
                    checked(step(&mut conn, feed, &mailbox, t).await, feed, tracked, name)?;
                }
            }
            next_poll = tokio::time::Instant::now() + poll;
        }
        let idle_mailbox = MailboxName::listed(&idle_on).ok();
        if let (Some(mailbox), Some(t)) = (&idle_mailbox, tracked.get_mut(&idle_on)) {
            checked(step(&mut conn, feed, mailbox, t).await, feed, tracked, &idle_on)?;
            if !tracked.contains_key(&idle_on) {
                continue;
            }
        }
        let now = tokio::time::Instant::now();
        if now >= retire_at {
            conn.logout().await;
            return Err(ImapError::ConnectionLost("the watcher's connection reached its lifetime".into()));
        }
        let mut wait = refresh.min(retire_at - now);
        if wanted.len() > 1 {
            wait = wait.min(next_poll.saturating_duration_since(tokio::time::Instant::now()));
        }
        if let Some(unwatched) = feed.unwatched_for() {
            if unwatched >= linger && hub.remove_if_idle(feed) {
                conn.logout().await;
                return Ok(());
            }
            wait = wait.min(linger.saturating_sub(unwatched).max(Duration::from_millis(100)));
        }
        let end = if conn.has("IDLE") && idle_mailbox.is_some() {
            conn.idle(wait, &feed.wake).await?
        } else {
            tokio::select! {
                _ = tokio::time::sleep(wait.min(Duration::from_secs(5))) => IdleEnd::Timeout,
                _ = feed.wake.notified() => IdleEnd::Stopped,
            }
        };
        tracing::debug!(account.id = %feed.account, ?end, "watcher woke");
    }
}

/// A NO about one mailbox (deleted, or no longer accessible) ends following it, with a
/// `mailbox.changed` event saying so; connection failures stay errors.
fn checked<T>(
    r: Result<T, ImapError>,
    feed: &Feed,
    tracked: &mut BTreeMap<String, Tracked>,
    name: &str,
) -> Result<Option<T>, ImapError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(ImapError::No(_)) => {
            if let Some(t) = tracked.remove(name) {
                publish(feed, "mailbox.changed", name, Vec::new(), &t.state, Some(MAILBOX_GONE));
            }
            feed.unwant(name);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The starting point of a mailbox: its state and, where the server cannot name deletions or
/// flag changes itself, every UID and flags digest.
async fn baseline(conn: &mut ImapConn, mailbox: &MailboxName, seed: Option<ModState>) -> Result<Tracked, ImapError> {
    let state = mailbox::select_read_only(conn, mailbox).await?;
    let mut t = Tracked { state: mod_state(&state), snapshot: None, known: None, coarse: false };
    if conn.qresync_enabled() {
        // QRESYNC can name everything since a remembered state, deletions included.
        if let Some(seed) = seed.filter(|s| s.uid_validity == t.state.uid_validity && s.mod_seq > 0) {
            t.state = seed;
        }
        return Ok(t);
    }
    let req = changes::Request {
        mod_seq: 0,
        after_uid: 0,
        uid_next: 1,
        known: None,
        scan_limit: SCAN_LIMIT,
        collect_max: COLLECT_MAX,
    };
    match changes::since(conn, mailbox, t.state.uid_validity, &req).await? {
        Outcome::Facts(f) => {
            t.state = mod_state(&f.state);
            t.known = Some(f.changed.iter().map(|c| c.uid).collect());
            if t.state.mod_seq == 0 {
                let entries = f.changed.iter().map(|c| (c.uid, digest(&c.flags))).collect();
                t.snapshot = Some(Snapshot { uid_validity: t.state.uid_validity, uid_next: t.state.uid_next, entries });
            }
        }
        Outcome::Stale { .. } | Outcome::TooLarge { .. } => t.coarse = true,
    }
    Ok(t)
}

/// Reads what changed in `mailbox` since `t`, publishes it, and moves `t` forward. Leaves the
/// mailbox selected. Reads page after page while a page says more follow (each one moves `t`
/// forward), and looks again (a few times at most) when the server reported changes while it
/// was reading: those would not be reported again during the next IDLE.
async fn step(conn: &mut ImapConn, feed: &Feed, mailbox: &MailboxName, t: &mut Tracked) -> Result<(), ImapError> {
    let mut again = 0;
    loop {
        match step_once(conn, feed, mailbox, t).await? {
            Look::More => {}
            Look::Moved if again < 3 => again += 1,
            Look::Moved | Look::Done => return Ok(()),
        }
    }
}

/// What one look found.
enum Look {
    /// Nothing left.
    Done,
    /// The server reported changes while the look ran.
    Moved,
    /// A page ended before the changes did.
    More,
}

/// One look.
async fn step_once(
    conn: &mut ImapConn,
    feed: &Feed,
    mailbox: &MailboxName,
    t: &mut Tracked,
) -> Result<Look, ImapError> {
    let name = mailbox.as_str();
    if t.coarse {
        let state = mod_state(&mailbox::select_read_only(conn, mailbox).await?);
        if state != t.state {
            t.state = state;
            publish(feed, "mailbox.changed", name, Vec::new(), &t.state, None);
        }
        return Ok(Look::Done);
    }
    let req = changes::Request {
        mod_seq: if t.snapshot.is_some() { 0 } else { t.state.mod_seq },
        after_uid: if t.snapshot.is_some() { 0 } else { t.state.after_uid },
        uid_next: t.state.uid_next,
        known: t.known.clone(),
        scan_limit: SCAN_LIMIT,
        collect_max: COLLECT_MAX,
    };
    let facts = match changes::since(conn, mailbox, t.state.uid_validity, &req).await? {
        Outcome::Facts(f) => f,
        Outcome::Stale { .. } => {
            *t = baseline(conn, mailbox, None).await?;
            publish(feed, "mailbox.changed", name, Vec::new(), &t.state, Some(UIDVALIDITY_CHANGED));
            return Ok(Look::Done);
        }
        Outcome::TooLarge { .. } => {
            t.coarse = true;
            return Ok(Look::Done);
        }
    };
    let Ok(d) = delta::compute(&t.state, t.snapshot.as_ref(), &facts, usize::MAX) else {
        // Unreachable with known UIDs; fall back to following the mailbox state only.
        t.coarse = true;
        return Ok(Look::Done);
    };
    let before = t.state;
    let now = mod_state(&facts.state);
    match d.next {
        Next::Mod(m) => t.state = m,
        Next::Scan(snap) => {
            t.state = now;
            t.snapshot = Some(snap);
        }
    }
    if let Some(known) = &mut t.known {
        known.retain(|u| d.destroyed.binary_search(u).is_err());
        known.extend(&d.created);
        known.sort_unstable();
        known.dedup();
    }
    let updated: Vec<u32> = d.updated.iter().map(|c| c.uid).collect();
    for (kind, uids) in [("message.created", d.created), ("message.updated", updated), ("message.deleted", d.destroyed)]
    {
        if !uids.is_empty() {
            publish(feed, kind, name, uids, &t.state, None);
        }
    }
    if t.state != before {
        publish(feed, "mailbox.changed", name, Vec::new(), &t.state, None);
    }
    // A page holds at most COLLECT_MAX changes: the rest is read by the next look.
    Ok(if d.has_more {
        Look::More
    } else if facts.moved {
        Look::Moved
    } else {
        Look::Done
    })
}

fn publish(feed: &Feed, kind: &str, mailbox: &str, uids: Vec<u32>, state: &ModState, reason: Option<&str>) {
    feed.publish(EventData {
        kind: kind.into(),
        mailbox: mailbox.into(),
        uids,
        state: token::mod_token(*state),
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        reason: reason.map(Into::into),
    });
}
