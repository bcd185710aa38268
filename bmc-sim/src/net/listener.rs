//! Accept loop of one BMC. The `Down` fault closes the listening socket (connection refused) and
//! drops open connections; clearing it binds the same address again.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::service;
use crate::bmc::Bmc;

/// How long open connections may take to finish when the BMC shuts down.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// Limit for a TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds a listener with SO_REUSEADDR so the port can be bound again after `Down`.
pub(crate) fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Runs until the BMC is cancelled.
pub(crate) async fn accept_loop(bmc: Arc<Bmc>, first: TcpListener, tls: Option<TlsAcceptor>) {
    let mut listener = Some(first);
    let mut down_rx = bmc.down.subscribe();
    loop {
        if *down_rx.borrow_and_update() {
            listener = None;
            tokio::select! {
                _ = down_rx.changed() => continue,
                _ = bmc.cancel.cancelled() => return,
            }
        }
        let Some(l) = listener.as_ref() else {
            match bind(bmc.addr) {
                Ok(l) => listener = Some(l),
                Err(e) => {
                    tracing::warn!(bmc = %bmc.id, error = %e, "rebinding after Down failed; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                        _ = bmc.cancel.cancelled() => return,
                    }
                }
            }
            continue;
        };
        tokio::select! {
            accepted = l.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let bmc2 = Arc::clone(&bmc);
                    let tls = tls.clone();
                    bmc.tracker.spawn(async move { connection(bmc2, stream, tls).await; });
                    tracing::trace!(bmc = %bmc.id, %peer, "accepted");
                }
                Err(e) => {
                    tracing::warn!(bmc = %bmc.id, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = down_rx.changed() => {}
            _ = bmc.cancel.cancelled() => return,
        }
    }
}

async fn connection(bmc: Arc<Bmc>, stream: TcpStream, tls: Option<TlsAcceptor>) {
    match tls {
        None => serve_io(bmc, stream).await,
        Some(acceptor) => {
            let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
            tokio::select! {
                res = handshake => match res {
                    Ok(Ok(tls_stream)) => serve_io(bmc, tls_stream).await,
                    Ok(Err(e)) => tracing::debug!(bmc = %bmc.id, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(bmc = %bmc.id, "TLS handshake timed out"),
                },
                _ = bmc.cancel.cancelled() => {}
            }
        }
    }
}

async fn serve_io<I>(bmc: Arc<Bmc>, io: I)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc_bmc = Arc::clone(&bmc);
    let svc = service_fn(move |req| service::serve(Arc::clone(&svc_bmc), req));
    let builder = auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    let mut down_rx = bmc.down.subscribe();
    tokio::select! {
        res = conn.as_mut() => {
            if let Err(e) = res {
                tracing::debug!(bmc = %bmc.id, error = %e, "connection ended with error");
            }
            return;
        }
        _ = down_rx.wait_for(|down| *down) => return,
        _ = bmc.cancel.cancelled() => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, conn).await;
}
