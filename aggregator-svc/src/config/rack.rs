//! The rack's own resources in `[aggregator]`: the rack enclosure, the management switch, the
//! aggregator's manager, the host chassis, the PDU reseat and switch reset commands and the
//! readings poller. Each local resource can be switched off and renamed; its id must never look
//! like an aggregated member id (`<bmc>-<member>`), or requests for it would be forwarded to a BMC.

use redfish::ids::split_member;
use serde::Deserialize;
use std::path::PathBuf;
use svc_common::ConfigError;

/// The enclosure chassis: the rack (`ChassisType` Rack), or the row (or pod, zone) when the
/// aggregator's sources are rack aggregators.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RackConfig {
    pub enabled: bool,
    pub id: String,
    pub name: String,
    /// `Rack`, or one of [`GROUP_TYPES`] for an aggregator of racks.
    pub chassis_type: String,
    pub description: String,
    pub manufacturer: String,
    pub model: String,
    pub serial_number: String,
    pub part_number: String,
    /// The AssetTag until a client PATCHes it (then the stored value wins).
    pub asset_tag: String,
}

const RACK_DESCRIPTION: &str =
    "The rack enclosure: every aggregated server, the management switch and the rack manager";
const GROUP_DESCRIPTION: &str =
    "A group of racks: every rack aggregated here, each with its servers, switch and rack manager";

/// The chassis types of an enclosure above racks (Redfish `ChassisType`).
pub const GROUP_TYPES: &[&str] = &["Row", "Pod", "RackGroup", "Zone"];

impl RackConfig {
    /// True when this aggregator fronts racks rather than servers.
    pub fn is_group(&self) -> bool {
        self.chassis_type != "Rack"
    }

    /// The Description served: the configured one, or the default that fits the chassis type.
    pub fn description_shown(&self) -> &str {
        if self.is_group() && self.description == RACK_DESCRIPTION {
            GROUP_DESCRIPTION
        } else {
            &self.description
        }
    }
}

impl Default for RackConfig {
    fn default() -> Self {
        RackConfig {
            enabled: true,
            id: "Rack1".into(),
            name: "Rack".into(),
            chassis_type: "Rack".into(),
            description: RACK_DESCRIPTION.into(),
            manufacturer: String::new(),
            model: String::new(),
            serial_number: String::new(),
            part_number: String::new(),
            asset_tag: String::new(),
        }
    }
}

/// The rack's management switch chassis.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SwitchConfig {
    pub enabled: bool,
    pub id: String,
    pub name: String,
    /// `RackMount` or `Module`.
    pub chassis_type: String,
    pub manufacturer: String,
    pub model: String,
    pub serial_number: String,
    pub part_number: String,
    pub asset_tag: String,
    /// The sysfs hwmon root of the machine the aggregator runs on: the switch's sensors when
    /// `inside_switch`, else the host chassis's.
    pub hwmon_dir: PathBuf,
    /// The DMI/SMBIOS id directory of the same machine: Manufacturer, Model, SerialNumber and
    /// PartNumber of that chassis when not configured.
    pub dmi_dir: PathBuf,
    /// The switch's `#Chassis.Reset` hook: argv (no shell), `{reset_type}` substituted; empty
    /// offers no action.
    pub reset_command: Vec<String>,
    /// The switch's locator LED hook (`LocationIndicatorActive`, `IndicatorLED`): argv (no
    /// shell), `{state}` substituted by `on`/`off` and `{led}` by `Lit`/`Blinking`/`Off`; empty
    /// leaves the LED out.
    pub locator_command: Vec<String>,
    /// Then a reset or locator command is killed. The client waits for it, so keep it well
    /// below the frontend's `request_timeout_ms`.
    pub command_timeout_secs: u64,
}

impl Default for SwitchConfig {
    fn default() -> Self {
        SwitchConfig {
            enabled: true,
            id: "MgtSwitch".into(),
            name: "Management Switch".into(),
            chassis_type: "RackMount".into(),
            manufacturer: String::new(),
            model: String::new(),
            serial_number: String::new(),
            part_number: String::new(),
            asset_tag: String::new(),
            hwmon_dir: "/sys/class/hwmon".into(),
            dmi_dir: PathBuf::from("/sys/class/dmi/id"),
            reset_command: Vec::new(),
            locator_command: Vec::new(),
            command_timeout_secs: 20,
        }
    }
}

