//! The mixed row: a mail client's mix of requests, on four accounts at once. Per 100 requests:
//! 45 list pages, 20 reads of a message read before, 10 first reads, 15 flag changes, 5 raw
//! downloads and 5 searches, each worker on one account's `mix` mailbox, picked the same way
//! on both sides.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::{
    direct::Direct,
    http::Http,
    load::{Op, Worker},
    seed, servers,
};

/// The accounts, each with a `mix` mailbox of [`MESSAGES`] messages.
pub const USERS: [&str; 4] = ["mix1", "mix2", "mix3", "mix4"];
/// The mailbox of the row.
pub const MAILBOX: &str = "mix";
/// Messages in each `mix`, UIDs 1..=this.
pub const MESSAGES: u64 = 20_000;
/// UIDs 1..=this are for first reads, each read once (the gateway the odd ones, the direct
/// client the even ones); the others are the mailbox a client works in.
const UNREAD: u64 = 10_000;
/// Reads of a message read before pick one of the newest this many (a client opens again what
/// its list shows).
const RECENT: u64 = 200;
/// Flag changes pick one of the newest this many.
const FLAGGABLE: u64 = 1_000;

/// Flag changes per account and message (of the newest [`FLAGGABLE`]): `\Flagged` is set on
/// odd visits and cleared on even ones, so every STORE changes the message.
static VISITS: [[AtomicU32; FLAGGABLE as usize]; USERS.len()] =
    [const { [const { AtomicU32::new(0) }; FLAGGABLE as usize] }; USERS.len()];
/// First reads made, the gateway's and the direct client's.
static FIRST_READS: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
/// Requests made of each kind (in the order of [`KINDS`]), by the gateway's workers and the
/// direct client's, warm-up included.
static MADE: [[AtomicU64; KINDS.len()]; 2] = [const { [const { AtomicU64::new(0) }; KINDS.len()] }; 2];
/// Time spent in requests of each kind, nanoseconds, as [`MADE`] counts them.
static TOOK: [[AtomicU64; KINDS.len()]; 2] = [const { [const { AtomicU64::new(0) }; KINDS.len()] }; 2];
/// The kinds of request, as the results name them.
pub const KINDS: [&str; 6] = ["list pages", "reads", "first reads", "flag changes", "raw downloads", "searches"];

/// One request of the mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Request {
    Page,
    Read(u64),
    FirstRead,
    Flag(u64),
    Raw(u64),
    Search,
}

impl Request {
    fn kind(self) -> usize {
        match self {
            Request::Page => 0,
            Request::Read(_) => 1,
            Request::FirstRead => 2,
            Request::Flag(_) => 3,
            Request::Raw(_) => 4,
            Request::Search => 5,
        }
    }
}

/// The request for `n` (counted for `gateway`'s side): its kind from one hundredth of the
/// hash, its message from the rest.
fn request(n: u64, gateway: bool) -> Request {
    let h = crate::load::spread(n);
    let (slot, pick) = (h % 100, h / 100);
    let r = match slot {
        0..45 => Request::Page,
        45..65 => Request::Read(MESSAGES - pick % RECENT),
        65..75 => Request::FirstRead,
        75..90 => Request::Flag(MESSAGES - pick % FLAGGABLE),
        90..95 => Request::Raw(UNREAD + 1 + pick % (MESSAGES - UNREAD)),
        _ => Request::Search,
    };
    MADE[usize::from(!gateway)][r.kind()].fetch_add(1, Ordering::Relaxed);
    r
}

/// Counts `took` for a request of `kind`.
fn took(gateway: bool, kind: usize, started: std::time::Instant) {
    TOOK[usize::from(!gateway)][kind].fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
}

/// Mean milliseconds of each kind of request so far: the gateway's, then the direct client's.
pub fn mean_ms() -> [[f64; KINDS.len()]; 2] {
    let made = made();
    std::array::from_fn(|side| {
        std::array::from_fn(|k| TOOK[side][k].load(Ordering::Relaxed) as f64 / 1e6 / made[side][k].max(1) as f64)
    })
}

