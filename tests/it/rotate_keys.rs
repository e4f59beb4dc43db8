//! `rotate-keys`: every sealed value (a password, an OAuth2 access and refresh token, a webhook
//! secret) made under key A is re-sealed with key B, after which A can be retired: the stored
//! password still serves mail, the webhook still signs with the same secret, the tokens open.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, extract::State, http::HeaderMap, routing::post};
use imap_gateway::{
    Secret, Settings,
    internals::{ACCESS_FIELD, Counts, OAuthSecret, REFRESH_FIELD, rotate_keys},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, dovecot, random_b64, settings_for, unique};

const USER: &str = "oscar";

type Got = Arc<Mutex<Vec<(String, i64, String, String)>>>;

async fn hook(State(got): State<Got>, headers: HeaderMap, body: String) -> StatusCode {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    got.lock().expect("lock").push((
        h("webhook-id"),
        h("webhook-timestamp").parse().unwrap_or(0),
        h("webhook-signature"),
        body,
    ));
    StatusCode::NO_CONTENT
}

async fn receiver() -> (Got, String) {
    let got = Got::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().expect("addr").port());
    let app = Router::new().route("/hook", post(hook)).with_state(got.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (got, url)
}

fn with_key(s: &Settings, id: &str, key: &str, previous: &[(&str, &str)]) -> Settings {
    let mut s = s.clone();
    s.auth.encryption_key_id = id.into();
    s.auth.encryption_key = Some(Secret::new(key));
    s.auth.previous_encryption_keys = previous.iter().map(|(i, k)| (i.to_string(), Secret::new(*k))).collect();
    s
}

fn one(resealed: u64, current: u64) -> Counts {
    Counts { resealed, current, changed: 0, unreadable: 0 }
}

