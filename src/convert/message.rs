//! A FETCH response's attributes to the message summary and the full message.

use std::collections::BTreeMap;

use async_imap::imap_proto::{AttributeValue, MessageSection, SectionPath};

use super::{body, bounded, envelope, flags, preview, thread};
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
    email_id: Option<String>,
    reference: Option<String>,
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
            // An OBJECTID (RFC 8474) as the thread ids can carry it; anything else is ignored.
            AttributeValue::EmailId(id) if thread::is_object_id(id) => p.email_id = Some(id.to_string()),
            // The one header excerpt of a summary's FETCH: its References field.
            AttributeValue::BodySection { section: Some(SectionPath::Full(MessageSection::Header)), data, .. } => {
                p.reference = data.as_deref().and_then(thread::first_reference)
            }
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
        preview: String::new(),
        thread_id: String::new(),
        email_id: p.email_id.clone().unwrap_or_default(),
        thread_size: None,
        thread_unread: None,
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

/// What the first FETCH of a summary tells: the summary without its envelope fields and
/// preview, at least how long the message's header is ([`bounded::header_estimate`]), its
/// first reference, and the part its preview comes from.
#[derive(Debug)]
pub struct Skeleton {
    /// The summary so far.
    pub summary: MessageSummary,
    /// At least the header's size.
    pub header: u64,
    /// The first id of References.
    pub reference: Option<String>,
    /// The preview's part.
    pub preview: Option<preview::Source>,
}

/// The skeleton of a summary from a FETCH without ENVELOPE; None without UID or BODYSTRUCTURE.
pub fn skeleton(uid_validity: u32, attrs: &[AttributeValue<'_>]) -> Option<Skeleton> {
    let p = collect(attrs);
    let uid = p.uid?;
    let tree = p.tree.as_ref()?;
    let has_attachment = body::has_attachment(&body::bodies(tree));
    Some(Skeleton {
        summary: summary_of(&p, uid, uid_validity, has_attachment),
        header: bounded::header_estimate(p.size, tree),
        reference: p.reference.clone(),
        preview: preview::source(tree),
    })
}

/// Sets the thread id, and the email id where the server gave none, once the envelope fields
/// are in (before they are cut to the summary's budget).
pub fn set_ids(s: &mut MessageSummary, reference: Option<&str>) {
    if s.email_id.is_empty() {
        let subject: Option<String> = s.subject.as_ref().map(|t| t.chars().take(256).collect());
        s.email_id = thread::derived_email_id(
            s.message_id.as_deref(),
            s.size,
            s.received_at.as_deref(),
            s.sent_at.as_deref(),
            subject.as_deref(),
        );
    }
    let root = thread::root(reference, s.in_reply_to.as_deref(), s.message_id.as_deref());
    s.thread_id = thread::thread_id(root.as_deref(), &s.email_id);
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
    let mut summary = summary_of(&p, uid, uid_validity, body::has_attachment(&b));
    set_ids(&mut summary, p.reference.as_deref());
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
