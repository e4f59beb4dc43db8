//! The MIME message of a checked letter, built by mail-builder: RFC 2047 words for non-ASCII
//! names and subjects, RFC 2231 file names, quoted-printable or base64 chosen per part.
//! Structure: the body (`text/plain`, `text/html` or `multipart/alternative`), inside
//! `multipart/related` with the inline images an HTML body names by `cid:`, inside
//! `multipart/mixed` with the attachments and a forwarded message.

use std::borrow::Cow;

use mail_builder::{
    MessageBuilder,
    headers::{address::Address, content_type::ContentType, message_id::MessageId, raw::Raw, text::Text},
    mime::{BodyPart, MimePart},
};

use crate::views::compose::Recipient;

/// A file to attach, decoded.
#[derive(Clone, Debug)]
pub struct File {
    /// File name.
    pub filename: String,
    /// Media type.
    pub content_type: String,
    /// The bytes.
    pub data: Vec<u8>,
    /// Content-ID (without `<>`).
    pub cid: Option<String>,
    /// Shown inline.
    pub inline: bool,
}

/// Everything a message is made of, every value already checked.
#[derive(Clone, Debug, Default)]
pub struct Letter {
    /// The sender.
    pub from: Option<Recipient>,
    /// Recipients.
    pub to: Vec<Recipient>,
    /// Copy recipients.
    pub cc: Vec<Recipient>,
    /// Blind copy recipients (written as a `Bcc` field; [`super::strip`] removes it for SMTP).
    pub bcc: Vec<Recipient>,
    /// `Reply-To`.
    pub reply_to: Vec<Recipient>,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub text: Option<String>,
    /// HTML body.
    pub html: Option<String>,
    /// Attachments and inline files.
    pub files: Vec<File>,
    /// A message attached as `message/rfc822`, as it is.
    pub forwarded: Option<Vec<u8>>,
    /// `In-Reply-To` (without `<>`).
    pub in_reply_to: Option<String>,
    /// `References` (without `<>`), oldest first.
    pub references: Vec<String>,
    /// Allowed extra header fields.
    pub extra: Vec<(String, String)>,
    /// `Message-ID` (without `<>`).
    pub message_id: String,
    /// `Date`, seconds since the epoch.
    pub date: i64,
}

fn addresses(list: &[Recipient]) -> Address<'_> {
    Address::new_list(list.iter().map(|r| Address::new_address(r.name.as_deref(), r.email.as_str())).collect())
}

fn file_part(f: &File, related: bool) -> MimePart<'_> {
    let part = MimePart::new(f.content_type.as_str(), BodyPart::Binary(Cow::Borrowed(&f.data)));
    let part = if related {
        part.inline()
    } else if f.inline {
        // shown inline, with its name kept for saving
        part.header("Content-Disposition", ContentType::new("inline").attribute("filename", f.filename.as_str()))
    } else {
        part.attachment(f.filename.as_str())
    };
    match &f.cid {
        Some(cid) => part.cid(cid.as_str()),
        None => part,
    }
}

/// The message bytes, with a `Bcc` field when there are blind copies.
pub fn build(letter: &Letter) -> Vec<u8> {
    let mut m = MessageBuilder::new().message_id(letter.message_id.as_str()).date(letter.date);
    if let Some(from) = &letter.from {
        m = m.from(Address::new_address(from.name.as_deref(), from.email.as_str()));
    }
    if !letter.to.is_empty() {
        m = m.to(addresses(&letter.to));
    }
    if !letter.cc.is_empty() {
        m = m.cc(addresses(&letter.cc));
    }
    if !letter.bcc.is_empty() {
        m = m.bcc(addresses(&letter.bcc));
    }
    if !letter.reply_to.is_empty() {
        m = m.reply_to(addresses(&letter.reply_to));
    }
    m = m.subject(Text::new(letter.subject.as_str()));
    if let Some(id) = &letter.in_reply_to {
        m = m.in_reply_to(MessageId::new(id.as_str()));
    }
    if !letter.references.is_empty() {
        m = m.references(MessageId::new_list(letter.references.iter().map(String::as_str)));
    }
    for (name, value) in &letter.extra {
        m = m.header(name.as_str(), Raw::new(value.as_str()));
    }
    m.body(tree(letter)).write_to_vec().unwrap_or_default()
}

fn tree(letter: &Letter) -> MimePart<'_> {
    let text = letter.text.as_deref().map(|t| MimePart::new("text/plain", t));
    let html = letter.html.as_deref().map(|h| MimePart::new("text/html", h));
    let mut body = match (text, html) {
        (Some(t), Some(h)) => MimePart::new("multipart/alternative", vec![t, h]),
        (Some(t), None) => t,
        (None, Some(h)) => h,
        (None, None) => MimePart::new("text/plain", ""),
    };
    // Inline files with a Content-ID go beside an HTML body that can name them.
    let related_to_html = |f: &File| letter.html.is_some() && f.cid.is_some() && f.inline;
    let related: Vec<MimePart<'_>> =
        letter.files.iter().filter(|f| related_to_html(f)).map(|f| file_part(f, true)).collect();
    if !related.is_empty() {
        body = MimePart::new("multipart/related", std::iter::once(body).chain(related).collect::<Vec<_>>());
    }
    let mut mixed: Vec<MimePart<'_>> =
        letter.files.iter().filter(|f| !related_to_html(f)).map(|f| file_part(f, false)).collect();
    if let Some(original) = &letter.forwarded {
        // message/rfc822 must not be base64 (RFC 2046 §5.2.1): 7bit or 8bit, as it is.
        let encoding = if original.is_ascii() { "7bit" } else { "8bit" };
        mixed.push(
            MimePart::new("message/rfc822", BodyPart::Binary(Cow::Borrowed(original)))
                .attachment("forwarded.eml")
                .transfer_encoding(encoding),
        );
    }
    if mixed.is_empty() {
        body
    } else {
        MimePart::new("multipart/mixed", std::iter::once(body).chain(mixed).collect::<Vec<_>>())
    }
}

#[cfg(test)]
#[path = "mime_tests.rs"]
mod tests;
