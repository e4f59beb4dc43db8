//! The gateway's own URLs: a mailbox name as one path segment, the URL of a message, and the
//! download URLs of its parts.

use crate::views::message::Message;

/// Percent-encodes a mailbox name as one path segment.
pub fn segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical URL of a message.
pub fn message_url(mailbox: &str, uid: u32) -> String {
    format!("/v1/mailboxes/{}/messages/{uid}", segment(mailbox))
}

/// Sets the download URL of each listed part of `msg` (text, HTML, attachments):
/// `{message URL}/parts/{partId}?uidValidity={uidValidity}`, pinned to the UIDVALIDITY so that
/// it never serves another message after a recreate.
pub fn set_download_urls(msg: &mut Message, mailbox: &str, uid: u32) {
    let base = message_url(mailbox, uid);
    let uid_validity = msg.summary.imap.uid_validity;
    for part in msg.text_body.iter_mut().chain(&mut msg.html_body).chain(&mut msg.attachments) {
        part.download_url = format!("{base}/parts/{}?uidValidity={uid_validity}", part.part_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        assert_eq!(segment("Archive/2024 ü"), "Archive%2F2024%20%C3%BC");
        assert_eq!(message_url("a b", 7), "/v1/mailboxes/a%20b/messages/7");
    }
}
