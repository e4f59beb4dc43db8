//! The gateway side: the same operations as HTTP requests, through one shared keep-alive client.

use serde_json::{Value, json};

use crate::{
    direct::{LARGE, MESSAGES, first_read_uid, flag_change, uid_of},
    load::{Op, Worker},
    servers::GATEWAY_ADDR,
};

/// The search both sides run, as the gateway's JSON filter.
pub fn search_filter() -> Value {
    json!({"filter": {"from": "bob", "since": "2025-01-25"}})
}

/// One worker of the HTTP side.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    token: String,
    addr: &'static str,
}

impl Http {
    /// Logs in as `user` and gives a worker holding its access token.
    pub async fn login(client: &reqwest::Client, user: &str) -> Result<Self, String> {
        Self::login_at(client, user, GATEWAY_ADDR).await
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Logs in as `user` on the gateway at `addr`.
    pub async fn login_at(client: &reqwest::Client, user: &str, addr: &'static str) -> Result<Self, String> {
        let resp = client
            .post(format!("http://{addr}/v1/auth/login"))
            .json(&json!({"username": user, "password": format!("{user}-pass")}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("login of {user}: {}", resp.status()));
        }
        let body: Value = resp.json().await.map_err(|e| e.to_string())?;
        let token = body["accessToken"].as_str().ok_or("no accessToken")?.to_string();
        Ok(Self { client: client.clone(), token, addr })
    }

    /// GET `path` as this user; the body, or the status and problem as the error.
    pub async fn get(&self, path: &str) -> Result<bytes::Bytes, String> {
        let resp = self.client.get(self.url(path)).bearer_auth(&self.token).send().await.map_err(|e| e.to_string())?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| e.to_string())?;
        if status.is_success() { Ok(body) } else { Err(format!("{status}: {}", String::from_utf8_lossy(&body))) }
    }

    /// GET `path` and count the body's bytes as they stream in, without keeping them.
    pub async fn download(&self, path: &str) -> Result<u64, String> {
        let mut resp =
            self.client.get(self.url(path)).bearer_auth(&self.token).send().await.map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("download: {}", resp.status()));
        }
        let mut total = 0;
        while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
            total += chunk.len() as u64;
        }
        Ok(total)
    }

    /// POST `body` to `path` as this user; the JSON answer.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, String> {
        self.send(self.client.post(self.url(path)).json(body)).await
    }

    /// GET `path` as a response to read as a stream (Server-Sent Events).
    pub async fn stream(&self, path: &str) -> Result<reqwest::Response, String> {
        let resp = self.client.get(self.url(path)).bearer_auth(&self.token).send().await.map_err(|e| e.to_string())?;
        if resp.status().is_success() { Ok(resp) } else { Err(format!("{path}: {}", resp.status())) }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Value, String> {
        let resp = req.bearer_auth(&self.token).send().await.map_err(|e| e.to_string())?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
        }
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    }
}

/// How often `needle` occurs in `body` (a cheap check that the answer holds what was asked:
/// the load generator shares the machine, so it does not parse every answer).
fn count(body: &[u8], needle: &[u8]) -> usize {
    body.windows(needle.len()).filter(|w| *w == needle).count()
}

impl Http {
    /// The newest 50 summaries of `mailbox`, each with its preview.
    pub async fn page(&self, mailbox: &str) -> Result<(), String> {
        self.page_of(mailbox, 50).await
    }

    /// A page of 50 of `mailbox`, which must hold at least `min` summaries with previews.
    pub async fn page_of(&self, mailbox: &str, min: usize) -> Result<(), String> {
        let page = self.get(&format!("/v1/mailboxes/{mailbox}/messages?limit=50")).await?;
        let got = count(&page, b"\"preview\":\"");
        if got < min { Err(format!("page of {got} with previews")) } else { Ok(()) }
    }

    /// One message of `mailbox` as JSON.
    pub async fn read(&self, mailbox: &str, uid: u64) -> Result<(), String> {
        let m = self.get(&format!("/v1/mailboxes/{mailbox}/messages/{uid}")).await?;
        if count(&m, b"\"bodyValues\":{\"") == 1 { Ok(()) } else { Err("no body value".into()) }
    }

    /// One message of `mailbox` as it is stored; at least `min` bytes.
    pub async fn raw(&self, mailbox: &str, uid: u64, min: usize) -> Result<(), String> {
        let body = self.get(&format!("/v1/mailboxes/{mailbox}/messages/{uid}/raw")).await?;
        if body.len() >= min { Ok(()) } else { Err(format!("raw of {} bytes", body.len())) }
    }

    /// The benchmark's search in `mailbox`.
    pub async fn search(&self, mailbox: &str) -> Result<(), String> {
        let url = self.url(&format!("/v1/mailboxes/{mailbox}/search"));
        let r = self.send(self.client.post(url).json(&search_filter())).await?;
        if r["uids"].as_array().is_some_and(|u| !u.is_empty()) { Ok(()) } else { Err(format!("found {r}")) }
    }

    /// Sets (`on`) or clears `$flagged` on one message of `mailbox`.
    pub async fn flag(&self, mailbox: &str, uid: u64, on: bool) -> Result<(), String> {
        let patch = json!({"keywords": {"$flagged": on}});
        let req = self
            .client
            .patch(self.url(&format!("/v1/mailboxes/{mailbox}/messages/{uid}")))
            .header("content-type", "application/merge-patch+json")
            .body(patch.to_string());
        self.send(req).await.map(drop)
    }
}

impl Worker for Http {
    async fn call(&mut self, op: Op, n: u64) -> Result<(), String> {
        match op {
            Op::ListPage(mailbox) | Op::ListFirstRead(mailbox) => self.page(mailbox).await,
            Op::CollapsedPage(mailbox) => {
                let page = self.get(&format!("/v1/mailboxes/{mailbox}/messages?limit=50&collapseThreads=true")).await?;
                let got = count(&page, b"\"threadSize\":4");
                if got < 50 { Err(format!("page of {got} threads of 4")) } else { Ok(()) }
            }
            Op::GetMessage => self.read("k10", uid_of(n, MESSAGES)).await,
            Op::FirstRead => self.read("k100", first_read_uid(n, true)).await,
            Op::GetRaw => self.raw("raw100k", uid_of(n, LARGE), 90_000).await,
            Op::Search => self.search("k10").await,
            Op::FlagUpdate => {
                let (uid, on) = flag_change(n);
                self.flag("k10", uid, on).await
            }
            Op::Send => {
                let r = self.post("/v1/messages/send", &crate::smtp::compose(n, crate::smtp::RECIPIENT)).await?;
                if r["accepted"].as_array().is_some_and(|a| a.len() == 1) { Ok(()) } else { Err(format!("sent {r}")) }
            }
            Op::Open(mailbox) => self.get(&format!("/v1/mailboxes/{mailbox}/messages?limit=1")).await.map(drop),
            Op::Mixed => Err("the mixed row's workers are mixed::Mixed".into()),
        }
    }
}
