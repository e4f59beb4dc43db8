//! Sessions that die with the password: a login with a changed password revokes every earlier
//! session, a token family has an absolute lifetime, and pooled connections a maximum age.

use std::{path::PathBuf, sync::Arc, time::Duration};

use axum::{Router, extract::State, routing::post};
use reqwest::StatusCode;
use serde_json::json;
use tokio::sync::mpsc;

use crate::helpers::{TestApp, dovecot, expect_problem, message};

/// walter's password is changed by these tests; no other test uses him.
const USER: &str = "walter";

/// Sets `user`'s password in the test Dovecot's passwd-file, and waits until Dovecot can see
/// it (it checks the file's stamp at most once a second).
async fn change_password(user: &str, password: &str) {
    set_password(user, password);
    tokio::time::sleep(Duration::from_millis(1100)).await;
}

fn set_password(user: &str, password: &str) {
    let users: PathBuf = dovecot().log.parent().and_then(|p| p.parent()).expect("dovecot dir").join("users");
    let text = std::fs::read_to_string(&users).expect("users file");
    let prefix = format!("{user}:");
    let lines: Vec<String> = text
        .lines()
        .map(|l| match l.strip_prefix(&prefix).and_then(|rest| rest.split_once(':')) {
            Some((_, rest)) => format!("{user}:{{PLAIN}}{password}:{rest}"),
            None => l.to_string(),
        })
        .collect();
    assert!(lines.iter().any(|l| l.starts_with(&prefix)), "{user} is not a test user");
    let tmp = users.with_extension("tmp");
    std::fs::write(&tmp, lines.join("\n") + "\n").expect("write users");
    std::fs::rename(&tmp, &users).expect("replace users");
}

/// Restores a user's password however the test ends.
struct Restore(&'static str);
impl Drop for Restore {
    fn drop(&mut self) {
        set_password(self.0, &format!("{}-pass", self.0));
    }
}

async fn login(app: &TestApp, password: &str) -> (String, String) {
    let resp = app.login_raw(USER, password).await;
    assert_eq!(resp.status(), StatusCode::OK, "login with {password}");
    let body: serde_json::Value = resp.json().await.expect("json");
    (body["accessToken"].as_str().expect("access").into(), body["refreshToken"].as_str().expect("refresh").into())
}

async fn inbox(app: &TestApp, token: &str) -> StatusCode {
    app.get("/v1/mailboxes/INBOX/status", token).await.status()
}

/// An event stream of INBOX, open (200) for at most `secs` seconds.
async fn open_events(app: &TestApp, token: &str, secs: u64) -> reqwest::Response {
    let url = app.url("/v1/events?mailboxes=INBOX");
    let resp = app.http.get(url).bearer_auth(token).timeout(Duration::from_secs(secs)).send().await.expect("events");
    assert_eq!(resp.status(), StatusCode::OK);
    resp
}

/// True if the streaming response ends (or breaks) within `within`.
async fn ends_within(resp: &mut reqwest::Response, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, resp.chunk()).await {
            Err(_) => return false,
            Ok(Ok(Some(_))) => continue,
            Ok(Ok(None) | Err(_)) => return true,
        }
    }
}

async fn hook_receiver() -> (mpsc::UnboundedReceiver<String>, String) {
    let (tx, rx) = mpsc::unbounded_channel::<String>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().expect("addr").port());
    let app = Router::new()
        .route(
            "/hook",
            post(|State(tx): State<Arc<mpsc::UnboundedSender<String>>>, body: String| async move {
                let _ = tx.send(body);
                StatusCode::NO_CONTENT
            }),
        )
        .with_state(Arc::new(tx));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (rx, url)
}

