//! A FETCH response's attributes to the message summary and the full message.

use std::collections::BTreeMap;

use async_imap::imap_proto::AttributeValue;

use super::{body, bounded, envelope, flags};
use crate::views::message::{BodyPart, Envelope, Message, MessageImap, MessageSummary};

/// INTERNALDATE (`12-Mar-2024 09:15:09 +0100`) to RFC 3339 UTC.
pub fn internal_date(raw: &str) -> Option<String> {
    chrono::DateTime::parse_from_str(raw.trim(), "%d-%b-%Y %H:%M:%S %z")
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// What one FETCH carried, borrowed from the response.
#[derive(Default)]
struct Parts<'a> {
    uid: Option<u32>,
    flags: Vec<String>,
    internal_date: Option<&'a str>,
    size: u32,
    mod_seq: Option<u64>,
    envelope: Option<Envelope>,
    tree: Option<BodyPart>,
}

fn collect<'a>(attrs: &'a [AttributeValue<'a>]) -> Parts<'a> {
    let mut p = Parts::default();
    for a in attrs {
        match a {
            AttributeValue::Uid(u) => p.uid = Some(*u),
            AttributeValue::Flags(f) => p.flags = f.iter().map(|s| s.to_string()).collect(),
            AttributeValue::InternalDate(d) => p.internal_date = Some(d),
            AttributeValue::Rfc822Size(s) => p.size = *s,
            AttributeValue::ModSeq(m) => p.mod_seq = Some(*m),
            AttributeValue::Envelope(e) => p.envelope = Some(envelope::envelope(e)),
            AttributeValue::BodyStructure(b) => p.tree = Some(body::tree(b)),
            _ => {}
        }
    }
    p
}

fn summary_of(p: &Parts<'_>, uid: u32, uid_validity: u32, has_attachment: bool) -> MessageSummary {
    let (keywords, deleted) = flags::keywords(&p.flags);
    let mut s = MessageSummary {
        uid,
        keywords,
        deleted,
        received_at: p.internal_date.and_then(internal_date),
        size: p.size,
        sent_at: None,
        subject: None,
        from: Vec::new(),
        to: Vec::new(),
        cc: Vec::new(),
        message_id: None,
        in_reply_to: None,
        has_attachment,
        envelope_truncated: false,
        imap: MessageImap { uid_validity, mod_seq: p.mod_seq.map(|m| m.to_string()), flags: p.flags.clone() },
    };
    if let Some(e) = &p.envelope {
        set_envelope(&mut s, e);
    }
    s
}

fn set_envelope(s: &mut MessageSummary, e: &Envelope) {
    s.sent_at = e.sent_at.clone();
    s.subject = e.subject.clone();
    s.from = e.from.clone();
    s.to = e.to.clone();
    s.cc = e.cc.clone();
    s.message_id = e.message_id.clone();
    s.in_reply_to = e.in_reply_to.clone();
}

/// A summary without its envelope fields, from a FETCH without ENVELOPE, and at least how
/// long the message's header is ([`bounded::header_estimate`]); None without UID or
/// BODYSTRUCTURE.
pub fn skeleton(uid_validity: u32, attrs: &[AttributeValue<'_>]) -> Option<(MessageSummary, u64)> {
    let p = collect(attrs);
    let uid = p.uid?;
    let tree = p.tree.as_ref()?;
    let has_attachment = body::has_attachment(&body::bodies(tree));
    Some((summary_of(&p, uid, uid_validity, has_attachment), bounded::header_estimate(p.size, tree)))
}

/// Sets a summary's envelope fields from a FETCH carrying ENVELOPE; false when it has none.
pub fn fill_envelope(s: &mut MessageSummary, attrs: &[AttributeValue<'_>]) -> bool {
    let Some(e) = attrs.iter().find_map(|a| match a {
        AttributeValue::Envelope(e) => Some(envelope::envelope(e)),
        _ => None,
    }) else {
        return false;
    };
    set_envelope(s, &e);
    true
}

/// The UID a FETCH response carries, if any.
pub fn uid_of(attrs: &[AttributeValue<'_>]) -> Option<u32> {
    attrs.iter().find_map(|a| match a {
        AttributeValue::Uid(u) => Some(*u),
        _ => None,
    })
}

/// Brings the changing parts of a cached summary (flags, keywords, MODSEQ) up to date from a
/// FETCH of `UID FLAGS MODSEQ`; the rest never changes for a UID.
pub fn refresh(cached: &mut MessageSummary, attrs: &[AttributeValue<'_>]) {
    if !attrs.iter().any(|a| matches!(a, AttributeValue::Flags(_))) {
        return;
    }
    let p = collect(attrs);
    let (keywords, deleted) = flags::keywords(&p.flags);
    cached.keywords = keywords;
    cached.deleted = deleted;
    cached.imap.mod_seq = p.mod_seq.map(|m| m.to_string());
    cached.imap.flags = p.flags;
}

/// The full message without body values, and without download URLs (the HTTP layer sets them).
pub fn message(uid_validity: u32, attrs: &[AttributeValue<'_>]) -> Option<Message> {
    let p = collect(attrs);
    let uid = p.uid?;
    let tree = p.tree.clone()?;
    let envelope = p.envelope.clone()?;
    let b = body::bodies(&tree);
    let refs = |parts: &[&BodyPart]| parts.iter().map(|x| body::part_ref(x)).collect::<Vec<_>>();
    let (text_body, html_body, attachments) = (refs(&b.text), refs(&b.html), refs(&b.attachments));
    let summary = summary_of(&p, uid, uid_validity, body::has_attachment(&b));
    Some(Message {
        summary,
        envelope,
        body_structure: tree,
        text_body,
        html_body,
        attachments,
        body_values: BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_dates_become_utc() {
        assert_eq!(internal_date("12-Mar-2024 09:15:09 +0100").as_deref(), Some("2024-03-12T08:15:09Z"));
        assert_eq!(internal_date(" 2-Nov-2026 10:00:00 +0000").as_deref(), Some("2026-11-02T10:00:00Z"));
        assert_eq!(internal_date("garbage"), None);
    }
}
