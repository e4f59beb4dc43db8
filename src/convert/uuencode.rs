//! Lenient, resumable uudecoding for the `x-uuencode` family of transfer encodings: a
//! `begin <mode> <name>` line, data lines whose first character gives their length, an `end`
//! line. A missing `begin` or `end`, short and bad lines are tolerated and reported.

/// Longest line kept; longer ones (no uuencode line is) are skipped in constant memory.
const MAX_LINE: usize = 1024;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Looking for the `begin` line.
    #[default]
    Before,
    Body,
    /// After the `end` line: the rest is ignored.
    Ended,
}

/// A uudecoder fed in chunks of any size: it decodes whole lines, so the output over all
/// chunks plus [`Decoder::finish`] is the same however the input is cut.
#[derive(Debug, Default, Clone)]
pub struct Decoder {
    line: Vec<u8>,
    /// The current line passed [`MAX_LINE`]: skipped to its end.
    overlong: bool,
    state: State,
    problem: bool,
}

/// The six bits of one character (space and backquote are both zero).
fn value(c: u8) -> Option<u8> {
    (0x20..=0x60).contains(&c).then(|| (c - 0x20) & 0x3F)
}

/// Decodes a data line into `out`: Some(whether it was short) if it is one. `strict` (no
/// `begin` seen yet) accepts only lines of exactly the right length.
fn data_line(line: &[u8], strict: bool, out: &mut Vec<u8>) -> Option<bool> {
    let (&first, chars) = line.split_first()?;
    let n = usize::from(value(first)?);
    let need = n.div_ceil(3) * 4;
    let digits: Vec<u8> = chars.iter().map(|&c| value(c)).collect::<Option<_>>()?;
    if strict && (n == 0 || !(need..=need + 1).contains(&digits.len())) {
        return None;
    }
    let short = digits.len() < need;
    let mut bytes = Vec::with_capacity(n + 2);
    for q in (0..need).step_by(4) {
        let d = |i: usize| u32::from(digits.get(q + i).copied().unwrap_or(0));
        let word = d(0) << 18 | d(1) << 12 | d(2) << 6 | d(3);
        bytes.extend_from_slice(&word.to_be_bytes()[1..]);
    }
    out.extend_from_slice(&bytes[..n]);
    Some(short)
}

impl Decoder {
    /// Decodes the lines that `input` completes, appending them to `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut rest = input;
        while !rest.is_empty() {
            let end = rest.iter().position(|&b| b == b'\n');
            let (piece, tail) = match end {
                Some(p) => (&rest[..p], &rest[p + 1..]),
                None => (rest, &[][..]),
            };
            if !self.overlong {
                self.line.extend_from_slice(piece);
                if self.line.len() > MAX_LINE {
                    self.overlong = true;
                    self.problem = true;
                    self.line = Vec::new();
                }
            }
            if end.is_some() {
                if !self.overlong {
                    self.line_done(out);
                }
                self.line.clear();
                self.overlong = false;
            }
            rest = tail;
        }
    }

    fn line_done(&mut self, out: &mut Vec<u8>) {
        let line = self.line.strip_suffix(b"\r").unwrap_or(&self.line);
        let word = line.trim_ascii();
        let is_begin = word.starts_with(b"begin ");
        match self.state {
            State::Ended => {}
            _ if word.is_empty() => {}
            State::Before if is_begin => self.state = State::Body,
            State::Before => match data_line(line, true, out) {
                // Data without a `begin` line.
                Some(_) => (self.state, self.problem) = (State::Body, true),
                None => self.problem = true,
            },
            State::Body if word == b"end" => self.state = State::Ended,
            // Another file's `begin`: its data is taken as the continuation.
            State::Body if is_begin => {}
            State::Body => match data_line(line, false, out) {
                Some(short) => self.problem |= short,
                None => self.problem = true,
            },
        }
    }

    /// Ends the input. A last line without its line end is decoded, or dropped when the input
    /// was `truncated` (cut by a partial fetch, which also excuses a missing `end`).
    /// Returns whether anything was wrong.
    pub fn finish(&mut self, truncated: bool, out: &mut Vec<u8>) -> bool {
        if !truncated {
            if !self.overlong && !self.line.is_empty() {
                self.line_done(out);
            }
            self.problem |= self.state != State::Ended;
        }
        self.line.clear();
        self.overlong = false;
        self.problem
    }
}

