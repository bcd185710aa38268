//! Each bmc-sim fault maps to the right status and Redfish error body naming the BMC, while the
//! other BMCs keep answering and collections keep being served.

use reqwest::Method;
use std::time::Duration;
use testkit::bmc_sim::{Fault, Profile};
use testkit::{Stack, StackOptions};

async fn stack() -> Stack {
    let mut options = StackOptions::rack(2, Profile::Dmtf);
    options.request_timeout_ms = 800;
    options.connect_timeout_ms = 500;
    let stack = Stack::start(options).await;
    stack.wait_for_members("/redfish/v1/Systems", 2).await;
    stack
}

fn message_id(body: &serde_json::Value) -> String {
    body["error"]["@Message.ExtendedInfo"][0]["MessageId"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// The faulty BMC answers `status`/`key`; the healthy one and the collection still answer 200.
async fn assert_fault(stack: &Stack, fault: Fault, status: u16, key: &str) {
    stack.sims[0].set_fault(fault.clone());
    let (got, body) = stack.get("/redfish/v1/Systems/s1-1").await;
    assert_eq!(got, status, "{fault:?}: {body}");
    assert_eq!(
        message_id(&body),
        format!("Base.1.22.{key}"),
        "{fault:?}: {body}"
    );
    assert_eq!(
        body["error"]["@Message.ExtendedInfo"][0]["Oem"]["RedDrum"]["Bmc"], "s1",
        "{fault:?}: {body}"
    );
    let (ok, other) = stack.get("/redfish/v1/Systems/s2-1").await;
    assert_eq!(ok, 200, "{fault:?}: healthy BMC: {other}");
    let (ok, collection) = stack.get("/redfish/v1/Systems").await;
    assert_eq!(ok, 200);
    assert_eq!(
        collection["Members@odata.count"], 2,
        "{fault:?}: a failing BMC keeps its members listed"
    );
    stack.sims[0].set_fault(Fault::None);
}

#[tokio::test]
async fn down_is_503_with_retry_after() {
    let stack = stack().await;
    stack.sims[0].set_fault(Fault::Down);
    let r = stack
        .admin(Method::GET, "/redfish/v1/Systems/s1-1")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("retry-after").is_some());
    assert_fault(&stack, Fault::Down, 503, "ServiceTemporarilyUnavailable").await;
    // And it comes back as soon as discovery's probe finds it answering (1 s backoff first).
    stack
        .wait_for_status("/redfish/v1/Systems/s1-1", 200, Duration::from_secs(5))
        .await;
    stack.teardown().await;
}

#[tokio::test]
async fn hang_is_504() {
    let stack = stack().await;
    assert_fault(&stack, Fault::Hang, 504, "OperationTimeout").await;
    stack.teardown().await;
}

#[tokio::test]
async fn slow_drip_past_the_deadline_is_504() {
    let stack = stack().await;
    assert_fault(
        &stack,
        Fault::SlowDrip { bytes_per_sec: 20 },
        504,
        "OperationTimeout",
    )
    .await;
    stack.teardown().await;
}

#[tokio::test]
async fn garbage_truncated_and_reset_replies_are_502() {
    let stack = stack().await;
    assert_fault(&stack, Fault::Garbage, 502, "OperationFailed").await;
    assert_fault(&stack, Fault::TruncatedJson, 502, "OperationFailed").await;
    assert_fault(&stack, Fault::ResetMidBody, 502, "OperationFailed").await;
    stack.teardown().await;
}

#[tokio::test]
async fn a_bmc_error_with_a_body_passes_through_and_without_one_gets_a_redfish_body() {
    let stack = stack().await;
    stack.sims[0].set_fault(Fault::Status {
        code: 503,
        redfish_body: true,
    });
    let (status, body) = stack.get("/redfish/v1/Systems/s1-1").await;
    assert_eq!(status, 503);
    assert!(message_id(&body).starts_with("Base."), "{body}");
    assert_fault(
        &stack,
        Fault::Status {
            code: 500,
            redfish_body: false,
        },
        500,
        "OperationFailed",
    )
    .await;
    stack.teardown().await;
}

#[tokio::test]
async fn a_slow_bmc_is_only_slow_for_itself() {
    let stack = stack().await;
    stack.sims[0].set_fault(Fault::Delay {
        fixed_ms: 300,
        jitter_ms: 0,
    });
    let (status, _) = stack.get("/redfish/v1/Systems/s1-1").await;
    assert_eq!(status, 200, "a delay under the deadline is just slow");

    // Several requests stuck on a hanging BMC: the healthy one answers while they are still pending.
    stack.sims[0].set_fault(Fault::Hang);
    let stuck: Vec<_> = (0..6)
        .map(|_| {
            let req = stack.admin(Method::GET, "/redfish/v1/Systems/s1-1");
            tokio::spawn(async move { req.send().await.map(|r| r.status().as_u16()) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (status, _) = stack.get("/redfish/v1/Systems/s2-1").await;
    assert_eq!(status, 200);
    let (status, _) = stack.get("/redfish/v1/Systems").await;
    assert_eq!(status, 200);
    assert!(
        stuck.iter().any(|t| !t.is_finished()),
        "the hanging BMC's requests were still pending"
    );
    // Those that had a turn time out (504); those queued behind them find the breaker open
    // when their turn comes and answer at once (503) instead of waiting out a timeout again.
    let mut statuses = Vec::new();
    for t in stuck {
        statuses.push(t.await.expect("join").expect("send"));
    }
    assert!(statuses.contains(&504), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 504 || *s == 503),
        "{statuses:?}"
    );
    stack.sims[0].set_fault(Fault::None);
    stack.teardown().await;
}

#[tokio::test]
async fn rotated_bmc_credentials_are_a_502_naming_the_bmc() {
    let stack = stack().await;
    stack.sims[0].set_password("rotated");
    let (status, body) = stack.get("/redfish/v1/Systems/s1-1").await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(message_id(&body), "Base.1.22.ResourceAtUriUnauthorized");
    assert!(!body.to_string().contains("calvin"));
    stack.teardown().await;
}

#[tokio::test]
async fn the_aggregator_logs_in_again_when_the_bmc_forgets_its_session() {
    let mut stack = stack().await;
    let (status, _) = stack.get("/redfish/v1/Systems/s1-1").await;
    assert_eq!(status, 200);
    let logins_before = stack.sims[0]
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/Sessions"))
        .count();
    // A BMC reboot: same address, no sessions.
    let addr = stack.sims[0].addr();
    let old = stack.sims.remove(0);
    old.shutdown().await;
    let mut options = testkit::bmc_sim::BmcOptions::new("s1", Profile::Dmtf);
    options.listen = addr;
    let fresh = testkit::bmc_sim::SimBmc::start(options)
        .await
        .expect("restart sim");
    stack.sims.insert(0, fresh);
    let (status, body) = stack.get("/redfish/v1/Systems/s1-1").await;
    assert_eq!(status, 200, "{body}");
    let seen = stack.sims[0].requests();
    assert!(
        seen.iter()
            .any(|r| r.method == "POST" && r.path.ends_with("/Sessions")),
        "logged in again"
    );
    assert!(
        logins_before >= 1,
        "the aggregator used a Redfish session in the first place"
    );
    // Every request after the login carried the session token, never Basic credentials.
    assert!(
        seen.iter()
            .filter(|r| r.path.starts_with("/redfish/v1/Systems"))
            .all(|r| r.header("x-auth-token").is_some())
    );
    stack.teardown().await;
}
