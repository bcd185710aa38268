//! What one client may cost the frontend, over real sockets against a real stack: the body size
//! (413), the header count and bytes (431 with a Redfish body up to hyper's ceiling, a bare 431 and
//! a closed connection past it), the nesting depth of JSON bodies (400 MalformedJSON), a slowloris
//! trickling its headers (cut after the header read timeout while other clients are served), and
//! a client that stops reading (cut after the write timeout). Raw sockets: HTTP client libraries
//! neither trickle nor stop reading on purpose.

use base64::Engine;
use serde_json::Value;
use std::time::{Duration, Instant};
use testkit::bmc_sim::Profile;
use testkit::{ADMIN_PASSWORD, ADMIN_USER, Service, Stack, StackOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A second frontend on the stack's aggregator, with small limits and short timeouts.
async fn strict_frontend(stack: &Stack) -> (Service, String, tempfile::TempDir) {
    let state = tempfile::tempdir().expect("tempdir");
    let mut config = testkit::frontend_config(state.path(), &stack.agg_endpoint);
    config.max_body_bytes = 64 * 1024;
    config.header_read_timeout_ms = 2_000;
    config.write_timeout_ms = 1_000;
    let (service, base) = testkit::start_frontend(config).await;
    (service, base, state)
}

fn basic() -> String {
    let creds =
        base64::engine::general_purpose::STANDARD.encode(format!("{ADMIN_USER}:{ADMIN_PASSWORD}"));
    format!("Basic {creds}")
}

fn addr_of(base: &str) -> String {
    base.trim_start_matches("http://").to_owned()
}

/// Sends `head` (ending in an empty line) and `body` on a fresh connection that the request asks
/// to close; (status, headers and body text as received).
async fn exchange(base: &str, head: &str, body: &[u8]) -> (u16, String) {
    let mut socket = TcpStream::connect(addr_of(base)).await.expect("connect");
    // The server may answer and close before it has read the whole request.
    let _ = socket.write_all(head.as_bytes()).await;
    let _ = socket.write_all(body).await;
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), socket.read_to_end(&mut reply)).await;
    let text = String::from_utf8_lossy(&reply).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn body_of(reply: &str) -> Value {
    let body = reply.split("\r\n\r\n").nth(1).unwrap_or("");
    serde_json::from_str(body).unwrap_or(Value::Null)
}

