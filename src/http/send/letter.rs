//! A compose document made into a message: every value checked, the sender one of the
//! account's identities, the original of a reply or forward and the referenced parts read
//! from IMAP, the MIME built, and the SMTP envelope (`Bcc` included).

use axum::http::StatusCode;

use super::input::{MAX_MESSAGE, uploaded};
use crate::{
    compose::{
        ComposeError, check,
        mime::{self, File, Letter},
        original, strip,
    },
    http::{account::Account, error::ApiError, found::found_message, messages::flags::flag},
    imap::{
        encode::{Flag, MailboxName, Section},
        message,
    },
    smtp::Envelope,
    state::AppState,
    views::compose::{Attachment, Compose, Recipient},
};

/// A message ready to store or send.
#[derive(Debug)]
pub struct Built {
    /// The bytes, with the `Bcc` field (the stored copy).
    pub bytes: Vec<u8>,
    /// `Message-ID`, with its angle brackets.
    pub message_id: String,
    /// The SMTP envelope: the sender and every recipient.
    pub envelope: Envelope,
    /// The message it answers, to mark `\Answered` once sent.
    pub replied: Option<(MailboxName, u32)>,
    /// The message it forwards, to mark `$Forwarded` once sent.
    pub forwarded: Option<(MailboxName, u32)>,
    /// Keywords of the stored copy.
    pub keywords: Vec<Flag>,
}

/// The account's login name and the addresses it may send as (the default first).
pub async fn identities(state: &AppState, acct: &Account) -> Result<Vec<String>, ApiError> {
    let account = state.store.account(acct.id()).await?.ok_or_else(|| ApiError::unauthorized("account gone"))?;
    Ok(state.settings.smtp.identities_of(&account.username))
}

/// The sender: `from` if it is an identity, else the default identity.
pub fn sender(identities: &[String], from: Option<&Recipient>) -> Result<Recipient, ComposeError> {
    match from {
        Some(f) => {
            check::recipient("from", f)?;
            if identities.iter().any(|i| i.eq_ignore_ascii_case(&f.email)) {
                Ok(f.clone())
            } else {
                Err(ComposeError::NotIdentity(f.email.clone()))
            }
        }
        None => identities.first().map(|e| Recipient { name: None, email: e.clone() }).ok_or_else(|| {
            ComposeError::invalid("from", "this login is not an address and smtp.identities gives it none: set `from`")
        }),
    }
}

fn mailbox(field: &str, name: &str) -> Result<MailboxName, ApiError> {
    MailboxName::parse(name).map_err(|e| ApiError::invalid_property(field, &e.to_string()))
}

/// The whole raw message (at most [`MAX_MESSAGE`] bytes).
pub async fn raw_message(acct: &Account, mailbox: &MailboxName, uid: u32) -> Result<Vec<u8>, ApiError> {
    let read = acct
        .read(|mut c| async move { message::size_and_head(&mut c, mailbox, uid, None, MAX_MESSAGE as u32).await })
        .await?;
    let (size, bytes) = found_message(read, uid, None)?;
    if size as usize > MAX_MESSAGE {
        return Err(ComposeError::TooLarge { size: size as usize, limit: MAX_MESSAGE }.into());
    }
    Ok(bytes)
}

async fn header_of(acct: &Account, mailbox: &MailboxName, uid: u32) -> Result<Vec<u8>, ApiError> {
    let read = acct.read(|mut c| async move { message::header(&mut c, mailbox, uid, 256 * 1024).await }).await?;
    found_message(read, uid, None)
}

