//! The AggregationService's Aggregates through the whole stack: custom aggregates created,
//! changed, refused, deleted and kept across a restart; the built-in Rack aggregate; Reset and
//! SetDefaultBootOrder fanned out as one Task, their effect checked at the simulated BMCs.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use testkit::bmc_sim::{Fault, Profile, SimHandle};
use testkit::{Reply, Stack, StackOptions, send};

const AGGREGATES: &str = "/redfish/v1/AggregationService/Aggregates";
const RACK: &str = "/redfish/v1/AggregationService/Aggregates/Rack";

fn system(n: usize) -> String {
    format!("/redfish/v1/Systems/s{n}-1")
}

fn links(uris: &[String]) -> Value {
    uris.iter().map(|u| json!({"@odata.id": u})).collect()
}

fn element_uris(aggregate: &Value) -> Vec<String> {
    aggregate["Elements"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|l| l["@odata.id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn member_uris(collection: &Value) -> Vec<String> {
    element_uris(&json!({"Elements": collection["Members"]}))
}

async fn post(stack: &Stack, path: &str, body: Value) -> Reply {
    send(stack.admin(Method::POST, path).json(&body)).await
}

async fn action(stack: &Stack, aggregate: &str, name: &str, body: Value) -> Reply {
    post(
        stack,
        &format!("{aggregate}/Actions/Aggregate.{name}"),
        body,
    )
    .await
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

/// Follows a task monitor until it stops answering 202; returns the finished Task.
async fn finish(stack: &Stack, monitor: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = send(stack.admin(Method::GET, monitor)).await;
        if r.status == 200 {
            return r.body;
        }
        assert_eq!(r.status, 202, "{}", r.body);
        assert!(
            tokio::time::Instant::now() < deadline,
            "task never finished: {}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts an aggregate action that answers with a task, and waits for the task to end.
async fn run_task(stack: &Stack, aggregate: &str, name: &str, body: Value) -> Value {
    let r = action(stack, aggregate, name, body).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let monitor = r.header("location").expect("Location of the task monitor");
    assert_eq!(
        monitor,
        format!(
            "/redfish/v1/TaskService/TaskMonitors/{}",
            r.body["Id"].as_str().expect("task id")
        )
    );
    finish(stack, monitor).await
}

/// The Task's per-server messages: (server URI, MessageId).
fn per_server(task: &Value) -> Vec<(String, String)> {
    task["Messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| {
            let origin = m["Oem"]["RedDrum"]["OriginOfCondition"]["@odata.id"].as_str()?;
            Some((
                origin.to_owned(),
                m["MessageId"].as_str().unwrap_or("").to_owned(),
            ))
        })
        .collect()
}

/// The system as the simulated BMC itself holds it (no aggregator in between).
async fn at_sim(sim: &SimHandle) -> Value {
    reqwest::Client::new()
        .get(format!("{}/redfish/v1/Systems/1", sim.url()))
        .basic_auth("root", Some("calvin"))
        .send()
        .await
        .expect("sim")
        .json()
        .await
        .expect("json")
}

fn posted(sim: &SimHandle, action: &str) -> bool {
    sim.requests()
        .iter()
        .any(|r| r.method == "POST" && r.path.ends_with(action))
}

#[tokio::test]
async fn custom_aggregates_are_created_changed_refused_deleted_and_kept() {
    let mut stack = start(3).await;
    let (status, collection) = stack.get(AGGREGATES).await;
    assert_eq!(status, 200);
    assert_eq!(member_uris(&collection), [RACK]);

    let created = post(
        &stack,
        AGGREGATES,
        json!({"Name": "web", "Elements": links(&[system(1), system(2)])}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let uri = created.header("location").expect("Location").to_owned();
    assert_eq!(uri, format!("{AGGREGATES}/1"));
    assert_eq!(created.body["@odata.id"], uri.as_str());
    assert_eq!(created.body["@odata.type"], "#Aggregate.v1_0_3.Aggregate");
    assert_eq!(element_uris(&created.body), [system(1), system(2)]);

    let read = send(stack.admin(Method::GET, &uri)).await;
    assert_eq!((read.status, &read.body["Name"]), (200, &json!("web")));
    assert_eq!(read.body["ElementsCount"], 2);
    assert_eq!(read.header("allow"), Some("GET, HEAD, DELETE"));
    assert!(read.header("etag").is_some());
    let (_, collection) = stack.get(AGGREGATES).await;
    assert_eq!(member_uris(&collection), [RACK, uri.as_str()]);

    // A duplicate is ignored; the new one is appended.
    let r = action(
        &stack,
        &uri,
        "AddElements",
        json!({"Elements": links(&[system(3), system(1)])}),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let (_, after_add) = stack.get(&uri).await;
    assert_eq!(element_uris(&after_add), [system(1), system(2), system(3)]);
    let tag = send(stack.admin(Method::GET, &uri))
        .await
        .header("etag")
        .map(str::to_owned);

    // A valid chassis beside each bad element: nothing of the request is applied.
    let (_, chassis) = stack.get("/redfish/v1/Chassis").await;
    let bmc_chassis = member_uris(&chassis)
        .into_iter()
        .find(|c| c.starts_with("/redfish/v1/Chassis/s1-"))
        .expect("a BMC's chassis");
    for bad in [
        "/redfish/v1/Systems/s9-1",      // no such BMC
        "/redfish/v1/Systems/s1-99",     // the BMC lists no such member
        "/redfish/v1/Chassis/Rack1",     // the aggregate's own resource
        "/redfish/v1/Systems/s1-1/Bios", // below a member, not a member
    ] {
        let r = action(
            &stack,
            &uri,
            "AddElements",
            json!({"Elements": links(&[bmc_chassis.clone(), bad.to_owned()])}),
        )
        .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert_eq!(r.message(), "ActionParameterValueNotInList", "{bad}");
        assert_eq!(
            r.body["error"]["@Message.ExtendedInfo"][0]["MessageArgs"][0], bad,
            "the message names the bad value"
        );
        let now = send(stack.admin(Method::GET, &uri)).await;
        assert_eq!(element_uris(&now.body), [system(1), system(2), system(3)]);
        assert_eq!(now.header("etag").map(str::to_owned), tag, "{bad}");
    }
    let r = post(
        &stack,
        AGGREGATES,
        json!({"Elements": links(&[system(1), "/redfish/v1/Systems/s9-1".into()])}),
    )
    .await;
    assert_eq!(
        (r.status, r.message()),
        (400, "PropertyValueNotInList"),
        "{}",
        r.body
    );
    let r = post(&stack, AGGREGATES, json!({"Name": "no elements"})).await;
    assert_eq!(
        (r.status, r.message()),
        (400, "CreateFailedMissingReqProperties")
    );
    let (_, collection) = stack.get(AGGREGATES).await;
    assert_eq!(collection["Members@odata.count"], 2, "nothing was created");

    let r = action(
        &stack,
        &uri,
        "RemoveElements",
        json!({"Elements": links(&[system(2)])}),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = action(
        &stack,
        &uri,
        "RemoveElements",
        json!({"Elements": links(&[system(1), system(2)])}),
    )
    .await;
    assert_eq!(
        (r.status, r.message()),
        (400, "ActionParameterValueNotInList")
    );
    let (_, after_remove) = stack.get(&uri).await;
    assert_eq!(element_uris(&after_remove), [system(1), system(3)]);

    let r = send(stack.admin(Method::PATCH, &uri).json(&json!({"Name": "x"}))).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, DELETE"));

    // Writes need more than a read-only role.
    stack
        .create_account("viewer", "viewer-pw-1", "ReadOnly")
        .await;
    let denied = send(
        stack
            .as_user(Method::POST, AGGREGATES, "viewer", "viewer-pw-1")
            .json(&json!({"Elements": []})),
    )
    .await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    let seen = send(stack.as_user(Method::GET, &uri, "viewer", "viewer-pw-1")).await;
    assert_eq!(seen.status, 200);

    let second = post(&stack, AGGREGATES, json!({"Elements": []})).await;
    assert_eq!(second.status, 201, "{}", second.body);
    let second_uri = second.header("location").expect("Location").to_owned();
    assert_eq!(second.body["Name"], "Aggregate 2");
    let r = send(stack.admin(Method::DELETE, &second_uri)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(stack.get(&second_uri).await.0, 404);

    stack.restart_services().await;
    stack.wait_for_members("/redfish/v1/Systems", 3).await;
    let (status, kept) = stack.get(&uri).await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(kept["Name"], "web");
    assert_eq!(element_uris(&kept), [system(1), system(3)]);
    let (_, collection) = stack.get(AGGREGATES).await;
    assert_eq!(member_uris(&collection), [RACK, uri.as_str()]);

    let r = send(stack.admin(Method::DELETE, &uri)).await;
    assert_eq!(r.status, 204);
    let (_, collection) = stack.get(AGGREGATES).await;
    assert_eq!(member_uris(&collection), [RACK]);
    stack.teardown().await;
}

#[tokio::test]
async fn the_rack_aggregate_lists_every_system_and_cannot_be_changed() {
    let stack = start(3).await;
    let (status, rack) = stack.get(RACK).await;
    assert_eq!(status, 200, "{rack}");
    let (_, systems) = stack.get("/redfish/v1/Systems").await;
    assert_eq!(element_uris(&rack), member_uris(&systems));
    assert_eq!(rack["ElementsCount"], 3);
    assert!(rack["Actions"].get("#Aggregate.AddElements").is_none());

    let r = send(stack.admin(Method::DELETE, RACK)).await;
    assert_eq!(
        (r.status, r.message()),
        (405, "ResourceCannotBeDeleted"),
        "{}",
        r.body
    );
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    for name in ["AddElements", "RemoveElements"] {
        let r = action(&stack, RACK, name, json!({"Elements": links(&[system(1)])})).await;
        assert_eq!(
            (r.status, r.message()),
            (400, "ActionNotSupported"),
            "{name}"
        );
    }
    let (_, still) = stack.get(RACK).await;
    assert_eq!(element_uris(&still), member_uris(&systems));

    let info_uri = rack["Actions"]["#Aggregate.Reset"]["@Redfish.ActionInfo"]
        .as_str()
        .expect("ActionInfo");
    let (status, info) = stack.get(info_uri).await;
    assert_eq!(status, 200);
    assert!(
        info["Parameters"][0]["AllowableValues"]
            .as_array()
            .is_some_and(|v| v.contains(&json!("ForceRestart"))),
        "{info}"
    );
    let r = action(&stack, RACK, "Reset", json!({"ResetType": "Sideways"})).await;
    assert_eq!(
        (r.status, r.message()),
        (400, "ActionParameterValueNotInList")
    );

    // One server at a time, a second apart: three servers take at least two seconds.
    let started = tokio::time::Instant::now();
    let task = run_task(
        &stack,
        RACK,
        "Reset",
        json!({"ResetType": "ForceRestart", "BatchSize": 1, "DelayBetweenBatchesInSeconds": 1}),
    )
    .await;
    assert!(started.elapsed() >= Duration::from_secs(2), "{task}");
    assert_eq!(task["TaskState"], "Completed", "{task}");
    let mut reset: Vec<String> = per_server(&task).into_iter().map(|(s, _)| s).collect();
    reset.sort();
    assert_eq!(reset, member_uris(&systems));
    stack.teardown().await;
}

#[tokio::test]
async fn reset_of_eight_servers_reports_each_and_changes_only_the_healthy() {
    let stack = start(8).await;
    let all: Vec<String> = (1..=8).map(system).collect();
    let created = post(&stack, AGGREGATES, json!({"Elements": links(&all)})).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let uri = created.header("location").expect("Location").to_owned();
    for sim in &stack.sims {
        assert_eq!(at_sim(sim).await["PowerState"], "On");
    }
    stack.sims[2].set_fault(Fault::Down);
    stack.sims[5].set_fault(Fault::Status {
        code: 500,
        redfish_body: true,
    });

    let task = run_task(
        &stack,
        &uri,
        "Reset",
        json!({"ResetType": "ForceOff", "BatchSize": 3}),
    )
    .await;
    stack.sims[2].set_fault(Fault::None);
    stack.sims[5].set_fault(Fault::None);

    assert_eq!(
        (task["TaskState"].as_str(), task["TaskStatus"].as_str()),
        (Some("Exception"), Some("Warning")),
        "some servers failed: {task}"
    );
    assert_eq!(task["PercentComplete"], 100);
    let results = per_server(&task);
    assert_eq!(results.len(), 8, "one message per element: {task}");
    let mut named: Vec<&str> = results.iter().map(|(s, _)| s.as_str()).collect();
    named.sort_unstable();
    assert_eq!(named, all.iter().map(String::as_str).collect::<Vec<_>>());
    for (server, message_id) in &results {
        let expected = if *server == system(3) {
            "Base.1.22.ServiceTemporarilyUnavailable"
        } else if *server == system(6) {
            // The BMC's own error, as it sent it.
            "Base.1.22.InternalError"
        } else {
            "ResourceEvent.1.4.ResourceStateChanged"
        };
        assert_eq!(message_id, expected, "{server}: {task}");
    }
    let failed = task["Messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["Oem"]["RedDrum"]["OriginOfCondition"].is_object())
        .filter(|m| m["MessageSeverity"] != "OK")
        .count();
    assert_eq!(failed, 2, "{task}");

    for (i, sim) in stack.sims.iter().enumerate() {
        let healthy = i != 2 && i != 5;
        let power = at_sim(sim).await["PowerState"].clone();
        assert_eq!(power, if healthy { "Off" } else { "On" }, "{}", sim.id());
        assert_eq!(posted(sim, "ComputerSystem.Reset"), healthy, "{}", sim.id());
    }
    stack.teardown().await;
}

#[tokio::test]
async fn set_default_boot_order_restores_each_element_systems_order() {
    let stack = start(2).await;
    let changed = json!(["Boot0003", "Boot0001", "Boot0002"]);
    let r = send(
        stack
            .admin(Method::PATCH, &system(1))
            .json(&json!({"Boot": {"BootOrder": changed}})),
    )
    .await;
    assert!(r.status == 200 || r.status == 204, "{}", r.body);
    assert_eq!(at_sim(&stack.sims[0]).await["Boot"]["BootOrder"], changed);

    // A chassis element has no boot order: it is left alone.
    let (_, chassis) = stack.get("/redfish/v1/Chassis").await;
    let other_chassis = member_uris(&chassis)
        .into_iter()
        .find(|c| c.starts_with("/redfish/v1/Chassis/s2-"))
        .expect("a chassis of s2");
    let created = post(
        &stack,
        AGGREGATES,
        json!({"Elements": links(&[system(1), other_chassis])}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let uri = created.header("location").expect("Location").to_owned();

    let task = run_task(&stack, &uri, "SetDefaultBootOrder", json!({})).await;
    assert_eq!(
        (task["TaskState"].as_str(), task["TaskStatus"].as_str()),
        (Some("Completed"), Some("OK")),
        "{task}"
    );
    assert_eq!(
        per_server(&task),
        [(
            system(1),
            "ResourceEvent.1.4.ResourceStateChanged".to_owned()
        )]
    );
    assert_eq!(
        at_sim(&stack.sims[0]).await["Boot"]["BootOrder"],
        json!(["Boot0001", "Boot0002", "Boot0003"])
    );
    assert!(posted(
        &stack.sims[0],
        "/Actions/ComputerSystem.SetDefaultBootOrder"
    ));
    assert!(!posted(
        &stack.sims[1],
        "ComputerSystem.SetDefaultBootOrder"
    ));
    stack.teardown().await;
}
