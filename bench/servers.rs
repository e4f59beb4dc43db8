//! The processes the benchmark runs: its own Dovecot (through `scripts/dovecot-test-server.sh`,
//! with the LMTP and SASL sockets for Postfix), its own Postfix (through
//! `scripts/postfix-test-server.sh`: submission with AUTH through that Dovecot, delivery into
//! it over LMTP) and a release gateway, plus reading a process's resident memory.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// Where the benchmark's Dovecot lives.
pub const DOVECOT_DIR: &str = "/tmp/igw-bench-dovecot";
/// Its plain IMAP port.
pub const IMAP_PORT: u16 = 15143;
const IMAPS_PORT: u16 = 15993;
/// Where the benchmark's Postfix lives.
pub const POSTFIX_DIR: &str = "/tmp/igw-bench-postfix";
/// Its submission port (STARTTLS, AUTH required).
pub const SUBMISSION_PORT: u16 = 17587;
const SUBMISSIONS_PORT: u16 = 17465;
const MX_PORT: u16 = 17525;
/// The CA of the Dovecot's test certificate, which Postfix presents too.
pub const CA_FILE: &str = "/tmp/igw-bench-dovecot/tls/ca.pem";
/// The mail domain of the bench users (`alice@example.org`, `u0001@example.org`, …).
pub const DOMAIN: &str = "example.org";
/// The gateway's HTTP address.
pub const GATEWAY_ADDR: &str = "127.0.0.1:18090";
/// The second gateway of the first-read page row: no summary cache, so every page is read
/// from the server as a first read is.
pub const UNCACHED_GATEWAY_ADDR: &str = "127.0.0.1:18091";

/// The extra users for the many-accounts measurement: `u0001` … (password `u0001-pass`).
pub fn account_names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("u{i:04}")).collect()
}

/// The file a script's output goes to: new for `start`, appended to otherwise (a stop after a
/// failed start keeps the start's error).
fn output(path: &str, action: &str) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().create(true).append(true).truncate(false).open(path).and_then(|f| {
        if action == "start" {
            f.set_len(0)?;
        }
        Ok(f)
    })
}

fn dovecot_script(action: &str, users: &str, sessions: usize) -> std::io::Result<std::process::ExitStatus> {
    let log = output("/tmp/igw-bench-dovecot.out", action)?;
    Command::new("bash")
        .arg("scripts/dovecot-test-server.sh")
        .arg(action)
        .env("DOVECOT_TEST_DIR", DOVECOT_DIR)
        .env("DOVECOT_IMAP_PORT", IMAP_PORT.to_string())
        .env("DOVECOT_IMAPS_PORT", IMAPS_PORT.to_string())
        .env("DOVECOT_TEST_USERS", users)
        // each session is an imap process: every account's, and the rows' beside them
        .env("DOVECOT_PROCESS_LIMIT", (sessions + 2048).to_string())
        .env("DOVECOT_MAX_USERIP_CONNECTIONS", "2000")
        .env("DOVECOT_POSTFIX_SOCKETS", "1")
        // the daemon inherits stdout: a file, never a pipe
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
}

/// Starts a fresh Dovecot with `alice`, the mixed row's users and the `accounts` extra users.
pub fn start_dovecot(accounts: usize) -> std::io::Result<()> {
    let users = format!("alice {} {}", crate::mixed::USERS.join(" "), account_names(accounts).join(" "));
    let _ = dovecot_script("stop", &users, accounts);
    let _ = std::fs::remove_dir_all(format!("{DOVECOT_DIR}/mail"));
    if !dovecot_script("start", &users, accounts)?.success() {
        return Err(std::io::Error::other("Dovecot did not start: see /tmp/igw-bench-dovecot.out"));
    }
    Ok(())
}

/// The Maildir of `user`.
pub fn maildir(user: &str) -> PathBuf {
    PathBuf::from(format!("{DOVECOT_DIR}/mail/{user}/Maildir"))
}

