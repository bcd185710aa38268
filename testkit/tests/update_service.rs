//! The aggregate's `#UpdateService.SimpleUpdate` through the whole stack: advertised with its
//! ActionInfo, bad requests refused before any BMC hears of them, one BMC's targets answered with
//! that BMC's own task monitor, several BMCs' as one local Task; the effect checked at the
//! simulated BMCs.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use testkit::bmc_sim::{Fault, Profile, SimHandle};
use testkit::{Reply, Stack, StackOptions, send};

const SERVICE: &str = "/redfish/v1/UpdateService";
const ACTION: &str = "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate";
const ACTION_INFO: &str = "/redfish/v1/UpdateService/SimpleUpdateActionInfo";
const IMAGE: &str = "http://images.example.invalid/fw-1.2.3.bin";

fn bios(bmc: &str) -> String {
    format!("/redfish/v1/UpdateService/FirmwareInventory/{bmc}-BIOS")
}

async fn start(n: usize) -> Stack {
    let mut options = StackOptions::rack(n, Profile::Dmtf);
    // A BMC that is down answers at once or after this; either way the test stays quick.
    options.connect_timeout_ms = 500;
    options.request_timeout_ms = 2_000;
    let stack = Stack::start(options).await;
    stack.wait_for_members("/redfish/v1/Systems", n).await;
    stack
}

async fn simple_update(stack: &Stack, body: Value) -> Reply {
    send(stack.admin(Method::POST, ACTION).json(&body)).await
}

/// The SimpleUpdate POSTs a simulated BMC received: their JSON bodies.
fn updates_at(sim: &SimHandle) -> Vec<Value> {
    sim.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("UpdateService.SimpleUpdate"))
        .map(|r| serde_json::from_slice(&r.body).expect("JSON body"))
        .collect()
}