/// A part of a stored message, decoded from its transfer encoding; at most `budget` bytes
/// decoded (a base64 part is read up to its encoded size, a third more).
async fn part_file(
    acct: &Account,
    field: &str,
    (mailbox, uid, part_id): (&MailboxName, u32, &str),
    budget: usize,
) -> Result<File, ApiError> {
    let encoded_max = budget.min(MAX_MESSAGE) / 3 * 4 + 4096;
    let section =
        Section::parse(part_id).map_err(|e| ApiError::invalid_property(&format!("{field}.partId"), &e.to_string()))?;
    let (tree, bytes) = acct
        .read(|mut c| {
            let section = section.clone();
            async move {
                let tree = message::structure(&mut c, mailbox, uid, None).await?;
                let bytes = message::chunk(&mut c, uid, &section, 0, encoded_max as u32 + 1).await?;
                Ok((tree, bytes))
            }
        })
        .await?;
    let tree = found_message(tree, uid, None)?;
    let part = message::find_part(&tree, part_id).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "part-not-found", "No such part").detail(part_id.to_string())
    })?;
    let (data, _) = crate::convert::text::transfer(&bytes, part.imap.encoding.as_deref(), false);
    if bytes.len() > encoded_max || data.len() > budget {
        return Err(ComposeError::TooLarge {
            size: MAX_MESSAGE - budget + data.len().max(budget + 1),
            limit: MAX_MESSAGE,
        }
        .into());
    }
    let content_type = Some(part.r#type.to_ascii_lowercase())
        .filter(|t| check::media_type("", t).is_ok())
        .unwrap_or_else(|| "application/octet-stream".into());
    let filename = part.name.clone().unwrap_or_else(|| format!("part-{part_id}")).replace(['\r', '\n', '\0'], " ");
    Ok(File { filename, content_type, data, cid: None, inline: false })
}

/// Checks `c` and builds its message. `sending`: at least one recipient is required.
pub async fn build(
    state: &AppState,
    acct: &Account,
    c: &Compose,
    form_files: Vec<File>,
    sending: bool,
) -> Result<Built, ApiError> {
    for (name, list) in [("to", &c.to), ("cc", &c.cc), ("bcc", &c.bcc), ("replyTo", &c.reply_to)] {
        check::recipients(name, list)?;
    }
    let recipients: Vec<String> = c.to.iter().chain(&c.cc).chain(&c.bcc).map(|r| r.email.clone()).collect();
    if recipients.len() > check::MAX_RECIPIENTS {
        return Err(ApiError::invalid_property("to", &format!("at most {} recipients in all", check::MAX_RECIPIENTS)));
    }
    if sending && recipients.is_empty() {
        return Err(ApiError::invalid_property("to", "a message to send needs at least one recipient"));
    }
    if let Some(s) = &c.subject {
        check::header_value("subject", s)?;
    }
    if c.headers.len() > check::MAX_EXTRA_HEADERS {
        return Err(ApiError::invalid_property("headers", &format!("at most {} fields", check::MAX_EXTRA_HEADERS)));
    }
    for (name, value) in &c.headers {
        check::extra_header(name, value)?;
    }
    if c.attachments.len() + form_files.len() > check::MAX_ATTACHMENTS {
        return Err(ApiError::invalid_property("attachments", &format!("at most {}", check::MAX_ATTACHMENTS)));
    }
    let keywords = c.keywords.iter().map(|k| flag(k, "keywords")).collect::<Result<Vec<_>, _>>()?;
    let mut files = c.attachments.iter().enumerate().map(|(i, a)| uploaded(i, a)).collect::<Result<Vec<_>, _>>()?;
    let ids = identities(state, acct).await?;
    let from = match (&c.from, sending) {
        (None, false) => sender(&ids, None).ok(),
        (from, _) => Some(sender(&ids, from.as_ref())?),
    };
    let replied = match &c.in_reply_to {
        Some(r) => Some((mailbox("inReplyTo.mailbox", &r.mailbox)?, r.uid)),
        None => None,
    };
    let forwarded = match &c.forward {
        Some(f) => Some((mailbox("forward.mailbox", &f.mailbox)?, f.uid)),
        None => None,
    };
    let mut refs = Vec::new();
    let mut parts = Vec::new();
    for (i, a) in c.attachments.iter().enumerate() {
        if let Attachment::Part(p) = a {
            parts.push((i, mailbox(&format!("attachments[{i}].mailbox"), &p.mailbox)?, p.uid, p.part_id.clone()));
        }
    }
    // Everything is checked: now the reads from IMAP.
    let mut subject = c.subject.clone();
    let (mut text, mut html) = (c.text.clone(), c.html.clone());
    let mut in_reply_to = None;
    if let Some((m, uid)) = &replied {
        let o = original::read(&header_of(acct, m, *uid).await?);
        refs = original::references(&o);
        in_reply_to = o.message_id.clone();
        subject.get_or_insert_with(|| original::reply_subject(&o));
    }
    let mut attached = None;
    if let (Some((m, uid)), Some(f)) = (&forwarded, &c.forward) {
        // an own message's Bcc stays private when it is forwarded
        let raw = strip::without_field(&raw_message(acct, m, *uid).await?, "Bcc");
        subject.get_or_insert_with(|| original::forward_subject(&original::read(&raw)));
        if f.as_attachment.unwrap_or(true) {
            attached = Some(raw);
        } else {
            let quoted = original::inline(&raw);
            text = Some(format!("{}\r\n\r\n{}", text.unwrap_or_default(), quoted.text));
            if let Some(h) = quoted.html {
                html = Some(format!("{}<br><br>{h}", html.unwrap_or_default()));
            }
            files.extend(quoted.files.into_iter().map(Some));
        }
    }
    // Everything read so far counts against the message limit; each part read from IMAP may
    // take only what is left, so memory stays bounded whatever the document names.
    let mut size: usize = files.iter().flatten().map(|f| f.data.len()).sum::<usize>()
        + form_files.iter().map(|f| f.data.len()).sum::<usize>()
        + attached.as_ref().map_or(0, Vec::len)
        + text.as_ref().map_or(0, String::len)
        + html.as_ref().map_or(0, String::len);
    if size > MAX_MESSAGE {
        return Err(ComposeError::TooLarge { size, limit: MAX_MESSAGE }.into());
    }
    for (i, m, uid, part_id) in parts {
        let file = part_file(acct, &format!("attachments[{i}]"), (&m, uid, &part_id), MAX_MESSAGE - size).await?;
        size += file.data.len();
        files[i] = Some(file);
    }
    let mut files: Vec<File> = files.into_iter().flatten().collect();
    files.extend(form_files);
    let domain = from.as_ref().and_then(|f| f.email.rsplit_once('@').map(|(_, d)| d.to_string()));
    let message_id = format!(
        "{:016x}{:016x}@{}",
        crate::random::random_id(),
        crate::random::random_id(),
        domain.unwrap_or_else(|| "imap-gateway.invalid".into())
    );
    let letter = Letter {
        from: from.clone(),
        to: c.to.clone(),
        cc: c.cc.clone(),
        bcc: c.bcc.clone(),
        reply_to: c.reply_to.clone(),
        subject: subject.unwrap_or_default(),
        text,
        html,
        files,
        forwarded: attached,
        in_reply_to,
        references: refs,
        extra: c
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain(draft_of(sending, &replied, &forwarded))
            .collect(),
        message_id: message_id.clone(),
        date: chrono::Utc::now().timestamp(),
    };
    let bytes = strip::crlf(&mime::build(&letter));
    if bytes.len() > MAX_MESSAGE {
        return Err(ComposeError::TooLarge { size: bytes.len(), limit: MAX_MESSAGE }.into());
    }
    let envelope = Envelope { from: from.map(|f| f.email).unwrap_or_default(), to: dedup(recipients) };
    Ok(Built { bytes, message_id: format!("<{message_id}>"), envelope, replied, forwarded, keywords })
}