/// The `imap-gateway rotate-keys` binary with keys [A, B], B current; its standard output.
fn run_binary(db: &str, a: &str, b: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_imap-gateway"))
        .args(["rotate-keys", "--batch-size", "1"])
        .env("IMAP_GATEWAY__DATABASE__URL", db)
        .env("IMAP_GATEWAY__AUTH__ENCRYPTION_KEY_ID", "kb")
        .env("IMAP_GATEWAY__AUTH__ENCRYPTION_KEY", b)
        .env("IMAP_GATEWAY__AUTH__PREVIOUS_ENCRYPTION_KEYS__KA", a)
        .output()
        .expect("run imap-gateway rotate-keys");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "rotate-keys failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

async fn retire_the_old_key(db: &str, binary: bool) {
    let (got, hook_url) = receiver().await;
    let (key_a, key_b) = (random_b64(32), random_b64(32));
    let mut base = settings_for(dovecot());
    base.database.url = db.into();
    base.webhooks.allow_http = true;
    base.webhooks.allow_internal = true;
    // The first gateway never polls the queue: only the second one sends.
    base.webhooks.poll_ms = 3_600_000;
    let old = TestApp::start(with_key(&base, "ka", &key_a, &[])).await;

    // Under key A: a password (a real login), a webhook secret, and an OAuth2 account's tokens.
    let tokens = old.login(USER).await;
    let resp = old.create_webhook(&tokens.access, json!({"url": hook_url, "events": ["mailbox.changed"]})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.expect("json");
    let (hook_id, secret) = (created["id"].as_str().expect("id"), created["secret"].as_str().expect("secret"));
    let store = &old.state.store;
    let oauth = store.ensure_account("default", &unique("rotation-oauth")).await.expect("account");
    let ka = &old.state.auth.keyring;
    let (access, refresh) =
        (ka.seal(&oauth.id, ACCESS_FIELD, "access-A"), ka.seal(&oauth.id, REFRESH_FIELD, "refresh-A"));
    let t = imap_gateway::internals::now();
    let sealed = OAuthSecret {
        kind: "XOAUTH2",
        access: &access,
        expires_at: t + 3600,
        refresh: Some(&refresh),
        provider: Some("p"),
    };
    store.set_account_oauth(&oauth.id, &sealed).await.expect("oauth tokens");

    // Keys [A, B] with B current: re-seal everything.
    let both = with_key(&base, "kb", &key_b, &[("ka", &key_a)]);
    let both_ring = imap_gateway::internals::keyring(&both.auth).expect("keyring");
    if binary {
        let out = run_binary(db, &key_a, &key_b);
        for line in [
            "passwords: 1 re-sealed",
            "oauth access tokens: 1 re-sealed",
            "oauth refresh tokens: 1 re-sealed",
            "webhook secrets: 1 re-sealed",
        ] {
            assert!(out.contains(line), "{line} in {out}");
        }
        assert!(!out.contains("access-A") && !out.contains(secret), "counts only: {out}");
    } else {
        let report = rotate_keys(store, &both_ring, 1).await.expect("rotate");
        assert_eq!(
            [report.passwords, report.access_tokens, report.refresh_tokens, report.webhook_secrets],
            [one(1, 0); 4]
        );
    }
    // Idempotent: a second run finds everything current.
    let again = rotate_keys(store, &both_ring, 2).await.expect("rotate again");
    assert_eq!([again.passwords, again.access_tokens, again.refresh_tokens, again.webhook_secrets], [one(0, 1); 4]);

    // Key A retired: a gateway that knows only B.
    let mut only_b = with_key(&base, "kb", &key_b, &[]);
    only_b.webhooks.poll_ms = 100;
    let new = TestApp::start(only_b).await;
    // The stored password opens: the old access token reads mail through a pool built from it.
    assert_eq!(new.get("/v1/mailboxes?counts=false", &tokens.access).await.status(), StatusCode::OK);
    let (creds, _) = new.state.vault.credentials_for(&old.account_of(&tokens.access)).await.expect("credentials");
    assert_eq!(creds.password.expose(), format!("{USER}-pass"));
    // The OAuth2 tokens open.
    let row = new.state.store.account(&oauth.id).await.expect("read").expect("row");
    let kb = &new.state.auth.keyring;
    assert_eq!(kb.open(&oauth.id, ACCESS_FIELD, &row.secret).as_deref(), Ok("access-A"));
    assert_eq!(kb.open(&oauth.id, REFRESH_FIELD, &row.refresh_secret).as_deref(), Ok("refresh-A"));
    // The webhook's deliveries are signed with the secret shown at registration.
    let delivery = format!("dl_{}", uuid::Uuid::new_v4().simple());
    let body = json!({"id": delivery, "type": "mailbox.changed"}).to_string();
    let now_ms = chrono::Utc::now().timestamp_millis();
    assert!(
        new.state
            .store
            .enqueue_delivery(&delivery, hook_id, "rotation", "mailbox.changed", &body, now_ms)
            .await
            .expect("enqueue")
    );
    new.state.webhooks.wake.notify_one();
    let mut sent = None;
    for _ in 0..200 {
        sent = got.lock().expect("lock").iter().find(|d| d.0 == delivery).cloned();
        if sent.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sent_delivery = sent.expect("the delivery arrived (its secret opened with key B)");
    let (_, ts, sig, got_body) = sent_delivery.clone();
    assert_eq!(got_body, body);
    let (id, _, _, _) = sent_delivery.clone();
    crate::webhooks::verify_officially(secret, &[(id, ts, sig, got_body)]);
}

#[tokio::test]
async fn rotate_keys_lets_the_old_key_go_on_sqlite() {
    retire_the_old_key(&crate::store::sqlite_url(), true).await;
}

#[tokio::test]
async fn rotate_keys_lets_the_old_key_go_on_postgresql() {
    let (name, url) = crate::store::fresh_pg().await;
    retire_the_old_key(&url, false).await;
    crate::store::drop_pg(&name).await;
}
