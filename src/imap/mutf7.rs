//! Modified UTF-7 (RFC 3501 §5.1.3) for mailbox names: pure, total, never panics.

use base64::{Engine as _, alphabet, engine::GeneralPurpose, engine::GeneralPurposeConfig};

/// base64 with `,` instead of `/` and no padding, as modified UTF-7 requires.
const MB64: GeneralPurpose = GeneralPurpose::new(
    &match alphabet::Alphabet::new("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,") {
        Ok(a) => a,
        Err(_) => panic!("static alphabet"),
    },
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone),
);

/// Encodes a UTF-8 mailbox name: printable ASCII stays, `&` becomes `&-`, the rest is
/// base64 of UTF-16BE between `&` and `-`.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        out.push_str(&MB64.encode(bytes));
        out.push('-');
        pending.clear();
    };
    for ch in name.chars() {
        if (' '..='~').contains(&ch) {
            flush(&mut pending, &mut out);
            if ch == '&' {
                out.push_str("&-");
            } else {
                out.push(ch);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(ch.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// Decodes a modified UTF-7 name. Anything malformed is kept verbatim, so a server that
/// sends raw UTF-8 (or garbage) still yields a usable name.
pub fn decode(wire: &str) -> String {
    let mut out = String::with_capacity(wire.len());
    let mut rest = wire;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('-') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let run = &after[..end];
        if run.is_empty() {
            out.push('&');
        } else {
            match decode_run(run) {
                Some(text) => out.push_str(&text),
                None => out.push_str(&rest[start..start + 2 + end]),
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn decode_run(run: &str) -> Option<String> {
    let bytes = MB64.decode(run).ok()?;
    if bytes.len() % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
    String::from_utf16(&units).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[track_caller]
    fn check(utf8: &str, wire: &str) {
        assert_eq!(encode(utf8), wire, "encode {utf8:?}");
        assert_eq!(decode(wire), utf8, "decode {wire:?}");
    }

    #[test]
    fn known_names_round_trip() {
        check("INBOX", "INBOX");
        check("Entwürfe", "Entw&APw-rfe");
        check("A&B", "A&-B");
        check("日本語", "&ZeVnLIqe-");
        check("Тест/Sub", "&BCIENQRBBEI-/Sub");
        check("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
        check("😀", "&2D3eAA-");
    }

    #[test]
    fn malformed_input_is_kept_verbatim() {
        assert_eq!(decode("a&"), "a&");
        assert_eq!(decode("a&!!!-b"), "a&!!!-b");
        assert_eq!(decode("Entwürfe"), "Entwürfe");
    }

    proptest! {
        #[test]
        fn any_unicode_round_trips(name in "\\PC*") {
            let wire = encode(&name);
            prop_assert!(wire.bytes().all(|b| (0x20..0x7f).contains(&b)));
            prop_assert_eq!(decode(&wire), name);
        }
    }
}