/// The separate server the aggregator runs on when it is not inside the switch.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HostConfig {
    pub enabled: bool,
    pub id: String,
    pub name: String,
    pub manufacturer: String,
    pub model: String,
    pub serial_number: String,
    pub part_number: String,
    pub asset_tag: String,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            enabled: true,
            id: "AggregatorHost".into(),
            name: "Aggregator Host".into(),
            manufacturer: String::new(),
            model: String::new(),
            serial_number: String::new(),
            part_number: String::new(),
            asset_tag: String::new(),
        }
    }
}

/// The aggregator's own manager (ManagerType RackManager).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ManagerConfig {
    pub enabled: bool,
    pub id: String,
    pub name: String,
    pub model: String,
    /// Port clients reach the service on over plain HTTP (the frontend's, or Apache's); 0 = HTTP off.
    pub http_port: u16,
    /// Port of HTTPS (Apache in front); 0 = HTTPS off.
    pub https_port: u16,
    /// PEM file of the TLS certificate clients see; listed under the manager's Certificates.
    pub tls_certificate: Option<PathBuf>,
    /// PEM file of its private key. With both set (and writable), the CertificateService can
    /// replace them (GenerateCSR, ReplaceCertificate); Apache restarts on the change.
    pub tls_key: Option<PathBuf>,
    /// Host name reported on the EthernetInterfaces (default: the kernel's host name).
    pub host_name: Option<String>,
    /// The hook that applies a PATCH of an EthernetInterface to the host (argv, no shell,
    /// `{interface}` substituted, the requested settings as JSON on stdin); empty keeps the
    /// interfaces read-only.
    pub network_command: Vec<String>,
    /// Then the network command is killed.
    pub network_timeout_secs: u64,
    /// Newest log entries kept; older ones are dropped.
    pub log_max_entries: u32,
    /// Newest audit records kept (`LogServices/Audit`); older ones are dropped.
    pub audit_max_entries: u32,
    /// Local tasks (rack reset, PDU reseat) kept after they finish.
    pub max_tasks: u32,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        ManagerConfig {
            enabled: true,
            id: "Aggregator".into(),
            name: "Rack Manager".into(),
            model: "RedDrum Aggregator".into(),
            http_port: 8080,
            https_port: 443,
            tls_certificate: None,
            tls_key: None,
            host_name: None,
            network_command: Vec::new(),
            network_timeout_secs: 30,
            log_max_entries: 1000,
            audit_max_entries: 5000,
            max_tasks: 100,
        }
    }
}

/// The PDU reseat hook: `reseat_command` is an argv list (no shell) in which `{socket}` is
/// replaced by the BMC's `pdu_socket` (and `{bmc}` by its id).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PduConfig {
    pub reseat_command: Vec<String>,
    pub timeout_secs: u64,
}

impl Default for PduConfig {
    fn default() -> Self {
        PduConfig {
            reseat_command: Vec::new(),
            timeout_secs: 60,
        }
    }
}

/// The background poller of the servers' Power and Thermal readings (the rack's Power/Thermal).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ReadingsConfig {
    pub interval_secs: u64,
    pub concurrency: usize,
    pub timeout_ms: u64,
}

impl Default for ReadingsConfig {
    fn default() -> Self {
        ReadingsConfig {
            interval_secs: 60,
            concurrency: 8,
            timeout_ms: 10_000,
        }
    }
}

/// Everything about the rack's own resources, as the handlers need it (reloadable).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RackSettings {
    pub inside_switch: bool,
    pub rack: RackConfig,
    pub switch: SwitchConfig,
    pub host: HostConfig,
    pub manager: ManagerConfig,
    pub pdu: PduConfig,
    pub readings: ReadingsConfig,
}

