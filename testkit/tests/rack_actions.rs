//! The rack's actions as Tasks: Chassis.Reset ForceRestart fanned out to every server, the PDU
//! reseat succeeding, failing and timing out (never sent to the BMC), Manager.Reset reloading the
//! config file (and keeping the running config when the new one is invalid), ClearLog.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use testkit::bmc_sim::{BmcOptions, Fault, Profile, SimBmc, SimHandle};
use testkit::{Stack, StackOptions};

async fn post(stack: &Stack, path: &str, body: Value) -> (u16, Option<String>, Value) {
    let r = stack
        .admin(Method::POST, path)
        .json(&body)
        .send()
        .await
        .expect("post");
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (
        r.status().as_u16(),
        location,
        r.json().await.unwrap_or(Value::Null),
    )
}

/// Follows a task monitor until it stops answering 202; returns the finished Task.
async fn finish(stack: &Stack, monitor: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = stack
            .admin(Method::GET, monitor)
            .send()
            .await
            .expect("monitor");
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if status == 200 {
            return body;
        }
        assert_eq!(status, 202, "{body}");
        assert!(
            tokio::time::Instant::now() < deadline,
            "task never finished: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn texts(task: &Value) -> String {
    task["Messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|x| x["Message"].as_str().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn force_restart_of_the_rack_restarts_every_server_as_one_task() {
    let stack = Stack::start(StackOptions::rack(3, Profile::Dmtf)).await;
    stack.wait_for_members("/redfish/v1/Systems", 3).await;
    let (status, _, body) = post(
        &stack,
        "/redfish/v1/Chassis/Rack1/Actions/Chassis.Reset",
        json!({"ResetType": "On"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["@Message.ExtendedInfo"][0]["MessageId"],
        "Base.1.22.ActionParameterValueNotInList"
    );

    let (status, monitor, task) = post(
        &stack,
        "/redfish/v1/Chassis/Rack1/Actions/Chassis.Reset",
        json!({"ResetType": "ForceRestart"}),
    )
    .await;
    assert_eq!(status, 202, "{task}");
    let monitor = monitor.expect("Location of the task monitor");
    assert_eq!(
        monitor,
        format!(
            "/redfish/v1/TaskService/TaskMonitors/{}",
            task["Id"].as_str().expect("id")
        )
    );
    let done = finish(&stack, &monitor).await;
    assert_eq!(done["TaskState"], "Completed", "{done}");
    assert_eq!(done["TaskStatus"], "OK");
    assert_eq!(done["PercentComplete"], 100);
    let per_server = texts(&done);
    for s in ["s1-1", "s2-1", "s3-1"] {
        assert!(
            per_server.contains(&format!("/redfish/v1/Systems/{s}")),
            "{per_server}"
        );
    }
    for sim in &stack.sims {
        assert!(
            sim.requests().iter().any(|r| r.method == "POST"
                && r.path.ends_with("ComputerSystem.Reset")
                && String::from_utf8_lossy(&r.body).contains("ForceRestart")),
            "{} was restarted",
            sim.id()
        );
    }
    let (_, tasks) = stack.get("/redfish/v1/TaskService/Tasks").await;
    assert!(
        tasks["Members"]
            .as_array()
            .is_some_and(|m| m.iter().any(|t| t["@odata.id"] == done["@odata.id"])),
        "{tasks}"
    );
    let (status, same) = stack.get(done["@odata.id"].as_str().expect("uri")).await;
    assert_eq!((status, &same["TaskState"]), (200, &json!("Completed")));
    stack.teardown().await;
}

#[tokio::test]
async fn a_server_down_during_a_rack_restart_is_reported_in_the_task() {
    let stack = Stack::start(StackOptions::rack(2, Profile::Dmtf)).await;
    stack.wait_for_members("/redfish/v1/Systems", 2).await;
    stack.sims[1].set_fault(Fault::Down);
    let (status, monitor, _) = post(
        &stack,
        "/redfish/v1/Chassis/Rack1/Actions/Chassis.Reset",
        json!({"ResetType": "ForceRestart"}),
    )
    .await;
    assert_eq!(status, 202);
    let done = finish(&stack, &monitor.expect("monitor")).await;
    assert_eq!(
        (done["TaskState"].as_str(), done["TaskStatus"].as_str()),
        (Some("Exception"), Some("Warning")),
        "{done}"
    );
    let messages = done["Messages"].as_array().expect("messages");
    assert!(
        messages.iter().any(|m| m["Oem"]["RedDrum"]["Bmc"] == "s2"),
        "{done}"
    );
    stack.sims[1].set_fault(Fault::None);
    stack.teardown().await;
}

const RESEAT_SCRIPT: &str = r#"#!/bin/sh
# test PDU: --socket <name>
echo "$@" >> "$(dirname "$0")/calls"
case "$2" in
  ok) exit 0 ;;
  jammed) echo "  socket $2 is jammed  " >&2; exit 4 ;;
  slow) exec sleep 30 ;;
esac
exit 9
"#;

#[tokio::test]
async fn pdu_reseat_succeeds_fails_and_times_out_as_tasks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("pdu-reseat");
    std::fs::write(&script, RESEAT_SCRIPT).expect("script");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let mut options = StackOptions::rack(4, Profile::Dmtf);
    options.extra_aggregator_toml = format!(
        "[pdu]\nreseat_command = [\"{}\", \"--socket\", \"{{socket}}\"]\ntimeout_secs = 1\n",
        script.display()
    );
    options.pdu_sockets = vec![
        ("s1".into(), "ok".into()),
        ("s2".into(), "jammed".into()),
        ("s3".into(), "slow".into()),
    ];
    let stack = Stack::start(options).await;
    stack.wait_for_members("/redfish/v1/Chassis", 6).await;

    let (_, chassis) = stack.get("/redfish/v1/Chassis/s1-1").await;
    let target = chassis["Actions"]["Oem"]["#RedDrum.PduReseat"]["target"]
        .as_str()
        .expect("reseat action")
        .to_owned();
    assert_eq!(
        target,
        "/redfish/v1/Chassis/s1-1/Actions/Oem/RedDrum.PduReseat"
    );
    let (_, no_socket) = stack.get("/redfish/v1/Chassis/s4-1").await;
    assert!(
        no_socket["Actions"]["Oem"]
            .get("#RedDrum.PduReseat")
            .is_none()
    );
    let (status, _, body) = post(
        &stack,
        "/redfish/v1/Chassis/s4-1/Actions/Oem/RedDrum.PduReseat",
        json!({}),
    )
    .await;
    assert_eq!(
        (
            status,
            body["error"]["@Message.ExtendedInfo"][0]["MessageId"].as_str()
        ),
        (400, Some("Base.1.22.ActionNotSupported"))
    );

    // The reseat is for a hung server: it works with the BMC down, and never reaches the BMC.
    stack.sims[0].set_fault(Fault::Down);
    let (status, monitor, _) = post(&stack, &target, json!({})).await;
    assert_eq!(status, 202);
    let ok = finish(&stack, &monitor.expect("monitor")).await;
    assert_eq!(
        (ok["TaskState"].as_str(), ok["TaskStatus"].as_str()),
        (Some("Completed"), Some("OK")),
        "{ok}"
    );
    assert!(texts(&ok).contains("PDU socket ok"), "{ok}");
    stack.sims[0].set_fault(Fault::None);

    let (_, monitor, _) = post(
        &stack,
        "/redfish/v1/Chassis/s2-1/Actions/Oem/RedDrum.PduReseat",
        json!({}),
    )
    .await;
    let failed = finish(&stack, &monitor.expect("monitor")).await;
    assert_eq!(failed["TaskState"], "Exception", "{failed}");
    let t = texts(&failed);
    assert!(
        t.contains("exit status 4") && t.contains("socket jammed is jammed'"),
        "{t}"
    );

    let (_, monitor, _) = post(
        &stack,
        "/redfish/v1/Chassis/s3-1/Actions/Oem/RedDrum.PduReseat",
        json!({}),
    )
    .await;
    let slow = finish(&stack, &monitor.expect("monitor")).await;
    assert_eq!(slow["TaskState"], "Exception", "{slow}");
    assert!(texts(&slow).contains("timed out after 1 s"), "{slow}");

    let calls = std::fs::read_to_string(dir.path().join("calls")).expect("calls");
    assert_eq!(
        calls.lines().collect::<Vec<_>>(),
        ["--socket ok", "--socket jammed", "--socket slow"]
    );
    for sim in &stack.sims {
        assert!(
            !sim.requests().iter().any(|r| r.path.contains("PduReseat")),
            "never forwarded"
        );
    }
    // The log entry of a task is written as the task ends, possibly just after its monitor
    // answered: read until it is there.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, log) = stack
            .get("/redfish/v1/Managers/Aggregator/LogServices/Log/Entries")
            .await;
        let log = log.to_string();
        if log.contains("reseated") && log.contains("timed out") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{log}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    stack.teardown().await;
}

