//! The listener: HTTP/1.1 connections (what Apache and Redfish clients speak) served by hyper with
//! the limits a public socket needs, each connection holding only itself:
//! - a request head must arrive within `header_read_timeout_ms` (a slowloris client is cut; an
//!   idle keep-alive connection is closed after the same time);
//! - a response write that makes no progress for `write_timeout_ms` ends the connection (a client
//!   that stops reading);
//! - hyper's own ceilings, twice the configured header limits: between the two the router answers
//!   431 with a Redfish body ([`crate::limits`]); beyond them hyper answers 431 without one and
//!   closes the connection, never buffering more than the ceiling.
//!
//! Shutdown is graceful: the listener closes, idle connections end, in-flight requests finish.

use crate::AppState;
use crate::config::FrontendConfig;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{Service, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::time::Sleep;
use warp::Filter;

/// Room for the request line on top of the header bytes in hyper's ceiling.
const REQUEST_LINE_BYTES: usize = 8 * 1024;
/// hyper refuses a smaller read buffer.
const MIN_BUF_BYTES: usize = 8 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    pub max_header_bytes: usize,
    pub max_headers: usize,
    pub header_read_timeout: Duration,
    pub write_timeout: Duration,
}

impl ConnLimits {
    pub fn of(config: &FrontendConfig) -> Self {
        ConnLimits {
            max_header_bytes: config.max_header_bytes,
            max_headers: config.max_headers,
            header_read_timeout: Duration::from_millis(config.header_read_timeout_ms),
            write_timeout: Duration::from_millis(config.write_timeout_ms),
        }
    }

    /// Request line and headers together, past which hyper refuses the request itself.
    fn hard_header_bytes(&self) -> usize {
        self.max_header_bytes.saturating_mul(2) + REQUEST_LINE_BYTES
    }

    fn hard_headers(&self) -> usize {
        self.max_headers.saturating_mul(2)
    }
}

/// The TCP peer, set on every request (warp's own remote-address extension is private to warp's
/// server, which this listener replaces).
#[derive(Debug, Clone, Copy)]
struct Peer(SocketAddr);

/// The request's TCP peer, for the warp filter.
pub fn peer() -> impl Filter<Extract = (Option<SocketAddr>,), Error = Infallible> + Clone {
    warp::ext::optional::<Peer>().map(|p: Option<Peer>| p.map(|p| p.0))
}

/// Serves `listener` until `shutdown` resolves, then waits for open connections to finish.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()>,
) {
    let service = TowerToHyperService::new(warp::service(crate::server::filter(state)));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.hard_headers())
        .max_header_size(limits.hard_header_bytes())
        .max_buf_size(limits.hard_header_bytes().max(MIN_BUF_BYTES));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A reply written in more than one segment must not wait for the client's delayed ACK.
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(WriteTimeout::new(stream, limits.write_timeout));
        let service = service.clone();
        let with_peer = service_fn(move |mut request: http::Request<Incoming>| {
            request.extensions_mut().insert(Peer(peer));
            service.call(request)
        });
        let connection = graceful.watch(http.serve_connection(io, with_peer));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // A client that hangs up, times out or sends garbage: its problem, not ours.
                tracing::debug!(%peer, error = %e, "connection closed");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Errors of one incoming connection are skipped; anything else (out of file descriptors) is
/// logged and waited out, rather than spinning.
async fn accept_failed(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "cannot accept connections");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// A socket whose writes fail with `TimedOut` once one has made no progress for `timeout`.
struct WriteTimeout<IO> {
    io: IO,
    timeout: Duration,
    /// Armed when a write first returns Pending, disarmed on any progress.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<IO> WriteTimeout<IO> {
    fn new(io: IO, timeout: Duration) -> Self {
        WriteTimeout {
            io,
            timeout,
            stalled: None,
        }
    }

    fn watch<T>(&mut self, cx: &mut Context<'_>, r: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if r.is_ready() {
            self.stalled = None;
            return r;
        }
        let timeout = self.timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client read nothing within write_timeout_ms",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for WriteTimeout<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for WriteTimeout<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write(cx, buf);
        this.watch(cx, r)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.watch(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_flush(cx);
        this.watch(cx, r)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_shutdown(cx);
        this.watch(cx, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// A write that never completes fails after the timeout; one that progresses does not.
    #[tokio::test]
    async fn a_stalled_write_times_out() {
        let (client, server) = tokio::io::duplex(16);
        let mut writer = WriteTimeout::new(server, Duration::from_millis(100));
        writer.write_all(&[0; 16]).await.expect("fits the buffer");
        let err = writer.write_all(&[0; 1]).await.expect_err("nobody reads");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        drop(client);
    }
}
