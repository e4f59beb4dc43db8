//! Auth mode B: verifying JWTs from a trusted issuer (one pinned algorithm; HS256 secret, PEM
//! public key or JWKS; `iss` and `aud` pinned; `exp` required) and the IMAP master login that
//! serves the user they name. No per-user password exists in this mode.

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
use serde_json::Value;

use crate::{
    config::{ConfigError, Secret, TrustedSettings},
    imap::Credentials,
};

/// The account server name of trusted-issuer accounts (mode A accounts use the default).
pub const SERVER: &str = "trusted";

/// A verified trusted token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The IMAP user it names.
    pub username: String,
    /// `exp`.
    pub exp: i64,
    /// `jti`, if it has one.
    pub jti: Option<String>,
}

/// The verifier and the master login.
pub struct Trusted {
    validation: Validation,
    key: Option<DecodingKey>,
    by_kid: HashMap<String, DecodingKey>,
    user_claim: String,
    master: Credentials,
    separator: Option<String>,
    /// Characters a user name may never hold (the master separator, in either login style).
    forbidden: String,
}

impl std::fmt::Debug for Trusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trusted").field("user_claim", &self.user_claim).finish_non_exhaustive()
    }
}

fn invalid(msg: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(format!("trusted: {}", msg.into()))
}

impl Trusted {
    /// Builds from settings; `None` when mode B is off.
    pub fn from_settings(s: &TrustedSettings) -> Result<Option<Self>, ConfigError> {
        if !s.enabled {
            return Ok(None);
        }
        let alg = match s.algorithm.as_str() {
            "HS256" => Algorithm::HS256,
            "RS256" => Algorithm::RS256,
            "ES256" => Algorithm::ES256,
            "EdDSA" => Algorithm::EdDSA,
            other => return Err(invalid(format!("algorithm {other} is not one of HS256, RS256, ES256, EdDSA"))),
        };
        if s.issuer.is_empty() || s.audience.is_empty() {
            return Err(invalid("issuer and audience must be set"));
        }
        let read = |p: &std::path::Path| std::fs::read(p).map_err(|e| invalid(format!("{}: {e}", p.display())));
        let key = match (alg, &s.hs256_secret, &s.public_key_file) {
            (Algorithm::HS256, Some(secret), _) if secret.expose().len() >= 32 => {
                Some(DecodingKey::from_secret(secret.expose().as_bytes()))
            }
            (Algorithm::HS256, _, _) => return Err(invalid("HS256 needs hs256_secret of at least 32 bytes")),
            (_, _, Some(path)) => {
                let pem = read(path)?;
                let key = match alg {
                    Algorithm::RS256 => DecodingKey::from_rsa_pem(&pem),
                    Algorithm::ES256 => DecodingKey::from_ec_pem(&pem),
                    _ => DecodingKey::from_ed_pem(&pem),
                };
                Some(key.map_err(|e| invalid(format!("public key: {e}")))?)
            }
            _ => None,
        };
        let mut by_kid = HashMap::new();
        if let Some(path) = &s.jwks_file {
            let set: JwkSet = serde_json::from_slice(&read(path)?).map_err(|e| invalid(format!("JWKS: {e}")))?;
            for jwk in &set.keys {
                if let Some(kid) = &jwk.common.key_id {
                    by_kid.insert(
                        kid.clone(),
                        DecodingKey::from_jwk(jwk).map_err(|e| invalid(format!("JWKS key {kid}: {e}")))?,
                    );
                }
            }
        }
        if key.is_none() && by_kid.is_empty() {
            return Err(invalid("a key is needed: hs256_secret, public_key_file or jwks_file"));
        }
        let password = s.master_password.clone().ok_or_else(|| invalid("master_password is required"))?;
        if s.master_user.is_empty() {
            return Err(invalid("master_user is required"));
        }
        let separator = match s.master_login.as_str() {
            "sasl" => None,
            "separator" if !s.master_separator.is_empty() => Some(s.master_separator.clone()),
            other => return Err(invalid(format!("master_login {other} is not sasl or separator"))),
        };
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&s.issuer]);
        validation.set_audience(&[&s.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = 30;
        let master = Credentials { username: s.master_user.clone(), password, authorize_as: None };
        let forbidden = s.master_separator.clone();
        Ok(Some(Self { validation, key, by_kid, user_claim: s.user_claim.clone(), master, separator, forbidden }))
    }

    /// Verifies a token: signature with the pinned algorithm, `iss`, `aud`, `exp`, `nbf`, and a
    /// usable user name in the configured claim.
    pub fn verify(&self, token: &str) -> Result<Verified, String> {
        let header = decode_header(token).map_err(|e| e.to_string())?;
        let key = match header.kid.as_deref().and_then(|k| self.by_kid.get(k)) {
            Some(k) => k,
            None => self.key.as_ref().ok_or("unknown key id")?,
        };
        let data = decode::<Value>(token, key, &self.validation).map_err(|e| e.to_string())?;
        let claims = data.claims;
        let username = claims.get(&self.user_claim).and_then(Value::as_str).ok_or("the user claim is missing")?;
        let bad = |c: char| c.is_control() || self.forbidden.contains(c);
        if username.is_empty() || username.len() > 255 || username.chars().any(bad) {
            return Err("the user claim is not a usable IMAP user name".into());
        }
        Ok(Verified {
            username: username.to_string(),
            exp: claims.get("exp").and_then(Value::as_i64).unwrap_or(0),
            jti: claims.get("jti").and_then(Value::as_str).map(str::to_string),
        })
    }

    /// The master login that acts as `username`.
    pub fn credentials(&self, username: &str) -> Credentials {
        match &self.separator {
            Some(sep) => Credentials {
                username: format!("{username}{sep}{}", self.master.username),
                password: Secret::new(self.master.password.expose()),
                authorize_as: None,
            },
            None => Credentials { authorize_as: Some(username.to_string()), ..self.master.clone() },
        }
    }
}
