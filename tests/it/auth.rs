//! Login, token verification, refresh rotation and logout against a real Dovecot.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_problem};

#[tokio::test]
async fn login_with_good_credentials_returns_tokens_that_work() {
    let app = TestApp::spawn().await;
    let resp = app.login_raw("alice", "alice-pass").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["tokenType"], "Bearer");
    assert_eq!(body["expiresIn"], 600);
    let token = body["accessToken"].as_str().expect("token");
    assert_eq!(token.split('.').count(), 3, "a JWT");
    assert!(body["refreshToken"].as_str().expect("refresh").starts_with("igr_"));
    let list = app.get_json("/v1/mailboxes", token).await;
    assert!(list["items"].as_array().expect("items").iter().any(|m| m["name"] == "INBOX"));
}

#[tokio::test]
async fn login_with_bad_credentials_is_401() {
    let app = TestApp::spawn().await;
    let body = expect_problem(
        app.login_raw("alice", "not-the-pass-7g3").await,
        StatusCode::UNAUTHORIZED,
        "authentication-failed",
    )
    .await;
    assert!(!body.to_string().contains("7g3"), "the password is not echoed");
    expect_problem(app.login_raw("nosuchuser", "x").await, StatusCode::UNAUTHORIZED, "authentication-failed").await;
}

fn forged(secret: &[u8], claims: Value) -> String {
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret)).expect("sign")
}

#[tokio::test]
async fn forged_expired_and_misaddressed_tokens_are_401() {
    let app = TestApp::spawn().await;
    let good = app.login("alice").await.access;
    let claims = app.state.auth.jwt.verify(&good).expect("valid");
    let secret = app.settings.auth.jwt_secret.as_ref().expect("secret").expose().as_bytes().to_vec();
    let now = chrono::Utc::now().timestamp();
    let base = json!({"iss": claims.iss, "aud": claims.aud, "sub": claims.sub, "exp": now + 300,
                      "nbf": now, "iat": now, "jti": "forged-1", "fid": claims.fid});
    let with = |k: &str, v: Value| {
        let mut c = base.clone();
        c[k] = v;
        c
    };
    let mut expired = with("exp", json!(now - 120));
    expired["iat"] = json!(now - 400);
    expired["nbf"] = json!(now - 400);
    let payload = good.split('.').nth(1).expect("payload");
    let cases = [
        ("control: correctly signed", forged(&secret, base.clone()), StatusCode::OK),
        ("expired", forged(&secret, expired), StatusCode::UNAUTHORIZED),
        ("wrong audience", forged(&secret, with("aud", json!("someone-else"))), StatusCode::UNAUTHORIZED),
        ("wrong issuer", forged(&secret, with("iss", json!("evil"))), StatusCode::UNAUTHORIZED),
        ("not yet valid", forged(&secret, with("nbf", json!(now + 3600))), StatusCode::UNAUTHORIZED),
        (
            "no jti",
            forged(&secret, {
                let mut c = base.clone();
                c.as_object_mut().expect("obj").remove("jti");
                c
            }),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "re-signed with another key",
            forged(b"another-secret-that-is-32-bytes-long!!", base.clone()),
            StatusCode::UNAUTHORIZED,
        ),
        ("alg none", format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}."), StatusCode::UNAUTHORIZED),
        ("exp as a string", forged(&secret, with("exp", json!((now + 300).to_string()))), StatusCode::UNAUTHORIZED),
        ("nbf as a string", forged(&secret, with("nbf", json!(now.to_string()))), StatusCode::UNAUTHORIZED),
        (
            "no exp",
            forged(&secret, {
                let mut c = base.clone();
                c.as_object_mut().expect("obj").remove("exp");
                c
            }),
            StatusCode::UNAUTHORIZED,
        ),
        ("garbage", "not.a.token".to_string(), StatusCode::UNAUTHORIZED),
    ];
    for (what, token, want) in cases {
        let resp = app.get("/v1/mailboxes?counts=false", &token).await;
        assert_eq!(resp.status(), want, "{what}");
        if want == StatusCode::UNAUTHORIZED {
            assert_eq!(resp.headers()["www-authenticate"], "Bearer", "{what}");
        }
    }
    let resp = app.http.get(app.url("/v1/mailboxes")).send().await.expect("send");
    expect_problem(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    // No grace: an immediate second use counts as reuse (the race case is in store.rs).
    let app = TestApp::spawn_with(|s| s.auth.refresh_reuse_grace_secs = 0).await;
    let first = app.login("bob").await;
    let resp = app.refresh(&first.refresh).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let second: Value = resp.json().await.expect("json");
    let second_refresh = second["refreshToken"].as_str().expect("refresh").to_string();
    assert_ne!(second_refresh, first.refresh, "rotated");
    let second_access = second["accessToken"].as_str().expect("access");
    assert_eq!(app.get("/v1/mailboxes?counts=false", second_access).await.status(), StatusCode::OK);

    // The spent token is presented again: the whole family dies, including the newest token.
    expect_problem(app.refresh(&first.refresh).await, StatusCode::UNAUTHORIZED, "refresh-token-reused").await;
    expect_problem(app.refresh(&second_refresh).await, StatusCode::UNAUTHORIZED, "refresh-token-reused").await;
    expect_problem(app.refresh("igr_unknown").await, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // Another login starts an unaffected family.
    let other = app.login("bob").await;
    assert_eq!(app.refresh(&other.refresh).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_revokes_the_access_token_the_family_and_the_pool() {
    let app = TestApp::spawn().await;
    let tokens = app.login("carol").await;
    assert_eq!(app.get("/v1/mailboxes?counts=false", &tokens.access).await.status(), StatusCode::OK);
    assert!(app.pool_of(&tokens.access).is_some(), "pool exists before logout");
    let account = app.account_of(&tokens.access);

    let resp = app.logout(&tokens.access).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    let resp = app.get("/v1/mailboxes", &tokens.access).await;
    let body = expect_problem(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert!(body["detail"].as_str().expect("detail").contains("revoked"));
    assert!(app.state.pools.existing(&account, 0).is_none(), "pool closed");
    assert_eq!(app.refresh(&tokens.refresh).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_sends_logout_on_the_pooled_connections() {
    let d = crate::helpers::dovecot();
    let app = TestApp::spawn().await;
    let tokens = app.login("mallory").await;
    assert_eq!(app.get("/v1/mailboxes?counts=false", &tokens.access).await.status(), StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await; // the login probe's LOGOUT lands
    let before = crate::helpers::log_count(d, "mallory", "Logged out");
    let resp = app.logout(&tokens.access).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let mut after = before;
    for _ in 0..30 {
        after = crate::helpers::log_count(d, "mallory", "Logged out");
        if after > before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(after, before + 1, "Dovecot logged one clean LOGOUT for the pooled connection");
}