/// The header field a draft keeps its original in (`answered` or `forwarded`, the UID, the
/// mailbox name in base64url), so that sending the draft marks it; removed before sending.
pub const DRAFT_OF: &str = "X-Imap-Gateway-Draft-Of";

fn draft_of(
    sending: bool,
    replied: &Option<(MailboxName, u32)>,
    forwarded: &Option<(MailboxName, u32)>,
) -> Option<(String, String)> {
    use base64::Engine as _;
    let (mark, (mailbox, uid)) = match (replied, forwarded) {
        _ if sending => return None,
        (Some(r), _) => ("answered", r),
        (None, Some(f)) => ("forwarded", f),
        (None, None) => return None,
    };
    let name = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mailbox.as_str());
    Some((DRAFT_OF.to_string(), format!("{mark} {uid} {name}")))
}

/// The original a draft names in its [`DRAFT_OF`] field: (answered, else forwarded; mailbox; UID).
pub fn draft_origin(raw: &[u8]) -> Option<(bool, MailboxName, u32)> {
    use base64::Engine as _;
    let m = mail_parser::MessageParser::default().parse_headers(raw)?;
    let value = m.header_raw(DRAFT_OF)?.trim().to_string();
    let mut words = value.split(' ');
    let answered = match words.next()? {
        "answered" => true,
        "forwarded" => false,
        _ => return None,
    };
    let uid = words.next()?.parse().ok()?;
    let name = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(words.next()?).ok()?;
    Some((answered, MailboxName::parse(std::str::from_utf8(&name).ok()?).ok()?, uid))
}

fn dedup(list: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for a in list {
        if !out.iter().any(|b| b.eq_ignore_ascii_case(&a)) {
            out.push(a);
        }
    }
    out
}
