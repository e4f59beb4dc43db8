//! AUTHENTICATE with an OAuth2 access token (XOAUTH2 or OAUTHBEARER): the initial response in
//! the command where the server offers SASL-IR, else after its empty challenge. A failure comes
//! as a base64 JSON challenge (`status`, `scope`, `schemes`); it is kept for the problem and
//! answered, so the server sends its tagged NO instead of waiting.

use std::sync::{Arc, Mutex};

use async_imap::{Authenticator, Client, Session};

use super::super::{
    connect::Conn,
    encode::sasl::{self, OAuthMechanism},
    error::{ImapError, OAuthChallenge},
};
use super::reply::classify_login_error;

struct Bearer {
    mechanism: OAuthMechanism,
    message: Option<Vec<u8>>,
    challenge: Arc<Mutex<Option<OAuthChallenge>>>,
}

impl Authenticator for Bearer {
    type Response = Vec<u8>;
    fn process(&mut self, challenge: &[u8]) -> Vec<u8> {
        if let Some(message) = self.message.take() {
            return message;
        }
        if let Ok(mut c) = self.challenge.lock() {
            *c = Some(OAuthChallenge::parse(challenge));
        }
        self.mechanism.abort_reply().to_vec()
    }
}

/// Authenticates `client` as `user` with `token`; `sasl_ir` says whether the server offers it.
pub(super) async fn authenticate(
    client: Client<Conn>,
    mechanism: OAuthMechanism,
    user: &str,
    token: &str,
    (host, port): (&str, u16),
    sasl_ir: bool,
) -> Result<Session<Conn>, ImapError> {
    let message = sasl::initial_response(mechanism, user, token, host, port).map_err(|e| {
        ImapError::AuthFailed(super::super::error::server_reply("AUTHENTICATE", "NO", None, &e.to_string()))
    })?;
    let challenge = Arc::new(Mutex::new(None));
    let (args, rest) = if sasl_ir {
        (sasl::authenticate_args(mechanism, Some(&message)), None)
    } else {
        (sasl::authenticate_args(mechanism, None), Some(message))
    };
    let auth = Bearer { mechanism, message: rest, challenge: challenge.clone() };
    client.authenticate(args, auth).await.map_err(|(e, _)| {
        let mut err = classify_login_error("AUTHENTICATE", e);
        if let (ImapError::AuthFailed(reply), Ok(mut c)) = (&mut err, challenge.lock()) {
            reply.oauth = c.take().map(Box::new);
        }
        err
    })
}
