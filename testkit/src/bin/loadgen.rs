//! A small closed-loop load generator for `scripts/bench`, and the plain reverse proxy it measures
//! the aggregate against. Loopback only.
//!
//! ```text
//! loadgen [--concurrency N] [--duration D] [--warmup W] [--basic USER:PASS | --token T] URL
//!     N clients (one keep-alive connection each) GET URL back to back for W + D seconds; the
//!     last D seconds count. Prints one line of JSON: requests, errors (non-2xx or transport),
//!     req_per_s, p50/p90/p99/max latency in ms. Exits 0 whatever the numbers are.
//! loadgen plain-proxy --upstream ORIGIN
//!     A minimal hyper reverse proxy on 127.0.0.1:0 (prints `plain-proxy listening on URL`):
//!     every request goes to ORIGIN unchanged over pooled keep-alive connections, with the same
//!     connector settings as the aggregator's BMC client (rustls, ALPN h2/http1.1, no certificate
//!     verification); no rewriting, no auth.
//! ```

use bytes::Bytes;
use clap::{Args, Parser, Subcommand};
use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, Uri};
use http_body_util::{Either, Empty};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const MAX_CONCURRENCY: u64 = 256;
const MAX_DURATION_SECS: u64 = 120;
const MAX_WARMUP_SECS: u64 = 30;
/// Per-request timeout of the load generator: a stuck request is an error, not a stuck run.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Parser)]
#[command(
    name = "loadgen",
    about = "Closed-loop HTTP load generator and plain reverse proxy (loopback only)",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// A minimal reverse proxy on 127.0.0.1:0 forwarding everything to one upstream origin.
    PlainProxy(ProxyArgs),
}

#[derive(Args)]
struct RunArgs {
    /// The URL every client GETs (http or https, loopback host).
    url: Option<String>,
    /// Concurrent clients, one keep-alive connection each (1..=256).
    #[arg(short, long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=MAX_CONCURRENCY))]
    concurrency: u64,
    /// Measured seconds (1..=120).
    #[arg(short, long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=MAX_DURATION_SECS))]
    duration: u64,
    /// Seconds of load before measuring starts, on the same connections (0..=30).
    #[arg(short, long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=MAX_WARMUP_SECS))]
    warmup: u64,
    /// HTTP Basic credentials, USER:PASSWORD.
    #[arg(long, conflicts_with = "token")]
    basic: Option<String>,
    /// A session token sent as X-Auth-Token.
    #[arg(long)]
    token: Option<String>,
    /// Runtime worker threads of the load generator itself (it shares the CPU with what it
    /// measures, so keep it small).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=16))]
    threads: u64,
}

#[derive(Args)]
struct ProxyArgs {
    /// The upstream origin, `scheme://host:port` (loopback host); the request path is kept.
    #[arg(long)]
    upstream: String,
    /// Only HTTP/1.1 to the upstream (default: ALPN h2 or http/1.1, as the aggregator does).
    #[arg(long)]
    http1_only: bool,
    /// Runtime worker threads.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=16))]
    threads: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let threads = match &cli.command {
        Some(Command::PlainProxy(p)) => p.threads,
        None => cli.run.threads,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads as usize)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Some(Command::PlainProxy(p)) => runtime.block_on(plain_proxy(p)),
        None => runtime.block_on(run_load(cli.run)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::from(2)
        }
    }
}

/// Refuses anything but a loopback host: this tool never sends load over a network.
fn loopback_url(raw: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(raw).map_err(|e| format!("bad URL {raw:?}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{raw}: only http and https"));
    }
    let host = url.host_str().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return Err(format!(
            "{raw}: only loopback hosts (127.0.0.0/8, ::1, localhost)"
        ));
    }
    Ok(url)
}

// ---------------------------------------------------------------------------------------------
// Load generation

#[derive(Default)]
struct WorkerResult {
    /// Latency in microseconds of every measured request, successful or not.
    latencies_us: Vec<u32>,
    /// Completed requests including the warm-up (for CPU time per request).
    completed: u64,
    errors: u64,
    bytes: u64,
    statuses: BTreeMap<String, u64>,
    first_error: Option<String>,
}

