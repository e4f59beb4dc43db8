//! `bench/RESULTS.md`: the machine, the command, the date, the table, and each target met or
//! missed.

use std::{fmt::Write, time::Duration};

use crate::load::{Op, Stats};

/// Peak memory while streaming the attachment.
#[derive(Debug, Default)]
pub struct Stream {
    /// Decoded bytes received.
    pub bytes: u64,
    /// RSS before the download, KiB.
    pub before_kb: u64,
    /// Peak RSS during it, KiB.
    pub peak_kb: u64,
    /// How long it took.
    pub elapsed: Duration,
}

/// Memory with many accounts logged in.
#[derive(Debug, Default)]
pub struct Accounts {
    /// Accounts logged in.
    pub accounts: usize,
    /// Pooled connections open after the logins (from `/metrics`).
    pub open: u64,
    /// Pooled connections open after the random pages.
    pub open_after: u64,
    /// RSS of the fresh gateway, KiB.
    pub idle_kb: u64,
    /// RSS with every account holding its connection, KiB.
    pub rss_kb: u64,
    /// RSS after the random pages, KiB.
    pub rss_after_kb: u64,
    /// How long the logins took.
    pub elapsed: Duration,
    /// The INBOX pages of random accounts, read while all are connected.
    pub page: Stats,
    /// The gateway's share of the CPU time the machine used during those pages.
    pub gateway_share: f64,
    /// How busy the machine's cores were then (0..1).
    pub busy: f64,
}

/// The send row's two sides and the Postfix queue after each.
#[derive(Debug, Default)]
pub struct Sends {
    /// Sends through the gateway.
    pub gateway: Stats,
    /// Sends by the direct SMTP client.
    pub direct: Stats,
    /// Messages still queued in Postfix right after the gateway's sends.
    pub gateway_queue: usize,
    /// How long the queue then took to empty (`None`: not within the limit).
    pub gateway_drain: Option<Duration>,
    /// Messages still queued right after the direct sends.
    pub direct_queue: usize,
    /// How long the queue then took to empty.
    pub direct_drain: Option<Duration>,
}

fn drained(d: Option<Duration>) -> String {
    d.map_or("did not empty within 300 s".into(), |d| format!("emptied in {:.1} s", d.as_secs_f64()))
}

/// Everything measured.
#[derive(Debug, Default)]
pub struct Report {
    /// Per operation: gateway and direct.
    pub ops: Vec<(Op, Stats, Stats)>,
    /// Sequential first page by mailbox size.
    pub scale: Vec<(&'static str, Stats)>,
    /// The attachment download.
    pub stream: Stream,
    /// The many-accounts measurement.
    pub accounts: Accounts,
    /// The message cache after the operations: entries and estimated bytes.
    pub cache: (u64, u64),
    /// The message cache's hits and misses during the get message row (warm-up included).
    pub get_lookups: (u64, u64),
    /// The mixed row's requests of each kind (`mixed::KINDS`): the gateway's, the direct client's.
    pub mixed_made: [[u64; 6]; 2],
    /// Their mean latencies, milliseconds.
    pub mixed_ms: [[f64; 6]; 2],
    /// The send row's queues (with `Op::Send` in `ops`).
    pub sends: Option<Sends>,
    /// End-to-end delivery times (send request to the recipient's `message.created` event),
    /// and the times of those send requests alone.
    pub e2e: Option<(Stats, Stats)>,
    /// Wall time of the whole benchmark.
    pub total: Duration,
}

fn command_line(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_string()))
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:").map(|v| v.trim().to_string()))
        .unwrap_or_default();
    format!(
        "{} cores ({cpu}), {mem} memory, Linux {}, Dovecot {}",
        command_line("nproc", &[]),
        command_line("uname", &["-r"]),
        command_line("dovecot", &["--version"])
    )
}

pub(crate) fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

impl Report {
    pub(crate) fn ratio(&self, op: Op) -> f64 {
        self.ops.iter().find(|(o, ..)| *o == op).map_or(f64::NAN, |(_, g, d)| g.rps() / d.rps())
    }

