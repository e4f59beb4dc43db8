//! What an EHLO answer offers: the SIZE limit, the AUTH mechanisms, 8BITMIME.

/// The server's extensions that matter for a submission.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Offer {
    /// `SIZE n` (0 or absent: no limit announced).
    pub size: Option<u64>,
    /// AUTH mechanisms, upper case.
    pub auth: Vec<String>,
    /// `8BITMIME`.
    pub eight_bit: bool,
}

impl Offer {
    /// True if `mechanism` is offered.
    pub fn offers(&self, mechanism: &str) -> bool {
        self.auth.iter().any(|m| m == mechanism)
    }
}

/// The offer in the lines of an EHLO answer (the first line, the greeting name, included).
pub fn parse<'a>(lines: impl Iterator<Item = &'a str>) -> Offer {
    let mut offer = Offer::default();
    for line in lines {
        let mut words = line.split_whitespace();
        match words.next().map(str::to_ascii_uppercase).as_deref() {
            Some("SIZE") => offer.size = words.next().and_then(|n| n.parse().ok()).filter(|n| *n > 0),
            Some("AUTH") => offer.auth.extend(words.map(str::to_ascii_uppercase)),
            Some("8BITMIME") => offer.eight_bit = true,
            _ => {}
        }
    }
    offer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_auth_and_8bitmime_are_read() {
        let o = parse(
            ["mail.example.org", "PIPELINING", "SIZE 10240000", "AUTH PLAIN login XOAUTH2", "8BITMIME"].into_iter(),
        );
        assert_eq!(o.size, Some(10_240_000));
        assert!(o.offers("PLAIN") && o.offers("LOGIN") && o.offers("XOAUTH2") && !o.offers("OAUTHBEARER"));
        assert!(o.eight_bit);
        assert_eq!(parse(["x", "SIZE 0", "SIZE"].into_iter()).size, None);
    }
}
