//! OAuth2 accounts (XOAUTH2, OAUTHBEARER): when a caller's access token expires, refreshing it
//! ahead of time through a configured provider's token endpoint, and the clock that decides
//! (tests move it instead of sleeping). No axum types and no SQL here.

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use base64::Engine as _;
use serde::Deserialize;

use crate::config::{OAuthProvider, OAuthSettings, Secret};

/// Associated-data field of a stored access token.
pub const ACCESS_FIELD: &str = "access_token";
/// Associated-data field of a stored refresh token.
pub const REFRESH_FIELD: &str = "refresh_token";

/// Unix time as the gateway sees it: the system clock plus an offset that tests may move.
#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
}

impl Clock {
    /// Seconds since the epoch.
    pub fn now(&self) -> i64 {
        crate::store::now() + self.offset.load(Ordering::Relaxed)
    }
    /// Moves the clock forward (tests).
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::Relaxed);
    }
}

/// A fresh access token from a token endpoint.
#[derive(Debug)]
pub struct Grant {
    /// The access token.
    pub access_token: Secret,
    /// When it expires (unix seconds, gateway clock).
    pub expires_at: i64,
    /// A new refresh token, if the provider rotated it.
    pub refresh_token: Option<Secret>,
}

/// Why a refresh gave no token.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// The provider refused the refresh token (`invalid_grant`): the user must sign in again.
    #[error("the provider refused the refresh token ({0})")]
    Refused(String),
    /// The token endpoint failed or was unreachable; the refresh may work later.
    #[error("the token endpoint is unavailable: {0}")]
    Unavailable(String),
    /// No such provider is configured.
    #[error("no OAuth2 provider {0:?} is configured")]
    UnknownProvider(String),
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    expires_in: Option<u64>,
    refresh_token: Option<String>,
}

#[derive(Deserialize, Default)]
struct ErrorReply {
    #[serde(default)]
    error: String,
}

/// The configured providers, their HTTP client, the clock and per-account refresh locks.
#[derive(Debug)]
pub struct OAuth {
    settings: OAuthSettings,
    http: reqwest::Client,
    /// The clock every expiry is measured with.
    pub clock: Clock,
    locks: dashmap::DashMap<String, Arc<tokio::sync::Mutex<()>>>,
    retry_at: dashmap::DashMap<String, i64>,
    refused_at: dashmap::DashMap<String, i64>,
}

