//! Reading one BMC: its ServiceRoot, then each top-level collection it links, each on its own
//! (a few at once), so one collection that answers 404, 500, garbage or nothing at all, or that
//! pages without end, never hides the others.

use crate::error::AggError;
use crate::inventory::{BmcEntry, CollectionType};
use bytes::Bytes;
use futures_util::StreamExt;
use http::Method;
use redfish::rewrite::localize_uri;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Paging bound per collection, so a BMC that pages without end cannot stall discovery.
pub const MAX_PAGES: usize = 200;
/// Requests one BMC's discovery has in flight at once (the client's own cap applies too).
pub const READS_AT_ONCE: usize = 4;
/// Collections whose new members are read once before they are listed: some BMCs list a system,
/// chassis or manager that answers 404, and inventory clients (Ansible, redfish_utilities) stop
/// at the first member they cannot read. Other collections are listed as the BMC lists them.
pub const VERIFIED: &[&str] = &["Chassis", "Managers", "Systems"];

/// Whether the members a source lists are read once before they are listed here: not when the
/// source is a RedDrum aggregate (a rack, read by a row), which lists only members its own
/// discovery has read so. Reading them again costs one request per member through the rack to
/// its BMC: for a row of 40 racks of 48 servers, 5,880 of the row's 6,240 discovery requests
/// (147 per rack: 48 systems, 50 chassis, 49 managers), and the row listed its 1,920 systems
/// 5.7-12.5 s after it started instead of 2.1-4.1 s (scripts/dev/row-scale, README).
fn verifies_members(root: &Value) -> bool {
    root.get("Product").and_then(Value::as_str) != Some(redfish::odata::PRODUCT)
}

/// What became of one collection (or of a service singleton on the way to some).
#[derive(Debug)]
pub enum Outcome {
    /// Read whole: its members (the BMC's URI and the aggregate's, in the BMC's order) and its
    /// type.
    Found {
        members: Vec<(String, String)>,
        collection_type: Option<CollectionType>,
    },
    /// The BMC does not link it: it has none.
    Absent,
    /// It could not be read: its last known members stay.
    Failed(AggError),
}

/// One collection's outcome. `name` is the collection (`Systems`, `UpdateService/FirmwareInventory`)
/// or, when the service singleton on the way failed, that singleton (`UpdateService`), whose
/// collections then all keep what they had.
#[derive(Debug)]
pub struct Read {
    pub name: String,
    pub outcome: Outcome,
}

/// The BMC's ServiceRoot, read past the breaker: this is the probe that tells a BMC is back.
pub async fn service_root(bmc: &BmcEntry) -> Result<Value, AggError> {
    get_json(bmc, "/redfish/v1").await
}

