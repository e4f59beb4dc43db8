//! Per-account concurrency in the database: the lease functions of the store (limit, release,
//! expiry, sweep, atomic under racing acquires from two pools), two gateways on one PostgreSQL
//! database sharing one limit, the fallback to the in-process limit when the database fails,
//! and the latency a lease adds to a request (printed, not asserted).

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use imap_gateway::internals::{AccountSlots, Store, now_ms};
use reqwest::StatusCode;
use tokio::{io::AsyncWriteExt, net::TcpStream};

use crate::helpers::{TestApp, dovecot, expect_problem, settings_for, unique};

async fn exercise(url: &str) {
    let store = Store::connect(url, 5).await.expect("connect");
    store.migrate().await.expect("migrate");
    let account = unique("acct-");
    let (now, later) = (now_ms(), now_ms() + 60_000);
    for i in 0..3 {
        assert!(store.acquire_account_lease(&account, &format!("l{i}"), now, later, 3).await.expect("acquire"));
    }
    assert!(!store.acquire_account_lease(&account, "l3", now, later, 3).await.expect("acquire"), "over the limit");
    assert_eq!(store.account_leases(&account, now).await.expect("count"), 3, "the refused lease is not stored");
    let other = unique("acct-");
    assert!(store.acquire_account_lease(&other, "o0", now, later, 3).await.expect("acquire"), "per account");
    // Released: a slot is free again.
    store.release_account_lease(&account, "l1").await.expect("release");
    assert!(store.acquire_account_lease(&account, "l4", now, later, 3).await.expect("acquire"));
    assert!(!store.acquire_account_lease(&account, "l5", now, later, 3).await.expect("acquire"));
    // Expired leases (a dead instance's) no longer count, and are swept.
    let soon = unique("acct-");
    for i in 0..2 {
        assert!(store.acquire_account_lease(&soon, &format!("s{i}"), now, now + 500, 2).await.expect("acquire"));
    }
    assert!(!store.acquire_account_lease(&soon, "s2", now + 499, now + 60_000, 2).await.expect("acquire"));
    assert!(store.acquire_account_lease(&soon, "s3", now + 500, now + 60_000, 2).await.expect("acquire"));
    assert_eq!(store.sweep_account_leases(now + 500).await.expect("sweep"), 2, "the two expired leases");
    assert_eq!(store.account_leases(&soon, now + 500).await.expect("count"), 1);
    assert_eq!(store.account_leases(&account, now).await.expect("count"), 3, "live leases stay");

    // Racing acquires from two pools (two instances): exactly the limit passes.
    let second = Store::connect(url, 5).await.expect("connect");
    let stores = [store.clone(), second];
    let raced = unique("acct-");
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (s, raced) = (stores[i % 2].clone(), raced.clone());
        tasks.push(tokio::spawn(async move {
            let now = now_ms();
            s.acquire_account_lease(&raced, &format!("r{i}"), now, now + 60_000, 3).await.expect("acquire")
        }));
    }
    let mut passed = 0;
    for t in tasks {
        passed += usize::from(t.await.expect("task"));
    }
    assert_eq!(passed, 3, "racing acquires cannot all pass");
    assert_eq!(store.account_leases(&raced, now_ms()).await.expect("count"), 3);
}

#[tokio::test]
async fn request_leases_in_the_store_on_sqlite() {
    exercise(&crate::store::sqlite_url()).await;
}

#[tokio::test]
async fn request_leases_in_the_store_on_postgresql() {
    let (name, url) = crate::store::fresh_pg().await;
    exercise(&url).await;
    crate::store::drop_pg(&name).await;
}

/// A request whose JSON body never finishes: it holds a slot of the token's account.
async fn hold_slot(app: &TestApp, token: &str) -> TcpStream {
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut slow = TcpStream::connect(&addr).await.expect("connect");
    let head = format!(
        "POST /v1/mailboxes HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{{\"name\":"
    );
    slow.write_all(head.as_bytes()).await.expect("write");
    slow
}

