//! The store on both backends: SQLite (a temp file) and PostgreSQL (a fresh database per run).

use imap_gateway::internals::{Consumed, Store};

use crate::helpers::{TestApp, dovecot, settings_for};

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh PostgreSQL database, dropped by [`drop_pg`].
pub(crate) async fn fresh_pg() -> (String, String) {
    let name = format!("igw_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Store::connect(PG_ADMIN, 1).await.unwrap_or_else(|e| {
        panic!("PostgreSQL must run on 127.0.0.1:5432 (user postgres, trust auth) for the store tests: {e}")
    });
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(admin_pool(&admin))
        .await
        .expect("create db");
    (name.clone(), format!("postgres://postgres@127.0.0.1:5432/{name}"))
}

fn admin_pool(store: &Store) -> &sqlx::AnyPool {
    store.any_pool()
}

pub(crate) async fn drop_pg(name: &str) {
    if let Ok(admin) = Store::connect(PG_ADMIN, 1).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
            .execute(admin_pool(&admin))
            .await;
    }
}

pub(crate) fn sqlite_url() -> String {
    format!("sqlite://{}", std::env::temp_dir().join(format!("igw-store-{}.db", uuid::Uuid::new_v4())).display())
}

async fn exercise(url: &str) {
    let store = Store::connect(url, 5).await.expect("connect");
    store.migrate().await.expect("migrate");
    store.migrate().await.expect("migrating twice is a no-op");

    // Racing first logins of one user get one row.
    let (a, b) = tokio::join!(store.ensure_account("default", "alice"), store.ensure_account("default", "alice"));
    let (a, b) = (a.expect("a"), b.expect("b"));
    assert_eq!(a.id, b.id);
    assert_eq!(a.credential_version, 0);
    let other = store.ensure_account("default", "bob").await.expect("bob");
    assert_ne!(other.id, a.id);
    assert_eq!(store.set_account_secret(&a.id, "v1:k1:n:c").await.expect("secret"), 1);
    assert_eq!(store.set_account_secret(&a.id, "v1:k1:n:d").await.expect("secret"), 2);
    let loaded = store.account(&a.id).await.expect("load").expect("exists");
    assert_eq!(
        (loaded.secret.as_str(), loaded.credential_version, loaded.username.as_str()),
        ("v1:k1:n:d", 2, "alice")
    );
    assert!(store.account("no-such-id").await.expect("load").is_none());

    // Refresh tokens: exactly one of two racing uses wins; reuse revokes the family.
    let far = imap_gateway::internals::now() + 3600;
    store.insert_family("fam1", &a.id).await.expect("family");
    assert!(store.insert_refresh("h1", "fam1", &a.id, far).await.expect("insert"));
    assert!(store.insert_refresh("h2", "fam1", &a.id, far).await.expect("insert"));
    let (x, y) = tokio::join!(store.consume_refresh("h1", 10), store.consume_refresh("h1", 10));
    let results = [x.expect("x"), y.expect("y")];
    let wins = results.iter().filter(|r| matches!(r, Consumed::Ok { .. })).count();
    assert_eq!(wins, 1, "{results:?}");
    assert!(results.contains(&Consumed::Raced), "a race revokes nothing: {results:?}");
    assert!(!store.family_revoked("fam1").await.expect("revoked"));
    // Reuse after the grace period is theft: the family goes.
    assert_eq!(store.consume_refresh("h1", 0).await.expect("reuse"), Consumed::Reused);
    assert!(store.family_revoked("fam1").await.expect("revoked"));
    assert_eq!(store.consume_refresh("h2", 10).await.expect("h2"), Consumed::Reused, "sibling revoked");
    assert!(!store.insert_refresh("h3", "fam1", &a.id, far).await.expect("insert"), "no new token in a revoked family");
    assert_eq!(store.consume_refresh("h3", 10).await.expect("h3"), Consumed::Invalid);
    assert_eq!(store.consume_refresh("nope", 10).await.expect("nope"), Consumed::Invalid);
    store.insert_family("fam2", &a.id).await.expect("family");
    store.insert_refresh("old", "fam2", &a.id, imap_gateway::internals::now() - 1).await.expect("insert");
    assert_eq!(store.consume_refresh("old", 10).await.expect("old"), Consumed::Invalid, "expired");
    assert!(!store.family_revoked("fam2").await.expect("fam2"));
    let (family, account) = store.refresh_family("old").await.expect("lookup").expect("exists");
    assert_eq!((family.as_str(), account.as_str()), ("fam2", a.id.as_str()));

    // Revocations: by jti, or by the family the access token came with.
    assert!(!store.access_revoked("jti-1", "fam2").await.expect("check"));
    assert!(store.access_revoked("jti-1", "fam1").await.expect("family revoked"));
    store.revoke_jti("jti-1", far).await.expect("revoke");
    store.revoke_jti("jti-1", far).await.expect("revoking twice is fine");
    assert!(store.access_revoked("jti-1", "fam2").await.expect("check"));
    store.revoke_jti("jti-old", imap_gateway::internals::now() - 3600).await.expect("revoke");
    assert_eq!(store.sweep_revocations().await.expect("sweep"), 1);
    assert!(store.access_revoked("jti-1", "fam2").await.expect("still revoked"));
    assert!(!store.access_revoked("jti-2", "fam2").await.expect("others are fine"));

    // Idempotency keys: one claim wins; the result replays; a failed run releases the key.
    let (x, y) =
        tokio::join!(store.claim_idempotency_key(&a.id, "k", "fp"), store.claim_idempotency_key(&a.id, "k", "fp"));
    let (x, y) = (x.expect("x"), y.expect("y"));
    assert_eq!([x.is_none(), y.is_none()].iter().filter(|c| **c).count(), 1, "exactly one claim");
    store.complete_idempotency_key(&a.id, "k", 201, Some("/loc"), "{\"uid\":1}").await.expect("complete");
    let saved = store.claim_idempotency_key(&a.id, "k", "fp").await.expect("claim").expect("stored");
    assert_eq!((saved.status, saved.location.as_deref(), saved.body.as_str()), (201, Some("/loc"), "{\"uid\":1}"));
    assert!(store.claim_idempotency_key(&a.id, "k2", "fp").await.expect("claim").is_none());
    store.release_idempotency_key(&a.id, "k2").await.expect("release");
    assert!(
        store.claim_idempotency_key(&a.id, "k2", "fp").await.expect("claim").is_none(),
        "released keys can be claimed again"
    );
    assert_eq!(store.sweep_idempotency_keys(-10).await.expect("sweep"), 2);

    crate::store_webhooks::exercise(&store, &a.id).await;
    oauth_columns(&store).await;
}

