//! Refused writes explained: when the server refuses a write (a NO, or flags it will not keep)
//! and has ACL (RFC 4314), the account's rights on the mailbox are read with MYRIGHTS; a right
//! the write needs and the account lacks answers 403 `missing-right` naming it. Writes that
//! succeed cost nothing more.

use axum::http::StatusCode;

use crate::{
    http::{
        account::{Account, RunError},
        error::ApiError,
    },
    imap::{ImapError, encode::MailboxName, error::ServerReply, rights},
};

/// The rights a flag change needs: `s` for `\Seen`, `t` for `\Deleted`, `w` for the others.
pub fn for_flags<'a>(flags: impl IntoIterator<Item = &'a str>) -> String {
    let mut needed = String::new();
    for f in flags {
        let right = match f.to_ascii_lowercase().as_str() {
            "\\seen" | "$seen" => 's',
            "\\deleted" | "$deleted" => 't',
            _ => 'w',
        };
        if !needed.contains(right) {
            needed.push(right);
        }
    }
    needed
}

/// 403 `missing-right` when the server has ACL and the account lacks one of `needed` on
/// `mailbox` (with the server's refusal, if there was one); `None` otherwise.
pub async fn lacking(
    acct: &Account,
    mailbox: &MailboxName,
    needed: &str,
    refusal: Option<&ServerReply>,
) -> Option<ApiError> {
    let has = acct.read(|mut c| async move { rights::my_rights(&mut c, mailbox).await }).await.ok()??;
    let missing: String = needed.chars().filter(|r| !has.contains(*r)).collect();
    if missing.is_empty() {
        return None;
    }
    let mut problem = ApiError::new(StatusCode::FORBIDDEN, "missing-right", "A right on the mailbox is missing")
        .detail(format!("the account lacks `{missing}` on `{}` (it has `{has}`)", mailbox.as_str()));
    problem.imap = refusal.map(|r| Box::new(r.clone()));
    problem.rights = Some(Box::new((missing, has)));
    Some(problem)
}

/// `result`, or its error explained: 403 `missing-right` when the server refused it and the
/// account lacks one of the rights `needs` names for a mailbox; otherwise the error as `map`
/// makes it a problem.
pub async fn explained<T>(
    acct: &Account,
    needs: &[(&MailboxName, &str)],
    result: Result<T, RunError>,
    map: impl FnOnce(ImapError) -> ApiError,
) -> Result<T, ApiError> {
    let err = match result {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    if let RunError::Imap(ImapError::No(reply)) = &err {
        for &(mailbox, needed) in needs {
            if let Some(problem) = lacking(acct, mailbox, needed, Some(reply)).await {
                return Err(problem);
            }
        }
    }
    Err(err.map_imap(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_changes_need_seen_delete_or_write() {
        assert_eq!(for_flags(["\\Seen"]), "s");
        assert_eq!(for_flags(["$flagged", "\\Deleted", "$seen", "custom"]), "wts");
        assert_eq!(for_flags([]), "");
    }
}
