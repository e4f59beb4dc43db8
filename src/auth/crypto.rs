//! AEAD encryption of stored IMAP credentials: AES-256-GCM, `v1:<key id>:<nonce>:<ct>`, with
//! associated data binding each ciphertext to its account row and field.

use std::collections::BTreeMap;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use ring::{
    aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    rand::{SecureRandom, SystemRandom},
};

/// Why a stored secret could not be decrypted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// Not in the `v1:` envelope format (never treated as cleartext).
    #[error("stored secret is not in the v1 format")]
    Format,
    /// Encrypted with a key id this process does not have.
    #[error("stored secret uses unknown key id {0}")]
    UnknownKey(String),
    /// Wrong key, wrong account (AAD), or tampered data.
    #[error("stored secret failed authentication")]
    Auth,
}

/// The current key plus older ones still accepted for decryption.
pub struct Keyring {
    current_id: String,
    keys: BTreeMap<String, LessSafeKey>,
    rng: SystemRandom,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("current_id", &self.current_id).finish_non_exhaustive()
    }
}

fn aad(account_id: &str, field: &str) -> Vec<u8> {
    format!("imap-gateway|accounts|{account_id}|{field}|v1").into_bytes()
}

impl Keyring {
    /// Builds a keyring; `current` encrypts, all decrypt.
    pub fn new(current_id: &str, current: [u8; 32], previous: impl IntoIterator<Item = (String, [u8; 32])>) -> Self {
        let mut keys = BTreeMap::new();
        for (id, k) in previous.into_iter().chain([(current_id.to_string(), current)]) {
            let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &k).expect("32-byte key"));
            keys.insert(id, key);
        }
        Self { current_id: current_id.to_string(), keys, rng: SystemRandom::new() }
    }

    /// Encrypts `plaintext` for `field` of account `account_id`.
    pub fn seal(&self, account_id: &str, field: &str, plaintext: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).expect("system randomness");
        let key = &self.keys[&self.current_id];
        let mut buf = plaintext.as_bytes().to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad(account_id, field)), &mut buf)
            .expect("AES-GCM seal");
        format!("v1:{}:{}:{}", self.current_id, B64.encode(nonce), B64.encode(buf))
    }

    /// Decrypts a value sealed for the same account and field.
    pub fn open(&self, account_id: &str, field: &str, sealed: &str) -> Result<String, CryptoError> {
        let mut parts = sealed.split(':');
        let (Some("v1"), Some(kid), Some(nonce), Some(ct), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(CryptoError::Format);
        };
        let key = self.keys.get(kid).ok_or_else(|| CryptoError::UnknownKey(kid.to_string()))?;
        let nonce: [u8; NONCE_LEN] =
            B64.decode(nonce).map_err(|_| CryptoError::Format)?.try_into().map_err(|_| CryptoError::Format)?;
        let mut buf = B64.decode(ct).map_err(|_| CryptoError::Format)?;
        let plain = key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad(account_id, field)), &mut buf)
            .map_err(|_| CryptoError::Auth)?;
        String::from_utf8(plain.to_vec()).map_err(|_| CryptoError::Auth)
    }

    /// True if `sealed` was made with an older key and should be re-encrypted.
    pub fn needs_rotation(&self, sealed: &str) -> bool {
        sealed.split(':').nth(1) != Some(self.current_id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(id: &str, byte: u8) -> Keyring {
        Keyring::new(id, [byte; 32], [])
    }

    #[test]
    fn round_trips_and_never_repeats_a_nonce() {
        let k = ring("k1", 7);
        let a = k.seal("acct-1", "password", "pässwörd");
        let b = k.seal("acct-1", "password", "pässwörd");
        assert_ne!(a, b);
        assert!(a.starts_with("v1:k1:"));
        assert!(!a.contains("pässwörd"));
        assert_eq!(k.open("acct-1", "password", &a).as_deref(), Ok("pässwörd"));
    }

    #[test]
    fn ciphertext_swapped_to_another_account_fails() {
        let k = ring("k1", 7);
        let sealed = k.seal("alice-row", "password", "alice-pass");
        assert_eq!(k.open("bob-row", "password", &sealed), Err(CryptoError::Auth));
        assert_eq!(k.open("alice-row", "token", &sealed), Err(CryptoError::Auth));
    }

    #[test]
    fn cleartext_and_tampering_are_refused() {
        let k = ring("k1", 7);
        assert_eq!(k.open("a", "password", "alice-pass"), Err(CryptoError::Format));
        let sealed = k.seal("a", "password", "secret");
        let (head, ct) = sealed.rsplit_once(':').expect("envelope");
        let mut bytes = B64.decode(ct).expect("b64");
        bytes[0] ^= 1;
        let tampered = format!("{head}:{}", B64.encode(bytes));
        assert_eq!(k.open("a", "password", &tampered), Err(CryptoError::Auth));
    }

    #[test]
    fn rotation_keeps_old_ciphertexts_readable() {
        let old = ring("k1", 1);
        let sealed = old.seal("a", "password", "secret");
        let new = Keyring::new("k2", [2; 32], [("k1".to_string(), [1; 32])]);
        assert_eq!(new.open("a", "password", &sealed).as_deref(), Ok("secret"));
        assert!(new.needs_rotation(&sealed));
        assert!(!new.needs_rotation(&new.seal("a", "password", "secret")));
        let without_old = ring("k2", 2);
        assert_eq!(without_old.open("a", "password", &sealed), Err(CryptoError::UnknownKey("k1".into())));
    }
}
