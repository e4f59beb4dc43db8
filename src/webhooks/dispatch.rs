//! One account's dispatcher: it holds a subscription on the account's feed (so the watcher
//! runs while webhooks exist), queues a delivery per matching webhook for every event, and
//! remembers the last state queued per mailbox (at first the state the watcher started from)
//! so that a restart resumes from there.
//! When the webhooks change it starts over with them, keeping its subscription, so that no
//! event falls between the two.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use tokio::sync::broadcast::error::RecvError;

use super::{Control, Webhooks, deliver::now_ms};
use crate::{
    store::webhooks::Webhook,
    sync::{
        events::{Feed, Stamped, Subscription},
        token::{self, Since},
    },
};

/// How long a dispatch lease lasts, and how often it is renewed (milliseconds).
const LEASE_MS: i64 = 30_000;
const RENEW_MS: u64 = 10_000;
/// How long a run waits for the watcher's baselines of mailboxes without a cursor.
const BASELINE_WAIT: Duration = Duration::from_secs(10);

/// How one subscription ended.
enum End {
    /// The account has no webhooks left.
    Done,
    /// Start over: webhooks changed, or the feed stopped.
    Again,
    /// Another instance holds the lease.
    Standby,
}

/// The feed a dispatcher follows and its subscription, kept from one run to the next.
type Held = Option<(Arc<Feed>, Subscription)>;

/// Runs the dispatcher of `account` until it has no webhooks left.
pub fn spawn(webhooks: Arc<Webhooks>, account: String, control: Arc<Control>) {
    tokio::spawn(async move {
        let mut failures = 0u32;
        let mut held: Held = None;
        loop {
            // Shutting down: take no lease and start no watcher that would outlive the drain.
            if !webhooks.ready() {
                return;
            }
            let generation = control.requested();
            let end = run(&webhooks, &account, &control, generation, &mut held).await;
            if !matches!(end, Ok(End::Again)) {
                // Nothing to serve here (done, another instance's, or failing): nobody waits.
                held = None;
                control.served(generation);
            }
            let pause = match end {
                Ok(End::Done) => {
                    let _ = webhooks.store.release_webhooks(&account, &webhooks.instance).await;
                    if webhooks.retire(&account, &control).await {
                        return;
                    }
                    None
                }
                Ok(End::Again) => None,
                Ok(End::Standby) => Some(RENEW_MS),
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(account.id = %account, error = %e, "webhook dispatcher paused");
                    Some(500u64.saturating_mul(1 << failures.min(7)).min(60_000))
                }
            };
            if let Some(ceiling) = pause {
                let delay = Duration::from_millis(crate::random::random_id() % ceiling);
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = control.changed.notified() => {}
                }
            } else {
                failures = 0;
            }
        }
    });
}

async fn lease(webhooks: &Webhooks, account: &str) -> Result<bool, String> {
    let now = now_ms();
    webhooks.store.lease_webhooks(account, &webhooks.instance, now, now + LEASE_MS).await.map_err(|e| e.to_string())
}

