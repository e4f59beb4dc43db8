//! Opaque refresh tokens: random, shown to the client once, stored only as a SHA-256 hash.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use ring::{
    digest,
    rand::{SecureRandom, SystemRandom},
};

/// Prefix that makes leaked refresh tokens easy to recognise in scanners.
pub const PREFIX: &str = "igr_";

/// A new random refresh token (256 bits).
pub fn new_refresh_token() -> String {
    new_token(PREFIX)
}

/// A new random token of 256 bits after `prefix`, base64url without padding (43 characters).
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    SystemRandom::new().fill(&mut bytes).expect("system randomness");
    format!("{prefix}{}", B64.encode(bytes))
}

/// The hash under which a refresh token is stored.
pub fn hash(token: &str) -> String {
    let d = digest::digest(&digest::SHA256, token.as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hashes_stable() {
        let a = new_refresh_token();
        assert!(a.starts_with(PREFIX) && a.len() > 40);
        assert_ne!(a, new_refresh_token());
        assert_eq!(hash(&a), hash(&a));
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), a);
    }
}