/// Follows a task monitor until it stops answering 202; returns the last reply.
async fn follow(stack: &Stack, monitor: &str) -> Reply {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = send(stack.admin(Method::GET, monitor)).await;
        if r.status != 202 {
            return r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "task never finished: {}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn simple_update_is_advertised_and_bad_requests_reach_no_bmc() {
    let stack = start(2).await;
    let (status, service) = stack.get(SERVICE).await;
    assert_eq!(status, 200);
    let action = &service["Actions"]["#UpdateService.SimpleUpdate"];
    assert_eq!(action["target"], ACTION, "{service}");
    assert_eq!(action["@Redfish.ActionInfo"], ACTION_INFO, "{service}");
    let (status, info) = stack.get(ACTION_INFO).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["@odata.type"], "#ActionInfo.v1_4_0.ActionInfo");
    let parameters: Vec<(String, bool)> = info["Parameters"]
        .as_array()
        .expect("Parameters")
        .iter()
        .map(|p| {
            (
                p["Name"].as_str().unwrap_or("").to_owned(),
                p["Required"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        parameters,
        [
            ("ImageURI".to_owned(), true),
            ("TransferProtocol".to_owned(), false),
            ("Targets".to_owned(), true),
            ("Username".to_owned(), false),
            ("Password".to_owned(), false),
        ]
    );
    let get = send(stack.admin(Method::GET, ACTION)).await;
    assert_eq!(get.status, 405, "{}", get.body);

    // Each bad request names a good target too: nothing of it may reach s1.
    let good = bios("s1");
    let cases = [
        (json!({"Targets": [good]}), "ActionParameterMissing", None),
        (json!({"ImageURI": IMAGE}), "ActionParameterMissing", None),
        (
            json!({"ImageURI": IMAGE, "Targets": []}),
            "ActionParameterValueError",
            None,
        ),
        (
            json!({"ImageURI": IMAGE, "Targets": [good, bios("s9")]}),
            "ActionParameterValueNotInList",
            Some(bios("s9")),
        ),
        (
            json!({"ImageURI": IMAGE, "Targets": [good, "/redfish/v1/Chassis/Rack1"]}),
            "ActionParameterValueNotInList",
            Some("/redfish/v1/Chassis/Rack1".to_owned()),
        ),
        (
            json!({"ImageURI": IMAGE, "Targets": [good], "ForceUpdate": true}),
            "ActionParameterUnknown",
            None,
        ),
        (
            json!({"ImageURI": 7, "Targets": [good]}),
            "ActionParameterValueTypeError",
            None,
        ),
        (
            json!({"ImageURI": IMAGE, "Targets": good}),
            "ActionParameterValueTypeError",
            None,
        ),
    ];
    for (body, message, named) in cases {
        let r = simple_update(&stack, body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(r.message(), message, "{body}: {}", r.body);
        if let Some(named) = named {
            assert_eq!(
                r.body["error"]["@Message.ExtendedInfo"][0]["MessageArgs"][0], named,
                "the message names the bad target"
            );
        }
    }
    let malformed = send(
        stack
            .admin(Method::POST, ACTION)
            .header("content-type", "application/json")
            .body("{\"ImageURI\": "),
    )
    .await;
    assert_eq!(
        (malformed.status, malformed.message()),
        (400, "MalformedJSON")
    );
    for sim in &stack.sims {
        assert!(updates_at(sim).is_empty(), "a BMC received a SimpleUpdate");
    }
    stack.teardown().await;
}

#[tokio::test]
async fn one_bmcs_targets_answer_with_its_task_monitor_through_the_aggregate() {
    let stack = start(3).await;
    let r = simple_update(
        &stack,
        json!({"ImageURI": IMAGE, "TransferProtocol": "HTTP",
            "Targets": [bios("s2"), "/redfish/v1/Systems/s2-1"]}),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let monitor = r.header("location").expect("Location").to_owned();
    assert!(
        monitor.starts_with("/redfish/v1/TaskService/TaskMonitors/s2-"),
        "{monitor}"
    );
    let task_uri = r.body["@odata.id"]
        .as_str()
        .expect("the BMC's Task")
        .to_owned();
    assert!(
        task_uri.starts_with("/redfish/v1/TaskService/Tasks/s2-"),
        "{task_uri}"
    );

    let done = follow(&stack, &monitor).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let (status, task) = stack.get(&task_uri).await;
    assert_eq!(status, 200, "{task}");
    assert_eq!(task["TaskState"], "Completed", "{task}");

    let at_s2 = updates_at(&stack.sims[1]);
    assert_eq!(
        at_s2,
        [json!({"ImageURI": IMAGE, "TransferProtocol": "HTTP",
            "Targets": ["/redfish/v1/UpdateService/FirmwareInventory/BIOS", "/redfish/v1/Systems/1"]})]
    );
    assert!(updates_at(&stack.sims[0]).is_empty());
    assert!(updates_at(&stack.sims[2]).is_empty());
    stack.teardown().await;
}

#[tokio::test]
async fn several_bmcs_answer_as_one_local_task_with_a_message_each() {
    let stack = start(3).await;
    stack.sims[2].set_fault(Fault::Down);
    let r = simple_update(
        &stack,
        json!({"ImageURI": IMAGE, "Targets": [bios("s1"), bios("s2"), bios("s3")]}),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let monitor = r.header("location").expect("Location").to_owned();
    let id = r.body["Id"].as_str().expect("task id");
    assert_eq!(
        monitor,
        format!("/redfish/v1/TaskService/TaskMonitors/{id}")
    );

    let done = follow(&stack, &monitor).await;
    stack.sims[2].set_fault(Fault::None);
    assert_eq!(done.status, 200, "{}", done.body);
    let task = done.body;
    assert_eq!(
        (task["TaskState"].as_str(), task["TaskStatus"].as_str()),
        (Some("Exception"), Some("Warning")),
        "one BMC failed: {task}"
    );
    let per_bmc: Vec<&Value> = task["Messages"]
        .as_array()
        .expect("Messages")
        .iter()
        .filter(|m| m["Oem"]["RedDrum"]["Bmc"].is_string())
        .collect();
    assert_eq!(per_bmc.len(), 3, "{task}");
    let of = |bmc: &str| {
        *per_bmc
            .iter()
            .find(|m| m["Oem"]["RedDrum"]["Bmc"] == bmc)
            .unwrap_or_else(|| panic!("no message for {bmc}: {task}"))
    };
    for bmc in ["s1", "s2"] {
        let m = of(bmc);
        let id = m["MessageId"].as_str().unwrap_or("");
        assert!(id.ends_with(".TaskStarted"), "{m}");
        let bmc_task = m["Oem"]["RedDrum"]["Task"]["@odata.id"]
            .as_str()
            .expect("the BMC's task");
        assert!(
            bmc_task.starts_with(&format!("/redfish/v1/TaskService/Tasks/{bmc}-")),
            "{m}"
        );
        let (status, _) = stack.get(bmc_task).await;
        assert_eq!(
            status, 200,
            "the BMC's task is readable through the aggregate"
        );
    }
    let down = of("s3");
    assert!(
        down["MessageId"]
            .as_str()
            .unwrap_or("")
            .ends_with(".ServiceTemporarilyUnavailable"),
        "{down}"
    );

    for sim in &stack.sims[..2] {
        assert_eq!(
            updates_at(sim),
            [json!({"ImageURI": IMAGE,
                "Targets": ["/redfish/v1/UpdateService/FirmwareInventory/BIOS"]})]
        );
    }
    assert!(updates_at(&stack.sims[2]).is_empty());
    stack.teardown().await;
}
