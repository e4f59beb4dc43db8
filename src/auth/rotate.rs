//! Key rotation: re-seals every sealed value (passwords, OAuth2 access and refresh tokens,
//! webhook secrets) with the keyring's current key, in batches, so that older keys can be
//! retired. Idempotent: values already sealed with the current key are left alone.

use std::fmt;

use super::{
    PASSWORD_FIELD, WEBHOOK_SECRET_FIELD,
    crypto::Keyring,
    oauth::{ACCESS_FIELD, REFRESH_FIELD},
};
use crate::store::{Store, StoreError, sealed::AccountColumn};

/// What happened to the values of one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Re-sealed with the current key.
    pub resealed: u64,
    /// Already sealed with the current key.
    pub current: u64,
    /// Changed by a login or renewal while being re-sealed (the new value uses the current key).
    pub changed: u64,
    /// Could not be opened (unknown key, wrong AAD or damaged): left as they are.
    pub unreadable: u64,
}

/// Counts per kind of sealed value; never the values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Account passwords.
    pub passwords: Counts,
    /// OAuth2 access tokens.
    pub access_tokens: Counts,
    /// OAuth2 refresh tokens.
    pub refresh_tokens: Counts,
    /// Webhook signing secrets.
    pub webhook_secrets: Counts,
}

impl Report {
    /// Values that still need an old key (or no key at all can open).
    pub fn unreadable(&self) -> u64 {
        [self.passwords, self.access_tokens, self.refresh_tokens, self.webhook_secrets]
            .iter()
            .map(|c| c.unreadable)
            .sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = [
            ("passwords", self.passwords),
            ("oauth access tokens", self.access_tokens),
            ("oauth refresh tokens", self.refresh_tokens),
            ("webhook secrets", self.webhook_secrets),
        ];
        for (name, c) in rows {
            writeln!(
                f,
                "{name}: {} re-sealed, {} already current, {} changed meanwhile, {} unreadable",
                c.resealed, c.current, c.changed, c.unreadable
            )?;
        }
        Ok(())
    }
}

/// One value: re-sealed with the current key if it needs it, counted either way.
fn plan(keyring: &Keyring, aad_id: &str, field: &str, sealed: &str, counts: &mut Counts) -> Option<String> {
    if !keyring.needs_rotation(sealed) {
        counts.current += 1;
        return None;
    }
    match keyring.open(aad_id, field, sealed) {
        Ok(plain) => Some(keyring.seal(aad_id, field, &plain)),
        Err(e) => {
            tracing::warn!(id = aad_id, field, error = %e, "cannot re-seal a stored value");
            counts.unreadable += 1;
            None
        }
    }
}

fn tally(counts: &mut Counts, swapped: bool) {
    if swapped { counts.resealed += 1 } else { counts.changed += 1 }
}

/// Re-seals every sealed value in `store` with `keyring`'s current key, `batch` rows at a time.
pub async fn rotate_keys(store: &Store, keyring: &Keyring, batch: i64) -> Result<Report, StoreError> {
    let batch = batch.max(1);
    let mut report = Report::default();
    let mut after = String::new();
    loop {
        let page = store.sealed_accounts(&after, batch).await?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for a in &page {
            if !a.secret.is_empty() {
                let (field, counts) = if super::credentials::mechanism_of(&a.auth_kind).is_some() {
                    (ACCESS_FIELD, &mut report.access_tokens)
                } else {
                    (PASSWORD_FIELD, &mut report.passwords)
                };
                if let Some(new) = plan(keyring, &a.id, field, &a.secret, counts) {
                    tally(counts, store.reseal_account(&a.id, AccountColumn::Secret, &a.secret, &new).await?);
                }
            }
            if !a.refresh_secret.is_empty() {
                let counts = &mut report.refresh_tokens;
                if let Some(new) = plan(keyring, &a.id, REFRESH_FIELD, &a.refresh_secret, counts) {
                    let swapped = store.reseal_account(&a.id, AccountColumn::Refresh, &a.refresh_secret, &new).await?;
                    tally(counts, swapped);
                }
            }
        }
    }
    after.clear();
    loop {
        let page = store.sealed_webhook_secrets(&after, batch).await?;
        let Some((last, _)) = page.last() else { break };
        after = last.clone();
        for (id, sealed) in &page {
            let counts = &mut report.webhook_secrets;
            if let Some(new) = plan(keyring, id, WEBHOOK_SECRET_FIELD, sealed, counts) {
                tally(counts, store.reseal_webhook_secret(id, sealed, &new).await?);
            }
        }
    }
    Ok(report)
}
