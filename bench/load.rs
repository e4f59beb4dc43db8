//! The load generator: a fixed number of workers, each with its own HTTP client slot or IMAP
//! session, calling one operation back to back for a fixed time; latencies and throughput.

use std::{
    future::Future,
    time::{Duration, Instant},
};

/// What the benchmark measures, the same on both sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// The newest 50 message summaries of a mailbox, with previews and thread ids: the gateway's
    /// summaries cached (what a page read again costs).
    ListPage(&'static str),
    /// The same page from a gateway without a summary cache: every summary and preview read
    /// from the server, as on a first read.
    ListFirstRead(&'static str),
    /// The newest 50 threads of a mailbox (`collapseThreads=true`), threads of four messages.
    CollapsedPage(&'static str),
    /// One message as JSON (envelope, structure, text bodies), of `k10`, whose 10,000 messages
    /// the warm-up reads: what a repeated read costs.
    GetMessage,
    /// One message as JSON of `k100`, read for the first time in the run: no cache of the
    /// gateway has it, and Dovecot has not served its body before (measured without warm-up,
    /// for `FIRST_READ_SECS`, so that neither side runs out of unread messages).
    FirstRead,
    /// One raw message of about 100 KB.
    GetRaw,
    /// A search by sender and date.
    Search,
    /// Setting or clearing `\Flagged` on one message.
    FlagUpdate,
    /// A mail client's mix on four accounts at once (see `mixed.rs`).
    Mixed,
    /// Opening a mailbox on every connection, once per worker and not measured: before the
    /// first-read row, so that its first requests do not carry the EXAMINE of a mailbox of
    /// 100,000 messages.
    Open(&'static str),
    /// Sending a message of about 20 KB from `alice` to `u0001` through the bench's Postfix:
    /// `POST /v1/messages/send` with `saveToSent: false`, or one direct SMTP session (STARTTLS,
    /// AUTH PLAIN, MAIL, RCPT, DATA, QUIT) per message.
    Send,
}

impl Op {
    /// The name `BENCH_OPS` picks it by.
    pub fn short(self) -> &'static str {
        match self {
            Op::ListPage(_) => "list",
            Op::ListFirstRead(_) => "listfirst",
            Op::CollapsedPage(_) => "threads",
            Op::GetMessage => "get",
            Op::FirstRead => "first",
            Op::GetRaw => "raw",
            Op::Search => "search",
            Op::FlagUpdate => "flag",
            Op::Mixed => "mixed",
            Op::Open(_) => "open",
            Op::Send => "send",
        }
    }

    /// The row name in the results.
    pub fn label(self) -> String {
        match self {
            Op::ListPage(m) => format!("list page of 50 ({m})"),
            Op::ListFirstRead(m) => format!("list page of 50, first read ({m})"),
            Op::CollapsedPage(m) => format!("collapsed-thread page of 50 ({m})"),
            Op::GetMessage => "get message (JSON)".into(),
            Op::FirstRead => "get message, first read (k100)".into(),
            Op::GetRaw => "get raw (100 KB)".into(),
            Op::Search => "search (from + since)".into(),
            Op::FlagUpdate => "flag update".into(),
            Op::Mixed => {
                "mixed: per 100, 45 pages, 20 reads, 10 first reads, 15 flag changes, 5 raw, 5 searches (4 accounts)"
                    .into()
            }
            Op::Send => "send 20 KB message".into(),
            Op::Open(m) => format!("open {m}"),
        }
    }
}

/// One side of the comparison: something that performs an operation.
pub trait Worker: Send + 'static {
    /// Performs `op` once; `n` varies the message chosen.
    fn call(&mut self, op: Op, n: u64) -> impl Future<Output = Result<(), String>> + Send;
}

/// What one timed run gave.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Successful calls, each with its latency.
    pub latencies: Vec<Duration>,
    /// Failed calls.
    pub errors: usize,
    /// The first failure seen, to show.
    pub first_error: Option<String>,
    /// Wall time of the run, until the last call that began in the window had ended.
    pub elapsed: Duration,
    /// The measured window.
    pub window: Duration,
    /// Successful calls that ended within the window.
    pub in_window: usize,
}

impl Stats {
    /// Successful calls per second: those that ended within the window, over its length (the
    /// calls still running at its end count in the latencies, not in the rate).
    pub fn rps(&self) -> f64 {
        self.in_window as f64 / self.window.as_secs_f64().max(1e-9)
    }

    /// The rate as it was reckoned until run 13: every call, over the time until the last one
    /// had ended. One stall that began just before the end of the window stretched that time
    /// by its whole length (bench/HISTORY.md, run 13).
    pub fn drained_rps(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    /// The `q` quantile (0..1) of the latencies, in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let mut v = self.latencies.clone();
        v.sort_unstable();
        let i = ((v.len() as f64 - 1.0) * q).round() as usize;
        v[i.min(v.len() - 1)].as_secs_f64() * 1000.0
    }
}

/// Runs `op` on every worker at once for `warmup` (not counted), then for `measure`; gives the
/// workers back for the next operation.
pub async fn run<W: Worker>(workers: Vec<W>, op: Op, warmup: Duration, measure: Duration) -> (Vec<W>, Stats) {
    let (workers, _) = timed(workers, op, warmup, 0).await;
    timed(workers, op, measure, 1_000_003).await
}

/// splitmix64's finalizer: consecutive `n` give unrelated numbers.
pub fn spread(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Calls `op` once for every `n` below `count`, spread over the workers (not measured): a
/// warm-up that reads every message of the row once, however fast the side is.
pub async fn pass<W: Worker>(workers: Vec<W>, op: Op, count: u64) -> Vec<W> {
    let step = workers.len() as u64;
    let tasks: Vec<_> = workers
        .into_iter()
        .enumerate()
        .map(|(i, mut w)| {
            tokio::spawn(async move {
                let mut n = i as u64;
                while n < count {
                    let _ = w.call(op, n).await;
                    n += step;
                }
                w
            })
        })
        .collect();
    let mut back = Vec::new();
    for t in tasks {
        if let Ok(w) = t.await {
            back.push(w);
        }
    }
    back
}

async fn timed<W: Worker>(workers: Vec<W>, op: Op, length: Duration, salt: u64) -> (Vec<W>, Stats) {
    let started = Instant::now();
    let deadline = started + length;
    let count = workers.len() as u64;
    let tasks: Vec<_> = workers
        .into_iter()
        .enumerate()
        .map(|(i, mut w)| {
            tokio::spawn(async move {
                let mut stats = Stats::default();
                let mut n = salt + i as u64;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match w.call(op, n).await {
                        Ok(()) => {
                            stats.latencies.push(t.elapsed());
                            stats.in_window += usize::from(Instant::now() <= deadline);
                        }
                        Err(e) => {
                            stats.errors += 1;
                            stats.first_error.get_or_insert(e);
                        }
                    }
                    n += count;
                }
                (w, stats)
            })
        })
        .collect();
    let mut all = Stats::default();
    let mut back = Vec::new();
    for t in tasks {
        let Ok((w, s)) = t.await else { continue };
        back.push(w);
        all.latencies.extend(s.latencies);
        all.in_window += s.in_window;
        all.errors += s.errors;
        if all.first_error.is_none() {
            all.first_error = s.first_error;
        }
    }
    all.elapsed = started.elapsed();
    all.window = length;
    (back, all)
}
