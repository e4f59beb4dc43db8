//! ENVELOPE to the envelope view: decoded subject and names, group syntax kept, raw date kept
//! beside the parsed one.

use async_imap::imap_proto::{Address, Envelope as ImapEnvelope};

use super::text;
use crate::views::message::{EmailAddress, Envelope};

fn string(raw: Option<&[u8]>) -> Option<String> {
    raw.map(|b| String::from_utf8_lossy(&text::unquote_bytes(b)).trim().to_string()).filter(|s| !s.is_empty())
}

fn part(b: &[u8]) -> String {
    String::from_utf8_lossy(&text::unquote_bytes(b)).into_owned()
}

/// IMAP address lists mark groups with a `host = NIL` entry whose mailbox is the group name,
/// closed by an entry with both NIL (RFC 3501 §7.4.2).
pub fn addresses(list: Option<&Vec<Address<'_>>>) -> Vec<EmailAddress> {
    let mut out = Vec::new();
    let mut group: Option<String> = None;
    let mut group_empty = true;
    for a in list.map(Vec::as_slice).unwrap_or_default() {
        match (&a.mailbox, &a.host) {
            (Some(name), None) => {
                group = Some(text::header(&text::unquote_bytes(name)));
                group_empty = true;
            }
            (None, None) => {
                if let Some(g) = group.take()
                    && group_empty
                {
                    out.push(EmailAddress { name: None, email: None, group: Some(g) });
                }
            }
            (mailbox, host) => {
                group_empty = false;
                let email = match (mailbox, host) {
                    (Some(m), Some(h)) => Some(format!("{}@{}", part(m), part(h))),
                    (Some(m), None) | (None, Some(m)) => Some(part(m)),
                    (None, None) => None,
                };
                let name = a.name.as_deref().map(|n| text::header(&text::unquote_bytes(n))).filter(|n| !n.is_empty());
                out.push(EmailAddress { name, email, group: group.clone() });
            }
        }
    }
    out
}

/// Parses an RFC 5322 date to RFC 3339, or None.
pub fn parse_date(raw: &str) -> Option<String> {
    let cleaned = raw.split(" (").next().unwrap_or(raw).trim();
    chrono::DateTime::parse_from_rfc2822(cleaned).ok().map(|d| d.to_rfc3339())
}

/// All ten fields.
pub fn envelope(e: &ImapEnvelope<'_>) -> Envelope {
    let date = string(e.date.as_deref());
    Envelope {
        sent_at: date.as_deref().and_then(parse_date),
        date,
        subject: e.subject.as_deref().map(|s| text::header(&text::unquote_bytes(s))),
        from: addresses(e.from.as_ref()),
        sender: addresses(e.sender.as_ref()),
        reply_to: addresses(e.reply_to.as_ref()),
        to: addresses(e.to.as_ref()),
        cc: addresses(e.cc.as_ref()),
        bcc: addresses(e.bcc.as_ref()),
        in_reply_to: string(e.in_reply_to.as_deref()),
        message_id: string(e.message_id.as_deref()),
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    fn addr<'a>(name: Option<&'a str>, mailbox: Option<&'a str>, host: Option<&'a str>) -> Address<'a> {
        let b = |s: Option<&'a str>| s.map(|s| Cow::Borrowed(s.as_bytes()));
        Address { name: b(name), adl: None, mailbox: b(mailbox), host: b(host) }
    }

    #[test]
    fn groups_are_kept_and_names_decoded() {
        let list = vec![
            addr(Some("=?UTF-8?Q?J=C3=BCrgen?="), Some("j"), Some("example.com")),
            addr(None, Some("Team"), None),
            addr(None, Some("a"), Some("example.org")),
            addr(None, None, None),
            addr(None, Some("undisclosed-recipients"), None),
            addr(None, None, None),
        ];
        let got = addresses(Some(&list));
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[0],
            EmailAddress { name: Some("Jürgen".into()), email: Some("j@example.com".into()), group: None }
        );
        assert_eq!(got[1].group.as_deref(), Some("Team"));
        assert_eq!(got[1].email.as_deref(), Some("a@example.org"));
        assert_eq!(got[2], EmailAddress { name: None, email: None, group: Some("undisclosed-recipients".into()) });
    }

    #[test]
    fn dates_parse_or_stay_raw() {
        assert_eq!(parse_date("Tue, 12 Mar 2024 09:15:02 +0100").as_deref(), Some("2024-03-12T09:15:02+01:00"));
        assert_eq!(parse_date("Tue, 12 Mar 2024 09:15:02 +0100 (CET)").as_deref(), Some("2024-03-12T09:15:02+01:00"));
        assert_eq!(parse_date("yesterday"), None);
    }
}
