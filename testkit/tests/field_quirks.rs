//! One rack of BMCs as odd as the field's (bmc-sim quirks, mixed vendor profiles, plain HTTP on
//! arbitrary ports): UUID member ids, ids that need percent-encoding, no SessionService, a
//! SessionService that answers 500, power changes seconds after the action, a listed member that
//! is not there and a linked collection that is not either, absolute URLs with the host name the
//! BMC gives itself. Every link of the aggregate resolves (but the BMC's own broken ones), nothing
//! shows a BMC's address or name, and each quirk's resources work through the aggregate.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use testkit::bmc_sim::{Profile, Quirks, SimHandle};
use testkit::{Stack, StackOptions, crawl};

const ADVERTISED: &str = "bmc-s7.example.net";

fn quirky_rack() -> StackOptions {
    let mut options = StackOptions::rack(7, Profile::Dmtf);
    let profiles = [
        Profile::Dmtf,
        Profile::Idrac,
        Profile::OpenBmc,
        Profile::Supermicro,
        Profile::Ilo,
        Profile::Dmtf,
        Profile::Idrac,
    ];
    for (bmc, profile) in options.bmcs.iter_mut().zip(profiles) {
        bmc.1 = profile;
    }
    let q = |f: &dyn Fn(&mut Quirks)| {
        let mut quirks = Quirks::default();
        f(&mut quirks);
        quirks
    };
    options.quirks = vec![
        ("s1".into(), q(&|q| q.uuid_ids = true)),
        ("s2".into(), q(&|q| q.encoded_ids = true)),
        ("s3".into(), q(&|q| q.no_session_service = true)),
        ("s4".into(), q(&|q| q.session_service_500 = true)),
        ("s5".into(), q(&|q| q.async_power_secs = 2)),
        ("s6".into(), q(&|q| q.missing_member = true)),
        (
            "s7".into(),
            q(&|q| q.advertised_host = Some(ADVERTISED.into())),
        ),
    ];
    options
}

