//! SASL messages for OAuth2 access tokens: XOAUTH2 (Google's) and OAUTHBEARER (RFC 7628), and
//! the AUTHENTICATE arguments that carry them (base64, so nothing of the caller's reaches the
//! wire unencoded). The token must be an RFC 6750 `b64token`; the user name must hold no
//! control characters (the `^A` separators would be forged otherwise).

use base64::Engine as _;

use super::atoms::EncodeError;

/// Longest access token accepted, in bytes (Microsoft's run to a few KiB).
pub const MAX_TOKEN: usize = 16 * 1024;

/// Which SASL mechanism carries the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OAuthMechanism {
    /// `XOAUTH2` (Google, Microsoft, most providers).
    #[serde(rename = "XOAUTH2")]
    XOAuth2,
    /// `OAUTHBEARER` (RFC 7628).
    #[serde(rename = "OAUTHBEARER")]
    OAuthBearer,
}

impl OAuthMechanism {
    /// The SASL name.
    pub fn name(self) -> &'static str {
        match self {
            Self::XOAuth2 => "XOAUTH2",
            Self::OAuthBearer => "OAUTHBEARER",
        }
    }

    /// The capability a server offering it advertises.
    pub fn capability(self) -> &'static str {
        match self {
            Self::XOAuth2 => "AUTH=XOAUTH2",
            Self::OAuthBearer => "AUTH=OAUTHBEARER",
        }
    }

    /// The client's answer to a failure challenge, after which the server sends its tagged NO
    /// (an empty response for XOAUTH2, `^A` for OAUTHBEARER, RFC 7628 §3.2.3).
    pub fn abort_reply(self) -> &'static [u8] {
        match self {
            Self::XOAuth2 => b"",
            Self::OAuthBearer => b"\x01",
        }
    }
}

/// Checks an access token: 1 to [`MAX_TOKEN`] characters of the RFC 6750 `b64token` set.
pub fn check_token(token: &str) -> Result<(), EncodeError> {
    if token.is_empty() {
        return Err(EncodeError::Empty("access token"));
    }
    if token.len() > MAX_TOKEN {
        return Err(EncodeError::TooLong("access token"));
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || "-._~+/=".contains(c);
    if !token.chars().all(ok) {
        return Err(EncodeError::NotAtom("access token"));
    }
    Ok(())
}

fn check_user(user: &str) -> Result<(), EncodeError> {
    if user.is_empty() {
        return Err(EncodeError::Empty("username"));
    }
    if user.len() > 1024 {
        return Err(EncodeError::TooLong("username"));
    }
    if user.chars().any(char::is_control) {
        return Err(EncodeError::Control("username"));
    }
    Ok(())
}

/// The client's first message for `mechanism`; `host` and `port` are the server's (OAUTHBEARER
/// names them).
pub fn initial_response(
    mechanism: OAuthMechanism,
    user: &str,
    token: &str,
    host: &str,
    port: u16,
) -> Result<Vec<u8>, EncodeError> {
    check_user(user)?;
    check_token(token)?;
    Ok(match mechanism {
        OAuthMechanism::XOAuth2 => format!("user={user}\x01auth=Bearer {token}\x01\x01"),
        OAuthMechanism::OAuthBearer => {
            // RFC 5801 saslname: "," and "=" are escaped.
            let name = user.replace('=', "=3D").replace(',', "=2C");
            format!("n,a={name},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01")
        }
    }
    .into_bytes())
}

/// The arguments of `AUTHENTICATE`: the mechanism, and the initial response in base64 when the
/// server offers SASL-IR (RFC 4959).
pub fn authenticate_args(mechanism: OAuthMechanism, initial: Option<&[u8]>) -> String {
    match initial {
        Some(bytes) => format!("{} {}", mechanism.name(), base64::engine::general_purpose::STANDARD.encode(bytes)),
        None => mechanism.name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoauth2_and_oauthbearer_messages_follow_their_specs() {
        let x = initial_response(OAuthMechanism::XOAuth2, "alice", "tok.en", "h", 1).expect("ok");
        assert_eq!(x, b"user=alice\x01auth=Bearer tok.en\x01\x01");
        let o = initial_response(OAuthMechanism::OAuthBearer, "a,b=c", "t", "imap.example", 993).expect("ok");
        assert_eq!(o, b"n,a=a=2Cb=3Dc,\x01host=imap.example\x01port=993\x01auth=Bearer t\x01\x01");
        assert_eq!(authenticate_args(OAuthMechanism::XOAuth2, Some(b"ab")), "XOAUTH2 YWI=");
        assert_eq!(authenticate_args(OAuthMechanism::OAuthBearer, None), "OAUTHBEARER");
    }

    #[test]
    fn tokens_and_users_that_could_forge_separators_are_refused() {
        for bad in ["", "a b", "a\x01b", "a\r\nb", "tok\u{e9}", "a\"b"] {
            assert!(check_token(bad).is_err(), "{bad:?}");
        }
        assert!(check_token(&"a".repeat(MAX_TOKEN + 1)).is_err());
        assert!(check_token("eyJ.abc-_~+/=").is_ok());
        for bad in ["", "al\x01ice", "al\nice"] {
            assert!(initial_response(OAuthMechanism::XOAuth2, bad, "t", "h", 1).is_err(), "{bad:?}");
        }
    }
}