/// OAuth2 accounts: sealed access and refresh tokens with their expiry, a refresh that keeps
/// the refresh token, forgetting, and the sweep of expired tokens nobody can renew.
async fn oauth_columns(store: &Store) {
    use imap_gateway::internals::OAuthSecret;
    let o = store.ensure_account("default", "oauth-user").await.expect("account");
    let t = imap_gateway::internals::now();
    let first =
        OAuthSecret { kind: "XOAUTH2", access: "v1:a", expires_at: t + 60, refresh: Some("v1:r"), provider: Some("p") };
    let v1 = store.set_account_oauth(&o.id, &first).await.expect("set");
    let renewed = OAuthSecret { access: "v1:b", expires_at: t + 120, refresh: None, provider: None, ..first };
    let v2 = store.set_account_oauth(&o.id, &renewed).await.expect("renew");
    assert!(v2 > v1);
    let got = store.account(&o.id).await.expect("read").expect("row");
    assert_eq!((got.auth_kind.as_str(), got.secret.as_str()), ("XOAUTH2", "v1:b"));
    assert_eq!((got.secret_expires_at, got.refresh_secret.as_str()), (Some(t + 120), "v1:r"), "refresh kept");
    assert_eq!(got.oauth_provider.as_deref(), Some("p"));
    // Without a refresh token, an expired access token is swept; a renewable one is not.
    let b = store.ensure_account("default", "oauth-user-2").await.expect("account");
    let alone =
        OAuthSecret { kind: "OAUTHBEARER", access: "v1:c", expires_at: t - 1, refresh: Some(""), provider: None };
    store.set_account_oauth(&b.id, &alone).await.expect("set");
    store.set_account_oauth(&o.id, &OAuthSecret { expires_at: t - 1, ..renewed }).await.expect("expire");
    assert_eq!(store.sweep_expired_access_tokens(t).await.expect("sweep"), 1);
    assert!(store.account(&b.id).await.expect("read").expect("row").secret.is_empty());
    assert_eq!(store.account(&o.id).await.expect("read").expect("row").secret, "v1:b");
    let version = store.account(&o.id).await.expect("read").expect("row").credential_version;
    // A stale version (another instance renewed, or the user logged in again) changes nothing.
    assert!(store.renew_account_oauth(&o.id, &renewed, version - 1).await.expect("renew").is_none());
    assert!(!store.clear_account_tokens_if(&o.id, version - 1).await.expect("clear"));
    assert_eq!(store.account(&o.id).await.expect("read").expect("row").secret, "v1:b", "kept");
    assert!(store.clear_account_tokens_if(&o.id, version).await.expect("clear"));
    let gone = store.account(&o.id).await.expect("read").expect("row");
    assert!(gone.secret.is_empty() && gone.refresh_secret.is_empty());
    // A password login makes it a password account again.
    store.set_account_secret(&o.id, "v1:pw").await.expect("password");
    assert_eq!(store.account(&o.id).await.expect("read").expect("row").auth_kind, "password");
}

#[tokio::test]
async fn store_works_on_sqlite() {
    exercise(&sqlite_url()).await;
}

#[tokio::test]
async fn store_works_on_postgresql() {
    let (name, url) = fresh_pg().await;
    exercise(&url).await;
    drop_pg(&name).await;
}

#[tokio::test]
async fn the_gateway_runs_on_postgresql_and_its_tokens_work_on_a_second_instance() {
    let (name, url) = fresh_pg().await;
    let mut s = settings_for(dovecot());
    s.database.url = url;
    let (a, b) = tokio::join!(TestApp::start(s.clone()), TestApp::start(s));
    let tokens = a.login("alice").await;
    assert_eq!(b.get("/v1/mailboxes?counts=false", &tokens.access).await.status(), 200);
    let resp = b.logout(&tokens.access).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(a.get("/v1/mailboxes?counts=false", &tokens.access).await.status(), 401, "logout on B is honoured by A");

    // The same refresh token raced at A and B: exactly one rotation wins.
    let fresh = a.login("alice").await;
    let (x, y) = tokio::join!(a.refresh(&fresh.refresh), b.refresh(&fresh.refresh));
    let mut statuses = [x.status().as_u16(), y.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 401], "one winner, one refusal");
    drop_pg(&name).await;
}
