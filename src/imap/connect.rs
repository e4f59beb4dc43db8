//! TCP, implicit TLS and STARTTLS to the upstream server, each phase under its own deadline.

use std::{
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use std::collections::BTreeSet;

use async_imap::{
    Client,
    imap_proto::{Capability, Response, ResponseCode, Status},
    types::UnsolicitedResponse,
};
use rustls_pki_types::ServerName;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
    time::timeout,
};
use tokio_rustls::{TlsConnector, client::TlsStream, rustls};

use super::{
    encode,
    error::{ImapError, Phase},
    namespace_lines::NamespaceLines,
};
use crate::config::{ImapSettings, TlsMode, ms};

/// One transport type for every pooled session, plain or TLS. Writes are gathered until a
/// flush (or 8 KiB), because async-imap writes a command as four pieces (tag, space, text,
/// CRLF): unbuffered, each piece is a syscall and a TCP segment of its own, and the server
/// wakes up for each. Every command path flushes, and a command cut before its flush leaves
/// the connection in flight, so the pool discards it with whatever it still holds.
pub struct Conn {
    io: Transport,
    out: Vec<u8>,
    /// While a NAMESPACE command runs: its answer made readable (see [`NamespaceLines`]).
    namespace: Option<NamespaceLines>,
}

/// Never the gathered bytes: they may be a LOGIN or an AUTHENTICATE message.
impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.io {
            Transport::Plain(_) => "plain",
            Transport::Tls(_) => "tls",
        };
        f.debug_struct("Conn").field("transport", &kind).field("unflushed", &self.out.len()).finish()
    }
}

enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Transport {
    fn pinned(&mut self) -> Pin<&mut dyn AsyncWriteRead> {
        match self {
            Transport::Plain(s) => Pin::new(s as &mut dyn AsyncWriteRead),
            Transport::Tls(s) => Pin::new(s.as_mut() as &mut dyn AsyncWriteRead),
        }
    }
}

/// Bytes gathered before they are written without waiting for a flush.
const WRITE_BUFFER: usize = 8 * 1024;

impl Conn {
    fn plain(tcp: TcpStream) -> Self {
        Self { io: Transport::Plain(tcp), out: Vec::new(), namespace: None }
    }

    fn tls(tls: TlsStream<TcpStream>) -> Self {
        Self { io: Transport::Tls(Box::new(tls)), out: Vec::new(), namespace: None }
    }

    /// Makes a NAMESPACE answer readable until called with `false` (around that command only;
    /// bytes read meanwhile and not yet handed on are handed on afterwards).
    pub fn read_namespace(&mut self, on: bool) {
        match (on, self.namespace.as_mut()) {
            // Bytes left from an earlier NAMESPACE are kept, in front of what comes next.
            (true, Some(lines)) => lines.active = true,
            (true, None) => self.namespace = Some(NamespaceLines::started()),
            (false, Some(lines)) => {
                lines.process(true);
                lines.active = false;
            }
            (false, None) => {}
        }
    }

    /// The TCP stream of a plain connection with nothing left to write (for STARTTLS).
    fn into_plain(self) -> Option<TcpStream> {
        match self.io {
            Transport::Plain(tcp) if self.out.is_empty() => Some(tcp),
            _ => None,
        }
    }

    fn io(&mut self) -> Pin<&mut dyn AsyncWriteRead> {
        self.io.pinned()
    }

