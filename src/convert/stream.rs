//! Undoing a transfer encoding chunk by chunk, for streaming parts in constant memory.

use super::text::{quoted_printable, transfer};

/// Undoes a transfer encoding chunk by chunk, keeping incomplete quanta for the next chunk, so
/// that a part can be streamed in constant memory.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    encoding: Encoding,
    pending: Vec<u8>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    #[default]
    Identity,
    Base64,
    QuotedPrintable,
}

impl StreamDecoder {
    /// A decoder for a Content-Transfer-Encoding name.
    pub fn new(encoding: Option<&str>) -> Self {
        let encoding = match encoding.map(str::to_ascii_lowercase).as_deref() {
            Some("base64") => Encoding::Base64,
            Some("quoted-printable") => Encoding::QuotedPrintable,
            _ => Encoding::Identity,
        };
        Self { encoding, pending: Vec::new() }
    }

    /// Decodes what can be decoded of `chunk`.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        match self.encoding {
            Encoding::Identity => chunk.to_vec(),
            Encoding::Base64 => {
                self.pending.extend(chunk.iter().copied().filter(|b| !b.is_ascii_whitespace()));
                let whole = self.pending.len() / 4 * 4;
                let rest = self.pending.split_off(whole);
                let out = transfer(&self.pending, Some("base64"), true).0;
                self.pending = rest;
                out
            }
            Encoding::QuotedPrintable => {
                self.pending.extend_from_slice(chunk);
                // Keep a possibly incomplete escape (`=`, `=X`, `=\r`) for the next chunk.
                // (also `=` followed only by padding white space: a soft break whose line end
                // is in the next chunk).
                let keep = match self.pending.iter().rposition(|&b| b == b'=') {
                    Some(p) if self.pending.len() - p <= 2 => self.pending.len() - p,
                    Some(p) if self.pending[p + 1..].iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r')) => {
                        self.pending.len() - p
                    }
                    _ => 0,
                };
                let cut = self.pending.len() - keep;
                let rest = self.pending.split_off(cut);
                let out = quoted_printable(&self.pending).0;
                self.pending = rest;
                out
            }
        }
    }

    /// Decodes whatever is left at the end.
    pub fn finish(&mut self) -> Vec<u8> {
        let rest = std::mem::take(&mut self.pending);
        match self.encoding {
            Encoding::Identity => rest,
            Encoding::Base64 => transfer(&rest, Some("base64"), false).0,
            Encoding::QuotedPrintable => quoted_printable(&rest).0,
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn streaming_equals_whole_decoding(data in prop::collection::vec(any::<u8>(), 0..2000), cuts in prop::collection::vec(1usize..300, 1..20)) {
            let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
            let wrapped: Vec<u8> = b64.as_bytes().chunks(76).flat_map(|l| [l, b"\r\n"].concat()).collect();
            let mut qp: Vec<u8> = data.iter().flat_map(|b| format!("={b:02X}").into_bytes()).collect();
            // Soft breaks with padding, which a chunk boundary may split.
            for at in (0..qp.len()).step_by(61).rev().filter(|i| i % 3 == 0) {
                qp.splice(at..at, b"=  \t\r\n".iter().copied());
            }
            for (encoded, name) in [(wrapped, "base64"), (qp, "quoted-printable")] {
                let mut dec = StreamDecoder::new(Some(name));
                let mut out = Vec::new();
                let mut rest = encoded.as_slice();
                for &n in cuts.iter().cycle() {
                    if rest.is_empty() { break; }
                    let (a, b) = rest.split_at(n.min(rest.len()));
                    out.extend(dec.push(a));
                    rest = b;
                }
                out.extend(dec.finish());
                prop_assert_eq!(&out, &data, "{}", name);
            }
        }
    }
}
