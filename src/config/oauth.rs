//! OAuth2 providers the gateway may refresh access tokens with (`[oauth.providers.NAME]`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Secret;

/// `[oauth]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuthSettings {
    /// Providers by the name a login's `provider` gives.
    pub providers: BTreeMap<String, OAuthProvider>,
    /// Refresh an access token this many seconds before it expires.
    pub refresh_ahead_secs: u64,
    /// Deadline for one call of a token endpoint, in milliseconds.
    pub token_timeout_ms: u64,
    /// Lifetime assumed for an access token whose expiry nobody told (no `expiresIn`, not a
    /// JWT with `exp`), in seconds.
    pub default_token_ttl_secs: u64,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        Self {
            providers: BTreeMap::new(),
            refresh_ahead_secs: 300,
            token_timeout_ms: 10_000,
            default_token_ttl_secs: 3600,
        }
    }
}

/// One provider's token endpoint and client.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthProvider {
    /// Token endpoint (https; http only for a loopback address).
    pub token_url: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret (optional for public clients).
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// Scopes asked for on refresh.
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl OAuthSettings {
    /// Checks every provider's token URL: https, or http to a loopback address.
    pub fn validate(&self) -> Result<(), String> {
        for (name, p) in &self.providers {
            let url = url::Url::parse(&p.token_url).map_err(|e| format!("oauth.providers.{name}.token_url: {e}"))?;
            let loopback = matches!(url.host(), Some(url::Host::Ipv4(a)) if a.is_loopback())
                || matches!(url.host(), Some(url::Host::Ipv6(a)) if a.is_loopback())
                || url.host_str() == Some("localhost");
            if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
                return Err(format!("oauth.providers.{name}.token_url must be https (http only on loopback)"));
            }
            if p.client_id.is_empty() {
                return Err(format!("oauth.providers.{name}.client_id is empty"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(url: &str) -> OAuthSettings {
        let mut s = OAuthSettings::default();
        let p = OAuthProvider { token_url: url.into(), client_id: "c".into(), client_secret: None, scopes: vec![] };
        s.providers.insert("p".into(), p);
        s
    }

    #[test]
    fn token_urls_must_be_https_or_loopback_http() {
        assert!(with("https://oauth2.example.com/token").validate().is_ok());
        assert!(with("http://127.0.0.1:9999/token").validate().is_ok());
        assert!(with("http://[::1]:9999/token").validate().is_ok());
        assert!(with("http://oauth2.example.com/token").validate().is_err());
        assert!(with("ftp://127.0.0.1/token").validate().is_err());
        assert!(with("not a url").validate().is_err());
    }
}
