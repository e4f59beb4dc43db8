//! The test IMAP servers: the shared Dovecot and Cyrus (from `IMAP_*`/`CYRUS_*` variables, or
//! started through the project's scripts), their connection facts and logs, and
//! `both_servers!`, which runs one test against each.

use std::{path::PathBuf, process::Command, sync::OnceLock};

/// Which IMAP server software a test server runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Software {
    Dovecot,
    Cyrus,
}

/// Connection facts of a test IMAP server (Dovecot or Cyrus).
#[derive(Clone, Debug)]
pub struct ImapServer {
    pub software: Software,
    pub host: String,
    pub port: u16,
    pub tls_port: u16,
    pub ca: PathBuf,
    pub log: PathBuf,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl ImapServer {
    /// `"dovecot"` or `"cyrus"`, as test names and golden files say it.
    pub fn name(&self) -> &'static str {
        match self.software {
            Software::Dovecot => "dovecot",
            Software::Cyrus => "cyrus",
        }
    }
}

fn parse_env(software: Software, text: &str) -> ImapServer {
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key} missing from dovecot env output:\n{text}"))
            .to_string()
    };
    ImapServer {
        software,
        host: get("IMAP_HOST"),
        port: get("IMAP_PORT").parse().expect("port"),
        tls_port: get("IMAPS_PORT").parse().expect("port"),
        ca: get("IMAP_TLS_CA").into(),
        log: get("IMAP_LOG").into(),
    }
}

/// Runs the project's Dovecot script with `action` for an instance in `dir` on `port`/`tls_port`.
pub fn dovecot_script(action: &str, dir: &str, port: u16, tls_port: u16, extra: &[(&str, &str)]) -> ImapServer {
    let out_path = std::env::temp_dir().join(format!("dovecot-{port}-{}.out", uuid::Uuid::new_v4()));
    let out = std::fs::File::create(&out_path).expect("temp file");
    // The daemon inherits stdout: write to a file, never a pipe (the pipe would never close).
    let status = Command::new("bash")
        .arg(repo().join("scripts/dovecot-test-server.sh"))
        .arg(action)
        .env("DOVECOT_TEST_DIR", dir)
        .env("DOVECOT_IMAP_PORT", port.to_string())
        .env("DOVECOT_IMAPS_PORT", tls_port.to_string())
        .envs(extra.iter().copied())
        .stdout(out.try_clone().expect("dup"))
        .stderr(out)
        .status()
        .expect("run dovecot-test-server.sh");
    let text = std::fs::read_to_string(&out_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    assert!(status.success(), "dovecot-test-server.sh {action} failed:\n{text}");
    if action == "stop" {
        return ImapServer {
            software: Software::Dovecot,
            host: "127.0.0.1".into(),
            port,
            tls_port,
            ca: PathBuf::new(),
            log: PathBuf::new(),
        };
    }
    parse_env(Software::Dovecot, &text)
}

/// The shared Dovecot: from `IMAP_*` variables (set by `scripts/test`), else started here.
pub fn dovecot() -> &'static ImapServer {
    static D: OnceLock<ImapServer> = OnceLock::new();
    D.get_or_init(|| match std::env::var("IMAP_PORT") {
        Ok(port) => ImapServer {
            software: Software::Dovecot,
            host: std::env::var("IMAP_HOST").unwrap_or_else(|_| "127.0.0.1".into()),
            port: port.parse().expect("IMAP_PORT"),
            tls_port: std::env::var("IMAPS_PORT").expect("IMAPS_PORT").parse().expect("IMAPS_PORT"),
            ca: std::env::var("IMAP_TLS_CA").expect("IMAP_TLS_CA").into(),
            log: std::env::var("IMAP_LOG").expect("IMAP_LOG").into(),
        },
        Err(_) => dovecot_script("start", "/tmp/dovecot-test", 10143, 10993, &[]),
    })
}

/// The Cyrus server for interoperability tests: from `CYRUS_*` variables (set by
/// `scripts/test`), else started here with the project's script.
pub fn cyrus() -> &'static ImapServer {
    static C: OnceLock<ImapServer> = OnceLock::new();
    C.get_or_init(|| match std::env::var("CYRUS_IMAP_PORT") {
        Ok(port) => ImapServer {
            software: Software::Cyrus,
            host: "127.0.0.1".into(),
            port: port.parse().expect("CYRUS_IMAP_PORT"),
            tls_port: std::env::var("CYRUS_IMAPS_PORT").expect("CYRUS_IMAPS_PORT").parse().expect("port"),
            ca: std::env::var("CYRUS_TLS_CA").expect("CYRUS_TLS_CA").into(),
            log: std::env::var("CYRUS_LOG").unwrap_or_default().into(),
        },
        Err(_) => {
            let out = std::env::temp_dir().join(format!("cyrus-{}.out", uuid::Uuid::new_v4()));
            let file = std::fs::File::create(&out).expect("temp file");
            let status = Command::new("bash")
                .arg(repo().join("scripts/cyrus-test-server.sh"))
                .arg("start")
                .stdout(file.try_clone().expect("dup"))
                .stderr(file)
                .status()
                .expect("run cyrus-test-server.sh");
            let text = std::fs::read_to_string(&out).unwrap_or_default();
            assert!(status.success(), "cyrus-test-server.sh start failed:\n{text}");
            parse_env(Software::Cyrus, &text)
        }
    })
}

/// The same test against Dovecot and Cyrus: `both_servers!(name, "user")` (or
/// `both_servers!(name, dovecot: "user", cyrus: "other")`) runs
/// `async fn name(server: &'static ImapServer, user: &str)` as two tests, `name::dovecot` and
/// `name::cyrus`, so `cargo test --test it name` runs both and `name::cyrus` one.
macro_rules! both_servers {
    ($name:ident, $user:literal) => {
        $crate::servers::both_servers!($name, dovecot: $user, cyrus: $user);
    };
    ($name:ident, dovecot: $dovecot_user:literal, cyrus: $cyrus_user:literal) => {
        mod $name {
            #[tokio::test]
            async fn dovecot() {
                super::$name($crate::servers::dovecot(), $dovecot_user).await;
            }

            #[tokio::test]
            async fn cyrus() {
                super::$name($crate::servers::cyrus(), $cyrus_user).await;
            }
        }
    };
}
pub(crate) use both_servers;

/// Lines of the Dovecot log that mention `user` and contain `what`.
pub fn log_count(d: &ImapServer, user: &str, what: &str) -> usize {
    let log = std::fs::read_to_string(&d.log).unwrap_or_default();
    let who = format!("imap({user})");
    log.lines().filter(|l| l.contains(&who) && l.contains(what)).count()
}
