//! Paths that would be authorised as one resource and served by a BMC as another never reach a
//! BMC: dot segments (plain and percent-encoded), encoded separators, backslashes, NUL and control
//! bytes, broken percent-encoding, overlong paths are refused with 400 and a Redfish body.
//! Sent over a raw socket: HTTP client libraries normalise `..` away before sending.

use base64::Engine;
use serde_json::Value;
use testkit::bmc_sim::Profile;
use testkit::{ADMIN_PASSWORD, ADMIN_USER, Stack, StackOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One HTTP/1.1 GET of `target` exactly as given; (status, body).
async fn raw_get(stack: &Stack, target: &str) -> (u16, String) {
    let addr = stack.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let creds =
        base64::engine::general_purpose::STANDARD.encode(format!("{ADMIN_USER}:{ADMIN_PASSWORD}"));
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {creds}\r\nConnection: close\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await.expect("write");
    let mut reply = Vec::new();
    let _ = socket.read_to_end(&mut reply).await;
    let text = String::from_utf8_lossy(&reply).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

#[tokio::test]
async fn hostile_paths_are_refused_before_any_bmc_sees_them() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    stack.wait_for_members("/redfish/v1/Systems", 1).await;
    let long = format!("/redfish/v1/Systems/s1-1/{}", "x".repeat(3000));
    let hostile = [
        "/redfish/v1/Systems/s1-1/../../Managers",
        "/redfish/v1/Systems/s1-1/..",
        "/redfish/v1/Oem/RedDrum/Bmcs/s1/../../../../etc/passwd",
        "/redfish/v1/Systems/s1-1/./Bios",
        "/redfish/v1/Systems/s1-1/%2e%2e/%2e%2e/Managers",
        "/redfish/v1/Systems/s1-1/.%2E/Managers",
        "/redfish/v1/Oem/RedDrum/Bmcs/s1/..%2f..%2fetc%2fpasswd",
        "/redfish/v1/Systems/s1-1%2f..%2f..%2fManagers",
        "/redfish/v1/Systems/s1-1%5c..%5cManagers",
        "/redfish/v1/Systems/s1-1%00",
        "/redfish/v1/Systems/s1-1%0d%0aX-Injected:%201",
        "/redfish/v1/Systems/s1-1%zz",
        "/redfish/v1/Systems/s1-1%ff",
        &long,
    ];
    let before = stack.sims[0].requests().len();
    for path in hostile {
        let (status, body) = raw_get(&stack, path).await;
        // hyper itself may refuse a request line it cannot parse (400, no Redfish body); what
        // it accepts, the frontend must refuse with a Redfish error.
        assert_eq!(status, 400, "{path}: {body}");
        let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        assert_eq!(
            body["error"]["@Message.ExtendedInfo"][0]["MessageId"], "Base.1.22.InvalidURI",
            "{path}: {body}"
        );
    }
    let seen: Vec<String> = stack.sims[0].requests()[before..]
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert!(seen.is_empty(), "the BMC saw {seen:?}");
    // Ordinary paths still work, dots inside a segment included.
    let (status, _) = raw_get(&stack, "/redfish/v1/Systems/s1-1").await;
    assert_eq!(status, 200);
    let (status, _) = raw_get(&stack, "/redfish/v1/Systems/s1-1.x").await;
    assert_eq!(status, 404, "an ordinary (unknown) member, forwarded");
    stack.teardown().await;
}
