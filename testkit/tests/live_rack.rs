//! A live, truthful rack whatever the BMCs do: a collection that answers 404, 500 or nothing never
//! hides the rest of its BMC; a BMC down at start is listed within seconds of coming up; a hung
//! BMC costs one timeout, not one per request; refused credentials are not retried into a lockout.

use reqwest::Method;
use serde_json::Value;
use std::time::{Duration, Instant};
use testkit::bmc_sim::{Fault, Profile};
use testkit::{Stack, StackOptions};

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|m| {
            m.iter()
                .filter_map(|x| x["@odata.id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn not_found() -> Fault {
    Fault::Status {
        code: 404,
        redfish_body: true,
    }
}

fn lists(body: &Value, uri: &str) -> bool {
    ids(&body["Members"]).iter().any(|m| m == uri)
}

#[tokio::test]
async fn a_failing_collection_never_hides_the_rest_of_its_bmc() {
    let mut options = StackOptions::rack(3, Profile::Dmtf);
    options.request_timeout_ms = 1_000;
    options.path_faults_at_start = vec![
        // A ServiceRoot link to a collection that does not exist (the field's classic).
        (
            "s1".into(),
            "/redfish/v1/UpdateService/FirmwareInventory".into(),
            not_found(),
        ),
        // A collection that answers 500.
        (
            "s2".into(),
            "/redfish/v1/Managers".into(),
            Fault::Status {
                code: 500,
                redfish_body: true,
            },
        ),
        // A collection that never answers.
        ("s3".into(), "/redfish/v1/Chassis".into(), Fault::Hang),
    ];
    let stack = Stack::start(options).await;
    // Every system is listed, at once: the broken collections do not hold them back.
    let systems = stack.wait_for_members("/redfish/v1/Systems", 3).await;
    assert_eq!(
        ids(&systems["Members"]),
        [
            "/redfish/v1/Systems/s1-1",
            "/redfish/v1/Systems/s2-1",
            "/redfish/v1/Systems/s3-1"
        ]
    );
    let (status, _) = stack.get("/redfish/v1/Systems/s1-1").await;
    assert_eq!(status, 200, "a BMC with a broken collection is not down");
    let chassis = stack
        .until("/redfish/v1/Chassis", Duration::from_secs(5), |c| {
            lists(c, "/redfish/v1/Chassis/s1-1") && lists(c, "/redfish/v1/Chassis/s2-1")
        })
        .await;
    assert!(!lists(&chassis, "/redfish/v1/Chassis/s3-1"), "never read");
    let managers = stack
        .until("/redfish/v1/Managers", Duration::from_secs(5), |m| {
            lists(m, "/redfish/v1/Managers/s1-1") && lists(m, "/redfish/v1/Managers/s3-1")
        })
        .await;
    assert!(!lists(&managers, "/redfish/v1/Managers/s2-1"));
    let firmware = stack
        .until(
            "/redfish/v1/UpdateService/FirmwareInventory",
            Duration::from_secs(5),
            |f| ids(&f["Members"]).iter().any(|m| m.contains("/s2-")),
        )
        .await;
    assert!(
        !ids(&firmware["Members"]).iter().any(|m| m.contains("/s1-")),
        "{firmware}"
    );
    // The rack tells that some BMCs are not whole.
    let (_, rack) = stack.get("/redfish/v1/Chassis/Rack1").await;
    assert_eq!(rack["Status"]["HealthRollup"], "Warning", "{rack}");

    // Mended collections are retried (1 s, doubling) and appear without a full pass.
    stack.sims[0].clear_path_faults();
    stack.sims[1].clear_path_faults();
    stack.sims[2].clear_path_faults();
    stack
        .until(
            "/redfish/v1/UpdateService/FirmwareInventory",
            Duration::from_secs(8),
            |f| ids(&f["Members"]).iter().any(|m| m.contains("/s1-")),
        )
        .await;
    stack
        .until("/redfish/v1/Chassis", Duration::from_secs(8), |c| {
            lists(c, "/redfish/v1/Chassis/s3-1")
        })
        .await;
    stack
        .until("/redfish/v1/Managers", Duration::from_secs(8), |m| {
            lists(m, "/redfish/v1/Managers/s2-1")
        })
        .await;
    stack
        .until("/redfish/v1/Chassis/Rack1", Duration::from_secs(8), |r| {
            r["Status"]["HealthRollup"] == "OK"
        })
        .await;
    stack.teardown().await;
}

#[tokio::test]
async fn a_collection_that_starts_failing_keeps_its_last_known_members() {
    let mut options = StackOptions::rack(2, Profile::Dmtf);
    options.discovery_interval_secs = 1;
    let stack = Stack::start(options).await;
    stack.wait_for_members("/redfish/v1/Systems", 2).await;
    stack
        .until("/redfish/v1/Managers", Duration::from_secs(5), |m| {
            lists(m, "/redfish/v1/Managers/s1-1")
        })
        .await;
    stack.sims[0]
        .set_path_fault("/redfish/v1/Managers", not_found())
        .expect("path fault");
    // Past a few full passes, the failing BMC is Degraded and its managers are still listed.
    stack
        .until("/redfish/v1/Chassis/Rack1", Duration::from_secs(5), |r| {
            r["Status"]["HealthRollup"] == "Warning"
        })
        .await;
    let (_, managers) = stack.get("/redfish/v1/Managers").await;
    assert!(lists(&managers, "/redfish/v1/Managers/s1-1"), "{managers}");
    let (_, systems) = stack.get("/redfish/v1/Systems").await;
    assert_eq!(systems["Members@odata.count"], 2);
    stack.teardown().await;
}

#[tokio::test]
async fn a_bmc_down_at_start_is_listed_within_seconds_of_coming_up() {
    let mut options = StackOptions::rack(2, Profile::Dmtf);
    options.faults_at_start = vec![("s2".into(), Fault::Down)];
    let stack = Stack::start(options).await;
    stack.wait_for_members("/redfish/v1/Systems", 1).await;
    let (status, body) = stack.get("/redfish/v1/Systems/s2-1").await;
    assert_eq!(status, 503, "a configured BMC that does not answer: {body}");
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    stack.sims[1].set_fault(Fault::None);
    let up = Instant::now();
    stack.wait_for_members("/redfish/v1/Systems", 2).await;
    let took = up.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "listed {took:?} after it came up (the discovery interval is 300 s)"
    );
    let (status, _) = stack.get("/redfish/v1/Systems/s2-1").await;
    assert_eq!(status, 200);
    stack.teardown().await;
}

#[tokio::test]
async fn a_hung_bmc_costs_one_timeout_then_answers_503_at_once_until_it_recovers() {
    let mut options = StackOptions::rack(2, Profile::Dmtf);
    options.request_timeout_ms = 1_500;
    let stack = Stack::start(options).await;
    stack.wait_for_members("/redfish/v1/Systems", 2).await;
    stack.sims[0].set_fault(Fault::Hang);

    let first = Instant::now();
    let (status, _) = stack.get("/redfish/v1/Systems/s1-1").await;
    assert_eq!(status, 504, "the first request waits the timeout");
    assert!(first.elapsed() >= Duration::from_millis(1_400));

    for _ in 0..5 {
        let at = Instant::now();
        let r = stack
            .admin(Method::GET, "/redfish/v1/Systems/s1-1/Bios")
            .send()
            .await
            .expect("get");
        let took = at.elapsed();
        assert_eq!(r.status(), 503);
        assert!(took < Duration::from_secs(1), "answered in {took:?}");
        assert!(r.headers().get("retry-after").is_some());
        let body: Value = r.json().await.expect("json");
        let info = &body["error"]["@Message.ExtendedInfo"][0];
        assert_eq!(info["MessageId"], "Base.1.22.ServiceTemporarilyUnavailable");
        assert_eq!(info["Oem"]["RedDrum"]["Bmc"], "s1", "{body}");
        // The other BMC is not touched by it.
        let (ok, _) = stack.get("/redfish/v1/Systems/s2-1").await;
        assert_eq!(ok, 200);
    }
    let (_, systems) = stack.get("/redfish/v1/Systems").await;
    assert_eq!(systems["Members@odata.count"], 2, "still listed");

    // Recovery: a probe finds it answering and the breaker closes by itself.
    stack.sims[0].set_fault(Fault::None);
    let took = stack
        .wait_for_status("/redfish/v1/Systems/s1-1", 200, Duration::from_secs(10))
        .await;
    eprintln!("breaker closed {took:?} after the BMC recovered");
    stack.teardown().await;
}

#[tokio::test]
async fn a_hung_subtree_does_not_open_the_breaker_of_a_live_bmc() {
    let mut options = StackOptions::rack(1, Profile::Dmtf);
    options.request_timeout_ms = 800;
    let stack = Stack::start(options).await;
    stack.wait_for_members("/redfish/v1/Systems", 1).await;
    stack.sims[0]
        .set_path_fault("/redfish/v1/Systems/1/Bios", Fault::Hang)
        .expect("path fault");
    let (status, _) = stack.get("/redfish/v1/Systems/s1-1/Bios").await;
    assert_eq!(status, 504);
    // The probe (its ServiceRoot answers) closes the breaker at once: the rest of it works.
    stack
        .wait_for_status("/redfish/v1/Systems/s1-1", 200, Duration::from_secs(2))
        .await;
    stack.teardown().await;
}

#[tokio::test]
async fn refused_credentials_answer_at_once_and_are_not_retried_into_a_lockout() {
    let mut options = StackOptions::rack(2, Profile::Dmtf);
    options.discovery_interval_secs = 3;
    let stack = Stack::start(options).await;
    stack.wait_for_members("/redfish/v1/Systems", 2).await;
    stack.sims[0].set_password("rotated-elsewhere");
    let (status, body) = stack.get("/redfish/v1/Systems/s1-1").await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(
        body["error"]["@Message.ExtendedInfo"][0]["MessageId"],
        "Base.1.22.ResourceAtUriUnauthorized"
    );
    let logins = |stack: &Stack| {
        stack.sims[0]
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/Sessions"))
            .count()
    };
    let before = logins(&stack);
    for _ in 0..10 {
        let (status, _) = stack.get("/redfish/v1/Systems/s1-1").await;
        assert_eq!(status, 502);
    }
    assert!(
        logins(&stack) <= before + 1,
        "requests must not each try a login ({} -> {})",
        before,
        logins(&stack)
    );
    let (_, rack) = stack.get("/redfish/v1/Chassis/Rack1").await;
    assert_eq!(rack["Status"]["HealthRollup"], "Warning");
    // Credentials mended on the BMC: picked up at the next interval.
    stack.sims[0].set_password("calvin");
    stack
        .wait_for_status("/redfish/v1/Systems/s1-1", 200, Duration::from_secs(8))
        .await;
    stack.teardown().await;
}

/// A request that opens a BMC's breaker while discovery is reading that BMC (the trip's wake-up
/// arrives while the read runs) still gets its probe: once the BMC answers again, requests are
/// served within seconds, not after the next full read (the soak found them answering 503 for
/// the rest of the run).
#[tokio::test]
async fn a_breaker_opened_during_a_read_is_probed_after_it() {
    let mut options = StackOptions::rack(1, Profile::Dmtf);
    options.request_timeout_ms = 1_000;
    let stack = Stack::start(options).await;
    stack.wait_for_members("/redfish/v1/Systems", 1).await;
    let member = "/redfish/v1/Systems/s1-1";
    let sim = &stack.sims[0];
    // Every answer of this BMC now takes 0.9 s (a read of it, several rounds of requests, takes
    // seconds), and the system hangs.
    sim.set_path_fault(
        "/redfish/v1",
        Fault::Delay {
            fixed_ms: 900,
            jitter_ms: 0,
        },
    )
    .expect("fault");
    sim.set_path_fault("/redfish/v1/Systems/1", Fault::Hang)
        .expect("fault");
    // The first timeout opens the breaker; its probe closes it and reads on for seconds. A
    // request that reaches the BMC meanwhile times out and opens it again, during the read.
    let (status, _) = stack.get(member).await;
    assert_eq!(status, 504, "the hung system times out");
    let reached = Instant::now();
    loop {
        let (status, _) = stack.get(member).await;
        if status == 504 {
            break;
        }
        assert!(
            reached.elapsed() < Duration::from_secs(5),
            "no request reached the BMC again while its read ran (last {status})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The aggregator's own timeout (and the trip) may land just after the frontend's deadline.
    stack
        .wait_for_status(member, 503, Duration::from_secs(2))
        .await;
    sim.clear_path_faults();
    let took = stack
        .wait_for_status(member, 200, Duration::from_secs(15))
        .await;
    eprintln!("served again {took:?} after the BMC recovered");
}
