//! OAuth2 accounts against Dovecot's oauth2 passdb, which validates JWT access tokens locally
//! (HS256 key, issuer, `sub` = user, `exp`): XOAUTH2 and OAUTHBEARER logins, refused tokens with
//! the server's challenge, renewal through a token endpoint served here on loopback (with the
//! gateway's clock moved instead of sleeping), and `reauth-required` without further logins.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, dovecot, expect_problem, settings_for};

fn secret() -> String {
    std::env::var("IMAP_OAUTH_HS256_SECRET").unwrap_or_else(|_| "igw-test-oauth-hs256-secret".into())
}

/// A JWT access token as the test Dovecot accepts it, valid for `ttl` seconds (negative: expired).
pub fn token(sub: &str, ttl: i64, key: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let issuer = std::env::var("IMAP_OAUTH_ISSUER").unwrap_or_else(|_| "https://issuer.test".into());
    let claims = json!({"iss": issuer, "sub": sub, "iat": now - 5, "nbf": now - 5, "exp": now + ttl});
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_secret(key.as_bytes())).expect("JWT")
}

fn oauth_logins(user: &str, method: &str) -> usize {
    let needle = format!("Login: user=<{user}>, method={method}");
    std::fs::read_to_string(&dovecot().log).unwrap_or_default().lines().filter(|l| l.contains(&needle)).count()
}

#[tokio::test]
async fn valid_access_tokens_log_in_with_xoauth2_and_oauthbearer_and_read_inbox() {
    let app = TestApp::spawn().await;
    for (mechanism, method) in [(None, "XOAUTH2"), (Some("OAUTHBEARER"), "OAUTHBEARER")] {
        let before = oauth_logins("judy", method);
        let jwt = token("judy", 600, &secret());
        let mut body = json!({"username": "judy", "accessToken": jwt});
        if let Some(m) = mechanism {
            body["mechanism"] = json!(m);
        }
        let resp = app.login_with(&body).await;
        assert_eq!(resp.status(), StatusCode::OK, "{method}: {}", resp.text().await.unwrap_or_default());
        let tokens: Value = resp.json().await.expect("tokens");
        let access = tokens["accessToken"].as_str().expect("accessToken");
        let inbox = app.get_json("/v1/mailboxes/INBOX", access).await;
        assert_eq!(inbox["name"], "INBOX");
        assert!(oauth_logins("judy", method) >= before + 2, "{method}: the probe and the pooled connection");
        let account = app.state.store.account(&app.account_of(access)).await.expect("store").expect("account");
        assert_eq!(account.auth_kind, method);
        assert!(account.refresh_secret.is_empty() && account.secret_expires_at.is_some());
        assert!(account.secret.starts_with("v1:") && !account.secret.contains(&jwt), "the token is stored sealed");
    }
}

#[tokio::test]
async fn expired_wrongly_signed_and_foreign_tokens_are_401() {
    let app = TestApp::spawn().await;
    let expired = app.login_with(&json!({"username": "judy", "accessToken": token("judy", -60, &secret())})).await;
    expect_problem(expired, StatusCode::UNAUTHORIZED, "authentication-failed").await;
    // Claiming a lifetime does not help: Dovecot checks `exp` itself.
    let lying = json!({"username": "judy", "accessToken": token("judy", -60, &secret()), "expiresIn": 600});
    let body = expect_problem(app.login_with(&lying).await, StatusCode::UNAUTHORIZED, "authentication-failed").await;
    assert_eq!(body["imap"]["oauth"]["status"], "401", "{body}");
    let wrong_key = json!({"username": "judy", "accessToken": token("judy", 600, "not-the-dovecot-key")});
    let body =
        expect_problem(app.login_with(&wrong_key).await, StatusCode::UNAUTHORIZED, "authentication-failed").await;
    assert_eq!(body["imap"]["command"], "AUTHENTICATE");
    assert_eq!(body["imap"]["oauth"]["status"], "401");
    assert_eq!(body["imap"]["oauth"]["schemes"], "bearer");
    assert!(body["imap"]["oauth"]["scope"].is_string(), "{body}");
    let foreign =
        json!({"username": "judy", "accessToken": token("mallory", 600, &secret()), "mechanism": "OAUTHBEARER"});
    let body = expect_problem(app.login_with(&foreign).await, StatusCode::UNAUTHORIZED, "authentication-failed").await;
    assert_eq!(body["imap"]["oauth"]["status"], "invalid_token", "{body}");
}

