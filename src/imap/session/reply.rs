//! Reading the server's replies: refused logins from async-imap's error text, and the names of
//! response codes.

use async_imap::imap_proto::ResponseCode;

use super::super::connect::{lost, lost_io};
use super::super::error::{ImapError, server_reply};

/// async-imap reports a refused login only as text, `code: <Debug>, info: <Debug>`; recover
/// the code and the server's words from it.
pub(super) fn classify_login_error(command: &'static str, e: async_imap::error::Error) -> ImapError {
    use async_imap::error::Error;
    let (status, text) = match e {
        Error::No(text) => ("NO", text),
        Error::Bad(text) => ("BAD", text),
        Error::Validate(_) => {
            return ImapError::AuthFailed(server_reply(command, "NO", None, "credentials cannot be sent"));
        }
        Error::Io(e) => return lost_io(&e),
        Error::ConnectionLost => return lost("closed during login"),
        _ => return ImapError::Protocol("unexpected response to login".into()),
    };
    let (code_part, info_part) = text.split_once(", info: ").unwrap_or((text.as_str(), ""));
    let code = code_part
        .strip_prefix("code: Some(")
        .and_then(|c| c.strip_suffix(')'))
        .and_then(|c| c.split(['(', ' ', ',']).next())
        .map(|c| c.to_ascii_uppercase());
    let info = info_part
        .strip_prefix("Some(\"")
        .and_then(|i| i.strip_suffix("\")"))
        .map(|i| i.replace("\\\"", "\"").replace("\\\\", "\\"))
        .unwrap_or_default();
    let reply = server_reply(command, status, code, &info);
    if status == "BAD" {
        return ImapError::Bad(reply);
    }
    match reply.code.as_deref() {
        Some("LIMIT" | "UNAVAILABLE" | "INUSE") => ImapError::Limit(reply),
        Some("SERVERBUG" | "CORRUPTION") => ImapError::No(reply),
        _ => ImapError::AuthFailed(reply),
    }
}

/// Name of a response code imap-proto understood.
pub fn code_name(code: &ResponseCode<'_>) -> String {
    let name = match code {
        ResponseCode::Alert => "ALERT",
        ResponseCode::BadCharset(_) => "BADCHARSET",
        ResponseCode::Capabilities(_) => "CAPABILITY",
        ResponseCode::HighestModSeq(_) => "HIGHESTMODSEQ",
        ResponseCode::Parse => "PARSE",
        ResponseCode::PermanentFlags(_) => "PERMANENTFLAGS",
        ResponseCode::ReadOnly => "READ-ONLY",
        ResponseCode::ReadWrite => "READ-WRITE",
        ResponseCode::TryCreate => "TRYCREATE",
        ResponseCode::UidNext(_) => "UIDNEXT",
        ResponseCode::UidValidity(_) => "UIDVALIDITY",
        ResponseCode::Unseen(_) => "UNSEEN",
        ResponseCode::AppendUid(..) => "APPENDUID",
        ResponseCode::CopyUid(..) => "COPYUID",
        ResponseCode::UidNotSticky => "UIDNOTSTICKY",
        _ => "METADATA",
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use async_imap::error::Error;

    use super::*;

    fn no(code: Option<&str>, info: Option<&str>) -> Error {
        Error::No(format!("code: {:?}, info: {:?}", code.map(|_| async_imap::imap_proto::ResponseCode::Alert), info))
    }

    #[test]
    fn refused_logins_are_classified_by_their_code() {
        let e = classify_login_error("AUTHENTICATE", no(None, Some("[LIMIT] Maximum number of connections")));
        assert!(
            matches!(e, ImapError::Limit(ref r) if r.code.as_deref() == Some("LIMIT") && r.text.starts_with("Maximum")),
            "{e:?}"
        );
        let e =
            classify_login_error("AUTHENTICATE", no(None, Some("[AUTHENTICATIONFAILED] Authentication \"failed\".")));
        assert!(matches!(e, ImapError::AuthFailed(ref r) if r.text == "Authentication \"failed\"."), "{e:?}");
        let e = classify_login_error("AUTHENTICATE", no(None, Some("[SERVERBUG] oops")));
        assert!(matches!(e, ImapError::No(ref r) if r.code.as_deref() == Some("SERVERBUG")), "{e:?}");
        let e = classify_login_error("AUTHENTICATE", no(Some("ALERT"), Some("Password expired")));
        assert!(matches!(e, ImapError::AuthFailed(ref r) if r.code.as_deref() == Some("ALERT")), "{e:?}");
        let e = classify_login_error("AUTHENTICATE", no(None, None));
        assert!(matches!(e, ImapError::AuthFailed(ref r) if r.text.is_empty()), "{e:?}");
        let e = classify_login_error("LOGIN", Error::Bad("code: None, info: Some(\"syntax\")".into()));
        assert!(matches!(e, ImapError::Bad(_)), "{e:?}");
    }
}
