//! The RFC 9457 problem document every error uses.

use serde::Serialize;
use utoipa::ToSchema;

/// An error, as `application/problem+json`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// Stable URI naming the kind of problem, e.g. `https://imap-gateway.dev/problems/mailbox-not-found`.
    pub r#type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// Explanation of this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Invalid request fields, with reasons.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invalid_params: Vec<InvalidParam>,
    /// What the IMAP server answered, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imap: Option<ProblemImap>,
    /// What the SMTP server answered, when a send failed on its answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp: Option<ProblemSmtp>,
    /// Recipients the SMTP server refused, with its answer for each (a send refused for
    /// every recipient).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<crate::views::compose::RejectedRecipient>,
    /// The ACL rights (RFC 4314) a refused write needed and the account lacks on the mailbox,
    /// one letter each (`i` insert, `w` write flags, `s` seen, `t` delete flag, `e` expunge,
    /// `k` create, `x` delete mailbox).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_rights: Option<String>,
    /// The rights the account has on that mailbox (MYRIGHTS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_rights: Option<String>,
    /// The request's `X-Request-Id`, to quote when reporting it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// The IMAP server's part of a problem.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProblemImap {
    /// Command name, e.g. `SELECT`.
    pub command: String,
    /// `NO`, `BAD` or `BYE`.
    pub status: String,
    /// Response code without arguments, e.g. `NONEXISTENT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The server's text (sanitized, truncated).
    pub text: String,
    /// What the server said when it refused an OAuth2 access token (its SASL challenge).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth: Option<ProblemOAuth>,
}

/// The SMTP server's answer in a problem.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemSmtp {
    /// Reply code, e.g. `451`.
    #[schema(minimum = 200, maximum = 599)]
    pub code: u16,
    /// The server's text (sanitized, truncated).
    pub text: String,
}

/// The JSON challenge of a refused XOAUTH2 or OAUTHBEARER login (RFC 7628 §3.2.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemOAuth {
    /// `status`, e.g. `401` or `invalid_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The scope the token would need.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The authentication schemes the server accepts, e.g. `bearer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schemes: Option<String>,
}

/// One invalid request field.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvalidParam {
    /// Path of the field, e.g. `filter.conditions[2].recent`.
    pub name: String,
    /// Why it is invalid.
    pub reason: String,
}