/// One set of webhooks' life, while this instance holds the account's dispatch lease: it
/// serves change `generation` once subscribed.
async fn run(
    webhooks: &Webhooks,
    account: &str,
    control: &Control,
    generation: u64,
    held: &mut Held,
) -> Result<End, String> {
    let hooks = webhooks.store.webhooks(account).await.map_err(|e| e.to_string())?;
    if hooks.is_empty() {
        return Ok(End::Done);
    }
    if !lease(webhooks, account).await? {
        return Ok(End::Standby);
    }
    let mailboxes: Vec<String> =
        hooks.iter().flat_map(|h| h.mailboxes.iter().cloned()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut seeds = Vec::new();
    for m in &mailboxes {
        if let Ok(Some(state)) = webhooks.store.webhook_cursor(account, m).await
            && let Some(Since::Mod(s)) = token::parse(&state)
        {
            seeds.push((m.clone(), s));
        }
    }
    let feed = webhooks.follower.follow(account, &mailboxes, &seeds).await.map_err(|e| {
        crate::follow::log_internal(&e);
        e.to_string()
    })?;
    // The same feed: its subscription has kept every event since the last run.
    if !held.as_ref().is_some_and(|(f, _)| Arc::ptr_eq(f, &feed)) {
        *held = Some((feed.clone(), feed.subscribe(None)));
    }
    let unseeded: Vec<String> = mailboxes.iter().filter(|m| !seeds.iter().any(|(s, _)| s == *m)).cloned().collect();
    remember_baselines(webhooks, account, &feed, &unseeded).await?;
    let Some((_, sub)) = held.as_mut() else { return Ok(End::Again) };
    control.served(generation);
    let mut renew = tokio::time::interval(Duration::from_millis(RENEW_MS));
    renew.tick().await;
    loop {
        tokio::select! {
            r = sub.live.recv() => match r {
                Ok(ev) => queue(webhooks, account, &hooks, &ev).await?,
                Err(RecvError::Lagged(n)) => tracing::warn!(account.id = %account, dropped = n, "webhook dispatcher fell behind"),
                Err(RecvError::Closed) => return Ok(End::Again),
            },
            _ = renew.tick() => {
                if !lease(webhooks, account).await? {
                    return Ok(End::Standby);
                }
                // Webhooks registered or deleted through another instance.
                if webhooks.store.webhooks(account).await.map_err(|e| e.to_string())? != hooks {
                    return Ok(End::Again);
                }
            }
            _ = control.changed.notified() => return Ok(End::Again),
            _ = feed.until_stopped() => return Ok(End::Again),
        }
    }
}

/// Stores, as the cursor of each of `mailboxes` (none has one yet), the state the watcher
/// follows it from, so that a restart before its first event (the gateway's, or the feed's
/// at a password change) resumes from there instead of from the state at the restart: a
/// message that arrived in between is still delivered.
async fn remember_baselines(
    webhooks: &Webhooks,
    account: &str,
    feed: &Feed,
    mailboxes: &[String],
) -> Result<(), String> {
    if mailboxes.is_empty() || !feed.wait_watching(mailboxes, BASELINE_WAIT).await {
        return Ok(());
    }
    for m in mailboxes {
        if let Some(state) = feed.baseline(m) {
            let token = token::mod_token(state);
            webhooks.store.set_webhook_cursor(account, m, &token).await.map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Queues `ev` for every webhook that wants it, then moves the mailbox's cursor past it.
async fn queue(webhooks: &Webhooks, account: &str, hooks: &[Webhook], ev: &Stamped) -> Result<(), String> {
    let e = &ev.event;
    let mut queued = false;
    for h in hooks.iter().filter(|h| h.events.contains(&e.kind) && h.mailboxes.contains(&e.mailbox)) {
        let id = format!("dl_{}", uuid::Uuid::new_v4().simple());
        let body = serde_json::json!({
            "id": id, "webhookId": h.id, "type": e.kind, "mailbox": e.mailbox, "uids": e.uids,
            "state": e.state, "time": e.time, "reason": e.reason,
        })
        .to_string();
        // The key makes a re-queued event (same feed, same position) a no-op.
        let key = format!("{}:{}", e.mailbox, ev.id);
        queued |= webhooks
            .store
            .enqueue_delivery(&id, &h.id, &key, &e.kind, &body, now_ms())
            .await
            .map_err(|e| e.to_string())?;
    }
    // `mailbox.changed` closes each batch of changes, so the cursor never skips a part of one.
    if e.kind == "mailbox.changed" {
        webhooks.store.set_webhook_cursor(account, &e.mailbox, &e.state).await.map_err(|e| e.to_string())?;
    }
    if queued {
        webhooks.wake.notify_one();
    }
    Ok(())
}
