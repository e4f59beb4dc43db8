//! Errors of the IMAP boundary, classified so that the HTTP edge can map each to one status.

use super::encode::EncodeError;

/// The phase of a connection or command that ran out of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// TCP connect.
    Connect,
    /// TLS handshake (implicit or after STARTTLS).
    Tls,
    /// Waiting for the server greeting.
    Greeting,
    /// LOGIN or AUTHENTICATE.
    Login,
    /// Any command after login.
    Command,
}

impl Phase {
    /// Lower-case name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Connect => "connect",
            Phase::Tls => "TLS handshake",
            Phase::Greeting => "greeting",
            Phase::Login => "login",
            Phase::Command => "command",
        }
    }
}

/// The `command` of the [`ServerReply`] made from the server greeting (`connect.rs`); the HTTP
/// edge never echoes its text.
pub const GREETING: &str = "GREETING";

/// A tagged or untagged status the server sent, kept for problem bodies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerReply {
    /// Command name (never carries caller data).
    pub command: &'static str,
    /// `NO`, `BAD` or `BYE`.
    pub status: &'static str,
    /// Response code such as `NONEXISTENT`, upper case, without arguments.
    pub code: Option<String>,
    /// Arguments of the code (`7,9` of `[MODIFIED 7,9]`), when imap-proto left them in the text.
    pub code_args: Option<String>,
    /// Human-readable text, truncated and stripped of control characters.
    pub text: String,
    /// The JSON challenge of a refused OAuth2 login (XOAUTH2, OAUTHBEARER).
    pub oauth: Option<Box<OAuthChallenge>>,
}

/// What a server said when it refused an OAuth2 access token (RFC 7628 §3.2.2; Google's
/// XOAUTH2 sends the same members). Values are sanitized and truncated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OAuthChallenge {
    /// `status`, e.g. `401` or `invalid_token`.
    pub status: Option<String>,
    /// `scope` the token would need.
    pub scope: Option<String>,
    /// `schemes`, e.g. `bearer`.
    pub schemes: Option<String>,
}

impl OAuthChallenge {
    /// Reads the decoded challenge; anything that is not such JSON gives an empty challenge.
    pub fn parse(bytes: &[u8]) -> Self {
        let v: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
        let member = |k: &str| v.get(k).and_then(|x| x.as_str()).map(sanitize).filter(|s| !s.is_empty());
        Self { status: member("status"), scope: member("scope"), schemes: member("schemes") }
    }
}

/// Everything that can go wrong talking to IMAP.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// TCP connect failed (refused, unreachable).
    #[error("cannot connect to the IMAP server: {0}")]
    Connect(std::io::Error),
    /// TLS failed (bad certificate, handshake error).
    #[error("TLS with the IMAP server failed: {0}")]
    Tls(String),
    /// No attempt was made: connections to the server failed just before, and the next one
    /// waits this long (jittered backoff).
    #[error("the IMAP server cannot be reached; the next attempt is in {} ms", .0.as_millis())]
    Backoff(std::time::Duration),
    /// A phase ran past its deadline.
    #[error("the IMAP server did not answer in time ({})", .0.as_str())]
    Timeout(Phase),
    /// The server refused the credentials.
    #[error("the IMAP server refused the credentials")]
    AuthFailed(ServerReply),
    /// The server refused a login because of a connection or rate limit (`[LIMIT]`,
    /// `[UNAVAILABLE]`).
    #[error("the IMAP server is at its connection limit")]
    Limit(ServerReply),
    /// A tagged NO for a command.
    #[error("the IMAP server refused {}: {}", .0.command, .0.text)]
    No(ServerReply),
    /// A tagged BAD: the server did not understand what the gateway sent.
    #[error("the IMAP server rejected the syntax of {}", .0.command)]
    Bad(ServerReply),
    /// The connection died: EOF, reset, `BYE`, or an unparseable response.
    #[error("the IMAP connection was lost: {0}")]
    ConnectionLost(String),
    /// The server sent something the gateway cannot use.
    #[error("unexpected response from the IMAP server: {0}")]
    Protocol(String),
    /// No pooled connection became free within the wait deadline.
    #[error("all IMAP connections for this account are busy")]
    PoolBusy,
    /// The process-wide connection cap is reached.
    #[error("the gateway is at its global IMAP connection limit")]
    GlobalLimit,
    /// Caller data could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The server lacks a capability the operation needs.
    #[error("the IMAP server does not support {0}")]
    Unsupported(&'static str),
    /// The caller's upload was unusable while it streamed (a NUL byte, or it ended early). The
    /// literal could not be completed, so the connection is discarded.
    #[error("upload refused: {detail}")]
    Upload {
        /// True if the body held a NUL byte.
        nul: bool,
        /// What was wrong.
        detail: String,
    },
}

impl ImapError {
    /// True when the connection (not the command) failed, so a fresh connection may succeed.
    pub fn is_connection_failure(&self) -> bool {
        matches!(self, ImapError::ConnectionLost(_) | ImapError::Connect(_))
    }
}

/// Builds a [`ServerReply`] from a status, resp-text code and text. Codes unknown to
/// imap-proto arrive inside the text as `[CODE ...] text`, so they are split off here.
pub fn server_reply(command: &'static str, status: &'static str, code: Option<String>, text: &str) -> ServerReply {
    let (code, code_args, text) = match code {
        Some(c) => (Some(c), None, text.to_string()),
        None => split_code(text),
    };
    ServerReply { command, status, code, code_args, text: sanitize(&text), oauth: None }
}

fn split_code(text: &str) -> (Option<String>, Option<String>, String) {
    let t = text.trim_start();
    if let Some(rest) = t.strip_prefix('[')
        && let Some(end) = rest.find(']')
    {
        let mut words = rest[..end].splitn(2, ' ');
        let code = words.next().unwrap_or("").to_ascii_uppercase();
        let args = words.next().map(|a| sanitize(a.trim())).filter(|a| !a.is_empty());
        if !code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return (Some(code), args, rest[end + 1..].trim_start().to_string());
        }
    }
    (None, None, t.to_string())
}

/// Server text goes into problem bodies: strip controls and bound the length.
fn sanitize(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_are_split_from_the_text() {
        let r = server_reply("LOGIN", "NO", None, "[LIMIT] Maximum number of connections");
        assert_eq!(r.code.as_deref(), Some("LIMIT"));
        assert_eq!(r.text, "Maximum number of connections");
        let r = server_reply("UID STORE", "OK", None, "[MODIFIED 7,9:11] Conditional store failed");
        assert_eq!((r.code.as_deref(), r.code_args.as_deref()), (Some("MODIFIED"), Some("7,9:11")));
        let r = server_reply("SELECT", "NO", None, "Mailbox doesn't exist: x");
        assert_eq!(r.code, None);
        let r = server_reply("X", "NO", None, "[BADCHARSET (UTF-8)] nope\r\n<script>");
        assert_eq!(r.code.as_deref(), Some("BADCHARSET"));
        assert_eq!(r.text, "nope<script>");
    }
}