fn systems_of(body: &Value, bmc: &str) -> Vec<String> {
    body["Members"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|x| x["@odata.id"].as_str())
                .filter(|u| u.starts_with(&format!("/redfish/v1/Systems/{bmc}-")))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The sim's own view of its first system (Basic root/calvin on its own URL).
async fn power_at_sim(sim: &SimHandle, system: &str) -> String {
    let r = reqwest::Client::new()
        .get(format!("{}{system}", sim.url()))
        .basic_auth("root", Some("calvin"))
        .send()
        .await
        .expect("sim");
    let body: Value = r.json().await.expect("json");
    body["PowerState"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_rack_of_odd_bmcs_is_aggregated_whole() {
    let stack = Stack::start(quirky_rack()).await;
    // 7 systems: s6's listed ghost answers 404 at the BMC, so it is not listed.
    let systems = stack.wait_for_members("/redfish/v1/Systems", 7).await;

    // UUID ids with dashes: the BMC prefix is split off at the first dash only.
    let s1 = systems_of(&systems, "s1");
    assert_eq!(s1.len(), 1);
    let uuid = s1[0].trim_start_matches("/redfish/v1/Systems/s1-");
    assert_eq!(uuid.split('-').count(), 5, "{uuid}");
    let (status, body) = stack.get(&s1[0]).await;
    assert_eq!(status, 200);
    assert_eq!(body["Id"], format!("s1-{uuid}"));
    let (status, _) = stack.get(&format!("{}/Bios", s1[0])).await;
    assert_eq!(status, 200);

    // Ids that need percent-encoding: listed encoded, served, acted on.
    let s2 = systems_of(&systems, "s2");
    assert_eq!(s2, ["/redfish/v1/Systems/s2-System%201"]);
    let (status, body) = stack.get(&s2[0]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Id"], "s2-System 1");
    let target = body["Actions"]["#ComputerSystem.Reset"]["target"]
        .as_str()
        .expect("reset target")
        .to_owned();
    assert!(
        target.starts_with("/redfish/v1/Systems/s2-System%201/"),
        "{target}"
    );
    let r = stack
        .admin(Method::POST, &target)
        .json(&json!({"ResetType": "ForceOff"}))
        .send()
        .await
        .expect("reset");
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        power_at_sim(&stack.sims[1], "/redfish/v1/Systems/System%201").await,
        "Off"
    );

    // No SessionService, and one that answers 500: Basic auth, and everything works.
    for (i, bmc) in [(2, "s3"), (3, "s4")] {
        let list = systems_of(&systems, bmc);
        assert_eq!(list.len(), 1, "{bmc}");
        let (status, _) = stack.get(&list[0]).await;
        assert_eq!(status, 200, "{bmc}");
        let requests = stack.sims[i].requests();
        assert!(
            requests
                .iter()
                .filter(|r| r.path.starts_with("/redfish/v1/Systems"))
                .all(|r| r
                    .header("authorization")
                    .is_some_and(|a| a.starts_with("Basic "))),
            "{bmc} is read with Basic auth"
        );
    }

    // Power that changes seconds after the action: the aggregate shows what the BMC says, as
    // it says it (nothing cached).
    let s5 = systems_of(&systems, "s5")[0].clone();
    let (_, body) = stack.get(&s5).await;
    let target = body["Actions"]["#ComputerSystem.Reset"]["target"]
        .as_str()
        .expect("reset target")
        .to_owned();
    let r = stack
        .admin(Method::POST, &target)
        .json(&json!({"ResetType": "ForceOff"}))
        .send()
        .await
        .expect("reset");
    assert!(r.status().is_success(), "{target}: {}", r.status());
    let (_, now) = stack.get(&s5).await;
    assert_eq!(now["PowerState"], "On", "not yet");
    let start = Instant::now();
    stack
        .until(&s5, Duration::from_secs(6), |b| b["PowerState"] == "Off")
        .await;
    assert!(start.elapsed() >= Duration::from_millis(1_000));

    // A listed member that is not there is not listed (inventory clients stop at the first
    // member they cannot read) and answers 404 with a Redfish body; the collection linked but
    // missing makes the BMC Degraded, not down.
    assert_eq!(systems_of(&systems, "s6"), ["/redfish/v1/Systems/s6-1"]);
    let ghost_reads = |sim: &SimHandle| {
        sim.requests()
            .iter()
            .filter(|r| r.path == "/redfish/v1/Systems/ghost")
            .count()
    };
    assert_eq!(ghost_reads(&stack.sims[5]), 1, "read once, at discovery");
    let (status, body) = stack.get("/redfish/v1/Systems/s6-ghost").await;
    assert_eq!(status, 404);
    assert!(body["error"]["@Message.ExtendedInfo"].is_array(), "{body}");
    let source = stack
        .until(
            "/redfish/v1/AggregationService/AggregationSources/s6",
            Duration::from_secs(5),
            |s| s["Status"]["Health"] == "Warning",
        )
        .await;
    assert!(
        source["Status"]["Conditions"]
            .to_string()
            .contains("UpdateService/FirmwareInventory"),
        "{source}"
    );

    // Absolute URLs with the BMC's own host name are the BMC's: localized like relative ones.
    let s7 = systems_of(&systems, "s7");
    assert_eq!(s7, ["/redfish/v1/Systems/s7-System.Embedded.1"]);

    // The whole aggregate: every link resolves but the BMCs' deliberately broken ones, and no
    // BMC address or host name shows through.
    let resources = crawl(&stack, "/redfish/v1", 3_000).await;
    assert!(resources.len() > 200, "crawled {}", resources.len());
    let mut leaks: Vec<String> = stack.sims.iter().map(|s| s.addr().to_string()).collect();
    leaks.push(ADVERTISED.to_owned());
    let mut failures = Vec::new();
    for (path, status, body) in &resources {
        if *status != 200 && !path.starts_with("/redfish/v1/Systems/s6-ghost") {
            failures.push(format!("{path}: {status}"));
        }
        // An AggregationSource's HostName is the BMC's address by definition; out-of-band links
        // that are no Redfish URIs (a web GUI's URL) stay as the BMC gave them.
        if path.starts_with("/redfish/v1/AggregationService/AggregationSources/") {
            continue;
        }
        let text = body.to_string();
        for leak in &leaks {
            let port = |l: &str| format!("{l}:{}/redfish", stack.sims[6].addr().port());
            if text.contains(&format!("{leak}/redfish")) || text.contains(&port(leak)) {
                failures.push(format!("{path}: shows a Redfish URI on {leak}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    stack.teardown().await;
}
