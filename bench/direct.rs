//! The floor: a direct IMAP client (async-imap) doing each operation's IMAP work, one session
//! per worker, with nothing in between.

use futures_util::TryStreamExt as _;
use tokio::{io::BufWriter, net::TcpStream};

use crate::{
    load::{Op, Worker},
    servers::IMAP_PORT,
};

/// Messages in the mailbox the message operations use (`k10`), UIDs 1..=this.
pub const MESSAGES: u64 = 10_000;
/// Messages in `k100`, UIDs 1..=this.
pub const FIRST_READS: u64 = 100_000;

/// The UID of `k100` a first read picks from `n`: each side has its own half (the gateway the
/// odd UIDs, the direct client the even ones), so that neither reads a message the other made
/// Dovecot read before; distinct for 50,000 consecutive `n`.
pub fn first_read_uid(n: u64, gateway: bool) -> u64 {
    let half = FIRST_READS / 2;
    2 * (n.wrapping_mul(7919) % half) + if gateway { 1 } else { 2 }
}
/// Messages of about 100 KB in `raw100k`, UIDs 1..=this.
pub const LARGE: u64 = 50;
/// The search both sides run: the sender `bob` since 25 Jan 2025 (the newest third of `k10`).
pub const SEARCH_IMAP: &str = "FROM \"bob\" SINCE 25-Jan-2025";

/// A UID of the message mailbox picked from `n`, spread over the whole mailbox.
pub fn uid_of(n: u64, count: u64) -> u64 {
    1 + n.wrapping_mul(7919) % count
}

/// Times each message of `k10` was given a flag change, by UID (shared by both sides).
static FLAG_VISITS: [std::sync::atomic::AtomicU32; MESSAGES as usize + 1] =
    [const { std::sync::atomic::AtomicU32::new(0) }; MESSAGES as usize + 1];

/// The flag update for `n`: a message of `k10` picked at random (every worker reaches every
/// message, as the requests of many users' clients do), and `\Flagged` set on its odd visits and
/// cleared on its even ones, so that (but for two workers racing on one message) every STORE
/// changes the message. (`uid_of` gives each of the 16 workers its own sixteenth of the
/// mailbox, and a worker's `n` keeps its parity: every worker would set or clear the same flag on
/// the same messages over and over, a STORE that changes nothing after the first pass.)
pub fn flag_change(n: u64) -> (u64, bool) {
    // consecutive `n` spread over the whole mailbox
    let uid = 1 + crate::load::spread(n) % MESSAGES;
    let visit = FLAG_VISITS[uid as usize].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    (uid, visit.is_multiple_of(2))
}

/// One logged-in session. Like a good client, it keeps its mailbox selected: EXAMINE or
/// SELECT only when the mailbox (or the need to write) changes, and NOOP before a page or a
/// search, the least a client must do to see new mail.
pub struct Direct {
    session: async_imap::Session<BufWriter<TcpStream>>,
    /// The selected mailbox, and whether it was selected read-write.
    selected: Option<(&'static str, bool)>,
    /// Its message count, kept current from EXISTS and EXPUNGE.
    exists: u32,
}

impl Direct {
    /// Connects and logs in as `user`.
    pub async fn connect(user: &str) -> Result<Self, String> {
        let tcp = TcpStream::connect(("127.0.0.1", IMAP_PORT)).await.map_err(|e| e.to_string())?;
        let _ = tcp.set_nodelay(true);
        // async-imap writes a command in four pieces and flushes after it: buffered, that is
        // one segment per command, as the gateway sends it.
        let mut client = async_imap::Client::new(BufWriter::new(tcp));
        client.read_response().await.map_err(|e| e.to_string())?.ok_or("no greeting")?;
        let mut session = client.login(user, format!("{user}-pass")).await.map_err(|(e, _)| e.to_string())?;
        if std::env::var("BENCH_DIRECT_QRESYNC").is_ok() {
            session.run_command_and_check_ok("ENABLE QRESYNC").await.map_err(|e| e.to_string())?;
        }
        Ok(Self { session, selected: None, exists: 0 })
    }

    /// Takes in what the server told unasked (EXISTS, EXPUNGE).
    pub fn drain(&mut self) {
        use async_imap::types::UnsolicitedResponse as U;
        while let Ok(r) = self.session.unsolicited_responses.try_recv() {
            match r {
                U::Exists(n) => self.exists = n,
                U::Expunge(_) => self.exists = self.exists.saturating_sub(1),
                _ => {}
            }
        }
    }

    /// Selects `mailbox` unless it is selected already (read-write when `write`).
    async fn open(&mut self, mailbox: &'static str, write: bool) -> Result<(), String> {
        match self.selected {
            Some((m, rw)) if m == mailbox && (rw || !write) => return Ok(()),
            _ => {}
        }
        let state = if write { self.session.select(mailbox).await } else { self.session.examine(mailbox).await };
        self.exists = state.map_err(|e| e.to_string())?.exists;
        self.selected = Some((mailbox, write));
        self.drain();
        Ok(())
    }

    /// Selects `mailbox`, or asks for news with NOOP when it is selected already.
    async fn sync(&mut self, mailbox: &'static str) -> Result<(), String> {
        if self.selected.is_some_and(|(m, _)| m == mailbox) {
            self.session.noop().await.map_err(|e| e.to_string())?;
            self.drain();
            return Ok(());
        }
        self.open(mailbox, false).await
    }

