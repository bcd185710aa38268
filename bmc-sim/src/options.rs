//! Options for starting one simulated BMC.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::{Fault, Profile, Quirks};

/// How to start one simulated BMC.
#[derive(Clone, Debug)]
pub struct BmcOptions {
    /// Name of this BMC (used in logs and by the control server).
    pub id: String,
    /// Vendor profile to imitate.
    pub profile: Profile,
    /// Serve HTTPS with a self-signed certificate instead of HTTP.
    pub tls: bool,
    /// Administrator user name.
    pub username: String,
    /// Administrator password.
    pub password: String,
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Boot time: the port is bound at start (so it is known and taken) but connections are
    /// refused, as with `Fault::Down`, until this much time has passed. `None`: serve at once.
    pub start_delay: Option<Duration>,
    /// Path rules in force from the start, as `SimHandle::set_path_fault` takes them; an invalid
    /// one makes `SimBmc::start` fail with `InvalidInput`.
    pub path_faults: Vec<(String, Fault)>,
    /// Field behaviours that break aggregators (UUID or percent-encoded ids, no or a broken
    /// SessionService, delayed power changes, members that 404, an advertised host name);
    /// default none. A contradictory set makes `SimBmc::start` fail with `InvalidInput`.
    pub quirks: Quirks,
}

impl BmcOptions {
    /// Options with defaults: HTTP, `root`/`calvin`, `127.0.0.1:0`, no start delay, no path fault,
    /// no quirk.
    pub fn new(id: &str, profile: Profile) -> Self {
        BmcOptions {
            id: id.to_string(),
            profile,
            tls: false,
            username: "root".to_string(),
            password: "calvin".to_string(),
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            start_delay: None,
            path_faults: Vec::new(),
            quirks: Quirks::default(),
        }
    }
}
