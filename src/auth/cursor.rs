//! Opaque, HMAC-signed page cursors: they carry the UID keyset and the UIDVALIDITY it belongs
//! to, bound to one account and mailbox, so that a client can neither forge nor move them.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use ring::hmac;
use serde::{Deserialize, Serialize};

/// What a cursor says.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Cursor {
    /// Format version.
    pub v: u8,
    /// Account id.
    pub a: String,
    /// Mailbox name.
    pub m: String,
    /// UIDVALIDITY of the UIDs.
    pub uv: u32,
    /// The last UID the client saw: the next page holds UIDs below it (newest-first order) or
    /// after it (sorted searches).
    pub before: u32,
    /// Hash of the search the cursor belongs to (searches only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
}

/// Why a cursor was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    /// Not a cursor of this gateway (or tampered with).
    #[error("the cursor is not valid")]
    Invalid,
    /// A cursor of another account or mailbox.
    #[error("the cursor belongs to another mailbox")]
    Elsewhere,
}

/// Signs and checks cursors.
pub struct Cursors {
    key: hmac::Key,
}

impl std::fmt::Debug for Cursors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cursors")
    }
}

impl Cursors {
    /// Derives the cursor key from the token secret (a separate key, never the secret itself).
    pub fn new(secret: &[u8]) -> Self {
        let derived = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), b"imap-gateway cursor key v1");
        Self { key: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()) }
    }

    /// The opaque string for a cursor.
    pub fn seal(&self, c: &Cursor) -> String {
        let payload = B64.encode(serde_json::to_vec(c).expect("cursor serializes"));
        let tag = B64.encode(hmac::sign(&self.key, payload.as_bytes()));
        format!("c1.{payload}.{tag}")
    }

    /// Checks signature, account and mailbox.
    pub fn open(&self, s: &str, account: &str, mailbox: &str) -> Result<Cursor, CursorError> {
        let mut it = s.split('.');
        let (Some("c1"), Some(payload), Some(tag), None) = (it.next(), it.next(), it.next(), it.next()) else {
            return Err(CursorError::Invalid);
        };
        let tag = B64.decode(tag).map_err(|_| CursorError::Invalid)?;
        hmac::verify(&self.key, payload.as_bytes(), &tag).map_err(|_| CursorError::Invalid)?;
        let c: Cursor = serde_json::from_slice(&B64.decode(payload).map_err(|_| CursorError::Invalid)?)
            .map_err(|_| CursorError::Invalid)?;
        if c.v != 1 {
            return Err(CursorError::Invalid);
        }
        if c.a != account || c.m != mailbox {
            return Err(CursorError::Elsewhere);
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_resist_tampering() {
        let k = Cursors::new(b"0123456789abcdef0123456789abcdef");
        let c = Cursor { v: 1, a: "acct".into(), m: "INBOX".into(), uv: 7, before: 100, q: None };
        let s = k.seal(&c);
        assert_eq!(k.open(&s, "acct", "INBOX"), Ok(c.clone()));
        assert_eq!(k.open(&s, "other", "INBOX"), Err(CursorError::Elsewhere));
        assert_eq!(k.open(&s, "acct", "Sent"), Err(CursorError::Elsewhere));
        let forged = Cursor { before: 5, ..c };
        let payload = B64.encode(serde_json::to_vec(&forged).expect("json"));
        let tag = s.rsplit('.').next().expect("tag");
        assert_eq!(k.open(&format!("c1.{payload}.{tag}"), "acct", "INBOX"), Err(CursorError::Invalid));
        assert_eq!(
            Cursors::new(b"another-secret-another-secret-xx").open(&s, "acct", "INBOX"),
            Err(CursorError::Invalid)
        );
        assert_eq!(k.open("garbage", "acct", "INBOX"), Err(CursorError::Invalid));
    }
}