/// Reads `wanted` collections of the BMC whose ServiceRoot is `root`; every outcome is handed to
/// `each` as soon as it is known. The ServiceRoot's own collections (Systems, Chassis, Managers
/// first: what clients look for) are read while the service singletons that lead to the nested
/// ones are still being fetched. `listed` are the members the aggregate lists already (not
/// verified again).
pub async fn collections(
    bmc: &BmcEntry,
    root: &Value,
    wanted: &[&'static str],
    listed: &HashSet<String>,
    mut each: impl FnMut(Read),
) {
    let verify = verifies_members(root);
    let (mut top, nested): (Vec<&'static str>, Vec<&'static str>) =
        wanted.iter().partition(|c| !c.contains('/'));
    top.sort_by_key(|c| !VERIFIED.contains(c));
    let top_places = futures_util::stream::once(async move { locate(bmc, root, &top).await });
    let nested_places = futures_util::stream::once(async move { locate(bmc, root, &nested).await });
    let reads = top_places
        .chain(nested_places)
        .flat_map(futures_util::stream::iter)
        .map(|(name, place)| read_place(bmc, name, place, verify.then_some(listed)))
        .buffer_unordered(READS_AT_ONCE);
    tokio::pin!(reads);
    while let Some(read) = reads.next().await {
        each(read);
    }
}

/// What became of one located collection (read now when it is there). `verify`: the members
/// listed already, when new members of [`VERIFIED`] collections are to be read once first.
async fn read_place(
    bmc: &BmcEntry,
    name: String,
    place: Place,
    verify: Option<&HashSet<String>>,
) -> Read {
    let outcome = match place {
        Place::Absent => Outcome::Absent,
        Place::Failed(e) => Outcome::Failed(e),
        Place::At(path) => match (read_collection(bmc, &path).await, verify) {
            (
                Ok(Outcome::Found {
                    members,
                    collection_type,
                }),
                Some(listed),
            ) if VERIFIED.contains(&name.as_str()) => Outcome::Found {
                members: without_ghosts(bmc, &name, members, listed).await,
                collection_type,
            },
            (Ok(found), _) => found,
            (Err(e), _) => Outcome::Failed(e),
        },
    };
    Read { name, outcome }
}

/// `members` less those the BMC answers 404 or 410 for (read once each, unless already listed).
async fn without_ghosts(
    bmc: &BmcEntry,
    collection: &str,
    members: Vec<(String, String)>,
    listed: &HashSet<String>,
) -> Vec<(String, String)> {
    let checks = futures_util::stream::iter(members)
        .map(|(bmc_uri, local)| async move {
            if listed.contains(&local) {
                return Some((bmc_uri, local));
            }
            let path = bmc_relative(bmc, &bmc_uri);
            match bmc
                .client
                .send_past_breaker(Method::GET, &path, &[], Bytes::new())
                .await
            {
                Ok(r) if r.status == http::StatusCode::NOT_FOUND || r.status == http::StatusCode::GONE => {
                    tracing::warn!(bmc = %bmc.id, collection, member = %path, status = r.status.as_u16(), "a listed member is not there; not listed");
                    None
                }
                // Anything else (even a failure to read it now) is no proof it is absent.
                _ => Some((bmc_uri, local)),
            }
        })
        .buffered(READS_AT_ONCE);
    checks.filter_map(|m| async move { m }).collect().await
}

enum Place {
    At(String),
    Absent,
    Failed(AggError),
}

/// Where each wanted collection is, following its segments from the ServiceRoot
/// ("UpdateService/FirmwareInventory" is root.UpdateService -> .FirmwareInventory). The service
/// singletons on the way are read once each, those of one level at once. A singleton that fails
/// is reported once, under its own name, and its collections are not reported at all.
async fn locate(bmc: &BmcEntry, root: &Value, wanted: &[&'static str]) -> Vec<(String, Place)> {
    let mut out = Vec::new();
    // (collection, its remaining segments, the link to follow them from)
    let mut pending: Vec<(&'static str, Vec<&'static str>, String)> = Vec::new();
    for collection in wanted {
        let mut segments: Vec<&'static str> = collection.split('/').collect();
        let first = segments.remove(0);
        match root.get(first).and_then(odata_link) {
            None => out.push(((*collection).to_owned(), Place::Absent)),
            Some(link) if segments.is_empty() => {
                out.push(((*collection).to_owned(), Place::At(link)))
            }
            Some(link) => pending.push((collection, segments, link)),
        }
    }
    let mut failed_singletons = HashSet::new();
    while !pending.is_empty() {
        let links: HashSet<String> = pending.iter().map(|(_, _, l)| l.clone()).collect();
        let fetched: HashMap<String, Result<Value, AggError>> = futures_util::stream::iter(links)
            .map(|link| async move {
                let body = get_json(bmc, &link).await;
                (link, body)
            })
            .buffer_unordered(READS_AT_ONCE)
            .collect()
            .await;
        let mut next = Vec::new();
        for (collection, mut segments, link) in pending {
            let parent_name = parent_of(collection, segments.len());
            match fetched.get(&link) {
                Some(Ok(parent)) => {
                    let segment = segments.remove(0);
                    match parent.get(segment).and_then(odata_link) {
                        None => out.push((collection.to_owned(), Place::Absent)),
                        Some(l) if segments.is_empty() => {
                            out.push((collection.to_owned(), Place::At(l)))
                        }
                        Some(l) => next.push((collection, segments, l)),
                    }
                }
                Some(Err(e)) if failed_singletons.insert(parent_name.clone()) => {
                    out.push((parent_name, Place::Failed(e.clone())));
                }
                Some(Err(_)) | None => {}
            }
        }
        pending = next;
    }
    out
}

/// "UpdateService" for ("UpdateService/FirmwareInventory", 1 segment left).
fn parent_of(collection: &str, remaining: usize) -> String {
    let segments: Vec<&str> = collection.split('/').collect();
    segments[..segments.len() - remaining].join("/")
}

/// Reads a collection page by page: a page seen twice or more than [`MAX_PAGES`] pages is a
/// failure (the members read so far are not served as if they were all).
async fn read_collection(bmc: &BmcEntry, path: &str) -> Result<Outcome, AggError> {
    let mut seen = HashSet::new();
    let mut page = path.to_owned();
    let mut members = Vec::new();
    let mut collection_type = None;
    for _ in 0..MAX_PAGES {
        if !seen.insert(page.clone()) {
            return Err(bad_reply(
                bmc,
                format!("paging of {path} loops back to {page}"),
            ));
        }
        let body = get_json(bmc, &page).await?;
        if collection_type.is_none()
            && let (Some(t), Some(n)) = (
                body.get("@odata.type").and_then(Value::as_str),
                body.get("Name").and_then(Value::as_str),
            )
        {
            collection_type = Some(CollectionType {
                odata_type: t.to_owned(),
                name: n.to_owned(),
            });
        }
        let Some(list) = body.get("Members").and_then(Value::as_array) else {
            return Err(bad_reply(bmc, format!("GET {page}: no Members array")));
        };
        let ctx = bmc.ctx();
        members.extend(
            list.iter()
                .filter_map(|m| m.get("@odata.id").and_then(Value::as_str))
                .filter_map(|uri| localize_uri(uri, &ctx).map(|local| (uri.to_owned(), local))),
        );
        match body.get("Members@odata.nextLink").and_then(Value::as_str) {
            Some(next) => page = bmc_relative(bmc, next),
            None => {
                return Ok(Outcome::Found {
                    members,
                    collection_type,
                });
            }
        }
    }
    Err(bad_reply(
        bmc,
        format!("{path} pages past {MAX_PAGES} pages"),
    ))
}

fn bad_reply(bmc: &BmcEntry, reason: String) -> AggError {
    AggError::BmcBadReply {
        bmc: bmc.id.to_string(),
        reason,
    }
}

fn odata_link(v: &Value) -> Option<String> {
    v.get("@odata.id")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// A BMC link as a path on that BMC (absolute URLs with one of its own origins made relative).
fn bmc_relative(bmc: &BmcEntry, uri: &str) -> String {
    bmc.ctx().relative(uri).unwrap_or(uri).to_owned()
}

/// GET past the breaker: discovery is how a BMC with an open breaker is found to be back.
pub(super) async fn get_json(bmc: &BmcEntry, path: &str) -> Result<Value, AggError> {
    let path = bmc_relative(bmc, path);
    let reply = bmc
        .client
        .send_past_breaker(Method::GET, &path, &[], Bytes::new())
        .await?;
    if !reply.status.is_success() {
        return Err(bad_reply(
            bmc,
            format!("GET {path} answered {}", reply.status),
        ));
    }
    serde_json::from_slice(&reply.body)
        .map_err(|e| bad_reply(bmc, format!("GET {path}: invalid JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_verified_unless_the_source_is_a_reddrum_aggregate() {
        let bmc = serde_json::json!({"Product": "PowerEdge R750", "Vendor": "Dell"});
        let rack = serde_json::json!({"Product": redfish::odata::PRODUCT, "Vendor": "RedDrum"});
        assert!(verifies_members(&bmc));
        assert!(verifies_members(&serde_json::json!({})));
        assert!(!verifies_members(&rack));
    }

    #[test]
    fn the_parent_of_a_nested_collection() {
        assert_eq!(
            parent_of("UpdateService/FirmwareInventory", 1),
            "UpdateService"
        );
        assert_eq!(parent_of("JobService/Log/Entries", 2), "JobService");
        assert_eq!(parent_of("JobService/Log/Entries", 1), "JobService/Log");
    }
}
