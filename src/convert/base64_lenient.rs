//! Lenient, resumable base64 decoding (RFC 2045 §6.8) as mail readers do it: characters outside
//! the alphabet are skipped, the padding ends the data and whatever follows it is ignored; both
//! are reported as a problem, never a failure.

/// Not a base64 digit.
const INVALID: u8 = 0xFF;

static DIGITS: [u8; 256] = table();

const fn table() -> [u8; 256] {
    let mut t = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t
}

/// A base64 decoder fed in chunks of any size: the output of [`Decoder::push`] over all
/// chunks plus [`Decoder::finish`] is the same however the input is cut.
#[derive(Debug, Default, Clone)]
pub struct Decoder {
    /// Digits of the current quantum, six bits each.
    acc: u32,
    /// How many digits `acc` holds (0 to 3).
    digits: u8,
    /// The padding was seen: the data has ended.
    ended: bool,
    problem: bool,
}

impl Decoder {
    /// Decodes what `input` completes, appending it to `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut rest = input;
        while let Some((&c, tail)) = rest.split_first() {
            rest = tail;
            if self.ended {
                // After the padding: only more padding and white space belong here.
                self.problem |= !(c == b'=' || c.is_ascii_whitespace());
                continue;
            }
            let d = DIGITS[c as usize];
            if d != INVALID {
                self.acc = self.acc << 6 | u32::from(d);
                self.digits += 1;
                if self.digits == 4 {
                    out.extend_from_slice(&self.acc.to_be_bytes()[1..]);
                    (self.acc, self.digits) = (0, 0);
                    rest = self.whole_quanta(rest, out);
                }
            } else if c == b'=' {
                // Padding is only right after two or three digits of a quantum.
                self.problem |= !self.flush(out);
                self.ended = true;
            } else if !c.is_ascii_whitespace() {
                self.problem = true;
            }
        }
    }

    /// Fast path: runs of four digits at a quantum boundary.
    fn whole_quanta<'a>(&mut self, mut rest: &'a [u8], out: &mut Vec<u8>) -> &'a [u8] {
        while let [a, b, c, d, tail @ ..] = rest {
            let q = [DIGITS[*a as usize], DIGITS[*b as usize], DIGITS[*c as usize], DIGITS[*d as usize]];
            if q.contains(&INVALID) {
                break;
            }
            let word = u32::from(q[0]) << 18 | u32::from(q[1]) << 12 | u32::from(q[2]) << 6 | u32::from(q[3]);
            out.extend_from_slice(&word.to_be_bytes()[1..]);
            rest = tail;
        }
        rest
    }

    /// Writes the bytes of an incomplete quantum; false when it cannot hold any (one digit).
    fn flush(&mut self, out: &mut Vec<u8>) -> bool {
        let (acc, digits) = (self.acc, self.digits);
        (self.acc, self.digits) = (0, 0);
        match digits {
            2 => out.push((acc >> 4) as u8),
            3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
            _ => return false,
        }
        true
    }

    /// Ends the input: an incomplete last quantum is decoded (missing padding is tolerated),
    /// or dropped without a problem when the input was `truncated` (cut by a partial fetch).
    /// Returns whether anything was wrong.
    pub fn finish(&mut self, truncated: bool, out: &mut Vec<u8>) -> bool {
        if !self.ended && self.digits > 0 {
            if truncated {
                (self.acc, self.digits) = (0, 0);
            } else {
                self.problem |= !self.flush(out);
            }
        }
        self.problem
    }
}

/// Decodes all of `input`; the flag reports skipped characters or data after the padding.
pub fn decode(input: &[u8], truncated: bool) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let mut d = Decoder::default();
    d.push(input, &mut out);
    let problem = d.finish(truncated, &mut out);
    (out, problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_input_decodes_without_a_problem() {
        assert_eq!(decode(b"aGVsbG8gd29y\r\nbGQ=", false), (b"hello world".to_vec(), false));
        assert_eq!(decode(b"aGVsbG8gd29ybGQ", false), (b"hello world".to_vec(), false), "padding missing");
        assert_eq!(decode(b"YQ==\r\n", false), (b"a".to_vec(), false));
        assert_eq!(decode(b"", false), (Vec::new(), false));
        assert_eq!(decode(b"aGVsbG8gd29", true), (b"hello ".to_vec(), false), "cut quantum dropped");
    }

    #[test]
    fn junk_after_the_padding_is_ignored_and_reported() {
        let (out, problem) = decode(b"ecO2dMOkIHZhYW4uCg== ignored", false);
        assert_eq!(String::from_utf8(out).expect("utf-8"), "yötä vaan.\n");
        assert!(problem);
        // The padding splits a quantum across chunks, junk follows in another.
        let mut d = Decoder::default();
        let mut out = Vec::new();
        for piece in [&b"ecO2dMOkIHZhYW4uC"[..], b"g=", b"= ig", b"nored\r\n"] {
            d.push(piece, &mut out);
        }
        assert!(d.finish(false, &mut out));
        assert_eq!(out, "yötä vaan.\n".as_bytes());
    }

    #[test]
    fn characters_outside_the_alphabet_are_skipped_and_reported() {
        assert_eq!(decode(b"aGVs*bG8=", false), (b"hello".to_vec(), true));
        assert_eq!(decode(b"YWJj=", false), (b"abc".to_vec(), true), "padding after a whole quantum");
        assert_eq!(decode(b"YWJjZ", false), (b"abc".to_vec(), true), "one lone digit");
    }
}
