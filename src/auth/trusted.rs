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
        validation.validate_nbf = true;
        let master = Credentials { username: s.master_user.clone(), password, authorize_as: None, oauth: None };
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
                oauth: None,
            },
            None => Credentials { authorize_as: Some(username.to_string()), ..self.master.clone() },
        }
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    use super::*;

    fn settings(alg: &str) -> TrustedSettings {
        TrustedSettings {
            enabled: true,
            issuer: "https://idp.test".into(),
            algorithm: alg.into(),
            master_user: "m".into(),
            master_password: Some(Secret::new("p")),
            ..Default::default()
        }
    }

    fn claims() -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({"iss": "https://idp.test", "aud": "imap-gateway", "sub": "alice", "exp": now + 60})
    }

    fn sign(alg: Algorithm, kid: Option<&str>, key: &EncodingKey) -> String {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_string);
        encode(&header, &claims(), key).expect("sign")
    }

    /// An openssl key pair (private PEM, public key file), for the curve types.
    fn openssl_pair(args: &[&str]) -> (Vec<u8>, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("igw-trusted-unit-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let (key, public) = (dir.join("k.pem"), dir.join("p.pem"));
        let run = |cmd: &mut std::process::Command| assert!(cmd.status().expect("openssl").success());
        run(std::process::Command::new("openssl").arg("genpkey").args(args).arg("-out").arg(&key));
        run(std::process::Command::new("openssl")
            .arg("pkey")
            .arg("-in")
            .arg(&key)
            .arg("-pubout")
            .arg("-out")
            .arg(&public));
        (std::fs::read(key).expect("key"), public)
    }

    #[test]
    fn hs256_and_an_eddsa_jwks_by_kid_verify_and_others_do_not() {
        let secret = "an-hs256-secret-of-at-least-32-bytes!";
        let t =
            Trusted::from_settings(&TrustedSettings { hs256_secret: Some(Secret::new(secret)), ..settings("HS256") })
                .expect("config")
                .expect("enabled");
        let ok = sign(Algorithm::HS256, None, &EncodingKey::from_secret(secret.as_bytes()));
        assert_eq!(t.verify(&ok).expect("valid").username, "alice");
        let wrong = sign(Algorithm::HS256, None, &EncodingKey::from_secret(b"another-secret-of-at-least-32-bytes"));
        assert!(t.verify(&wrong).is_err());

        // A JWKS: an Ed25519 key chosen by its kid.
        use base64::Engine as _;
        let (private, public) = openssl_pair(&["-algorithm", "ed25519"]);
        let der = std::process::Command::new("openssl")
            .args(["pkey", "-pubin", "-outform", "DER", "-in"])
            .arg(&public)
            .output()
            .expect("openssl")
            .stdout;
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&der[der.len() - 32..]);
        let jwks = std::env::temp_dir().join(format!("igw-jwks-{}.json", uuid::Uuid::new_v4()));
        let set = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "ed1", "alg": "EdDSA", "x": x}]});
        std::fs::write(&jwks, set.to_string()).expect("write");
        let t = Trusted::from_settings(&TrustedSettings { jwks_file: Some(jwks), ..settings("EdDSA") })
            .expect("config")
            .expect("enabled");
        let key = EncodingKey::from_ed_pem(&private).expect("key");
        assert_eq!(t.verify(&sign(Algorithm::EdDSA, Some("ed1"), &key)).expect("by kid").username, "alice");
        assert!(t.verify(&sign(Algorithm::EdDSA, Some("other"), &key)).is_err(), "unknown kid");
        assert!(t.verify(&sign(Algorithm::EdDSA, None, &key)).is_err(), "no kid, no default key");
    }

    #[test]
    fn es256_and_eddsa_public_keys_verify() {
        for (alg, name, args) in [
            (Algorithm::ES256, "ES256", &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"][..]),
            (Algorithm::EdDSA, "EdDSA", &["-algorithm", "ed25519"][..]),
        ] {
            let (private, public) = openssl_pair(args);
            let t = Trusted::from_settings(&TrustedSettings { public_key_file: Some(public), ..settings(name) })
                .expect("config")
                .expect("enabled");
            let key = match alg {
                Algorithm::ES256 => EncodingKey::from_ec_pem(&private),
                _ => EncodingKey::from_ed_pem(&private),
            }
            .expect("key");
            assert_eq!(t.verify(&sign(alg, None, &key)).expect(name).username, "alice");
            let (other, _) = openssl_pair(args);
            let other = match alg {
                Algorithm::ES256 => EncodingKey::from_ec_pem(&other),
                _ => EncodingKey::from_ed_pem(&other),
            }
            .expect("key");
            assert!(t.verify(&sign(alg, None, &other)).is_err(), "{name}: another key");
        }
    }

    #[test]
    fn bad_settings_are_refused_at_start() {
        assert!(Trusted::from_settings(&TrustedSettings::default()).expect("off").is_none());
        for bad in [
            settings("none"),
            settings("RS256"),
            TrustedSettings { hs256_secret: Some(Secret::new("short")), ..settings("HS256") },
            TrustedSettings {
                master_password: None,
                hs256_secret: Some(Secret::new("x".repeat(32))),
                ..settings("HS256")
            },
            TrustedSettings {
                master_login: "magic".into(),
                hs256_secret: Some(Secret::new("x".repeat(32))),
                ..settings("HS256")
            },
        ] {
            assert!(Trusted::from_settings(&bad).is_err(), "{:?}", bad.algorithm);
        }
    }
}
