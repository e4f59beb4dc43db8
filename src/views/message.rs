//! Message views: list items, the full message, addresses, the body-part tree.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An address; group members carry the group's name.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EmailAddress {
    /// Display name, RFC 2047-decoded.
    pub name: Option<String>,
    /// `local@domain`; null for an empty group.
    pub email: Option<String>,
    /// Name of the RFC 5322 group this address belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// All ten ENVELOPE fields, decoded.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// The Date header as sent.
    pub date: Option<String>,
    /// The Date header as RFC 3339, null if it does not parse.
    #[schema(format = DateTime)]
    pub sent_at: Option<String>,
    /// Subject, RFC 2047-decoded.
    pub subject: Option<String>,
    /// From.
    pub from: Vec<EmailAddress>,
    /// Sender.
    pub sender: Vec<EmailAddress>,
    /// Reply-To.
    pub reply_to: Vec<EmailAddress>,
    /// To.
    pub to: Vec<EmailAddress>,
    /// Cc.
    pub cc: Vec<EmailAddress>,
    /// Bcc.
    pub bcc: Vec<EmailAddress>,
    /// In-Reply-To as sent.
    pub in_reply_to: Option<String>,
    /// Message-ID as sent.
    pub message_id: Option<String>,
}

/// IMAP facts of a message.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MessageImap {
    /// UIDVALIDITY of the mailbox.
    pub uid_validity: u32,
    /// MODSEQ as a string (CONDSTORE servers).
    pub mod_seq: Option<String>,
    /// Flags exactly as the server sent them.
    pub flags: Vec<String>,
}

/// One item of a message page.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MessageSummary {
    /// UID.
    pub uid: u32,
    /// Keywords, lower-cased (`$seen`, `$flagged`, `$answered`, `$draft`, others).
    pub keywords: BTreeMap<String, bool>,
    /// `\Deleted` is set.
    pub deleted: bool,
    /// INTERNALDATE as RFC 3339.
    #[schema(format = DateTime)]
    pub received_at: Option<String>,
    /// RFC822.SIZE.
    pub size: u32,
    /// Date header as RFC 3339.
    #[schema(format = DateTime)]
    pub sent_at: Option<String>,
    /// Subject, decoded.
    pub subject: Option<String>,
    /// From.
    pub from: Vec<EmailAddress>,
    /// To.
    pub to: Vec<EmailAddress>,
    /// Cc.
    pub cc: Vec<EmailAddress>,
    /// Message-ID.
    pub message_id: Option<String>,
    /// In-Reply-To.
    pub in_reply_to: Option<String>,
    /// True when an attachment is present (RFC 8621 rules, from BODYSTRUCTURE).
    pub has_attachment: bool,
    /// Up to 256 characters of plain text from the start of the first text part (HTML turned
    /// into text), whitespace collapsed, without the quoted reply where it can be told apart;
    /// empty for a message without text.
    pub preview: String,
    /// The conversation: the same for a message and its replies in every mailbox (from the
    /// first id of References, else In-Reply-To, else the Message-ID). Opaque; use it with
    /// `GET /v1/threads/{threadId}`.
    pub thread_id: String,
    /// The message: the server's OBJECTID EMAILID where it has one (RFC 8474), else an id of
    /// the gateway's from Message-ID, size, INTERNALDATE, Date and Subject. A copy keeps it.
    pub email_id: String,
    /// Messages of the thread in the mailbox (`collapseThreads=true` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub thread_size: Option<u32>,
    /// Unread messages of the thread in the mailbox (`collapseThreads=true` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub thread_unread: Option<u32>,
    /// Present and true when a page or search item had fields cut to its budget: subject
    /// past 2,048 bytes, message ids past 998, an address's name or email past 256, and the
    /// addresses (from, then to, then cc) past 16 KiB of text in all. The full message
    /// (`GET …/messages/{uid}`) and `…/headers` have them whole.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schema(required = false)]
    pub envelope_truncated: bool,
    /// IMAP facts.
    pub imap: MessageImap,
}

#[cfg(test)]
impl MessageSummary {
    /// A summary with nothing but its UID and UIDVALIDITY, for tests to fill in.
    pub(crate) fn empty(uid: u32, uid_validity: u32) -> Self {
        Self {
            uid,
            keywords: Default::default(),
            deleted: false,
            received_at: None,
            size: 0,
            sent_at: None,
            subject: None,
            from: vec![],
            to: vec![],
            cc: vec![],
            message_id: None,
            in_reply_to: None,
            has_attachment: false,
            preview: String::new(),
            thread_id: String::new(),
            email_id: String::new(),
            thread_size: None,
            thread_unread: None,
            envelope_truncated: false,
            imap: MessageImap { uid_validity, mod_seq: None, flags: vec![] },
        }
    }
}

