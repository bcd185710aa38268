//! Path-scoped faults: one subtree misbehaves while the rest of the BMC answers normally.

mod common;

use std::time::{Duration, Instant};

use bmc_sim::{Fault, Profile, SimHandle};
use common::{client, get, get_ok, message_id, start, url_of};
use serde_json::{Value, json};

const UPDATE: &str = "/redfish/v1/UpdateService";
const FIRMWARE: &str = "/redfish/v1/UpdateService/FirmwareInventory";
const SYSTEMS: &str = "/redfish/v1/Systems";

fn status(code: u16, redfish_body: bool) -> Fault {
    Fault::Status { code, redfish_body }
}

/// Waits until the BMC has received a request for `path` (so a hanging request is really hanging).
async fn received(h: &SimHandle, path: &str) {
    for _ in 0..500 {
        if h.requests().iter().any(|r| r.path == path) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{path} never reached the BMC");
}

#[tokio::test]
async fn a_404_on_one_subtree_is_a_redfish_not_found_and_the_rest_works() {
    let h = start(Profile::Idrac).await;
    let members = get_ok(&h, FIRMWARE).await;
    let member = members["Members"][0]["@odata.id"]
        .as_str()
        .expect("a firmware member")
        .to_string();
    h.set_path_fault(FIRMWARE, status(404, true))
        .expect("valid rule");

    // The prefix itself, below it, with a trailing slash, with a query: all 404.
    for path in [
        FIRMWARE.to_string(),
        member.clone(),
        format!("{FIRMWARE}/"),
        format!("{FIRMWARE}?$expand=.($levels=1)"),
    ] {
        let (code, headers, body) = get(&h, &path).await;
        assert_eq!(code, 404, "{path}: {body}");
        assert!(
            headers["content-type"]
                .to_str()
                .is_ok_and(|ct| ct.starts_with("application/json")),
            "{path}"
        );
        assert_eq!(
            message_id(&body),
            "Base.1.22.ResourceNotFound",
            "{path}: {body}"
        );
        assert_eq!(body["error"]["code"], "Base.1.22.ResourceNotFound");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("was not found")),
            "{body}"
        );
    }
    // The parent, a sibling and the rest of the tree are untouched.
    assert_eq!(get_ok(&h, UPDATE).await["Id"], "UpdateService");
    get_ok(&h, &format!("{UPDATE}/SimpleUpdateActionInfo")).await;
    assert!(
        get_ok(&h, SYSTEMS).await["Members"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "systems still served"
    );
    // The path rule beats the BMC-wide fault; other paths get the BMC-wide one.
    h.set_fault(status(503, true));
    assert_eq!(get(&h, FIRMWARE).await.0, 404);
    assert_eq!(get(&h, SYSTEMS).await.0, 503);
    h.set_fault(Fault::None);
    // Cleared: the real resource again.
    h.clear_path_fault(&format!("{FIRMWARE}/"));
    assert!(h.path_faults().is_empty());
    assert_eq!(get_ok(&h, &member).await["@odata.id"], json!(member));
    h.shutdown().await;
}

#[tokio::test]
async fn the_longest_matching_prefix_wins_on_whole_segments_only() {
    let h = start(Profile::Dmtf).await;
    h.set_path_fault(UPDATE, status(500, false)).expect("valid");
    h.set_path_fault(FIRMWARE, status(404, true))
        .expect("valid");
    // Same prefix (trailing slash ignored): replaced, not added.
    h.set_path_fault(&format!("{UPDATE}/"), status(502, false))
        .expect("valid");
    assert_eq!(
        h.path_faults(),
        vec![
            (UPDATE.to_string(), status(502, false)),
            (FIRMWARE.to_string(), status(404, true)),
        ]
    );
    let (code, _, body) = get(&h, UPDATE).await;
    assert_eq!((code, body), (502, Value::Null), "empty body");
    assert_eq!(
        get(&h, &format!("{UPDATE}/SimpleUpdateActionInfo")).await.0,
        502
    );
    assert_eq!(get(&h, &format!("{FIRMWARE}/BMC")).await.0, 404);
    // `/redfish/v1/UpdateServiceX` is not below `/redfish/v1/UpdateService`: a real 404.
    let (code, _, body) = get(&h, "/redfish/v1/UpdateServiceX").await;
    assert_eq!(code, 404);
    assert_eq!(message_id(&body), "Base.1.22.ResourceNotFound");
    assert_eq!(get(&h, "/redfish/v1").await.0, 200);
    h.clear_path_faults();
    assert!(h.path_faults().is_empty());
    assert_eq!(get(&h, UPDATE).await.0, 200);
    h.shutdown().await;
}

