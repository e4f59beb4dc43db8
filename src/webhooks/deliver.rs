//! The delivery worker: takes due deliveries from the persisted queue (leased, so one worker
//! of one instance sends each), POSTs them signed to the address the SSRF check approved, and
//! records the attempt. Failures retry with exponential backoff and full jitter. Accounts take
//! turns, and one account holds at most its share of the slots (`schedule`).

use std::{sync::Arc, time::Duration};

/// The states of a delivery: waiting for an attempt, done, or given up after the last attempt
/// (`status` in the deliveries list).
pub const DELIVERY_STATUSES: [&str; 3] = ["pending", "delivered", "failed"];

use super::{Webhooks, schedule::Slots, sign, ssrf};
use crate::{
    auth::WEBHOOK_SECRET_FIELD,
    config::WebhookSettings,
    store::{deliveries::Attempt, deliveries::Due},
};

/// The longest name resolution of one attempt, in milliseconds.
const RESOLVE_MS: u64 = 5_000;

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The delay before attempt `attempt + 1` after `attempt` failures: a random value up to
/// `base · 2^(attempt-1)`, capped at `max` ("full jitter").
pub fn retry_delay_ms(s: &WebhookSettings, attempt: u32, random: u64) -> u64 {
    let ceiling = s.retry_base_ms.saturating_mul(1u64 << attempt.saturating_sub(1).min(30)).min(s.retry_max_ms).max(1);
    random % ceiling + 1
}

/// Runs the worker until the process ends. Each round takes the due deliveries in turns
/// between accounts and leases those that get a slot (`schedule`: the instance's limit, and
/// one account's share of it); a finished delivery frees its slot and wakes the worker.
pub fn spawn_worker(webhooks: Arc<Webhooks>) {
    tokio::spawn(async move {
        let s = &webhooks.settings;
        let slots = Slots::new(s.concurrency, s.per_account_concurrency);
        let poll = Duration::from_millis(s.poll_ms.max(10));
        // Rows enough that the accounts at their share (at most `concurrency / per_account` of
        // them, one row each per turn) never crowd the others out of a batch.
        let batch = s.concurrency.max(1) as i64 * 4;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = webhooks.wake.notified() => {}
            }
            if slots.full() {
                continue;
            }
            let due = match webhooks.store.due_deliveries(now_ms(), batch).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook queue unavailable");
                    continue;
                }
            };
            for d in due {
                if slots.full() {
                    break;
                }
                // A slot first, then the lease, timed from now: a lease never runs out while
                // its delivery waits for a slot.
                let Some(slot) = slots.take(&d.account_id) else { continue };
                let now = now_ms();
                // Longer than one attempt can take (bounded in `attempt`); a crashed worker's
                // lease lapses after this.
                let lease = now + (s.timeout_ms + RESOLVE_MS) as i64 + 5_000;
                if !matches!(webhooks.store.claim_delivery(&d.id, now, lease).await, Ok(true)) {
                    continue;
                }
                let webhooks = webhooks.clone();
                tokio::spawn(async move {
                    attempt(&webhooks, d).await;
                    drop(slot);
                    webhooks.wake.notify_one();
                });
            }
        }
    });
}

/// Why an attempt sent nothing or got no answer.
enum Failure {
    /// The destination was refused before anything was sent (the reason says nothing of
    /// what the name resolved to).
    Refused(String),
    /// Sending failed or timed out.
    Failed(String),
}

