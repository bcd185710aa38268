//! `bmc-sim`: simulated Redfish BMCs with fault injection, for tests, demos and benchmarks.
//!
//! Start one BMC with [`SimBmc::start`] and steer it with the returned [`SimHandle`]
//! (faults, password rotation, recorded requests), or run a fleet from a [`SimConfig`] with [`run`].
//!
//! Module map:
//! - `profile`, `options`, `quirks`, `fault`, `record`: the public data types.
//! - `handle`: start a BMC, the handle.
//! - `bmc`: one running BMC (state, faults, request log, owned tasks).
//! - `fault_table`: the BMC-wide fault, path-scoped faults (longest prefix wins), the boot delay.
//! - `store`: shared immutable template + per-BMC copy-on-write overlay.
//! - `uri`: how ids are encoded in links, and the canonical path requests are routed by.
//! - `tree`: the resource tree of each profile (builders per area, vendor layouts).
//! - `redfish`: routing, GET/PATCH/POST/DELETE, actions, errors (Base registry).
//! - `auth`: Basic and session authentication.
//! - `net`: listener (with `Down` and the start delay), TLS, connections, fault-shaped bodies.
//! - `push`: what the MultipartHttpPushUri received, and its faults.
//! - `control`: `/sim/` control paths; `config`, `fleet`: the binary's config and runner.

#![forbid(unsafe_code)]

mod auth;
mod bmc;
mod config;
mod control;
mod control_server;
mod fault;
mod fault_table;
mod fleet;
mod handle;
mod net;
mod options;
mod profile;
mod push;
mod quirks;
mod record;
mod redfish;
mod store;
mod time;
mod tree;
mod uri;

pub use config::{BmcEntry, ConfigError, PathFaultEntry, SimConfig};
pub use fault::Fault;
pub use fleet::{Fleet, run};
pub use handle::{SimBmc, SimHandle};
pub use options::BmcOptions;
pub use profile::{Profile, UnknownProfile};
pub use push::{PushFault, PushRecord};
pub use quirks::{QuirkArg, Quirks};
pub use record::{FLEET_RECORD_LIMIT, RECORD_LIMIT, RecordedRequest};