    /// Writes out what is gathered.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.out.is_empty() {
            match self.io.pinned().poll_write(cx, &self.out) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => drop(self.out.drain(..n)),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// Both halves of a transport, as one object.
trait AsyncWriteRead: AsyncRead + AsyncWrite + Unpin {}
impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWriteRead for T {}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(lines) = this.namespace.as_mut() else { return this.io.pinned().poll_read(cx, buf) };
        loop {
            if !lines.ready.is_empty() {
                let n = lines.ready.len().min(buf.remaining());
                buf.put_slice(&lines.ready[..n]);
                lines.ready.drain(..n);
                if lines.ready.is_empty() && !lines.active {
                    this.namespace = None;
                }
                return Poll::Ready(Ok(()));
            }
            if !lines.active {
                this.namespace = None;
                return this.io.pinned().poll_read(cx, buf);
            }
            let mut chunk = [0u8; 8192];
            let mut read = ReadBuf::new(&mut chunk);
            std::task::ready!(this.io.pinned().poll_read(cx, &mut read))?;
            if read.filled().is_empty() {
                // The end: hand on what is held, then the end itself.
                lines.process(true);
                if lines.ready.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                continue;
            }
            lines.held.extend_from_slice(read.filled());
            lines.process(false);
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.out.len() + buf.len() > WRITE_BUFFER {
            std::task::ready!(this.poll_drain(cx))?;
            if buf.len() > WRITE_BUFFER {
                return this.io().poll_write(cx, buf);
            }
        }
        this.out.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_drain(cx))?;
        this.io().poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_drain(cx))?;
        this.io().poll_shutdown(cx)
    }
}

/// Where and how to connect; built once from the settings.
#[derive(Clone)]
pub struct Target {
    host: String,
    port: u16,
    mode: TlsMode,
    server_name: ServerName<'static>,
    tls: Option<TlsConnector>,
    /// Deadline for TCP connect.
    pub connect_timeout: Duration,
    /// Deadline for a TLS handshake.
    pub tls_timeout: Duration,
    /// Deadline for the greeting.
    pub greeting_timeout: Duration,
    /// Deadline for LOGIN/AUTHENTICATE.
    pub login_timeout: Duration,
    /// Deadline for each command after login.
    pub command_timeout: Duration,
    /// How old a pooled connection's view of its selected mailbox may get before a reused
    /// selection is synced with NOOP.
    pub resync_after: Duration,
    /// Capabilities treated as absent (upper case).
    pub ignored_capabilities: BTreeSet<String>,
    /// Where commands, logins and discarded connections are counted.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Pauses new connections after failed ones; shared by every clone of the target.
    backoff: Arc<super::backoff::Backoff>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target").field("host", &self.host).field("port", &self.port).field("mode", &self.mode).finish()
    }
}

impl Target {
    /// The server's host name and port (OAUTHBEARER names them).
    pub fn address(&self) -> (&str, u16) {
        (&self.host, self.port)
    }

    /// Builds the target, loading the CA file when one is configured.
    pub fn from_settings(s: &ImapSettings) -> Result<Self, String> {
        let name = s.tls_server_name.clone().unwrap_or_else(|| s.host.clone());
        let server_name = ServerName::try_from(name).map_err(|e| format!("invalid IMAP TLS server name: {e}"))?;
        let tls = match s.tls {
            TlsMode::Plain => None,
            _ => Some(TlsConnector::from(Arc::new(tls_config(s.ca_file.as_deref())?))),
        };
        Ok(Self {
            host: s.host.clone(),
            port: s.effective_port(),
            mode: s.tls,
            server_name,
            tls,
            connect_timeout: ms(s.connect_timeout_ms),
            tls_timeout: ms(s.tls_timeout_ms),
            greeting_timeout: ms(s.greeting_timeout_ms),
            login_timeout: ms(s.login_timeout_ms),
            command_timeout: ms(s.command_timeout_ms),
            resync_after: ms(s.resync_after_ms),
            ignored_capabilities: s.ignore_capabilities.iter().map(|c| c.to_ascii_uppercase()).collect(),
            metrics: Default::default(),
            backoff: Default::default(),
        })
    }