#[tokio::test]
async fn a_login_with_a_changed_password_ends_every_earlier_session() {
    change_password(USER, &format!("{USER}-pass")).await;
    let _restore = Restore(USER);
    let app = TestApp::spawn_with(|s| {
        s.webhooks.allow_http = true;
        s.webhooks.allow_internal = true;
    })
    .await;
    let (old_access, old_refresh) = login(&app, "walter-pass").await;
    // an older session of the same password, refreshed once: still one of the account's families
    let (_, other_refresh) = login(&app, "walter-pass").await;
    let resp = app.refresh(&other_refresh).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let other_refresh =
        resp.json::<serde_json::Value>().await.expect("json")["refreshToken"].as_str().expect("r").to_string();
    assert_eq!(inbox(&app, &old_access).await, StatusCode::OK);
    let (mut deliveries, url) = hook_receiver().await;
    let resp = app.create_webhook(&old_access, json!({"url": url, "events": ["message.created"]})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let mut stream = open_events(&app, &old_access, 120).await;

    // The owner changes the password at the server.
    change_password(USER, "walter-new-pass").await;
    let resp = app.login_raw(USER, "walter-pass").await;
    expect_problem(resp, StatusCode::UNAUTHORIZED, "authentication-failed").await;
    let (new_access, new_refresh) = login(&app, "walter-new-pass").await;

    // Every earlier session is over: refresh tokens of both families, the old access token, the
    // SSE stream.
    for token in [&old_refresh, &other_refresh] {
        let resp = app.refresh(token).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "an old refresh token still works");
    }
    assert_eq!(inbox(&app, &old_access).await, StatusCode::UNAUTHORIZED, "the old access token still works");
    assert!(ends_within(&mut stream, Duration::from_secs(10)).await, "the old SSE stream goes on");

    // The new session works, refreshes, and the webhook follows the new credential.
    assert_eq!(inbox(&app, &new_access).await, StatusCode::OK);
    let resp = app.refresh(&new_refresh).await;
    assert_eq!(resp.status(), StatusCode::OK, "the new session's refresh");
    let hooks = app.get_json("/v1/webhooks", &new_access).await;
    assert_eq!(hooks["items"].as_array().map(Vec::len), Some(1), "{hooks}");
    while deliveries.try_recv().is_ok() {}
    let resp = app.append(&new_access, "INBOX", "", message("after the password change")).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body = tokio::time::timeout(Duration::from_secs(20), deliveries.recv())
        .await
        .expect("no webhook delivery after the password change")
        .expect("receiver");
    assert!(body.contains("message.created"), "{body}");
}

#[tokio::test]
async fn a_token_family_ends_at_its_absolute_lifetime_however_often_it_is_refreshed() {
    let app = TestApp::spawn_with(|s| s.auth.refresh_family_lifetime_secs = 3).await;
    let tokens = app.login("xavier").await;
    let mut token = tokens.refresh;
    for _ in 0..2 {
        let resp = app.refresh(&token).await;
        assert_eq!(resp.status(), StatusCode::OK);
        token = resp.json::<serde_json::Value>().await.expect("json")["refreshToken"].as_str().expect("r").into();
        tokio::time::sleep(Duration::from_millis(1200)).await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let resp = app.refresh(&token).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "refreshing extended the family past its lifetime");
}

#[tokio::test]
async fn pooled_connections_are_not_reused_past_their_lifetime() {
    let app = TestApp::spawn_with(|s| s.pool.max_connection_lifetime_secs = 1).await;
    let token = app.login("xavier").await.access;
    assert_eq!(inbox(&app, &token).await, StatusCode::OK);
    let pool = app.pool_of(&token).expect("pool");
    let logins = pool.stats.logins.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(inbox(&app, &token).await, StatusCode::OK);
    assert_eq!(pool.stats.logins.load(std::sync::atomic::Ordering::Relaxed), logins, "reused while young");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(inbox(&app, &token).await, StatusCode::OK);
    assert_eq!(
        pool.stats.logins.load(std::sync::atomic::Ordering::Relaxed),
        logins + 1,
        "a connection past its lifetime was reused"
    );
    let metrics = app.metrics().await;
    assert!(metrics.contains("reason=\"lifetime\""), "no lifetime discard counted");
}

