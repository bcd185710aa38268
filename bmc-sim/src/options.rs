//! Options for starting one simulated BMC.

use std::net::{Ipv4Addr, SocketAddr};

use crate::Profile;

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
}

impl BmcOptions {
    /// Options with defaults: HTTP, `root`/`calvin`, `127.0.0.1:0`.
    pub fn new(id: &str, profile: Profile) -> Self {
        BmcOptions {
            id: id.to_string(),
            profile,
            tls: false,
            username: "root".to_string(),
            password: "calvin".to_string(),
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }
}