    /// Opens a connection, reads the greeting and, after STARTTLS where configured, learns the
    /// pre-login capabilities; the client is ready for login.
    /// While the server is failing, attempts pause with a jittered backoff (`Backoff`).
    pub async fn open(&self) -> Result<(Client<Conn>, BTreeSet<String>), ImapError> {
        if let Err(wait) = self.backoff.check() {
            return Err(ImapError::Backoff(wait));
        }
        let result = self.open_now().await;
        match &result {
            Ok(_) => self.backoff.succeeded(),
            Err(
                ImapError::Connect(_)
                | ImapError::Timeout(_)
                | ImapError::ConnectionLost(_)
                | ImapError::Limit(_)
                | ImapError::Protocol(_),
            ) => self.backoff.failed(),
            Err(_) => {}
        }
        result
    }

    async fn open_now(&self) -> Result<(Client<Conn>, BTreeSet<String>), ImapError> {
        let tcp = timeout(self.connect_timeout, TcpStream::connect((self.host.as_str(), self.port)))
            .await
            .map_err(|_| ImapError::Timeout(Phase::Connect))?
            .map_err(ImapError::Connect)?;
        let _ = tcp.set_nodelay(true);
        let conn = match self.mode {
            TlsMode::Implicit => Conn::tls(self.handshake(tcp).await?),
            _ => Conn::plain(tcp),
        };
        let mut client = Client::new(conn);
        let mut caps = self.read_greeting(&mut client).await?;
        if self.mode == TlsMode::Starttls {
            timeout(self.command_timeout, client.run_command_and_check_ok(encode::starttls().as_str(), None))
                .await
                .map_err(|_| ImapError::Timeout(Phase::Tls))?
                .map_err(|e| ImapError::Tls(format!("STARTTLS refused: {e}")))?;
            let Some(tcp) = client.into_inner().into_plain() else {
                return Err(ImapError::Tls("STARTTLS on a TLS stream".into()));
            };
            client = Client::new(Conn::tls(self.handshake(tcp).await?));
            caps = None; // capabilities seen before TLS must be forgotten (RFC 3501 §6.2.1)
        }
        let caps = match caps {
            Some(caps) => caps,
            None => self.capabilities(&mut client).await?,
        };
        Ok((client, caps))
    }

    /// Runs CAPABILITY before login, checking the tagged status. Before login async-imap
    /// hands untagged data only to a channel, so one is lent for this command.
    async fn capabilities(&self, client: &mut Client<Conn>) -> Result<BTreeSet<String>, ImapError> {
        let (tx, rx) = async_channel::unbounded();
        timeout(self.command_timeout, client.run_command_and_check_ok(encode::capability().as_str(), Some(tx)))
            .await
            .map_err(|_| ImapError::Timeout(Phase::Greeting))?
            .map_err(|_| ImapError::Protocol("CAPABILITY failed before login".into()))?;
        let mut caps = BTreeSet::new();
        while let Ok(item) = rx.try_recv() {
            if let UnsolicitedResponse::Other(data) = item
                && let Response::Capabilities(list) = data.parsed()
            {
                caps.extend(list.iter().map(capability_name));
            }
        }
        Ok(caps)
    }

    async fn handshake(&self, tcp: TcpStream) -> Result<TlsStream<TcpStream>, ImapError> {
        let connector = self.tls.as_ref().ok_or_else(|| ImapError::Tls("TLS is not configured".into()))?;
        timeout(self.tls_timeout, connector.connect(self.server_name.clone(), tcp))
            .await
            .map_err(|_| ImapError::Timeout(Phase::Tls))?
            .map_err(|e| ImapError::Tls(e.to_string()))
    }

    /// Reads the greeting; returns the capabilities it carried, if any.
    async fn read_greeting(&self, client: &mut Client<Conn>) -> Result<Option<BTreeSet<String>>, ImapError> {
        let greeting = timeout(self.greeting_timeout, client.read_response())
            .await
            .map_err(|_| ImapError::Timeout(Phase::Greeting))?
            .map_err(|e| lost_io(&e))?
            .ok_or_else(|| lost("closed before greeting"))?;
        match greeting.parsed() {
            Response::Data { status: Status::Ok, outcome } => Ok(match &outcome.code {
                Some(ResponseCode::Capabilities(list)) => Some(list.iter().map(capability_name).collect()),
                _ => None,
            }),
            Response::Data { status: Status::Bye, outcome } => {
                let text = outcome.information.as_deref().unwrap_or("");
                Err(ImapError::Limit(super::error::server_reply("GREETING", "BYE", None, text)))
            }
            other => Err(ImapError::Protocol(format!("unexpected greeting: {}", short(other)))),
        }
    }
}