fn message_id(reply: &str) -> String {
    body_of(reply)["error"]["@Message.ExtendedInfo"][0]["MessageId"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

fn patches_seen(stack: &Stack) -> usize {
    stack.sims[0]
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .count()
}

fn patch_head(addr: &str, length: Option<usize>) -> String {
    let framing = match length {
        Some(n) => format!("Content-Length: {n}"),
        None => "Transfer-Encoding: chunked".to_owned(),
    };
    format!(
        "PATCH /redfish/v1/Systems/s1-1 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {}\r\nContent-Type: application/json\r\n{framing}\r\nConnection: close\r\n\r\n",
        basic()
    )
}

#[tokio::test]
async fn bodies_headers_and_nesting_have_limits() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    stack.wait_for_members("/redfish/v1/Systems", 1).await;
    let (frontend, base, _state) = strict_frontend(&stack).await;
    let addr = addr_of(&base);

    // Body size: declared, and streamed in chunks without a length.
    let big = format!("{{\"AssetTag\": \"{}\"}}", "x".repeat(100 * 1024));
    let (status, reply) =
        exchange(&base, &patch_head(&addr, Some(big.len())), big.as_bytes()).await;
    assert_eq!(
        (status, message_id(&reply).as_str()),
        (413, "Base.1.22.PayloadTooLarge"),
        "{reply}"
    );
    let chunked = format!("{:x}\r\n{big}\r\n0\r\n\r\n", big.len());
    let (status, reply) = exchange(&base, &patch_head(&addr, None), chunked.as_bytes()).await;
    assert_eq!(
        (status, message_id(&reply).as_str()),
        (413, "Base.1.22.PayloadTooLarge"),
        "{reply}"
    );
    assert_eq!(patches_seen(&stack), 0, "an oversized body reached the BMC");

    // JSON nesting: 64 levels pass on to the BMC, 65 do not, nor do 30,000.
    let nested = |depth: usize| {
        format!(
            "{{\"Oem\": {}1{}}}",
            "[".repeat(depth - 1),
            "]".repeat(depth - 1)
        )
    };
    for depth in [65, 30_000] {
        let body = nested(depth);
        let (status, reply) =
            exchange(&base, &patch_head(&addr, Some(body.len())), body.as_bytes()).await;
        assert_eq!(
            (status, message_id(&reply).as_str()),
            (400, "Base.1.22.MalformedJSON"),
            "depth {depth}: {reply}"
        );
    }
    assert_eq!(
        patches_seen(&stack),
        0,
        "a body nested too deep reached the BMC"
    );
    let body = nested(64);
    let (_, reply) = exchange(&base, &patch_head(&addr, Some(body.len())), body.as_bytes()).await;
    // The BMC judges it (the simulator refuses the unknown property).
    assert_ne!(message_id(&reply), "Base.1.22.MalformedJSON", "{reply}");
    assert_eq!(patches_seen(&stack), 1, "64 levels are within the limit");
    // The same on the frontend's own resources.
    let body = format!(
        "{{\"UserName\": {}\"x\"{}}}",
        "[".repeat(100),
        "]".repeat(100)
    );
    let head = format!(
        "POST /redfish/v1/AccountService/Accounts HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        basic(),
        body.len()
    );
    let (status, reply) = exchange(&base, &head, body.as_bytes()).await;
    assert_eq!(
        (status, message_id(&reply).as_str()),
        (400, "Base.1.22.MalformedJSON"),
        "{reply}"
    );

    // Headers: past the configured limits a Redfish 431 naming the field; past hyper's ceiling
    // (twice the limits) a bare 431 and the connection closed. The defaults: 64 fields, 16 KiB.
    let get = |extra: &str| {
        format!(
            "GET /redfish/v1/AccountService HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {}\r\n{extra}Connection: close\r\n\r\n",
            basic()
        )
    };
    let fields = |n: usize| {
        (0..n)
            .map(|i| format!("X-Field-{i}: {i}\r\n"))
            .collect::<String>()
    };
    let (status, _) = exchange(&base, &get(&fields(50)), b"").await;
    assert_eq!(status, 200, "53 fields are within the limit");
    let (status, reply) = exchange(&base, &get(&fields(70)), b"").await;
    assert_eq!(
        (status, message_id(&reply).as_str()),
        (431, "Base.1.22.HeaderInvalid"),
        "{reply}"
    );
    assert_eq!(
        body_of(&reply)["error"]["@Message.ExtendedInfo"][0]["MessageArgs"][0],
        "x-field-62",
        "the 65th field (after Host and Authorization) is named"
    );
    let (status, reply) = exchange(&base, &get(&fields(200)), b"").await;
    assert_eq!(status, 431, "{reply}");
    assert_eq!(body_of(&reply), Value::Null, "hyper's own refusal: {reply}");
    let (status, reply) = exchange(
        &base,
        &get(&format!("X-Big: {}\r\n", "b".repeat(20 * 1024))),
        b"",
    )
    .await;
    assert_eq!(
        (status, message_id(&reply).as_str()),
        (431, "Base.1.22.HeaderInvalid"),
        "{reply}"
    );
    let (status, reply) = exchange(
        &base,
        &get(&format!("X-Big: {}\r\n", "b".repeat(60 * 1024))),
        b"",
    )
    .await;
    assert_eq!(status, 431, "{reply}");
    assert_eq!(body_of(&reply), Value::Null, "hyper's own refusal: {reply}");
    // Nothing of it stuck: the service answers as before.
    let (status, _) = exchange(&base, &get(""), b"").await;
    assert_eq!(status, 200);

    frontend.stop().await;
    stack.teardown().await;
}

/// One connection that sends a byte of its header every 100 ms, until the server closes it;
/// the time that took.
async fn slowloris(addr: String) -> Duration {
    let start = Instant::now();
    let mut socket = TcpStream::connect(&addr).await.expect("connect");
    let head = format!("GET /redfish/v1 HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ");
    if socket.write_all(head.as_bytes()).await.is_err() {
        return start.elapsed();
    }
    let mut buf = [0u8; 1024];
    // Bounded, so that a server without the timeout fails the test rather than hanging it.
    while start.elapsed() < Duration::from_secs(30) {
        tokio::select! {
            _ = socket.read(&mut buf) => return start.elapsed(),
            () = tokio::time::sleep(Duration::from_millis(100)) => {
                if socket.write_all(b"a").await.is_err() {
                    return start.elapsed();
                }
            }
        }
    }
    start.elapsed()
}

#[tokio::test]
async fn a_slowloris_holds_only_its_own_connections_and_is_cut() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let (frontend, base, _state) = strict_frontend(&stack).await;
    let started = Instant::now();
    let slow: Vec<_> = (0..64)
        .map(|_| tokio::spawn(slowloris(addr_of(&base))))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Meanwhile everyone else is served.
    let client = reqwest::Client::new();
    for _ in 0..10 {
        let r = client
            .get(format!("{base}/redfish/v1/AccountService"))
            .basic_auth(ADMIN_USER, Some(ADMIN_PASSWORD))
            .send()
            .await
            .expect("served beside the slowloris");
        assert_eq!(r.status(), 200);
    }
    let served_after = started.elapsed();
    let mut cut_after = Vec::new();
    for s in slow {
        cut_after.push(s.await.expect("slowloris task"));
    }
    let first = cut_after.iter().min().copied().unwrap_or_default();
    let last = cut_after.iter().max().copied().unwrap_or_default();
    assert!(
        served_after < first,
        "the others were served ({served_after:?}) while every slow connection was open (first cut {first:?})"
    );
    // header_read_timeout_ms = 2000: cut after it, not at once, and long before the 30 s trickle.
    assert!(
        first >= Duration::from_millis(1_900),
        "cut early: {first:?}"
    );
    assert!(last < Duration::from_secs(10), "still open after {last:?}");
    frontend.stop().await;
    stack.teardown().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    let (frontend, base, _state) = strict_frontend(&stack).await;
    let addr = addr_of(&base);
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .set_recv_buffer_size(4096)
        .expect("small receive buffer");
    let stream = socket
        .connect(addr.parse().expect("addr"))
        .await
        .expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    // Pipelined requests for a large unauthenticated resource, far more than the socket buffers
    // of both ends hold; the writer blocks once the server stops reading, which is fine.
    const REQUESTS: usize = 2_000;
    let request = format!("GET /redfish/v1/$metadata HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let send = tokio::spawn(async move {
        for _ in 0..REQUESTS {
            if writer.write_all(request.as_bytes()).await.is_err() {
                break;
            }
        }
        writer
    });
    // Not reading, well past write_timeout_ms = 1000; the service serves others meanwhile.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let r = reqwest::Client::new()
        .get(format!("{base}/redfish/v1/AccountService"))
        .basic_auth(ADMIN_USER, Some(ADMIN_PASSWORD))
        .send()
        .await
        .expect("served beside the stalled reader");
    assert_eq!(r.status(), 200);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    // Now read: what was buffered, then the end the server made.
    let mut received = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&received);
    let responses = text.matches("HTTP/1.1 200 OK").count();
    assert!(
        ended.is_ok(),
        "the connection was never closed ({responses} responses read)"
    );
    assert!(
        responses < REQUESTS,
        "all {responses} responses were delivered: the stalled connection was kept"
    );
    drop(send);
    frontend.stop().await;
    stack.teardown().await;
}
