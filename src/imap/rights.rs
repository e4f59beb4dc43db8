//! The account's rights on a mailbox (ACL, RFC 4314): MYRIGHTS where the server has ACL.

use async_imap::imap_proto::Response;

use super::{
    encode::{self, MailboxName},
    error::ImapError,
    session::ImapConn,
};

/// The rights the account has on `mailbox` as the server spells them (`lrswipkxtea`), or
/// `None` when the server has no ACL or does not tell (NO or BAD to MYRIGHTS).
pub async fn my_rights(conn: &mut ImapConn, mailbox: &MailboxName) -> Result<Option<String>, ImapError> {
    if !conn.has("ACL") {
        return Ok(None);
    }
    let mut rights: Option<String> = None;
    match conn
        .execute(&encode::my_rights(mailbox), |r| {
            if let Response::MyRights(m) = r {
                rights = Some(m.rights.iter().map(|&c| char::from(c)).collect());
            }
        })
        .await
    {
        Ok(_) => Ok(Some(rights.unwrap_or_default())),
        Err(ImapError::No(_) | ImapError::Bad(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
