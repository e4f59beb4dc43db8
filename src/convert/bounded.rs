//! Summaries of bounded size whatever the headers hold: the subject, ids and addresses cut to
//! fixed budgets (flagged `envelopeTruncated`), the header size a message's FETCH data implies,
//! and the summary fields read from bounded excerpts of header fields (for a message whose
//! header is too big to fetch as an ENVELOPE).

use mail_parser::{Address, MessageParser};

use super::{envelope, text};
use crate::views::message::{BodyPart, EmailAddress, MessageSummary};

/// Most bytes of a summary's subject.
pub const SUBJECT_MAX: usize = 2048;
/// Most bytes of a summary's Message-ID or In-Reply-To (the RFC 5322 line limit).
pub const ID_MAX: usize = 998;
/// Most bytes of one address's name, email or group.
pub const ADDRESS_TEXT_MAX: usize = 256;
/// Most bytes of address text in one summary (from, then to, then cc).
pub const ADDRESSES_MAX: usize = 16 * 1024;
/// A message whose header may be longer than this is not fetched as an ENVELOPE (the client
/// library re-parses a long ENVELOPE line as it arrives, so its cost grows with its square).
pub const ENVELOPE_HEADER_MAX: u64 = 64 * 1024;
/// Bytes fetched of each header field of a message over [`ENVELOPE_HEADER_MAX`].
pub const FIELD_EXCERPT: u32 = 16 * 1024;
/// The header fields of a summary, as fetched for a message over [`ENVELOPE_HEADER_MAX`]: each
/// excerpt costs the server a scan of the whole header, so the fields usually short share one.
pub const SUMMARY_FIELDS: [&str; 5] = ["SUBJECT", "TO", "CC", "FROM", "DATE MESSAGE-ID IN-REPLY-TO"];

/// Cuts a summary's subject, ids and addresses to their budgets; sets and returns
/// `envelope_truncated` when anything was cut.
pub fn bound(s: &mut MessageSummary) -> bool {
    let mut cut = false;
    if let Some(subject) = s.subject.as_mut() {
        cut |= text::truncate(subject, SUBJECT_MAX);
    }
    for id in [&mut s.message_id, &mut s.in_reply_to].into_iter().flatten() {
        cut |= text::truncate(id, ID_MAX);
    }
    let mut budget = ADDRESSES_MAX;
    for list in [&mut s.from, &mut s.to, &mut s.cc] {
        let mut keep = 0;
        for a in list.iter_mut() {
            for t in [&mut a.name, &mut a.email, &mut a.group].into_iter().flatten() {
                cut |= text::truncate(t, ADDRESS_TEXT_MAX);
            }
            let weight = [&a.name, &a.email, &a.group].iter().map(|t| t.as_ref().map_or(0, String::len)).sum::<usize>();
            if weight > budget {
                budget = 0;
                break;
            }
            budget -= weight;
            keep += 1;
        }
        if keep < list.len() {
            list.truncate(keep);
            list.shrink_to_fit();
            cut = true;
        }
    }
    s.envelope_truncated |= cut;
    cut
}

/// At least the size of a message's header: RFC822.SIZE less the encoded sizes of its leaf
/// parts (a message/rfc822 part counts whole).
pub fn header_estimate(size: u32, tree: &BodyPart) -> u64 {
    fn leaves(p: &BodyPart) -> u64 {
        if p.sub_parts.is_empty() || p.r#type.starts_with("message/") {
            p.imap.encoded_size.map_or(p.size, u64::from)
        } else {
            p.sub_parts.iter().map(leaves).sum()
        }
    }
    u64::from(size).saturating_sub(leaves(tree))
}

/// The summary fields from excerpts of `BODY.PEEK[HEADER.FIELDS (NAMES)]<0.FIELD_EXCERPT>`, in
/// any order. An excerpt that fills [`FIELD_EXCERPT`] was cut, and the summary is flagged: the
/// last field in it loses its last address (it may be incomplete), or goes if it is a date or
/// an id; a cut subject is cut to its budget later anyway.
pub fn fill_from_excerpts(s: &mut MessageSummary, excerpts: &[&[u8]]) {
    for &raw in excerpts {
        let cut = raw.len() >= FIELD_EXCERPT as usize;
        s.envelope_truncated |= cut;
        let fields = fields(raw);
        let last = fields.len().saturating_sub(1);
        for (i, (name, value)) in fields.into_iter().enumerate() {
            let partial = cut && i == last;
            let value_text =
                || Some(String::from_utf8_lossy(&value).trim().to_string()).filter(|v| !v.is_empty() && !partial);
            match name.as_str() {
                "date" => s.sent_at = value_text().and_then(|v| envelope::parse_date(&v)),
                "subject" => s.subject = Some(text::header(value.trim_ascii())).filter(|v| !v.is_empty()),
                "message-id" => s.message_id = value_text(),
                "in-reply-to" => s.in_reply_to = value_text(),
                "from" | "to" | "cc" => {
                    let mut line = format!("{name}:").into_bytes();
                    line.extend_from_slice(&value);
                    line.extend_from_slice(b"\r\n\r\n");
                    let mut list = addresses(&line);
                    if partial {
                        list.pop();
                    }
                    match name.as_str() {
                        "from" => s.from = list,
                        "to" => s.to = list,
                        _ => s.cc = list,
                    }
                }
                _ => {}
            }
        }
    }
}

/// The fields of a header excerpt: lower-case names and unfolded values.
pub(crate) fn fields(raw: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for line in raw.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l)) {
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            if let Some((_, value)) = out.last_mut() {
                value.extend_from_slice(line);
            }
        } else if let Some(colon) = line.iter().position(|&b| b == b':') {
            out.push((String::from_utf8_lossy(&line[..colon]).trim().to_ascii_lowercase(), line[colon + 1..].to_vec()));
        } else if line.is_empty() {
            break;
        }
    }
    out
}

/// The addresses of the one address field in `raw`, groups kept as in the envelope view.
fn addresses(raw: &[u8]) -> Vec<EmailAddress> {
    let Some(message) = MessageParser::default().parse_headers(raw) else { return Vec::new() };
    let field = message.from().or_else(|| message.to()).or_else(|| message.cc());
    let one = |a: &mail_parser::Addr<'_>, group: Option<String>| EmailAddress {
        name: a.name.as_ref().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
        email: a.address.as_ref().map(|e| e.trim().to_string()).filter(|e| !e.is_empty()),
        group,
    };
    match field {
        Some(Address::List(list)) => list.iter().map(|a| one(a, None)).collect(),
        Some(Address::Group(groups)) => groups
            .iter()
            .flat_map(|g| {
                let name = g.name.as_ref().map(|n| n.to_string());
                match g.addresses.is_empty() {
                    true => vec![EmailAddress { name: None, email: None, group: name }],
                    false => g.addresses.iter().map(|a| one(a, name.clone())).collect(),
                }
            })
            .collect(),
        None => Vec::new(),
    }
}

#[cfg(test)]
#[path = "bounded_tests.rs"]
mod tests;