/// Has Dovecot index the INBOX of every extra account (two `doveadm index` at once, one per
/// core), as a long-lived server has the mailboxes it delivered to: the many-accounts phase
/// measures pages of indexed mailboxes, not the creation of 10,000 indexes.
pub fn index_inboxes() -> std::io::Result<()> {
    let conf = format!("{DOVECOT_DIR}/dovecot.conf");
    let run = |masks: &'static [&'static str]| {
        let conf = conf.clone();
        std::thread::spawn(move || -> std::io::Result<bool> {
            for mask in masks {
                let ok = Command::new("doveadm").args(["-c", &conf, "index", "-u", mask, "INBOX"]).status()?;
                if !ok.success() {
                    return Ok(false);
                }
            }
            Ok(true)
        })
    };
    let halves = [run(&["u0*", "u1*", "u2*", "u3*", "u4*"]), run(&["u5*", "u6*", "u7*", "u8*", "u9*"])];
    for h in halves {
        if !h.join().map_err(|_| std::io::Error::other("doveadm thread panicked"))?? {
            return Err(std::io::Error::other("doveadm index failed"));
        }
    }
    Ok(())
}

/// Gives the seeded Maildir to the mail user, as Dovecot expects.
pub fn chown_mail() -> std::io::Result<()> {
    let ok = Command::new("chown").args(["-R", "nobody:nogroup", &format!("{DOVECOT_DIR}/mail")]).status()?;
    if ok.success() { Ok(()) } else { Err(std::io::Error::other("chown failed")) }
}

/// Stops the benchmark's Dovecot (stop Postfix first: Dovecot's auth processes stay alive
/// while an smtpd holds their socket) and removes its folder.
pub fn stop_dovecot() {
    let _ = dovecot_script("stop", "alice", 0);
    let _ = std::fs::remove_dir_all(DOVECOT_DIR);
}

fn postfix_script(action: &str) -> std::io::Result<std::process::ExitStatus> {
    let log = output("/tmp/igw-bench-postfix.out", action)?;
    Command::new("bash")
        .arg("scripts/postfix-test-server.sh")
        .arg(action)
        .env("POSTFIX_TEST_DIR", POSTFIX_DIR)
        .env("POSTFIX_DOVECOT_DIR", DOVECOT_DIR)
        .env("POSTFIX_SUBMISSION_PORT", SUBMISSION_PORT.to_string())
        .env("POSTFIX_SUBMISSIONS_PORT", SUBMISSIONS_PORT.to_string())
        .env("POSTFIX_MX_PORT", MX_PORT.to_string())
        // the daemons inherit stdout: a file, never a pipe
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
}

/// Starts a fresh Postfix for the running bench Dovecot (its users are the Dovecot's users).
pub fn start_postfix() -> std::io::Result<()> {
    let _ = postfix_script("stop");
    let _ = std::fs::remove_dir_all(POSTFIX_DIR);
    if !postfix_script("start")?.success() {
        return Err(std::io::Error::other("Postfix did not start: see /tmp/igw-bench-postfix.out"));
    }
    Ok(())
}

/// Stops the benchmark's Postfix and removes its folder (queue, log). Call before
/// [`stop_dovecot`].
pub fn stop_postfix() {
    let _ = postfix_script("stop");
    let _ = std::fs::remove_dir_all(POSTFIX_DIR);
}

/// Messages in the Postfix queue (incoming, active, deferred): accepted, not yet delivered.
pub fn queued() -> usize {
    fn files(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries.flatten().map(|e| if e.file_type().is_ok_and(|t| t.is_dir()) { files(&e.path()) } else { 1 }).sum()
        })
    }
    ["incoming", "active", "deferred", "hold", "maildrop"]
        .iter()
        .map(|q| files(&PathBuf::from(format!("{POSTFIX_DIR}/queue/{q}"))))
        .sum()
}

