//! Authentication, mode A: gateway-issued JWTs, rotating refresh tokens, and encrypted IMAP
//! credentials; mode B (a trusted external issuer with an IMAP master login) is in [`trusted`],
//! OAuth2 logins in [`oauth_flows`], and the step from an account to its IMAP credentials and
//! pool in [`credentials`]. No axum types, no `ApiError` and no application state live here:
//! the flows take narrow handles ([`credentials::Vault`], [`flows::Sessions`]) and answer their
//! own errors.

pub(crate) mod credentials;
pub(crate) mod crypto;
pub(crate) mod cursor;
pub(crate) mod flows;
pub(crate) mod jwt;
pub(crate) mod limiter;
pub(crate) mod oauth;
pub(crate) mod oauth_flows;
pub(crate) mod rotate;
pub(crate) mod tokens;
pub(crate) mod trusted;

use std::sync::Arc;

use crate::config::{AuthSettings, ConfigError, decode_key};

/// Name of the one upstream server profile (callers never supply a host).
pub const DEFAULT_SERVER: &str = "default";

/// Field name used as associated data for stored IMAP passwords.
pub const PASSWORD_FIELD: &str = "password";

/// The keyring field under which webhook secrets are sealed (AAD: the webhook id).
pub const WEBHOOK_SECRET_FIELD: &str = "webhook-secret";

/// Signing keys, encryption keys and token lifetimes.
#[derive(Debug)]
pub struct Auth {
    /// Access-token signer and verifier.
    pub jwt: jwt::Jwt,
    /// Credential encryption (shared with the credential policy and the webhooks).
    pub keyring: Arc<crypto::Keyring>,
    /// Refresh-token lifetime in seconds.
    pub refresh_ttl_secs: i64,
    /// A token family's absolute lifetime from its login, in seconds.
    pub family_lifetime_secs: i64,
    /// Page cursors.
    pub cursors: cursor::Cursors,
}

impl Auth {
    /// Builds from settings already checked by `validate_for_serve`.
    pub fn from_settings(s: &AuthSettings) -> Result<Self, ConfigError> {
        let secret = s
            .jwt_secret
            .as_ref()
            .ok_or_else(|| ConfigError::Secret("IMAP_GATEWAY__AUTH__JWT_SECRET is not set".into()))?;
        Ok(Self {
            jwt: jwt::Jwt::new(secret.expose().as_bytes(), &s.issuer, &s.audience, s.access_ttl_secs, s.leeway_secs),
            keyring: Arc::new(keyring(s)?),
            refresh_ttl_secs: s.refresh_ttl_secs as i64,
            family_lifetime_secs: s.refresh_family_lifetime_secs as i64,
            cursors: cursor::Cursors::new(secret.expose().as_bytes()),
        })
    }
}

/// The credential keyring of the settings: the current key seals, it and the previous keys open.
pub fn keyring(s: &AuthSettings) -> Result<crypto::Keyring, ConfigError> {
    let key = s
        .encryption_key
        .as_ref()
        .ok_or_else(|| ConfigError::Secret("IMAP_GATEWAY__AUTH__ENCRYPTION_KEY is not set".into()))?;
    let current = decode_key(key).map_err(ConfigError::Secret)?;
    let mut previous = Vec::new();
    for (id, k) in &s.previous_encryption_keys {
        previous.push((id.clone(), decode_key(k).map_err(|e| ConfigError::Secret(format!("previous key {id}: {e}")))?));
    }
    Ok(crypto::Keyring::new(&s.encryption_key_id, current, previous))
}
