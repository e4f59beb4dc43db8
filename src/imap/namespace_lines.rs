//! A NAMESPACE answer made readable for async-imap's parser, which has no NAMESPACE response
//! (RFC 2342): while the gateway's own NAMESPACE command runs, and only then, a line starting
//! with `* NAMESPACE ` reaches the parser as `* OK NAMESPACE …`; `connect::Conn` runs what it
//! reads through this.

/// The IMAP parser under async-imap has no NAMESPACE response (RFC 2342): an untagged
/// `* NAMESPACE …` line would fail to parse and cost the connection. While the gateway's own
/// NAMESPACE command runs (and only then), a line starting with `* NAMESPACE ` reaches the
/// parser as `* OK NAMESPACE …`, an untagged OK whose text `imap::namespace` reads. Nothing
/// else is changed; a line split over reads is held until it can be told apart.
#[derive(Debug, Default)]
pub struct NamespaceLines {
    /// Bytes read and not yet handed on, from the start of a line that may be the answer.
    pub held: Vec<u8>,
    /// Bytes ready to hand on.
    pub ready: Vec<u8>,
    /// False once the command is over: what is left is handed on as it is.
    pub active: bool,
    /// False while `held` begins a line.
    mid_line: bool,
}

const NAMESPACE_LINE: &[u8] = b"* NAMESPACE ";
const NAMESPACE_AS_OK: &[u8] = b"* OK NAMESPACE ";

impl NamespaceLines {
    /// Lines for a NAMESPACE command that is about to run.
    pub fn started() -> Self {
        Self { active: true, ..Default::default() }
    }

    /// Moves what is held to `ready`, the answer's line start rewritten; keeps a line start
    /// that may still become `* NAMESPACE `. With `end`, nothing more will come.
    pub fn process(&mut self, end: bool) {
        while !self.held.is_empty() {
            if !self.mid_line {
                let n = self.held.len().min(NAMESPACE_LINE.len());
                let start = self.held[..n].eq_ignore_ascii_case(&NAMESPACE_LINE[..n]);
                if start && n < NAMESPACE_LINE.len() && !end {
                    return;
                }
                if start && n == NAMESPACE_LINE.len() {
                    self.ready.extend_from_slice(NAMESPACE_AS_OK);
                    self.held.drain(..n);
                    self.mid_line = true;
                    continue;
                }
            }
            match self.held.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.ready.extend(self.held.drain(..=i));
                    self.mid_line = false;
                }
                None => {
                    self.ready.append(&mut self.held);
                    self.mid_line = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(chunks: &[&[u8]]) -> Vec<u8> {
        let mut lines = NamespaceLines::started();
        for c in chunks {
            lines.held.extend_from_slice(c);
            lines.process(false);
        }
        lines.process(true);
        lines.ready
    }

    #[test]
    fn the_answer_line_becomes_an_untagged_ok_however_it_is_split() {
        let answer: &[u8] = b"* 3 EXISTS\r\n* NAMESPACE ((\"\" \"/\")) NIL NIL\r\nA1 OK done\r\n";
        let want: &[u8] = b"* 3 EXISTS\r\n* OK NAMESPACE ((\"\" \"/\")) NIL NIL\r\nA1 OK done\r\n";
        assert_eq!(through(&[answer]), want);
        for cut in 1..answer.len() {
            assert_eq!(through(&[&answer[..cut], &answer[cut..]]), want, "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = answer.chunks(1).collect();
        assert_eq!(through(&bytes), want);
    }

    #[test]
    fn nothing_else_changes() {
        for other in [
            &b"* OK NAMESPACE x\r\n"[..],
            b"x * NAMESPACE y\r\n",
            b"* NAMESPAC",
            b"* 1 FETCH (FLAGS ())\r\n* NAMES\r\n",
        ] {
            assert_eq!(through(&[other]), other);
        }
    }
}
