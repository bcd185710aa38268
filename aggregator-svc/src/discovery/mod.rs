//! Discovery: reads every BMC's ServiceRoot and each top-level collection in which it exposes its
//! own resources, and records the members in the aggregate's URI space. Each BMC is scheduled on
//! its own (at most `discovery_concurrency` at once):
//! - a BMC whose every collection was read is read again every `discovery_interval_secs`;
//! - a BMC that is Down (its ServiceRoot cannot be read), or Degraded (some collections could not
//!   be read: only those are retried), is retried after 1 s, doubling up to `retry_max_secs`, and
//!   re-discovered in full as soon as it answers;
//! - a BMC that refuses the credentials is retried every interval only (each try is a failed
//!   login on the BMC, which would lock its account);
//! - a BMC whose breaker a request just opened is probed at once;
//! - a wake (Manager.Reset, a changed set of BMCs) reads every BMC now.
//!
//! A collection that fails keeps its last known members; a BMC that is down keeps all of them
//! (listed, answering 503 until it is back).

mod downstream;
mod persist;
mod read;

use crate::breaker::{Trip, backoff};
use crate::downstream::Downstream;
use crate::inventory::{BmcEntry, CollectionType, HealthState, Inventory};
use crate::rack::eventlog::EventLog;
use crate::store::Store;
use persist::MemberWriter;
use redfish::collections::AGGREGATED_COLLECTIONS;
use redfish::events::EventMessage;
use redfish::ids::BmcId;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use read::MAX_PAGES;

/// Longest wait before newly found members are served.
const REBUILD_EVERY: Duration = Duration::from_millis(100);

/// What the discovery task needs.
pub struct DiscoveryTask {
    pub inventory: Arc<Inventory>,
    pub store: Store,
    pub interval: Duration,
    /// The longest wait between two tries of a failing BMC (at most `interval`).
    pub retry_max: Duration,
    /// BMCs read at once; None sizes it to the fleet ([`auto_concurrency`]).
    pub concurrency: Option<usize>,
    /// Discovery results go to the aggregator's log when set.
    pub log: Option<EventLog>,
    /// Notified to read every BMC at once (Manager.Reset, config reload, sources changed).
    pub wake: Arc<Notify>,
    /// BMCs whose breaker a request opened.
    pub trips: UnboundedReceiver<BmcId>,
    /// How long reads take, when each BMC was last read, and when the first pass is done.
    pub metrics: Arc<crate::metrics::DiscoveryMetrics>,
}