/// Lines of the Dovecot log about `user`'s logins (`user=<name>`) that contain `what`:
/// `"auth failed"` for refused logins, `"Login: "` for successful ones.
fn login_lines(user: &str, what: &str) -> usize {
    let log = std::fs::read_to_string(&dovecot().log).unwrap_or_default();
    let who = format!("user=<{user}>");
    log.lines().filter(|l| l.contains(&who) && l.contains(what)).count()
}

fn refused_logins(user: &str) -> usize {
    login_lines(user, "auth failed")
}

#[tokio::test]
async fn the_event_watcher_parks_after_a_refused_password_until_the_next_login() {
    const WHO: &str = "yvonne";
    change_password(WHO, "yvonne-pass").await;
    let _restore = Restore(WHO);
    // a quick reconnect, so that a watcher that retried would do so many times
    let app = TestApp::spawn_with(|s| s.events.reconnect_base_ms = 50).await;
    let access = app.login(WHO).await.access;
    assert_eq!(inbox(&app, &access).await, StatusCode::OK, "a pooled connection with the old password");

    // The password changes at the server; the watcher starts only now and is refused.
    change_password(WHO, "yvonne-changed").await;
    let before = refused_logins(WHO);
    let stream = open_events(&app, &access, 300).await;
    tokio::time::sleep(Duration::from_secs(120)).await;
    let refused = refused_logins(WHO) - before;
    assert_eq!(refused, 1, "the watcher's refused logins in 2 minutes");

    // The owner's password is back; a login with it (the stored one: no session is evicted)
    // ends the park at once, and the same feed's watcher follows INBOX again.
    change_password(WHO, "yvonne-pass").await;
    let access = app.login(WHO).await.access;
    let mut next = open_events(&app, &access, 30).await;
    let mut seen = String::new();
    while !seen.contains("event: ready") || !seen.contains("data: {") {
        let chunk = tokio::time::timeout(Duration::from_secs(15), next.chunk()).await;
        let chunk = chunk.expect("no ready event after the new login").expect("read").expect("stream ended");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains(r#"{"watching":true}"#), "the watcher is still parked: {seen}");
    assert_eq!(refused_logins(WHO) - before, 1, "no refused login after the new one");
    drop(stream);
}

#[tokio::test]
async fn an_event_stream_ends_when_its_session_is_revoked_by_another_instance() {
    let app = TestApp::spawn_with(|s| s.events.heartbeat_secs = 1).await;
    let access = app.login("xavier").await.access;
    let mut stream = open_events(&app, &access, 60).await;
    assert!(!ends_within(&mut stream, Duration::from_secs(3)).await, "the stream ended by itself");
    // what another instance's logout writes: the family revoked in the database, no local stop
    let family = app.state.auth.jwt.verify(&access).expect("valid").fid;
    app.state.store.revoke_family(&family).await.expect("revoke");
    assert!(ends_within(&mut stream, Duration::from_secs(5)).await, "the revoked session's stream goes on");
}

#[tokio::test]
async fn the_watchers_connection_is_replaced_past_its_lifetime_and_events_go_on() {
    const WHO: &str = "zach"; // no other test logs in as zach: every login counted is the watcher's
    let app = TestApp::spawn_with(|s| s.pool.max_connection_lifetime_secs = 2).await;
    let access = app.login(WHO).await.access;
    let mut stream = open_events(&app, &access, 60).await;
    let before = login_lines(WHO, "Login: ");
    tokio::time::sleep(Duration::from_secs(7)).await;
    let after = login_lines(WHO, "Login: ");
    assert!(after >= before + 2, "the watcher kept one connection: {before} -> {after} logins in 7 s");
    let mut admin = crate::helpers::Admin::connect(dovecot(), WHO).await;
    admin.append("INBOX", None, &message("after the watcher's reconnects")).await;
    admin.logout().await;
    let mut seen = String::new();
    while !seen.contains("message.created") {
        let chunk = tokio::time::timeout(Duration::from_secs(15), stream.chunk()).await;
        let chunk = chunk.expect("no event after the reconnects").expect("read").expect("stream ended");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}
