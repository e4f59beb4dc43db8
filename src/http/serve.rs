//! The accept loop for slow and idle clients: a cap on open connections, a deadline for each
//! request head and for an idle keep-alive connection, and the graceful drain on shutdown.
//!
//! Hyper's own `header_read_timeout` runs from the moment it starts waiting for a head, so on a
//! keep-alive connection it also counts the idle time before the next request: it serves here
//! as the idle timeout. The head deadline proper is a clock per connection (`HeadClock`)
//! that starts at accept for the first request and at the first byte of every later head, and
//! stops when the head is complete (the request reaches the router).

use std::{
    convert::Infallible,
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{Router, body::Body, extract::ConnectInfo};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore, watch},
    time::Instant,
};
use tower::ServiceExt as _;

/// Limits of the client side of the listener.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deadline for a complete request head.
    pub header_read: Duration,
    /// Deadline for the next complete head on an idle keep-alive connection.
    pub idle: Duration,
    /// Open connections at most.
    pub max_connections: usize,
}

impl Limits {
    /// From `[http]`.
    pub fn from_settings(s: &crate::config::HttpSettings) -> Self {
        Self {
            header_read: Duration::from_millis(s.header_read_timeout_ms),
            idle: Duration::from_millis(s.idle_timeout_ms),
            max_connections: s.max_connections.max(1),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, lets every
/// connection finish its request in progress, and returns when all are closed.
///
/// Past `max_connections`, a new connection is not accepted until one closes: it waits in the
/// kernel's listen queue, costing the process no descriptor and no memory, and is served in
/// turn (a client that gives up meanwhile just times out). Closing it at once instead would need
/// accepting it first, and would turn a burst of legitimate clients into errors.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits, shutdown: impl Future<Output = ()>) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (drain_tx, drain_rx) = watch::channel(false);
    // Every connection task holds a receiver; `closed()` resolves when the last one ends.
    let (open_tx, open_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (sock, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        tokio::spawn(connection(sock, peer, app.clone(), limits, slot, drain_rx.clone(), open_rx.clone()));
    }
    // New connections are refused from here on.
    drop(listener);
    let _ = drain_tx.send(true);
    drop(open_rx);
    open_tx.closed().await;
}

/// A failed `accept`: a client that went away is nothing; running out of descriptors pauses
/// the loop for a moment rather than spinning.
async fn accept_failed(e: io::Error) {
    use io::ErrorKind as K;
    if matches!(e.kind(), K::ConnectionRefused | K::ConnectionAborted | K::ConnectionReset) {
        return;
    }
    tracing::warn!(error = %e, "accept failed; pausing for a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn connection(
    sock: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: Limits,
    _slot: OwnedSemaphorePermit,
    mut drain: watch::Receiver<bool>,
    _open: watch::Receiver<()>,
) {
    let _ = sock.set_nodelay(true);
    let clock = Arc::new(HeadClock::started_now());
    let io = TokioIo::new(Watched { inner: sock, clock: clock.clone() });
    let on_request = clock.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        let busy = on_request.head_complete();
        req.extensions_mut().insert(ConnectInfo(peer));
        let app = app.clone();
        async move {
            let resp = app.oneshot(req.map(Body::new)).await?;
            Ok::<_, Infallible>(resp.map(|body| Body::new(Tracked { inner: body, _busy: busy })))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.idle);
    let conn = builder.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let expired = clock.expired(limits.header_read);
    let mut expired = std::pin::pin!(expired);
    let mut draining = false;
    loop {
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!(error = %e, "client connection ended with an error");
                }
                break;
            }
            _ = drain.wait_for(|d| *d), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
            () = &mut expired => {
                tracing::debug!("closing a client connection whose request head took too long");
                break;
            }
        }
    }
}

/// When the request head being read started, and how many responses are still being sent.
struct HeadClock {
    since: watch::Sender<Option<Instant>>,
    busy: AtomicUsize,
}

impl HeadClock {
    /// A new connection owes its first head from now.
    fn started_now() -> Self {
        Self { since: watch::Sender::new(Some(Instant::now())), busy: AtomicUsize::new(0) }
    }

    /// Bytes arrived: if no request is in progress, they begin a head.
    fn bytes_read(&self) {
        if self.busy.load(Ordering::SeqCst) == 0 {
            self.since.send_if_modified(|s| {
                if s.is_some() {
                    return false;
                }
                *s = Some(Instant::now());
                true
            });
        }
    }

    /// The head is complete: the clock stops until the response is sent.
    fn head_complete(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::SeqCst);
        self.since.send_replace(None);
        Busy(self.clone())
    }

    /// Resolves once a head has taken longer than `limit`.
    async fn expired(&self, limit: Duration) {
        let mut rx = self.since.subscribe();
        loop {
            let since = *rx.borrow_and_update();
            match since {
                None => {
                    if rx.changed().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
                Some(t) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(t + limit) => return,
                        _ = rx.changed() => {}
                    }
                }
            }
        }
    }
}

/// A request whose response is not yet fully sent (dropped with the response body).
struct Busy(Arc<HeadClock>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The client socket, telling the clock when bytes arrive.
struct Watched {
    inner: TcpStream,
    clock: Arc<HeadClock>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(res, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.bytes_read();
        }
        res
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A response body that keeps its request counted as in progress until it is dropped.
struct Tracked {
    inner: Body,
    _busy: Busy,
}

impl http_body::Body for Tracked {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }
    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