impl RackSettings {
    /// The host chassis is served only when the aggregator does not run inside the switch.
    pub fn host_enabled(&self) -> bool {
        !self.inside_switch && self.host.enabled
    }

    /// Checks ids, the switch type, the commands and the poller numbers.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut ids: Vec<(&str, &str)> = Vec::new();
        if self.rack.enabled {
            ids.push(("aggregator.rack.id", &self.rack.id));
        }
        if self.switch.enabled {
            ids.push(("aggregator.switch.id", &self.switch.id));
        }
        if self.host_enabled() {
            ids.push(("aggregator.host.id", &self.host.id));
        }
        if self.manager.enabled {
            ids.push(("aggregator.manager.id", &self.manager.id));
        }
        for (key, id) in &ids {
            check_local_id(id).map_err(|e| ConfigError::at(key, e))?;
        }
        let chassis_ids: Vec<&(&str, &str)> = ids
            .iter()
            .filter(|(k, _)| *k != "aggregator.manager.id")
            .collect();
        for (i, (key, id)) in chassis_ids.iter().enumerate() {
            if chassis_ids[..i].iter().any(|(_, other)| other == id) {
                return Err(ConfigError::at(key, format!("id '{id}' is used twice")));
            }
        }
        if self.rack.chassis_type != "Rack"
            && !GROUP_TYPES.contains(&self.rack.chassis_type.as_str())
        {
            return Err(ConfigError::at(
                "aggregator.rack.chassis_type",
                format!(
                    "'{}' must be Rack, or {} for an aggregator of racks",
                    self.rack.chassis_type,
                    GROUP_TYPES.join(", ")
                ),
            ));
        }
        if !matches!(self.switch.chassis_type.as_str(), "RackMount" | "Module") {
            return Err(ConfigError::at(
                "aggregator.switch.chassis_type",
                format!("'{}' must be RackMount or Module", self.switch.chassis_type),
            ));
        }
        check_command("aggregator.pdu.reseat_command", &self.pdu.reseat_command)?;
        check_command(
            "aggregator.switch.reset_command",
            &self.switch.reset_command,
        )?;
        check_command(
            "aggregator.switch.locator_command",
            &self.switch.locator_command,
        )?;
        check_command(
            "aggregator.manager.network_command",
            &self.manager.network_command,
        )?;
        let positive = [
            ("aggregator.pdu.timeout_secs", self.pdu.timeout_secs),
            (
                "aggregator.switch.command_timeout_secs",
                self.switch.command_timeout_secs,
            ),
            (
                "aggregator.readings.interval_secs",
                self.readings.interval_secs,
            ),
            (
                "aggregator.readings.concurrency",
                self.readings.concurrency as u64,
            ),
            ("aggregator.readings.timeout_ms", self.readings.timeout_ms),
            (
                "aggregator.manager.network_timeout_secs",
                self.manager.network_timeout_secs,
            ),
            (
                "aggregator.manager.log_max_entries",
                u64::from(self.manager.log_max_entries),
            ),
            (
                "aggregator.manager.audit_max_entries",
                u64::from(self.manager.audit_max_entries),
            ),
            (
                "aggregator.manager.max_tasks",
                u64::from(self.manager.max_tasks),
            ),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(ConfigError::at(key, "must be greater than 0"));
            }
        }
        if let Some(cert) = &self.manager.tls_certificate
            && !cert.is_file()
        {
            return Err(ConfigError::at(
                "aggregator.manager.tls_certificate",
                format!("{} is not a readable file", cert.display()),
            ));
        }
        if let Some(key) = &self.manager.tls_key {
            if self.manager.tls_certificate.is_none() {
                return Err(ConfigError::at(
                    "aggregator.manager.tls_key",
                    "needs aggregator.manager.tls_certificate too",
                ));
            }
            if key.parent().is_none_or(|d| !d.is_dir()) {
                return Err(ConfigError::at(
                    "aggregator.manager.tls_key",
                    format!("{} is not in an existing directory", key.display()),
                ));
            }
        }
        Ok(())
    }
}

