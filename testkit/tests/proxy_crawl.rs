//! Every link reachable from the ServiceRoot resolves through the aggregator, and no reply shows a
//! BMC's address or an unprefixed member path, for every bmc-sim vendor profile.

use testkit::bmc_sim::Profile;
use testkit::{Stack, StackOptions, crawl};

/// Collections whose member ids must carry a BMC prefix in the aggregate.
const PREFIXED: &[&str] = &[
    "/redfish/v1/Systems/",
    "/redfish/v1/Chassis/",
    "/redfish/v1/Managers/",
    "/redfish/v1/UpdateService/FirmwareInventory/",
    "/redfish/v1/TaskService/Tasks/",
    "/redfish/v1/UpdateService/SoftwareInventory/",
];

async fn crawl_profile(profile: Profile, tls: bool) {
    let mut options = StackOptions::rack(2, profile);
    options.tls = tls;
    let stack = Stack::start(options).await;
    stack.wait_for_members("/redfish/v1/Systems", 2).await;
    let resources = crawl(&stack, "/redfish/v1", 600).await;
    assert!(
        resources.len() > 30,
        "{profile:?}: crawl found only {} resources",
        resources.len()
    );
    let addresses: Vec<String> = stack.sims.iter().map(|s| s.addr().to_string()).collect();
    let mut failures = Vec::new();
    for (path, status, body) in &resources {
        if *status != 200 {
            failures.push(format!("{path}: {status} {body}"));
            continue;
        }
        let text = body.to_string();
        // A BMC's Redfish URIs never show through. (Out-of-band links such as a BMC's web-GUI
        // launch URL are kept as the BMC gave them: the aggregate has nothing to serve there.)
        for addr in &addresses {
            if text.contains(&format!("{addr}/redfish")) {
                failures.push(format!("{path}: shows a BMC Redfish URI on {addr}"));
            }
        }
        for link in testkit::links_in(body) {
            for prefix in PREFIXED {
                if let Some(rest) = link.strip_prefix(prefix) {
                    let member = rest.split('/').next().unwrap_or("");
                    // The aggregate's own members (the rack's resources, its local tasks)
                    // have no BMC prefix; they are crawled like every other link.
                    let local = LOCAL_MEMBERS.contains(&member)
                        || member
                            .strip_prefix("Task")
                            .is_some_and(|n| n.parse::<u64>().is_ok());
                    if !(member.is_empty()
                        || local
                        || member.starts_with("s1-")
                        || member.starts_with("s2-"))
                    {
                        failures.push(format!("{path}: unprefixed member link {link}"));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{profile:?} (tls {tls}):\n{}",
        failures.join("\n")
    );
    stack.teardown().await;
}

/// Ids of the aggregate's own members of aggregated collections (testkit's default config).
const LOCAL_MEMBERS: &[&str] = &["Rack1", "MgtSwitch", "Aggregator"];

#[tokio::test]
async fn crawl_dmtf() {
    crawl_profile(Profile::Dmtf, false).await;
}

#[tokio::test]
async fn crawl_idrac_over_https() {
    crawl_profile(Profile::Idrac, true).await;
}

#[tokio::test]
async fn crawl_ilo() {
    crawl_profile(Profile::Ilo, true).await;
}

#[tokio::test]
async fn crawl_openbmc() {
    crawl_profile(Profile::OpenBmc, false).await;
}

#[tokio::test]
async fn crawl_supermicro() {
    crawl_profile(Profile::Supermicro, true).await;
}
