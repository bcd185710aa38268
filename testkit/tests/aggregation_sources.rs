//! The DMTF AggregationService: BMCs added, changed and removed at run time through
//! AggregationSources, kept across restarts with their passwords sealed, and their health shown.
//! No BMC password appears in any reply or any log line of the whole stack.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use testkit::bmc_sim::{BmcOptions, Fault, Profile, SimBmc, SimHandle};
use testkit::{Stack, StackOptions};

const SOURCES: &str = "/redfish/v1/AggregationService/AggregationSources";
const SECRET: &str = "Sealed-Pw-4711";

async fn sim(id: &str, password: &str) -> SimHandle {
    let mut o = BmcOptions::new(id, Profile::Dmtf);
    o.password = password.into();
    SimBmc::start(o).await.expect("sim")
}

async fn send(
    stack: &Stack,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut r = stack.admin(method, path);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    assert!(
        !text.contains(SECRET),
        "a reply carried the password: {text}"
    );
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        headers,
    )
}

fn message_id(body: &Value) -> String {
    body["error"]["@Message.ExtendedInfo"][0]["MessageId"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

fn lists(body: &Value, uri: &str) -> bool {
    body["Members"]
        .as_array()
        .is_some_and(|m| m.iter().any(|x| x["@odata.id"] == uri))
}

#[tokio::test]
async fn sources_are_added_changed_removed_and_kept_without_a_password_in_sight() {
    let logs = testkit::logs::capture(tracing::Level::TRACE);
    let mut stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    stack.wait_for_members("/redfish/v1/Systems", 1).await;
    let extra = sim("extra", SECRET).await;
    let other = sim("other", SECRET).await;

    // The service, linked from the ServiceRoot; the config file's BMC is a source already.
    let (_, root, _) = send(&stack, Method::GET, "/redfish/v1", None).await;
    assert_eq!(
        root["AggregationService"]["@odata.id"],
        "/redfish/v1/AggregationService"
    );
    let (_, listed, _) = send(&stack, Method::GET, SOURCES, None).await;
    assert!(lists(&listed, &format!("{SOURCES}/s1")), "{listed}");
    let (_, s1, headers) = send(&stack, Method::GET, &format!("{SOURCES}/s1"), None).await;
    assert_eq!(s1["Password"], Value::Null);
    assert_eq!(s1["Status"]["State"], "Enabled");
    assert_eq!(
        headers["allow"], "GET, HEAD",
        "the config file's BMC is changed there"
    );
    let (status, _, _) = send(&stack, Method::DELETE, &format!("{SOURCES}/s1"), None).await;
    assert_eq!(status, 405);
    let (status, _, _) = send(
        &stack,
        Method::PATCH,
        &format!("{SOURCES}/s1"),
        Some(json!({"UserName": "x"})),
    )
    .await;
    assert_eq!(status, 405);

    // Bad sources are refused, nothing stored.
    for (body, status, id) in [
        (
            json!({"HostName": extra.url(), "UserName": "root"}),
            400,
            "Base.1.22.CreateFailedMissingReqProperties",
        ),
        (
            json!({"HostName": "ftp://10.0.0.1", "UserName": "root", "Password": "x"}),
            400,
            "Base.1.22.PropertyValueFormatError",
        ),
        (
            json!({"HostName": extra.url(), "UserName": "root", "Password": "x", "Id": "bad-id"}),
            400,
            "Base.1.22.PropertyValueFormatError",
        ),
        (
            json!({"HostName": extra.url(), "UserName": "root", "Password": "x", "Id": "s1"}),
            409,
            "Base.1.22.ResourceAlreadyExists",
        ),
        (
            json!({"HostName": extra.url(), "UserName": "root", "Password": "x", "Colour": "red"}),
            400,
            "Base.1.22.PropertyUnknown",
        ),
    ] {
        let (got, reply, _) = send(&stack, Method::POST, SOURCES, Some(body.clone())).await;
        assert_eq!(
            (got, message_id(&reply).as_str()),
            (status, id),
            "{body}: {reply}"
        );
    }
    let (_, listed, _) = send(&stack, Method::GET, SOURCES, None).await;
    assert_eq!(listed["Members@odata.count"], 1);

    // Added: its members appear without a restart.
    let (status, created, headers) = send(
        &stack,
        Method::POST,
        SOURCES,
        Some(json!({"HostName": extra.url(), "UserName": "root", "Password": SECRET, "Id": "s9"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(headers["location"], format!("{SOURCES}/s9").as_str());
    assert_eq!(created["Password"], Value::Null);
    assert_eq!(created["HostName"], extra.url());
    stack
        .until("/redfish/v1/Systems", Duration::from_secs(10), |s| {
            lists(s, "/redfish/v1/Systems/s9-1")
        })
        .await;
    let (status, _, _) = send(&stack, Method::GET, "/redfish/v1/Systems/s9-1", None).await;
    assert_eq!(status, 200);
    let source = stack
        .until(&format!("{SOURCES}/s9"), Duration::from_secs(10), |s| {
            s["Status"]["Health"] == "OK" && s["Status"]["State"] == "Enabled"
        })
        .await;
    assert!(
        source["Links"]["ResourcesAccessed"]
            .as_array()
            .is_some_and(|r| r
                .iter()
                .any(|x| x["@odata.id"] == "/redfish/v1/Systems/s9-1")),
        "{source}"
    );

    // A wrong password: the BMC refuses it, the source says so.
    let (status, _, _) = send(
        &stack,
        Method::PATCH,
        &format!("{SOURCES}/s9"),
        Some(json!({"Password": "wrong"})),
    )
    .await;
    assert_eq!(status, 200);
    let refused = stack
        .until(&format!("{SOURCES}/s9"), Duration::from_secs(10), |s| {
            s["Status"]["Health"] == "Critical"
        })
        .await;
    assert!(
        refused["Status"]["Conditions"]
            .to_string()
            .contains("credentials"),
        "{refused}"
    );
    // Moved to another BMC with the right password: it is logged into afresh and read there.
    let before = other.requests().len();
    let (status, moved, _) = send(
        &stack,
        Method::PATCH,
        &format!("{SOURCES}/s9"),
        Some(json!({"HostName": other.url(), "Password": SECRET})),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["HostName"], other.url());
    stack
        .until(&format!("{SOURCES}/s9"), Duration::from_secs(10), |s| {
            s["Status"]["Health"] == "OK"
        })
        .await;
    assert!(other.requests().len() > before, "the new address is used");
    let (status, _, _) = send(&stack, Method::GET, "/redfish/v1/Systems/s9-1", None).await;
    assert_eq!(status, 200);

    // Kept across a restart, with the password sealed in the state directory.
    stack.restart_services().await;
    stack
        .until("/redfish/v1/Systems", Duration::from_secs(10), |s| {
            lists(s, "/redfish/v1/Systems/s9-1")
        })
        .await;
    let (status, _, _) = send(&stack, Method::GET, "/redfish/v1/Systems/s9-1", None).await;
    assert_eq!(status, 200, "the sealed password still opens the BMC");
    for entry in std::fs::read_dir(stack.aggregator_state.path()).expect("state") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "{} holds the password in clear",
            path.display()
        );
    }

    // Removed: its members leave, and stay gone after a restart.
    let (status, _, _) = send(&stack, Method::DELETE, &format!("{SOURCES}/s9"), None).await;
    assert_eq!(status, 204);
    let (status, _, _) = send(&stack, Method::GET, &format!("{SOURCES}/s9"), None).await;
    assert_eq!(status, 404);
    let (_, systems, _) = send(&stack, Method::GET, "/redfish/v1/Systems", None).await;
    assert!(!lists(&systems, "/redfish/v1/Systems/s9-1"), "{systems}");
    let (status, _, _) = send(&stack, Method::GET, "/redfish/v1/Systems/s9-1", None).await;
    assert_eq!(status, 404);
    stack.restart_services().await;
    let (_, systems, _) = send(&stack, Method::GET, "/redfish/v1/Systems", None).await;
    assert_eq!(systems["Members@odata.count"], 1, "{systems}");

    stack.teardown().await;
    extra.shutdown().await;
    other.shutdown().await;
    let text = logs.text();
    assert!(
        text.lines().count() > 50,
        "the stack logged: {} lines",
        text.lines().count()
    );
    let leaks: Vec<&str> = text.lines().filter(|l| l.contains(SECRET)).collect();
    assert!(leaks.is_empty(), "the password is in the log: {leaks:?}");
}

#[tokio::test]
async fn a_source_shows_why_its_bmc_is_degraded_or_down() {
    let mut options = StackOptions::rack(2, Profile::Dmtf);
    options.path_faults_at_start = vec![(
        "s1".into(),
        "/redfish/v1/UpdateService/FirmwareInventory".into(),
        Fault::Status {
            code: 404,
            redfish_body: true,
        },
    )];
    let stack = Stack::start(options).await;
    stack.wait_for_members("/redfish/v1/Systems", 2).await;
    let degraded = stack
        .until(&format!("{SOURCES}/s1"), Duration::from_secs(10), |s| {
            s["Status"]["Health"] == "Warning"
        })
        .await;
    assert_eq!(degraded["Status"]["State"], "Enabled");
    let conditions = degraded["Status"]["Conditions"].to_string();
    assert!(
        conditions.contains("UpdateService/FirmwareInventory"),
        "{degraded}"
    );
    stack.sims[1].set_fault(Fault::Down);
    let (status, _, _) = send(&stack, Method::GET, "/redfish/v1/Systems/s2-1", None).await;
    assert_eq!(status, 503);
    let down = stack
        .until(&format!("{SOURCES}/s2"), Duration::from_secs(10), |s| {
            s["Status"]["Health"] == "Critical"
        })
        .await;
    assert_eq!(down["Status"]["State"], "UnavailableOffline", "{down}");
    stack.sims[1].set_fault(Fault::None);
    stack
        .until(&format!("{SOURCES}/s2"), Duration::from_secs(10), |s| {
            s["Status"]["Health"] == "OK"
        })
        .await;
    stack.teardown().await;
}