    /// The gateway's `q` quantile of `op`, in milliseconds.
    pub(crate) fn quantile(&self, op: Op, q: f64) -> f64 {
        self.ops.iter().find(|(o, ..)| *o == op).map_or(f64::NAN, |(_, g, _)| g.quantile_ms(q))
    }

    pub(crate) fn page_ratio(&self) -> f64 {
        let median = |m: &str| self.scale.iter().find(|(n, _)| *n == m).map_or(f64::NAN, |(_, s)| s.quantile_ms(0.5));
        median("k100") / median("k1")
    }

    /// The Markdown text of `bench/RESULTS.md`.
    pub fn render(&self, warmup: Duration, measure: Duration) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Benchmark results\n");
        let _ = writeln!(s, "- Date: {}", chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"));
        let _ = writeln!(s, "- Machine: {}", machine());
        let _ = writeln!(s, "- Command: `cargo bench --bench gateway` (from the project root; needs root for Dovecot)");
        let _ = writeln!(
            s,
            "- Load: {} workers on each side, {} s warm-up then {} s measured per operation (req/s: the \
             calls that ended within the measured time, over its length; the calls still running at its \
             end count in the latencies, not in the rate); the gateway \
             holds up to {} pooled connections for alice (and for each account of the mixed row), \
             the direct client (async-imap) opens as many sessions. Each direct session keeps its mailbox selected (EXAMINE or \
             SELECT only when it changes) and sends NOOP before a page or a search, the least a \
             client must do to see new mail. The page rows have previews and thread ids: the \
             gateway makes each preview from the first bytes of the message's text part, the direct \
             client asks Dovecot for its PREVIEW (RFC 8970) and the References field. The list page \
             row reads the gateway with its summary cache (warm, as a page read again); the \
             first-read page row reads a second gateway without one, so every summary and preview \
             comes from the server (structure, the first 4 KiB of part 1 and References in one \
             FETCH, then ENVELOPE). The collapsed-thread row asks for `collapseThreads=true` \
             (k10's messages are in threads of four): the gateway reuses the mailbox's threads \
             while one STATUS says nothing changed (the warm-up found them: two searches of every \
             UID and the unseen ones, and the thread index), then reads the page's summaries from \
             its cache; the direct client, which has no index, does the two searches and fetches \
             the newest 50 summaries. Neither row measures a mailbox that changes while it runs. \
             Get message reads k10, whose 10,000 messages each \
             side reads once before the row (a pass of every UID, not timed): the row is of repeated reads (the gateway's message cache holds \
             their structure and text; flags and MODSEQ still come from the server on every read). \
             The first-read row reads messages of k100 that neither side read before (each side its own \
             half), for 4 s without warm-up, after every connection opened k100 (once each, not timed). The flag row sets `\\Flagged` on a message's odd visits and \
             clears it on its even ones, on messages of k10 every worker picks at random, so every STORE \
             changes a message (in this Maildir, by renaming its file). The mixed row runs the workers on four \
             accounts at once (four each; the direct client one session per worker, its mailbox selected \
             read-write once it changed a flag), each account's `mix` of 20,000 messages: per 100 requests 45 \
             list pages (as the list row), 20 reads of one of the newest 200 messages (read before), 10 \
             first reads (UIDs up to 10,000, each read once: the gateway the odd ones, the direct client the \
             even ones), 15 flag changes on the newest 1,000 (set on odd visits, cleared on even ones), 5 raw \
             downloads of one of the newest 10,000 and 5 searches (as the search row). The send row sends messages with a text body of {} bytes \
             (7bit, about {:.1} KB on the wire) from alice to u0001 through the bench's own Postfix \
             (submission on 127.0.0.1:{}, STARTTLS, AUTH PLAIN checked by the Dovecot, delivery into the \
             Dovecot over LMTP): the gateway side with `POST /v1/messages/send` and `saveToSent: false` \
             (the row measures the submission, not the Sent copy), the direct side with lettre's SMTP \
             connection; both open one SMTP session per message (connect, EHLO, STARTTLS, EHLO, AUTH, \
             MAIL, RCPT, DATA, QUIT; the gateway sends one more EHLO after STARTTLS to read the \
             extensions itself). Postfix delivers while the row runs, on the same two cores. Whole run: {:.0} s.\n",
            crate::CONCURRENCY,
            warmup.as_secs(),
            measure.as_secs(),
            crate::CONCURRENCY,
            crate::smtp::text().len(),
            crate::smtp::wire_kb(),
            crate::servers::SUBMISSION_PORT,
            self.total.as_secs_f64()
        );
        let _ = writeln!(
            s,
            "| operation | gateway req/s | p50 ms | p99 ms | p99.9 ms | max ms | direct req/s | p50 ms | p99 ms | p99.9 ms | max ms | gateway / direct |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (op, g, d) in &self.ops {
            let _ = writeln!(
                s,
                "| {} | {:.0} | {:.2} | {:.2} | {:.1} | {:.1} | {:.0} | {:.2} | {:.2} | {:.1} | {:.1} | {:.2} |",
                op.label(),
                g.rps(),
                g.quantile_ms(0.5),
                g.quantile_ms(0.99),
                g.quantile_ms(0.999),
                g.quantile_ms(1.0),
                d.rps(),
                d.quantile_ms(0.5),
                d.quantile_ms(0.99),
                d.quantile_ms(0.999),
                d.quantile_ms(1.0),
                g.rps() / d.rps()
            );
            for (side, st) in [("gateway", g), ("direct", d)] {
                if st.errors > 0 {
                    let _ = writeln!(
                        s,
                        "|  ↳ {side} errors: {} (first: {}) | | | | | | | | | | | |",
                        st.errors,
                        st.first_error.as_deref().unwrap_or("")
                    );
                }
            }
        }
        let _ = writeln!(s, "\nFirst page of 50, one client, sequential (median):\n");
        let _ = writeln!(s, "| mailbox | messages | p50 ms | p99 ms |");
        let _ = writeln!(s, "|---|---:|---:|---:|");
        for (m, st) in &self.scale {
            let n = match *m {
                "k1" => "1,000",
                "k10" => "10,000",
                _ => "100,000",
            };
            let _ = writeln!(s, "| {m} | {n} | {:.2} | {:.2} |", st.quantile_ms(0.5), st.quantile_ms(0.99));
        }
        let st = &self.stream;
        let growth_mb = st.peak_kb.saturating_sub(st.before_kb) as f64 / 1024.0;
        let a = &self.accounts;
        let _ = writeln!(
            s,
            "\n- Streaming the {:.0} MiB attachment: RSS {:.1} MiB before, peak {:.1} MiB, growth **{growth_mb:.1} MiB** ({:.1} s).",
            st.bytes as f64 / 1048576.0,
            st.before_kb as f64 / 1024.0,
            st.peak_kb as f64 / 1024.0,
            st.elapsed.as_secs_f64()
        );
        let _ = writeln!(
            s,
            "- The gateway's message cache after the operations: {} messages, {:.1} MiB estimated (RSS before the download above).",
            self.cache.0,
            self.cache.1 as f64 / 1048576.0
        );
        let (hits, misses) = self.get_lookups;
        if hits + misses > 0 {
            let bound = match (
                std::env::var("IMAP_GATEWAY__POOL__MESSAGE_CACHE_ENTRIES"),
                std::env::var("IMAP_GATEWAY__POOL__MESSAGE_CACHE_BYTES"),
            ) {
                (Err(_), Err(_)) => "the default bound, 20,000 messages and 64 MiB".to_string(),
                (e, b) => format!(
                    "a bound of {} messages and {} bytes",
                    e.unwrap_or_else(|_| "20000".into()),
                    b.unwrap_or_else(|_| "67108864".into())
                ),
            };
            let _ = writeln!(
                s,
                "- The message cache during the get message row (after the pass over every message, the timed warm-up included; {bound}): {hits} hits, {misses} misses, hit rate **{:.1}%**.",
                100.0 * hits as f64 / (hits + misses) as f64
            );
        }
        if a.accounts > 0 {
            let _ = writeln!(
                s,
                "- {} accounts logged in, each with one request served, {} pooled connections open: RSS **{:.1} MiB** \
                 (fresh gateway {:.1} MiB; logins took {:.1} s; the gateway pools at most 3 connections per \
                 account here). Then {} workers read the INBOX page ({} messages, the same files hard-linked into \
                 every INBOX, so they stay in the page cache; each INBOX indexed by `doveadm index` beforehand) \
                 of a random account for {:.0} s while all stayed connected: {:.0} pages/s, p50 {:.2} ms, p99 **{:.2} ms**, \
                 p99.9 {:.1} ms, max {:.1} ms ({} errors); afterwards {} connections open, RSS {:.1} MiB. The \
                 cores were {:.0}% busy meanwhile, {:.0}% of it the gateway's (Dovecot runs one imap process \
                 per session: {} of them, beside the gateway).",
                a.accounts,
                a.open,
                a.rss_kb as f64 / 1024.0,
                a.idle_kb as f64 / 1024.0,
                a.elapsed.as_secs_f64(),
                crate::CONCURRENCY,
                crate::seed::ACCOUNT_INBOX,
                a.page.elapsed.as_secs_f64(),
                a.page.rps(),
                a.page.quantile_ms(0.5),
                a.page.quantile_ms(0.99),
                a.page.quantile_ms(0.999),
                a.page.quantile_ms(1.0),
                a.page.errors,
                a.open_after,
                a.rss_after_kb as f64 / 1024.0,
                100.0 * a.busy,
                100.0 * a.gateway_share,
                a.accounts
            );
        }
        let [g, d] = self.mixed_made;
        if g.iter().sum::<u64>() > 0 {
            let share = |c: &[u64; 6], ms: &[f64; 6]| {
                let total = c.iter().sum::<u64>().max(1) as f64;
                crate::mixed::KINDS
                    .iter()
                    .zip(c)
                    .zip(ms)
                    .map(|((k, n), ms)| format!("{:.1}% {k} (mean {ms:.1} ms)", 100.0 * *n as f64 / total))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(
                s,
                "- The mixed row's requests (warm-up included): the gateway's {}; the direct client's {}.",
                share(&g, &self.mixed_ms[0]),
                share(&d, &self.mixed_ms[1])
            );
        }
        if let Some(q) = &self.sends {
            let _ = writeln!(
                s,
                "- Send row, Postfix queue: {} messages accepted but not yet delivered right after the \
                 gateway's sends ({}), {} after the direct sends ({}); each side starts on an empty queue.",
                q.gateway_queue,
                drained(q.gateway_drain),
                q.direct_queue,
                drained(q.direct_drain)
            );
        }
        if let Some((e, requests)) = &self.e2e {
            let _ = writeln!(
                s,
                "- End-to-end delivery through the gateway ({} sequential sends, one client, alice to u0002, \
                 the same 20 KB message, `saveToSent: false`; from the send request to the `message.created` \
                 event on u0002's `GET /v1/events?mailboxes=INBOX` on the same gateway): median **{:.1} ms**, \
                 p90 {:.1} ms (min {:.1}, max {:.1} ms). The send requests alone took {:.1} ms (median). \
                 Dovecot tells an IDLE client of a change it saw only 500 ms later (`NOTIFY_DELAY_MSECS` in \
                 its mailbox-watch.c), so about 500 ms of each delivery is that delay, not sending or delivery.",
                e.latencies.len(),
                e.quantile_ms(0.5),
                e.quantile_ms(0.9),
                e.quantile_ms(0.0),
                e.quantile_ms(1.0),
                requests.quantile_ms(0.5)
            );
        }
        self.targets(&mut s);
        s
    }
}
