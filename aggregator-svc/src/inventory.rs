//! The in-memory inventory every request reads: the configured BMCs (client, localizer context,
//! health) and the merged collections, pre-serialized so a collection GET never waits on a BMC.
//! Discovery writes here (and through to the store); requests only read. The aggregate's own
//! members (the rack, the switch, the manager, local tasks) are listed first in their collections.
//! The set of BMCs can be replaced at run time (a config reload).

use crate::bmc_client::BmcClient;
use crate::downstream::{Downstream, MemberKind};
use bytes::Bytes;
use redfish::ids::BmcId;
use redfish::rewrite::BmcContext;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthState {
    /// Not contacted yet since start.
    Unknown,
    /// Its ServiceRoot and every collection it links were read.
    Up,
    /// Its ServiceRoot answers, but some collections it links could not be read.
    Degraded,
    /// Its ServiceRoot cannot be read (unreachable, hung, garbage).
    Down,
    /// It refuses the aggregator's credentials.
    Unauthorized,
}

impl HealthState {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Unknown => "Unknown",
            HealthState::Up => "Up",
            HealthState::Degraded => "Degraded",
            HealthState::Down => "Down",
            HealthState::Unauthorized => "Unauthorized",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Health {
    pub state: HealthState,
    pub since: SystemTime,
    /// Why it is Down or Unauthorized (for operators; may name the BMC's address).
    pub reason: Option<String>,
    /// Collections that could not be read at the last attempt, with why.
    pub failing: BTreeMap<String, String>,
}

impl Health {
    fn new(state: HealthState) -> Self {
        Health {
            state,
            since: SystemTime::now(),
            reason: None,
            failing: BTreeMap::new(),
        }
    }
}

/// A BMC's health changed: (BMC id, previous state, new state). Consumed by the event log.
pub type HealthEvents = tokio::sync::mpsc::UnboundedSender<(BmcId, HealthState, HealthState)>;

pub struct BmcEntry {
    pub id: BmcId,
    pub client: Arc<BmcClient>,
    /// The localizer's context: the configured origin plus the names the BMC gives itself.
    ctx: RwLock<Arc<BmcContext>>,
    /// The PDU socket feeding this server (the reseat action's `{socket}`).
    pub pdu_socket: Option<String>,
    health: RwLock<Health>,
    events: Option<HealthEvents>,
    /// What it tells of its own sources when it is itself an aggregator (a rack under a row).
    downstream: RwLock<Option<Arc<Downstream>>>,
}

impl BmcEntry {
    pub fn new(client: Arc<BmcClient>) -> Self {
        Self::with_options(client, None, None)
    }

    pub fn with_options(
        client: Arc<BmcClient>,
        pdu_socket: Option<String>,
        events: Option<HealthEvents>,
    ) -> Self {
        let id = client.id().clone();
        let ctx = RwLock::new(Arc::new(BmcContext::new(
            &id,
            &[client.origin().to_owned()],
        )));
        BmcEntry {
            id,
            client,
            ctx,
            pdu_socket,
            health: RwLock::new(Health::new(HealthState::Unknown)),
            events,
            downstream: RwLock::new(None),
        }
    }

    /// The localizer's context now.
    pub fn ctx(&self) -> Arc<BmcContext> {
        self.ctx
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Adds origins by which the BMC names itself (from its ServiceRoot) to those its absolute
    /// URLs are localized from; true when one was new.
    pub fn learn_origins(&self, learned: &[String]) -> bool {
        let current = self.ctx();
        let mut known: Vec<String> = current.origins().to_vec();
        let mut new = false;
        for origin in learned {
            if !BmcContext::new(&self.id, std::slice::from_ref(origin))
                .origins()
                .iter()
                .all(|o| known.contains(o))
            {
                known.push(origin.clone());
                new = true;
            }
        }
        if new && let Ok(mut c) = self.ctx.write() {
            *c = Arc::new(BmcContext::new(&self.id, &known));
        }
        new
    }

    /// Carries the health known so far over to a replacement entry (config reload).
    pub fn inherit_health(&self, from: &BmcEntry) {
        if let Ok(mut h) = self.health.write() {
            *h = from.health();
        }
        self.set_downstream(from.downstream());
    }

    /// What it tells of its own sources; None for a BMC.
    pub fn downstream(&self) -> Option<Arc<Downstream>> {
        self.downstream.read().ok().and_then(|d| d.clone())
    }

    pub fn set_downstream(&self, facts: Option<Arc<Downstream>>) {
        if let Ok(mut d) = self.downstream.write() {
            *d = facts;
        }
    }

    /// Its health as a Redfish Health, its sources' included when it is an aggregator.
    pub fn rollup(&self) -> &'static str {
        match self.health().state {
            HealthState::Down | HealthState::Unauthorized => "Critical",
            HealthState::Degraded => "Warning",
            HealthState::Up | HealthState::Unknown => {
                self.downstream().map_or("OK", |d| d.rollup())
            }
        }
    }

