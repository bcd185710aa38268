//! Accept loop of one BMC. While the BMC is down (the `Down` fault, or a start delay that has not
//! passed) the listening socket is closed, so connections are refused, but the port stays bound
//! without listening: nobody else can take it, and listening again needs no new port.

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
/// Listen backlog (a 1,000-BMC fleet gets bursts of connections).
const BACKLOG: u32 = 1024;

/// The BMC's socket.
#[derive(Debug)]
pub(crate) enum Socket {
    /// Accepting connections.
    Listening(TcpListener),
    /// Bound but not listening: the port is reserved and connections are refused.
    Reserved(TcpSocket),
    /// Nothing bound (reserving the port again failed); the next start binds afresh.
    Closed,
}

/// Binds `addr` with SO_REUSEADDR (so it can be bound again while old connections linger in
/// TIME_WAIT) without listening: the port is taken, but connections are refused.
pub(crate) fn reserve(addr: SocketAddr) -> io::Result<TcpSocket> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    Ok(socket)
}

/// Starts accepting on the socket, whatever state it is in.
pub(crate) fn listen(socket: Socket, addr: SocketAddr) -> io::Result<TcpListener> {
    match socket {
        Socket::Listening(l) => Ok(l),
        Socket::Reserved(s) => s.listen(BACKLOG),
        Socket::Closed => reserve(addr)?.listen(BACKLOG),
    }
}

/// Runs until the BMC is cancelled.
pub(crate) async fn accept_loop(bmc: Arc<Bmc>, first: Socket) {
    let mut socket = first;
    let mut down_rx = bmc.down.subscribe();
    loop {
        if *down_rx.borrow_and_update() {
            if matches!(socket, Socket::Listening(_)) {
                // Closing the listener is what refuses connections; then hold the port again.
                drop(std::mem::replace(&mut socket, Socket::Closed));
                socket = match reserve(bmc.addr) {
                    Ok(s) => Socket::Reserved(s),
                    Err(e) => {
                        tracing::warn!(bmc = %bmc.id, error = %e, "cannot keep the port while down");
                        Socket::Closed
                    }
                };
            }
            tokio::select! {
                _ = down_rx.changed() => continue,
                _ = bmc.cancel.cancelled() => return,
            }
        }
        if !matches!(socket, Socket::Listening(_)) {
            match listen(std::mem::replace(&mut socket, Socket::Closed), bmc.addr) {
                Ok(l) => socket = Socket::Listening(l),
                Err(e) => {
                    tracing::warn!(bmc = %bmc.id, error = %e, "listening again failed; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                        _ = bmc.cancel.cancelled() => return,
                    }
                    continue;
                }
            }
        }
        let Socket::Listening(l) = &socket else {
            continue;
        };
        tokio::select! {
            accepted = l.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let bmc2 = Arc::clone(&bmc);
                    // The certificate of the moment (it can be replaced at run time).
                    let tls = bmc.tls.as_ref().map(|t| TlsAcceptor::from(t.current().config));
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
    let mut restarts = bmc.web_restarts.subscribe();
    tokio::select! {
        res = conn.as_mut() => {
            if let Err(e) = res {
                tracing::debug!(bmc = %bmc.id, error = %e, "connection ended with error");
            }
            return;
        }
        _ = down_rx.wait_for(|down| *down) => return,
        _ = restarts.changed() => {}
        _ = bmc.cancel.cancelled() => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, conn).await;
}
