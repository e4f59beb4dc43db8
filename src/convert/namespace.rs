//! The NAMESPACE answer (RFC 2342) as text: its three groups (personal, other users', shared),
//! each a list of (prefix, delimiter) with the prefixes still in modified UTF-7. Extension data
//! of a namespace is skipped.

/// One namespace: its prefix (modified UTF-7, as sent) and hierarchy delimiter.
pub type Namespace = (String, Option<String>);

/// The three groups of a `NAMESPACE` answer's text (`(("" "/")) NIL NIL`), or `None` when it
/// does not parse.
pub fn parse(text: &str) -> Option<[Vec<Namespace>; 3]> {
    let mut p = Parser { s: text.as_bytes(), at: 0 };
    let groups = [p.group()?, p.group()?, p.group()?];
    p.spaces();
    (p.at == p.s.len()).then_some(groups)
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn spaces(&mut self) {
        while self.s.get(self.at) == Some(&b' ') {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.spaces();
        (self.s.get(self.at) == Some(&b)).then(|| self.at += 1)
    }

    fn nil(&mut self) -> bool {
        self.spaces();
        let nil = self.s.get(self.at..self.at + 3).is_some_and(|w| w.eq_ignore_ascii_case(b"NIL"));
        if nil {
            self.at += 3;
        }
        nil
    }

    /// A quoted string, or NIL as `None`.
    fn nstring(&mut self) -> Option<Option<String>> {
        if self.nil() {
            return Some(None);
        }
        self.eat(b'"')?;
        let mut out = Vec::new();
        loop {
            match *self.s.get(self.at)? {
                b'"' => break,
                b'\\' => {
                    self.at += 1;
                    out.push(*self.s.get(self.at)?);
                }
                b => out.push(b),
            }
            self.at += 1;
        }
        self.at += 1;
        Some(Some(String::from_utf8(out).ok()?))
    }

    /// Skips extension data up to the `)` that closes the namespace.
    fn skip_to_close(&mut self) -> Option<()> {
        let mut depth = 0usize;
        let mut quoted = false;
        loop {
            let b = *self.s.get(self.at)?;
            self.at += 1;
            match b {
                b'\\' if quoted => self.at += 1,
                b'"' => quoted = !quoted,
                b'(' if !quoted => depth += 1,
                b')' if !quoted && depth == 0 => return Some(()),
                b')' if !quoted => depth -= 1,
                _ => {}
            }
        }
    }

    fn group(&mut self) -> Option<Vec<Namespace>> {
        if self.nil() {
            return Some(Vec::new());
        }
        self.eat(b'(')?;
        let mut out = Vec::new();
        while self.eat(b'(').is_some() {
            let prefix = self.nstring()??;
            let delimiter = self.nstring()?;
            self.skip_to_close()?;
            out.push((prefix, delimiter));
        }
        self.eat(b')')?;
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_groups_parse_with_nil_and_extensions() {
        let dovecot = parse(r#"(("" "/")) NIL NIL"#).expect("parses");
        assert_eq!(dovecot, [vec![(String::new(), Some("/".into()))], vec![], vec![]]);
        let cyrus = parse(r#"(("" "/")) (("Other Users/" "/")) (("Shared Folders/" "/"))"#).expect("parses");
        assert_eq!(cyrus[1], vec![("Other Users/".into(), Some("/".into()))]);
        assert_eq!(cyrus[2], vec![("Shared Folders/".into(), Some("/".into()))]);
        let ext = parse(r##"(("" "/")("#mh/" "/" "X-PARAM" ("FLAG1" "FLAG2"))) NIL (("" NIL))"##).expect("parses");
        assert_eq!(ext[0][1], ("#mh/".into(), Some("/".into())));
        assert_eq!(ext[2], vec![(String::new(), None)]);
        assert_eq!(parse(r#"(("a\"b" "."))  NIL NIL"#).expect("escapes")[0][0].0, "a\"b");
    }

    #[test]
    fn anything_else_does_not_parse() {
        for bad in [
            "",
            "NIL NIL",
            r#"(("" "/")) NIL NIL extra"#,
            r#"(("" "/") NIL NIL"#,
            r#"((NIL "/")) NIL NIL"#,
            "(((",
            "\"unterminated",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
