//! Reading a source that is itself an aggregator (see [`crate::downstream`]): one expanded GET
//! of its AggregationSources per read, and each of its own chassis and managers once (those of
//! its sources are told apart by their `<source>-` id and never read), so a row of forty racks
//! costs each rack a few requests per read, not one per server.

use super::read::{MAX_PAGES, READS_AT_ONCE, get_json};
use crate::downstream::{self, Downstream, MemberKind};
use crate::inventory::BmcEntry;
use futures_util::StreamExt;
use redfish::rewrite::delocalize_uri;
use serde_json::Value;
use std::collections::HashSet;

/// Sources whose status is read one by one when the lower aggregator does not expand.
const MAX_SOURCES_READ: usize = 256;
/// Members whose kind is read in one pass; the rest wait for the next read.
const MAX_KINDS_READ: usize = 64;

/// The facts about `bmc` when its ServiceRoot `root` links an AggregationService, else None.
/// `members` are its members as the aggregate lists them: (collection, aggregate URI).
pub async fn read(
    bmc: &BmcEntry,
    root: &Value,
    members: &[(String, String)],
) -> Option<Downstream> {
    let service = downstream::aggregation_service(root)?;
    let mut facts = bmc.downstream().map(|d| (*d).clone()).unwrap_or_default();
    match source_statuses(bmc, service).await {
        Ok(statuses) => {
            facts.source_ids = statuses.iter().map(|(id, _, _)| id.clone()).collect();
            facts.unwell = downstream::unwell(&statuses);
            facts.sources_read = true;
        }
        Err(reason) => {
            // The last known state stays: one failed read is no news about the servers.
            tracing::warn!(bmc = %bmc.id, reason, "the source's own AggregationSources cannot be read");
            facts.sources_read = false;
        }
    }
    let listed: HashSet<&str> = members.iter().map(|(_, uri)| uri.as_str()).collect();
    facts.kinds.retain(|uri, _| listed.contains(uri.as_str()));
    let ctx = bmc.ctx();
    let unknown: Vec<(String, String, String)> = members
        .iter()
        .filter(|(collection, uri)| {
            matches!(collection.as_str(), "Chassis" | "Managers") && !facts.kinds.contains_key(uri)
        })
        .filter_map(|(collection, uri)| {
            let at_source = delocalize_uri(uri, &ctx).ok()??;
            let id = at_source.rsplit('/').next()?.to_owned();
            (!Downstream::is_member_of_a_source(&id, &facts.source_ids))
                .then(|| (collection.clone(), uri.clone(), at_source))
        })
        .take(MAX_KINDS_READ)
        .collect();
    let read: Vec<(String, MemberKind)> = futures_util::stream::iter(unknown)
        .map(|(collection, uri, at_source)| async move {
            let body = get_json(bmc, &at_source).await.ok()?;
            Some((uri, downstream::kind_of(&collection, &body)))
        })
        .buffer_unordered(READS_AT_ONCE)
        .filter_map(|r| async move { r })
        .collect()
        .await;
    facts.kinds.extend(read);
    Some(facts)
}

/// (Id, State, Health) of every source of the lower aggregator.
async fn source_statuses(
    bmc: &BmcEntry,
    service: &str,
) -> Result<Vec<(String, String, String)>, String> {
    let service_body = get_json(bmc, service).await.map_err(|e| e.to_string())?;
    let Some(list) = service_body
        .pointer("/AggregationSources/@odata.id")
        .and_then(Value::as_str)
    else {
        return Ok(Vec::new());
    };
    let mut statuses = Vec::new();
    let mut references = Vec::new();
    let mut page = format!("{list}?$expand=.($levels=1)");
    let mut seen = HashSet::new();
    for _ in 0..MAX_PAGES {
        if !seen.insert(page.clone()) {
            return Err(format!("paging of {list} loops back to {page}"));
        }
        let body = get_json(bmc, &page).await.map_err(|e| e.to_string())?;
        let Some(members) = body.get("Members").and_then(Value::as_array) else {
            return Err(format!("{list}: no Members array"));
        };
        for member in members {
            match downstream::source_status(member) {
                Some(status) => statuses.push(status),
                None => references.extend(
                    member
                        .get("@odata.id")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                ),
            }
        }
        match body.get("Members@odata.nextLink").and_then(Value::as_str) {
            Some(next) => page = next.to_owned(),
            None => break,
        }
    }
    // A lower aggregator that does not expand: each source once (bounded).
    let read: Vec<Option<(String, String, String)>> =
        futures_util::stream::iter(references.into_iter().take(MAX_SOURCES_READ))
            .map(|uri| async move {
                let body = get_json(bmc, &uri).await.ok()?;
                downstream::source_status(&body)
            })
            .buffer_unordered(READS_AT_ONCE)
            .collect()
            .await;
    statuses.extend(read.into_iter().flatten());
    Ok(statuses)
}
