//! The processes the benchmark runs: its own Dovecot (through `scripts/dovecot-test-server.sh`)
//! and a release gateway, plus reading a process's resident memory.

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
/// The gateway's HTTP address.
pub const GATEWAY_ADDR: &str = "127.0.0.1:18090";

/// The extra users for the many-accounts measurement: `u0001` … (password `u0001-pass`).
pub fn account_names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("u{i:04}")).collect()
}

fn dovecot_script(action: &str, users: &str) -> std::io::Result<std::process::ExitStatus> {
    let log = std::fs::File::create("/tmp/igw-bench-dovecot.out")?;
    Command::new("bash")
        .arg("scripts/dovecot-test-server.sh")
        .arg(action)
        .env("DOVECOT_TEST_DIR", DOVECOT_DIR)
        .env("DOVECOT_IMAP_PORT", IMAP_PORT.to_string())
        .env("DOVECOT_IMAPS_PORT", IMAPS_PORT.to_string())
        .env("DOVECOT_TEST_USERS", users)
        .env("DOVECOT_PROCESS_LIMIT", "2048")
        .env("DOVECOT_MAX_USERIP_CONNECTIONS", "2000")
        // the daemon inherits stdout: a file, never a pipe
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
}

/// Starts a fresh Dovecot with `alice` and the `accounts` extra users; returns alice's Maildir.
pub fn start_dovecot(accounts: usize) -> std::io::Result<PathBuf> {
    let users = format!("alice {}", account_names(accounts).join(" "));
    let _ = dovecot_script("stop", &users);
    let _ = std::fs::remove_dir_all(format!("{DOVECOT_DIR}/mail"));
    if !dovecot_script("start", &users)?.success() {
        return Err(std::io::Error::other("Dovecot did not start: see /tmp/igw-bench-dovecot.out"));
    }
    Ok(PathBuf::from(format!("{DOVECOT_DIR}/mail/alice/Maildir")))
}

/// Gives the seeded Maildir to the mail user, as Dovecot expects.
pub fn chown_mail() -> std::io::Result<()> {
    let ok = Command::new("chown").args(["-R", "nobody:nogroup", &format!("{DOVECOT_DIR}/mail")]).status()?;
    if ok.success() { Ok(()) } else { Err(std::io::Error::other("chown failed")) }
}

/// Stops the benchmark's Dovecot.
pub fn stop_dovecot() {
    let _ = dovecot_script("stop", "alice");
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
        let db = format!("/tmp/igw-bench-{}.db", std::process::id());
        let secret = |n: usize| {
            use base64::Engine;
            let bytes: Vec<u8> = (0..n).map(|i| (i as u8).wrapping_mul(37).wrapping_add(11)).collect();
            base64::engine::general_purpose::STANDARD.encode(bytes)
        };
        let child = Command::new(env!("CARGO_BIN_EXE_imap-gateway"))
            .arg("serve")
            .env("IMAP_GATEWAY__HTTP__LISTEN", GATEWAY_ADDR)
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
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create("/tmp/igw-bench-gateway.log").map_err(|e| e.to_string())?)
            .spawn()
            .map_err(|e| format!("cannot start the gateway: {e}"))?;
        let gw = Self { child, db };
        let http = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if http.get(format!("http://{GATEWAY_ADDR}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
                return Ok(gw);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("the gateway did not answer /healthz within 20 s: see /tmp/igw-bench-gateway.log".into())
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
