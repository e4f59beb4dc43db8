//! Auth mode B: RS256 tokens from the test's own key pair read a user's mailbox through
//! Dovecot's master login (SASL PLAIN authorization id, and `user*master`); every bad token is 401.

use std::process::Command;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Admin, TestApp, dovecot, expect_problem, message, seg, unique};

pub(crate) struct Keys {
    pub(crate) private: Vec<u8>,
    pub(crate) public_file: std::path::PathBuf,
    other_private: Vec<u8>,
}

pub(crate) fn keys() -> Keys {
    let dir = std::env::temp_dir().join(format!("igw-trusted-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let gen_key = |name: &str| {
        let path = dir.join(name);
        let ok = Command::new("openssl")
            .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"])
            .arg(&path)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl");
        assert!(ok.success());
        path
    };
    let (key, other) = (gen_key("key.pem"), gen_key("other.pem"));
    let public_file = dir.join("pub.pem");
    let ok =
        Command::new("openssl").arg("pkey").arg("-in").arg(&key).arg("-pubout").arg("-out").arg(&public_file).status();
    assert!(ok.expect("openssl").success());
    Keys { private: std::fs::read(key).expect("key"), public_file, other_private: std::fs::read(other).expect("key") }
}

/// Settings that trust the test's issuer key and log in with Dovecot's master user (`style`:
/// `sasl` or `separator`).
pub(crate) fn trusting(s: &mut imap_gateway::Settings, public: std::path::PathBuf, style: &str) {
    s.trusted.enabled = true;
    s.trusted.issuer = "https://idp.test".into();
    s.trusted.algorithm = "RS256".into();
    s.trusted.public_key_file = Some(public);
    s.trusted.master_user = "gwmaster".into();
    s.trusted.master_password = Some(imap_gateway::Secret::new("gwmaster-pass"));
    s.trusted.master_login = style.into();
}

pub(crate) fn token(private: &[u8], claims: Value) -> String {
    encode(&Header::new(Algorithm::RS256), &claims, &EncodingKey::from_rsa_pem(private).expect("key")).expect("sign")
}

pub(crate) fn claims(user: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": "https://idp.test", "aud": "imap-gateway", "sub": user, "exp": now + 300, "iat": now})
}

#[tokio::test]
async fn trusted_tokens_read_mail_through_the_master_login_and_bad_ones_are_refused() {
    let k = keys();
    let mailbox = unique("trusted");
    let mut admin = Admin::connect(dovecot(), "alice").await;
    admin.create(&mailbox).await;
    admin.append(&mailbox, None, &message("for-the-trusted-service")).await;
    admin.logout().await;
    for style in ["sasl", "separator"] {
        let public = k.public_file.clone();
        let app = TestApp::spawn_with(move |s| {
            trusting(s, public, style);
        })
        .await;
        let good = token(&k.private, claims("alice"));
        let page = app.get_json(&format!("/v1/mailboxes/{}/messages", seg(&mailbox)), &good).await;
        assert_eq!(page["items"][0]["subject"], "for-the-trusted-service", "{style}: {page}");
        // No password of alice's is stored: the account row has no secret.
        let account = app.state.trusted_accounts.get("alice").expect("account").clone();
        let row = app.state.store.account(&account).await.expect("load").expect("row");
        assert_eq!((row.server.as_str(), row.secret.as_str()), ("trusted", ""));

        let now = chrono::Utc::now().timestamp();
        let mut bad = vec![
            ("wrong key", token(&k.other_private, claims("alice"))),
            (
                "wrong issuer",
                token(
                    &k.private,
                    json!({"iss": "https://evil.test", "aud": "imap-gateway", "sub": "alice", "exp": now + 300}),
                ),
            ),
            (
                "wrong audience",
                token(&k.private, json!({"iss": "https://idp.test", "aud": "other", "sub": "alice", "exp": now + 300})),
            ),
            (
                "expired",
                token(
                    &k.private,
                    json!({"iss": "https://idp.test", "aud": "imap-gateway", "sub": "alice", "exp": now - 120}),
                ),
            ),
            ("no exp", token(&k.private, json!({"iss": "https://idp.test", "aud": "imap-gateway", "sub": "alice"}))),
            (
                "not yet valid",
                token(
                    &k.private,
                    json!({"iss": "https://idp.test", "aud": "imap-gateway", "sub": "alice", "exp": now + 7200, "nbf": now + 3600}),
                ),
            ),
            (
                "exp as a string",
                token(
                    &k.private,
                    json!({"iss": "https://idp.test", "aud": "imap-gateway", "sub": "alice", "exp": (now + 300).to_string()}),
                ),
            ),
            ("separator in the user", token(&k.private, claims("alice*gwmaster"))),
            ("no user", token(&k.private, json!({"iss": "https://idp.test", "aud": "imap-gateway", "exp": now + 300}))),
        ];
        // Algorithm confusion: HS256 keyed with the public key's PEM.
        let pem = std::fs::read(&k.public_file).expect("pem");
        let hs =
            encode(&Header::new(Algorithm::HS256), &claims("alice"), &EncodingKey::from_secret(&pem)).expect("sign");
        bad.push(("HS256 with the public key", hs));
        let unsigned = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&claims("alice").to_string()));
        bad.push(("alg none", unsigned));
        for (what, t) in bad {
            let resp = app.get("/v1/mailboxes?counts=false", &t).await;
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{style}: {what}");
            expect_problem(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
        }
    }
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}
