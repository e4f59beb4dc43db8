//! The gateway's API as typed `TestApp` methods, one per operation, so a test says what it does
//! (`app.set_flags(..)`) and not how the request is put together. Each returns the response
//! for the test to check; mailbox names are percent-encoded here.

use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, seg};

impl TestApp {
    /// `POST /v1/auth/login` with any body (a password, or an OAuth2 access or refresh token).
    pub async fn login_with(&self, body: &Value) -> Response {
        self.http.post(self.url("/v1/auth/login")).json(body).send().await.expect("login")
    }

    /// `POST /v1/auth/refresh` with a refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> Response {
        let body = serde_json::json!({ "refreshToken": refresh_token });
        self.http.post(self.url("/v1/auth/refresh")).json(&body).send().await.expect("refresh")
    }

    /// POST of a JSON body to `path` with a bearer token.
    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Response {
        self.http.post(self.url(path)).bearer_auth(token).json(body).send().await.expect("POST")
    }

    /// POST with no body to `path` with a bearer token.
    pub async fn post_empty(&self, path: &str, token: &str) -> Response {
        self.http.post(self.url(path)).bearer_auth(token).send().await.expect("POST")
    }

    /// DELETE of `path` with a bearer token.
    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.http.delete(self.url(path)).bearer_auth(token).send().await.expect("DELETE")
    }

    /// `POST /v1/mailboxes` with `body` (`name`, and `parent`, `role`, `subscribe`).
    pub async fn create_mailbox(&self, token: &str, body: Value) -> Response {
        self.post_json("/v1/mailboxes", token, &body).await
    }

    /// `PATCH /v1/mailboxes/{name}` to `new_name`.
    pub async fn rename_mailbox(&self, token: &str, name: &str, new_name: &str) -> Response {
        let body = serde_json::json!({ "name": new_name });
        let url = self.url(&format!("/v1/mailboxes/{}", seg(name)));
        self.http.patch(url).bearer_auth(token).json(&body).send().await.expect("PATCH")
    }

    /// `DELETE /v1/mailboxes/{name}`, with `?recursive=true` when `recursive`.
    pub async fn delete_mailbox(&self, token: &str, name: &str, recursive: bool) -> Response {
        let query = if recursive { "?recursive=true" } else { "" };
        self.delete(&format!("/v1/mailboxes/{}{query}", seg(name)), token).await
    }

    /// `PUT` (subscribe) or `DELETE` (unsubscribe) `/v1/mailboxes/{name}/subscription`.
    pub async fn subscribe(&self, token: &str, name: &str, subscribed: bool) -> Response {
        let url = self.url(&format!("/v1/mailboxes/{}/subscription", seg(name)));
        let req = if subscribed { self.http.put(url) } else { self.http.delete(url) };
        req.bearer_auth(token).send().await.expect("subscription")
    }

    /// A mailbox state command with no body: `select`, `noop`, `check`, `close` (with its query).
    pub async fn mailbox_command(&self, token: &str, name: &str, command: &str) -> Response {
        self.post_empty(&format!("/v1/mailboxes/{}/{command}", seg(name)), token).await
    }

    /// `POST /v1/mailboxes/{name}/expunge` with `body` (`uids` or `all`).
    pub async fn expunge(&self, token: &str, name: &str, body: Value) -> Response {
        self.post_json(&format!("/v1/mailboxes/{}/expunge", seg(name)), token, &body).await
    }

    /// `POST /v1/mailboxes/{mailbox}/messages{query}`: a raw `message/rfc822` upload.
    pub async fn append(&self, token: &str, mailbox: &str, query: &str, message: impl Into<reqwest::Body>) -> Response {
        self.http
            .post(self.url(&format!("/v1/mailboxes/{}/messages{query}", seg(mailbox))))
            .bearer_auth(token)
            .header("content-type", "message/rfc822")
            .body(message)
            .send()
            .await
            .expect("append")
    }

    /// `PATCH` of message `uid` as a merge patch (`keywords`, `deleted`), with `If-Match` if given.
    pub async fn patch_message(
        &self,
        token: &str,
        mailbox: &str,
        uid: u32,
        body: &Value,
        if_match: Option<&str>,
    ) -> Response {
        let mut req = self
            .http
            .patch(self.url(&format!("/v1/mailboxes/{}/messages/{uid}", seg(mailbox))))
            .bearer_auth(token)
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string());
        if let Some(tag) = if_match {
            req = req.header("if-match", tag);
        }
        req.send().await.expect("PATCH")
    }

    /// The `ETag` of message `uid` (which must be readable).
    pub async fn etag(&self, token: &str, mailbox: &str, uid: u32) -> String {
        let resp = self.get(&format!("/v1/mailboxes/{}/messages/{uid}", seg(mailbox)), token).await;
        assert_eq!(resp.status(), StatusCode::OK, "GET message {uid}");
        resp.headers()["etag"].to_str().expect("etag").to_string()
    }

    /// `POST /v1/mailboxes/{mailbox}/messages/flags`: bulk flag changes.
    pub async fn set_flags(&self, token: &str, mailbox: &str, body: Value) -> Response {
        self.post_json(&format!("/v1/mailboxes/{}/messages/flags", seg(mailbox)), token, &body).await
    }

    /// `POST /v1/mailboxes/{mailbox}/messages/copy`.
    pub async fn copy_messages(&self, token: &str, mailbox: &str, body: Value) -> Response {
        self.post_json(&format!("/v1/mailboxes/{}/messages/copy", seg(mailbox)), token, &body).await
    }

    /// `POST /v1/mailboxes/{mailbox}/messages/move`.
    pub async fn move_messages(&self, token: &str, mailbox: &str, body: Value) -> Response {
        self.post_json(&format!("/v1/mailboxes/{}/messages/move", seg(mailbox)), token, &body).await
    }

    /// `DELETE` of message `uid`: to Trash, or for good when `permanent`.
    pub async fn delete_message(&self, token: &str, mailbox: &str, uid: u32, permanent: bool) -> Response {
        let query = if permanent { "?permanent=true" } else { "" };
        self.delete(&format!("/v1/mailboxes/{}/messages/{uid}{query}", seg(mailbox)), token).await
    }

    /// `POST /v1/mailboxes/{mailbox}/search`.
    pub async fn search(&self, token: &str, mailbox: &str, body: Value) -> Response {
        self.post_json(&format!("/v1/mailboxes/{}/search", seg(mailbox)), token, &body).await
    }

    /// `POST /v1/search`: several mailboxes, or all.
    pub async fn search_all(&self, token: &str, body: Value) -> Response {
        self.post_json("/v1/search", token, &body).await
    }

    /// `POST /v1/webhooks`.
    pub async fn create_webhook(&self, token: &str, body: Value) -> Response {
        self.post_json("/v1/webhooks", token, &body).await
    }
}
