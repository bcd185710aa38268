//! Trust on first use for BMC certificates, over real TLS sockets: the certificate a BMC presents
//! first is pinned and kept across a restart of the aggregator; a BMC whose certificate changes is
//! refused (health, Condition, the rack manager's log, an EventService event, a log line, and
//! requests answered at once with a Redfish error naming it) until an operator accepts the new
//! certificate through its AggregationSource. A BMC not in TOFU mode is not affected.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use testkit::bmc_sim::{BmcOptions, Profile, SimBmc};
use testkit::{Stack, StackOptions, send};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const SOURCES: &str = "/redfish/v1/AggregationService/AggregationSources";
const LOG: &str = "/redfish/v1/Managers/Aggregator/LogServices/Log/Entries";
const ACCEPT: &str = "Actions/Oem/RedDrum.AcceptCertificate";

/// A loopback EventService destination: every event POSTed to it, as JSON, in order.
async fn event_sink() -> (String, mpsc::UnboundedReceiver<Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let destination = format!("http://{}/events", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buf = [0u8; 8192];
                while let Ok(n) = socket.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    data.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&data).to_string();
                    let Some((head, body)) = text.split_once("\r\n\r\n") else {
                        continue;
                    };
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .and_then(|v| v.trim().parse::<usize>().ok())
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        // One event per connection: the sender opens a new one for the next.
                        let _ = socket
                            .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                            .await;
                        if let Ok(v) = serde_json::from_str(body) {
                            let _ = tx.send(v);
                        }
                        return;
                    }
                }
            });
        }
    });
    (destination, rx)
}

/// Waits for an event record with this MessageId (without version) about `origin`.
async fn next_event(rx: &mut mpsc::UnboundedReceiver<Value>, message: &str, origin: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let event = tokio::time::timeout(left, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no {message} event about {origin} delivered"))
            .expect("sink open");
        for record in event["Events"].as_array().cloned().unwrap_or_default() {
            if record["MessageId"]
                .as_str()
                .is_some_and(|id| id.ends_with(&format!(".{message}")))
                && record["OriginOfCondition"]["@odata.id"] == origin
            {
                return record;
            }
        }
    }
}

fn source(id: &str) -> String {
    format!("{SOURCES}/{id}")
}

