//! Fleet configuration (TOML) for the `bmc-sim` binary; unknown keys are rejected.
//!
//! ```toml
//! count = 48            # generate bmc1..bmc48 ...
//! base_port = 8000      # ... on ports 8000..8047 (0 = any free port)
//! bind = "127.0.0.1"
//! profile = "idrac"     # default profile for generated and listed BMCs
//! tls = false
//! control_listen = "127.0.0.1:9000"   # optional fleet control server
//! start_delay_ms = 0    # default boot time of every BMC (connection refused meanwhile)
//! path_faults = []      # default path rules of every BMC
//! quirks = { async_power_secs = 5 }   # default quirks of every BMC (see `Quirks`)
//!
//! [[bmc]]               # explicit BMCs (in addition to `count`)
//! id = "edge1"
//! profile = "ilo"
//! tls = true
//! username = "admin"
//! password = "secret"
//! listen = "127.0.0.1:8443"
//! start_delay_ms = 5000
//! path_faults = [
//!   { path = "/redfish/v1/UpdateService/FirmwareInventory", fault = { Status = { code = 404, redfish_body = true } } },
//!   { path = "/redfish/v1/Managers/1/LogServices", fault = "Hang" },
//! ]
//! quirks = { uuid_ids = true, advertised_host = "edge1.example.net" }   # replaces the default
//! ```

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fault_table::check_path_fault;
use crate::{BmcOptions, Fault, Profile, Quirks};

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
    /// Default start delay of every BMC, in milliseconds (default 0: serve at once).
    pub start_delay_ms: Option<u64>,
    /// Default path rules of every BMC (an entry's own `path_faults` replaces them).
    pub path_faults: Option<Vec<PathFaultEntry>>,
    /// Default quirks of every BMC (an entry's own `quirks` table replaces them).
    pub quirks: Option<Quirks>,
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
    /// Start delay in milliseconds (default: the top-level `start_delay_ms`).
    pub start_delay_ms: Option<u64>,
    /// Path rules (default: the top-level `path_faults`; `[]` for none).
    pub path_faults: Option<Vec<PathFaultEntry>>,
    /// Quirks (default: the top-level `quirks`; `{}` for none).
    pub quirks: Option<Quirks>,
}

/// A path-scoped fault: requests under `path` get `fault` instead of the BMC-wide one.
///
/// The JSON body of `PUT /sim/path-fault`, an item of `path_faults` in the config, and (through
/// `FromStr`, `PATH=FAULT_JSON`) the value of `--path-fault`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathFaultEntry {
    /// Path prefix, e.g. `/redfish/v1/UpdateService/FirmwareInventory`.
    pub path: String,
    /// The fault for that subtree (any but `Down`).
    pub fault: Fault,
}

impl FromStr for PathFaultEntry {
    type Err = String;

    /// Parses `PATH=FAULT_JSON`, e.g. `/redfish/v1/Systems={"Delay":{"fixed_ms":500,"jitter_ms":0}}`;
    /// a unit fault may be written bare (`/redfish/v1/Chassis=Hang`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (path, json) = s
            .split_once('=')
            .ok_or_else(|| format!("expected PATH=FAULT_JSON, got {s:?}"))?;
        let fault = serde_json::from_str::<Fault>(json)
            .or_else(|e| {
                // Saves shell-quoting `"Hang"`; anything else must be JSON.
                let bare = !json.is_empty() && json.chars().all(|c| c.is_ascii_alphabetic());
                if bare {
                    serde_json::from_value(serde_json::Value::String(json.to_string()))
                } else {
                    Err(e)
                }
            })
            .map_err(|e| format!("fault of {path:?}: {e}"))?;
        check_path_fault(path, &fault)?;
        Ok(PathFaultEntry {
            path: path.to_string(),
            fault,
        })
    }
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
        let start_delay = self.start_delay_ms;
        let path_faults = path_rules("path_faults", self.path_faults.as_deref())?;
        let quirks = checked_quirks("quirks", self.quirks.as_ref())?;
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
            o.start_delay = delay(e.start_delay_ms.or(start_delay));
            o.path_faults = match &e.path_faults {
                Some(rules) => path_rules(&format!("bmc[{i}].path_faults"), Some(rules))?,
                None => path_faults.clone(),
            };
            o.quirks = match &e.quirks {
                Some(q) => checked_quirks(&format!("bmc[{i}].quirks"), Some(q))?,
                None => quirks.clone(),
            };
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
            o.start_delay = delay(start_delay);
            o.path_faults = path_faults.clone();
            o.quirks = quirks.clone();
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

fn delay(ms: Option<u64>) -> Option<Duration> {
    ms.filter(|&ms| ms > 0).map(Duration::from_millis)
}

/// Checks quirks at load time, naming the key of a contradictory set.
fn checked_quirks(key: &str, quirks: Option<&Quirks>) -> Result<Quirks, ConfigError> {
    let q = quirks.cloned().unwrap_or_default();
    q.check()
        .map_err(|e| ConfigError(format!("key `{key}`: {e}")))?;
    Ok(q)
}

/// Checks path rules at load time, so a bad one is a config error naming its key, not a failed start.
fn path_rules(
    key: &str,
    rules: Option<&[PathFaultEntry]>,
) -> Result<Vec<(String, Fault)>, ConfigError> {
    let mut out: Vec<(String, Fault)> = Vec::new();
    for (i, r) in rules.unwrap_or_default().iter().enumerate() {
        let prefix = check_path_fault(&r.path, &r.fault)
            .map_err(|e| ConfigError(format!("key `{key}[{i}]`: {e}")))?;
        if out.iter().any(|(p, _)| *p == prefix) {
            return Err(ConfigError(format!(
                "key `{key}[{i}].path`: {prefix:?} is listed twice"
            )));
        }
        out.push((prefix, r.fault.clone()));
    }
    Ok(out)
}
