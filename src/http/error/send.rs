//! The problems of writing mail: compose checks (422, 413) and SMTP answers (422 for refusals,
//! 503 with `Retry-After` for 4xx and connection failures, 504 when the message may have gone).

use axum::http::StatusCode;

use super::{ApiError, SmtpAnswer};
use crate::{compose::ComposeError, smtp::SmtpError};

impl From<ComposeError> for ApiError {
    fn from(e: ComposeError) -> Self {
        match e {
            ComposeError::Invalid { field, reason } => Self::invalid_property(&field, &reason),
            ComposeError::NotIdentity(address) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not-an-identity",
                "The sender is not an identity of this account",
            )
            .detail(format!("{address} is not one of this account's identities (smtp.identities)")),
            ComposeError::TooLarge { .. } => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "message-too-large", "The message is too large")
                    .detail(e.to_string())
            }
        }
    }
}

fn with_reply(e: ApiError, code: u16, text: String) -> ApiError {
    ApiError { smtp: Some(Box::new(SmtpAnswer { reply: Some((code, text)), rejected: Vec::new() })), ..e }
}

impl From<SmtpError> for ApiError {
    fn from(e: SmtpError) -> Self {
        let detail = e.to_string();
        match e {
            SmtpError::NotConfigured => {
                Self::new(StatusCode::NOT_IMPLEMENTED, "sending-not-configured", "Sending is not configured")
                    .detail("this gateway has no [smtp] host; drafts still work")
            }
            SmtpError::Address(_) => Self::invalid_property("message", &detail),
            SmtpError::Unavailable(_) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "smtp-unavailable", "The submission server is unavailable")
                    .detail("nothing was sent; try again later")
                    .retry_after(30)
            }
            SmtpError::NoStarttls | SmtpError::NoMechanism(_) => {
                Self::new(StatusCode::BAD_GATEWAY, "smtp-misconfigured", "The submission server cannot be used")
                    .detail(detail)
            }
            SmtpError::AuthRefused { code, text } => with_reply(
                Self::new(StatusCode::BAD_GATEWAY, "smtp-login-refused", "The submission server refused the login")
                    .detail("the account's credentials were refused for sending; nothing was sent"),
                code,
                text,
            ),
            SmtpError::NeedsEightBit => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "smtp-needs-8bitmime",
                "The message needs 8BITMIME, which the submission server does not offer",
            )
            .detail("nothing was sent; send it with 7-bit transfer encodings (base64 or quoted-printable)"),
            SmtpError::TooLarge { .. } => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "message-too-large", "The message is too large").detail(detail)
            }
            SmtpError::Transient { code, text } => with_reply(
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "smtp-try-again",
                    "The submission server asked to try later",
                )
                .detail("nothing was sent")
                .retry_after(60),
                code,
                text,
            ),
            SmtpError::Refused { code, text } => with_reply(
                Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "smtp-refused",
                    "The submission server refused the message",
                )
                .detail("nothing was sent"),
                code,
                text,
            ),
            SmtpError::AllRejected(rejected) => ApiError {
                smtp: Some(Box::new(SmtpAnswer { reply: None, rejected })),
                ..Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "recipients-refused",
                    "The submission server refused every recipient",
                )
                .detail("nothing was sent; see `rejected`")
            },
            SmtpError::Unconfirmed(_) => ApiError {
                settles_key: true,
                ..Self::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    "send-unconfirmed",
                    "The submission server did not confirm the message",
                )
                .detail(
                    "the message was handed over but the server's answer never came: it may have been sent. \
                     Check the recipient or the Sent mailbox before sending it again",
                )
            },
        }
    }
}
