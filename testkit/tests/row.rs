//! A row of racks: a row aggregator whose BMCs are two rack aggregates (their frontends, over
//! real HTTP, each with an account of its own for the row). Every system of both racks is listed
//! at the row as `<rackId>-<bmcId>-<memberId>`; a crawl from the row's ServiceRoot resolves every
//! link and shows no rack or BMC address; a reset through the row reaches the right BMC once; a
//! BMC down in a rack answers 503 at the row while the rest answers; a hung BMC in a rack costs
//! the row only its own requests; a rack that goes away is cut off by the row's breaker and shown
//! down on its source, and is served again when it returns; a rack is added at run time as an
//! AggregationSource; a rack's events reach the row's clients, localized once more; racks behind
//! TLS are trusted by their CA or a pinned certificate, and refused otherwise.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use reqwest::Method;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use testkit::bmc_sim::{Fault, Profile};
use testkit::events::{Sink, SseReader};
use testkit::{Stack, StackOptions, crawl};
use tokio::net::{TcpListener, TcpStream};

const SOURCES: &str = "/redfish/v1/AggregationService/AggregationSources";
const SSE: &str = "/redfish/v1/EventService/SSE";
const SUBMIT: &str = "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent";
/// The account each rack gives the row: Operator (reads, resets, event streams), Administrator
/// where the row is to read and change the rack aggregator's own settings (its certificates
/// take ConfigureManager).
const ROW_USER: &str = "row";
const ROW_PASSWORD: &str = "row-operator-pw-1";
const DEADLINE: Duration = Duration::from_secs(30);

/// The two racks: r1 of OpenBMC servers (ids `system`, an event stream each), r2 of iDRACs
/// (ids `System.Embedded.1`, absolute URLs).
const RACK1: Profile = Profile::OpenBmc;
const RACK2: Profile = Profile::Idrac;

/// A rack stack of two simulated BMCs with the row's account in `role`.
async fn rack(profile: Profile, role: &str) -> Stack {
    let rack = Stack::start(StackOptions::rack(2, profile)).await;
    rack.create_account(ROW_USER, ROW_PASSWORD, role).await;
    rack.wait_for_members("/redfish/v1/Systems", 2).await;
    rack
}

/// The `[[bmcs]]` entry of a rack at the row.
fn rack_entry(id: &str, rack: &Stack) -> String {
    format!(
        "[[bmcs]]\nid = \"{id}\"\nurl = \"{}\"\nusername = \"{ROW_USER}\"\npassword = \"{ROW_PASSWORD}\"\n",
        rack.base
    )
}

/// A row aggregate over `racks` (id, rack stack) from its config file: a stack with no BMC of
/// its own, the racks' frontends as its BMCs. A short backoff so a rack back is used soon.
async fn row(racks: &[(&str, &Stack)]) -> Stack {
    row_with(racks, "").await
}

/// A row with `tables` (TOML tables of `[aggregator]`, e.g. `[rack]`) in its config.
async fn row_with(racks: &[(&str, &Stack)], tables: &str) -> Stack {
    let mut options = StackOptions::rack(0, Profile::Dmtf);
    options.extra_aggregator_toml = "retry_max_secs = 2\n".to_owned()
        + tables
        + &racks
            .iter()
            .map(|(id, r)| rack_entry(id, r))
            .collect::<String>();
    Stack::start(options).await
}