#[tokio::test]
async fn every_response_fault_works_on_a_path_and_only_there() {
    let h = start(Profile::OpenBmc).await;
    let c = client();
    let system = "/redfish/v1/Systems/system";
    let manager = "/redfish/v1/Managers/bmc";
    let real = c
        .get(url_of(&h, system))
        .basic_auth("root", Some("calvin"))
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("body");
    let fetch = |path: &'static str| {
        let c = c.clone();
        let url = url_of(&h, path);
        async move {
            let r = c.get(url).basic_auth("root", Some("calvin")).send().await?;
            let code = r.status().as_u16();
            Ok::<_, reqwest::Error>((code, r.bytes().await?))
        }
    };
    let faults = [
        Fault::Garbage,
        Fault::TruncatedJson,
        Fault::ResetMidBody,
        Fault::SlowDrip {
            bytes_per_sec: 5000,
        },
        Fault::Delay {
            fixed_ms: 300,
            jitter_ms: 0,
        },
    ];
    for fault in faults {
        h.set_path_fault(system, fault.clone()).expect("valid");
        let t0 = Instant::now();
        let faulted = fetch(system).await;
        let elapsed = t0.elapsed();
        match &fault {
            Fault::Garbage | Fault::TruncatedJson => {
                let (code, body) = faulted.expect("complete reply");
                assert_eq!(code, 200, "{fault:?}");
                assert!(
                    serde_json::from_slice::<Value>(&body).is_err(),
                    "{fault:?}: not JSON"
                );
            }
            Fault::ResetMidBody => assert!(faulted.is_err(), "body cut off"),
            Fault::SlowDrip { .. } => {
                assert_eq!(faulted.expect("dripped").1, real);
                // 500 bytes every 100 ms: the last chunk leaves after (len/500 - 1) pauses.
                let min = Duration::from_millis(100 * (real.len() as u64 / 500).saturating_sub(1));
                assert!(elapsed >= min, "{elapsed:?} < {min:?}");
            }
            Fault::Delay { .. } => {
                assert_eq!(faulted.expect("delayed").1, real);
                assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
            }
            _ => unreachable!(),
        }
        // Beside it, the manager answers normally.
        let (code, body) = fetch(manager).await.expect("manager");
        assert_eq!(code, 200, "{fault:?}");
        let json: Value = serde_json::from_slice(&body).expect("manager JSON");
        assert_eq!(json["@odata.id"], manager, "{fault:?}");
    }
    h.shutdown().await;
}

#[tokio::test]
async fn down_and_bad_paths_are_refused_as_path_faults() {
    let h = start(Profile::Dmtf).await;
    let err = h
        .set_path_fault(SYSTEMS, Fault::Down)
        .expect_err("Down is listener-level");
    assert!(err.contains("Down"), "{err}");
    for bad in [
        "redfish/v1/Systems",
        "/",
        "",
        "/redfish/v1?x=1",
        "/sim/fault",
    ] {
        assert!(h.set_path_fault(bad, Fault::Hang).is_err(), "{bad:?}");
    }
    assert!(h.path_faults().is_empty());
    assert_eq!(get(&h, SYSTEMS).await.0, 200);
    h.shutdown().await;
}

#[tokio::test]
async fn a_hang_on_one_path_does_not_delay_others_and_ends_when_cleared() {
    let h = start(Profile::Dmtf).await;
    let logs = "/redfish/v1/Managers/1/LogServices";
    let log = get_ok(&h, logs).await["Members"][0]["@odata.id"]
        .as_str()
        .expect("a log service")
        .to_string();
    h.set_path_fault(logs, Fault::Hang).expect("valid");
    let c = client();
    let url = url_of(&h, &log);
    let hung = tokio::spawn({
        let c = c.clone();
        async move { c.get(url).basic_auth("root", Some("calvin")).send().await }
    });
    received(&h, &log).await;

    // Same client, same BMC, another path: answered while the other request still hangs.
    for path in [SYSTEMS, "/redfish/v1/Managers/1"] {
        let r = c
            .get(url_of(&h, path))
            .basic_auth("root", Some("calvin"))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200, "{path}");
        assert!(!hung.is_finished(), "{path} answered while {logs} hangs");
    }
    // Changes that do not govern the hung path leave it hanging.
    h.set_fault(Fault::Delay {
        fixed_ms: 0,
        jitter_ms: 0,
    });
    h.set_path_fault(SYSTEMS, status(500, true)).expect("valid");
    h.clear_path_fault(SYSTEMS);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!hung.is_finished(), "still hanging after unrelated changes");

    // Clearing its rule ends it: the connection is dropped (no answer, and no client timeout).
    h.clear_path_fault(logs);
    let res = tokio::time::timeout(Duration::from_secs(10), hung)
        .await
        .expect("hang ended when the rule was cleared")
        .expect("join");
    let err = res.expect_err("cut off, not answered");
    assert!(!err.is_timeout(), "{err:?}");
    assert_eq!(get(&h, &log).await.0, 200);
    h.shutdown().await;
}