/// A configured command (argv): empty means none; otherwise the program must be named.
fn check_command(key: &str, argv: &[String]) -> Result<(), ConfigError> {
    match argv.first() {
        Some(program) if program.trim().is_empty() => Err(ConfigError::at(
            key,
            "the program (first element) must not be empty",
        )),
        _ => Ok(()),
    }
}

/// A local resource id: a plain Redfish id segment that can never be read as `<bmc>-<member>`.
pub fn check_local_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("must not be empty".into());
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
    {
        return Err(format!(
            "'{id}' may hold only letters, digits, '_', '-' and '.'"
        ));
    }
    if split_member(id).is_some() {
        return Err(format!(
            "'{id}' would be read as an aggregated member id (<bmc>-<member>); use one without '-', e.g. Rack1"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        RackSettings::default()
            .validate()
            .expect("defaults are valid");
    }

    #[test]
    fn local_ids_that_look_aggregated_are_refused() {
        assert!(check_local_id("Rack1").is_ok());
        assert!(check_local_id("MgtSwitch").is_ok());
        assert!(check_local_id("Aggregator").is_ok());
        assert!(
            check_local_id("1-Rack").is_ok(),
            "a BMC id starts with a letter"
        );
        assert!(check_local_id("rack-1").is_err());
        assert!(check_local_id("").is_err());
        assert!(check_local_id("a/b").is_err());
    }

    #[test]
    fn bad_values_name_their_key() {
        type Mutate = Box<dyn Fn(&mut RackSettings)>;
        let rows: Vec<(Mutate, &str)> = vec![
            (Box::new(|s| s.rack.id = "r-1".into()), "aggregator.rack.id"),
            (
                Box::new(|s| s.switch.id = "Rack1".into()),
                "aggregator.switch.id",
            ),
            (
                Box::new(|s| s.manager.id = "m-x".into()),
                "aggregator.manager.id",
            ),
            (
                Box::new(|s| s.rack.chassis_type = "Datacenter".into()),
                "aggregator.rack.chassis_type",
            ),
            (
                Box::new(|s| s.switch.chassis_type = "Blade".into()),
                "aggregator.switch.chassis_type",
            ),
            (
                Box::new(|s| s.pdu.reseat_command = vec![" ".into()]),
                "aggregator.pdu.reseat_command",
            ),
            (
                Box::new(|s| s.pdu.timeout_secs = 0),
                "aggregator.pdu.timeout_secs",
            ),
            (
                Box::new(|s| s.switch.reset_command = vec![String::new(), "x".into()]),
                "aggregator.switch.reset_command",
            ),
            (
                Box::new(|s| s.switch.command_timeout_secs = 0),
                "aggregator.switch.command_timeout_secs",
            ),
            (
                Box::new(|s| s.readings.concurrency = 0),
                "aggregator.readings.concurrency",
            ),
            (
                Box::new(|s| s.manager.tls_key = Some("/etc/hosts".into())),
                "aggregator.manager.tls_key",
            ),
            (
                Box::new(|s| {
                    s.manager.tls_certificate = Some("/etc/hosts".into());
                    s.manager.tls_key = Some("/no/such/dir/tls.key".into());
                }),
                "aggregator.manager.tls_key",
            ),
            (
                Box::new(|s| s.manager.tls_certificate = Some("/nope.pem".into())),
                "aggregator.manager.tls_certificate",
            ),
            (
                Box::new(|s| {
                    s.inside_switch = false;
                    s.host.id = "x-y".into();
                }),
                "aggregator.host.id",
            ),
        ];
        for (mutate, key) in rows {
            let mut s = RackSettings::default();
            mutate(&mut s);
            let e = s.validate().expect_err(key).to_string();
            assert!(e.contains(key), "{key}: {e}");
        }
    }

    #[test]
    fn a_disabled_resource_is_not_checked_and_the_host_only_counts_outside_the_switch() {
        let mut s = RackSettings::default();
        s.rack.enabled = false;
        s.rack.id = "bad-id".into();
        s.inside_switch = true;
        s.host.id = "also-bad".into();
        s.validate().expect("disabled ids are not served");
    }
}