async fn run_load(args: RunArgs) -> Result<(), String> {
    let raw = args
        .url
        .as_deref()
        .ok_or("a URL is required (or the plain-proxy subcommand)")?;
    let url = loopback_url(raw)?;
    let mut headers = HeaderMap::new();
    if let Some(basic) = &args.basic {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(basic.as_bytes());
        let value = format!("Basic {encoded}");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&value).map_err(|e| format!("--basic: {e}"))?,
        );
    }
    if let Some(token) = &args.token {
        headers.insert(
            HeaderName::from_static("x-auth-token"),
            HeaderValue::from_str(token).map_err(|e| format!("--token: {e}"))?,
        );
    }

    let cpu_before = own_cpu_ms();
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(args.warmup);
    let end = measure_from + Duration::from_secs(args.duration);
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        // One client per worker: each keeps exactly one keep-alive connection.
        let client = reqwest::Client::builder()
            .http1_only()
            .pool_max_idle_per_host(1)
            .tcp_nodelay(true)
            .timeout(REQUEST_TIMEOUT)
            .danger_accept_invalid_certs(true) // bmc-sim's self-signed certificate, loopback only
            .default_headers(headers.clone())
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let url = url.clone();
        let stop = stop.clone();
        workers.push(tokio::spawn(async move {
            let mut r = WorkerResult::default();
            while !stop.load(Ordering::Relaxed) {
                let t0 = Instant::now();
                let outcome = match client.get(url.clone()).send().await {
                    Ok(resp) => {
                        let status = resp.status();
                        match resp.bytes().await {
                            Ok(body) => Ok((status, body.len())),
                            Err(e) => Err(format!("reading the body: {}", chain(&e))),
                        }
                    }
                    Err(e) => Err(chain(&e)),
                };
                let t1 = Instant::now();
                r.completed += 1;
                if t0 < measure_from || t1 > end {
                    if let Err(_e) = outcome {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    continue;
                }
                let us = u32::try_from(t1.duration_since(t0).as_micros()).unwrap_or(u32::MAX);
                r.latencies_us.push(us);
                match outcome {
                    Ok((status, len)) => {
                        r.bytes += len as u64;
                        *r.statuses.entry(status.as_u16().to_string()).or_default() += 1;
                        if !status.is_success() {
                            r.errors += 1;
                            r.first_error
                                .get_or_insert_with(|| format!("HTTP {status}"));
                        }
                    }
                    Err(e) => {
                        r.errors += 1;
                        *r.statuses.entry("transport".into()).or_default() += 1;
                        r.first_error.get_or_insert(e);
                        // A refused connection must not turn into a busy loop.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            r
        }));
    }
    tokio::time::sleep_until(end.into()).await;
    stop.store(true, Ordering::Relaxed);

    let mut all = WorkerResult::default();
    for w in workers {
        let r = w.await.map_err(|e| format!("worker: {e}"))?;
        all.latencies_us.extend(r.latencies_us);
        all.errors += r.errors;
        all.completed += r.completed;
        all.bytes += r.bytes;
        for (k, v) in r.statuses {
            *all.statuses.entry(k).or_default() += v;
        }
        if all.first_error.is_none() {
            all.first_error = r.first_error;
        }
    }
    let cpu_ms = own_cpu_ms()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    all.latencies_us.sort_unstable();
    let requests = all.latencies_us.len() as u64;
    let ms = |q: f64| percentile(&all.latencies_us, q) as f64 / 1000.0;
    let secs = args.duration as f64;
    let report = serde_json::json!({
        "url": url.as_str(),
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "requests": requests,
        "errors": all.errors,
        "requests_incl_warmup": all.completed,
        "req_per_s": round2(requests as f64 / secs),
        "p50_ms": round3(ms(0.50)),
        "p90_ms": round3(ms(0.90)),
        "p99_ms": round3(ms(0.99)),
        "max_ms": round3(ms(1.0)),
        "loadgen_cpu_ms": cpu_ms,
        "bytes_per_response": all.bytes.checked_div(requests).unwrap_or(0),
        "statuses": all.statuses,
        "first_error": all.first_error,
    });
    println!("{report}");
    Ok(())
}

/// An error with its causes ("error sending request: connection refused").
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// CPU time (user + system) of this process so far, from /proc/self/stat (Linux, USER_HZ = 100).
fn own_cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks * 10)
}