fn config_file(path: &std::path::Path, state: &std::path::Path, sims: &[&SimHandle], extra: &str) {
    let bmcs: String = sims
        .iter()
        .map(|s| format!("[[aggregator.bmcs]]\nid = \"{}\"\nurl = \"{}\"\nusername = \"root\"\npassword = \"calvin\"\nverify_tls = false\n", s.id(), s.url()))
        .collect();
    std::fs::write(
        path,
        format!(
            "[aggregator]\ngrpc_listen = \"127.0.0.1:0\"\nstate_dir = \"{}\"\n{extra}{bmcs}",
            state.display()
        ),
    )
    .expect("write config");
}

#[tokio::test]
async fn manager_reset_reloads_the_config_file_and_keeps_the_old_one_when_invalid() {
    let s1 = SimBmc::start(BmcOptions::new("s1", Profile::Dmtf))
        .await
        .expect("sim");
    let s2 = SimBmc::start(BmcOptions::new("s2", Profile::Dmtf))
        .await
        .expect("sim");
    let dir = tempfile::tempdir().expect("tempdir");
    let state = tempfile::tempdir().expect("tempdir");
    let front = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("reddrum.toml");
    config_file(&file, state.path(), &[&s1], "");
    let env = svc_common_env();
    let config = aggregator_svc::Config::load(Some(&file), &env).expect("config");
    let (agg, endpoint) = testkit::start_aggregator(config).await;
    let (fe, base) =
        testkit::start_frontend(testkit::frontend_config(front.path(), &endpoint)).await;
    let client = reqwest::Client::new();
    let get = |path: &str| {
        client
            .get(format!("{base}{path}"))
            .basic_auth(testkit::ADMIN_USER, Some(testkit::ADMIN_PASSWORD))
            .send()
    };
    let reset = |kind: &str| {
        client
            .post(format!(
                "{base}/redfish/v1/Managers/Aggregator/Actions/Manager.Reset"
            ))
            .basic_auth(testkit::ADMIN_USER, Some(testkit::ADMIN_PASSWORD))
            .json(&json!({"ResetType": kind}))
            .send()
    };
    let systems = |body: Value| body["Members"].as_array().map(Vec::len).unwrap_or(0);
    let wait_systems = |n: usize| async move {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let body: Value = get("/redfish/v1/Systems")
                .await
                .expect("get")
                .json()
                .await
                .expect("json");
            if systems(body.clone()) == n {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never {n} systems: {body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    wait_systems(1).await;

    config_file(
        &file,
        state.path(),
        &[&s1, &s2],
        "[aggregator.rack]\nmodel = \"Reloaded\"\n",
    );
    let r = reset("GracefulRestart").await.expect("reset");
    assert_eq!(r.status(), 204);
    wait_systems(2).await;
    let rack: Value = get("/redfish/v1/Chassis/Rack1")
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(rack["Model"], "Reloaded");

    std::fs::write(&file, "[aggregator]\nbmcs = \"not a list\"\n").expect("break config");
    let r = reset("PowerCycle").await.expect("reset");
    assert_eq!(r.status(), 204);
    let r = reset("ForceOff").await.expect("reset");
    assert_eq!(r.status(), 400);
    wait_systems(2).await;
    let (status, system) = {
        let r = get("/redfish/v1/Systems/s2-1").await.expect("get");
        (
            r.status().as_u16(),
            r.json::<Value>().await.unwrap_or(Value::Null),
        )
    };
    assert_eq!(status, 200, "the running config was kept: {system}");
    let log: Value = get("/redfish/v1/Managers/Aggregator/LogServices/Log/Entries")
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let entries = log["Members"].as_array().cloned().unwrap_or_default();
    assert!(
        entries
            .iter()
            .any(|e| e["MessageId"] == "ManagerEvent.1.0.ManagerReset"
                && e["MessageArgs"][1] == "PowerCycle"),
        "{log}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["MessageId"] == "ResourceEvent.1.4.ResourceChanged"),
        "{log}"
    );
    assert!(
        entries.iter().any(|e| e["Message"]
            .as_str()
            .is_some_and(|m| m.contains("reload refused"))),
        "{log}"
    );

    let r = client
        .post(format!(
            "{base}/redfish/v1/Managers/Aggregator/LogServices/Log/Actions/LogService.ClearLog"
        ))
        .basic_auth(testkit::ADMIN_USER, Some(testkit::ADMIN_PASSWORD))
        .json(&json!({}))
        .send()
        .await
        .expect("clear");
    assert!(r.status().is_success());
    let log: Value = get("/redfish/v1/Managers/Aggregator/LogServices/Log/Entries")
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(log["Members"].as_array().map(Vec::len), Some(1), "{log}");
    assert_eq!(log["Members"][0]["MessageId"], "LogService.1.1.LogCleared");

    fe.stop().await;
    agg.stop().await;
    s1.shutdown().await;
    s2.shutdown().await;
}

fn svc_common_env() -> aggregator_svc::config::ConfigEnv {
    aggregator_svc::config::ConfigEnv::default()
}
