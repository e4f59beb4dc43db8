//! One submission: connect (implicit TLS, required STARTTLS or plain), EHLO, AUTH with the
//! account's credentials, `MAIL FROM` with SIZE, one `RCPT TO` per recipient (each answer
//! kept), DATA, QUIT; all of it within one deadline. Nothing is retried: a message is never
//! submitted twice by the gateway.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use lettre::transport::smtp::{
    client::{AsyncSmtpConnection, Certificate, TlsParameters},
    extension::ClientId,
    response::Response,
};

use super::{
    SmtpError,
    ehlo::{self, Offer},
    wire,
};
use crate::{
    config::{SmtpSettings, TlsMode},
    imap::Credentials,
    views::compose::RejectedRecipient,
};

/// Who the message goes from and to (the SMTP envelope).
#[derive(Clone, Debug)]
pub struct Envelope {
    /// `MAIL FROM`.
    pub from: String,
    /// `RCPT TO`, one each.
    pub to: Vec<String>,
}

/// What the server accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submitted {
    /// Recipients accepted.
    pub accepted: Vec<String>,
    /// Recipients refused (the message went to the others).
    pub rejected: Vec<RejectedRecipient>,
}

/// The configured submission server.
#[derive(Clone)]
pub struct Submitter {
    settings: SmtpSettings,
    host: String,
    tls: Option<TlsParameters>,
}

impl std::fmt::Debug for Submitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Submitter").field("host", &self.host).field("port", &self.settings.effective_port()).finish()
    }
}

