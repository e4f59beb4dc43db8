//! Mailbox state tokens: `ms1.` (UIDVALIDITY, HIGHESTMODSEQ, UIDNEXT, EXISTS) from any mailbox
//! response, and `sc1.` (a scan snapshot id) from `/changes` on servers without CONDSTORE. Both
//! are base64url of dot-separated decimals; neither is trusted beyond its numbers. A `/changes`
//! page that ends inside a run of messages sharing one MODSEQ adds a fifth number to `ms1.`:
//! the last UID delivered at the MODSEQ after its own.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};

/// A state the client once saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Since {
    /// From a mailbox response.
    Mod(ModState),
    /// From a scan answer.
    Scan(ScanState),
}

/// The parts of an `ms1.` token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModState {
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// HIGHESTMODSEQ (0 without CONDSTORE).
    pub mod_seq: u64,
    /// UIDNEXT.
    pub uid_next: u32,
    /// Number of messages.
    pub exists: u32,
    /// Changes at MODSEQ `mod_seq + 1` with a UID up to this were delivered (0: none; only in
    /// the intermediate states of `/changes` pages).
    pub after_uid: u32,
}

/// The parts of an `sc1.` token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanState {
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// The snapshot's id.
    pub id: u64,
}

impl Since {}

/// The `ms1.` token of a mailbox state.
pub fn mod_token(s: ModState) -> String {
    let mut raw = format!("{}.{}.{}.{}", s.uid_validity, s.mod_seq, s.uid_next, s.exists);
    if s.after_uid > 0 {
        raw.push_str(&format!(".{}", s.after_uid));
    }
    format!("ms1.{}", URL_SAFE_NO_PAD.encode(raw))
}

/// The `sc1.` token of a scan snapshot.
pub fn scan_token(s: ScanState) -> String {
    format!("sc1.{}", URL_SAFE_NO_PAD.encode(format!("{}.{}", s.uid_validity, s.id)))
}

/// Parses either kind of token; `None` for anything else.
pub fn parse(token: &str) -> Option<Since> {
    let (kind, body) = token.split_once('.')?;
    if body.len() > 128 {
        return None;
    }
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
    let parts: Vec<&str> = raw.split('.').collect();
    let digits = parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !digits {
        return None;
    }
    match (kind, parts.as_slice()) {
        ("ms1", [uv, ms, next, exists, after @ ..]) if after.len() <= 1 => Some(Since::Mod(ModState {
            uid_validity: uv.parse().ok()?,
            mod_seq: ms.parse().ok()?,
            uid_next: next.parse().ok()?,
            exists: exists.parse().ok()?,
            after_uid: after.first().map_or(Some(0), |a| a.parse().ok())?,
        })),
        ("sc1", [uv, id]) => Some(Since::Scan(ScanState { uid_validity: uv.parse().ok()?, id: id.parse().ok()? })),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_garbage_is_refused() {
        let m = ModState { uid_validity: 7, mod_seq: u64::MAX, uid_next: 42, exists: 40, after_uid: 0 };
        assert_eq!(parse(&mod_token(m)), Some(Since::Mod(m)));
        assert_eq!(mod_token(m), format!("ms1.{}", URL_SAFE_NO_PAD.encode(format!("7.{}.42.40", u64::MAX))));
        let mid = ModState { after_uid: u32::MAX, ..m };
        assert_eq!(parse(&mod_token(mid)), Some(Since::Mod(mid)));
        let six = format!("ms1.{}", URL_SAFE_NO_PAD.encode("7.1.2.3.4.5"));
        assert_eq!(parse(&six), None);
        let s = ScanState { uid_validity: 9, id: 123_456 };
        assert_eq!(parse(&scan_token(s)), Some(Since::Scan(s)));
        for bad in ["", "ms1", "ms1.", "ms2.Ny4xLjEuMQ", "ms1.!!!", "sc1.Ny4xLjEuMQ"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        let minus = format!("ms1.{}", URL_SAFE_NO_PAD.encode("7.-1.2.3"));
        assert_eq!(parse(&minus), None);
        let overflow = format!("ms1.{}", URL_SAFE_NO_PAD.encode("4294967296.1.2.3"));
        assert_eq!(parse(&overflow), None);
    }
}
