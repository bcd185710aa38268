//! Pure Redfish pieces shared by frontend-svc and aggregator-svc. No I/O, no async: everything
//! here is table-testable.
//!
//! - [`messages`]: the Base message registry (embedded) and the [`messages::BaseMessage`] enum.
//! - [`error_body`]: the Redfish error object (`error` + `@Message.ExtendedInfo`).
//! - [`events`]: messages of the DMTF event registries (log entries, task messages).
//! - [`odata`]: header names and values every response carries.
//! - [`collections`]: the sorted table of top-level collections whose members are aggregated.
//! - [`path`]: classify an aggregate path (service root, collection, member of a BMC, passthrough).
//! - [`ids`]: BMC id validation and `<bmcId>-<memberId>` prefixing.
//! - [`schemas`]: the embedded DMTF schema catalog: `$metadata`, describedby links.
//! - [`query`]: DSP0266 query parameters: parsing, `$select`, `$filter`, `$expand` planning.
//! - [`rewrite`]: the localizer: BMC URIs to aggregate URIs in bodies and headers, and back.

pub mod collections;
pub mod error_body;
pub mod events;
pub mod ids;
pub mod messages;
pub mod odata;
pub mod path;
pub mod query;
pub mod rewrite;
pub mod safe_path;
pub mod schemas;
pub mod self_origin;
pub mod time;
