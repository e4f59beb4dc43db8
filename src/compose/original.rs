//! What a reply or a forward takes from the original message: `In-Reply-To` and `References`
//! (RFC 5322 §3.6.4), the `Re:`/`Fwd:` subject, and for an inline forward its text, HTML and
//! files.

use mail_parser::{MessageParser, MimeHeaders};

use super::mime::File;

/// Most message ids kept in `References` (the oldest and the newest are kept).
pub const MAX_REFERENCES: usize = 30;

/// The header facts of an original message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Original {
    /// Its `Message-ID` (without `<>`).
    pub message_id: Option<String>,
    /// Its `References`, or else its `In-Reply-To`.
    pub references: Vec<String>,
    /// Its subject, decoded.
    pub subject: String,
    /// `From`, as written for a quote.
    pub from: String,
    /// `To`, as written for a quote.
    pub to: String,
    /// `Date`, as written for a quote.
    pub date: String,
}

fn safe(s: &str) -> bool {
    !s.is_empty() && s.len() <= 250 && s.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
}

fn list(a: Option<&mail_parser::Address<'_>>) -> String {
    a.map(|a| {
        a.iter()
            .map(|x| match (x.name(), x.address()) {
                (Some(n), Some(e)) => format!("{n} <{e}>"),
                (None, Some(e)) => e.to_string(),
                (Some(n), None) => n.to_string(),
                (None, None) => String::new(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    })
    .unwrap_or_default()
}

/// The facts of the original's header block (`raw` may be the whole message).
pub fn read(raw: &[u8]) -> Original {
    let Some(m) = MessageParser::default().parse_headers(raw) else { return Original::default() };
    let ids = |v: &mail_parser::HeaderValue<'_>| -> Vec<String> {
        v.as_text_list().map(|l| l.iter().map(|s| s.to_string()).collect()).unwrap_or_default()
    };
    let mut references = ids(m.references());
    if references.is_empty() {
        references = ids(m.in_reply_to());
    }
    references.retain(|r| safe(r));
    Original {
        message_id: m.message_id().filter(|id| safe(id)).map(str::to_string),
        references,
        subject: m.subject().unwrap_or("").replace(['\r', '\n', '\0'], " "),
        from: list(m.from()),
        to: list(m.to()),
        date: m.date().map(|d| d.to_rfc822()).unwrap_or_default(),
    }
}

/// `References` of a reply: the original's, then its own id; at most [`MAX_REFERENCES`],
/// keeping the first (the thread's root) and the newest.
pub fn references(o: &Original) -> Vec<String> {
    let mut refs = o.references.clone();
    refs.extend(o.message_id.clone());
    if refs.len() > MAX_REFERENCES {
        let tail = refs.split_off(refs.len() - (MAX_REFERENCES - 1));
        refs.truncate(1);
        refs.extend(tail);
    }
    refs
}

fn prefixed(prefix: &str, subject: &str, already: &[&str]) -> String {
    let trimmed = subject.trim_start();
    let lower = trimmed.to_lowercase();
    if already.iter().any(|p| lower.starts_with(p)) { trimmed.to_string() } else { format!("{prefix}{trimmed}") }
}

/// `Re: ` and the original's subject, unless it already starts with `Re:`.
pub fn reply_subject(o: &Original) -> String {
    prefixed("Re: ", &o.subject, &["re:"])
}

/// `Fwd: ` and the original's subject, unless it already starts with `Fwd:` or `Fw:`.
pub fn forward_subject(o: &Original) -> String {
    prefixed("Fwd: ", &o.subject, &["fwd:", "fw:"])
}

/// An inline forward: a quote block of the original's text (and HTML), and its files.
#[derive(Debug, Default)]
pub struct Inline {
    /// The quote, as plain text.
    pub text: String,
    /// The original's HTML under a short heading, if it has HTML.
    pub html: Option<String>,
    /// The original's attachments.
    pub files: Vec<File>,
}

/// What an inline forward of `raw` adds to the new message.
pub fn inline(raw: &[u8]) -> Inline {
    let o = read(raw);
    let heading = format!(
        "---------- Forwarded message ----------\r\nFrom: {}\r\nDate: {}\r\nSubject: {}\r\nTo: {}\r\n\r\n",
        o.from, o.date, o.subject, o.to
    );
    let Some(m) = MessageParser::default().parse(raw) else { return Inline { text: heading, ..Default::default() } };
    let text = format!("{heading}{}", m.body_text(0).unwrap_or_default());
    let has_html = m.parts.iter().any(|p| matches!(p.body, mail_parser::PartType::Html(_)));
    let html = m.body_html(0).filter(|_| has_html).map(|h| {
        let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        format!(
            "<p>---------- Forwarded message ----------<br>From: {}<br>Date: {}<br>Subject: {}<br>To: {}</p>{h}",
            esc(&o.from),
            esc(&o.date),
            esc(&o.subject),
            esc(&o.to)
        )
    });
    let files = m
        .attachments()
        .map(|a| File {
            filename: a.attachment_name().unwrap_or("attachment").replace(['\r', '\n', '\0'], " "),
            content_type: a
                .content_type()
                .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("octet-stream")))
                .filter(|t| super::check::media_type("", t).is_ok())
                .unwrap_or_else(|| "application/octet-stream".into()),
            data: a.contents().to_vec(),
            cid: None,
            inline: false,
        })
        .collect();
    Inline { text, html, files }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: &[u8] = b"Message-ID: <m2@x>\r\nReferences: <m0@x> <m1@x>\r\nIn-Reply-To: <m1@x>\r\nSubject: =?UTF-8?B?5Lya6K2w?=\r\nFrom: Bob <bob@x>\r\nTo: alice@x\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\nhello\r\n";

    #[test]
    fn a_reply_threads_under_the_original() {
        let o = read(RAW);
        assert_eq!(o.message_id.as_deref(), Some("m2@x"));
        assert_eq!(references(&o), ["m0@x", "m1@x", "m2@x"]);
        assert_eq!(reply_subject(&o), "Re: 会議");
        assert_eq!(forward_subject(&o), "Fwd: 会議");
        let again = Original { subject: "RE: 会議".into(), ..o.clone() };
        assert_eq!(reply_subject(&again), "RE: 会議");
        let long = Original { references: (0..40).map(|i| format!("r{i}@x")).collect(), ..o };
        let refs = references(&long);
        assert_eq!(refs.len(), MAX_REFERENCES);
        assert_eq!(refs.first().map(String::as_str), Some("r0@x"));
        assert_eq!(refs.last().map(String::as_str), Some("m2@x"));
    }

    #[test]
    fn an_inline_forward_quotes_the_text() {
        let f = inline(RAW);
        assert!(f.text.contains("Forwarded message"));
        assert!(f.text.contains("From: Bob <bob@x>"));
        assert!(f.text.ends_with("hello\r\n") || f.text.ends_with("hello"), "{:?}", f.text);
        assert!(f.html.is_none());
        assert!(f.files.is_empty());
        assert_eq!(read(b"").message_id, None);
    }
}