/// Decodes all of `input`; the flag reports a missing `begin` or `end` and bad lines.
pub fn decode(input: &[u8], truncated: bool) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut d = Decoder::default();
    d.push(input, &mut out);
    let problem = d.finish(truncated, &mut out);
    (out, problem)
}

/// Encodes `data` as a whole uuencoded file (for tests).
#[cfg(test)]
pub(crate) fn encode(data: &[u8], name: &str) -> Vec<u8> {
    let char_of = |v: u32| if v == 0 { b'`' } else { 0x20 + v as u8 };
    let mut text = format!("begin 644 {name}\r\n").into_bytes();
    for line in data.chunks(45) {
        text.push(0x20 + line.len() as u8);
        for g in line.chunks(3) {
            let w = g.iter().enumerate().fold(0u32, |w, (i, &b)| w | u32::from(b) << (16 - 8 * i));
            text.extend([18, 12, 6, 0].map(|s| char_of(w >> s & 0x3F)));
        }
        text.extend_from_slice(b"\r\n");
    }
    text.extend_from_slice(b"`\r\nend\r\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `uuencode` (and Python's `binascii.b2a_uu`) makes of "Grüße, Welt!\n".
    const GREETING: &[u8] = b"begin 644 hello.txt\r\n/1W+#O,.?92P@5V5L=\"$*\r\n`\r\nend\r\n";
    const TEXT: &str = "Grüße, Welt!\n";

    #[test]
    fn a_well_formed_file_decodes_without_a_problem() {
        assert_eq!(decode(GREETING, false), (TEXT.as_bytes().to_vec(), false));
        assert_eq!(encode(TEXT.as_bytes(), "hello.txt"), GREETING);
        let data: Vec<u8> = (0..=255).cycle().take(1000).collect();
        assert_eq!(decode(&encode(&data, "bytes.bin"), false), (data, false));
        assert_eq!(decode(&encode(b"", "empty"), false), (Vec::new(), false));
    }

    #[test]
    fn missing_begin_or_end_and_bad_lines_are_tolerated_and_reported() {
        let body = &GREETING[b"begin 644 hello.txt\r\n".len()..];
        assert_eq!(decode(body, false), (TEXT.as_bytes().to_vec(), true), "no begin");
        let no_end = &GREETING[..GREETING.len() - b"end\r\n".len()];
        assert_eq!(decode(no_end, false), (TEXT.as_bytes().to_vec(), true), "no end");
        assert_eq!(decode(no_end, true), (TEXT.as_bytes().to_vec(), false), "cut by a partial fetch");
        let cut = &GREETING[..30];
        assert_eq!(decode(cut, true), (Vec::new(), false), "a cut line is dropped");
        let bad = b"begin 644 x\n~~~ not uuencode\n/1W+#O,.?92P@5V5L=\"$*\nend\n";
        assert_eq!(decode(bad, false), (TEXT.as_bytes().to_vec(), true), "a bad line");
        // Trailing spaces stripped in transit: the missing digits are zero.
        assert_eq!(decode(b"begin 644 x\n#86)C\n$86)C\nend\n", false), (b"abcabc\0".to_vec(), true));
        assert_eq!(decode(b"", false), (Vec::new(), true));
        assert_eq!(decode(&[b'M'; 5000], false), (Vec::new(), true), "an overlong line");
        assert_eq!(decode(b"Hello there\nend\n", false), (Vec::new(), true), "plain text");
        assert_eq!(decode(b"begin 644 x\n#8\r6)C\nend\n", false), (Vec::new(), true), "a control character");
    }
}