/// Requests made of each kind so far: the gateway's workers', then the direct client's.
pub fn made() -> [[u64; KINDS.len()]; 2] {
    MADE.each_ref().map(|side| side.each_ref().map(|c| c.load(Ordering::Relaxed)))
}

/// The next UID no worker of the side has read (in any account: the counter is the side's),
/// or an error when the side has read all of its 5,000.
fn first_read(gateway: bool) -> Result<u64, String> {
    let k = FIRST_READS[usize::from(!gateway)].fetch_add(1, Ordering::Relaxed);
    if k >= UNREAD / 2 {
        return Err("no unread message left for a first read".into());
    }
    Ok(2 * k + if gateway { 1 } else { 2 })
}

/// Whether this flag change sets the flag (`uid` of `account`).
fn sets(account: usize, uid: u64) -> bool {
    let i = ((MESSAGES - uid) % FLAGGABLE) as usize;
    VISITS[account][i].fetch_add(1, Ordering::Relaxed).is_multiple_of(2)
}

/// A worker of the mixed row: one side's client for one account.
pub struct Mixed<W> {
    inner: W,
    account: usize,
}

impl Worker for Mixed<Http> {
    async fn call(&mut self, _: Op, n: u64) -> Result<(), String> {
        let h = &self.inner;
        let started = std::time::Instant::now();
        let r = request(n, true);
        let result = match r {
            Request::Page => h.page(MAILBOX).await,
            Request::Read(uid) => h.read(MAILBOX, uid).await,
            Request::FirstRead => match first_read(true) {
                Ok(uid) => h.read(MAILBOX, uid).await,
                Err(e) => Err(e),
            },
            Request::Flag(uid) => h.flag(MAILBOX, uid, sets(self.account, uid)).await,
            Request::Raw(uid) => h.raw(MAILBOX, uid, 500).await,
            Request::Search => h.search(MAILBOX).await,
        };
        took(true, r.kind(), started);
        result
    }
}

impl Worker for Mixed<Direct> {
    async fn call(&mut self, _: Op, n: u64) -> Result<(), String> {
        let d = &mut self.inner;
        let started = std::time::Instant::now();
        let r = request(n, false);
        let result = match r {
            Request::Page => d.page(MAILBOX).await,
            Request::Read(uid) => d.read(MAILBOX, uid).await,
            Request::FirstRead => match first_read(false) {
                Ok(uid) => d.read(MAILBOX, uid).await,
                Err(e) => Err(e),
            },
            Request::Flag(uid) => d.store(MAILBOX, uid, sets(self.account, uid)).await,
            Request::Raw(uid) => d.raw(MAILBOX, uid).await,
            Request::Search => d.search(MAILBOX).await,
        };
        d.drain();
        took(false, r.kind(), started);
        result
    }
}

/// Seeds every account's `mix` (realistic messages, as `k10`'s).
pub fn seed() -> std::io::Result<()> {
    for user in USERS {
        seed::realistic(&servers::maildir(user), MAILBOX, MESSAGES)?;
    }
    Ok(())
}

/// Has Dovecot index and cache every account's `mix`, as [`Direct::warm`] does alice's.
pub async fn warm() -> Result<(), String> {
    for user in USERS {
        Direct::warm(user, &[MAILBOX]).await?;
    }
    Ok(())
}

/// `concurrency` workers on each side, spread over the accounts in turn.
pub async fn workers(
    client: &reqwest::Client,
    concurrency: usize,
) -> Result<(Vec<Mixed<Http>>, Vec<Mixed<Direct>>), String> {
    let mut tokens = Vec::new();
    for user in USERS {
        tokens.push(Http::login(client, user).await?);
    }
    let (mut https, mut directs) = (Vec::new(), Vec::new());
    for i in 0..concurrency {
        let account = i % USERS.len();
        https.push(Mixed { inner: tokens[account].clone(), account });
        directs.push(Mixed { inner: Direct::connect(USERS[account]).await?, account });
    }
    Ok((https, directs))
}

/// Logs the direct sessions out.
pub async fn logout(directs: Vec<Mixed<Direct>>) {
    for d in directs {
        d.inner.logout().await;
    }
}
