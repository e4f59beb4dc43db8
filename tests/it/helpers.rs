//! Test harness: real Dovecot and Cyrus servers (started on demand through the project's
//! scripts), `both_servers!` for tests run against each, a gateway
//! per test on a random port with its own SQLite file, HTTP helpers, and a separate IMAP client
//! for arranging mailboxes behind the gateway's back.

use std::{
    path::PathBuf,
    process::Command,
    sync::{Arc, OnceLock},
    time::Duration,
};

use base64::Engine as _;
use imap_gateway::{
    config::{Secret, Settings, TlsMode},
    imap::AccountPool,
    startup::Application,
    state::AppState,
};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::net::TcpStream;

/// With `IGW_TEST_LOG_DIR` set (scripts/test sets it), every in-process gateway logs JSON at
/// debug level to `it.jsonl` there, and spawned binaries to files beside it; scripts/test then
/// scans them for passwords, tokens, secrets and message content.
pub fn init_logs() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        if let Ok(dir) = std::env::var("IGW_TEST_LOG_DIR") {
            let _ = std::fs::create_dir_all(&dir);
            let _ = imap_gateway::telemetry::init_to_file(&PathBuf::from(dir).join("it.jsonl"));
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
        $crate::helpers::both_servers!($name, dovecot: $user, cyrus: $user);
    };
    ($name:ident, dovecot: $dovecot_user:literal, cyrus: $cyrus_user:literal) => {
        mod $name {
            #[tokio::test]
            async fn dovecot() {
                super::$name($crate::helpers::dovecot(), $dovecot_user).await;
            }

            #[tokio::test]
            async fn cyrus() {
                super::$name($crate::helpers::cyrus(), $cyrus_user).await;
            }
        }
    };
}
pub(crate) use both_servers;

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
    pub fn cache_key(&self, token: &str, mailbox: &str, uid_validity: u32, uid: u32) -> imap_gateway::imap::cache::Key {
        let account = self.account_of(token);
        let mailbox = imap_gateway::imap::encode::MailboxName::parse(mailbox).expect("mailbox name");
        imap_gateway::imap::page::CacheScope::of(&self.state.pools, &account).key(&mailbox, uid_validity, uid)
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

/// A plain IMAP client independent of the gateway, for arranging and checking server state.
pub struct Admin {
    session: async_imap::Session<TcpStream>,
}

impl Admin {
    pub async fn connect(d: &ImapServer, user: &str) -> Self {
        let tcp = TcpStream::connect((d.host.as_str(), d.port)).await.expect("connect");
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.expect("greeting").expect("greeting");
        let session = client.login(user, format!("{user}-pass")).await.map_err(|(e, _)| e).expect("admin login");
        Self { session }
    }

    /// CREATE with a name already in modified UTF-7 (as the server stores it).
    pub async fn create(&mut self, wire_name: &str) {
        match bounded("CREATE", self.session.create(wire_name)).await {
            Ok(()) => {}
            // Dovecot has (rarely) answered a first CREATE of a fresh unique name with
            // ALREADYEXISTS while other sessions of the user were busy: the mailbox is there,
            // which is all a fixture needs.
            Err(e) if e.to_string().contains("ALREADYEXISTS") => {}
            Err(e) => panic!("CREATE {wire_name}: {e}"),
        }
    }

    pub async fn subscribe(&mut self, wire_name: &str) {
        bounded("SUBSCRIBE", self.session.subscribe(wire_name)).await.expect("SUBSCRIBE");
    }

    pub async fn delete(&mut self, wire_name: &str) {
        let _ = bounded("DELETE", self.session.delete(wire_name)).await;
    }

    /// Wire names of all mailboxes.
    pub async fn list(&mut self) -> Vec<String> {
        use futures_util::TryStreamExt;
        let names: Vec<_> =
            self.session.list(Some(""), Some("*")).await.expect("LIST").try_collect().await.expect("LIST");
        names.iter().map(|n| n.name().to_string()).collect()
    }

    pub async fn append(&mut self, wire_name: &str, flags: Option<&str>, message: &str) {
        bounded("APPEND", self.session.append(wire_name, flags, None, message.as_bytes())).await.expect("APPEND");
    }

    /// APPEND with an INTERNALDATE such as `"02-Nov-2026 10:00:00 +0000"`.
    pub async fn append_at(&mut self, wire_name: &str, flags: Option<&str>, date: &str, message: &str) {
        let quoted = format!("\"{date}\"");
        let append = self.session.append(wire_name, flags, Some(&quoted), message.as_bytes());
        bounded("APPEND", append).await.expect("APPEND");
    }

    /// `UID STORE uid +FLAGS (flag)` from this separate client (a concurrent change).
    pub async fn add_flag(&mut self, wire_name: &str, uid: u32, flag: &str) {
        use futures_util::TryStreamExt;
        bounded("SELECT", self.session.select(wire_name)).await.expect("SELECT");
        let _: Vec<_> = bounded("STORE", async {
            self.session
                .uid_store(uid.to_string(), format!("+FLAGS ({flag})"))
                .await
                .expect("STORE")
                .try_collect()
                .await
                .expect("STORE")
        })
        .await;
    }

    /// APPEND raw bytes (any content) with an INTERNALDATE.
    pub async fn append_bytes_at(&mut self, wire_name: &str, message: &[u8], date: &str) {
        let quoted = format!("\"{date}\"");
        bounded("APPEND", self.session.append(wire_name, None, Some(&quoted), message)).await.expect("APPEND");
    }

    pub async fn logout(mut self) {
        let _ = bounded("LOGOUT", self.session.logout()).await;
    }
}

/// A small RFC 5322 message.
pub fn message(subject: &str) -> String {
    format!(
        "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: {subject}\r\n\
         Date: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{}@example.com>\r\n\r\nHello.\r\n",
        uuid::Uuid::new_v4()
    )
}

/// Lines of the Dovecot log that mention `user` and contain `what`.
pub fn log_count(d: &ImapServer, user: &str, what: &str) -> usize {
    let log = std::fs::read_to_string(&d.log).unwrap_or_default();
    let who = format!("imap({user})");
    log.lines().filter(|l| l.contains(&who) && l.contains(what)).count()
}

impl Admin {
    /// Flags of `uid` in `wire_name`, examined read-only.
    pub async fn flags(&mut self, wire_name: &str, uid: u32) -> Vec<String> {
        use futures_util::TryStreamExt;
        bounded("EXAMINE", self.session.examine(wire_name)).await.expect("EXAMINE");
        let fetches: Vec<_> = bounded("FETCH", async {
            self.session.uid_fetch(uid.to_string(), "FLAGS").await.expect("FETCH").try_collect().await.expect("FETCH")
        })
        .await;
        fetches.iter().flat_map(|f| f.flags().map(|fl| format!("{fl:?}"))).collect()
    }
}

/// The admin client has no deadlines of its own: a test must fail, not hang, if the server
/// stops answering.
async fn bounded<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), fut).await.unwrap_or_else(|_| panic!("{what} took over 60 s"))
}

impl Admin {
    /// `\Deleted` then `UID EXPUNGE uid`, from this separate client.
    pub async fn expunge_uid(&mut self, wire_name: &str, uid: u32) {
        self.add_flag(wire_name, uid, "\\Deleted").await;
        bounded("UID EXPUNGE", self.session.run_command_and_check_ok(format!("UID EXPUNGE {uid}")))
            .await
            .expect("UID EXPUNGE");
    }
}

/// The value of one series (name and labels, as written) in a `/metrics` text.
pub fn metric(text: &str, series: &str) -> Option<u64> {
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')).and_then(|v| v.parse().ok()))
}

/// The resident set of process `pid` (`"self"`: this one, where in-process gateways run), in kB.
pub fn vm_rss_kb(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
