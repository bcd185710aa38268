//! Fault injection: what a simulated BMC does wrong, switchable at run time.

use serde::{Deserialize, Serialize};

/// A misbehaviour applied to every Redfish request after it is set (control paths under `/sim/` are exempt),
/// BMC-wide (`SimHandle::set_fault`) or to one subtree (`SimHandle::set_path_fault`, any variant but
/// `Down`).
///
/// JSON form (serde's externally tagged enums): `"Hang"`, `{"Delay":{"fixed_ms":500,"jitter_ms":0}}`,
/// `{"Status":{"code":503,"redfish_body":true}}`, `{"SlowDrip":{"bytes_per_sec":100}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Fault {
    /// Behave normally.
    #[default]
    None,
    /// Answer normally after `fixed_ms` plus a random extra of up to `jitter_ms`.
    Delay {
        /// Fixed part of the delay, in milliseconds.
        fixed_ms: u64,
        /// Upper bound of the random extra, in milliseconds.
        jitter_ms: u64,
    },
    /// Answer every request with this status, with a Redfish error body or an empty one.
    Status {
        /// HTTP status code (e.g. 500 or 503).
        code: u16,
        /// Include a Redfish error body (`@Message.ExtendedInfo`).
        redfish_body: bool,
    },
    /// Accept the request and never answer (the connection is dropped once the fault governing
    /// the request's path changes, or at shutdown).
    Hang,
    /// Send the headers and half the body, then drop the connection.
    ResetMidBody,
    /// Answer 200 with a JSON content type and a body that is not JSON.
    Garbage,
    /// Answer 200 with the real JSON cut in half (a consistent Content-Length).
    TruncatedJson,
    /// Stop listening (connection refused) and drop open connections until cleared.
    Down,
    /// Send the real response body at this rate.
    SlowDrip {
        /// Bytes per second (at least 1).
        bytes_per_sec: u32,
    },
}

impl Fault {
    /// True for the fault that closes the listener.
    pub fn is_down(&self) -> bool {
        matches!(self, Fault::Down)
    }
}