/// Waits until `account` has `n` leases in the database.
async fn leases_become(store: &Store, account: &str, n: i64) {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let now = store.account_leases(account, now_ms()).await.expect("count");
        if now == n {
            return;
        }
        assert!(Instant::now() < until, "{now} leases, not {n}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn two_gateways_on_postgresql_share_the_concurrency_limit() {
    let (name, url) = crate::store::fresh_pg().await;
    let mut s = settings_for(dovecot());
    s.database.url = url;
    s.protection.per_account_concurrency = 2;
    let (a, b) = tokio::join!(TestApp::start(s.clone()), TestApp::start(s));
    let token = a.login("heidi").await.access;
    let account = a.account_of(&token);
    assert_eq!(a.get("/v1/mailboxes?counts=false", &token).await.status(), StatusCode::OK);
    assert_eq!(b.get("/v1/mailboxes?counts=false", &token).await.status(), StatusCode::OK);

    // (A finished request's lease is deleted just after its answer.)
    leases_become(&a.state.store, &account, 0).await;
    // One request in flight on each instance: each has a free slot of its own, but the account
    // has none left.
    let held = [hold_slot(&a, &token).await, hold_slot(&b, &token).await];
    leases_become(&a.state.store, &account, 2).await;
    for app in [&a, &b] {
        let resp = app.get("/v1/mailboxes?counts=false", &token).await;
        assert_eq!(resp.headers()["retry-after"], "1");
        expect_problem(resp, StatusCode::TOO_MANY_REQUESTS, "too-many-concurrent-requests").await;
    }
    // Another account is not affected.
    let other = b.login("oscar").await.access;
    assert_eq!(a.get("/v1/mailboxes?counts=false", &other).await.status(), StatusCode::OK);
    drop(held);
    leases_become(&a.state.store, &account, 0).await;
    for app in [&a, &b] {
        assert_eq!(app.get("/v1/mailboxes?counts=false", &token).await.status(), StatusCode::OK);
    }

    // A dead instance's leases hold the slots until they lapse, then requests pass again.
    leases_become(&a.state.store, &account, 0).await;
    let now = now_ms();
    for i in 0..2 {
        let lease = format!("dead-{i}");
        assert!(a.state.store.acquire_account_lease(&account, &lease, now, now + 1_500, 2).await.expect("lease"));
    }
    let resp = b.get("/v1/mailboxes?counts=false", &token).await;
    expect_problem(resp, StatusCode::TOO_MANY_REQUESTS, "too-many-concurrent-requests").await;
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    assert_eq!(b.get("/v1/mailboxes?counts=false", &token).await.status(), StatusCode::OK);
    crate::store::drop_pg(&name).await;
}

#[tokio::test]
async fn a_request_dropped_by_the_deadline_frees_its_lease() {
    let (name, url) = crate::store::fresh_pg().await;
    let mut s = settings_for(dovecot());
    s.database.url = url;
    s.protection.per_account_concurrency = 1;
    s.http.request_timeout_ms = 1_500;
    let app = TestApp::start(s).await;
    let token = app.login("heidi").await.access;
    let account = app.account_of(&token);
    let mut held = hold_slot(&app, &token).await;
    leases_become(&app.state.store, &account, 1).await;
    // The deadline answers 504 and drops the handler; its lease goes with it (long before it
    // would lapse, 16.5 s after it was taken).
    let mut answer = vec![0u8; 12];
    tokio::time::timeout(Duration::from_secs(10), tokio::io::AsyncReadExt::read_exact(&mut held, &mut answer))
        .await
        .expect("answered by the deadline")
        .expect("read");
    assert_eq!(&answer, b"HTTP/1.1 504");
    leases_become(&app.state.store, &account, 0).await;
    assert_eq!(app.get("/v1/mailboxes?counts=false", &token).await.status(), StatusCode::OK);

    // An acquire abandoned while the database answers leaves no lease either.
    for _ in 0..20 {
        let _ = tokio::time::timeout(Duration::ZERO, app.state.slots.acquire(&account)).await;
    }
    leases_become(&app.state.store, &account, 0).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.state.store.account_leases(&account, now_ms()).await.expect("count"), 0);
    crate::store::drop_pg(&name).await;
}

#[tokio::test]
async fn a_failing_database_leaves_the_in_process_limit() {
    let (name, url) = crate::store::fresh_pg().await;
    let store = Store::connect(&url, 2).await.expect("connect");
    store.migrate().await.expect("migrate");
    let slots = AccountSlots::new(&store, 2, Duration::from_secs(45));
    let first = slots.acquire("acct").await.expect("a slot");
    assert_eq!(store.account_leases("acct", now_ms()).await.expect("count"), 1, "leased in the database");
    crate::store::drop_pg(&name).await;
    // The database is gone: the instance still serves, within its own limit.
    let second = slots.acquire("acct").await.expect("the in-process slot");
    assert!(slots.acquire("acct").await.is_none(), "the in-process limit still holds");
    drop((first, second));
    let again = Arc::new(slots);
    assert!(again.acquire("acct").await.is_some(), "freed slots are free again");
}

/// On a multi-threaded runtime, as the gateway runs, so that the release after one request can
/// run beside the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_lease_latency_on_postgresql() {
    let (name, url) = crate::store::fresh_pg().await;
    let mut s = settings_for(dovecot());
    s.database.url = url;
    let app = TestApp::start(s).await;
    let token = app.login("peggy").await.access;
    let path = "/v1/mailboxes/INBOX/status";
    let run = |shared: bool| {
        app.state.slots.set_shared(shared);
        let (app, token) = (&app, &token);
        async move {
            let started = Instant::now();
            for _ in 0..200 {
                assert_eq!(app.get(path, token).await.status(), StatusCode::OK);
            }
            started.elapsed() / 200
        }
    };
    run(true).await;
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for _ in 0..2 {
        with.push(run(true).await);
        without.push(run(false).await);
    }
    println!(
        "GET {path}, mean of 200 sequential requests on PostgreSQL: with the lease {:?}, without {:?}",
        with, without
    );
    // The store calls alone: acquire (in the request's path) and release (spawned after it).
    let store = &app.state.store;
    let (mut acquire, mut release) = (Duration::ZERO, Duration::ZERO);
    for i in 0..200 {
        let (lease, t) = (format!("m{i}"), Instant::now());
        let now = now_ms();
        assert!(store.acquire_account_lease("measure", &lease, now, now + 60_000, 32).await.expect("acquire"));
        acquire += t.elapsed();
        let t = Instant::now();
        store.release_account_lease("measure", &lease).await.expect("release");
        release += t.elapsed();
    }
    println!("store calls, mean of 200: acquire {:?}, release {:?}", acquire / 200, release / 200);
    app.state.slots.set_shared(true);
    let t = Instant::now();
    for _ in 0..200 {
        drop(app.state.slots.acquire("measure2").await.expect("slot"));
    }
    println!("slots.acquire then drop, mean of 200: {:?}", t.elapsed() / 200);
    crate::store::drop_pg(&name).await;
}
