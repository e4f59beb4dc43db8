//! Gateway-issued access tokens: HS256 JWTs with pinned algorithm, issuer and audience, and
//! every registered claim required.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

/// Claims of an access token.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Account id.
    pub sub: String,
    /// Expiry (unix seconds).
    pub exp: i64,
    /// Not before (unix seconds).
    pub nbf: i64,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Unique token id, for revocation.
    pub jti: String,
    /// Refresh-token family the token was issued with; logout revokes it.
    pub fid: String,
}

/// Why a token was refused (all map to 401).
#[derive(Debug, thiserror::Error)]
#[error("invalid access token: {0}")]
pub struct TokenError(pub String);

/// Signs and verifies access tokens.
pub struct Jwt {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_secs: i64,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwt").field("issuer", &self.issuer).field("audience", &self.audience).finish_non_exhaustive()
    }
}

impl Jwt {
    /// Builds signer and verifier from an HS256 secret.
    pub fn new(secret: &[u8], issuer: &str, audience: &str, ttl_secs: u64, leeway_secs: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = leeway_secs.min(30);
        validation.validate_nbf = true;
        validation.validate_exp = true;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            ttl_secs: ttl_secs as i64,
        }
    }

    /// Lifetime of issued tokens in seconds.
    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    /// Issues a token for `account_id` in refresh family `family_id`.
    pub fn issue(&self, account_id: &str, family_id: &str, now: i64) -> (String, Claims) {
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: account_id.to_string(),
            exp: now + self.ttl_secs,
            nbf: now,
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
            fid: family_id.to_string(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).expect("HS256 signing cannot fail");
        (token, claims)
    }

    /// Verifies signature, algorithm, issuer, audience, `exp` and `nbf`, and that the token
    /// does not claim a lifetime longer than this gateway issues.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| TokenError(e.to_string()))?;
        let c = data.claims;
        if c.exp - c.iat > self.ttl_secs || c.iat > c.exp {
            return Err(TokenError("lifetime longer than allowed".into()));
        }
        if c.sub.is_empty() || c.jti.is_empty() {
            return Err(TokenError("empty sub or jti".into()));
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-test";

    fn jwt() -> Jwt {
        Jwt::new(SECRET, "gw", "api", 600, 30)
    }

    #[test]
    fn issued_tokens_verify() {
        let now = chrono::Utc::now().timestamp();
        let (token, claims) = jwt().issue("acct", "fam", now);
        assert_eq!(jwt().verify(&token).expect("valid"), claims);
    }

    #[test]
    fn wrong_issuer_audience_key_and_alg_none_are_refused() {
        let now = chrono::Utc::now().timestamp();
        let (token, _) = Jwt::new(SECRET, "other", "api", 600, 30).issue("a", "f", now);
        assert!(jwt().verify(&token).is_err(), "issuer");
        let (token, _) = Jwt::new(SECRET, "gw", "other", 600, 30).issue("a", "f", now);
        assert!(jwt().verify(&token).is_err(), "audience");
        let (token, _) = Jwt::new(b"another-secret-another-secret-32b!", "gw", "api", 600, 30).issue("a", "f", now);
        assert!(jwt().verify(&token).is_err(), "key");
        let (token, _) = jwt().issue("a", "f", now);
        let payload = token.split('.').nth(1).expect("payload");
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert!(jwt().verify(&none).is_err(), "alg none");
    }

    #[test]
    fn expired_and_overlong_tokens_are_refused() {
        let now = chrono::Utc::now().timestamp();
        let (token, _) = jwt().issue("a", "f", now - 700);
        assert!(jwt().verify(&token).is_err(), "expired beyond leeway");
        let (token, _) = Jwt::new(SECRET, "gw", "api", 86_400, 30).issue("a", "f", now);
        assert!(jwt().verify(&token).is_err(), "lifetime");
    }
}