    pub fn health(&self) -> Health {
        self.health
            .read()
            .map(|h| h.clone())
            .unwrap_or_else(|_| Health::new(HealthState::Unknown))
    }

    /// Records a health observation: the state, why (Down, Unauthorized) and the collections
    /// failing (Degraded). Returns true when the state changed (worth a log line).
    pub fn observe(
        &self,
        state: HealthState,
        reason: Option<String>,
        failing: BTreeMap<String, String>,
    ) -> bool {
        let Ok(mut h) = self.health.write() else {
            return false;
        };
        h.reason = reason;
        h.failing = failing;
        if h.state == state {
            return false;
        }
        let previous = h.state;
        h.state = state;
        h.since = SystemTime::now();
        drop(h);
        if let Some(tx) = &self.events {
            // The receiver lives as long as the service; a send after shutdown is moot.
            let _ = tx.send((self.id.clone(), previous, state));
        }
        true
    }
}

/// `@odata.type` and `Name` for a merged collection, learned from the BMCs (or the defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionType {
    pub odata_type: String,
    pub name: String,
}

/// Collections the aggregate always serves, even before any BMC answered.
pub const ALWAYS_SERVED: &[(&str, &str, &str)] = &[
    (
        "Chassis",
        "#ChassisCollection.ChassisCollection",
        "Chassis Collection",
    ),
    (
        "Managers",
        "#ManagerCollection.ManagerCollection",
        "Manager Collection",
    ),
    (
        "Systems",
        "#ComputerSystemCollection.ComputerSystemCollection",
        "Computer System Collection",
    ),
    (
        "TaskService/Tasks",
        "#TaskCollection.TaskCollection",
        "Task Collection",
    ),
    (
        "UpdateService/FirmwareInventory",
        "#SoftwareInventoryCollection.SoftwareInventoryCollection",
        "Firmware Inventory Collection",
    ),
    (
        "UpdateService/SoftwareInventory",
        "#SoftwareInventoryCollection.SoftwareInventoryCollection",
        "Software Inventory Collection",
    ),
];

/// One merged collection, ready to serve.
#[derive(Debug, Clone)]
pub struct CollectionDoc {
    pub odata_id: String,
    pub odata_type: String,
    pub name: String,
    pub members: Vec<String>,
    /// The whole GET body, built once per change.
    pub body: Bytes,
}

#[derive(Default)]
struct Discovered {
    /// Per BMC: (collection, aggregate member URI) in the BMC's order.
    members: HashMap<String, Vec<(String, String)>>,
    types: HashMap<String, CollectionType>,
}

#[derive(Default)]
struct BmcSet {
    /// In configuration order; the order members are listed in.
    list: Vec<Arc<BmcEntry>>,
    by_id: HashMap<String, Arc<BmcEntry>>,
}

impl BmcSet {
    fn new(list: Vec<Arc<BmcEntry>>) -> Self {
        let by_id = list
            .iter()
            .map(|b| (b.id.as_str().to_owned(), b.clone()))
            .collect();
        BmcSet { list, by_id }
    }
}

pub struct Inventory {
    bmcs: RwLock<Arc<BmcSet>>,
    discovered: RwLock<Discovered>,
    /// The aggregate's own members per collection, listed before the BMCs'.
    local: RwLock<HashMap<String, Vec<String>>>,
    view: RwLock<Arc<HashMap<String, CollectionDoc>>>,
    /// Notified by [`Inventory::touch`].
    dirty: tokio::sync::Notify,
    /// Every BMC client reports here when its breaker opens; discovery takes the receiver.
    trip_tx: tokio::sync::mpsc::UnboundedSender<BmcId>,
    trip_rx: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<BmcId>>>,
}

impl Inventory {
    pub fn new(bmcs: Vec<Arc<BmcEntry>>) -> Self {
        let (trip_tx, trip_rx) = tokio::sync::mpsc::unbounded_channel();
        for bmc in &bmcs {
            bmc.client.on_trip(trip_tx.clone());
        }
        let inv = Inventory {
            bmcs: RwLock::new(Arc::new(BmcSet::new(bmcs))),
            discovered: RwLock::new(Discovered::default()),
            local: RwLock::new(HashMap::new()),
            view: RwLock::new(Arc::new(HashMap::new())),
            dirty: tokio::sync::Notify::new(),
            trip_tx,
            trip_rx: std::sync::Mutex::new(Some(trip_rx)),
        };
        inv.rebuild_view();
        inv
    }

