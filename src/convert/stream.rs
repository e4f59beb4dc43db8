//! Undoing a transfer encoding chunk by chunk, for streaming parts in constant memory.

use super::{
    base64_lenient,
    text::{TransferEncoding, quoted_printable},
    uuencode,
};

/// Undoes a transfer encoding chunk by chunk, keeping incomplete quanta (or lines) for the
/// next chunk, so that a part can be streamed in constant memory. The output is the same as
/// [`super::text::transfer`] of the whole part, however the input is cut.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    inner: Inner,
}

#[derive(Debug, Default)]
enum Inner {
    #[default]
    Identity,
    Base64(base64_lenient::Decoder),
    /// The bytes after the last complete escape.
    QuotedPrintable(Vec<u8>),
    Uuencode(uuencode::Decoder),
}

impl StreamDecoder {
    /// A decoder for a Content-Transfer-Encoding name.
    pub fn new(encoding: Option<&str>) -> Self {
        let inner = match TransferEncoding::of(encoding) {
            TransferEncoding::Identity => Inner::Identity,
            TransferEncoding::Base64 => Inner::Base64(base64_lenient::Decoder::default()),
            TransferEncoding::QuotedPrintable => Inner::QuotedPrintable(Vec::new()),
            TransferEncoding::Uuencode => Inner::Uuencode(uuencode::Decoder::default()),
        };
        Self { inner }
    }

    /// Decodes what can be decoded of `chunk`.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(chunk.len());
        match &mut self.inner {
            Inner::Identity => out.extend_from_slice(chunk),
            Inner::Base64(d) => d.push(chunk, &mut out),
            Inner::Uuencode(d) => d.push(chunk, &mut out),
            Inner::QuotedPrintable(pending) => {
                pending.extend_from_slice(chunk);
                // Keep a possibly incomplete escape (`=`, `=X`, `=\r`) for the next chunk.
                // (also `=` followed only by padding white space: a soft break whose line end
                // is in the next chunk).
                let keep = match pending.iter().rposition(|&b| b == b'=') {
                    Some(p) if pending.len() - p <= 2 => pending.len() - p,
                    Some(p) if pending[p + 1..].iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r')) => pending.len() - p,
                    _ => 0,
                };
                let rest = pending.split_off(pending.len() - keep);
                out = quoted_printable(pending).0;
                *pending = rest;
            }
        }
        out
    }

    /// Decodes whatever is left at the end.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        match &mut self.inner {
            Inner::Identity => {}
            Inner::Base64(d) => {
                d.finish(false, &mut out);
            }
            Inner::Uuencode(d) => {
                d.finish(false, &mut out);
            }
            Inner::QuotedPrintable(pending) => out = quoted_printable(&std::mem::take(pending)).0,
        }
        out
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
            let uu = uuencode::encode(&data, "data.bin");
            for (encoded, name) in [(wrapped, "base64"), (qp, "quoted-printable"), (uu, "x-uuencode")] {
                prop_assert_eq!(&streamed(&encoded, name, &cuts), &data, "{}", name);
            }
        }

        /// Broken input too (junk after the padding, bad lines, no `end`): the same bytes
        /// come out whole or in chunks.
        #[test]
        fn streaming_equals_whole_decoding_of_junk(
            pieces in prop::collection::vec(prop::sample::select(JUNK.to_vec()), 0..200),
            cuts in prop::collection::vec(1usize..40, 1..20),
        ) {
            let input = pieces.concat();
            for name in ["base64", "x-uuencode", "uuencode", "x-uue"] {
                let whole = crate::convert::text::transfer(&input, Some(name), false).0;
                prop_assert_eq!(streamed(&input, name, &cuts), whole, "{}", name);
            }
        }
    }

    /// Pieces that broken base64 and uuencode are made of.
    const JUNK: [&[u8]; 12] =
        [b"QUJD", b"YQ", b"=", b"==", b" ", b"\r\n", b"\n", b"*", b"begin 644 x\n", b"end\n", b"#86)C", b"M"];

    fn streamed(encoded: &[u8], name: &str, cuts: &[usize]) -> Vec<u8> {
        let mut dec = StreamDecoder::new(Some(name));
        let mut out = Vec::new();
        let mut rest = encoded;
        for &n in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (a, b) = rest.split_at(n.min(rest.len()));
            out.extend(dec.push(a));
            rest = b;
        }
        out.extend(dec.finish());
        out
    }
}