/// Upper-case name of a capability.
pub fn capability_name(c: &Capability<'_>) -> String {
    match c {
        Capability::Imap4rev1 => "IMAP4REV1".into(),
        Capability::Auth(m) => format!("AUTH={}", m.to_ascii_uppercase()),
        Capability::Atom(a) => a.to_ascii_uppercase(),
    }
}

/// A lost connection with a fixed reason (never the server's bytes, which may be mail).
pub fn lost(reason: &str) -> ImapError {
    ImapError::ConnectionLost(reason.to_string())
}

/// A lost connection from an I/O error, described by its kind only: async-imap's parse errors
/// embed the whole response buffer in their message.
pub fn lost_io(e: &io::Error) -> ImapError {
    ImapError::ConnectionLost(format!("{:?}", e.kind()))
}

fn short(r: &Response<'_>) -> String {
    format!("{r:?}").chars().filter(|c| !c.is_control()).take(120).collect()
}

fn tls_config(ca_file: Option<&std::path::Path>) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| format!("cannot read CA file {}: {e}", path.display()))?;
            let mut count = 0;
            for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                let cert = cert.map_err(|e| format!("bad certificate in {}: {e}", path.display()))?;
                roots.add(cert).map_err(|e| format!("bad CA in {}: {e}", path.display()))?;
                count += 1;
            }
            if count == 0 {
                return Err(format!("no certificates in {}", path.display()));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::{
        io::{AsyncReadExt as _, AsyncWriteExt as _},
        net::{TcpListener, TcpStream},
        time::timeout,
    };

    use super::{Conn, WRITE_BUFFER};

    async fn pair() -> (Conn, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr")).await.expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        (Conn::plain(client), server)
    }

    async fn read_now(peer: &mut TcpStream) -> Vec<u8> {
        let mut got = vec![0; 64 * 1024];
        match timeout(Duration::from_millis(100), peer.read(&mut got)).await {
            Ok(Ok(n)) => got[..n].to_vec(),
            _ => Vec::new(),
        }
    }

    #[tokio::test]
    async fn small_writes_wait_for_the_flush_and_go_out_together() {
        let (mut conn, mut peer) = pair().await;
        for piece in [&b"A1"[..], b" ", b"NOOP", b"\r\n"] {
            conn.write_all(piece).await.expect("write");
        }
        assert!(read_now(&mut peer).await.is_empty(), "nothing is sent before the flush");
        let shown = format!("{conn:?}");
        assert!(shown.contains("unflushed: 9") && !shown.contains("NOOP"), "{shown}");
        conn.flush().await.expect("flush");
        assert_eq!(read_now(&mut peer).await, b"A1 NOOP\r\n");
    }

    #[tokio::test]
    async fn a_write_past_the_buffer_sends_what_is_gathered_first_in_order() {
        let (mut conn, mut peer) = pair().await;
        conn.write_all(b"head ").await.expect("write");
        let big = vec![b'x'; WRITE_BUFFER * 3];
        conn.write_all(&big).await.expect("write");
        conn.write_all(b" tail").await.expect("write");
        conn.flush().await.expect("flush");
        let mut want = b"head ".to_vec();
        want.extend_from_slice(&big);
        want.extend_from_slice(b" tail");
        let mut got = vec![0; want.len()];
        peer.read_exact(&mut got).await.expect("read");
        assert!(got == want, "the bytes arrive whole and in order");
        assert!(conn.into_plain().is_some(), "nothing left unwritten");
    }
}