fn members(body: &Value) -> Vec<String> {
    let mut out: Vec<String> = body["Members"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|x| x["@odata.id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Every system of both racks, as the row names them.
const ROW_SYSTEMS: [&str; 4] = [
    "/redfish/v1/Systems/r1-s1-system",
    "/redfish/v1/Systems/r1-s2-system",
    "/redfish/v1/Systems/r2-s1-System.Embedded.1",
    "/redfish/v1/Systems/r2-s2-System.Embedded.1",
];

/// `reddrum_bmc_breaker_open{bmc="<id>"}` of the row's aggregator.
async fn breaker_open(row: &Stack, id: &str) -> bool {
    let (_, text) = row.ops_get(&format!("{}/metrics", row.agg_ops)).await;
    let line = format!("reddrum_bmc_breaker_open{{bmc=\"{id}\"}} 1");
    text.lines().any(|l| l == line)
}

async fn teardown(row: Stack, racks: Vec<Stack>) {
    row.teardown().await;
    for r in racks {
        r.teardown().await;
    }
}

#[tokio::test]
async fn a_row_lists_crawls_and_resets_through_two_racks() {
    let (r1, r2) = (
        rack(RACK1, "Administrator").await,
        rack(RACK2, "Administrator").await,
    );
    let row = row(&[("r1", &r1), ("r2", &r2)]).await;
    let systems = row.wait_for_members("/redfish/v1/Systems", 4).await;
    assert_eq!(members(&systems), ROW_SYSTEMS);

    // A crawl from the row's ServiceRoot: every link resolves, no rack or BMC address shows.
    const LIMIT: usize = 3000;
    let resources = crawl(&row, "/redfish/v1", LIMIT).await;
    assert!(resources.len() < LIMIT, "the crawl did not end");
    let racks: Vec<String> = [&r1, &r2]
        .iter()
        .map(|r| r.base.trim_start_matches("http://").to_owned())
        .collect();
    let bmcs: Vec<String> = r1
        .sims
        .iter()
        .chain(&r2.sims)
        .map(|s| s.addr().to_string())
        .collect();
    let mut failures = Vec::new();
    for (path, status, body) in &resources {
        if *status != 200 {
            failures.push(format!("{path}: {status} {body}"));
        }
        // The row's own sources name the racks they read (their configuration): nothing else.
        let mut shown = body.clone();
        if path.starts_with(SOURCES) {
            shown["HostName"] = Value::Null;
        }
        let text = shown.to_string();
        // No rack address at all; no BMC Redfish URI (a BMC's web-GUI launch URL is kept as the
        // BMC gave it, as in a rack: an out-of-band link the aggregate has nothing to serve at).
        let leaks = racks
            .iter()
            .map(String::as_str)
            .chain(bmcs.iter().map(|b| b.as_str()))
            .filter(|addr| {
                text.contains(&format!("{addr}/redfish"))
                    || (racks.iter().any(|r| r == addr) && text.contains(addr))
            });
        for addr in leaks {
            let at = text.find(addr).unwrap_or(0);
            let around = &text[at.saturating_sub(60)..(at + 60).min(text.len())];
            failures.push(format!("{path}: shows {addr}: ...{around}..."));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for system in ROW_SYSTEMS {
        assert!(
            resources.iter().any(|(p, ..)| p == system),
            "{system} not crawled"
        );
    }
    eprintln!("crawled {} resources through the row", resources.len());

    // A client's OData-Version reaches the rack once (two make "4.0, 4.0", which a rack refuses
    // with 412): every request of the DMTF validators carries one.
    for path in [ROW_SYSTEMS[0], "/redfish/v1/Chassis/r1-Rack1"] {
        let r = testkit::send(row.admin(Method::GET, path).header("OData-Version", "4.0")).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
    }
    let at_bmc = r1.sims[0]
        .requests()
        .into_iter()
        .rfind(|r| r.path == "/redfish/v1/Systems/system")
        .expect("the GET reached the BMC");
    let versions: Vec<&(String, String)> = at_bmc
        .headers
        .iter()
        .filter(|(name, _)| name == "odata-version")
        .collect();
    assert_eq!(versions.len(), 1, "{:?}", at_bmc.headers);

    // A reset through the row reaches r2's s2 once, and no other BMC.
    let resets = |stack: &Stack| -> Vec<usize> {
        stack
            .sims
            .iter()
            .map(|s| {
                s.requests()
                    .iter()
                    .filter(|r| r.method == "POST" && r.path.ends_with("/ComputerSystem.Reset"))
                    .count()
            })
            .collect()
    };
    let r = testkit::send(
        row.admin(
            Method::POST,
            "/redfish/v1/Systems/r2-s2-System.Embedded.1/Actions/ComputerSystem.Reset",
        )
        .json(&json!({"ResetType": "ForceRestart"})),
    )
    .await;
    assert!((200..300).contains(&r.status), "{} {}", r.status, r.body);
    assert_eq!(resets(&r2), [0, 1]);
    assert_eq!(resets(&r1), [0, 0]);
    let reached = r2.sims[1]
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/ComputerSystem.Reset"))
        .expect("the reset");
    assert_eq!(
        reached.path,
        "/redfish/v1/Systems/System.Embedded.1/Actions/ComputerSystem.Reset"
    );

    // A BMC down in rack 1: its members answer 503 at the row, the rest of both racks 200.
    r1.sims[0].set_fault(Fault::Down);
    let r = testkit::send(row.admin(Method::GET, "/redfish/v1/Systems/r1-s1-system")).await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.message(), "ServiceTemporarilyUnavailable", "{}", r.body);
    for other in &ROW_SYSTEMS[1..] {
        let (status, body) = row.get(other).await;
        assert_eq!(status, 200, "{other}: {body}");
    }
    let (_, systems) = row.get("/redfish/v1/Systems").await;
    assert_eq!(members(&systems), ROW_SYSTEMS, "still listed");
    r1.sims[0].set_fault(Fault::None);
    row.wait_for_status("/redfish/v1/Systems/r1-s1-system", 200, DEADLINE)
        .await;
    teardown(row, vec![r1, r2]).await;
}

/// GETs of a system, chassis or manager itself (`/redfish/v1/Systems/<id>`) at each sim BMC.
fn member_gets(rack: &Stack) -> Vec<usize> {
    const COLLECTIONS: [&str; 3] = [
        "/redfish/v1/Systems/",
        "/redfish/v1/Chassis/",
        "/redfish/v1/Managers/",
    ];
    let is_member = |path: &str| {
        COLLECTIONS
            .iter()
            .find_map(|c| path.strip_prefix(c))
            .is_some_and(|id| !id.is_empty() && !id.contains('/'))
    };
    rack.sims
        .iter()
        .map(|s| {
            s.requests()
                .iter()
                .filter(|r| r.method == "GET" && is_member(&r.path))
                .count()
        })
        .collect()
}

/// A rack lists only members it has read once (a BMC's listed member that answers 404 is left
/// out), so the row takes the rack's listing as it is: its discovery reads no member through the
/// rack to the BMCs (for a row of 40 racks of 48 servers that was 5,880 requests), and a member
/// the rack left out is not at the row either.
#[tokio::test]
async fn a_row_takes_a_racks_listing_without_reading_each_member_again() {
    let mut options = StackOptions::rack(2, RACK1);
    options.quirks = vec![(
        "s2".to_owned(),
        testkit::bmc_sim::Quirks {
            missing_member: true,
            ..Default::default()
        },
    )];
    let r1 = Stack::start(options).await;
    r1.create_account(ROW_USER, ROW_PASSWORD, "Operator").await;
    let at_rack = members(&r1.wait_for_members("/redfish/v1/Systems", 2).await);
    assert!(
        at_rack.iter().all(|m| !m.contains("ghost")),
        "the rack verified its members: {at_rack:?}"
    );
    let before = member_gets(&r1);
    let row = row(&[("r1", &r1)]).await;
    let systems = row.wait_for_members("/redfish/v1/Systems", 2).await;
    // The row's source is as well as the rack's own sources: s2 lists a member it has not (the
    // rack shows that on s2), so rack 1 shows Warning at the row once the row has read it.
    let (_, s2) = r1.get(&format!("{SOURCES}/s2")).await;
    let expected = if s2["Status"]["Health"] == "OK" {
        "OK"
    } else {
        "Warning"
    };
    row.until(&format!("{SOURCES}/r1"), DEADLINE, |s| {
        s["Status"]["State"] == "Enabled" && s["Status"]["Health"] == expected
    })
    .await;
    let expected: Vec<String> = at_rack
        .iter()
        .map(|m| m.replacen("/redfish/v1/Systems/", "/redfish/v1/Systems/r1-", 1))
        .collect();
    assert_eq!(members(&systems), expected);
    for collection in ["Chassis", "Managers"] {
        let (_, body) = row.get(&format!("/redfish/v1/{collection}")).await;
        assert!(
            members(&body).iter().any(|m| m.contains("/r1-s2-")),
            "{collection}: {body}"
        );
    }
    assert_eq!(
        member_gets(&r1),
        before,
        "the row read members through the rack"
    );
    teardown(row, vec![r1]).await;
}

#[tokio::test]
async fn a_rack_that_goes_away_is_cut_off_at_the_row_and_served_when_it_returns() {
    let (mut r1, r2) = (rack(RACK1, "Operator").await, rack(RACK2, "Operator").await);
    let row = row(&[("r1", &r1), ("r2", &r2)]).await;
    row.wait_for_members("/redfish/v1/Systems", 4).await;
    let source = format!("{SOURCES}/r1");
    row.until(&source, DEADLINE, |s| s["Status"]["Health"] == "OK")
        .await;

    // Rack 1's frontend stops: connections to it are refused.
    r1.stop_frontend().await;
    let r = testkit::send(row.admin(Method::GET, "/redfish/v1/Systems/r1-s1-system")).await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.header("retry-after").is_some());
    assert_eq!(
        r.body["error"]["@Message.ExtendedInfo"][0]["Oem"]["RedDrum"]["Bmc"], "r1",
        "{}",
        r.body
    );
    // The row's breaker for r1 is open: its members answer at once, without trying the rack.
    assert!(breaker_open(&row, "r1").await);
    for path in [
        "/redfish/v1/Systems/r1-s2-system",
        "/redfish/v1/Systems/r1-s1-system/Bios",
    ] {
        let r = testkit::send(row.admin(Method::GET, path)).await;
        assert_eq!(r.status, 503, "{path}: {}", r.body);
    }
    for path in &ROW_SYSTEMS[2..] {
        let (status, body) = row.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    assert!(!breaker_open(&row, "r2").await);
    let down = row
        .until(&source, DEADLINE, |s| s["Status"]["Health"] == "Critical")
        .await;
    assert_eq!(down["Status"]["State"], "UnavailableOffline", "{down}");
    let (_, enclosure) = row.get("/redfish/v1/Chassis/Rack1").await;
    assert_eq!(
        enclosure["Status"]["HealthRollup"], "Warning",
        "{enclosure}"
    );
    let (_, systems) = row.get("/redfish/v1/Systems").await;
    assert_eq!(members(&systems), ROW_SYSTEMS, "still listed");

    // Back on the same address: the row's probe closes the breaker, the source is OK again.
    r1.start_frontend_again().await;
    row.wait_for_status("/redfish/v1/Systems/r1-s1-system", 200, DEADLINE)
        .await;
    row.until(&source, DEADLINE, |s| s["Status"]["Health"] == "OK")
        .await;
    assert!(!breaker_open(&row, "r1").await);
    row.until("/redfish/v1/Chassis/Rack1", DEADLINE, |c| {
        c["Status"]["HealthRollup"] == "OK"
    })
    .await;
    teardown(row, vec![r1, r2]).await;
}

fn links_of(body: &Value, pointer: &str) -> Vec<String> {
    let mut out: Vec<String> = body
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|x| x["@odata.id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[tokio::test]
async fn the_row_contains_the_racks_and_shows_a_bmc_down_inside_a_rack_on_its_source() {
    let (r1, r2) = (rack(RACK1, "Operator").await, rack(RACK2, "Operator").await);
    let row = row_with(
        &[("r1", &r1), ("r2", &r2)],
        "[rack]\nid = \"Row1\"\nname = \"Row 1\"\nchassis_type = \"Row\"\n",
    )
    .await;
    row.wait_for_members("/redfish/v1/Systems", 4).await;

    // The row's chassis contains the racks' enclosures, not their servers flat; the row manager
    // manages the rack managers.
    let racks = [
        "/redfish/v1/Chassis/r1-Rack1",
        "/redfish/v1/Chassis/r2-Rack1",
    ];
    let enclosure = row
        .until("/redfish/v1/Chassis/Row1", DEADLINE, |c| {
            let contains = links_of(c, "/Links/Contains");
            racks.iter().all(|r| contains.iter().any(|c| c == r))
        })
        .await;
    assert_eq!(enclosure["ChassisType"], "Row", "{enclosure}");
    let contains = links_of(&enclosure, "/Links/Contains");
    assert!(
        contains
            .iter()
            .all(|c| !c.starts_with("/redfish/v1/Chassis/r1-s")
                && !c.starts_with("/redfish/v1/Chassis/r2-s")),
        "a server's chassis is contained by its rack, not the row: {contains:?}"
    );
    assert_eq!(enclosure["Status"]["HealthRollup"], "OK", "{enclosure}");
    for rack in racks {
        let (status, body) = row.get(rack).await;
        assert_eq!(
            (status, body["ChassisType"].as_str()),
            (200, Some("Rack")),
            "{body}"
        );
        // The rack's own resources are reached from it: its switch, its servers' chassis.
        assert!(
            links_of(&body, "/Links/Contains").len() >= 3,
            "{rack} contains its switch and servers: {body}"
        );
    }
    let (_, manager) = row.get("/redfish/v1/Managers/Aggregator").await;
    assert_eq!(
        links_of(&manager, "/Links/ManagerForManagers"),
        [
            "/redfish/v1/Managers/r1-Aggregator",
            "/redfish/v1/Managers/r2-Aggregator"
        ],
        "{manager}"
    );
    for source in ["r1", "r2"] {
        let (_, body) = row.get(&format!("{SOURCES}/{source}")).await;
        assert_eq!(body["Status"]["Health"], "OK", "{body}");
    }

    // A BMC goes down inside rack 1. A client at the row meets it first (503); rack 1 then
    // reads it down and says so on its event stream, and the row shows it on rack 1's source,
    // without reading any BMC itself.
    r1.sims[0].set_fault(Fault::Down);
    let r = testkit::send(row.admin(Method::GET, "/redfish/v1/Systems/r1-s1-system")).await;
    assert_eq!(r.status, 503, "{}", r.body);
    let source = row
        .until(&format!("{SOURCES}/r1"), DEADLINE, |s| {
            s["Status"]["Health"] == "Warning"
        })
        .await;
    assert_eq!(source["Status"]["State"], "Enabled", "{source}");
    let conditions = source["Status"]["Conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let condition = conditions
        .iter()
        .find(|c| c["MessageArgs"][0] == "BMC r1-s1")
        .unwrap_or_else(|| panic!("no condition names BMC r1-s1: {source}"));
    assert_eq!(condition["Severity"], "Critical", "{condition}");
    assert!(
        condition["MessageId"]
            .as_str()
            .is_some_and(|m| m.ends_with(".ResourceStatusChangedCritical")),
        "{condition}"
    );
    // The condition points at the BMC's source in rack 1, served through the row.
    let origin = condition["OriginOfCondition"]["@odata.id"]
        .as_str()
        .unwrap_or_else(|| panic!("no OriginOfCondition: {condition}"))
        .to_owned();
    let (status, at_rack) = row.get(&origin).await;
    assert_eq!(status, 200, "{origin}: {at_rack}");
    assert_eq!(at_rack["Status"]["Health"], "Critical", "{at_rack}");
    let (_, other) = row.get(&format!("{SOURCES}/r2")).await;
    assert_eq!(
        other["Status"]["Health"], "OK",
        "rack 2 is not touched: {other}"
    );
    for (path, pointer) in [
        ("/redfish/v1/Chassis/Row1", "/Status/HealthRollup"),
        ("/redfish/v1/Managers/Aggregator", "/Status/HealthRollup"),
    ] {
        let (_, body) = row.get(path).await;
        assert_eq!(
            body.pointer(pointer),
            Some(&json!("Warning")),
            "{path}: {body}"
        );
    }
    for path in &ROW_SYSTEMS[1..] {
        let (status, body) = row.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
    }

    // It comes back: rack 1 reads it again, and the row's source is OK again.
    r1.sims[0].set_fault(Fault::None);
    row.wait_for_status("/redfish/v1/Systems/r1-s1-system", 200, DEADLINE)
        .await;
    let source = row
        .until(&format!("{SOURCES}/r1"), DEADLINE, |s| {
            s["Status"]["Health"] == "OK"
        })
        .await;
    assert_eq!(source["Status"]["Conditions"], json!([]), "{source}");
    row.until("/redfish/v1/Chassis/Row1", DEADLINE, |c| {
        c["Status"]["HealthRollup"] == "OK"
    })
    .await;
    teardown(row, vec![r1, r2]).await;
}

#[tokio::test]
async fn a_rack_added_at_run_time_is_listed_at_the_row() {
    let (r1, r2) = (rack(RACK1, "Operator").await, rack(RACK2, "Operator").await);
    let row = row(&[("r1", &r1)]).await;
    row.wait_for_members("/redfish/v1/Systems", 2).await;
    let r = testkit::send(row.admin(Method::POST, SOURCES).json(&json!({
        "HostName": r2.base, "UserName": ROW_USER, "Password": ROW_PASSWORD, "Id": "r2",
    })))
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let systems = row.wait_for_members("/redfish/v1/Systems", 4).await;
    assert_eq!(members(&systems), ROW_SYSTEMS);
    let source = row
        .until(&format!("{SOURCES}/r2"), DEADLINE, |s| {
            s["Status"]["Health"] == "OK"
        })
        .await;
    assert_eq!(source["Password"], Value::Null);
    let (status, body) = row.get("/redfish/v1/Systems/r2-s1-System.Embedded.1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Id"], "r2-s1-System.Embedded.1");
    teardown(row, vec![r1, r2]).await;
}

/// Reads `stream` until a record `pick` holds of; None past `within`.
async fn next_record(
    stream: &mut SseReader,
    within: Duration,
    pick: impl Fn(&Value) -> bool,
) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let (_, data) = tokio::time::timeout(left, stream.next()).await.ok()??;
        for record in data["Events"].as_array().cloned().unwrap_or_default() {
            if pick(&record) {
                return Some(record);
            }
        }
    }
}

#[tokio::test]
async fn a_racks_events_reach_the_rows_clients_localized_once_more() {
    let (r1, r2) = (rack(RACK1, "Operator").await, rack(RACK2, "Operator").await);
    let row = row(&[("r1", &r1), ("r2", &r2)]).await;
    row.wait_for_members("/redfish/v1/Systems", 4).await;
    let r = row
        .admin(Method::GET, SSE)
        .send()
        .await
        .expect("open the row's stream");
    assert_eq!(r.status(), 200);
    let mut stream = SseReader::new(r);
    let mut sink = Sink::start(200).await;
    let r = testkit::send(
        row.admin(Method::POST, "/redfish/v1/EventService/Subscriptions")
            .json(&json!({"Destination": sink.url, "Protocol": "Redfish"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // A test event at rack 1 about its s1's system: the row's stream carries it, its origin in
    // the row's URI space. (The row may be opening rack 1's stream still: submit until one
    // arrives.)
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut n = 0;
    let record = loop {
        n += 1;
        let id = format!("rack-test-{n}");
        let r = testkit::send(r1.admin(Method::POST, SUBMIT).json(&json!({
            "EventId": id, "MessageId": "Base.1.22.Success",
            "OriginOfCondition": "/redfish/v1/Systems/s1-system",
        })))
        .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let got = next_record(&mut stream, Duration::from_secs(2), |rec| {
            rec["EventId"]
                .as_str()
                .is_some_and(|e| e.contains("rack-test-"))
        })
        .await;
        if let Some(record) = got {
            break record;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no rack event at the row within {DEADLINE:?}"
        );
    };
    assert_eq!(
        record["OriginOfCondition"]["@odata.id"], "/redfish/v1/Systems/r1-s1-system",
        "{record}"
    );
    assert!(
        record["EventId"]
            .as_str()
            .is_some_and(|e| e.starts_with("r1-rack-test-")),
        "{record}"
    );
    // The row's subscriber gets the same record (the row's own events may come first).
    let delivered = loop {
        let received = sink.next().await;
        let records = received.body["Events"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if let Some(r) = records
            .into_iter()
            .find(|r| r["EventId"] == record["EventId"])
        {
            break r;
        }
    };
    assert_eq!(
        delivered["OriginOfCondition"]["@odata.id"], "/redfish/v1/Systems/r1-s1-system",
        "{delivered}"
    );

    // A power change at a BMC of rack 1 (a reset through the row): the BMC's event, localized by
    // the rack and again by the row.
    let r = testkit::send(
        row.admin(
            Method::POST,
            "/redfish/v1/Systems/r1-s2-system/Actions/ComputerSystem.Reset",
        )
        .json(&json!({"ResetType": "ForceOff"})),
    )
    .await;
    assert!((200..300).contains(&r.status), "{} {}", r.status, r.body);
    let record = next_record(&mut stream, DEADLINE, |rec| {
        rec["MessageId"]
            .as_str()
            .is_some_and(|m| m.ends_with("ResourcePoweredOff"))
    })
    .await
    .expect("the power event at the row");
    assert_eq!(
        record["OriginOfCondition"]["@odata.id"], "/redfish/v1/Systems/r1-s2-system",
        "{record}"
    );
    assert!(
        record["EventId"]
            .as_str()
            .is_some_and(|e| e.starts_with("r1-s2-")),
        "{record}"
    );
    let text = record.to_string();
    for addr in std::iter::once(r1.base.trim_start_matches("http://").to_owned())
        .chain(r1.sims.iter().map(|s| s.addr().to_string()))
    {
        assert!(!text.contains(&addr), "{addr} leaked: {text}");
    }
    drop(stream);
    teardown(row, vec![r1, r2]).await;
}

/// A BMC that hangs inside a rack costs the row nothing but that BMC's own requests, provided the
/// row waits longer than the rack (`request_timeout_ms` of the row above the racks'): the rack
/// answers 504 and then 503 at once from its own breaker, the row passes that through, and the
/// row's breaker for the rack stays closed, so the rack's other servers answer as usual.
#[tokio::test]
async fn a_hung_bmc_in_a_rack_costs_the_row_nothing_but_its_own_requests() {
    let mut options = StackOptions::rack(2, RACK1);
    options.request_timeout_ms = 1_500;
    let r1 = Stack::start(options).await;
    r1.create_account(ROW_USER, ROW_PASSWORD, "Operator").await;
    r1.wait_for_members("/redfish/v1/Systems", 2).await;
    let mut options = StackOptions::rack(0, Profile::Dmtf);
    options.request_timeout_ms = 6_000;
    options.extra_aggregator_toml = rack_entry("r1", &r1);
    let row = Stack::start(options).await;
    row.wait_for_members("/redfish/v1/Systems", 2).await;

    r1.sims[0].set_fault(Fault::Hang);
    let r = testkit::send(row.admin(Method::GET, "/redfish/v1/Systems/r1-s1-system")).await;
    assert_eq!(
        r.status, 504,
        "the rack's timeout, passed through: {}",
        r.body
    );
    let r = testkit::send(row.admin(Method::GET, "/redfish/v1/Systems/r1-s1-system")).await;
    assert_eq!(
        r.status, 503,
        "the rack's breaker, passed through: {}",
        r.body
    );
    assert!(
        !breaker_open(&row, "r1").await,
        "the row never cut the rack off"
    );
    let (status, body) = row.get("/redfish/v1/Systems/r1-s2-system").await;
    assert_eq!(status, 200, "{body}");
    r1.sims[0].set_fault(Fault::None);
    row.wait_for_status("/redfish/v1/Systems/r1-s1-system", 200, DEADLINE)
        .await;
    teardown(row, vec![r1]).await;
}

/// A rack's TLS front door (what its Apache is in production), with a certificate for
/// 127.0.0.1 signed by a CA of its own: TLS is terminated and the bytes relayed to the rack's
/// frontend. Returns (`https://127.0.0.1:PORT`, the CA's PEM).
async fn tls_front(rack: &Stack) -> (String, String) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Row Test CA");
    let ca_key = KeyPair::generate().expect("ca key");
    let ca_pem = ca_params.self_signed(&ca_key).expect("ca").pem();
    let ca = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("key");
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("params")
        .signed_by(&key, &ca)
        .expect("cert");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("https://{}", listener.local_addr().expect("addr"));
    let backend = rack.base.trim_start_matches("http://").to_owned();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (acceptor, backend) = (acceptor.clone(), backend.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(&backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (url, ca_pem)
}

/// Racks behind TLS: one trusted through its CA (`ca_file`), one by its pinned certificate
/// (`trust_on_first_use`); listing, a reset and events cross both. A source that trusts neither
/// (the system roots) is refused, so the certificate is checked.
#[tokio::test]
async fn racks_behind_tls_are_trusted_by_their_ca_or_a_pinned_certificate() {
    let (r1, r2) = (rack(RACK1, "Operator").await, rack(RACK2, "Operator").await);
    let ((front1, ca1), (front2, _)) = (tls_front(&r1).await, tls_front(&r2).await);
    let dir = tempfile::tempdir().expect("dir");
    let ca_file = dir.path().join("rack1-ca.pem");
    std::fs::write(&ca_file, ca1).expect("write the CA");
    let mut options = StackOptions::rack(0, Profile::Dmtf);
    options.extra_aggregator_toml = format!(
        "retry_max_secs = 2\n\
         [[bmcs]]\nid = \"r1\"\nurl = \"{front1}\"\nusername = \"{ROW_USER}\"\npassword = \"{ROW_PASSWORD}\"\nca_file = \"{}\"\n\
         [[bmcs]]\nid = \"r2\"\nurl = \"{front2}\"\nusername = \"{ROW_USER}\"\npassword = \"{ROW_PASSWORD}\"\ntrust_on_first_use = true\n",
        ca_file.display()
    );
    let row = Stack::start(options).await;
    let systems = row.wait_for_members("/redfish/v1/Systems", 4).await;
    assert_eq!(members(&systems), ROW_SYSTEMS);
    let pinned = row
        .until(&format!("{SOURCES}/r2"), DEADLINE, |s| {
            s["Oem"]["RedDrum"]["CertificateFingerprint"].is_string()
        })
        .await;
    assert_eq!(pinned["Status"]["Health"], "OK", "{pinned}");

    // A reset through TLS reaches its BMC once; rack 1's events arrive over TLS.
    let r = testkit::send(
        row.admin(
            Method::POST,
            "/redfish/v1/Systems/r2-s1-System.Embedded.1/Actions/ComputerSystem.Reset",
        )
        .json(&json!({"ResetType": "ForceRestart"})),
    )
    .await;
    assert!((200..300).contains(&r.status), "{} {}", r.status, r.body);
    let resets = r2.sims[0]
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/ComputerSystem.Reset"))
        .count();
    assert_eq!(resets, 1);
    let r = row
        .admin(Method::GET, SSE)
        .send()
        .await
        .expect("open the row's stream");
    let mut stream = SseReader::new(r);
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let record = loop {
        let r = testkit::send(r1.admin(Method::POST, SUBMIT).json(&json!({
            "EventId": "over-tls", "OriginOfCondition": "/redfish/v1/Systems/s2-system",
        })))
        .await;
        assert_eq!(r.status, 204, "{}", r.body);
        if let Some(record) = next_record(&mut stream, Duration::from_secs(2), |rec| {
            rec["EventId"] == "r1-over-tls"
        })
        .await
        {
            break record;
        }
        assert!(tokio::time::Instant::now() < deadline, "no event over TLS");
    };
    assert_eq!(
        record["OriginOfCondition"]["@odata.id"],
        "/redfish/v1/Systems/r1-s2-system"
    );

    // The same rack added with neither its CA nor a pin: its certificate is refused.
    let r = testkit::send(row.admin(Method::POST, SOURCES).json(&json!({
        "HostName": front1, "UserName": ROW_USER, "Password": ROW_PASSWORD, "Id": "r3",
    })))
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let refused = row
        .until(&format!("{SOURCES}/r3"), DEADLINE, |s| {
            s["Status"]["Health"] == "Critical"
        })
        .await;
    assert_eq!(
        refused["Status"]["State"], "UnavailableOffline",
        "{refused}"
    );
    let (_, systems) = row.get("/redfish/v1/Systems").await;
    assert_eq!(members(&systems), ROW_SYSTEMS, "nothing listed from r3");
    drop(stream);
    teardown(row, vec![r1, r2]).await;
}