#[tokio::test]
async fn a_bmc_wide_hang_outlives_path_rule_changes_elsewhere() {
    let h = start(Profile::Dmtf).await;
    h.set_fault(Fault::Hang);
    let url = url_of(&h, "/redfish/v1");
    let hung = tokio::spawn(async move { client().get(url).send().await });
    received(&h, "/redfish/v1").await;
    h.set_path_fault(SYSTEMS, status(500, true)).expect("valid");
    h.clear_path_faults();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!hung.is_finished(), "path rules elsewhere do not end it");
    // A new rule covering the hung path changes its fault: the hang ends.
    h.set_path_fault("/redfish/v1", status(500, true))
        .expect("valid");
    let res = tokio::time::timeout(Duration::from_secs(10), hung)
        .await
        .expect("hang ended")
        .expect("join");
    assert!(res.is_err_and(|e| !e.is_timeout()));
    assert_eq!(get(&h, "/redfish/v1").await.0, 500);
    h.shutdown().await;
}

#[tokio::test]
async fn control_endpoint_sets_lists_and_clears_path_faults() {
    let h = start(Profile::Dmtf).await;
    let c = client();
    let sim = url_of(&h, "/sim/path-fault");
    let put = |body: Value| {
        let c = c.clone();
        let sim = sim.clone();
        async move {
            let r = c.put(sim).json(&body).send().await.expect("put");
            let code = r.status().as_u16();
            (code, r.json::<Value>().await.expect("JSON answer"))
        }
    };
    let (code, list) = put(json!({
        "path": format!("{FIRMWARE}/"),
        "fault": {"Status": {"code": 404, "redfish_body": true}},
    }))
    .await;
    assert_eq!(code, 200, "{list}");
    let rule = json!({"path": FIRMWARE, "fault": {"Status": {"code": 404, "redfish_body": true}}});
    assert_eq!(list, json!([rule]));
    let (code, _) = put(json!({"path": "/redfish/v1/Chassis", "fault": "Hang"})).await;
    assert_eq!(code, 200);
    assert_eq!(h.path_faults().len(), 2);
    let (code, _, body) = get(&h, FIRMWARE).await;
    assert_eq!(code, 404);
    assert_eq!(message_id(&body), "Base.1.22.ResourceNotFound");

    let listed: Value = c
        .get(&sim)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        listed,
        json!([{"path": "/redfish/v1/Chassis", "fault": "Hang"}, rule])
    );
    let info: Value = c
        .get(url_of(&h, "/sim/info"))
        .send()
        .await
        .expect("info")
        .json()
        .await
        .expect("json");
    assert_eq!(info["path_faults"], listed);
    assert_eq!(info["booting"], false);

    // Invalid input: 400 with a JSON error, nothing changed.
    for bad in [
        json!({"path": SYSTEMS, "fault": "Down"}),
        json!({"path": "redfish/v1", "fault": "Hang"}),
        json!({"path": SYSTEMS, "fault": "Nope"}),
        json!({"path": SYSTEMS}),
        json!({"path": SYSTEMS, "fault": "Hang", "extra": 1}),
        json!("Hang"),
    ] {
        let (code, err) = put(bad.clone()).await;
        assert_eq!(code, 400, "{bad}");
        assert!(
            err["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{err}"
        );
    }
    let (_, err) = put(json!({"path": SYSTEMS, "fault": "Down"})).await;
    assert!(
        err["error"].as_str().is_some_and(|e| e.contains("Down")),
        "{err}"
    );
    let r = c.put(&sim).body("{not json").send().await.expect("put");
    assert_eq!(r.status(), 400);
    assert_eq!(h.path_faults().len(), 2);

    // DELETE one (percent-encoded or raw path), an unknown one, a misspelt query, then all.
    let r = c
        .delete(&sim)
        .query(&[("path", "/redfish/v1/Chassis")])
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.expect("json"), json!([rule]));
    let r = c
        .delete(format!("{sim}?path=/redfish/v1/Nope"))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 404);
    let r = c
        .delete(format!("{sim}?pth={FIRMWARE}"))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 400);
    assert_eq!(h.path_faults().len(), 1, "a misspelt query clears nothing");
    let r = c
        .delete(format!("{sim}?path={FIRMWARE}"))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 200);
    assert!(h.path_faults().is_empty());
    put(json!({"path": SYSTEMS, "fault": {"Status": {"code": 500, "redfish_body": false}}})).await;
    assert_eq!(get(&h, SYSTEMS).await.0, 500);
    let r = c.delete(&sim).send().await.expect("delete all");
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.expect("json"), json!([]));
    assert_eq!(get(&h, SYSTEMS).await.0, 200);
    assert!(h.requests().iter().all(|r| !r.path.starts_with("/sim")));
    h.shutdown().await;
}