    /// The summaries of the newest 50 messages (by sequence number), or an error for fewer.
    async fn newest_page(&mut self) -> Result<(), String> {
        let exists = self.exists;
        let set = format!("{}:{exists}", exists.saturating_sub(49).max(1));
        let fetched: Vec<_> = self
            .session
            .fetch(set, SUMMARY)
            .await
            .map_err(|e| e.to_string())?
            .try_collect()
            .await
            .map_err(|e| e.to_string())?;
        if fetched.len() < 50 { Err(format!("page of {}", fetched.len())) } else { Ok(()) }
    }

    /// `UID FETCH uid query`: whether the message came. Other messages' FETCHes in the answer
    /// (flags another session changed, reported unasked) are not it.
    async fn fetch_uid(&mut self, uid: u64, query: &str) -> Result<(), String> {
        let fetched: Vec<_> = self
            .session
            .uid_fetch(uid.to_string(), query)
            .await
            .map_err(|e| e.to_string())?
            .try_collect()
            .await
            .map_err(|e| e.to_string())?;
        let found = fetched.iter().any(|f| f.uid.map(u64::from) == Some(uid));
        if found { Ok(()) } else { Err("no message".into()) }
    }

    /// Opens each mailbox once, reads the summaries of all its messages and logs out,
    /// so that Dovecot's index and cache are as a long-lived server has them: its index written
    /// back (a freshly seeded folder's costs every EXAMINE ~50 ms at 100k messages until then)
    /// and ENVELOPE and BODYSTRUCTURE cached, as delivery caches them once clients ask for them
    /// (on a cold cache, sessions that sync while others fill it stall for up to seconds).
    pub async fn warm(user: &str, mailboxes: &[&str]) -> Result<(), String> {
        let mut d = Self::connect(user).await?;
        for m in mailboxes {
            let exists = d.session.examine(m).await.map_err(|e| e.to_string())?.exists;
            if exists == 0 {
                continue;
            }
            let mut fetched = d.session.fetch(format!("1:{exists}"), SUMMARY).await.map_err(|e| e.to_string())?;
            while fetched.try_next().await.map_err(|e| e.to_string())?.is_some() {}
            drop(fetched);
            d.drain();
        }
        d.logout().await;
        Ok(())
    }

    /// Logs out.
    pub async fn logout(mut self) {
        let _ = self.session.logout().await;
    }
}

/// What the gateway's summary holds, with Dovecot's own preview (PREVIEW, RFC 8970) for the
/// gateway's: the first id of References is the gateway's thread id.
const SUMMARY: &str = "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE PREVIEW \
                       BODY.PEEK[HEADER.FIELDS (REFERENCES)]<0.2048>)";

impl Direct {
    /// The newest 50 summaries of `mailbox`, after a NOOP (or its selection).
    pub async fn page(&mut self, mailbox: &'static str) -> Result<(), String> {
        self.sync(mailbox).await?;
        self.newest_page().await
    }

    /// One message of `mailbox` whole, with what a client shows with it.
    pub async fn read(&mut self, mailbox: &'static str, uid: u64) -> Result<(), String> {
        self.open(mailbox, false).await?;
        self.fetch_uid(uid, "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY.PEEK[])").await
    }

    /// One message of `mailbox` as it is stored.
    pub async fn raw(&mut self, mailbox: &'static str, uid: u64) -> Result<(), String> {
        self.open(mailbox, false).await?;
        self.fetch_uid(uid, "(UID BODY.PEEK[])").await
    }

    /// The benchmark's search in `mailbox`, after a NOOP (or its selection).
    pub async fn search(&mut self, mailbox: &'static str) -> Result<(), String> {
        self.sync(mailbox).await?;
        let found = self.session.uid_search(SEARCH_IMAP).await.map_err(|e| e.to_string())?;
        if found.is_empty() { Err("nothing found".into()) } else { Ok(()) }
    }

    /// Sets (`on`) or clears `\Flagged` on one message of `mailbox`, selected read-write.
    pub async fn store(&mut self, mailbox: &'static str, uid: u64, on: bool) -> Result<(), String> {
        self.open(mailbox, true).await?;
        let query = if on { "+FLAGS (\\Flagged)" } else { "-FLAGS (\\Flagged)" };
        let _: Vec<_> = self
            .session
            .uid_store(uid.to_string(), query)
            .await
            .map_err(|e| e.to_string())?
            .try_collect()
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

impl Worker for Direct {
    async fn call(&mut self, op: Op, n: u64) -> Result<(), String> {
        let result = match op {
            Op::CollapsedPage(mailbox) => {
                // What the gateway asks of the server for a collapsed page: every UID and the
                // unseen ones (threads come from its index), then the summaries of the page.
                self.sync(mailbox).await?;
                let all = self.session.uid_search("ALL").await.map_err(|e| e.to_string())?;
                let unseen = self.session.uid_search("UNSEEN").await.map_err(|e| e.to_string())?;
                if all.len() < 200 || unseen.is_empty() {
                    return Err(format!("{} messages, {} unseen", all.len(), unseen.len()));
                }
                self.newest_page().await
            }
            Op::ListPage(mailbox) | Op::ListFirstRead(mailbox) => self.page(mailbox).await,
            Op::GetMessage => self.read("k10", uid_of(n, MESSAGES)).await,
            Op::FirstRead => self.read("k100", first_read_uid(n, false)).await,
            Op::GetRaw => self.raw("raw100k", uid_of(n, LARGE)).await,
            Op::Search => self.search("k10").await,
            Op::FlagUpdate => {
                let (uid, on) = flag_change(n);
                self.store("k10", uid, on).await
            }
            Op::Open(mailbox) => self.open(mailbox, false).await,
            Op::Mixed | Op::Send => Err("not an operation of one session: see mixed.rs and smtp.rs".into()),
        };
        self.drain();
        result
    }
}
