//! The rack's own resources through the whole stack: the rack enclosure, the management switch,
//! the host chassis, the rack manager with its network protocol, interfaces, certificates and
//! log; PATCH persisted across a restart and bad PATCHes changing nothing; Links with a BMC down;
//! the servers' chassis contained by the rack; Power/Thermal from the servers' readings.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use testkit::bmc_sim::{Fault, Profile};
use testkit::{Stack, StackOptions};

const RACK_TOML: &str = "[rack]\nmanufacturer = \"Acme\"\nmodel = \"R42\"\nserial_number = \"RK-0001\"\npart_number = \"PN-42\"\nasset_tag = \"initial\"\n[switch]\nmodel = \"S48\"\n[readings]\ninterval_secs = 1\n";

async fn rack_stack(n: usize, extra: &str) -> Stack {
    let mut options = StackOptions::rack(n, Profile::Dmtf);
    options.extra_aggregator_toml = format!("{extra}{RACK_TOML}");
    let stack = Stack::start(options).await;
    stack.wait_for_members("/redfish/v1/Systems", n).await;
    stack
}

fn ids(links: &Value) -> Vec<String> {
    links
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| l["@odata.id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn patch(stack: &Stack, path: &str, body: Value) -> (u16, Value) {
    let r = stack
        .admin(Method::PATCH, path)
        .json(&body)
        .send()
        .await
        .expect("patch");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn message_id(body: &Value) -> String {
    body["error"]["@Message.ExtendedInfo"][0]["MessageId"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// Polls `path` until `ready` holds (background work: discovery, the readings poller, tasks).
async fn eventually(stack: &Stack, path: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = stack.get(path).await;
        if status == 200 && ready(&body) {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{path} never got ready: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_rack_switch_and_manager_are_listed_and_described() {
    let stack = rack_stack(2, "").await;
    let chassis = stack.wait_for_members("/redfish/v1/Chassis", 4).await;
    let members = ids(&chassis["Members"]);
    assert_eq!(
        &members[..2],
        ["/redfish/v1/Chassis/Rack1", "/redfish/v1/Chassis/MgtSwitch"]
    );
    let managers = stack.wait_for_members("/redfish/v1/Managers", 3).await;
    assert_eq!(
        ids(&managers["Members"])[0],
        "/redfish/v1/Managers/Aggregator"
    );

    let r = stack
        .admin(Method::GET, "/redfish/v1/Chassis/Rack1")
        .send()
        .await
        .expect("get");
    assert!(r.headers().get("etag").is_some());
    let rack: Value = r.json().await.expect("json");
    assert_eq!(rack["ChassisType"], "Rack");
    assert_eq!(
        (rack["Manufacturer"].as_str(), rack["Model"].as_str()),
        (Some("Acme"), Some("R42"))
    );
    assert_eq!(
        (rack["SerialNumber"].as_str(), rack["PartNumber"].as_str()),
        (Some("RK-0001"), Some("PN-42"))
    );
    assert_eq!(rack["AssetTag"], "initial");
    assert_eq!(rack["PowerState"], "On");
    assert_eq!(rack["Status"]["HealthRollup"], "OK");
    let contains = ids(&rack["Links"]["Contains"]);
    for c in [
        "/redfish/v1/Chassis/s1-1",
        "/redfish/v1/Chassis/s2-1",
        "/redfish/v1/Chassis/MgtSwitch",
    ] {
        assert!(contains.contains(&c.to_owned()), "{c} in {contains:?}");
    }
    assert_eq!(
        ids(&rack["Links"]["ComputerSystems"]),
        ["/redfish/v1/Systems/s1-1", "/redfish/v1/Systems/s2-1"]
    );
    assert_eq!(
        ids(&rack["Links"]["ManagedBy"]),
        ["/redfish/v1/Managers/Aggregator"]
    );
    assert!(
        ids(&rack["Links"]["ManagersInChassis"]).contains(&"/redfish/v1/Managers/s1-1".to_owned())
    );
    assert_eq!(
        rack["Actions"]["#Chassis.Reset"]["target"],
        "/redfish/v1/Chassis/Rack1/Actions/Chassis.Reset"
    );
    let (status, info) = stack.get("/redfish/v1/Chassis/Rack1/ResetActionInfo").await;
    assert_eq!(
        (status, info["Parameters"][0]["AllowableValues"].clone()),
        (200, json!(["ForceRestart"]))
    );

    let (_, switch) = stack.get("/redfish/v1/Chassis/MgtSwitch").await;
    assert_eq!(switch["ChassisType"], "RackMount");
    assert_eq!(switch["Model"], "S48");
    assert_eq!(
        switch["Links"]["ContainedBy"]["@odata.id"],
        "/redfish/v1/Chassis/Rack1"
    );
    assert_eq!(
        ids(&switch["Links"]["ManagersInChassis"]),
        ["/redfish/v1/Managers/Aggregator"]
    );
    let (status, _) = stack.get("/redfish/v1/Chassis/AggregatorHost").await;
    assert_eq!(status, 404, "inside the switch there is no host chassis");

    // The servers' own chassis are contained by the rack (added to the BMC's reply).
    let (_, server) = stack.get("/redfish/v1/Chassis/s1-1").await;
    assert_eq!(
        server["Links"]["ContainedBy"]["@odata.id"],
        "/redfish/v1/Chassis/Rack1"
    );
    assert!(
        server["Actions"]["Oem"].get("#RedDrum.PduReseat").is_none(),
        "no socket, no reseat"
    );

    let (_, root) = stack.get("/redfish/v1").await;
    let (_, m) = stack.get("/redfish/v1/Managers/Aggregator").await;
    assert_eq!(m["ManagerType"], "RackManager");
    assert_eq!(m["FirmwareVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["ServiceEntryPointUUID"], root["UUID"]);
    assert!(
        m["UUID"]
            .as_str()
            .is_some_and(|u| u.len() == 36 && u != root["UUID"])
    );
    assert!(
        m["DateTime"]
            .as_str()
            .is_some_and(|d| d.ends_with("+00:00"))
    );
    assert_eq!(m["DateTimeLocalOffset"], "+00:00");
    assert_eq!(m["Model"], "RedDrum Aggregator");
    assert_eq!(
        ids(&m["Links"]["ManagerForChassis"]),
        ["/redfish/v1/Chassis/Rack1", "/redfish/v1/Chassis/MgtSwitch"]
    );
    assert_eq!(
        m["Links"]["ManagerInChassis"]["@odata.id"],
        "/redfish/v1/Chassis/MgtSwitch"
    );
    assert_eq!(
        ids(&m["Links"]["ManagerForServers"]),
        ["/redfish/v1/Systems/s1-1", "/redfish/v1/Systems/s2-1"]
    );
    assert_eq!(
        ids(&m["Links"]["ManagerForManagers"]),
        ["/redfish/v1/Managers/s1-1", "/redfish/v1/Managers/s2-1"]
    );
    assert_eq!(m["SerialConsole"]["ServiceEnabled"], false);

    let (_, proto) = stack
        .get("/redfish/v1/Managers/Aggregator/NetworkProtocol")
        .await;
    assert_eq!(
        proto["HTTP"],
        json!({"ProtocolEnabled": true, "Port": 8080})
    );
    assert_eq!(proto["HTTPS"]["Port"], 443);
    let (_, https_certs) = stack
        .get("/redfish/v1/Managers/Aggregator/NetworkProtocol/HTTPS/Certificates")
        .await;
    assert_eq!(
        https_certs["Members@odata.count"], 0,
        "no tls_certificate configured"
    );
    let (status, nics) = stack
        .get("/redfish/v1/Managers/Aggregator/EthernetInterfaces")
        .await;
    assert_eq!(status, 200);
    for nic in ids(&nics["Members"]) {
        let (status, body) = stack.get(&nic).await;
        if status == 404 {
            // Interfaces come and go on a shared host (containers); gone means unlisted.
            let (_, now) = stack
                .get("/redfish/v1/Managers/Aggregator/EthernetInterfaces")
                .await;
            assert!(!ids(&now["Members"]).contains(&nic), "{nic} listed but 404");
            continue;
        }
        assert_eq!(status, 200, "{nic}");
        assert!(
            body.get("MACAddress").is_some() && body.get("LinkStatus").is_some(),
            "{body}"
        );
        assert_ne!(body["Id"], "lo", "loopback is not a manager interface");
    }
    let (_, certs) = stack
        .get("/redfish/v1/Managers/Aggregator/Certificates")
        .await;
    assert_eq!(
        certs["Members@odata.count"], 0,
        "no tls_certificate configured"
    );
    stack.teardown().await;
}

#[tokio::test]
async fn a_separate_host_chassis_holds_the_manager_when_not_inside_the_switch() {
    let mut options = StackOptions::rack(1, Profile::Dmtf);
    options.extra_aggregator_toml =
        "inside_switch = false\n[host]\nid = \"Host7\"\nmodel = \"1U\"\n[switch]\nchassis_type = \"Module\"\n".into();
    let stack = Stack::start(options).await;
    let chassis = stack.wait_for_members("/redfish/v1/Chassis", 4).await;
    assert!(ids(&chassis["Members"]).contains(&"/redfish/v1/Chassis/Host7".to_owned()));
    let (_, host) = stack.get("/redfish/v1/Chassis/Host7").await;
    assert_eq!(
        host["Links"]["ContainedBy"]["@odata.id"],
        "/redfish/v1/Chassis/Rack1"
    );
    assert_eq!(
        ids(&host["Links"]["ManagersInChassis"]),
        ["/redfish/v1/Managers/Aggregator"]
    );
    let (_, switch) = stack.get("/redfish/v1/Chassis/MgtSwitch").await;
    assert_eq!(switch["ChassisType"], "Module");
    assert_eq!(
        ids(&switch["Links"]["ManagersInChassis"]),
        Vec::<String>::new()
    );
    let (_, m) = stack.get("/redfish/v1/Managers/Aggregator").await;
    assert_eq!(
        m["Links"]["ManagerInChassis"]["@odata.id"],
        "/redfish/v1/Chassis/Host7"
    );
    let (_, rack) = stack.get("/redfish/v1/Chassis/Rack1").await;
    assert!(ids(&rack["Links"]["Contains"]).contains(&"/redfish/v1/Chassis/Host7".to_owned()));
    stack.teardown().await;
}

#[tokio::test]
async fn local_resources_can_be_switched_off() {
    let mut options = StackOptions::rack(1, Profile::Dmtf);
    options.extra_aggregator_toml =
        "[switch]\nenabled = false\n[manager]\nenabled = false\n".into();
    let stack = Stack::start(options).await;
    let chassis = stack.wait_for_members("/redfish/v1/Chassis", 2).await;
    assert_eq!(
        ids(&chassis["Members"]),
        ["/redfish/v1/Chassis/Rack1", "/redfish/v1/Chassis/s1-1"]
    );
    assert_eq!(stack.get("/redfish/v1/Chassis/MgtSwitch").await.0, 404);
    assert_eq!(stack.get("/redfish/v1/Managers/Aggregator").await.0, 404);
    stack.teardown().await;
}

#[tokio::test]
async fn rack_patches_persist_across_a_restart_and_bad_ones_change_nothing() {
    let mut stack = rack_stack(1, "").await;
    let good = json!({
        "AssetTag": "row3-rack7",
        "Location": {
            "PostalAddress": {"Country": "NL", "City": "Delft", "Building": "B2", "Room": "DC-1"},
            "Placement": {"Row": "3", "Rack": "7", "RackOffset": 0, "RackOffsetUnits": "EIA_310"}
        }
    });
    let (status, body) = patch(&stack, "/redfish/v1/Chassis/Rack1", good).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["AssetTag"], "row3-rack7");
    let (status, body) = patch(
        &stack,
        "/redfish/v1/Chassis/Rack1",
        json!({"Location": {"Placement": {"Row": "4"}}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["Location"]["Placement"],
        json!({"Row": "4", "Rack": "7", "RackOffset": 0, "RackOffsetUnits": "EIA_310"}),
        "members merge"
    );
    let (_, before) = stack.get("/redfish/v1/Chassis/Rack1").await;

    let bad = [
        (
            json!({"AssetTag": 42}),
            "PropertyValueTypeError",
            "AssetTag",
        ),
        (
            json!({"AssetTag": "x", "Model": "other"}),
            "PropertyNotWritable",
            "Model",
        ),
        (
            json!({"AssetTag": "x", "Colour": "red"}),
            "PropertyUnknown",
            "Colour",
        ),
        (
            json!({"AssetTag": "x", "Location": {"Placement": {"RackOffset": "U12"}}}),
            "PropertyValueTypeError",
            "Location/Placement/RackOffset",
        ),
        (
            json!({"Location": {"Placement": {"RackOffsetUnits": "furlongs"}}}),
            "PropertyValueNotInList",
            "Location/Placement/RackOffsetUnits",
        ),
        (
            json!({"Location": {"Orbit": "LEO"}}),
            "PropertyUnknown",
            "Location/Orbit",
        ),
    ];
    for (body, key, property) in bad {
        let (status, reply) = patch(&stack, "/redfish/v1/Chassis/Rack1", body.clone()).await;
        assert_eq!(status, 400, "{body}: {reply}");
        assert_eq!(
            message_id(&reply),
            format!("Base.1.22.{key}"),
            "{body}: {reply}"
        );
        let args = reply["error"]["@Message.ExtendedInfo"][0]["MessageArgs"].to_string();
        assert!(args.contains(property), "{body}: {args}");
    }
    let r = stack
        .admin(Method::PATCH, "/redfish/v1/Chassis/Rack1")
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 400);
    let (_, after) = stack.get("/redfish/v1/Chassis/Rack1").await;
    assert_eq!(after, before, "nothing changed");

    // If-Match: a stale ETag is refused, the current one accepted.
    let r = stack
        .admin(Method::PATCH, "/redfish/v1/Chassis/Rack1")
        .header("If-Match", "\"stale\"")
        .json(&json!({"AssetTag": "nope"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 412);
    let r = stack
        .admin(Method::GET, "/redfish/v1/Chassis/Rack1")
        .send()
        .await
        .expect("get");
    let etag = r.headers()["etag"].clone();
    let r = stack
        .admin(Method::PATCH, "/redfish/v1/Chassis/Rack1")
        .header("If-Match", etag)
        .json(&json!({"AssetTag": "row3-rack7b"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 200);

    let (status, body) = patch(
        &stack,
        "/redfish/v1/Chassis/Rack1/Power",
        json!({"PowerControl": [{"PowerLimit": {"LimitInWatts": 9000}}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = patch(
        &stack,
        "/redfish/v1/Chassis/Rack1/Power",
        json!({"PowerControl": [{"PowerConsumedWatts": 1}]}),
    )
    .await;
    assert_eq!(
        (status, message_id(&body)),
        (400, "Base.1.22.PropertyNotWritable".to_owned())
    );
    let (status, body) = patch(
        &stack,
        "/redfish/v1/Chassis/Rack1/Power",
        json!({"PowerControl": [{"PowerLimit": {"LimitInWatts": "lots"}}]}),
    )
    .await;
    assert_eq!(
        (status, message_id(&body)),
        (400, "Base.1.22.PropertyValueTypeError".to_owned())
    );

    let (_, manager) = stack.get("/redfish/v1/Managers/Aggregator").await;
    stack.restart_services().await;
    stack.wait_for_members("/redfish/v1/Systems", 1).await;
    let (_, rack) = stack.get("/redfish/v1/Chassis/Rack1").await;
    assert_eq!(rack["AssetTag"], "row3-rack7b");
    assert_eq!(rack["Location"]["PostalAddress"]["City"], "Delft");
    assert_eq!(rack["Location"]["Placement"]["Row"], "4");
    let (_, power) = stack.get("/redfish/v1/Chassis/Rack1/Power").await;
    assert_eq!(power["PowerControl"][0]["PowerLimit"]["LimitInWatts"], 9000);
    let (_, again) = stack.get("/redfish/v1/Managers/Aggregator").await;
    assert_eq!(again["UUID"], manager["UUID"], "the manager UUID is stable");
    let (_, log) = stack
        .get("/redfish/v1/Managers/Aggregator/LogServices/Log/Entries")
        .await;
    assert!(
        log["Members"]
            .as_array()
            .is_some_and(|m| m.iter().any(|e| e["MessageArgs"][0] == "AssetTag")),
        "{log}"
    );
    stack.teardown().await;
}

#[tokio::test]
async fn links_stay_right_with_a_bmc_down() {
    let stack = rack_stack(3, "").await;
    stack.wait_for_members("/redfish/v1/Chassis", 5).await;
    stack.sims[1].set_fault(Fault::Down);
    let (status, _) = stack.get("/redfish/v1/Systems/s2-1").await;
    assert_eq!(status, 503, "the down BMC is noticed");
    let (status, rack) = stack.get("/redfish/v1/Chassis/Rack1").await;
    assert_eq!(status, 200);
    let contains = ids(&rack["Links"]["Contains"]);
    assert_eq!(
        contains,
        [
            "/redfish/v1/Chassis/s1-1",
            "/redfish/v1/Chassis/s2-1",
            "/redfish/v1/Chassis/s3-1",
            "/redfish/v1/Chassis/MgtSwitch"
        ],
        "the down server keeps its last known chassis"
    );
    assert_eq!(ids(&rack["Links"]["ComputerSystems"]).len(), 3);
    assert_eq!(rack["Status"]["HealthRollup"], "Warning");
    let log = eventually(
        &stack,
        "/redfish/v1/Managers/Aggregator/LogServices/Log/Entries",
        |l| {
            l["Members"].as_array().is_some_and(|m| {
                m.iter().any(|e| {
                    e["MessageId"] == "ResourceEvent.1.4.ResourceStatusChangedCritical"
                        && e["MessageArgs"][0] == "BMC s2"
                })
            })
        },
    )
    .await;
    assert!(log["Members"][0]["Created"].is_string());
    let down = log["Members"]
        .as_array()
        .and_then(|m| m.iter().find(|e| e["MessageArgs"][0] == "BMC s2"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        down["Links"]["OriginOfCondition"]["@odata.id"],
        "/redfish/v1/Managers/s2-1"
    );
    assert_eq!(down["Severity"], "Critical");
    stack.sims[1].set_fault(Fault::None);
    stack
        .wait_for_status("/redfish/v1/Systems/s2-1", 200, Duration::from_secs(5))
        .await;
    eventually(
        &stack,
        "/redfish/v1/Managers/Aggregator/LogServices/Log/Entries",
        |l| {
            l["Members"].as_array().is_some_and(|m| {
                m.iter()
                    .any(|e| e["MessageId"] == "ResourceEvent.1.4.ResourceStatusChangedOK")
            })
        },
    )
    .await;
    let (_, rack) = stack.get("/redfish/v1/Chassis/Rack1").await;
    assert_eq!(rack["Status"]["HealthRollup"], "OK");
    stack.teardown().await;
}

#[tokio::test]
async fn rack_power_and_thermal_come_from_the_servers_readings() {
    let stack = rack_stack(2, "").await;
    // bmc-sim reports 344 W, min/max/avg 271/489/319, a 23 °C intake and two 800 W supplies.
    let power = eventually(&stack, "/redfish/v1/Chassis/Rack1/Power", |p| {
        p["PowerControl"][0]["PowerConsumedWatts"] == 688.0
    })
    .await;
    let pc = &power["PowerControl"][0];
    assert_eq!(pc["PowerMetrics"]["MaxConsumedWatts"], 978.0);
    assert_eq!(pc["PowerMetrics"]["AverageConsumedWatts"], 638.0);
    assert_eq!(pc["PowerLimit"]["LimitInWatts"], Value::Null);
    assert_eq!(power["PowerSupplies"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        power["PowerSupplies"][2]["RelatedItem"][0]["@odata.id"],
        "/redfish/v1/Chassis/s2-1"
    );
    assert_eq!(power["Voltages"][0]["Name"], "VRM1 Voltage");
    assert_eq!(power["Redundancy"].as_array().map(Vec::len), Some(2));
    let (_, thermal) = stack.get("/redfish/v1/Chassis/Rack1/Thermal").await;
    assert_eq!(thermal["Temperatures"][0]["Name"], "Chassis Intake Temp");
    assert_eq!(thermal["Temperatures"][0]["ReadingCelsius"], 23.0);
    assert!(thermal["Fans"].as_array().is_some_and(|f| f.len() >= 2));
    stack.teardown().await;
}

/// iLO lists its chassis with a trailing slash (`/redfish/v1/Chassis/1/`): its readings must be
/// read at `.../1/Power`, not `.../1//Power` (which it answers 404), and counted in the rack's.
#[tokio::test]
async fn readings_of_a_bmc_whose_ids_end_in_a_slash_are_counted() {
    let mut options = StackOptions::rack(1, Profile::Ilo);
    options.extra_aggregator_toml = RACK_TOML.into();
    let stack = Stack::start(options).await;
    stack.wait_for_members("/redfish/v1/Systems", 1).await;
    let power = eventually(&stack, "/redfish/v1/Chassis/Rack1/Power", |p| {
        p["PowerControl"][0]["PowerConsumedWatts"] == 344.0
    })
    .await;
    assert!(
        ids(&power["PowerControl"][0]["RelatedItem"])
            .iter()
            .any(|id| id.starts_with("/redfish/v1/Chassis/s1-")),
        "{power}"
    );
    let (_, thermal) = stack.get("/redfish/v1/Chassis/Rack1/Thermal").await;
    assert_eq!(thermal["Temperatures"][0]["ReadingCelsius"], 23.0);
    stack.teardown().await;
}

/// A fake `/sys/class/hwmon`: one chip with a labelled temperature, a fan, two power sensors
/// and a voltage, and an unreadable temperature that must be skipped.
fn fake_hwmon() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    let chip = root.path().join("hwmon0");
    std::fs::create_dir_all(&chip).expect("mkdir");
    for (file, content) in [
        ("name", "switchchip\n"),
        ("temp1_input", "45000\n"),
        ("temp1_label", "ASIC\n"),
        ("temp1_max", "80000\n"),
        ("temp1_crit", "95000\n"),
        ("temp2_input", "garbage\n"),
        ("fan1_input", "9000\n"),
        ("power1_input", "55000000\n"),
        ("power2_input", "5000000\n"),
        ("in1_input", "12000\n"),
        ("in1_label", "Vin\n"),
    ] {
        std::fs::write(chip.join(file), content).expect("write");
    }
    root
}

async fn post_reset(stack: &Stack, chassis: &str, reset_type: &str) -> (u16, Value) {
    let r = stack
        .admin(Method::POST, &format!("{chassis}/Actions/Chassis.Reset"))
        .json(&json!({"ResetType": reset_type}))
        .send()
        .await
        .expect("post");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_switch_reads_its_hwmon_sensors_and_resets_through_the_configured_command() {
    let hwmon = fake_hwmon();
    let marks = tempfile::tempdir().expect("tempdir");
    let mut options = StackOptions::rack(1, Profile::Dmtf);
    options.extra_aggregator_toml = format!(
        "[switch]\nhwmon_dir = \"{}\"\nreset_command = [\"/usr/bin/touch\", \"{}/{{reset_type}}\"]\n",
        hwmon.path().display(),
        marks.path().display()
    );
    let stack = Stack::start(options).await;
    let switch_uri = "/redfish/v1/Chassis/MgtSwitch";
    let (_, switch) = stack.get(switch_uri).await;
    assert!(switch.get("ThermalSubsystem").is_none(), "{switch}");
    for sub in ["Thermal", "Power"] {
        assert_eq!(switch[sub]["@odata.id"], format!("{switch_uri}/{sub}"));
        let (status, body) = stack.get(&format!("{switch_uri}/{sub}")).await;
        assert_eq!((status, body["Id"].as_str()), (200, Some(sub)), "{body}");
    }
    assert_eq!(
        switch["Actions"]["#Chassis.Reset"]["@Redfish.ActionInfo"],
        "/redfish/v1/Chassis/MgtSwitch/ResetActionInfo"
    );

    let (_, thermal) = stack.get(&format!("{switch_uri}/Thermal")).await;
    assert_eq!(thermal["@odata.type"], "#Thermal.v1_7_3.Thermal");
    let temps = thermal["Temperatures"].as_array().expect("temps");
    assert_eq!(temps.len(), 1, "the garbage sensor is skipped: {thermal}");
    assert_eq!(temps[0]["Name"], "switchchip ASIC");
    assert_eq!(temps[0]["ReadingCelsius"], 45.0);
    assert_eq!(temps[0]["UpperThresholdNonCritical"], 80.0);
    assert_eq!(temps[0]["UpperThresholdCritical"], 95.0);
    assert_eq!(temps[0]["Status"]["Health"], "OK");
    assert_eq!(
        temps[0]["@odata.id"],
        "/redfish/v1/Chassis/MgtSwitch/Thermal#/Temperatures/0"
    );
    assert_eq!(thermal["Fans"][0]["Reading"], 9000);
    assert_eq!(thermal["Fans"][0]["ReadingUnits"], "RPM");
    let (_, power) = stack.get(&format!("{switch_uri}/Power")).await;
    assert_eq!(power["PowerControl"][0]["PowerConsumedWatts"], 60.0);
    assert_eq!(power["Voltages"][0]["ReadingVolts"], 12.0);
    assert_eq!(power["Voltages"][0]["Name"], "switchchip Vin");

    let r = stack
        .admin(Method::PATCH, &format!("{switch_uri}/Thermal"))
        .json(&json!({}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(
        r.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("GET, HEAD")
    );

    let (status, info) = stack.get(&format!("{switch_uri}/ResetActionInfo")).await;
    assert_eq!(
        (status, info["Parameters"][0]["AllowableValues"].clone()),
        (200, json!(["ForceRestart", "GracefulRestart"]))
    );
    assert_eq!(
        post_reset(&stack, switch_uri, "GracefulRestart").await.0,
        204
    );
    assert!(
        marks.path().join("GracefulRestart").exists(),
        "the command ran with the reset type"
    );
    let (status, body) = post_reset(&stack, switch_uri, "On").await;
    assert_eq!(status, 400);
    assert!(message_id(&body).ends_with("ActionParameterValueNotInList"));
    assert!(!marks.path().join("On").exists());
    let (_, log) = stack
        .get("/redfish/v1/Managers/Aggregator/LogServices/Log/Entries")
        .await;
    assert!(
        log.to_string().contains("GracefulRestart requested by"),
        "{log}"
    );
    stack.teardown().await;
}

#[tokio::test]
async fn without_a_reset_command_the_switch_has_no_reset_and_a_failing_one_is_an_error() {
    let stack = rack_stack(1, "").await;
    let switch_uri = "/redfish/v1/Chassis/MgtSwitch";
    let (_, switch) = stack.get(switch_uri).await;
    assert!(switch.get("Actions").is_none(), "{switch}");
    assert_eq!(
        switch["Thermal"]["@odata.id"],
        format!("{switch_uri}/Thermal")
    );
    assert_eq!(post_reset(&stack, switch_uri, "ForceRestart").await.0, 404);
    assert_eq!(
        stack.get(&format!("{switch_uri}/ResetActionInfo")).await.0,
        404
    );
    stack.teardown().await;

    // Outside the switch, the host's hwmon is the host chassis's; the switch has none.
    let hwmon = fake_hwmon();
    let mut options = StackOptions::rack(1, Profile::Dmtf);
    options.extra_aggregator_toml = format!(
        "inside_switch = false\n[switch]\nhwmon_dir = \"{}\"\nreset_command = [\"/bin/false\"]\n",
        hwmon.path().display()
    );
    let stack = Stack::start(options).await;
    let (_, thermal) = stack.get(&format!("{switch_uri}/Thermal")).await;
    assert_eq!(thermal["Temperatures"], json!([]), "{thermal}");
    let (_, power) = stack.get(&format!("{switch_uri}/Power")).await;
    assert_eq!(power["PowerControl"][0]["PowerConsumedWatts"], Value::Null);
    let (_, host) = stack
        .get("/redfish/v1/Chassis/AggregatorHost/Thermal")
        .await;
    assert_eq!(host["Temperatures"][0]["ReadingCelsius"], 45.0, "{host}");

    let (status, body) = post_reset(&stack, switch_uri, "ForceRestart").await;
    assert_eq!(status, 500, "{body}");
    assert!(message_id(&body).ends_with("InternalError"), "{body}");
    let (_, log) = stack
        .get("/redfish/v1/Managers/Aggregator/LogServices/Log/Entries")
        .await;
    assert!(
        log.to_string()
            .contains("reset command failed with exit status 1"),
        "{log}"
    );
    stack.teardown().await;
}

#[tokio::test]
async fn the_switch_locator_led_runs_the_configured_command_and_persists() {
    let dir = tempfile::tempdir().expect("dir");
    let record = dir.path().join("led");
    // The switch's own DMI fills what is not configured (the model is, and wins).
    let dmi = dir.path().join("dmi");
    std::fs::create_dir(&dmi).expect("dmi");
    for (file, value) in [
        ("sys_vendor", "Acme Networks\n"),
        ("product_name", "AN-4800\n"),
        ("product_serial", "To be filled by O.E.M.\n"),
    ] {
        std::fs::write(dmi.join(file), value).expect("write");
    }
    let mut options = StackOptions::rack(1, Profile::Dmtf);
    options.extra_aggregator_toml = format!(
        "[switch]\nmodel = \"Configured\"\ndmi_dir = \"{}\"\nlocator_command = [\"/bin/sh\", \"-c\", \"echo $0 $1 > {}\", \"{{state}}\", \"{{led}}\"]\n",
        dmi.display(),
        record.display()
    );
    let mut stack = Stack::start(options).await;
    let uri = "/redfish/v1/Chassis/MgtSwitch";
    let r = testkit::send(stack.admin(Method::GET, uri)).await;
    assert_eq!(r.body["Manufacturer"], "Acme Networks");
    assert_eq!(r.body["Model"], "Configured");
    assert!(
        r.body.get("SerialNumber").is_none(),
        "placeholder serial left out: {}",
        r.body
    );
    assert_eq!(r.header("allow"), Some("GET, HEAD, PATCH"));
    assert_eq!(r.body["LocationIndicatorActive"], false);
    assert_eq!(r.body["IndicatorLED"], "Off");
    let etag = r.header("etag").expect("etag").to_owned();

    let r = testkit::send(
        stack
            .admin(Method::PATCH, uri)
            .header("If-Match", &etag)
            .json(&json!({"LocationIndicatorActive": true})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["LocationIndicatorActive"], true);
    assert_eq!(r.body["IndicatorLED"], "Blinking");
    assert_eq!(
        std::fs::read_to_string(&record).expect("the command ran"),
        "on Blinking\n"
    );
    // A stale ETag, a wrong type, a conflict and a read-only property change nothing.
    for (headers, body, status, message) in [
        (
            Some(etag.as_str()),
            json!({"IndicatorLED": "Off"}),
            412,
            "PreconditionFailed",
        ),
        (
            None,
            json!({"LocationIndicatorActive": "yes"}),
            400,
            "PropertyValueTypeError",
        ),
        (
            None,
            json!({"IndicatorLED": "Off", "LocationIndicatorActive": true}),
            400,
            "PropertyValueConflict",
        ),
        (None, json!({"Name": "X"}), 400, "PropertyNotWritable"),
        (
            None,
            json!({"IndicatorLED": "Purple"}),
            400,
            "PropertyValueNotInList",
        ),
    ] {
        let mut request = stack.admin(Method::PATCH, uri).json(&body);
        if let Some(tag) = headers {
            request = request.header("If-Match", tag);
        }
        let r = testkit::send(request).await;
        assert_eq!(
            (r.status, r.message()),
            (status, message),
            "{body}: {}",
            r.body
        );
    }
    assert_eq!(
        std::fs::read_to_string(&record).expect("record"),
        "on Blinking\n"
    );

    // The switch's power budget is recorded (nothing here can cap it: NoAction).
    let power = format!("{uri}/Power");
    let r = testkit::send(
        stack
            .admin(Method::PATCH, &power)
            .json(&json!({"PowerControl": [{"PowerLimit": {"LimitInWatts": 150}}]})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["PowerControl"][0]["PowerLimit"]["LimitInWatts"], 150);
    assert_eq!(
        r.body["PowerControl"][0]["PowerLimit"]["LimitException"],
        "NoAction"
    );
    let r = testkit::send(
        stack
            .admin(Method::PATCH, &power)
            .json(&json!({"PowerControl": [{"PowerLimit": {"LimitInWatts": -1}}]})),
    )
    .await;
    assert_eq!((r.status, r.message()), (400, "PropertyValueOutOfRange"));

    // The state survives a restart of the services.
    stack.restart_services().await;
    let (_, body) = stack.get(uri).await;
    assert_eq!(body["IndicatorLED"], "Blinking");
    let (_, body) = stack.get(&power).await;
    assert_eq!(body["PowerControl"][0]["PowerLimit"]["LimitInWatts"], 150);
    let r = testkit::send(
        stack
            .admin(Method::PATCH, uri)
            .json(&json!({"IndicatorLED": "Off"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        std::fs::read_to_string(&record).expect("record"),
        "off Off\n"
    );
    stack.teardown().await;

    // Without a locator command the switch has no LED and no PATCH.
    let stack = rack_stack(1, "").await;
    let (_, body) = stack.get(uri).await;
    assert!(body.get("LocationIndicatorActive").is_none(), "{body}");
    let r = testkit::send(
        stack
            .admin(Method::PATCH, uri)
            .json(&json!({"IndicatorLED": "Lit"})),
    )
    .await;
    assert_eq!(r.status, 405);
    stack.teardown().await;
}

#[tokio::test]
async fn an_interface_patch_runs_the_network_hook_with_the_requested_settings() {
    let dir = tempfile::tempdir().expect("dir");
    let record = dir.path().join("network.json");
    let mut options = StackOptions::rack(1, Profile::Dmtf);
    options.extra_aggregator_toml = format!(
        "[manager]\nnetwork_command = [\"/bin/sh\", \"-c\", \"cat > {}\", \"{{interface}}\"]\n",
        record.display()
    );
    let stack = Stack::start(options).await;
    let (_, nics) = stack
        .get("/redfish/v1/Managers/Aggregator/EthernetInterfaces")
        .await;
    let Some(uri) = nics["Members"][0]["@odata.id"].as_str().map(str::to_owned) else {
        // The interfaces are the host's real ones; a host with none listed cannot run this.
        eprintln!("SKIP: this host lists no network interface to configure");
        stack.teardown().await;
        return;
    };
    let name = uri.rsplit('/').next().expect("name").to_owned();
    let r = testkit::send(stack.admin(Method::GET, &uri)).await;
    assert_eq!(r.header("allow"), Some("GET, HEAD, PATCH"));
    let before = r.body.clone();

    let r = testkit::send(stack.admin(Method::PATCH, &uri).json(&json!({
        "HostName": "rack1-mgr",
        "IPv4Addresses": [{"Address": "192.0.2.10", "SubnetMask": "255.255.255.0", "Gateway": "192.0.2.1"}],
        "StaticNameServers": ["192.0.2.53"],
    })))
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let sent: Value =
        serde_json::from_str(&std::fs::read_to_string(&record).expect("the hook ran"))
            .expect("json");
    assert_eq!(
        sent,
        json!({
            "Interface": name,
            "HostName": "rack1-mgr",
            "IPv4StaticAddresses": [{"Address": "192.0.2.10", "SubnetMask": "255.255.255.0", "PrefixLength": 24, "Gateway": "192.0.2.1"}],
            "StaticNameServers": ["192.0.2.53"],
        })
    );
    // What is shown is the host as it is (this hook changed nothing real).
    assert_eq!(r.body["IPv4Addresses"], before["IPv4Addresses"]);
    std::fs::remove_file(&record).expect("rm");

    for (body, status, message) in [
        (
            json!({"HostName": "bad_name!"}),
            400,
            "PropertyValueFormatError",
        ),
        (
            json!({"NameServers": ["192.0.2.53"]}),
            400,
            "PropertyNotWritable",
        ),
        (
            json!({"MACAddress": "00:11:22:33:44:55"}),
            400,
            "PropertyNotWritable",
        ),
        (
            json!({"IPv4Addresses": [{"Address": "192.0.2.10", "SubnetMask": "255.0.255.0"}]}),
            400,
            "PropertyValueFormatError",
        ),
        (
            json!({"DHCPv4": {"DHCPEnabled": "yes"}}),
            400,
            "PropertyValueTypeError",
        ),
        (json!({"Colour": "red"}), 400, "PropertyUnknown"),
    ] {
        let r = testkit::send(stack.admin(Method::PATCH, &uri).json(&body)).await;
        assert_eq!(
            (r.status, r.message()),
            (status, message),
            "{body}: {}",
            r.body
        );
    }
    assert!(!record.exists(), "a refused PATCH never reaches the hook");

    // Only who may configure the manager may change its network.
    stack
        .create_account("op", "operator-password-1", "Operator")
        .await;
    let r = testkit::send(
        stack
            .as_user(Method::PATCH, &uri, "op", "operator-password-1")
            .json(&json!({"HostName": "x"})),
    )
    .await;
    assert_eq!((r.status, r.message()), (403, "InsufficientPrivilege"));
    stack.teardown().await;

    // A failing hook is an error, logged; without a hook the interface is read-only.
    let mut options = StackOptions::rack(1, Profile::Dmtf);
    options.extra_aggregator_toml = "[manager]\nnetwork_command = [\"/bin/false\"]\n".into();
    let stack = Stack::start(options).await;
    let r = testkit::send(
        stack
            .admin(Method::PATCH, &uri)
            .json(&json!({"HostName": "x"})),
    )
    .await;
    assert_eq!((r.status, r.message()), (500, "InternalError"));
    let (_, log) = stack
        .get("/redfish/v1/Managers/Aggregator/LogServices/Log/Entries")
        .await;
    assert!(log.to_string().contains("network command failed"), "{log}");
    stack.teardown().await;
    let stack = rack_stack(1, "").await;
    let r = testkit::send(
        stack
            .admin(Method::PATCH, &uri)
            .json(&json!({"HostName": "x"})),
    )
    .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    stack.teardown().await;
}
