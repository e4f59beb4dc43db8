//! Webhooks against a real Dovecot: signed deliveries to a receiver in the test that is down
//! for a while, a gateway restart (the real binary) in between, and the SSRF rules.

use std::{
    collections::BTreeMap,
    process::{Child, Command},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::{Router, extract::State, http::HeaderMap, routing::post};
use imap_gateway::signatures as sign;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Admin, ImapServer, TestApp, dovecot, expect_problem, message, random_b64, unique};

pub(crate) const USER: &str = "grace";

#[derive(Default)]
pub(crate) struct Receiver {
    down: AtomicBool,
    /// Accepted deliveries: (Webhook-Id, timestamp, signature, body).
    pub(crate) got: Mutex<Vec<(String, i64, String, String)>>,
}

async fn hook(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: String) -> StatusCode {
    if r.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let ts = h("webhook-timestamp").parse().unwrap_or(0);
    r.got.lock().expect("lock").push((h("webhook-id"), ts, h("webhook-signature"), body));
    StatusCode::NO_CONTENT
}

pub(crate) async fn receiver() -> (Arc<Receiver>, String) {
    let r = Arc::new(Receiver::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().expect("addr").port());
    let app = Router::new().route("/hook", post(hook)).with_state(r.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (r, url)
}

/// The real binary, so that a restart is a real restart; secrets and database survive it.
pub(crate) struct Gateway {
    child: Child,
    pub(crate) base: String,
}

pub(crate) fn start(d: &ImapServer, db: &str, secrets: &(String, String)) -> Gateway {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_imap-gateway"));
    cmd.arg("serve")
        .env("IMAP_GATEWAY__HTTP__LISTEN", format!("127.0.0.1:{port}"))
        .env("IMAP_GATEWAY__DATABASE__URL", db)
        .env("IMAP_GATEWAY__IMAP__HOST", &d.host)
        .env("IMAP_GATEWAY__IMAP__PORT", d.port.to_string())
        .env("IMAP_GATEWAY__IMAP__TLS", "starttls")
        .env("IMAP_GATEWAY__IMAP__CA_FILE", &d.ca)
        .env("IMAP_GATEWAY__AUTH__JWT_SECRET", &secrets.0)
        .env("IMAP_GATEWAY__AUTH__ENCRYPTION_KEY", &secrets.1)
        .env("IMAP_GATEWAY__WEBHOOKS__ALLOW_HTTP", "true")
        .env("IMAP_GATEWAY__WEBHOOKS__ALLOW_INTERNAL", "true")
        .env("IMAP_GATEWAY__WEBHOOKS__RETRY_BASE_MS", "200")
        .env("IMAP_GATEWAY__WEBHOOKS__RETRY_MAX_MS", "800")
        .env("IMAP_GATEWAY__WEBHOOKS__TIMEOUT_MS", "2000")
        .env("IMAP_GATEWAY__WEBHOOKS__POLL_MS", "100")
        .env("IMAP_GATEWAY__WEBHOOKS__MAX_ATTEMPTS", "100")
        .stdout(std::process::Stdio::null());
    crate::helpers::child_logging(&mut cmd);
    let child = cmd.spawn().expect("spawn");
    Gateway { child, base: format!("http://127.0.0.1:{port}") }
}

impl Gateway {
    pub(crate) async fn ready(&self, http: &reqwest::Client) {
        for _ in 0..100 {
            if http.get(format!("{}/readyz", self.base)).send().await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the gateway did not become ready");
    }

    pub(crate) fn stop(mut self) {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(self.child.wait().expect("wait").success());
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// Logs in as USER and registers the webhook `hook`: (access token, webhook id, secret).
pub(crate) async fn register(http: &reqwest::Client, base: &str, hook: Value) -> (String, String, String) {
    let token = crate::service::login_at(http, base, USER).await;
    let created =
        http.post(format!("{base}/v1/webhooks")).bearer_auth(&token).json(&hook).send().await.expect("register");
    assert_eq!(created.status(), StatusCode::CREATED);
    let hook: Value = created.json().await.expect("json");
    let (id, secret) = (hook["id"].as_str().expect("id"), hook["secret"].as_str().expect("secret"));
    (token, id.to_string(), secret.to_string())
}

/// Checks every delivery's signature with the official Standard Webhooks package (PyPI
/// `standardwebhooks`, through `scripts/verify-webhooks.py`), as a receiver would, and with the
/// gateway's own `signatures::verify`.
pub(crate) fn verify_officially(secret: &str, deliveries: &[(String, i64, String, String)]) {
    use std::io::Write;
    let python = std::env::var("STANDARD_WEBHOOKS_PYTHON")
        .expect("STANDARD_WEBHOOKS_PYTHON (scripts/test installs the standardwebhooks package and sets it)");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/verify-webhooks.py");
    let mut child = Command::new(python)
        .arg(script)
        .arg(secret)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run verify-webhooks.py");
    let mut stdin = child.stdin.take().expect("stdin");
    for (id, ts, sig, body) in deliveries {
        assert!(sign::verify(secret, id, *ts, body, sig), "signature of {id}");
        let line = json!({"id": id, "timestamp": ts, "signature": sig, "body": body});
        writeln!(stdin, "{line}").expect("write");
    }
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "standardwebhooks refused a delivery:\n{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("ok ")).count(), deliveries.len(), "{text}");
}

/// (type, uid) of every accepted message event, after checking each signature.
pub(crate) fn accepted(r: &Receiver, secret: &str) -> Vec<(String, u64)> {
    let got = r.got.lock().expect("lock");
    verify_officially(secret, &got);
    let mut out = Vec::new();
    for (id, _, _, body) in got.iter() {
        let v: Value = serde_json::from_str(body).expect("JSON body");
        assert_eq!(v["id"], id.as_str());
        let kind = v["type"].as_str().expect("type").to_string();
        for uid in v["uids"].as_array().expect("uids") {
            out.push((kind.clone(), uid.as_u64().expect("uid")));
        }
    }
    out
}

#[tokio::test]
async fn deliveries_are_signed_retried_and_survive_a_restart_exactly_once() {
    let mailbox = unique("hooks");
    let mut admin = Admin::connect(dovecot(), USER).await;
    admin.create(&mailbox).await;
    let (rx, url) = receiver().await;
    let db =
        format!("sqlite://{}", std::env::temp_dir().join(format!("igw-hooks-{}.db", uuid::Uuid::new_v4())).display());
    let secrets = (random_b64(48), random_b64(32));
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
    let g1 = start(dovecot(), &db, &secrets);
    g1.ready(&http).await;
    let (token, id, secret) = register(
        &http,
        &g1.base,
        json!({"url": url, "mailboxes": [mailbox], "events": ["message.created", "message.updated", "message.deleted"]}),
    )
    .await;
    let listed: Value = http
        .get(format!("{}/v1/webhooks", g1.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["items"][0]["id"], id.as_str());
    assert!(listed["items"][0].get("secret").is_none(), "the secret is shown once");

    // Up: the first message is delivered. Then down: deliveries fail and are retried.
    admin.append(&mailbox, None, &message("h1")).await;
    for _ in 0..50 {
        if !accepted(&rx, &secret).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(accepted(&rx, &secret), [("message.created".to_string(), 1)]);
    rx.down.store(true, Ordering::SeqCst);
    admin.append(&mailbox, None, &message("h2")).await;
    admin.add_flag(&mailbox, 1, "\\Flagged").await;
    let deliveries_url = format!("{}/v1/webhooks/{id}/deliveries", g1.base);
    let mut retried = false;
    for _ in 0..100 {
        let d: Value =
            http.get(&deliveries_url).bearer_auth(&token).send().await.expect("deliveries").json().await.expect("json");
        let items = d["items"].as_array().expect("items");
        if items.iter().any(|i| i["attempts"].as_i64().unwrap_or(0) >= 2 && i["history"][0]["httpStatus"] == 503) {
            retried = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(retried, "failed deliveries are retried and their attempts recorded");

    // A restart in between, and a change while the gateway is down.
    g1.stop();
    admin.append(&mailbox, None, &message("h3")).await;
    let g2 = start(dovecot(), &db, &secrets);
    g2.ready(&http).await;
    rx.down.store(false, Ordering::SeqCst);
    let want: Vec<(String, u64)> = vec![
        ("message.created".into(), 1),
        ("message.created".into(), 2),
        ("message.created".into(), 3),
        ("message.updated".into(), 1),
    ];
    for _ in 0..200 {
        if accepted(&rx, &secret).len() >= want.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut after = accepted(&rx, &secret);
    after.sort();
    let mut expected = want.clone();
    expected.sort();
    assert_eq!(after, expected, "every event exactly once");
    let ids: Vec<String> = rx.got.lock().expect("lock").iter().map(|g| g.0.clone()).collect();
    let unique_ids: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique_ids.len(), ids.len(), "no delivery twice");
    let d: Value = http
        .get(format!("{}/v1/webhooks/{id}/deliveries", g2.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("deliveries")
        .json()
        .await
        .expect("json");
    let statuses: BTreeMap<String, usize> =
        d["items"].as_array().expect("items").iter().fold(BTreeMap::new(), |mut m, i| {
            *m.entry(i["status"].as_str().unwrap_or("").to_string()).or_default() += 1;
            m
        });
    assert_eq!(statuses.get("pending"), None, "{statuses:?}");
    g2.stop();
    admin.logout().await;
}

#[tokio::test]
async fn internal_destinations_are_refused_and_webhooks_belong_to_their_account() {
    let app = TestApp::spawn_with(|s| s.webhooks.allow_http = true).await;
    let token = app.login(USER).await.access;
    let register = |url: &str| app.create_webhook(&token, json!({"url": url}));
    for url in [
        "http://127.0.0.1/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.7/",
        "http://[fd00::1]/",
        "http://[64:ff9b::7f00:1]/",
    ] {
        let body = expect_problem(register(url).await, StatusCode::UNPROCESSABLE_ENTITY, "webhook-url-refused").await;
        assert!(body["detail"].as_str().expect("detail").contains("internal address"), "{url}: {body}");
    }
    let strict = TestApp::spawn().await;
    let t2 = strict.login(USER).await.access;
    let resp = strict.create_webhook(&t2, json!({"url": "http://93.184.216.34/"})).await;
    expect_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "webhook-url-refused").await;
    let bad_event =
        app.create_webhook(&token, json!({"url": "https://93.184.216.34/", "events": ["mail.exploded"]})).await;
    expect_problem(bad_event, StatusCode::UNPROCESSABLE_ENTITY, "invalid-properties").await;

    // A public address is accepted (nothing is sent at registration).
    let ok = register("https://93.184.216.34/hook").await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let id = ok.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string();
    // Another account sees nothing of it.
    let other = app.login("frank").await.access;
    let resp = app.get(&format!("/v1/webhooks/{id}/deliveries"), &other).await;
    expect_problem(resp, StatusCode::NOT_FOUND, "not-found").await;
    let resp = app.delete(&format!("/v1/webhooks/{id}"), &other).await;
    expect_problem(resp, StatusCode::NOT_FOUND, "not-found").await;
    let resp = app.delete(&format!("/v1/webhooks/{id}"), &token).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_json("/v1/webhooks", &token).await["items"], json!([]));
}

/// Registration resolves no name, so an unresolvable name and one resolving to an internal
/// address get the same answer; at delivery both are refused with the same words and no time.
#[tokio::test]
async fn registration_tells_nothing_of_what_a_name_resolves_to() {
    let app = TestApp::spawn_with(|s| {
        s.webhooks.poll_ms = 100;
        s.webhooks.max_attempts = 1;
    })
    .await;
    let mailbox = unique("oracle");
    let mut admin = Admin::connect(dovecot(), USER).await;
    admin.create(&mailbox).await;
    let token = app.login(USER).await.access;
    let names = [
        format!("https://no-such-host-{}.invalid/hook", uuid::Uuid::new_v4().simple()),
        "https://localhost/hook".into(),
    ];
    let mut ids = Vec::new();
    let mut shapes = Vec::new();
    for url in &names {
        let resp = app
            .create_webhook(&token, json!({"url": url, "mailboxes": [mailbox], "events": ["message.created"]}))
            .await;
        let status = resp.status();
        let body: Value = resp.json().await.expect("json");
        assert_eq!(status, StatusCode::CREATED, "{url}: {body}");
        ids.push(body["id"].as_str().expect("id").to_string());
        shapes.push(body.as_object().expect("object").keys().cloned().collect::<Vec<_>>());
    }
    assert_eq!(shapes[0], shapes[1], "the same answer");

    admin.append(&mailbox, None, &message("oracle")).await;
    let mut attempts = Vec::new();
    for id in &ids {
        let path = format!("/v1/webhooks/{id}/deliveries");
        let mut found = None;
        for _ in 0..200 {
            let d = app.get_json(&path, &token).await;
            if let Some(a) = d["items"][0]["history"].get(0) {
                found = Some(a.clone());
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        attempts.push(found.expect("an attempt was made"));
    }
    assert_eq!(attempts[0]["error"], attempts[1]["error"], "the same refusal: {attempts:?}");
    assert!(attempts[0]["error"].as_str().expect("error").starts_with("refused: "), "{attempts:?}");
    assert_eq!((attempts[0]["durationMs"].as_i64(), attempts[1]["durationMs"].as_i64()), (Some(0), Some(0)));
    admin.logout().await;
}

#[tokio::test]
async fn an_accounts_webhooks_follow_at_most_max_mailboxes_and_a_refused_one_is_not_kept() {
    let app = TestApp::spawn_with(|s| {
        s.webhooks.allow_http = true;
        s.webhooks.allow_internal = true;
        s.events.max_mailboxes = 2;
    })
    .await;
    let token = app.login("frank").await.access;
    let (a, b) = (unique("wha"), unique("whb"));
    let mut admin = Admin::connect(dovecot(), "frank").await;
    admin.create(&a).await;
    admin.create(&b).await;
    let (_receiver, url) = receiver().await;
    let create = |mailboxes: Vec<String>| {
        app.http
            .post(app.url("/v1/webhooks"))
            .bearer_auth(&token)
            .json(&json!({"url": url, "mailboxes": mailboxes}))
            .send()
    };
    assert_eq!(create(vec!["INBOX".into(), a.clone()]).await.expect("create").status(), StatusCode::CREATED);
    let resp = create(vec![b.clone()]).await.expect("create");
    expect_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "too-many-watched-mailboxes").await;
    let hooks = app.get_json("/v1/webhooks", &token).await;
    assert_eq!(hooks["items"].as_array().map(Vec::len), Some(1), "the refused webhook was stored: {hooks}");
    assert_eq!(create(vec![a.clone()]).await.expect("create").status(), StatusCode::CREATED, "no new mailbox");
    admin.delete(&a).await;
    admin.delete(&b).await;
    admin.logout().await;
}
