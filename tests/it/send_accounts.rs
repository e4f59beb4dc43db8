//! Sending as every kind of account, through the real Postfix: an OAuth2 account logs in to
//! SMTP with XOAUTH2 or OAUTHBEARER and its access token, and a trusted-issuer account with the
//! master login (authorization id, or `user*master`), each as the user the token names.

use serde_json::{Value, json};

use reqwest::StatusCode;

use crate::{
    helpers::{TestApp, unique},
    send::{arrived, send, smtp_settings},
};

/// Postfix log lines of SASL logins with `method` as `user`.
fn smtp_logins(method: &str, user: &str) -> usize {
    let log = std::env::var("SMTP_LOG").expect("SMTP_LOG");
    let needle = format!("sasl_method={method}, sasl_username={user}");
    std::fs::read_to_string(log).unwrap_or_default().lines().filter(|l| l.contains(&needle)).count()
}

async fn sends_and_arrives(app: &TestApp, token: &str, from: &str, reader: &str) {
    let subject = unique("as");
    let resp = send(app, token, &json!({"to": [{"email": format!("{reader}@example.org")}], "subject": subject})).await;
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["sent"]["mailbox"], "Sent", "{body}");
    let reader_token = app.login(reader).await.access;
    let uid = arrived(app, &reader_token, "INBOX", body["messageId"].as_str().expect("id")).await;
    let got = app.get_json(&format!("/v1/mailboxes/INBOX/messages/{uid}"), &reader_token).await;
    assert_eq!(got["from"][0]["email"], format!("{from}@example.org"));
}

#[tokio::test]
async fn an_oauth2_account_sends_with_its_access_token() {
    let app = TestApp::spawn_with(smtp_settings).await;
    let secret = std::env::var("IMAP_OAUTH_HS256_SECRET").unwrap_or_else(|_| "igw-test-oauth-hs256-secret".into());
    for mechanism in ["XOAUTH2", "OAUTHBEARER"] {
        let jwt = crate::oauth::token("kim", 600, &secret);
        let resp = app.login_with(&json!({"username": "kim", "accessToken": jwt, "mechanism": mechanism})).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let access = resp.json::<Value>().await.expect("json")["accessToken"].as_str().expect("token").to_string();
        let before = smtp_logins(mechanism, "kim");
        sends_and_arrives(&app, &access, "kim", "lee").await;
        assert_eq!(smtp_logins(mechanism, "kim"), before + 1, "{mechanism}: one SMTP login with the token");
    }
}

#[tokio::test]
async fn a_trusted_issuer_account_sends_through_the_master_login() {
    let k = crate::trusted::keys();
    for style in ["sasl", "separator"] {
        let public = k.public_file.clone();
        let app = TestApp::spawn_with(move |s| {
            smtp_settings(s);
            crate::trusted::trusting(s, public, style);
        })
        .await;
        let token = crate::trusted::token(&k.private, crate::trusted::claims("ned"));
        let before = smtp_logins("PLAIN", "ned");
        sends_and_arrives(&app, &token, "ned", "rita").await;
        assert_eq!(smtp_logins("PLAIN", "ned"), before + 1, "{style}: the master login acts as ned");
    }
}
