//! Failed logins counted in the database: the store functions on SQLite and PostgreSQL
//! (sliding window, release, success, atomic under parallel checks from two pools), and two
//! gateways on one PostgreSQL database sharing one limit.

use std::{sync::Arc, time::Duration};

use imap_gateway::internals::{LoginLimiter, Store};
use reqwest::StatusCode;

use crate::helpers::{TestApp, dovecot, expect_problem, settings_for, unique};

async fn exercise(url: &str) {
    let store = Store::connect(url, 5).await.expect("connect");
    store.migrate().await.expect("migrate");
    let l = LoginLimiter::in_store(&store, 3, Duration::from_millis(1500));
    let (ip, user) = (unique("ip:"), unique("user:"));
    for i in 0..3 {
        assert!(l.check(&[ip.clone(), user.clone()]).await.is_ok(), "attempt {i} counts when it is checked");
    }
    assert_eq!(l.check(std::slice::from_ref(&user)).await, Err(1));
    let bob = unique("user:");
    assert_eq!(l.check(&[bob.clone(), ip.clone()]).await, Err(1), "the IP is limited for any name");
    // An attempt given back (the server was down) does not count.
    let mark = l.check(std::slice::from_ref(&bob)).await.expect("bob is fine");
    l.release(mark, std::slice::from_ref(&bob)).await;
    for _ in 0..2 {
        l.check(std::slice::from_ref(&bob)).await.expect("bob below the limit");
    }
    // A success forgets the username's failures.
    let other_ip = unique("ip:");
    let mark = l.check(&[other_ip.clone(), bob.clone()]).await.expect("third");
    l.succeed(mark, &other_ip, &bob).await;
    for _ in 0..3 {
        l.check(std::slice::from_ref(&bob)).await.expect("forgotten");
    }
    assert!(l.check(std::slice::from_ref(&bob)).await.is_err());
    // The window slides.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert!(l.check(&[ip.clone(), user.clone()]).await.is_ok(), "the window slid past");
    assert!(store.sweep_login_failures(imap_gateway::internals::now_ms() + 1).await.expect("sweep") > 0);

    // Parallel checks from two pools (two instances): exactly the limit passes.
    let second = Store::connect(url, 5).await.expect("connect");
    let limiters = [
        Arc::new(LoginLimiter::in_store(&store, 3, Duration::from_secs(60))),
        Arc::new(LoginLimiter::in_store(&second, 3, Duration::from_secs(60))),
    ];
    let key = unique("user:");
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (l, key) = (limiters[i % 2].clone(), key.clone());
        tasks.push(tokio::spawn(async move { l.check(&[key]).await.is_ok() }));
    }
    let mut passed = 0;
    for t in tasks {
        passed += usize::from(t.await.expect("task"));
    }
    assert_eq!(passed, 3, "parallel checks cannot all pass");
}

#[tokio::test]
async fn login_failures_in_the_store_on_sqlite() {
    exercise(&crate::store::sqlite_url()).await;
}

#[tokio::test]
async fn login_failures_in_the_store_on_postgresql() {
    let (name, url) = crate::store::fresh_pg().await;
    exercise(&url).await;
    crate::store::drop_pg(&name).await;
}

#[tokio::test]
async fn two_gateways_on_postgresql_share_the_login_limit() {
    let (name, url) = crate::store::fresh_pg().await;
    let mut s = settings_for(dovecot());
    s.database.url = url;
    let (a, b) = tokio::join!(TestApp::start(s.clone()), TestApp::start(s));
    for i in 0..10 {
        let app = if i % 2 == 0 { &a } else { &b };
        let resp = app.login_raw("olivia", &format!("wrong-{i}")).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    for app in [&a, &b] {
        let resp = app.login_raw("olivia", "wrong-10").await;
        expect_problem(resp, StatusCode::TOO_MANY_REQUESTS, "too-many-login-attempts").await;
    }
    // The right password too, on either instance, until the window slides.
    expect_problem(
        a.login_raw("olivia", "olivia-pass").await,
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-login-attempts",
    )
    .await;
    crate::store::drop_pg(&name).await;
}