/// A page of messages, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessagePage {
    /// The messages.
    pub items: Vec<MessageSummary>,
    /// Messages in the mailbox (EXISTS).
    pub total: u32,
    /// Opaque cursor of the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Threads in the mailbox (`collapseThreads=true` without filters only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub threads: Option<u32>,
}

/// Query of `GET /v1/mailboxes/{mailbox}/messages`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–500 (default 50).
    pub limit: Option<u32>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// Only messages whose From contains this.
    pub from: Option<String>,
    /// Only messages whose To contains this.
    pub to: Option<String>,
    /// Only messages whose Subject contains this.
    pub subject: Option<String>,
    /// Only messages containing this in headers or body.
    pub text: Option<String>,
    /// Only seen (true) or unseen (false) messages.
    pub seen: Option<bool>,
    /// Only flagged (true) or unflagged (false) messages.
    pub flagged: Option<bool>,
    /// Received on or after this date (YYYY-MM-DD).
    pub since: Option<String>,
    /// Received before this date (YYYY-MM-DD).
    pub before: Option<String>,
    /// Larger than this many bytes.
    pub larger: Option<u32>,
    /// Smaller than this many bytes.
    pub smaller: Option<u32>,
    /// One item per thread (its newest message, or newest match with filters), with
    /// `threadSize` and `threadUnread` of the thread in the mailbox.
    pub collapse_threads: Option<bool>,
}

impl PageQuery {
    /// The simple filters as a filter condition, if any is set.
    pub fn filter(&self) -> Option<serde_json::Value> {
        let mut m = serde_json::Map::new();
        let mut put = |k: &str, v: Option<serde_json::Value>| {
            if let Some(v) = v {
                m.insert(k.to_string(), v);
            }
        };
        put("from", self.from.clone().map(Into::into));
        put("to", self.to.clone().map(Into::into));
        put("subject", self.subject.clone().map(Into::into));
        put("text", self.text.clone().map(Into::into));
        put("seen", self.seen.map(Into::into));
        put("flagged", self.flagged.map(Into::into));
        put("since", self.since.clone().map(Into::into));
        put("before", self.before.clone().map(Into::into));
        put("larger", self.larger.map(Into::into));
        put("smaller", self.smaller.map(Into::into));
        (!m.is_empty()).then_some(serde_json::Value::Object(m))
    }
}

/// IMAP facts of a body part.
#[derive(Clone, Debug, Default, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PartImap {
    /// IMAP section (`""` for the top-level multipart).
    pub section: String,
    /// Content-Transfer-Encoding, lower case.
    pub encoding: Option<String>,
    /// Encoded size in octets.
    pub encoded_size: Option<u32>,
    /// Line count (text and message parts).
    pub lines: Option<u32>,
    /// Content-MD5.
    pub md5: Option<String>,
    /// Content-Description, decoded.
    pub description: Option<String>,
    /// Content-Type parameters, names lower-cased.
    pub params: BTreeMap<String, String>,
    /// Content-Disposition parameters, names lower-cased.
    pub disposition_params: BTreeMap<String, String>,
    /// True when `size` is estimated from the encoded size.
    pub size_is_estimate: bool,
    /// Envelope of a message/rfc822 part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope: Option<Box<Envelope>>,
}

/// A node of the body-part tree (JMAP EmailBodyPart with IMAP facts).
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BodyPart {
    /// IMAP section of a leaf part (null for multiparts).
    pub part_id: Option<String>,
    /// `type/subtype`, lower case.
    pub r#type: String,
    /// Charset of text parts.
    pub charset: Option<String>,
    /// `inline` or `attachment`.
    pub disposition: Option<String>,
    /// File name (RFC 2231 / RFC 2047 decoded).
    pub name: Option<String>,
    /// Content-ID without angle brackets.
    pub cid: Option<String>,
    /// Content-Language.
    pub language: Option<Vec<String>>,
    /// Content-Location.
    pub location: Option<String>,
    /// Decoded size in octets (estimated for base64, see `imap.sizeIsEstimate`).
    pub size: u64,
    /// IMAP facts.
    pub imap: PartImap,
    /// Children of a multipart, or the body of a message/rfc822 part.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(no_recursion)]
    pub sub_parts: Vec<BodyPart>,
}

/// A leaf part as listed in textBody, htmlBody and attachments.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PartRef {
    /// IMAP section.
    pub part_id: String,
    /// `type/subtype`.
    pub r#type: String,
    /// Charset.
    pub charset: Option<String>,
    /// Disposition.
    pub disposition: Option<String>,
    /// File name.
    pub name: Option<String>,
    /// Content-ID.
    pub cid: Option<String>,
    /// Decoded size in octets: exact for 7bit, 8bit and binary parts, estimated from the encoded
    /// size for base64, quoted-printable and uuencode (then `sizeIsEstimate`; the download has
    /// the exact bytes).
    pub size: u64,
    /// True when `size` is estimated from the encoded size.
    pub size_is_estimate: bool,
    /// Where to download the decoded bytes.
    pub download_url: String,
}