    fn set(&self) -> Arc<BmcSet> {
        self.bmcs.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Every configured BMC, in configuration order.
    pub fn bmcs(&self) -> Vec<Arc<BmcEntry>> {
        self.set().list.clone()
    }

    pub fn bmc(&self, id: &str) -> Option<Arc<BmcEntry>> {
        self.set().by_id.get(id).cloned()
    }

    /// Replaces the set of BMCs (config reload); members of BMCs no longer configured are dropped.
    pub fn replace_bmcs(&self, list: Vec<Arc<BmcEntry>>) {
        for bmc in &list {
            bmc.client.on_trip(self.trip_tx.clone());
        }
        let set = BmcSet::new(list);
        if let Ok(mut d) = self.discovered.write() {
            d.members.retain(|bmc, _| set.by_id.contains_key(bmc));
        }
        if let Ok(mut b) = self.bmcs.write() {
            *b = Arc::new(set);
        }
        self.rebuild_view();
    }

    /// Sets the aggregate's own members of `collection` (full URIs); takes effect at the next
    /// [`Inventory::rebuild_view`].
    pub fn set_local_members(&self, collection: &str, members: Vec<String>) {
        if let Ok(mut l) = self.local.write() {
            l.insert(collection.to_owned(), members);
        }
    }

    /// One BMC's discovered members of `collection` (aggregate URIs), in the BMC's order.
    pub fn members_of(&self, bmc: &str, collection: &str) -> Vec<String> {
        self.discovered
            .read()
            .ok()
            .and_then(|d| {
                d.members.get(bmc).map(|m| {
                    m.iter()
                        .filter(|(c, _)| c == collection)
                        .map(|(_, uri)| uri.clone())
                        .collect()
                })
            })
            .unwrap_or_default()
    }

    /// The merged collection at `collection` (e.g. "Systems"), if the aggregate serves it.
    pub fn collection(&self, collection: &str) -> Option<CollectionDoc> {
        self.view.read().ok()?.get(collection).cloned()
    }

    /// Names of every collection currently served, for the ServiceRoot.
    pub fn served_collections(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .view
            .read()
            .map(|v| v.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Replaces one BMC's discovered members (not persisted here; discovery writes the store).
    pub fn set_members(&self, bmc: &str, members: Vec<(String, String)>) {
        if let Ok(mut d) = self.discovered.write() {
            d.members.insert(bmc.to_owned(), members);
        }
    }

    /// Replaces one BMC's members of one collection, keeping its other collections; true when
    /// they changed. Takes effect at the next rebuild ([`Inventory::touch`]).
    pub fn set_collection_members(
        &self,
        bmc: &str,
        collection: &str,
        members: Vec<String>,
    ) -> bool {
        let Ok(mut d) = self.discovered.write() else {
            return false;
        };
        let list = d.members.entry(bmc.to_owned()).or_default();
        let before: Vec<&String> = list
            .iter()
            .filter(|(c, _)| c == collection)
            .map(|(_, uri)| uri)
            .collect();
        if before.len() == members.len() && before.iter().zip(&members).all(|(a, b)| *a == b) {
            return false;
        }
        list.retain(|(c, _)| c != collection);
        list.extend(members.into_iter().map(|uri| (collection.to_owned(), uri)));
        true
    }

    /// Shows at once a member a forwarded write added or removed at `bmc` (see
    /// [`crate::written_members`]); discovery's next read of the BMC has the last word.
    pub fn note_write(
        &self,
        bmc: &str,
        method: &http::Method,
        path: &str,
        reply: &crate::exchange::Reply,
    ) {
        if let Some(change) = crate::written_members::member_change(bmc, method, path, reply)
            && self.apply_member_change(bmc, &change)
        {
            self.touch();
        }
    }

    fn apply_member_change(
        &self,
        bmc: &str,
        change: &crate::written_members::MemberChange,
    ) -> bool {
        use crate::written_members::MemberChange;
        let Ok(mut d) = self.discovered.write() else {
            return false;
        };
        let list = d.members.entry(bmc.to_owned()).or_default();
        match change {
            MemberChange::Added { collection, uri } => {
                if list.iter().any(|(c, u)| c == collection && u == uri) {
                    return false;
                }
                list.push((collection.clone(), uri.clone()));
                true
            }
            MemberChange::Removed { collection, uri } => {
                let before = list.len();
                list.retain(|(c, u)| !(c == collection && u == uri));
                list.len() != before
            }
        }
    }

    /// Members of `collection` of one source that the aggregate's own resources link to and
    /// sample: all of a BMC's; of a source that is itself an aggregator only its own of `kind`
    /// (its rack enclosure, its rack manager), whose links and readings cover its servers.
    pub fn linked_members(
        &self,
        bmc: &BmcEntry,
        collection: &str,
        kind: MemberKind,
    ) -> Vec<String> {
        let members = self.members_of(bmc.id.as_str(), collection);
        match bmc.downstream() {
            None => members,
            Some(d) => {
                let own = d.of_kind(kind);
                members
                    .into_iter()
                    .filter(|m| own.contains(m.as_str()))
                    .collect()
            }
        }
    }

    /// Every discovered member of one BMC: (collection, aggregate URI).
    pub fn bmc_members(&self, bmc: &str) -> Vec<(String, String)> {
        self.discovered
            .read()
            .ok()
            .and_then(|d| d.members.get(bmc).cloned())
            .unwrap_or_default()
    }

    /// Has discovery read this BMC now (a BMC added or changed).
    pub fn poke(&self, id: &BmcId) {
        let _ = self.trip_tx.send(id.clone());
    }

    /// The BMCs whose breaker opened, as they open (once: discovery takes it).
    pub fn take_trips(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<BmcId>> {
        self.trip_rx.lock().ok()?.take()
    }

    /// Asks for a rebuild of the merged view soon; many changes close together cost one rebuild
    /// (see [`run_view_rebuilder`]).
    pub fn touch(&self) {
        self.dirty.notify_one();
    }

    /// Records a collection's type the first time it is seen; true if it was new.
    pub fn learn_type(&self, collection: &str, t: CollectionType) -> bool {
        let Ok(mut d) = self.discovered.write() else {
            return false;
        };
        if d.types.contains_key(collection) {
            return false;
        }
        d.types.insert(collection.to_owned(), t);
        true
    }

    /// Recomputes every merged collection from what is known. Cheap relative to discovery; called
    /// after changes, never per request.
    pub fn rebuild_view(&self) {
        let Ok(d) = self.discovered.read() else {
            return;
        };
        let mut lists: HashMap<String, Vec<String>> = ALWAYS_SERVED
            .iter()
            .map(|(c, _, _)| ((*c).to_owned(), Vec::new()))
            .collect();
        if let Ok(local) = self.local.read() {
            for (collection, members) in local.iter() {
                lists
                    .entry(collection.clone())
                    .or_default()
                    .extend(members.iter().cloned());
            }
        }
        let set = self.set();
        for bmc in &set.list {
            if let Some(members) = d.members.get(bmc.id.as_str()) {
                for (collection, uri) in members {
                    lists
                        .entry(collection.clone())
                        .or_default()
                        .push(uri.clone());
                }
            }
        }
        let view = lists
            .into_iter()
            .map(|(collection, members)| {
                let t = d
                    .types
                    .get(&collection)
                    .cloned()
                    .unwrap_or_else(|| default_type(&collection));
                let doc = collection_doc(&collection, t, members);
                (collection, doc)
            })
            .collect();
        drop(d);
        if let Ok(mut v) = self.view.write() {
            *v = Arc::new(view);
        }
    }
}

/// Coalesces [`Inventory::touch`]es: rebuilds at once, then at most every `every`, so a rack of
/// thousands of BMCs reporting collection after collection is not rebuilt once per report.
pub async fn run_view_rebuilder(
    inventory: Arc<Inventory>,
    every: std::time::Duration,
    cancel: tokio_util::sync::CancellationToken,
) {
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = inventory.dirty.notified() => {}
        }
        inventory.rebuild_view();
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

fn default_type(collection: &str) -> CollectionType {
    ALWAYS_SERVED
        .iter()
        .find(|(c, _, _)| *c == collection)
        .map(|(_, t, n)| CollectionType {
            odata_type: (*t).to_owned(),
            name: (*n).to_owned(),
        })
        .unwrap_or_else(|| CollectionType {
            odata_type: "#Resource.ResourceCollection".to_owned(),
            name: format!("{collection} Collection"),
        })
}

fn collection_doc(collection: &str, t: CollectionType, members: Vec<String>) -> CollectionDoc {
    let odata_id = format!("/redfish/v1/{collection}");
    let body = collection_body(&odata_id, &t, &members);
    CollectionDoc {
        odata_id,
        odata_type: t.odata_type,
        name: t.name,
        members,
        body: Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
    }
}

/// The JSON of a collection listing `members` (used for the cached body and for $top/$skip pages).
pub fn collection_body(odata_id: &str, t: &CollectionType, members: &[String]) -> Value {
    redfish::odata::collection(odata_id, &t.odata_type, &t.name, members)
}