async fn first_system(stack: &Stack, bmc: &str) -> String {
    let systems = stack.get("/redfish/v1/Systems").await.1;
    systems["Members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["@odata.id"].as_str())
        .find(|uri| uri.starts_with(&format!("/redfish/v1/Systems/{bmc}-")))
        .unwrap_or_else(|| panic!("no system of {bmc} listed: {systems}"))
        .to_owned()
}

/// Waits until a BMC's source says it is Up (its Status shows why not, if it never is).
async fn healthy(stack: &Stack, bmc: &str) -> Value {
    stack
        .until(&source(bmc), Duration::from_secs(20), |b| {
            b["Status"]["Health"] == "OK" && b["Status"]["State"] == "Enabled"
        })
        .await
}

fn tofu_rack() -> StackOptions {
    let mut options = StackOptions::rack(2, Profile::Dmtf);
    options.tls = true;
    options.request_timeout_ms = 10_000;
    // s1 pins its certificate; s2 is a BMC with verification off, as before.
    options.bmc_toml = vec![("s1".into(), "trust_on_first_use = true".into())];
    options
}

#[tokio::test]
async fn a_changed_certificate_is_refused_until_an_operator_accepts_it() {
    let logs = testkit::logs::capture(tracing::Level::INFO);
    let mut stack = Stack::start(tofu_rack()).await;
    let (s1, s2) = (stack.sims[0].clone(), stack.sims[1].clone());
    let first = s1.certificate_sha256().expect("s1 serves https");
    let (destination, mut events) = event_sink().await;
    let r = send(
        stack
            .admin(Method::POST, "/redfish/v1/EventService/Subscriptions")
            .json(&json!({"Destination": destination, "Protocol": "Redfish"})),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    stack.wait_for_members("/redfish/v1/Systems", 2).await;
    let (sys1, sys2) = (
        first_system(&stack, "s1").await,
        first_system(&stack, "s2").await,
    );

    // The first connection pinned s1's certificate, and only s1's.
    let shown = stack.get(&source("s1")).await.1;
    let oem = &shown["Oem"]["RedDrum"];
    assert_eq!(oem["TrustOnFirstUse"], true, "{shown}");
    assert_eq!(oem["CertificateFingerprint"], first.as_str(), "{shown}");
    assert_eq!(oem["CertificateFingerprintHashAlgorithm"], "TPM_ALG_SHA256");
    assert_eq!(oem["PresentedCertificateFingerprint"], Value::Null);
    let target = shown["Actions"]["Oem"]["#RedDrum.AcceptCertificate"]["target"]
        .as_str()
        .expect("the accept action is advertised")
        .to_owned();
    assert_eq!(target, format!("{}/{ACCEPT}", source("s1")));
    let plain = stack.get(&source("s2")).await.1;
    assert_eq!(plain["Oem"]["RedDrum"]["TrustOnFirstUse"], false, "{plain}");
    assert!(
        plain["Oem"]["RedDrum"]
            .get("CertificateFingerprint")
            .is_none()
    );
    assert!(plain.get("Actions").is_none(), "{plain}");

    // s1 gets a new certificate while the aggregator is stopped: the pin kept in SQLite is
    // what the restarted aggregator holds it to (a lost pin would pin the new one silently).
    stack.stop_services().await;
    let second = s1.regenerate_certificate().expect("new certificate");
    assert_ne!(first, second);
    stack.start_services().await;

    // Requests to s1 fail at once with a Redfish error naming the BMC and its source; its
    // members stay listed.
    let started = tokio::time::Instant::now();
    let refused = send(stack.admin(Method::GET, &sys1)).await;
    let waited = started.elapsed();
    assert_eq!(refused.status, 502, "{:?}", refused.body);
    assert_eq!(
        refused.message(),
        "CouldNotEstablishConnection",
        "{:?}",
        refused.body
    );
    let info = &refused.body["error"]["@Message.ExtendedInfo"][0];
    assert_eq!(info["Oem"]["RedDrum"]["Bmc"], "s1", "{info}");
    assert_eq!(info["MessageArgs"][0], source("s1"), "{info}");
    println!("refused request answered in {waited:?} (request timeout 10 s)");
    stack.wait_for_members("/redfish/v1/Systems", 2).await;
    // ... every time, and s2 is served throughout.
    assert_eq!(send(stack.admin(Method::GET, &sys1)).await.status, 502);
    assert_eq!(stack.get(&sys2).await.0, 200);

    // The source shows why, with both fingerprints.
    let down = stack
        .until(&source("s1"), Duration::from_secs(20), |b| {
            b["Status"]["Health"] == "Critical"
        })
        .await;
    assert_eq!(down["Status"]["State"], "UnavailableOffline", "{down}");
    let condition = &down["Status"]["Conditions"][0];
    assert!(
        condition["MessageId"]
            .as_str()
            .is_some_and(|id| id.ends_with(".ResourceErrorsDetected")),
        "{down}"
    );
    assert_eq!(condition["MessageArgs"][0], "Certificate", "{down}");
    assert!(
        condition["Message"]
            .as_str()
            .is_some_and(|m| m.contains("certificate changed") && m.contains(&second)),
        "{down}"
    );
    let oem = &down["Oem"]["RedDrum"];
    assert_eq!(
        oem["CertificateFingerprint"],
        first.as_str(),
        "pin kept: {down}"
    );
    assert_eq!(
        oem["PresentedCertificateFingerprint"],
        second.as_str(),
        "{down}"
    );

    // ... in the rack manager's log, to EventService subscribers, and in the service's log.
    let event = next_event(&mut events, "ResourceErrorsDetected", &source("s1")).await;
    assert_eq!(event["MessageArgs"][0], "Certificate", "{event}");
    assert!(
        event["Message"]
            .as_str()
            .is_some_and(|m| m.contains(&second)),
        "{event}"
    );
    let log = stack.get(LOG).await.1;
    assert!(
        log["Members"].as_array().into_iter().flatten().any(|e| {
            e["MessageId"] == "ResourceEvent.1.4.ResourceErrorsDetected"
                && e["Links"]["OriginOfCondition"]["@odata.id"] == source("s1")
        }),
        "{log}"
    );
    let lines = logs.text();
    assert!(
        lines.contains("presents a certificate other than the pinned one")
            && lines.contains(&second),
        "no log line names the refused certificate"
    );

    // A BMC without TOFU is not affected by a new certificate.
    s2.regenerate_certificate().expect("new certificate for s2");
    stack
        .wait_for_status(&sys2, 200, Duration::from_secs(10))
        .await;

    // Accepting needs ConfigureManager and the fingerprint, well formed.
    stack
        .create_account("watcher", "watcher-pw-1234", "Operator")
        .await;
    let denied = send(
        stack
            .as_user(Method::POST, &target, "watcher", "watcher-pw-1234")
            .json(&json!({"Fingerprint": second})),
    )
    .await;
    assert_eq!(denied.status, 403, "{:?}", denied.body);
    let missing = send(stack.admin(Method::POST, &target).json(&json!({}))).await;
    assert_eq!(
        (missing.status, missing.message()),
        (400, "ActionParameterMissing")
    );
    let malformed = send(
        stack
            .admin(Method::POST, &target)
            .json(&json!({"Fingerprint": "AB:CD"})),
    )
    .await;
    assert_eq!(
        (malformed.status, malformed.message()),
        (400, "ActionParameterValueFormatError")
    );
    assert_eq!(
        send(stack.admin(Method::GET, &sys1)).await.status,
        502,
        "still refused"
    );

    // The operator accepts the new certificate (as openssl prints it): s1 is served again.
    let accepted =
        send(stack.admin(Method::POST, &target).json(
            &json!({"Fingerprint": format!("sha256 Fingerprint={}", second.to_lowercase())}),
        ))
        .await;
    assert_eq!(accepted.status, 204, "{:?}", accepted.body);
    stack
        .wait_for_status(&sys1, 200, Duration::from_secs(20))
        .await;
    let up = healthy(&stack, "s1").await;
    assert_eq!(
        up["Oem"]["RedDrum"]["CertificateFingerprint"],
        second.as_str(),
        "{up}"
    );
    assert_eq!(
        up["Oem"]["RedDrum"]["PresentedCertificateFingerprint"],
        Value::Null
    );
    next_event(&mut events, "ResourceErrorsCorrected", &source("s1")).await;

    // The accepted pin is the one kept: after a restart s1 is served, and the certificate it
    // had first is refused.
    stack.restart_services().await;
    stack
        .wait_for_status(&sys1, 200, Duration::from_secs(20))
        .await;
    assert_eq!(
        stack.get(&source("s1")).await.1["Oem"]["RedDrum"]["CertificateFingerprint"],
        second.as_str()
    );
    stack.teardown().await;
}

#[tokio::test]
async fn a_source_added_through_the_api_can_pin_its_certificate() {
    let stack = Stack::start(StackOptions::rack(0, Profile::Dmtf)).await;
    let mut o = BmcOptions::new("s9", Profile::Dmtf);
    o.tls = true;
    let sim = SimBmc::start(o).await.expect("sim");
    let body = |host: String| {
        json!({"HostName": host, "UserName": "root", "Password": "calvin", "Id": "s9",
               "Oem": {"RedDrum": {"TrustOnFirstUse": true}}})
    };

    // Nothing to pin over plain HTTP.
    let http = send(
        stack
            .admin(Method::POST, SOURCES)
            .json(&body(sim.url().replace("https://", "http://"))),
    )
    .await;
    assert_eq!(
        (http.status, http.message()),
        (400, "PropertyValueConflict"),
        "{:?}",
        http.body
    );

    let created = send(stack.admin(Method::POST, SOURCES).json(&body(sim.url()))).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let pinned = stack
        .until(&source("s9"), Duration::from_secs(20), |b| {
            b["Oem"]["RedDrum"]["CertificateFingerprint"].is_string()
        })
        .await;
    assert_eq!(pinned["Oem"]["RedDrum"]["TrustOnFirstUse"], true);
    healthy(&stack, "s9").await;
    assert_eq!(
        pinned["Oem"]["RedDrum"]["CertificateFingerprint"].as_str(),
        sim.certificate_sha256().as_deref()
    );
    stack.wait_for_members("/redfish/v1/Systems", 1).await;
    let system = first_system(&stack, "s9").await;
    assert_eq!(stack.get(&system).await.0, 200);

    sim.regenerate_certificate().expect("new certificate");
    let refused = send(stack.admin(Method::GET, &system)).await;
    assert_eq!(
        (refused.status, refused.message()),
        (502, "CouldNotEstablishConnection")
    );
    assert_eq!(
        refused.body["error"]["@Message.ExtendedInfo"][0]["Oem"]["RedDrum"]["Bmc"],
        "s9"
    );

    // Deleting the source forgets its pin: added again, it pins the certificate it has now.
    assert_eq!(
        send(stack.admin(Method::DELETE, &source("s9")))
            .await
            .status,
        204
    );
    let again = send(stack.admin(Method::POST, SOURCES).json(&body(sim.url()))).await;
    assert_eq!(again.status, 201, "{:?}", again.body);
    healthy(&stack, "s9").await;
    stack.wait_for_members("/redfish/v1/Systems", 1).await;
    stack
        .wait_for_status(&system, 200, Duration::from_secs(20))
        .await;
    assert_eq!(
        stack.get(&source("s9")).await.1["Oem"]["RedDrum"]["CertificateFingerprint"].as_str(),
        sim.certificate_sha256().as_deref()
    );
    stack.teardown().await;
    sim.shutdown().await;
}