/// Decoded text of a part.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BodyValue {
    /// The text, UTF-8.
    pub value: String,
    /// True if bytes could not be decoded in the declared charset or transfer encoding.
    pub is_encoding_problem: bool,
    /// True if cut at `maxBodyValueBytes`.
    pub is_truncated: bool,
    /// For HTML parts: `untrusted` (as sent; sanitize before display) or `sanitized`
    /// (`?sanitize=true`: no scripts, handlers, styles or remote loads; `cid:` rewritten).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

/// The full message.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The summary fields.
    #[serde(flatten)]
    pub summary: MessageSummary,
    /// All ENVELOPE fields.
    pub envelope: Envelope,
    /// The part tree.
    pub body_structure: BodyPart,
    /// Parts to show as plain text (RFC 8621).
    pub text_body: Vec<PartRef>,
    /// Parts to show as HTML (RFC 8621). HTML from mail is untrusted: sanitize before display.
    pub html_body: Vec<PartRef>,
    /// Attachments (RFC 8621).
    pub attachments: Vec<PartRef>,
    /// Decoded text of the textBody and htmlBody parts, by partId.
    pub body_values: BTreeMap<String, BodyValue>,
}

/// Query of `GET /v1/mailboxes/{mailbox}/messages/{uid}`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MessageQuery {
    /// The UIDVALIDITY the client knows; a different one answers 409.
    pub uid_validity: Option<u32>,
    /// Largest body value, in UTF-8 bytes (default 262144, at most 4194304).
    pub max_body_value_bytes: Option<u32>,
    /// Return HTML body values cleaned by ammonia.
    pub sanitize: Option<bool>,
}

/// `PATCH /v1/mailboxes/{mailbox}/messages/{uid}` (JSON merge patch).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlagsPatch {
    /// `{"$seen": true}` adds a keyword, `{"$flagged": null}` (or `false`) removes it.
    #[schema(value_type = Object)]
    pub keywords: Option<BTreeMap<String, Option<bool>>>,
    /// Sets or clears `\Deleted`.
    pub deleted: Option<bool>,
}

/// `POST /v1/mailboxes/{mailbox}/messages/flags`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkFlags {
    /// Up to 1,000 UIDs.
    pub uids: Vec<u32>,
    /// Keywords to add (`$seen`, `$flagged`, …, or `$deleted` for `\Deleted`).
    #[serde(default)]
    pub add: Vec<String>,
    /// Keywords to remove.
    #[serde(default)]
    pub remove: Vec<String>,
    /// Replace all flags with these (not together with add/remove).
    pub set: Option<Vec<String>>,
    /// Only change messages whose MODSEQ is not above this (CONDSTORE).
    pub if_unchanged_since: Option<String>,
}

/// The flags of one message after a change.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageFlags {
    /// UID.
    pub uid: u32,
    /// Keywords, lower-cased.
    pub keywords: BTreeMap<String, bool>,
    /// `\Deleted` is set.
    pub deleted: bool,
    /// IMAP facts (new MODSEQ).
    pub imap: MessageImap,
}

/// Result of a bulk flag change.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkFlagsResult {
    /// New state of the changed messages.
    pub updated: Vec<MessageFlags>,
    /// UIDs left unchanged because they were modified since `ifUnchangedSince`.
    pub modified: Vec<u32>,
    /// UIDs that do not exist.
    pub not_found: Vec<u32>,
}

/// `POST …/messages/copy` and `…/move`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransferRequest {
    /// Up to 1,000 UIDs in the source mailbox.
    pub uids: Vec<u32>,
    /// Full name of the destination mailbox.
    pub destination: String,
}

/// One source UID and its UID in the destination.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UidPair {
    /// UID in the source mailbox.
    pub uid: u32,
    /// UID in the destination mailbox.
    pub new_uid: u32,
}

/// Result of a copy or move.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransferResult {
    /// The destination mailbox.
    pub destination: String,
    /// UIDVALIDITY of the destination (null without UIDPLUS).
    pub uid_validity: Option<u32>,
    /// UID mapping from COPYUID (empty without UIDPLUS).
    pub mapping: Vec<UidPair>,
}

/// Result of deleting a message.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeleteResult {
    /// `trash` (moved to the Trash mailbox) or `expunged`.
    pub action: String,
    /// The Trash mailbox, when moved there.
    pub mailbox: Option<String>,
    /// The UID in Trash, when the server reports it.
    pub new_uid: Option<u32>,
}

/// Query of `DELETE …/messages/{uid}`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteMessageQuery {
    /// Expunge for good instead of moving to Trash.
    pub permanent: Option<bool>,
}