#[tokio::test]
async fn login_bodies_that_do_not_fit_together_are_refused_before_any_imap() {
    let app = TestApp::spawn().await;
    let t = token("judy", 600, &secret());
    for (body, status) in [
        (json!({"username": "judy"}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"username": "judy", "password": "judy-pass", "accessToken": t}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"username": "judy", "refreshToken": "igwrt_abcdefgh"}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"username": "judy", "refreshToken": "igwrt_abcdefgh", "provider": "nope"}), StatusCode::UNAUTHORIZED),
        (json!({"username": "judy", "accessToken": "has space"}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"username": "judy", "accessToken": "a\u{1}auth=x"}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"username": "judy", "accessToken": t, "mechanism": "PLAIN"}), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let resp = app.login_with(&body.clone()).await;
        assert_eq!(resp.status(), status, "{body}");
    }
}

#[tokio::test]
async fn an_expired_token_without_a_refresh_path_needs_reauth_and_drains_the_pool() {
    let app = TestApp::spawn().await;
    let resp = app
        .login_with(&json!({"username": "mallory", "accessToken": token("mallory", 600, &secret()), "expiresIn": 600}))
        .await;
    let access = access_of(resp).await;
    app.get_json("/v1/mailboxes/INBOX", &access).await;
    assert!(app.pool_of(&access).is_some());
    let logins = oauth_logins("mallory", "XOAUTH2");
    app.state.oauth.clock.advance(601);
    for _ in 0..3 {
        expect_problem(app.get("/v1/mailboxes/INBOX", &access).await, StatusCode::UNAUTHORIZED, "reauth-required")
            .await;
    }
    assert!(app.pool_of(&access).is_none(), "the pool was drained");
    assert_eq!(oauth_logins("mallory", "XOAUTH2"), logins, "no login was tried after expiry");
    let account = app.state.store.account(&app.account_of(&access)).await.expect("store").expect("account");
    assert!(account.secret.is_empty(), "the expired token is no longer stored");
}

/// A token endpoint on loopback: issues Dovecot-valid JWTs for `user` (400 s) while the refresh
/// token is good, `invalid_grant` once revoked; counts its calls.
struct TokenEndpoint {
    url: String,
    calls: Arc<AtomicUsize>,
    revoked: Arc<AtomicBool>,
}

async fn token_endpoint(user: &'static str, refresh: &'static str) -> TokenEndpoint {
    use axum::{Form, Json, Router, extract::State, routing::post};
    type St = (Arc<AtomicUsize>, Arc<AtomicBool>);
    async fn issue(
        State(((calls, revoked), user, refresh)): State<(St, &'static str, &'static str)>,
        Form(f): Form<std::collections::HashMap<String, String>>,
    ) -> (StatusCode, Json<Value>) {
        calls.fetch_add(1, Ordering::SeqCst);
        let good = f.get("grant_type").map(String::as_str) == Some("refresh_token")
            && f.get("refresh_token").map(String::as_str) == Some(refresh)
            && f.get("client_id").map(String::as_str) == Some("igw-test-client")
            && f.get("client_secret").map(String::as_str) == Some("igw-test-client-secret")
            && f.get("scope").map(String::as_str) == Some("mail");
        if !good || revoked.load(Ordering::SeqCst) {
            return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"})));
        }
        let t = token(user, 400, &secret());
        (StatusCode::OK, Json(json!({"access_token": t, "token_type": "Bearer", "expires_in": 400})))
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let revoked = Arc::new(AtomicBool::new(false));
    let app = Router::new().route("/token", post(issue)).with_state(((calls.clone(), revoked.clone()), user, refresh));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/token", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    TokenEndpoint { url, calls, revoked }
}

/// A gateway whose provider `test` is `endpoint`.
async fn app_with_provider(endpoint: &TokenEndpoint) -> TestApp {
    let mut s = settings_for(dovecot());
    s.oauth.providers.insert(
        "test".into(),
        imap_gateway::OAuthProvider {
            token_url: endpoint.url.clone(),
            client_id: "igw-test-client".into(),
            client_secret: Some(imap_gateway::Secret::new("igw-test-client-secret")),
            scopes: vec!["mail".into()],
        },
    );
    TestApp::start(s).await
}

/// The gateway access token of a login answer.
async fn access_of(resp: reqwest::Response) -> String {
    resp.json::<Value>().await.expect("tokens")["accessToken"].as_str().expect("token").to_string()
}

#[tokio::test]
async fn the_gateway_refreshes_ahead_of_expiry_and_a_revoked_refresh_token_needs_reauth() {
    let refresh = "igwrt_oscar0123456789";
    let endpoint = token_endpoint("oscar", refresh).await;
    let app = app_with_provider(&endpoint).await;
    let resp = app.login_with(&json!({"username": "oscar", "refreshToken": refresh, "provider": "test"})).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap_or_default());
    let access = access_of(resp).await;
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 1, "the first access token came from the refresh token");
    app.get_json("/v1/mailboxes/INBOX", &access).await;
    let version = |app: &TestApp| app.pool_of(&access).map(|p| p.credential_version).unwrap_or(0);
    let v1 = version(&app);

    // 150 s later the token has 250 s left: inside the 5-minute window, so it is renewed first.
    app.state.oauth.clock.advance(150);
    app.get_json("/v1/mailboxes/INBOX", &access).await;
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 2);
    assert!(version(&app) > v1, "a new pool logs in with the new token");
    // Past the first token's expiry, and past the second's: requests keep working.
    for step in [300, 400] {
        app.state.oauth.clock.advance(step);
        app.get_json("/v1/mailboxes/INBOX", &access).await;
    }
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 4);
    // Parallel requests after the next expiry renew once.
    app.state.oauth.clock.advance(400);
    let (a, b) = tokio::join!(app.get("/v1/mailboxes/INBOX", &access), app.get("/v1/mailboxes/INBOX", &access));
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 5);

    endpoint.revoked.store(true, Ordering::SeqCst);
    app.state.oauth.clock.advance(400);
    let logins = oauth_logins("oscar", "XOAUTH2");
    expect_problem(app.get("/v1/mailboxes/INBOX", &access).await, StatusCode::UNAUTHORIZED, "reauth-required").await;
    let calls = endpoint.calls.load(Ordering::SeqCst);
    for _ in 0..3 {
        expect_problem(app.get("/v1/mailboxes/INBOX", &access).await, StatusCode::UNAUTHORIZED, "reauth-required")
            .await;
    }
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), calls, "a refused refresh token is not tried again");
    assert_eq!(oauth_logins("oscar", "XOAUTH2"), logins, "the IMAP server sees no further login");
    assert!(app.pool_of(&access).is_none(), "the pool was drained");
}

