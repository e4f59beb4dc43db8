//! Test harness: a gateway per test on a random port with its own SQLite file, problem checks,
//! names and messages. It re-exports the test servers (servers.rs: Dovecot, Cyrus,
//! `both_servers!`) and the separate IMAP client (admin.rs), so a test imports from here.

use std::{
    path::PathBuf,
    process::Command,
    sync::{Arc, OnceLock},
    time::Duration,
};

use base64::Engine as _;
use imap_gateway::{AppState, Application, Secret, Settings, TlsMode, internals::AccountPool};
use reqwest::{Response, StatusCode};
use serde_json::Value;

pub(crate) use crate::servers::both_servers;
pub use crate::{
    admin::Admin,
    servers::{ImapServer, Software, cyrus, dovecot, dovecot_script, log_count},
};

/// With `IGW_TEST_LOG_DIR` set (scripts/test sets it), every in-process gateway logs JSON at
/// debug level to `it.jsonl` there, and spawned binaries to files beside it; scripts/test then
/// scans them for passwords, tokens, secrets and message content.
pub fn init_logs() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        if let Ok(dir) = std::env::var("IGW_TEST_LOG_DIR") {
            let _ = std::fs::create_dir_all(&dir);
            let _ = imap_gateway::init_to_file(&PathBuf::from(dir).join("it.jsonl"));
        }
    });
}

/// Where a spawned gateway binary's stderr goes, and its log settings.
pub fn child_logging(cmd: &mut Command) {
    match std::env::var("IGW_TEST_LOG_DIR") {
        Ok(dir) => {
            let _ = std::fs::create_dir_all(&dir);
            let path = PathBuf::from(dir).join(format!("bin-{}.jsonl", uuid::Uuid::new_v4()));
            let file = std::fs::File::create(path).expect("log file");
            cmd.env("RUST_LOG", "info,imap_gateway=debug,tower_http=debug,sqlx=warn")
                .env("IMAP_GATEWAY_LOG_FORMAT", "json")
                .stderr(file);
        }
        Err(_) => {
            cmd.stderr(std::process::Stdio::null());
        }
    }
}

/// Settings for a test gateway in front of `d`: random secrets, its own SQLite file, port 0.
pub fn settings_for(d: &ImapServer) -> Settings {
    let mut s = Settings::default();
    s.http.listen = "127.0.0.1:0".into();
    let db = std::env::temp_dir().join(format!("igw-test-{}.db", uuid::Uuid::new_v4()));
    s.database.url = format!("sqlite://{}", db.display());
    s.imap.host = d.host.clone();
    s.imap.port = Some(d.port);
    s.imap.tls = TlsMode::Starttls;
    s.imap.ca_file = Some(d.ca.clone());
    s.imap.command_timeout_ms = 5_000;
    s.imap.greeting_timeout_ms = 10_000;
    s.imap.login_timeout_ms = 10_000;
    s.imap.connect_timeout_ms = 2_000;
    s.auth.jwt_secret = Some(Secret::new(random_b64(48)));
    s.auth.encryption_key = Some(Secret::new(random_b64(32)));
    s
}