async fn attempt(webhooks: &Webhooks, d: Due) {
    let s = &webhooks.settings;
    let started = now_ms();
    let number = d.attempts + 1;
    // Bounded as a whole, whatever the receiver (or the database) does.
    let outcome = tokio::time::timeout(Duration::from_millis(s.timeout_ms + RESOLVE_MS), send(webhooks, &d))
        .await
        .unwrap_or_else(|_| Err(Failure::Failed("timed out".into())));
    let mut duration_ms = now_ms() - started;
    let (http_status, error) = match outcome {
        Ok(code) if (200..300).contains(&code) => (Some(code), None),
        Ok(code) => (Some(code), Some(format!("receiver answered {code}"))),
        Err(Failure::Failed(e)) => (None, Some(e)),
        // Nothing was sent; how long the lookup took would tell what the name is.
        Err(Failure::Refused(e)) => {
            duration_ms = 0;
            (None, Some(format!("refused: {e}")))
        }
    };
    let a = Attempt { attempt: number, at: started, http_status, error, duration_ms };
    let [pending, delivered, failed] = DELIVERY_STATUSES;
    let (status, next) = if a.error.is_none() {
        (delivered, 0)
    } else if number >= i64::from(s.max_attempts) {
        (failed, 0)
    } else {
        let delay = retry_delay_ms(s, number as u32, crate::random::random_id());
        (pending, now_ms() + delay as i64)
    };
    tracing::info!(delivery.id = %d.id, webhook.id = %d.webhook_id, event = %d.event_type, attempt = number, status, http_status, "webhook attempt");
    match webhooks.store.finish_attempt(&d.id, &a, status, next).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!(delivery.id = %d.id, webhook.id = %d.webhook_id, "webhook deleted during the attempt; nothing recorded")
        }
        // The lease expires and the delivery becomes due again, so it is sent again later.
        Err(e) => {
            tracing::warn!(delivery.id = %d.id, error = %e, "cannot record a webhook attempt; it will be sent again when its lease expires")
        }
    }
}

/// One POST; the receiver's status, or why nothing was sent or received.
async fn send(webhooks: &Webhooks, d: &Due) -> Result<i64, Failure> {
    let s = &webhooks.settings;
    let failed = |e: String| Failure::Failed(e);
    let hook = webhooks
        .store
        .webhook(&d.webhook_id)
        .await
        .map_err(|e| failed(e.to_string()))?
        .ok_or_else(|| failed("webhook deleted".into()))?;
    let secret = webhooks
        .keyring
        .open(&hook.id, WEBHOOK_SECRET_FIELD, &hook.sealed_secret)
        .map_err(|e| failed(e.to_string()))?;
    // Checked at every attempt (names are not resolved at registration, and DNS changes). A
    // lookup that hangs is refused like one that fails.
    let dest = tokio::time::timeout(Duration::from_millis(RESOLVE_MS), ssrf::resolve(&hook.url, s))
        .await
        .unwrap_or_else(|_| Err(ssrf::Refused::Unresolved(String::new())))
        .map_err(|e| Failure::Refused(e.to_string()))?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_millis(s.timeout_ms))
        .resolve(&dest.host, dest.addr)
        .user_agent(concat!("imap-gateway-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let timestamp = chrono::Utc::now().timestamp();
    let resp = client
        .post(dest.url.clone())
        .header("content-type", "application/json")
        .header("webhook-id", &d.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", sign::signature(&secret, &d.id, timestamp, &d.body))
        .header("webhook-event", &d.event_type)
        .body(d.body.clone())
        .send()
        .await
        .map_err(|e| failed(if e.is_timeout() { "timed out" } else { "connection failed" }.to_string()))?;
    Ok(i64::from(resp.status().as_u16()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_exponentially_with_full_jitter_and_a_cap() {
        let s = WebhookSettings { retry_base_ms: 1000, retry_max_ms: 60_000, ..Default::default() };
        assert_eq!(retry_delay_ms(&s, 1, u64::MAX), u64::MAX % 1000 + 1);
        assert!(retry_delay_ms(&s, 1, 999) <= 1000);
        assert_eq!(retry_delay_ms(&s, 3, 3999), 4000, "the ceiling doubles per attempt");
        assert_eq!(retry_delay_ms(&s, 40, 59_999), 60_000, "and is capped");
        assert_eq!(retry_delay_ms(&s, 3, 0), 1, "full jitter reaches down to almost nothing");
    }
}
