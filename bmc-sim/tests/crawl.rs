//! Every profile serves a consistent, navigable tree: every link resolves to 200 on the same BMC.

mod common;

use std::collections::{BTreeSet, VecDeque};

use bmc_sim::{Profile, SimHandle};
use common::{get, start};
use serde_json::Value;

/// Keys whose string values are links to GETtable resources.
fn is_link_key(k: &str) -> bool {
    k == "@odata.id"
        || k == "Members@odata.nextLink"
        || k == "@Redfish.ActionInfo"
        || k == "DataSourceUri"
        || k.ends_with("@odata.navigationLink")
}

fn collect(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                match val {
                    Value::String(s) if is_link_key(k) => out.push(s.clone()),
                    _ => collect(val, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
        _ => {}
    }
}

/// Normalises a link to a path on this BMC; panics on links to other hosts.
fn local(h: &SimHandle, link: &str) -> Option<String> {
    if link.contains('#') {
        return None;
    }
    if let Some(rest) = link.strip_prefix(&h.url()) {
        return Some(rest.to_string());
    }
    assert!(
        link.starts_with('/'),
        "link {link} points outside this BMC ({})",
        h.url()
    );
    Some(link.to_string())
}

/// Crawls the whole tree; returns every path visited with its body.
async fn crawl(h: &SimHandle) -> Vec<(String, Value)> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from(["/redfish/v1".to_string()]);
    let mut visited = Vec::new();
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let (status, headers, body) = get(h, &path).await;
        assert_eq!(status, 200, "{}: GET {path} -> {status}: {body}", h.url());
        assert!(headers.contains_key("etag"), "{path} has no ETag");
        assert!(headers.contains_key("allow"), "{path} has no Allow");
        let odata_type = body["@odata.type"].as_str().unwrap_or_default();
        if !odata_type.is_empty() {
            let link = headers
                .get("link")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            assert!(
                link.contains("rel=describedby") && link.contains("/redfish/v1/JsonSchemas/"),
                "{path}: Link header {link:?}"
            );
        }
        let mut links = Vec::new();
        collect(&body, &mut links);
        for l in links {
            if let Some(p) = local(h, &l) {
                if !seen.contains(&p) {
                    queue.push_back(p);
                }
            }
        }
        visited.push((path, body));
    }
    visited
}

async fn crawl_profile(profile: Profile) -> Vec<(String, Value)> {
    let h = start(profile).await;
    let visited = crawl(&h).await;
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
