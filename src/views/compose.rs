//! Writing mail: the compose document (send, drafts) and what sending and saving answer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A mailbox address to write to.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Recipient {
    /// Display name (any Unicode; encoded as RFC 2047 words when needed).
    #[serde(default)]
    pub name: Option<String>,
    /// `local@domain`, ASCII.
    pub email: String,
}

/// A message of the account, named by mailbox and UID.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessageRef {
    /// Full mailbox name.
    pub mailbox: String,
    /// UID of the message.
    pub uid: u32,
}

/// The message to forward.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForwardRef {
    /// Full mailbox name.
    pub mailbox: String,
    /// UID of the message.
    pub uid: u32,
    /// Attach the original as `message/rfc822` (default); false quotes its text and attaches
    /// its files.
    #[serde(default)]
    pub as_attachment: Option<bool>,
}

/// A file to attach: its bytes, or a part of a message of the account.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Attachment {
    /// Bytes sent in the request.
    Upload(UploadedFile),
    /// A part of a stored message, streamed from IMAP.
    Part(PartRef),
}

/// An attachment sent in the request.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UploadedFile {
    /// File name (any Unicode; RFC 2231-encoded when needed).
    pub filename: String,
    /// Media type, `type/subtype`.
    #[schema(example = "application/pdf")]
    pub content_type: String,
    /// The bytes, base64.
    pub content_base64: String,
    /// Content-ID, for `cid:` references from the HTML body (without `<>`).
    #[serde(default)]
    pub cid: Option<String>,
    /// Shown inline (default: an attachment).
    #[serde(default)]
    pub inline: Option<bool>,
}

/// A part of a stored message, attached as it is (decoded from its transfer encoding).
// `StoredPart` in the document: `PartRef` there is the message view's leaf part.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = StoredPart)]
pub struct PartRef {
    /// Full mailbox name.
    pub mailbox: String,
    /// UID of the message.
    pub uid: u32,
    /// The part (`2`, `1.2`), as in the message's `bodyStructure`.
    pub part_id: String,
}

/// A message to write. Used by `POST /v1/messages/send` and the drafts routes.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Compose {
    /// The sender: one of the account's identities (default: its own address).
    #[serde(default)]
    pub from: Option<Recipient>,
    /// Recipients.
    #[serde(default)]
    pub to: Vec<Recipient>,
    /// Copy recipients.
    #[serde(default)]
    pub cc: Vec<Recipient>,
    /// Blind copy recipients: never in the transmitted message; kept in the Sent copy.
    #[serde(default)]
    pub bcc: Vec<Recipient>,
    /// `Reply-To` addresses.
    #[serde(default)]
    pub reply_to: Vec<Recipient>,
    /// Subject (default: empty, or `Re: ` and the original's subject in a reply, `Fwd: ` in
    /// a forward).
    #[serde(default)]
    pub subject: Option<String>,
    /// Plain-text body.
    #[serde(default)]
    pub text: Option<String>,
    /// HTML body (sent as written: the gateway does not sanitize what the caller writes).
    #[serde(default)]
    pub html: Option<String>,
    /// Files to attach.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The message this one answers: `In-Reply-To`, `References`, a `Re:` subject, and
    /// `\Answered` on it once sent.
    #[serde(default)]
    pub in_reply_to: Option<MessageRef>,
    /// The message this one forwards (`$Forwarded` on it once sent).
    #[serde(default)]
    pub forward: Option<ForwardRef>,
    /// Extra header fields: `X-*`, `List-Unsubscribe`, `List-Unsubscribe-Post`, `List-Id`,
    /// `Auto-Submitted`, `Precedence`, `Importance`, `Priority`, `Organization`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Keywords of the stored copy (Sent or Drafts), besides `\Seen` (and `\Draft`).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Send only: save a copy in the mailbox with role `sent` (default true).
    #[serde(default)]
    pub save_to_sent: Option<bool>,
}

/// A recipient the server refused.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RejectedRecipient {
    /// The address.
    pub email: String,
    /// The server's reply code (`550`).
    #[schema(minimum = 200, maximum = 599)]
    pub code: u16,
    /// The server's text.
    pub text: String,
}

/// Where a stored copy is.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StoredCopy {
    /// The mailbox.
    pub mailbox: String,
    /// The new UID (null without UIDPLUS).
    pub uid: Option<u32>,
    /// UIDVALIDITY of the mailbox (null without UIDPLUS).
    pub uid_validity: Option<u32>,
}

/// What a send did.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendResult {
    /// The `Message-ID` of the sent message, with its angle brackets.
    #[schema(example = "<5f1c…@example.org>")]
    pub message_id: String,
    /// Recipients the server accepted.
    pub accepted: Vec<String>,
    /// Recipients the server refused (the others were sent to).
    pub rejected: Vec<RejectedRecipient>,
    /// The copy in the Sent mailbox; null with `saveToSent: false`, without a Sent mailbox,
    /// or when storing the copy failed after the message was sent (the send still counts).
    pub sent: Option<StoredCopy>,
}

/// Where a draft was saved.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DraftSaved {
    /// The Drafts mailbox.
    pub mailbox: String,
    /// The draft's UID (null without UIDPLUS).
    pub uid: Option<u32>,
    /// UIDVALIDITY of the mailbox (null without UIDPLUS).
    pub uid_validity: Option<u32>,
    /// The draft's `Message-ID`.
    pub message_id: String,
}