impl Submitter {
    /// The submitter of `settings`, or `None` when no host is configured.
    pub fn new(settings: &SmtpSettings) -> Result<Option<Self>, String> {
        let Some(host) = settings.host.clone() else { return Ok(None) };
        let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback());
        if settings.tls == TlsMode::Plain && !loopback {
            // AUTH would carry the account's password in the clear
            return Err(format!("smtp.tls = \"plain\" is for a server on loopback only, not {host}"));
        }
        let tls = match settings.tls {
            TlsMode::Plain => None,
            _ => {
                let name = settings.tls_server_name.clone().unwrap_or_else(|| host.clone());
                let mut builder = TlsParameters::builder(name);
                if let Some(path) = &settings.ca_file {
                    let pem = std::fs::read(path).map_err(|e| format!("smtp.ca_file {}: {e}", path.display()))?;
                    let cert =
                        Certificate::from_pem(&pem).map_err(|e| format!("smtp.ca_file {}: {e}", path.display()))?;
                    builder = builder.add_root_certificate(cert);
                }
                Some(builder.build_rustls().map_err(|e| format!("smtp TLS: {e}"))?)
            }
        };
        Ok(Some(Self { settings: settings.clone(), host, tls }))
    }

    /// The server's SIZE limit is checked, then the message is submitted once.
    pub async fn submit(
        &self,
        credentials: &Credentials,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<Submitted, SmtpError> {
        let data_started = AtomicBool::new(false);
        let deadline = Duration::from_millis(self.settings.timeout_ms);
        match tokio::time::timeout(deadline, self.run(credentials, envelope, message, &data_started)).await {
            Ok(result) => result,
            Err(_) if data_started.load(Ordering::SeqCst) => {
                Err(SmtpError::Unconfirmed(format!("no answer to the message within {} ms", deadline.as_millis())))
            }
            Err(_) => Err(SmtpError::Unavailable(format!("no answer within {} ms", deadline.as_millis()))),
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        let hello = ClientId::Domain(self.settings.hello_name.clone());
        let address = (self.host.as_str(), self.settings.effective_port());
        // a refusal before AUTH is the server's state, not the message's: try later
        let unavailable = |e| answer(e, |code, text| SmtpError::Transient { code, text });
        let implicit = if self.settings.tls == TlsMode::Implicit { self.tls.clone() } else { None };
        #[allow(deprecated)]
        let mut conn =
            AsyncSmtpConnection::connect_tokio1(address, None, &hello, implicit, None).await.map_err(unavailable)?;
        if self.settings.tls == TlsMode::Starttls {
            if !conn.can_starttls() {
                conn.abort().await;
                return Err(SmtpError::NoStarttls);
            }
            let params = self.tls.clone().ok_or(SmtpError::NoStarttls)?;
            conn.starttls(params, &hello).await.map_err(unavailable)?;
        }
        Ok(conn)
    }

    async fn run(
        &self,
        credentials: &Credentials,
        envelope: &Envelope,
        message: &[u8],
        data_started: &AtomicBool,
    ) -> Result<Submitted, SmtpError> {
        // every path and the data are checked before the server is contacted
        wire::path(&envelope.from)?;
        let rcpts = envelope.to.iter().map(|t| wire::rcpt_to(t)).collect::<Result<Vec<_>, _>>()?;
        wire::data(message)?;
        let mut conn = self.connect().await?;
        let result = self.transaction(&mut conn, credentials, envelope, &rcpts, message, data_started).await;
        if result.is_ok() {
            // The message is accepted: a slow QUIT must not turn that into a failure.
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(5), conn.quit()).await;
            });
        } else {
            conn.abort().await;
        }
        result
    }

    async fn transaction(
        &self,
        conn: &mut AsyncSmtpConnection,
        credentials: &Credentials,
        envelope: &Envelope,
        rcpts: &[String],
        message: &[u8],
        data_started: &AtomicBool,
    ) -> Result<Submitted, SmtpError> {
        let refused = |e| answer(e, |code, text| SmtpError::Refused { code, text });
        let hello = format!("EHLO {}\r\n", self.settings.hello_name);
        let offer = ehlo::parse(
            conn.command(hello)
                .await
                .map_err(|e| answer(e, |code, text| SmtpError::Unavailable(format!("{code} {text}"))))?
                .message(),
        );
        if let Some(limit) = offer.size
            && message.len() as u64 > limit
        {
            return Err(SmtpError::TooLarge { size: message.len(), limit });
        }
        self.authenticate(conn, credentials, &offer).await?;
        let eight_bit = !message.is_ascii();
        if eight_bit && !offer.eight_bit {
            return Err(SmtpError::NeedsEightBit);
        }
        let mail = wire::mail_from(&envelope.from, offer.size.map(|_| message.len()), eight_bit)?;
        conn.command(mail).await.map_err(refused)?;
        let mut done = Submitted { accepted: Vec::new(), rejected: Vec::new() };
        let mut transient = None;
        for (to, rcpt) in envelope.to.iter().zip(rcpts) {
            match conn.command(rcpt).await {
                Ok(_) => done.accepted.push(to.clone()),
                Err(e) => match SmtpError::reply(&e) {
                    Some((code, text)) => {
                        if code < 500 {
                            transient.get_or_insert((code, text.clone()));
                        }
                        done.rejected.push(RejectedRecipient { email: to.clone(), code, text });
                    }
                    None => return Err(SmtpError::Unavailable(e.to_string())),
                },
            }
        }
        if done.accepted.is_empty() {
            return Err(match transient {
                Some((code, text)) => SmtpError::Transient { code, text },
                None => SmtpError::AllRejected(done.rejected),
            });
        }
        conn.command("DATA\r\n").await.map_err(refused)?;
        data_started.store(true, Ordering::SeqCst);
        // lettre ends the data with CRLF "." CRLF: a message that already ends with CRLF gives
        // its last CRLF to that terminator, so the server stores exactly these bytes.
        let body = message.strip_suffix(b"\r\n").unwrap_or(message);
        match conn.message(body).await {
            Ok(_) => Ok(done),
            // no answer at all to the data: it may have gone
            Err(e) if SmtpError::reply(&e).is_none() => Err(SmtpError::Unconfirmed(e.to_string())),
            Err(e) => Err(answer(e, |code, text| SmtpError::Refused { code, text })),
        }
    }

    async fn authenticate(
        &self,
        conn: &mut AsyncSmtpConnection,
        c: &Credentials,
        offer: &Offer,
    ) -> Result<(), SmtpError> {
        let refused = |e| answer(e, |code, text| SmtpError::AuthRefused { code, text });
        if let Some(mechanism) = c.oauth {
            if !offer.offers(mechanism.name()) {
                return Err(SmtpError::NoMechanism(mechanism.name().into()));
            }
            let (host, port) = (self.host.as_str(), self.settings.effective_port());
            let first = wire::auth_oauth(mechanism, &c.username, c.password.expose(), host, port)?;
            let reply = conn.command(first).await.map_err(refused)?;
            if reply.has_code(334) {
                // a failure challenge: answer it, then the server sends its 535
                let end = conn.command(wire::oauth_abort(mechanism)).await.map_err(refused)?;
                return Err(SmtpError::AuthRefused { code: u16::from(end.code()), text: text_of(&end) });
            }
            if !reply.has_code(235) {
                return Err(SmtpError::AuthRefused { code: u16::from(reply.code()), text: text_of(&reply) });
            }
            return Ok(());
        }
        if !offer.offers("PLAIN") {
            return Err(SmtpError::NoMechanism("PLAIN".into()));
        }
        let cmd = wire::auth_plain(c.authorize_as.as_deref(), &c.username, c.password.expose())?;
        let reply = conn.command(cmd).await.map_err(refused)?;
        if !reply.has_code(235) {
            // a challenge (334) to a complete PLAIN response is no login
            return Err(SmtpError::AuthRefused { code: u16::from(reply.code()), text: text_of(&reply) });
        }
        Ok(())
    }
}

fn text_of(r: &Response) -> String {
    super::error::sanitize(&r.message().collect::<Vec<_>>().join(" "))
}

/// What a failed command becomes: a 4xx is always "try later", a 5xx what `permanent` makes of
/// it for this stage, and no answer at all (network, TLS, parse) the server being unavailable.
fn answer(e: lettre::transport::smtp::Error, permanent: impl FnOnce(u16, String) -> SmtpError) -> SmtpError {
    match SmtpError::reply(&e) {
        Some((code, text)) if code < 500 => SmtpError::Transient { code, text },
        Some((code, text)) => permanent(code, text),
        None => SmtpError::Unavailable(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_smtp_is_for_loopback_only() {
        let plain = |host: &str| SmtpSettings { host: Some(host.into()), tls: TlsMode::Plain, ..Default::default() };
        assert!(Submitter::new(&plain("mail.example.org")).is_err());
        assert!(Submitter::new(&plain("10.0.0.5")).is_err());
        for host in ["127.0.0.1", "::1", "localhost"] {
            assert!(Submitter::new(&plain(host)).is_ok_and(|s| s.is_some()), "{host}");
        }
        assert!(Submitter::new(&SmtpSettings::default()).is_ok_and(|s| s.is_none()));
    }
}
