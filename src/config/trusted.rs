//! Auth mode B: JWTs from a trusted issuer, served through an IMAP master login.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Secret;

/// `[trusted]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrustedSettings {
    /// Accept tokens from this issuer (besides the gateway's own).
    pub enabled: bool,
    /// Required `iss`.
    pub issuer: String,
    /// Required `aud`.
    pub audience: String,
    /// The one accepted algorithm: `HS256`, `RS256`, `ES256` or `EdDSA`.
    pub algorithm: String,
    /// HS256 shared secret.
    pub hs256_secret: Option<Secret>,
    /// PEM public key (RS256, ES256, EdDSA).
    pub public_key_file: Option<PathBuf>,
    /// JWKS file; keys are chosen by `kid`.
    pub jwks_file: Option<PathBuf>,
    /// The claim naming the IMAP user.
    pub user_claim: String,
    /// The IMAP master user.
    pub master_user: String,
    /// Its password.
    pub master_password: Option<Secret>,
    /// `sasl`: AUTHENTICATE PLAIN with the user as authorization id; `separator`: LOGIN as
    /// `user<separator>master` (Dovecot's `auth_master_user_separator`).
    pub master_login: String,
    /// The separator for `separator` logins.
    pub master_separator: String,
}

impl Default for TrustedSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            issuer: String::new(),
            audience: "imap-gateway".into(),
            algorithm: "RS256".into(),
            hs256_secret: None,
            public_key_file: None,
            jwks_file: None,
            user_claim: "sub".into(),
            master_user: String::new(),
            master_password: None,
            master_login: "sasl".into(),
            master_separator: "*".into(),
        }
    }
}