impl OAuth {
    /// From settings already validated.
    pub fn new(settings: OAuthSettings) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_millis(settings.token_timeout_ms))
            .build()
            .unwrap_or_default();
        Self {
            settings,
            http,
            clock: Clock::default(),
            locks: Default::default(),
            retry_at: Default::default(),
            refused_at: Default::default(),
        }
    }

    /// True if `name` is a configured provider.
    pub fn has_provider(&self, name: &str) -> bool {
        self.settings.providers.contains_key(name)
    }

    /// When a token given by a caller expires: `expires_in` seconds from now if given, else the
    /// `exp` of a JWT (read, not verified: the IMAP server verifies), else the default lifetime.
    pub fn expiry_of(&self, token: &str, expires_in: Option<u64>) -> i64 {
        let now = self.clock.now();
        if let Some(secs) = expires_in {
            return now.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX));
        }
        jwt_exp(token).unwrap_or_else(|| now + i64::try_from(self.settings.default_token_ttl_secs).unwrap_or(3600))
    }

    /// True once a token expiring at `expires_at` should be refreshed.
    pub fn due(&self, expires_at: i64) -> bool {
        self.clock.now() >= expires_at.saturating_sub(i64::try_from(self.settings.refresh_ahead_secs).unwrap_or(300))
    }

    /// True once a token expiring at `expires_at` is no longer valid.
    pub fn expired(&self, expires_at: i64) -> bool {
        self.clock.now() >= expires_at
    }

    /// After a failed refresh, further tries of this account wait 30 s (the stored token is
    /// still valid meanwhile).
    pub fn back_off(&self, account: &str) {
        self.retry_at.insert(account.to_string(), self.clock.now() + 30);
    }

    /// True while a failed refresh of this account is too recent to try again.
    pub fn backing_off(&self, account: &str) -> bool {
        self.retry_at.get(account).is_some_and(|t| *t > self.clock.now())
    }

    /// True the first time in five minutes that the IMAP server refused this account's token:
    /// one early renewal per park, never a loop.
    pub fn first_refusal(&self, account: &str) -> bool {
        let now = self.clock.now();
        let mut first = false;
        self.refused_at
            .entry(account.to_string())
            .and_modify(|t| {
                if now - *t >= 300 {
                    *t = now;
                    first = true;
                }
            })
            .or_insert_with(|| {
                first = true;
                now
            });
        first
    }

    /// The lock one account's refreshes take, so that parallel requests refresh once.
    pub fn lock(&self, account: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.locks.entry(account.to_string()).or_default().clone()
    }

    /// Exchanges a refresh token at `provider`'s token endpoint (RFC 6749 §6).
    pub async fn refresh(&self, provider: &str, refresh_token: &str) -> Result<Grant, RefreshError> {
        let p: &OAuthProvider =
            self.settings.providers.get(provider).ok_or_else(|| RefreshError::UnknownProvider(provider.to_string()))?;
        let mut form =
            vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", &p.client_id)];
        if let Some(secret) = &p.client_secret {
            form.push(("client_secret", secret.expose()));
        }
        let scope = p.scopes.join(" ");
        if !scope.is_empty() {
            form.push(("scope", &scope));
        }
        let resp = self.http.post(&p.token_url).header("accept", "application/json").form(&form).send().await.map_err(
            |e| RefreshError::Unavailable(if e.is_timeout() { "timed out".into() } else { "not reachable".into() }),
        )?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|_| RefreshError::Unavailable("the answer was cut".into()))?;
        if status.is_success() {
            let t: TokenReply = serde_json::from_slice(&body)
                .map_err(|_| RefreshError::Unavailable("the answer is not a token response".into()))?;
            crate::imap::encode::sasl::check_token(&t.access_token)
                .map_err(|_| RefreshError::Unavailable("the access token it sent is unusable".into()))?;
            let expires_at = self.expiry_of(&t.access_token, t.expires_in);
            return Ok(Grant {
                access_token: Secret::new(t.access_token),
                expires_at,
                refresh_token: t.refresh_token.filter(|r| !r.is_empty()).map(Secret::new),
            });
        }
        let err: ErrorReply = serde_json::from_slice(&body).unwrap_or_default();
        match (status.as_u16(), err.error.as_str()) {
            (400 | 401, "invalid_grant" | "invalid_token" | "unauthorized_client") => {
                Err(RefreshError::Refused(err.error))
            }
            (code, e) => {
                Err(RefreshError::Unavailable(format!("HTTP {code} {}", e.chars().take(40).collect::<String>())))
            }
        }
    }
}

/// The `exp` claim of a JWT, without checking its signature.
fn jwt_exp(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes).ok()?.get("exp")?.as_i64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_comes_from_expires_in_then_the_jwt_then_the_default() {
        let o = OAuth::new(OAuthSettings::default());
        let now = o.clock.now();
        assert!((o.expiry_of("opaque", Some(100)) - (now + 100)).abs() <= 1);
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"exp":1234567890}"#);
        assert_eq!(o.expiry_of(&format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig"), None), 1_234_567_890);
        assert!((o.expiry_of("opaque", None) - (now + 3600)).abs() <= 1);
    }

    #[test]
    fn refresh_is_due_five_minutes_ahead_and_the_clock_moves() {
        let o = OAuth::new(OAuthSettings::default());
        let exp = o.clock.now() + 400;
        assert!(!o.due(exp) && !o.expired(exp));
        o.clock.advance(101);
        assert!(o.due(exp) && !o.expired(exp));
        o.clock.advance(300);
        assert!(o.expired(exp));
    }
}
