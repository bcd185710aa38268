//! The operations listener each service may open beside its own: Prometheus `/metrics`,
//! `/healthz` (the process answers) and `/readyz` (it can do its job now). A listener of its own,
//! so scrapers and probes never go through the Redfish port's authentication, limits or logs,
//! and it can stay on loopback or a cluster-internal address while Redfish is public.
//!
//! GET and HEAD only; anything else is 405, any other path 404. At most [`MAX_CONNECTIONS`] at
//! once, and a connection that has not sent its request head within [`HEADER_TIMEOUT`] is closed.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use prometheus_client::registry::Registry;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Connections served at once; more wait in the kernel's backlog.
pub const MAX_CONNECTIONS: usize = 32;
/// A client that has not sent its request head by then is dropped.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// `Content-Type` of what `/metrics` answers (prometheus-client writes OpenMetrics text).
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Whether the service can do its job now: `Err` says why not (the body of the 503).
pub type ReadyFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
pub type ReadyCheck = Arc<dyn Fn() -> ReadyFuture + Send + Sync>;

/// What the listener serves.
#[derive(Clone)]
pub struct Ops {
    pub registry: Arc<Registry>,
    pub ready: ReadyCheck,
}

/// Serves `ops` on `listener` until `stop` is cancelled; open connections are then dropped
/// (every answer here is small and quick: nothing worth waiting for).
pub async fn serve(listener: TcpListener, ops: Ops, stop: CancellationToken) {
    let limits = crate::listener::Limits {
        name: "operations",
        max_connections: MAX_CONNECTIONS,
        header_timeout: HEADER_TIMEOUT,
    };
    crate::listener::serve_http1(listener, limits, stop, move |request| {
        let ops = ops.clone();
        async move { answer(&ops, request).await }
    })
    .await;
}

async fn answer(ops: &Ops, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let head = request.method() == Method::HEAD;
    if request.method() != Method::GET && !head {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "GET or HEAD only\n".into());
        r.headers_mut()
            .insert(hyper::header::ALLOW, "GET, HEAD".parse().expect("static"));
        return r;
    }
    let mut response = match request.uri().path() {
        "/metrics" => metrics(&ops.registry),
        "/healthz" => text(StatusCode::OK, "ok\n".into()),
        "/readyz" => match (ops.ready)().await {
            Ok(()) => text(StatusCode::OK, "ready\n".into()),
            Err(why) => text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {why}\n"),
            ),
        },
        _ => text(StatusCode::NOT_FOUND, "not found\n".into()),
    };
    if head {
        *response.body_mut() = Full::new(Bytes::new());
    }
    response
}

fn metrics(registry: &Registry) -> Response<Full<Bytes>> {
    let mut body = String::with_capacity(16 * 1024);
    match prometheus_client::encoding::text::encode(&mut body, registry) {
        Ok(()) => {
            let mut r = Response::new(Full::new(Bytes::from(body)));
            r.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                METRICS_CONTENT_TYPE.parse().expect("static"),
            );
            r
        }
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("encoding metrics: {e}\n"),
        ),
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        "text/plain; charset=utf-8".parse().expect("static"),
    );
    r
}

/// Binds `addr` for the operations listener; the error names the config key.
pub async fn bind(
    addr: std::net::SocketAddr,
    key: &str,
) -> Result<TcpListener, crate::ConfigError> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| crate::ConfigError::at(key, format!("cannot listen on {addr}: {e}")))
}

/// Refuses an operations address that would take the service's own port.
pub fn check_listen(
    ops: std::net::SocketAddr,
    service: std::net::SocketAddr,
    key: &str,
) -> Result<(), crate::ConfigError> {
    let overlaps =
        ops.ip() == service.ip() || ops.ip().is_unspecified() || service.ip().is_unspecified();
    if ops.port() != 0 && ops.port() == service.port() && overlaps {
        return Err(crate::ConfigError::at(
            key,
            format!("{ops} is the service's own listen address"),
        ));
    }
    Ok(())
}

/// Latency buckets (seconds) for request histograms: 5 ms to 60 s, a BMC's range.
pub fn latency_buckets() -> impl Iterator<Item = f64> {
    [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    ]
    .into_iter()
}

/// The address `--health-check` probes for a listener bound to `addr`, and the path.
pub fn probe_url(addr: std::net::SocketAddr, path: &str) -> String {
    format!("http://{}{path}", crate::health::loopback_for(addr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::metrics::counter::Counter;
    use std::sync::atomic::{AtomicBool, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn get(addr: std::net::SocketAddr, method: &str, path: &str) -> (u16, String) {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        s.write_all(
            format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).await.expect("read");
        let status = out[9..12].parse().expect("status");
        let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
        (status, body)
    }

    #[test]
    fn the_operations_port_must_not_be_the_services() {
        let a = |s: &str| s.parse::<std::net::SocketAddr>().expect("addr");
        let key = "x.metrics_listen";
        assert!(check_listen(a("127.0.0.1:8080"), a("0.0.0.0:8080"), key).is_err());
        assert!(check_listen(a("0.0.0.0:8080"), a("127.0.0.1:8080"), key).is_err());
        assert!(check_listen(a("127.0.0.1:9464"), a("127.0.0.1:8080"), key).is_ok());
        assert!(check_listen(a("10.0.0.1:8080"), a("127.0.0.1:8080"), key).is_ok());
        assert!(check_listen(a("127.0.0.1:0"), a("127.0.0.1:0"), key).is_ok());
    }

    #[tokio::test]
    async fn serves_metrics_health_and_readiness() {
        let mut registry = Registry::default();
        let counter: Counter = Counter::default();
        registry.register("things", "Things done", counter.clone());
        counter.inc_by(3);
        let ready = Arc::new(AtomicBool::new(false));
        let flag = ready.clone();
        let ops = Ops {
            registry: Arc::new(registry),
            ready: Arc::new(move || {
                let ok = flag.load(Ordering::SeqCst);
                Box::pin(async move { if ok { Ok(()) } else { Err("warming up".into()) } })
            }),
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let stop = CancellationToken::new();
        let task = tokio::spawn(serve(listener, ops, stop.clone()));

        let (status, body) = get(addr, "GET", "/metrics").await;
        assert_eq!(status, 200);
        assert!(body.contains("things_total 3"), "{body}");
        assert!(body.trim_end().ends_with("# EOF"), "{body}");
        assert_eq!(get(addr, "GET", "/healthz").await.0, 200);
        let (status, body) = get(addr, "GET", "/readyz").await;
        assert_eq!((status, body.as_str()), (503, "not ready: warming up\n"));
        ready.store(true, Ordering::SeqCst);
        assert_eq!(get(addr, "GET", "/readyz").await.0, 200);
        assert_eq!(get(addr, "HEAD", "/healthz").await, (200, String::new()));
        assert_eq!(get(addr, "POST", "/metrics").await.0, 405);
        assert_eq!(get(addr, "GET", "/redfish/v1").await.0, 404);

        stop.cancel();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("stops")
            .expect("task");
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    }
}