/// Nearest-rank percentile of sorted samples (0 when there are none).
fn percentile(sorted: &[u32], q: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

// ---------------------------------------------------------------------------------------------
// The plain reverse proxy

type Upstream = Client<hyper_rustls::HttpsConnector<HttpConnector>, Incoming>;
type ProxyBody = Either<Incoming, Empty<Bytes>>;

/// Connection-level headers a proxy must not forward (RFC 9110 7.6.1).
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "upgrade",
];

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Headers named by Connection are hop-by-hop too.
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for n in named {
        headers.remove(n);
    }
    for n in HOP_BY_HOP {
        headers.remove(n);
    }
    headers.remove(header::TRANSFER_ENCODING);
}

async fn plain_proxy(args: ProxyArgs) -> Result<(), String> {
    let upstream = loopback_url(&args.upstream)?;
    if upstream.path() != "/" || upstream.query().is_some() {
        return Err(format!("--upstream {upstream}: an origin, without a path"));
    }
    let origin = upstream.as_str().trim_end_matches('/').to_owned();
    let tls = aggregator_svc::tls::client_config(false, None)?;
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_keepalive(Some(Duration::from_secs(60)));
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1();
    let connector = if args.http1_only {
        builder.wrap_connector(http)
    } else {
        builder.enable_http2().wrap_connector(http)
    };
    let client: Upstream = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .build(connector);

    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("plain-proxy listening on http://{addr}");
    // The bench script waits for that line.
    use std::io::Write;
    let _ = std::io::stdout().flush();

    let origin: Arc<str> = origin.into();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("plain-proxy: accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if !is_loopback(peer.ip()) {
            continue;
        }
        let _ = stream.set_nodelay(true);
        let client = client.clone();
        let origin = origin.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| forward(client.clone(), origin.clone(), req));
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    ip.is_loopback()
}

async fn forward(
    client: Upstream,
    origin: Arc<str>,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, std::convert::Infallible> {
    let (mut parts, body) = req.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let uri: Uri = match format!("{origin}{path}").parse() {
        Ok(u) => u,
        Err(_) => return Ok(status_only(StatusCode::BAD_REQUEST)),
    };
    parts.uri = uri;
    parts.version = http::Version::HTTP_11; // the client negotiates h2 with the upstream itself
    strip_hop_by_hop(&mut parts.headers);
    parts.headers.remove(header::HOST); // set from the URI
    match client.request(Request::from_parts(parts, body)).await {
        Ok(resp) => {
            let (mut parts, body) = resp.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            parts.version = http::Version::HTTP_11;
            Ok(Response::from_parts(parts, Either::Left(body)))
        }
        Err(e) => {
            eprintln!("plain-proxy: upstream: {e}");
            Ok(status_only(StatusCode::BAD_GATEWAY))
        }
    }
}

fn status_only(status: StatusCode) -> Response<ProxyBody> {
    let mut r = Response::new(Either::Right(Empty::new()));
    *r.status_mut() = status;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_urls() {
        assert!(loopback_url("http://127.0.0.1:8080/x").is_ok());
        assert!(loopback_url("https://localhost/").is_ok());
        assert!(loopback_url("http://[::1]:1/").is_ok());
        assert!(loopback_url("http://10.0.0.1/").is_err());
        assert!(loopback_url("http://example.com/").is_err());
        assert!(loopback_url("ftp://127.0.0.1/").is_err());
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), 50);
        assert_eq!(percentile(&v, 0.99), 99);
        assert_eq!(percentile(&v, 1.0), 100);
        assert_eq!(percentile(&[], 0.5), 0);
    }

    #[test]
    fn hop_by_hop_headers_are_dropped() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, HeaderValue::from_static("close, x-foo"));
        h.insert("x-foo", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert("x-auth-token", HeaderValue::from_static("t"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-auth-token"));
    }
}
