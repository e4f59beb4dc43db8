//! The only text of ours that reaches an SMTP server: envelope paths and AUTH commands. A
//! path is refused unless it is visible ASCII without brackets (no command can be smuggled
//! into `MAIL FROM` or `RCPT TO`); AUTH payloads are base64.

use base64::{Engine as _, engine::general_purpose::STANDARD};

use super::SmtpError;
use crate::imap::encode::sasl::{self, OAuthMechanism};

/// `<address>` for `MAIL FROM` or `RCPT TO`.
pub fn path(address: &str) -> Result<String, SmtpError> {
    if address.is_empty()
        || address.len() > 254
        || !address.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'\\'))
    {
        return Err(SmtpError::Address(address.escape_debug().to_string()));
    }
    Ok(format!("<{address}>"))
}

/// `MAIL FROM:<from>` with `SIZE=` and `BODY=8BITMIME` when offered and needed.
pub fn mail_from(from: &str, size: Option<usize>, eight_bit: bool) -> Result<String, SmtpError> {
    let mut cmd = format!("MAIL FROM:{}", path(from)?);
    if let Some(n) = size {
        cmd.push_str(&format!(" SIZE={n}"));
    }
    if eight_bit {
        cmd.push_str(" BODY=8BITMIME");
    }
    cmd.push_str("\r\n");
    Ok(cmd)
}

/// `RCPT TO:<to>`.
pub fn rcpt_to(to: &str) -> Result<String, SmtpError> {
    Ok(format!("RCPT TO:{}\r\n", path(to)?))
}

/// The message data: CRLF line ends only. A bare CR or LF could end the data early on a
/// lenient server ("SMTP smuggling") or lose a dot-stuffing, so it never goes out.
pub fn data(message: &[u8]) -> Result<(), SmtpError> {
    let bare = message.iter().enumerate().any(|(i, &b)| match b {
        b'\r' => message.get(i + 1) != Some(&b'\n'),
        b'\n' => i == 0 || message[i - 1] != b'\r',
        _ => false,
    });
    if bare { Err(SmtpError::Address("a bare CR or LF in the message".into())) } else { Ok(()) }
}

/// `AUTH PLAIN` with its initial response: `authzid NUL authcid NUL password`.
pub fn auth_plain(authzid: Option<&str>, user: &str, password: &str) -> Result<String, SmtpError> {
    if [authzid.unwrap_or(""), user, password].iter().any(|s| s.contains('\0')) {
        return Err(SmtpError::Address("NUL in a credential".into()));
    }
    let message = format!("{}\0{user}\0{password}", authzid.unwrap_or(""));
    Ok(format!("AUTH PLAIN {}\r\n", STANDARD.encode(message)))
}

/// `AUTH XOAUTH2` / `AUTH OAUTHBEARER` with its initial response (the same messages as IMAP).
pub fn auth_oauth(
    mechanism: OAuthMechanism,
    user: &str,
    token: &str,
    host: &str,
    port: u16,
) -> Result<String, SmtpError> {
    let message =
        sasl::initial_response(mechanism, user, token, host, port).map_err(|e| SmtpError::Address(e.to_string()))?;
    Ok(format!("AUTH {} {}\r\n", mechanism.name(), STANDARD.encode(message)))
}

/// The answer to a failure challenge of an OAuth mechanism, after which the server sends 535.
pub fn oauth_abort(mechanism: OAuthMechanism) -> String {
    format!("{}\r\n", STANDARD.encode(mechanism.abort_reply()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_carry_commands() {
        assert_eq!(path("a@b").ok().as_deref(), Some("<a@b>"));
        for bad in ["", "a@b>\r\nRCPT TO:<x@y", "a b@c", "a@b\r\n", "<a@b>", "ü@b"] {
            assert!(path(bad).is_err(), "{bad:?}");
        }
        assert_eq!(mail_from("a@b", Some(10), true).ok().as_deref(), Some("MAIL FROM:<a@b> SIZE=10 BODY=8BITMIME\r\n"));
        assert!(data(b"a\r\n.\r\nb\r\n").is_ok());
        for bad in [&b"a\n.\nMAIL FROM:<x@y>\r\n"[..], b"a\r.\r", b"\nx", b"x\r"] {
            assert!(data(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn auth_messages_are_base64() {
        assert_eq!(auth_plain(None, "alice", "pw").ok().as_deref(), Some("AUTH PLAIN AGFsaWNlAHB3\r\n"));
        assert_eq!(auth_plain(Some("alice"), "gw", "p").ok().as_deref(), Some("AUTH PLAIN YWxpY2UAZ3cAcA==\r\n"));
        assert!(auth_plain(None, "a\0b", "p").is_err());
        let x = auth_oauth(OAuthMechanism::XOAuth2, "alice", "tok", "h", 1).expect("ok");
        assert_eq!(x, format!("AUTH XOAUTH2 {}\r\n", STANDARD.encode("user=alice\x01auth=Bearer tok\x01\x01")));
        assert_eq!(oauth_abort(OAuthMechanism::OAuthBearer), "AQ==\r\n");
    }
}
