//! Sending: the direct side (a minimal SMTP client on lettre's connection, one session per
//! message, as the gateway submits), the message both sides send, and the end-to-end delivery
//! time through the gateway (send request → the recipient's `message.created` event).

use std::{
    sync::{Arc, OnceLock},
    time::{Duration, Instant},
};

use lettre::{
    Address,
    address::Envelope,
    transport::smtp::{
        authentication::{Credentials, Mechanism},
        client::{AsyncSmtpConnection, Certificate, TlsParameters},
        extension::ClientId,
    },
};
use serde_json::{Value, json};

use crate::{
    http::Http,
    load::{Op, Stats, Worker},
    seed::LINE,
    servers::{CA_FILE, DOMAIN, SUBMISSION_PORT},
};

/// Who sends: the benchmark user.
pub const SENDER: &str = "alice";
/// Who receives the load's messages.
pub const RECIPIENT: &str = "u0001";
/// Who receives the messages of the end-to-end measurement (nothing else writes to its INBOX).
pub const E2E_RECIPIENT: &str = "u0002";
/// Sequential sends of the end-to-end measurement.
pub const E2E_SENDS: usize = 50;
/// Size of the text body.
pub const TEXT_BYTES: usize = 20 * 1024;

/// The text body both sides send: short ASCII lines (7bit on the wire, as the gateway encodes
/// it), about 20 KB with CRLF.
pub fn text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut t = String::with_capacity(TEXT_BYTES + 100);
        let mut n = 0;
        while t.len() < TEXT_BYTES {
            t.push_str(&format!("{n:03} {}\n", &LINE[..70]));
            n += 1;
        }
        t
    })
}

/// The gateway's compose document for send `n` to `to` (no copy in Sent: the row measures the
/// submission, as the direct side does nothing else).
pub fn compose(n: u64, to: &str) -> Value {
    json!({
        "to": [{"email": format!("{to}@{DOMAIN}")}],
        "subject": format!("Bench send {n}"),
        "text": text(),
        "saveToSent": false,
    })
}

/// The message the direct side sends: the same text with the header fields the gateway writes.
fn message(n: u64, to: &str) -> Vec<u8> {
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S +0000");
    let mut m = format!(
        "From: <{SENDER}@{DOMAIN}>\r\nTo: <{to}@{DOMAIN}>\r\nSubject: Bench send {n}\r\n\
         Date: {date}\r\nMessage-ID: <bench-direct-{n}.{}@{DOMAIN}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n",
        std::process::id()
    );
    m.push_str(&text().replace('\n', "\r\n"));
    m.into_bytes()
}

/// One worker of the direct side.
#[derive(Clone)]
pub struct Smtp {
    tls: Arc<TlsParameters>,
    envelope: Envelope,
    credentials: Credentials,
}

impl Smtp {
    /// A worker sending as `SENDER` to `RECIPIENT`, trusting the bench's CA.
    pub fn new() -> Result<Self, String> {
        let pem = std::fs::read(CA_FILE).map_err(|e| format!("{CA_FILE}: {e}"))?;
        let cert = Certificate::from_pem(&pem).map_err(|e| e.to_string())?;
        let tls = TlsParameters::builder("127.0.0.1".into())
            .add_root_certificate(cert)
            .build_rustls()
            .map_err(|e| e.to_string())?;
        let address = |u: &str| format!("{u}@{DOMAIN}").parse::<Address>().map_err(|e| e.to_string());
        let envelope = Envelope::new(Some(address(SENDER)?), vec![address(RECIPIENT)?]).map_err(|e| e.to_string())?;
        let credentials = Credentials::new(SENDER.into(), format!("{SENDER}-pass"));
        Ok(Self { tls: Arc::new(tls), envelope, credentials })
    }

    async fn send(&self, n: u64) -> Result<(), String> {
        let hello = ClientId::Domain("localhost".into());
        let e = |e: lettre::transport::smtp::Error| e.to_string();
        #[allow(deprecated)]
        let mut conn = AsyncSmtpConnection::connect_tokio1(("127.0.0.1", SUBMISSION_PORT), None, &hello, None, None)
            .await
            .map_err(e)?;
        conn.starttls((*self.tls).clone(), &hello).await.map_err(e)?;
        conn.auth(&[Mechanism::Plain], &self.credentials).await.map_err(e)?;
        let body = message(n, RECIPIENT);
        // lettre ends the data with CRLF "." CRLF
        conn.send(&self.envelope, body.strip_suffix(b"\r\n").unwrap_or(&body)).await.map_err(e)?;
        conn.quit().await.map_err(e)?;
        Ok(())
    }
}

impl Worker for Smtp {
    async fn call(&mut self, op: Op, n: u64) -> Result<(), String> {
        match op {
            Op::Send => self.send(n).await,
            _ => Err(format!("{} is not SMTP", op.label())),
        }
    }
}

/// A minimal Server-Sent Events reader: the next event's name, within `within`.
struct Events {
    resp: reqwest::Response,
    buf: String,
}

impl Events {
    async fn next(&mut self, within: Duration) -> Result<String, String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let kind = block.lines().find_map(|l| l.strip_prefix("event:")).map(|k| k.trim().to_string());
                // comments (heartbeats) and unnamed events are skipped
                if let Some(kind) = kind {
                    return Ok(kind);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                .await
                .map_err(|_| format!("no event within {within:?}"))?
                .map_err(|e| e.to_string())?
                .ok_or("the event stream ended")?;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    async fn expect(&mut self, kind: &str, within: Duration) -> Result<(), String> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if self.next(left).await? == kind {
                return Ok(());
            }
        }
    }
}

/// `E2E_SENDS` sequential sends from `sender` to `E2E_RECIPIENT` through the gateway, each
/// timed from the send request to the recipient's `message.created` event on the same gateway;
/// and the times of the send requests alone (to their answer).
pub async fn delivery_times(client: &reqwest::Client, sender: &Http) -> Result<(Stats, Stats), String> {
    let recipient = Http::login(client, E2E_RECIPIENT).await?;
    let mut events = Events { resp: recipient.stream("/v1/events?mailboxes=INBOX").await?, buf: String::new() };
    events.expect("ready", Duration::from_secs(15)).await?;
    let mut stats = Stats::default();
    let mut requests = Stats::default();
    let started = Instant::now();
    for n in 0..E2E_SENDS as u64 {
        let t = Instant::now();
        let r = sender.post("/v1/messages/send", &compose(1_000_000_000 + n, E2E_RECIPIENT)).await?;
        if r["accepted"].as_array().is_none_or(|a| a.len() != 1) {
            return Err(format!("e2e send {n}: {r}"));
        }
        requests.latencies.push(t.elapsed());
        events.expect("message.created", Duration::from_secs(30)).await.map_err(|e| format!("e2e send {n}: {e}"))?;
        stats.latencies.push(t.elapsed());
    }
    stats.elapsed = started.elapsed();
    requests.elapsed = stats.elapsed;
    Ok((stats, requests))
}

/// The size of the direct side's message, in KB (the gateway's differs by a few header bytes).
pub fn wire_kb() -> f64 {
    message(0, RECIPIENT).len() as f64 / 1000.0
}
