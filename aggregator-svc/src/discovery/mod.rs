//! Discovery: log in to every BMC in parallel (bounded), read its ServiceRoot and every top-level
//! collection in which it exposes its own resources, and record the members in the aggregate's URI
//! space. Runs at start and then every `discovery_interval_secs`; a BMC that fails keeps its last
//! known members (listed, and answering 503 until it is back).

use crate::error::AggError;
use crate::inventory::{BmcEntry, CollectionType, HealthState, Inventory};
use crate::rack::eventlog::EventLog;
use crate::store::Store;
use bytes::Bytes;
use futures_util::StreamExt;
use http::Method;
use redfish::collections::AGGREGATED_COLLECTIONS;
use redfish::events::EventMessage;
use redfish::rewrite::localize_uri;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Paging bound per collection, so a BMC that loops its nextLink cannot stall discovery.
const MAX_PAGES: usize = 200;
/// Longest wait, during a discovery pass, before newly found members are served.
const REBUILD_EVERY: Duration = Duration::from_millis(200);

/// What one BMC exposes.
#[derive(Debug, Default)]
pub struct Discovered {
    /// (collection, aggregate member URI), in the BMC's order.
    pub members: Vec<(String, String)>,
    pub types: Vec<(String, CollectionType)>,
}

/// Reads one BMC's collections.
pub async fn discover_bmc(bmc: &BmcEntry) -> Result<Discovered, AggError> {
    let mut fetched: HashMap<String, Value> = HashMap::new();
    let root = get_json(bmc, "/redfish/v1").await?;
    let mut out = Discovered::default();
    for collection in AGGREGATED_COLLECTIONS {
        let Some(path) = resolve_collection_path(bmc, &root, collection, &mut fetched).await else {
            continue;
        };
        let mut page = path;
        let mut first = true;
        for _ in 0..MAX_PAGES {
            let body = get_json(bmc, &page).await?;
            if first {
                if let (Some(t), Some(n)) = (
                    body.get("@odata.type").and_then(Value::as_str),
                    body.get("Name").and_then(Value::as_str),
                ) {
                    out.types.push((
                        (*collection).to_owned(),
                        CollectionType {
                            odata_type: t.to_owned(),
                            name: n.to_owned(),
                        },
                    ));
                }
                first = false;
            }
            for member in body
                .get("Members")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                if let Some(uri) = member.get("@odata.id").and_then(Value::as_str)
                    && let Some(local) = localize_uri(uri, &bmc.ctx)
                {
                    out.members.push(((*collection).to_owned(), local));
                }
            }
            match body.get("Members@odata.nextLink").and_then(Value::as_str) {
                Some(next) => page = bmc_relative(bmc, next),
                None => break,
            }
        }
    }
    Ok(out)
}

/// Follows `collection`'s segments from the ServiceRoot ("UpdateService/FirmwareInventory" is
/// root.UpdateService -> .FirmwareInventory), fetching intermediate singletons once per pass.
async fn resolve_collection_path(
    bmc: &BmcEntry,
    root: &Value,
    collection: &str,
    fetched: &mut HashMap<String, Value>,
) -> Option<String> {
    let mut segments = collection.split('/');
    let first = segments.next()?;
    let mut link = odata_link(root.get(first)?)?;
    for segment in segments {
        let parent = match fetched.get(&link) {
            Some(v) => v.clone(),
            None => {
                let v = get_json(bmc, &link).await.ok()?;
                fetched.insert(link.clone(), v.clone());
                v
            }
        };
        link = odata_link(parent.get(segment)?)?;
    }
    Some(link)
}

