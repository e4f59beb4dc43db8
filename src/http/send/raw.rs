//! A complete message sent as it is (`message/rfc822`, or a stored draft): line ends made CRLF,
//! its `From` (and any `Sender`, `Resent-From`, `Resent-Sender`) an identity, its envelope from
//! `To`, `Cc` and `Bcc`, and a missing `Message-ID` or `Date` added in front. A draft's date is
//! the time it is sent, and the original it answers or forwards is marked once it is.

use super::letter::{Built, DRAFT_OF, draft_origin, identities, sender};
use crate::{
    compose::{ComposeError, check, strip},
    http::{account::Account, error::ApiError},
    smtp::Envelope,
    state::AppState,
    views::compose::Recipient,
};

/// `raw` made ready to send as the account; `draft`: it is a stored draft.
pub async fn built(state: &AppState, acct: &Account, raw: &[u8], draft: bool) -> Result<Built, ApiError> {
    let origin = if draft { draft_origin(raw) } else { None };
    let mut raw = strip::without_field(&strip::crlf(raw), DRAFT_OF);
    if draft {
        raw = strip::without_field(&raw, "Date");
    }
    // the header is parsed once, for every field read below
    let parsed = mail_parser::MessageParser::default().parse_headers(&raw);
    let from = strip::addresses(parsed.as_ref(), "From");
    let [from] = from.as_slice() else {
        return Err(ComposeError::invalid("From", "the message needs exactly one From address").into());
    };
    let ids = identities(state, acct).await?;
    let from = sender(&ids, Some(&Recipient { name: None, email: from.clone() }))?;
    for field in ["Sender", "Resent-From", "Resent-Sender"] {
        for a in strip::addresses(parsed.as_ref(), field) {
            sender(&ids, Some(&Recipient { name: None, email: a }))?;
        }
    }
    let mut to = Vec::new();
    for field in ["To", "Cc", "Bcc"] {
        for a in strip::addresses(parsed.as_ref(), field) {
            check::address(field, &a)?;
            if !to.iter().any(|b: &String| b.eq_ignore_ascii_case(&a)) {
                to.push(a);
            }
        }
    }
    if to.is_empty() {
        return Err(ComposeError::invalid("To", "a message to send needs at least one recipient").into());
    }
    if to.len() > check::MAX_RECIPIENTS {
        return Err(ComposeError::invalid("To", format!("at most {} recipients in all", check::MAX_RECIPIENTS)).into());
    }
    let mut head = String::new();
    let message_id = match parsed.as_ref().and_then(|m| m.message_id()) {
        Some(id) => format!("<{id}>"),
        None => {
            let domain = from.email.rsplit_once('@').map_or("imap-gateway.invalid", |(_, d)| d);
            let id = format!("<{:016x}{:016x}@{domain}>", crate::random::random_id(), crate::random::random_id());
            head.push_str(&format!("Message-ID: {id}\r\n"));
            id
        }
    };
    if parsed.as_ref().and_then(|m| m.date()).is_none() {
        head.push_str(&format!("Date: {}\r\n", chrono::Utc::now().to_rfc2822()));
    }
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&raw);
    let (replied, forwarded) = match origin {
        Some((true, m, uid)) => (Some((m, uid)), None),
        Some((false, m, uid)) => (None, Some((m, uid))),
        None => (None, None),
    };
    Ok(Built {
        bytes,
        message_id,
        envelope: Envelope { from: from.email, to },
        replied,
        forwarded,
        keywords: Vec::new(),
    })
}