/// Waits until the Postfix queue is empty (at most `limit`); how long that took, or `None` if
/// it was not empty by then.
pub async fn drain(limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if queued() == 0 {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// The gateway process; killed when dropped.
#[derive(Debug)]
pub struct Gateway {
    child: Child,
    db: String,
}

impl Gateway {
    /// Starts the release gateway (plain IMAP on loopback, `per_account` pooled connections per
    /// account) and waits for `/healthz`.
    pub async fn start(per_account: usize) -> Result<Self, String> {
        Self::start_at(per_account, GATEWAY_ADDR, true).await
    }

    /// Starts a gateway on `addr`, with its summary cache or without.
    pub async fn start_at(per_account: usize, addr: &str, summary_cache: bool) -> Result<Self, String> {
        Self::start_with(per_account, addr, summary_cache, &[]).await
    }

    /// Starts a gateway on `addr` with more settings (`IMAP_GATEWAY__…` variables).
    pub async fn start_with(
        per_account: usize,
        addr: &str,
        summary_cache: bool,
        settings: &[(&str, String)],
    ) -> Result<Self, String> {
        let db = format!("/tmp/igw-bench-{}-{}.db", std::process::id(), addr.rsplit(':').next().unwrap_or("0"));
        let log = format!("/tmp/igw-bench-gateway-{}.log", addr.rsplit(':').next().unwrap_or("0"));
        let secret = |n: usize| {
            use base64::Engine;
            let bytes: Vec<u8> = (0..n).map(|i| (i as u8).wrapping_mul(37).wrapping_add(11)).collect();
            base64::engine::general_purpose::STANDARD.encode(bytes)
        };
        let child = Command::new(env!("CARGO_BIN_EXE_imap-gateway"))
            .arg("serve")
            .env("IMAP_GATEWAY__HTTP__LISTEN", addr)
            .env("IMAP_GATEWAY__POOL__SUMMARY_CACHE_ENTRIES", if summary_cache { "20000" } else { "0" })
            .env("IMAP_GATEWAY__DATABASE__URL", format!("sqlite://{db}?mode=rwc"))
            .env("IMAP_GATEWAY__IMAP__HOST", "127.0.0.1")
            .env("IMAP_GATEWAY__IMAP__PORT", IMAP_PORT.to_string())
            .env("IMAP_GATEWAY__IMAP__TLS", "plain")
            .env("IMAP_GATEWAY__POOL__PER_ACCOUNT_MAX", per_account.to_string())
            .env("IMAP_GATEWAY__PROTECTION__PER_ACCOUNT_CONCURRENCY", "256")
            // every login comes from 127.0.0.1: the per-IP attempt limit would stop the 1,000
            .env("IMAP_GATEWAY__PROTECTION__LOGIN_FAILURES_PER_MINUTE", "100000")
            .env("IMAP_GATEWAY__AUTH__JWT_SECRET", secret(48))
            .env("IMAP_GATEWAY__AUTH__ENCRYPTION_KEY", secret(32))
            // sending through the bench's Postfix: STARTTLS with the Dovecot's CA, no hourly limit
            .env("IMAP_GATEWAY__SMTP__HOST", "127.0.0.1")
            .env("IMAP_GATEWAY__SMTP__PORT", SUBMISSION_PORT.to_string())
            .env("IMAP_GATEWAY__SMTP__TLS", "starttls")
            .env("IMAP_GATEWAY__SMTP__CA_FILE", CA_FILE)
            .env("IMAP_GATEWAY__SMTP__IDENTITIES", format!("[\"{{user}}@{DOMAIN}\"]"))
            .env("IMAP_GATEWAY__SMTP__PER_HOUR", "0")
            .env("RUST_LOG", "warn")
            .envs(settings.iter().map(|(k, v)| (*k, v)))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).map_err(|e| e.to_string())?)
            .spawn()
            .map_err(|e| format!("cannot start the gateway: {e}"))?;
        let gw = Self { child, db };
        let http = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if http.get(format!("http://{addr}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
                return Ok(gw);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("the gateway did not answer /healthz within 20 s: see {log}"))
    }

    /// The gateway's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.db));
        }
    }
}

fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()))
        .unwrap_or(0)
}

/// Resident memory of a process, in KiB.
pub fn rss_kb(pid: u32) -> u64 {
    status_kb(pid, "VmRSS:")
}

/// Peak resident memory since the last [`reset_peak`], in KiB.
pub fn peak_kb(pid: u32) -> u64 {
    status_kb(pid, "VmHWM:")
}

/// Resets a process's peak resident memory to its current value (Linux `clear_refs` 5).
pub fn reset_peak(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// CPU time a process has used (user and system), in clock ticks (1/100 s).
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // the fields after the command name, which may hold spaces: state is the first, utime the 12th
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    tick(11) + tick(12)
}

/// The machine's busy and total CPU time so far, in clock ticks (all cores).
pub fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let cpu: Vec<u64> =
        stat.lines().next().unwrap_or_default().split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    let total: u64 = cpu.iter().take(8).sum();
    // idle and iowait are not busy
    let idle = cpu.get(3).copied().unwrap_or(0) + cpu.get(4).copied().unwrap_or(0);
    (total - idle, total)
}
