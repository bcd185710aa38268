//! Every profile serves a consistent, navigable tree: every link resolves to 200 on the same BMC.

mod common;

use std::collections::BTreeSet;

use bmc_sim::Profile;
use common::crawl::crawl;
use common::{get, start};
use serde_json::Value;

async fn crawl_profile(profile: Profile) -> Vec<(String, Value)> {
    let h = start(profile).await;
    let visited = crawl(&h).await.visited;
    // The schema link of every visited type resolves too.
    let schemas: BTreeSet<String> = visited
        .iter()
        .filter_map(|(_, b)| b["@odata.type"].as_str())
        .filter_map(|t| {
            t.strip_prefix('#')?
                .rsplit_once('.')
                .map(|(s, _)| s.to_string())
        })
        .collect();
    for s in schemas {
        let (status, _, _) = get(&h, &format!("/redfish/v1/JsonSchemas/{s}")).await;
        assert_eq!(status, 200, "{profile}: schema file {s}");
    }
    assert!(
        visited.len() > 150,
        "{profile}: only {} resources",
        visited.len()
    );
    h.shutdown().await;
    visited
}

fn has_path(visited: &[(String, Value)], needle: &str) -> bool {
    visited.iter().any(|(p, _)| p.contains(needle))
}

#[tokio::test]
async fn dmtf_tree_is_navigable() {
    let v = crawl_profile(Profile::Dmtf).await;
    assert!(has_path(&v, "/redfish/v1/Systems/1/Bios/Settings"));
    assert!(has_path(&v, "/Entries?$skip=100"), "LogEntries are paged");
    assert!(has_path(&v, "/ResetActionInfo"));
}

#[tokio::test]
async fn idrac_tree_is_navigable() {
    let v = crawl_profile(Profile::Idrac).await;
    assert!(has_path(&v, "/redfish/v1/Systems/System.Embedded.1"));
    assert!(has_path(
        &v,
        "/redfish/v1/Managers/iDRAC.Embedded.1/VirtualMedia/CD"
    ));
}

#[tokio::test]
async fn ilo_tree_is_navigable() {
    let v = crawl_profile(Profile::Ilo).await;
    assert!(has_path(&v, "/redfish/v1/Systems/1/"));
}

#[tokio::test]
async fn openbmc_tree_is_navigable() {
    let v = crawl_profile(Profile::OpenBmc).await;
    assert!(has_path(&v, "/redfish/v1/Managers/bmc"));
    assert!(has_path(
        &v,
        "/redfish/v1/Systems/system/VirtualMedia/Slot_0"
    ));
}

#[tokio::test]
async fn supermicro_tree_is_navigable() {
    let v = crawl_profile(Profile::Supermicro).await;
    assert!(has_path(&v, "/redfish/v1/Chassis/1/Sensors"));
}