fn refused_tokens(user: &str) -> usize {
    let needle = format!("oauth2({user},");
    let log = std::fs::read_to_string(&dovecot().log).unwrap_or_default();
    log.lines().filter(|l| l.contains(&needle) && l.contains("oauth2 failed")).count()
}

/// Replaces the stored access token by one the server refuses (revoked early), keeping the
/// refresh token, and drops the pool.
async fn revoke_early(app: &TestApp, access: &str, user: &str) {
    let account = app.account_of(access);
    let bad = token(user, 400, "not-the-dovecot-key");
    let sealed = app.state.auth.keyring.seal(&account, imap_gateway::internals::ACCESS_FIELD, &bad);
    let expires_at = app.state.oauth.clock.now() + 400;
    let secret = imap_gateway::internals::OAuthSecret {
        kind: "XOAUTH2",
        access: &sealed,
        expires_at,
        refresh: None,
        provider: None,
    };
    app.state.store.set_account_oauth(&account, &secret).await.expect("store");
    app.state.pools.close_account(&account).await;
}

#[tokio::test]
async fn a_token_the_server_refuses_before_its_expiry_is_renewed_once_or_forgotten() {
    let refresh = "igwrt_ivan0123456789";
    let endpoint = token_endpoint("ivan", refresh).await;
    let app = app_with_provider(&endpoint).await;
    let resp = app.login_with(&json!({"username": "ivan", "refreshToken": refresh, "provider": "test"})).await;
    let access = access_of(resp).await;
    app.get_json("/v1/mailboxes/INBOX", &access).await;
    revoke_early(&app, &access, "ivan").await;
    // The refused login parks the pool (this request is 401) ...
    expect_problem(app.get("/v1/mailboxes/INBOX", &access).await, StatusCode::UNAUTHORIZED, "authentication-failed")
        .await;
    // ... and the next request renews the token once through the refresh token.
    app.get_json("/v1/mailboxes/INBOX", &access).await;
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 2, "one renewal after the refusal");

    // Without a refresh token, the refused token is forgotten: reauth-required, no more logins.
    let resp = app
        .login_with(&json!({"username": "heidi", "accessToken": token("heidi", 600, &secret()), "expiresIn": 600}))
        .await;
    let access = access_of(resp).await;
    app.get_json("/v1/mailboxes/INBOX", &access).await;
    revoke_early(&app, &access, "heidi").await;
    let before = refused_tokens("heidi");
    expect_problem(app.get("/v1/mailboxes/INBOX", &access).await, StatusCode::UNAUTHORIZED, "authentication-failed")
        .await;
    for _ in 0..3 {
        expect_problem(app.get("/v1/mailboxes/INBOX", &access).await, StatusCode::UNAUTHORIZED, "reauth-required")
            .await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(refused_tokens("heidi") - before, 1, "one refused login, then no more");
}