pub fn random_b64(n: usize) -> String {
    let bytes: Vec<u8> = (0..n).map(|_| rand_byte()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn rand_byte() -> u8 {
    uuid::Uuid::new_v4().as_bytes()[3]
}

/// A running gateway.
pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub http: reqwest::Client,
    pub settings: Settings,
}

impl TestApp {
    /// A gateway in front of the shared Dovecot.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A gateway in front of the shared Dovecot, with settings adjusted by `adjust`.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        let mut s = settings_for(dovecot());
        adjust(&mut s);
        Self::start(s).await
    }

    /// A gateway with exactly these settings.
    pub async fn start(settings: Settings) -> Self {
        init_logs();
        let app = Application::build(settings.clone()).await.expect("application builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
        Self { base, state, http, settings }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn login_raw(&self, user: &str, password: &str) -> Response {
        self.login_with(&serde_json::json!({"username": user, "password": password})).await
    }

    /// Logs in as a test user (`<user>-pass`) and returns the token response.
    pub async fn login(&self, user: &str) -> Tokens {
        let resp = self.login_raw(user, &format!("{user}-pass")).await;
        let status = resp.status();
        let text = resp.text().await.expect("body");
        assert_eq!(status, StatusCode::OK, "login as {user}: {text}");
        let body: Value = serde_json::from_str(&text).expect("json");
        Tokens {
            access: body["accessToken"].as_str().expect("accessToken").to_string(),
            refresh: body["refreshToken"].as_str().expect("refreshToken").to_string(),
        }
    }

    pub async fn logout(&self, token: &str) -> Response {
        self.http.post(self.url("/v1/auth/logout")).bearer_auth(token).send().await.expect("logout")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.http.get(self.url(path)).bearer_auth(token).send().await.expect("GET")
    }

    /// GET that must answer 200 with JSON.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let resp = self.get(path, token).await;
        let status = resp.status();
        let body = resp.text().await.expect("body");
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        serde_json::from_str(&body).expect("JSON body")
    }

    /// The account id a token names.
    pub fn account_of(&self, token: &str) -> String {
        self.state.auth.jwt.verify(token).expect("valid token").sub
    }

    /// The cache key of message `uid` of `mailbox` in the account of `token`.
    pub fn cache_key(&self, token: &str, mailbox: &str, uid_validity: u32, uid: u32) -> imap_gateway::internals::Key {
        let account = self.account_of(token);
        let mailbox = imap_gateway::internals::MailboxName::parse(mailbox).expect("mailbox name");
        imap_gateway::internals::CacheScope::of(&self.state.pools, &account).key(&mailbox, uid_validity, uid)
    }

    /// The text of `GET /metrics`.
    pub async fn metrics(&self) -> String {
        self.http.get(self.url("/metrics")).send().await.expect("scrape").text().await.expect("text")
    }

    /// The account's pool in this gateway, if one exists.
    pub fn pool_of(&self, token: &str) -> Option<Arc<AccountPool>> {
        self.state.pools.existing(&self.account_of(token), 0)
    }
}

/// Tokens of one login.
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

/// Checks a problem response: status, content type, `type` slug; returns the body.
pub async fn expect_problem(resp: Response, status: StatusCode, slug: &str) -> Value {
    let got = resp.status();
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert_problem(got, &ct, &body, status, slug);
    body
}

/// Checks the parts of a problem answer: status, content type, `type` slug and `status` member.
pub fn assert_problem(got: StatusCode, content_type: &str, body: &Value, status: StatusCode, slug: &str) {
    assert_eq!(got, status, "status: {body}");
    assert_eq!(content_type, "application/problem+json", "{body}");
    assert_eq!(body["type"], format!("https://imap-gateway.dev/problems/{slug}"), "problem: {body}");
    assert_eq!(body["status"], status.as_u16());
}

/// Percent-encodes a mailbox name as one path segment.
pub fn seg(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A unique mailbox-safe suffix.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// A small RFC 5322 message.
pub fn message(subject: &str) -> String {
    format!(
        "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: {subject}\r\n\
         Date: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{}@example.com>\r\n\r\nHello.\r\n",
        uuid::Uuid::new_v4()
    )
}

/// The value of one series (name and labels, as written) in a `/metrics` text.
pub fn metric(text: &str, series: &str) -> Option<u64> {
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')).and_then(|v| v.parse().ok()))
}

/// Held by the tests that measure this process's memory and by those that put tens of MB into it
/// (a 50 MB attachment, 30 MB and 12 MB uploads, a 33 MiB upload refused), so that no measurement
/// sees another test's buffers.
pub static MEMORY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The resident set of process `pid` (`"self"`: this one, where in-process gateways run), in kB.
pub fn vm_rss_kb(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
