//! Fleet configuration (TOML) for the `bmc-sim` binary; unknown keys are rejected.
//!
//! ```toml
//! count = 48            # generate bmc1..bmc48 ...
//! base_port = 8000      # ... on ports 8000..8047 (0 = any free port)
//! bind = "127.0.0.1"
//! profile = "idrac"     # default profile for generated and listed BMCs
//! tls = false
//! control_listen = "127.0.0.1:9000"   # optional fleet control server
//!
//! [[bmc]]               # explicit BMCs (in addition to `count`)
//! id = "edge1"
//! profile = "ilo"
//! tls = true
//! username = "admin"
//! password = "secret"
//! listen = "127.0.0.1:8443"
//! ```

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde::Deserialize;

use crate::{BmcOptions, Profile};

/// The whole fleet.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    /// Explicitly listed BMCs.
    #[serde(default)]
    pub bmc: Vec<BmcEntry>,
    /// Number of generated BMCs (`bmc1`..`bmcN`).
    pub count: Option<u32>,
    /// First port of the generated BMCs (0: every BMC gets a free port).
    pub base_port: Option<u16>,
    /// Address generated BMCs bind to (default 127.0.0.1).
    pub bind: Option<IpAddr>,
    /// Default profile (default `dmtf`).
    pub profile: Option<Profile>,
    /// Default for HTTPS (default false).
    pub tls: Option<bool>,
    /// Optional fleet control server (`PUT /bmcs/<id>/fault`), reachable even while a BMC is `Down`.
    pub control_listen: Option<SocketAddr>,
}

/// One explicitly configured BMC.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BmcEntry {
    /// Unique id.
    pub id: String,
    /// Profile (default: the top-level `profile`).
    pub profile: Option<Profile>,
    /// HTTPS (default: the top-level `tls`).
    pub tls: Option<bool>,
    /// Administrator user (default `root`).
    pub username: Option<String>,
    /// Administrator password (default `calvin`).
    pub password: Option<String>,
    /// Listen address (default: `bind` with a free port).
    pub listen: Option<SocketAddr>,
}

/// A configuration problem, worded to name the offending key.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl SimConfig {
    /// Parses TOML text; errors name the key and line.
    pub fn from_toml(text: &str) -> Result<SimConfig, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let msg = e.message().trim().to_string();
            match e.span() {
                Some(span) => {
                    let line_no = text[..span.start.min(text.len())].matches('\n').count() + 1;
                    let line = text.lines().nth(line_no.saturating_sub(1)).unwrap_or("");
                    let key = line
                        .split('=')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .trim_matches(|c| c == '[' || c == ']');
                    ConfigError(format!("config line {line_no}, key `{key}`: {msg}"))
                }
                None => ConfigError(format!("config: {msg}")),
            }
        })
    }

    /// Reads and parses a TOML file.
    pub fn from_file(path: &std::path::Path) -> Result<SimConfig, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read config {}: {e}", path.display())))?;
        SimConfig::from_toml(&text)
    }

    /// Expands the config into one `BmcOptions` per BMC, checking ids and ports.
    pub fn bmc_options(&self) -> Result<Vec<BmcOptions>, ConfigError> {
        let bind = self.bind.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let profile = self.profile.unwrap_or_default();
        let tls = self.tls.unwrap_or(false);
        let mut out = Vec::new();
        for (i, e) in self.bmc.iter().enumerate() {
            let valid = !e.id.is_empty()
                && e.id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !valid {
                return Err(ConfigError(format!(
                    "key `bmc[{i}].id`: {:?} must be non-empty ASCII letters, digits, '_', '-' or '.'",
                    e.id
                )));
            }
            let mut o = BmcOptions::new(&e.id, e.profile.unwrap_or(profile));
            o.tls = e.tls.unwrap_or(tls);
            if let Some(u) = &e.username {
                o.username = u.clone();
            }
            if let Some(p) = &e.password {
                o.password = p.clone();
            }
            o.listen = e.listen.unwrap_or(SocketAddr::new(bind, 0));
            out.push(o);
        }
        let count = self.count.unwrap_or(0);
        let base = self.base_port.unwrap_or(0);
        if base != 0 && u32::from(base) + count > 65536 {
            return Err(ConfigError(format!(
                "key `base_port`: {base} + count {count} runs past port 65535"
            )));
        }
        for n in 0..count {
            let port = if base == 0 { 0 } else { base + n as u16 };
            let mut o = BmcOptions::new(&format!("bmc{}", n + 1), profile);
            o.tls = tls;
            o.listen = SocketAddr::new(bind, port);
            out.push(o);
        }
        if out.is_empty() {
            return Err(ConfigError(
                "key `count`: no BMCs configured (set count >= 1 or add [[bmc]] entries)".into(),
            ));
        }
        let mut ids = HashSet::new();
        let mut ports = HashSet::new();
        for o in &out {
            if !ids.insert(o.id.clone()) {
                return Err(ConfigError(format!(
                    "key `bmc.id`: duplicate id {:?}",
                    o.id
                )));
            }
            if o.listen.port() != 0 && !ports.insert(o.listen) {
                return Err(ConfigError(format!(
                    "key `listen`: address {} used twice (BMC {:?})",
                    o.listen, o.id
                )));
            }
        }
        Ok(out)
    }
}