/// Which collections one run reads.
#[derive(Debug, Clone)]
enum Scope {
    Full,
    /// Only these (the ones failing at the last run), after the ServiceRoot.
    Only(Vec<&'static str>),
}

/// When one BMC is read next.
#[derive(Debug)]
struct Slot {
    due: Instant,
    /// When it is read in full next (the interval), however often failing parts are retried.
    full_due: Instant,
    failures: u32,
    running: bool,
    /// Asked for again while a read ran (a tripped breaker, a lower aggregator's event): read
    /// again as soon as it ends, since the running read may have missed what was asked about.
    again: bool,
}

impl Slot {
    fn now() -> Self {
        let now = Instant::now();
        Slot {
            due: now,
            full_due: now,
            failures: 0,
            running: false,
            again: false,
        }
    }
}

/// Loads what the store remembers, then keeps every BMC discovered until cancelled.
pub async fn run_discovery(task: DiscoveryTask, cancel: CancellationToken) {
    load_remembered(&task.inventory, &task.store).await;
    let DiscoveryTask {
        inventory,
        store,
        interval,
        retry_max,
        concurrency,
        log,
        wake,
        mut trips,
        metrics,
    } = task;
    let retry_max = retry_max.min(interval).max(Duration::from_secs(1));
    let _rebuilder = {
        let inventory = inventory.clone();
        let cancel = cancel.clone();
        tokio::spawn(crate::inventory::run_view_rebuilder(
            inventory,
            REBUILD_EVERY,
            cancel,
        ))
    };
    let writer = Arc::new(MemberWriter::default());
    let writer_task = {
        let (writer, store, cancel) = (writer.clone(), store.clone(), cancel.clone());
        tokio::spawn(async move { writer.run(store, cancel).await })
    };
    let mut slots: HashMap<String, Slot> = HashMap::new();
    let mut jobs: JoinSet<(String, HealthState)> = JoinSet::new();
    // The BMCs configured at start that have not been read once yet (readiness).
    let mut first_pass: Option<HashSet<String>> =
        Some(inventory.bmcs().iter().map(|b| b.id.to_string()).collect());
    loop {
        let bmcs = inventory.bmcs();
        let limit = concurrency.unwrap_or_else(|| auto_concurrency(bmcs.len()));
        slots.retain(|id, _| bmcs.iter().any(|b| b.id.as_str() == id));
        if let Some(pending) = &mut first_pass {
            pending.retain(|id| bmcs.iter().any(|b| b.id.as_str() == id));
            if pending.is_empty() {
                metrics.first_pass_done();
                first_pass = None;
            }
        }
        let now = Instant::now();
        for bmc in &bmcs {
            let slot = slots.entry(bmc.id.to_string()).or_insert_with(Slot::now);
            if slot.running || slot.due > now || jobs.len() >= limit.max(1) {
                continue;
            }
            slot.running = true;
            let scope = scope_for(bmc, slot, now);
            if matches!(scope, Scope::Full) {
                slot.full_due = now + interval;
            }
            let full = matches!(scope, Scope::Full);
            let read = discover_one(
                bmc.clone(),
                inventory.clone(),
                store.clone(),
                writer.clone(),
                log.clone(),
                scope,
            );
            let metrics = metrics.clone();
            jobs.spawn(async move {
                let started = Instant::now();
                let (id, state) = read.await;
                metrics.read_done(&id, full, state, started.elapsed());
                (id, state)
            });
        }
        let next_due = slots.values().filter(|s| !s.running).map(|s| s.due).min();
        tokio::select! {
            () = cancel.cancelled() => {
                // The members found last are stored before shutdown completes.
                let _ = writer_task.await;
                return;
            }
            Some(done) = jobs.join_next(), if !jobs.is_empty() => {
                if let Ok((id, _)) = &done
                    && let Some(pending) = &mut first_pass
                {
                    pending.remove(id);
                }
                if let Ok((id, state)) = done
                    && let Some(slot) = slots.get_mut(&id)
                {
                    reschedule(slot, state, interval, retry_max);
                    // A failing BMC keeps its backoff however often it is asked for.
                    let again = std::mem::take(&mut slot.again) && state == HealthState::Up;
                    if again || tripped_meanwhile(&inventory, &id, state) {
                        slot.due = Instant::now();
                    }
                }
            }
            () = sleep_until(next_due) => {}
            () = wake.notified() => {
                let now = Instant::now();
                for slot in slots.values_mut() {
                    slot.due = now;
                    slot.full_due = now;
                }
            }
            Some(id) = trips.recv() => {
                if let Some(slot) = slots.get_mut(id.as_str()) {
                    slot.due = Instant::now();
                    slot.again = slot.running;
                }
            }
        }
    }
}

/// A request opened the BMC's breaker while its read ran (the read itself found it answering):
/// the trip's wake-up arrived while the read was running, so the probe that closes the breaker
/// is due now, or requests would answer 503 until the next full read. Refused credentials wait
/// for their interval (each try is a failed login).
fn tripped_meanwhile(inventory: &Inventory, id: &str, state: HealthState) -> bool {
    matches!(
        state,
        HealthState::Up | HealthState::Degraded | HealthState::Unknown
    ) && inventory.bmc(id).is_some_and(|bmc| {
        bmc.client
            .breaker()
            .open_trip()
            .is_some_and(|trip| trip != Trip::Unauthorized)
    })
}

/// As many BMCs at once as there are, between 16 and 256: a rack is read in one round, a fleet
/// of thousands in a few, and a switch CPU is not asked for thousands of TLS handshakes at once.
pub fn auto_concurrency(bmcs: usize) -> usize {
    bmcs.clamp(16, 256)
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A failing BMC retries only its failing collections, until its full read is due.
fn scope_for(bmc: &BmcEntry, slot: &Slot, now: Instant) -> Scope {
    let health = bmc.health();
    if health.state != HealthState::Degraded || slot.full_due <= now {
        return Scope::Full;
    }
    let only: Vec<&'static str> = AGGREGATED_COLLECTIONS
        .iter()
        .copied()
        .filter(|c| {
            health.failing.keys().any(|f| {
                c == f
                    || c.strip_prefix(f.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            })
        })
        .collect();
    Scope::Only(only)
}

fn reschedule(slot: &mut Slot, state: HealthState, interval: Duration, retry_max: Duration) {
    let now = Instant::now();
    slot.running = false;
    match state {
        HealthState::Up | HealthState::Unknown => {
            slot.failures = 0;
            slot.due = slot.full_due.max(now);
        }
        HealthState::Degraded | HealthState::Down => {
            slot.due = now + backoff(slot.failures, retry_max);
            slot.failures = slot.failures.saturating_add(1);
            if state == HealthState::Down {
                // Back from down is a full read.
                slot.full_due = now;
            }
        }
        HealthState::Unauthorized => {
            slot.failures = slot.failures.saturating_add(1);
            slot.due = now + interval;
            slot.full_due = now;
        }
    }
}

/// Reads one BMC (the ServiceRoot, then the collections of `scope`), updates the inventory as
/// each collection is known, persists the members, and records the BMC's health.
async fn discover_one(
    bmc: Arc<BmcEntry>,
    inventory: Arc<Inventory>,
    store: Store,
    writer: Arc<MemberWriter>,
    log: Option<EventLog>,
    scope: Scope,
) -> (String, HealthState) {
    let id = bmc.id.to_string();
    let previous = bmc.health();
    if matches!(scope, Scope::Full) {
        bmc.client.retry_login();
    }
    let root = match read::service_root(&bmc).await {
        Ok(root) => root,
        Err(e) => {
            let state = if bmc.client.refuses_credentials(&e) {
                HealthState::Unauthorized
            } else {
                HealthState::Down
            };
            // Until a probe succeeds, requests answer at once instead of waiting on it (a
            // ServiceRoot answering garbage leaves them alone: the rest may still work).
            if let Some(trip) = bmc.client.trip_for(&e) {
                bmc.client.breaker().trip(trip, std::time::Instant::now());
            }
            if bmc.observe(state, Some(e.to_string()), previous.failing.clone()) {
                tracing::warn!(bmc = %id, state = state.as_str(), error = %e, "BMC's ServiceRoot cannot be read; keeping its last known members");
            }
            return (id, state);
        }
    };
    let origins = redfish::self_origin::self_origins(&root);
    if bmc.learn_origins(&origins) {
        tracing::info!(bmc = %id, ?origins, "the BMC names itself so in absolute URLs: they are localized too");
    }
    // It answers: requests may go to it again (at once, so a hung collection read below does
    // not hold them back). Refused credentials stay refused until the collections are read.
    let refused_before = bmc.client.breaker().open_trip() == Some(Trip::Unauthorized);
    if !refused_before {
        close_breaker(&bmc);
    }
    let wanted: Vec<&'static str> = match &scope {
        Scope::Full => AGGREGATED_COLLECTIONS.to_vec(),
        Scope::Only(list) => list.clone(),
    };
    let mut failing: BTreeMap<String, String> = BTreeMap::new();
    let mut refused = None;
    let mut changed = false;
    let mut types: Vec<(String, CollectionType)> = Vec::new();
    let current = |inventory: &Inventory| {
        inventory
            .bmc(&id)
            .is_some_and(|now| Arc::ptr_eq(&now, &bmc))
    };
    let listed: std::collections::HashSet<String> = inventory
        .bmc_members(&id)
        .into_iter()
        .map(|(_, uri)| uri)
        .collect();
    read::collections(&bmc, &root, &wanted, &listed, |r| {
        // A BMC removed or replaced meanwhile: its results are not ours to record.
        if !current(&inventory) {
            return;
        }
        let members = match r.outcome {
            read::Outcome::Found {
                members,
                collection_type,
            } => {
                if let Some(t) = collection_type {
                    types.push((r.name.clone(), t));
                }
                members.into_iter().map(|(_, local)| local).collect()
            }
            read::Outcome::Absent => Vec::new(),
            read::Outcome::Failed(e) => {
                if bmc.client.refuses_credentials(&e) {
                    refused = Some(e.to_string());
                }
                failing.insert(r.name, e.to_string());
                return;
            }
        };
        if inventory.set_collection_members(&id, &r.name, members) {
            changed = true;
            inventory.touch();
        }
    })
    .await;
    if !current(&inventory) {
        return (id, previous.state);
    }
    log_collection_changes(&id, &previous.failing, &failing);
    let below = downstream::read(&bmc, &root, &inventory.bmc_members(&id)).await;
    if !current(&inventory) {
        return (id, previous.state);
    }
    log_downstream_change(&id, bmc.downstream().as_deref(), below.as_ref());
    bmc.set_downstream(below.map(Arc::new));
    for (collection, t) in &types {
        // Each BMC reports the same few types: only a new one is stored.
        if !inventory.learn_type(collection, t.clone()) {
            continue;
        }
        if let Err(e) = store
            .save_collection_type(collection, &t.odata_type, &t.name)
            .await
        {
            tracing::warn!(error = %e, "could not persist a collection type");
        }
    }
    if changed {
        let members = inventory.bmc_members(&id);
        let count = members.len();
        writer.submit(&id, members);
        if let Some(log) = &log {
            log.record(
                EventMessage::aggregation_source_discovered(
                    "Redfish",
                    &format!("BMC {id} ({count} resources)"),
                ),
                None,
            )
            .await;
        }
    }
    let state = if refused.is_some() {
        bmc.client
            .breaker()
            .trip(Trip::Unauthorized, std::time::Instant::now());
        HealthState::Unauthorized
    } else if failing.is_empty() {
        HealthState::Up
    } else {
        HealthState::Degraded
    };
    if refused_before && state != HealthState::Unauthorized {
        close_breaker(&bmc);
    }
    if bmc.observe(state, refused, failing) {
        tracing::info!(bmc = %id, state = state.as_str(), members = inventory.bmc_members(&id).len(), "BMC health changed");
    }
    (id, state)
}

fn close_breaker(bmc: &BmcEntry) {
    let breaker = bmc.client.breaker();
    let was_open = breaker.open_for(std::time::Instant::now());
    if breaker.close() {
        let open_ms = was_open.map_or(0, |d| d.as_millis() as u64);
        tracing::info!(bmc = %bmc.id, open_ms, "circuit closed: the BMC answers again");
    }
}

/// A collection that starts or stops failing is logged once, naming the BMC and the collection.
fn log_collection_changes(
    bmc: &str,
    before: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
) {
    for (collection, reason) in now {
        if !before.contains_key(collection) {
            tracing::warn!(
                bmc,
                collection,
                reason,
                "collection cannot be read; keeping its last known members"
            );
        }
    }
    for collection in before.keys() {
        if !now.contains_key(collection) {
            tracing::info!(bmc, collection, "collection read again");
        }
    }
}

/// A lower aggregator's sources that turn unwell or well again are logged once each.
fn log_downstream_change(bmc: &str, before: Option<&Downstream>, now: Option<&Downstream>) {
    let unwell = |d: Option<&Downstream>| -> BTreeMap<String, String> {
        d.map(|d| {
            d.unwell
                .iter()
                .map(|s| (s.id.clone(), format!("{} {}", s.state, s.health)))
                .collect()
        })
        .unwrap_or_default()
    };
    let (before, now) = (unwell(before), unwell(now));
    for (source, status) in &now {
        if before.get(source) != Some(status) {
            tracing::warn!(
                bmc,
                source,
                status,
                "a source of this aggregator is not well"
            );
        }
    }
    for source in before.keys().filter(|s| !now.contains_key(*s)) {
        tracing::info!(bmc, source, "a source of this aggregator is well again");
    }
}

/// The members remembered from the last run, served until the BMCs answer.
async fn load_remembered(inventory: &Inventory, store: &Store) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_follows_the_fleet_within_bounds() {
        assert_eq!(
            [1, 16, 48, 256, 1000].map(auto_concurrency),
            [16, 16, 48, 256, 256]
        );
    }

    #[test]
    fn failing_bmcs_back_off_and_healthy_ones_wait_the_interval() {
        let interval = Duration::from_secs(300);
        let max = Duration::from_secs(30);
        let mut slot = Slot::now();
        slot.full_due = Instant::now() + interval;
        let mut waits = Vec::new();
        for _ in 0..7 {
            slot.running = true;
            reschedule(&mut slot, HealthState::Down, interval, max);
            assert!(!slot.running);
            waits.push((slot.due - Instant::now()).as_secs_f64().round() as u64);
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
        // Down means the next successful read is a full one.
        assert!(slot.full_due <= Instant::now());

        slot.full_due = Instant::now() + interval;
        reschedule(&mut slot, HealthState::Up, interval, max);
        assert_eq!(slot.failures, 0);
        let wait = (slot.due - Instant::now()).as_secs();
        assert!((298..=300).contains(&wait), "{wait}");

        // Refused credentials: never faster than the interval (account lockouts).
        reschedule(&mut slot, HealthState::Unauthorized, interval, max);
        let wait = (slot.due - Instant::now()).as_secs();
        assert!((298..=300).contains(&wait), "{wait}");
    }
}
