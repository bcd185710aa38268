//! The top-level collections whose members are aggregated: a BMC's members of these get the
//! `<bmcId>-` prefix and the collection itself is the aggregate's merged collection.
//!
//! Source: every collection in the DMTF CSDL (`/work/shared/redfish/csdl`, `Redfish.Uris`) whose
//! URI is `/redfish/v1/<fixed segments>` (no `{id}` before the last segment), cross-checked with
//! bmcweb's generated `topCollections` (redfish-core/include/aggregation_utils.hpp).
//!
//! Left out on purpose (a BMC's singleton services are not merged into the aggregate's own; links
//! to them become `/redfish/v1/Oem/RedDrum/Bmcs/<bmc>/...` passthrough paths instead):
//! - `AccountService/*` (Accounts, Roles, ExternalAccountProviders, OutboundConnections, the
//!   LDAP/ActiveDirectory/OAuth2/MultiFactorAuth certificate stores): clients authenticate to the
//!   aggregate, whose accounts are its own; a BMC's accounts are the aggregator's credentials.
//! - `SessionService/Sessions`: sessions are per service; merging would list the aggregator's own
//!   BMC sessions (and their tokens' resources) to every client.
//! - `EventService/Subscriptions`: clients subscribe to the aggregate; the aggregate subscribes to
//!   the BMCs itself.
//! - `CertificateService/*` (CertificateEnrollments, EnrollmentCACertificates): trust material and
//!   enrollment belong to the service that uses them.
//! - `Registries`, `JsonSchemas`: the aggregate serves its own registries and schemas; a BMC's
//!   (possibly different) versions stay reachable via passthrough, never shadow the aggregate's.
//! - `AggregationService/*` (Aggregates, AggregationSources, ConnectionMethods): the aggregate's own
//!   view of its sources; a BMC's aggregation config is not the rack's.
//! - `TelemetryService/*` (MetricDefinitions, MetricReportDefinitions, MetricReports, Triggers,
//!   TelemetryData, LogService/Entries): decided to stay per service (definitions are service
//!   configuration and report ids collide); reachable via passthrough.
//! - `UpdateService/ClientCertificates`, `RemoteServerCertificates`, `RemoteServerSSHKeys`: the
//!   trust stores of the BMC's own UpdateService singleton (which is passthrough), excluded for the
//!   same reason as CertificateService; merged they would make the aggregate claim trust anchors
//!   it does not use.
//! - `RegisteredClients`: a registry of the management clients of a service, like Sessions:
//!   clients register with the aggregate.
//!
//! Added beyond our pinned CSDL, from bmcweb's list: Swordfish `NVMeDomains`, `StorageServices`,
//! `StorageSystems`; `PolicyService/Policies` (newer DMTF release); `TaskService/TaskMonitors`
//! (not a schema collection, but where bmcweb and iDRAC put task monitors, which must route to
//! their BMC). bmcweb's `JobService/JobDocuments`/`JobExecutors` are named `JobService/Documents`/
//! `Executors` in the CSDL's `Redfish.Uris`; we follow the CSDL.

/// Collection paths relative to `/redfish/v1/`, sorted (byte order) and deduplicated for binary
/// search; a test checks both.
pub const AGGREGATED_COLLECTIONS: &[&str] = &[
    "AutomationNodes",
    "Cables",
    "Chassis",
    "ComponentIntegrity",
    "CompositionService/ActivePool",
    "CompositionService/CompositionReservations",
    "CompositionService/FreePool",
    "CompositionService/ResourceBlocks",
    "CompositionService/ResourceZones",
    "Fabrics",
    "Facilities",
    "JobService/Documents",
    "JobService/Executors",
    "JobService/Jobs",
    "JobService/Log/Entries",
    "KeyService/NVMeoFKeyPolicies",
    "KeyService/NVMeoFSecrets",
    "LicenseService/Licenses",
    "Managers",
    "NVMeDomains",
    "PolicyService/Policies",
    "PowerEquipment/ElectricalBuses",
    "PowerEquipment/FloorPDUs",
    "PowerEquipment/PowerShelves",
    "PowerEquipment/RackPDUs",
    "PowerEquipment/Switchgear",
    "PowerEquipment/TransferSwitches",
    "ResourceBlocks",
    "Storage",
    "StorageServices",
    "StorageSystems",
    "Systems",
    "TaskService/TaskMonitors",
    "TaskService/Tasks",
    "ThermalEquipment/CDUs",
    "ThermalEquipment/CoolingLoops",
    "ThermalEquipment/HeatExchangers",
    "ThermalEquipment/ImmersionUnits",
    "ThermalEquipment/RPUs",
    "UpdateService/FirmwareInventory",
    "UpdateService/LocalImageStore",
    "UpdateService/SoftwareInventory",
];

/// Most segments in any table entry: only that many leading segments can name a collection.
const MAX_SEGMENTS: usize = 3;

/// True when `path_after_v1` (no leading slash) is exactly a table entry.
pub fn is_aggregated_collection(path_after_v1: &str) -> bool {
    AGGREGATED_COLLECTIONS.binary_search(&path_after_v1).is_ok()
}

/// Finds the longest table entry that `path_after_v1` (the part after `/redfish/v1/`, no leading
/// slash) starts with, on a segment boundary. Returns the entry and what follows it after the
/// separating `/`: the member id and beyond (`"Systems/1/Bios"` -> `("Systems", "1/Bios")`), or
/// `""` for the collection itself (`"Systems"` or `"Systems/"`).
pub fn collection_of(path_after_v1: &str) -> Option<(&'static str, &str)> {
    let mut best = None;
    // Candidate prefixes end at each '/' (and at the end), shortest first; the last hit wins.
    let ends = path_after_v1
        .match_indices('/')
        .map(|(i, _)| i)
        .take(MAX_SEGMENTS)
        .chain(std::iter::once(path_after_v1.len()));
    for end in ends.take(MAX_SEGMENTS) {
        if let Ok(i) = AGGREGATED_COLLECTIONS.binary_search(&&path_after_v1[..end]) {
            let rest = path_after_v1.get(end + 1..).unwrap_or("");
            best = Some((AGGREGATED_COLLECTIONS[i], rest));
        }
    }
    best
}