fn odata_link(v: &Value) -> Option<String> {
    v.get("@odata.id")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// A BMC link as a path on that BMC (absolute URLs with its own origin made relative).
fn bmc_relative(bmc: &BmcEntry, uri: &str) -> String {
    uri.strip_prefix(bmc.client.origin())
        .map(str::to_owned)
        .unwrap_or_else(|| uri.to_owned())
}

async fn get_json(bmc: &BmcEntry, path: &str) -> Result<Value, AggError> {
    let path = bmc_relative(bmc, path);
    let reply = bmc
        .client
        .send(Method::GET, &path, &[], Bytes::new())
        .await?;
    if !reply.status.is_success() {
        return Err(AggError::BmcBadReply {
            bmc: bmc.id.to_string(),
            reason: format!("GET {path} answered {}", reply.status),
        });
    }
    serde_json::from_slice(&reply.body).map_err(|e| AggError::BmcBadReply {
        bmc: bmc.id.to_string(),
        reason: format!("GET {path}: invalid JSON: {e}"),
    })
}

/// One pass over every BMC, `concurrency` at a time. The view is rebuilt as results arrive so
/// fast BMCs are listed without waiting for slow ones.
pub async fn discovery_pass(
    inventory: &Arc<Inventory>,
    store: &Store,
    concurrency: usize,
    log: Option<&EventLog>,
) {
    let started = std::time::Instant::now();
    let results = futures_util::stream::iter(inventory.bmcs())
        .map(|bmc| async move {
            let result = discover_bmc(&bmc).await;
            (bmc, result)
        })
        .buffer_unordered(concurrency.max(1));
    tokio::pin!(results);
    let (mut up, mut down) = (0usize, 0usize);
    // Rebuilding the merged view is O(all members): at most every REBUILD_EVERY during a pass,
    // so a rack of thousands of BMCs is not rebuilt once per BMC.
    let mut last_rebuild = std::time::Instant::now();
    while let Some((bmc, result)) = results.next().await {
        match result {
            Ok(found) => {
                up += 1;
                if bmc.observe(HealthState::Up) {
                    tracing::info!(bmc = %bmc.id, members = found.members.len(), "BMC is up");
                }
                for (collection, t) in &found.types {
                    inventory.learn_type(collection, t.clone());
                    if let Err(e) = store
                        .save_collection_type(collection, &t.odata_type, &t.name)
                        .await
                    {
                        tracing::warn!(error = %e, "could not persist collection type");
                    }
                }
                if let Err(e) = store
                    .replace_members(bmc.id.as_str(), found.members.clone())
                    .await
                {
                    tracing::warn!(bmc = %bmc.id, error = %e, "could not persist members");
                }
                let known: Vec<String> = found
                    .members
                    .iter()
                    .map(|(c, uri)| format!("{c} {uri}"))
                    .collect();
                if let Some(log) = log
                    && known != inventory.member_keys(bmc.id.as_str())
                {
                    log.record(
                        EventMessage::aggregation_source_discovered(
                            "Redfish",
                            &format!("BMC {} ({} resources)", bmc.id, found.members.len()),
                        ),
                        None,
                    )
                    .await;
                }
                inventory.set_members(bmc.id.as_str(), found.members);
            }
            Err(e) => {
                down += 1;
                if bmc.observe(HealthState::Down) {
                    tracing::warn!(bmc = %bmc.id, error = %e, "BMC is down; keeping its last known members");
                }
            }
        }
        if last_rebuild.elapsed() >= REBUILD_EVERY {
            inventory.rebuild_view();
            last_rebuild = std::time::Instant::now();
        }
    }
    inventory.rebuild_view();
    tracing::info!(
        up,
        down,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "discovery pass finished"
    );
}

/// What the discovery task needs.
pub struct DiscoveryTask {
    pub inventory: Arc<Inventory>,
    pub store: Store,
    pub interval: Duration,
    pub concurrency: usize,
    /// Discovery results go to the aggregator's log when set.
    pub log: Option<EventLog>,
    /// Notified to start a pass at once (Manager.Reset, config reload).
    pub wake: Arc<Notify>,
}

/// Loads what the store remembers, then discovers now, every `interval`, and whenever woken,
/// until cancelled.
pub async fn run_discovery(task: DiscoveryTask, cancel: CancellationToken) {
    let DiscoveryTask {
        inventory,
        store,
        interval,
        concurrency,
        log,
        wake,
    } = task;
    match store.load_members().await {
        Ok(rows) => {
            let mut per_bmc: HashMap<String, Vec<(String, String)>> = HashMap::new();
            for m in rows {
                per_bmc
                    .entry(m.bmc_id)
                    .or_default()
                    .push((m.collection, m.odata_id));
            }
            for (bmc, members) in per_bmc {
                // Members of BMCs no longer configured are forgotten, not served.
                if inventory.bmc(&bmc).is_some() {
                    inventory.set_members(&bmc, members);
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not load remembered members"),
    }
    if let Ok(types) = store.load_collection_types().await {
        for (collection, odata_type, name) in types {
            inventory.learn_type(&collection, CollectionType { odata_type, name });
        }
    }
    inventory.rebuild_view();
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = discovery_pass(&inventory, &store, concurrency, log.as_ref()) => {}
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
            () = wake.notified() => {}
        }
    }
}
