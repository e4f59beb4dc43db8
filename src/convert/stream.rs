//! Undoing a transfer encoding chunk by chunk, for streaming parts in constant memory.

use super::{
    base64_lenient,
    text::{TransferEncoding, quoted_printable, quoted_printable_part},
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
                // Decode up to an escape (or a soft break's padding) that the next chunk may
                // complete, and keep that for it.
                pending.extend_from_slice(chunk);
                let used;
                (out, _, used) = quoted_printable_part(pending, false);
                pending.drain(..used);
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
            for name in ["base64", "x-uuencode", "uuencode", "x-uue", "quoted-printable"] {
                let whole = crate::convert::text::transfer(&input, Some(name), false).0;
                prop_assert_eq!(streamed(&input, name, &cuts), whole, "{}", name);
            }
        }
    }

    #[test]
    fn a_malformed_escape_cut_by_chunks_decodes_as_the_whole_part_does() {
        let whole = crate::convert::text::transfer(b"a===", Some("quoted-printable"), false).0;
        assert_eq!(whole, b"a=");
        assert_eq!(streamed(b"a===", "quoted-printable", &[1]), whole);
    }

    #[test]
    fn white_space_after_an_escape_is_held_back_for_at_most_a_line() {
        let mut dec = StreamDecoder::new(Some("quoted-printable"));
        let mut out = dec.push(b"a=");
        for _ in 0..1024 {
            out.extend(dec.push(&[b' '; 1024]));
        }
        // a MiB of spaces after `=` is no soft break: it comes out as it goes in, not held
        assert!(out.len() >= 1024 * 1024 - 1000, "{} bytes out of a MiB", out.len());
        out.extend(dec.finish());
        let mut whole = b"a=".to_vec();
        whole.extend(std::iter::repeat_n(b' ', 1024 * 1024));
        assert_eq!(out, crate::convert::text::transfer(&whole, Some("quoted-printable"), false).0);
        assert_eq!(&out[..2], b"a=");
    }

    /// Pieces that broken base64, uuencode and quoted-printable are made of.
    const JUNK: [&[u8]; 17] = [
        b"QUJD",
        b"YQ",
        b"=",
        b"==",
        b" ",
        b"\r\n",
        b"\n",
        b"*",
        b"begin 644 x\n",
        b"end\n",
        b"#86)C",
        b"M",
        b"\r",
        b"\t",
        b"=C3",
        b"A",
        b"=\r\n",
    ];

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
