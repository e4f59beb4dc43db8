//! Delivery signatures as Standard Webhooks (standardwebhooks.com) define them: `webhook-id`,
//! `webhook-timestamp` (seconds) and `webhook-signature: v1,<base64 HMAC-SHA256>` over
//! `"{id}.{timestamp}.{body}"`, keyed with the secret's bytes: the base64 after `whsec_`.
//! The official `standardwebhooks` libraries verify them. Receivers reject stale timestamps.

use base64::{
    Engine as _,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use ring::{
    hmac,
    rand::{SecureRandom, SystemRandom},
};

/// A new secret: `whsec_` and 256 random bits in standard base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    SystemRandom::new().fill(&mut bytes).expect("system randomness");
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// The HMAC key of a secret: its base64 part decoded (standard base64, or the URL-safe form
/// without padding that secrets made before Standard Webhooks used); a secret that is no
/// base64 at all keys with its own bytes.
fn key(secret: &str) -> hmac::Key {
    let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
    let bytes =
        STANDARD.decode(b64).or_else(|_| URL_SAFE_NO_PAD.decode(b64)).unwrap_or_else(|_| b64.as_bytes().to_vec());
    hmac::Key::new(hmac::HMAC_SHA256, &bytes)
}

fn signed_content(id: &str, timestamp: i64, body: &str) -> Vec<u8> {
    format!("{id}.{timestamp}.{body}").into_bytes()
}

/// The `webhook-signature` value for delivery `id` of `body` sent at `timestamp` (seconds
/// since the epoch).
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let tag = hmac::sign(&key(secret), &signed_content(id, timestamp, body));
    format!("v1,{}", STANDARD.encode(tag.as_ref()))
}

/// Checks a `webhook-signature` header (space-separated `v1,<base64>` entries, any of which
/// may match) in constant time: what a receiver does.
pub fn verify(secret: &str, id: &str, timestamp: i64, body: &str, header: &str) -> bool {
    let key = key(secret);
    let content = signed_content(id, timestamp, body);
    header
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .any(|b64| STANDARD.decode(b64).is_ok_and(|tag| hmac::verify(&key, &content, &tag).is_ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_any_change_breaks_them() {
        let secret = new_secret();
        assert!(secret.starts_with("whsec_") && STANDARD.decode(&secret[6..]).is_ok_and(|k| k.len() == 32));
        let sig = signature(&secret, "msg_1", 1_700_000_000, r#"{"a":1}"#);
        assert!(verify(&secret, "msg_1", 1_700_000_000, r#"{"a":1}"#, &sig));
        assert!(verify(&secret, "msg_1", 1_700_000_000, r#"{"a":1}"#, &format!("v1,AAAA {sig}")), "any entry");
        assert!(!verify(&secret, "msg_2", 1_700_000_000, r#"{"a":1}"#, &sig));
        assert!(!verify(&secret, "msg_1", 1_700_000_001, r#"{"a":1}"#, &sig));
        assert!(!verify(&secret, "msg_1", 1_700_000_000, r#"{"a":2}"#, &sig));
        assert!(!verify(&new_secret(), "msg_1", 1_700_000_000, r#"{"a":1}"#, &sig));
        assert!(!verify(&secret, "msg_1", 1_700_000_000, r#"{"a":1}"#, "v1,zz"));
    }

    #[test]
    fn the_standard_webhooks_example_signs_as_the_specification_says() {
        // The example of the Standard Webhooks specification (and of its libraries' tests).
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let sig = signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_made_before_keep_their_key() {
        let old = format!("whsec_{}", URL_SAFE_NO_PAD.encode([0xfbu8; 32]));
        let same = format!("whsec_{}", STANDARD.encode([0xfbu8; 32]));
        assert_eq!(signature(&old, "m", 1, "x"), signature(&same, "m", 1, "x"));
    }
}
