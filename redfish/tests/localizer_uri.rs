//! localize_uri / delocalize_uri / Location / Link header tables. One row = input, expected,
//! and the vendor shape it comes from.

use redfish::ids::BmcId;
use redfish::rewrite::{
    BmcContext, ForeignLink, delocalize_uri, localize_link_header, localize_location, localize_uri,
};

fn ctx() -> BmcContext {
    let s1 = BmcId::parse("s1").expect("valid");
    let origins = [
        "https://10.0.0.11".to_owned(),
        "https://[fd00::11]:443".to_owned(),
        "bmc1.example.com".to_owned(),
    ];
    BmcContext::new(&s1, &origins)
}

/// What delocalize_uri returns.
type Delocalized = Result<Option<String>, ForeignLink>;

const P: &str = "/redfish/v1/Oem/RedDrum/Bmcs/s1";

/// (input, expected localized (None = left alone), vendor shape)
fn localize_rows() -> Vec<(&'static str, Option<String>, &'static str)> {
    let same = |s: &str| Some(s.to_owned());
    let pass = |rest: &str| Some(format!("{P}{rest}"));
    vec![
        // iDRAC
        (
            "/redfish/v1/Systems/System.Embedded.1",
            same("/redfish/v1/Systems/s1-System.Embedded.1"),
            "iDRAC system",
        ),
        (
            "/redfish/v1/Systems/System.Embedded.1/Bios",
            same("/redfish/v1/Systems/s1-System.Embedded.1/Bios"),
            "iDRAC Bios",
        ),
        (
            "/redfish/v1/Systems/System.Embedded.1/Bios/Settings",
            same("/redfish/v1/Systems/s1-System.Embedded.1/Bios/Settings"),
            "iDRAC SettingsObject",
        ),
        (
            "/redfish/v1/Managers/iDRAC.Embedded.1/Jobs/JID_123456789012",
            same("/redfish/v1/Managers/s1-iDRAC.Embedded.1/Jobs/JID_123456789012"),
            "iDRAC job",
        ),
        (
            "/redfish/v1/Managers/iDRAC.Embedded.1/Actions/Oem/EID_674_Manager.ExportSystemConfiguration",
            same(
                "/redfish/v1/Managers/s1-iDRAC.Embedded.1/Actions/Oem/EID_674_Manager.ExportSystemConfiguration",
            ),
            "iDRAC Oem action target",
        ),
        (
            "/redfish/v1/Chassis/System.Embedded.1/Power#/PowerControl/0",
            same("/redfish/v1/Chassis/s1-System.Embedded.1/Power#/PowerControl/0"),
            "iDRAC fragment",
        ),
        (
            "https://10.0.0.11/redfish/v1/Systems/System.Embedded.1",
            same("/redfish/v1/Systems/s1-System.Embedded.1"),
            "iDRAC absolute",
        ),
        (
            "https://10.0.0.11:443/redfish/v1/Managers/iDRAC.Embedded.1",
            same("/redfish/v1/Managers/s1-iDRAC.Embedded.1"),
            "absolute with default port",
        ),
        (
            "HTTPS://10.0.0.11/redfish/v1/Chassis/System.Embedded.1",
            same("/redfish/v1/Chassis/s1-System.Embedded.1"),
            "scheme case",
        ),
        (
            "/redfish/v1/$metadata#ComputerSystem.ComputerSystem",
            same("/redfish/v1/$metadata#ComputerSystem.ComputerSystem"),
            "iDRAC context stays",
        ),
        (
            "https://10.0.0.11/redfish/v1/$metadata#ComputerSystem.ComputerSystem",
            same("/redfish/v1/$metadata#ComputerSystem.ComputerSystem"),
            "absolute context made relative",
        ),
        (
            "/redfish/v1/TaskService/Tasks/JID_123",
            same("/redfish/v1/TaskService/Tasks/s1-JID_123"),
            "iDRAC task",
        ),
        (
            "/redfish/v1/TaskService/TaskMonitors/JID_123",
            same("/redfish/v1/TaskService/TaskMonitors/s1-JID_123"),
            "task monitor",
        ),
        (
            "/redfish/v1/UpdateService/FirmwareInventory/Installed-25227-2.80.00__RAID.Integrated.1-1",
            same(
                "/redfish/v1/UpdateService/FirmwareInventory/s1-Installed-25227-2.80.00__RAID.Integrated.1-1",
            ),
            "iDRAC firmware id with '-', '.', '_'",
        ),
        (
            "/redfish/v1/Dell/Managers/iDRAC.Embedded.1/DellJobService",
            pass("/Dell/Managers/iDRAC.Embedded.1/DellJobService"),
            "iDRAC /redfish/v1/Dell tree",
        ),
        (
            "/redfish/v1/UpdateService/Actions/Oem/DellUpdateService.Install",
            pass("/UpdateService/Actions/Oem/DellUpdateService.Install"),
            "UpdateService singleton action",
        ),
        (
            "/redfish/v1/SessionService/Sessions/5",
            pass("/SessionService/Sessions/5"),
            "BMC session",
        ),
        (
            "/redfish/v1/AccountService/Accounts/2",
            pass("/AccountService/Accounts/2"),
            "BMC account",
        ),
        (
            "/redfish/v1/Registries/Messages/EEMIRegistry",
            pass("/Registries/Messages/EEMIRegistry"),
            "BMC registry",
        ),
        (
            "/redfish/v1/JsonSchemas/ComputerSystem.v1_5_0.json",
            pass("/JsonSchemas/ComputerSystem.v1_5_0.json"),
            "BMC schema",
        ),
        // iLO: trailing slashes everywhere
        (
            "/redfish/v1/Systems/1/",
            same("/redfish/v1/Systems/s1-1/"),
            "iLO system",
        ),
        (
            "/redfish/v1/Systems/",
            same("/redfish/v1/Systems/"),
            "iLO collection stays",
        ),
        ("/redfish/v1/", pass("/"), "iLO service root"),
        (
            "/redfish/v1/Managers/1/EthernetInterfaces/1/",
            same("/redfish/v1/Managers/s1-1/EthernetInterfaces/1/"),
            "iLO NIC",
        ),
        (
            "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset/",
            same("/redfish/v1/Systems/s1-1/Actions/ComputerSystem.Reset/"),
            "iLO reset target",
        ),
        (
            "/redfish/v1/Systems/1/Actions/Oem/Hpe/HpeComputerSystemExt.SystemReset/",
            same("/redfish/v1/Systems/s1-1/Actions/Oem/Hpe/HpeComputerSystemExt.SystemReset/"),
            "iLO Oem Hpe action",
        ),
        (
            "/redfish/v1/Chassis/1/Thermal/",
            same("/redfish/v1/Chassis/s1-1/Thermal/"),
            "iLO Thermal",
        ),
        (
            "/redfish/v1/UpdateService/FirmwareInventory/1/",
            same("/redfish/v1/UpdateService/FirmwareInventory/s1-1/"),
            "iLO firmware",
        ),
        (
            "/redfish/v1/SessionService/Sessions/admin000000000000/",
            pass("/SessionService/Sessions/admin000000000000/"),
            "iLO session",
        ),
        (
            "/redfish/v1/Managers/1/LicenseService/1/",
            same("/redfish/v1/Managers/s1-1/LicenseService/1/"),
            "iLO license under manager",
        ),
        (
            "/redfish/v1/EventService/Subscriptions/1/",
            pass("/EventService/Subscriptions/1/"),
            "iLO subscription",
        ),
        (
            "/redfish/v1/TaskService/Tasks/",
            same("/redfish/v1/TaskService/Tasks/"),
            "iLO task collection",
        ),
        (
            "/redfish/v1/UpdateService/",
            pass("/UpdateService/"),
            "iLO UpdateService singleton",
        ),
        // OpenBMC / bmcweb
        (
            "/redfish/v1/Systems/system",
            same("/redfish/v1/Systems/s1-system"),
            "OpenBMC system",
        ),
        (
            "/redfish/v1/Systems/system/LogServices/EventLog/Entries?$skip=1000",
            same("/redfish/v1/Systems/s1-system/LogServices/EventLog/Entries?$skip=1000"),
            "OpenBMC nextLink query",
        ),
        (
            "/redfish/v1/Managers/bmc",
            same("/redfish/v1/Managers/s1-bmc"),
            "OpenBMC manager",
        ),
        (
            "/redfish/v1/Managers/bmc/NetworkProtocol/HTTPS/Certificates/1",
            same("/redfish/v1/Managers/s1-bmc/NetworkProtocol/HTTPS/Certificates/1"),
            "OpenBMC cert below a member",
        ),
        (
            "/redfish/v1/UpdateService/FirmwareInventory/bmc_active",
            same("/redfish/v1/UpdateService/FirmwareInventory/s1-bmc_active"),
            "OpenBMC firmware",
        ),
        (
            "/redfish/v1/UpdateService/SoftwareInventory/a3f2c1d0",
            same("/redfish/v1/UpdateService/SoftwareInventory/s1-a3f2c1d0"),
            "OpenBMC software",
        ),
        (
            "/redfish/v1/Chassis/chassis/Sensors/temperature_CPU0",
            same("/redfish/v1/Chassis/s1-chassis/Sensors/temperature_CPU0"),
            "OpenBMC sensor",
        ),
        (
            "/redfish/v1/ComponentIntegrity/0",
            same("/redfish/v1/ComponentIntegrity/s1-0"),
            "OpenBMC SPDM",
        ),
        (
            "/redfish/v1/Cables/cable0",
            same("/redfish/v1/Cables/s1-cable0"),
            "OpenBMC cable",
        ),
        (
            "/redfish/v1/Fabrics/PCIe/Switches/0",
            same("/redfish/v1/Fabrics/s1-PCIe/Switches/0"),
            "fabric switch",
        ),
        (
            "/redfish/v1/TaskService/TaskMonitors/0",
            same("/redfish/v1/TaskService/TaskMonitors/s1-0"),
            "bmcweb task monitor",
        ),
        (
            "/redfish/v1/Registries/Base/Base",
            pass("/Registries/Base/Base"),
            "bmcweb registry",
        ),
        (
            "/redfish/v1/CertificateService/CertificateLocations",
            pass("/CertificateService/CertificateLocations"),
            "cert locations",
        ),
        (
            "/redfish/v1/TelemetryService/MetricReportDefinitions/PlatformMetrics",
            pass("/TelemetryService/MetricReportDefinitions/PlatformMetrics"),
            "telemetry excluded",
        ),
        (
            "/redfish/v1/odata",
            same("/redfish/v1/odata"),
            "OData service doc",
        ),
        (
            "/redfish/v1/$metadata",
            same("/redfish/v1/$metadata"),
            "metadata",
        ),
        ("/redfish", same("/redfish"), "version document"),
        ("/redfish/v1", pass(""), "service root"),
        // Supermicro
        (
            "/redfish/v1/Managers/1",
            same("/redfish/v1/Managers/s1-1"),
            "Supermicro manager",
        ),
        (
            "/redfish/v1/Managers/1/Oem/Supermicro/FanMode",
            same("/redfish/v1/Managers/s1-1/Oem/Supermicro/FanMode"),
            "Supermicro Oem link",
        ),
        (
            "/redfish/v1/Systems/1/Oem/Supermicro/FixedBootOrder",
            same("/redfish/v1/Systems/s1-1/Oem/Supermicro/FixedBootOrder"),
            "Supermicro boot order",
        ),
        (
            "/redfish/v1/UpdateService/Oem/Supermicro/BIOS",
            pass("/UpdateService/Oem/Supermicro/BIOS"),
            "Supermicro update Oem",
        ),
        // DMTF mockups
        (
            "/redfish/v1/Systems/437XR1138R2",
            same("/redfish/v1/Systems/s1-437XR1138R2"),
            "mockup system",
        ),
        (
            "/redfish/v1/Chassis/1U/Power#/PowerSupplies/0",
            same("/redfish/v1/Chassis/s1-1U/Power#/PowerSupplies/0"),
            "MetricProperty fragment",
        ),
        (
            "/redfish/v1/TelemetryService/MetricReports/AvgPlatformPowerUsage",
            pass("/TelemetryService/MetricReports/AvgPlatformPowerUsage"),
            "metric report",
        ),
        (
            "/redfish/v1/Systems?$skip=2",
            same("/redfish/v1/Systems?$skip=2"),
            "top collection nextLink keeps path",
        ),
        (
            "/redfish/v1/Chassis/1U/Sensors?$skip=10",
            same("/redfish/v1/Chassis/s1-1U/Sensors?$skip=10"),
            "sub-collection nextLink",
        ),
        (
            "/redfish/v1/PowerEquipment/RackPDUs/1/Outlets/A1",
            same("/redfish/v1/PowerEquipment/RackPDUs/s1-1/Outlets/A1"),
            "rack PDU outlet",
        ),
        (
            "/redfish/v1/PowerEquipment",
            pass("/PowerEquipment"),
            "PowerEquipment singleton",
        ),
        (
            "/redfish/v1/ThermalEquipment/CDUs/1",
            same("/redfish/v1/ThermalEquipment/CDUs/s1-1"),
            "CDU",
        ),
        (
            "/redfish/v1/Facilities/Room237",
            same("/redfish/v1/Facilities/s1-Room237"),
            "facility",
        ),
        (
            "/redfish/v1/LicenseService/Licenses/KVM",
            same("/redfish/v1/LicenseService/Licenses/s1-KVM"),
            "license",
        ),
        (
            "/redfish/v1/KeyService/NVMeoFSecrets/0",
            same("/redfish/v1/KeyService/NVMeoFSecrets/s1-0"),
            "NVMe-oF secret",
        ),
        (
            "/redfish/v1/CompositionService/ResourceBlocks/ComputeBlock1",
            same("/redfish/v1/CompositionService/ResourceBlocks/s1-ComputeBlock1"),
            "resource block",
        ),
        (
            "/redfish/v1/ResourceBlocks/DriveBlock3",
            same("/redfish/v1/ResourceBlocks/s1-DriveBlock3"),
            "top-level resource block",
        ),
        (
            "/redfish/v1/StorageServices/1",
            same("/redfish/v1/StorageServices/s1-1"),
            "Swordfish",
        ),
        (
            "/redfish/v1/Storage/1/Volumes/1",
            same("/redfish/v1/Storage/s1-1/Volumes/1"),
            "storage volume",
        ),
        (
            "/redfish/v1/JobService/Jobs/1/Steps/1",
            same("/redfish/v1/JobService/Jobs/s1-1/Steps/1"),
            "job step",
        ),
        (
            "/redfish/v1/JobService/Log/Entries/1",
            same("/redfish/v1/JobService/Log/Entries/s1-1"),
            "3-segment collection",
        ),
        (
            "/redfish/v1/JobService/Log",
            pass("/JobService/Log"),
            "JobService log singleton",
        ),
        (
            "/redfish/v1/UpdateService/RemoteServerCertificates/1",
            pass("/UpdateService/RemoteServerCertificates/1"),
            "excluded trust store",
        ),
        (
            "/redfish/v1/AggregationService/AggregationSources/1",
            pass("/AggregationService/AggregationSources/1"),
            "excluded aggregation",
        ),
        // IPv6 and host-name origins
        (
            "https://[fd00::11]/redfish/v1/Systems/1",
            same("/redfish/v1/Systems/s1-1"),
            "IPv6 without port",
        ),
        (
            "https://[fd00::11]:443/redfish/v1/Systems/1",
            same("/redfish/v1/Systems/s1-1"),
            "IPv6 with default port",
        ),
        (
            "https://[FD00::11]/redfish/v1/Systems/1",
            same("/redfish/v1/Systems/s1-1"),
            "IPv6 hex case",
        ),
        (
            "https://[fd00::12]/redfish/v1/Systems/1",
            None,
            "other IPv6 host",
        ),
        (
            "https://bmc1.example.com/redfish/v1/Systems/1",
            same("/redfish/v1/Systems/s1-1"),
            "bare host means https",
        ),
        (
            "http://bmc1.example.com/redfish/v1/Systems/1",
            same("/redfish/v1/Systems/s1-1"),
            "bare host means http too",
        ),
        (
            "https://BMC1.Example.COM:443/redfish/v1/Systems/1",
            same("/redfish/v1/Systems/s1-1"),
            "host case, default port",
        ),
        (
            "https://10.0.0.11:8443/redfish/v1/Systems/1",
            None,
            "other port",
        ),
        (
            "http://10.0.0.11/redfish/v1/Systems/1",
            None,
            "origin was given as https only",
        ),
        (
            "https://10.0.0.110/redfish/v1/Systems/1",
            None,
            "longer address",
        ),
        (
            "https://10.0.0.11.evil.example/redfish/v1/Systems/1",
            None,
            "host suffix",
        ),
        (
            "https://user@10.0.0.11/redfish/v1/Systems/1",
            None,
            "userinfo is not our origin",
        ),
        (
            "https://10.0.0.11/ui/index.html",
            None,
            "BMC web UI stays absolute",
        ),
        ("https://10.0.0.11", None, "bare origin"),
        ("https://10.0.0.11?x=1", None, "origin with query only"),
        (
            "https://10.0.0.11/redfish/v1?$expand=.",
            same(&format!("{P}?$expand=.")),
            "absolute service root",
        ),
        // Member ids with '-', '.', percent-encoding, unicode
        (
            "/redfish/v1/Systems/0b0e6e4e-5a1b-4c2d-8e9f-001122334455",
            same("/redfish/v1/Systems/s1-0b0e6e4e-5a1b-4c2d-8e9f-001122334455"),
            "UUID member",
        ),
        (
            "/redfish/v1/Chassis/Enclosure.Internal.0-1:RAID.Integrated.1-1",
            same("/redfish/v1/Chassis/s1-Enclosure.Internal.0-1:RAID.Integrated.1-1"),
            "iDRAC enclosure id",
        ),
        (
            "/redfish/v1/Systems/a%2Fb/Bios",
            same("/redfish/v1/Systems/s1-a%2Fb/Bios"),
            "percent-encoded slash kept",
        ),
        (
            "/redfish/v1/Chassis/Rack%201",
            same("/redfish/v1/Chassis/s1-Rack%201"),
            "percent-encoded space kept",
        ),
        (
            "/redfish/v1/Systems%2F1",
            pass("/Systems%2F1"),
            "encoded separator is not a segment",
        ),
        (
            "/redfish/v1/Systems/syst\u{e8}me",
            same("/redfish/v1/Systems/s1-syst\u{e8}me"),
            "unicode id",
        ),
        (
            "/redfish/v1/Systems/s1-1",
            same("/redfish/v1/Systems/s1-s1-1"),
            "BMC id that looks prefixed",
        ),
        // External URLs
        (
            "https://www.dmtf.org/sites/default/files/standards/documents/DSP8010.zip",
            None,
            "dmtf.org",
        ),
        (
            "http://redfish.dmtf.org/schemas/v1/ComputerSystem.v1_5_0.json",
            None,
            "schema URL",
        ),
        (
            "https://10.0.0.50/redfish/v1/PowerEquipment/RackPDUs/1",
            None,
            "a PDU's own URL",
        ),
        ("nfs://files.example/images/boot.iso", None, "NFS image"),
        (
            "http://files.example/redfish/v1/Systems/1",
            None,
            "other host with a Redfish path",
        ),
        ("//files.example/boot.iso", None, "network-path reference"),
        ("/images/boot.iso", None, "relative non-Redfish path"),
        // Malformed
        ("", None, "empty"),
        ("/", None, "slash"),
        ("//", None, "double slash"),
        (
            "/redfish/v1//Systems/1",
            pass("//Systems/1"),
            "empty segment",
        ),
        (
            "/redfish/v1/Systems//Bios",
            pass("/Systems//Bios"),
            "empty member id",
        ),
        ("/redfish/v1x/Systems/1", None, "not v1"),
        ("/redfish/v2/Systems/1", None, "v2"),
        ("redfish/v1/Systems/1", None, "no leading slash"),
        (" /redfish/v1/Systems/1", None, "leading space"),
        ("/redfishv1", None, "glued"),
        (
            "/redfish/",
            same("/redfish/"),
            "version document with slash",
        ),
        (
            "/redfish/v1?$select=Id",
            pass("?$select=Id"),
            "root with query",
        ),
        ("/redfish/v1#x", pass("#x"), "root with fragment"),
        (
            "/redfish/v1/Systems#frag",
            same("/redfish/v1/Systems#frag"),
            "collection with fragment",
        ),
        (
            "/redfish/v1/Oem/RedDrum/Bmcs/x/Systems",
            pass("/Oem/RedDrum/Bmcs/x/Systems"),
            "a BMC that is itself an aggregator",
        ),
    ]
}

#[test]
fn localize_uri_table() {
    let ctx = ctx();
    let rows = localize_rows();
    assert!(rows.len() >= 100, "{} rows", rows.len());
    let mut failures = Vec::new();
    for (input, expected, shape) in &rows {
        let got = localize_uri(input, &ctx);
        if &got != expected {
            failures.push(format!(
                "{shape}: {input:?} -> {got:?}, expected {expected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn localized_relative_uris_delocalize_back() {
    let ctx = ctx();
    for (input, expected, shape) in localize_rows() {
        let Some(localized) = expected else { continue };
        // Absolute BMC URLs come back relative.
        let original = if input.starts_with('/') {
            input.to_owned()
        } else {
            let at = input
                .find("/redfish")
                .expect("absolute BMC rows have a Redfish path");
            input[at..].to_owned()
        };
        assert_eq!(
            delocalize_uri(&localized, &ctx),
            Ok(Some(original)),
            "{shape}: {input}"
        );
    }
}

#[test]
fn delocalize_uri_table() {
    let ctx = ctx();
    let ok = |s: &str| Ok(Some(s.to_owned()));
    let foreign = |s: &str| {
        Err(ForeignLink {
            property_path: String::new(),
            uri: s.to_owned(),
        })
    };
    // (aggregate URI, expected, why)
    let rows: Vec<(&str, Delocalized, &str)> = vec![
        (
            "/redfish/v1/Systems/s1-1/Bios",
            ok("/redfish/v1/Systems/1/Bios"),
            "member sub-resource",
        ),
        (
            "/redfish/v1/Systems/s1-System.Embedded.1",
            ok("/redfish/v1/Systems/System.Embedded.1"),
            "iDRAC member",
        ),
        (
            "/redfish/v1/Systems/s1-1/",
            ok("/redfish/v1/Systems/1/"),
            "iLO trailing slash",
        ),
        (
            "/redfish/v1/Managers/s1-bmc",
            ok("/redfish/v1/Managers/bmc"),
            "OpenBMC manager",
        ),
        (
            "/redfish/v1/UpdateService/FirmwareInventory/s1-bmc_active",
            ok("/redfish/v1/UpdateService/FirmwareInventory/bmc_active"),
            "firmware",
        ),
        (
            "/redfish/v1/Systems/s1-0b0e6e4e-5a1b-4c2d-8e9f-001122334455",
            ok("/redfish/v1/Systems/0b0e6e4e-5a1b-4c2d-8e9f-001122334455"),
            "UUID",
        ),
        (
            "/redfish/v1/Systems/s1-s1-1",
            ok("/redfish/v1/Systems/s1-1"),
            "BMC id that looks prefixed",
        ),
        (
            "/redfish/v1/Chassis/s1-1U/Power#/PowerControl/0",
            ok("/redfish/v1/Chassis/1U/Power#/PowerControl/0"),
            "fragment",
        ),
        (
            "/redfish/v1/Systems/s1-system/LogServices/EventLog/Entries?$skip=1000",
            ok("/redfish/v1/Systems/system/LogServices/EventLog/Entries?$skip=1000"),
            "query",
        ),
        (
            "/redfish/v1/Systems/s1-a%2Fb",
            ok("/redfish/v1/Systems/a%2Fb"),
            "percent-encoding kept",
        ),
        (
            "/redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService/Accounts/3",
            ok("/redfish/v1/AccountService/Accounts/3"),
            "passthrough account",
        ),
        (
            "/redfish/v1/Oem/RedDrum/Bmcs/s1",
            ok("/redfish/v1"),
            "BMC service root",
        ),
        (
            "/redfish/v1/Oem/RedDrum/Bmcs/s1/",
            ok("/redfish/v1/"),
            "BMC service root, slash",
        ),
        (
            "/redfish/v1/Oem/RedDrum/Bmcs/s1?$select=Id",
            ok("/redfish/v1?$select=Id"),
            "root with query",
        ),
        (
            "/redfish/v1/Systems",
            ok("/redfish/v1/Systems"),
            "collection passes",
        ),
        (
            "/redfish/v1/Systems/",
            ok("/redfish/v1/Systems/"),
            "collection with slash passes",
        ),
        (
            "/redfish/v1/$metadata#ComputerSystem.ComputerSystem",
            ok("/redfish/v1/$metadata#ComputerSystem.ComputerSystem"),
            "metadata passes",
        ),
        ("/redfish/v1/odata", ok("/redfish/v1/odata"), "odata passes"),
        ("/redfish", ok("/redfish"), "version document"),
        (
            "http://files.example/boot.iso",
            Ok(None),
            "VirtualMedia image",
        ),
        (
            "https://10.0.0.11/redfish/v1/Systems/1",
            Ok(None),
            "absolute URLs are external to the aggregate",
        ),
        ("/images/boot.iso", Ok(None), "relative non-Redfish"),
        ("", Ok(None), "empty"),
        ("//files.example/x", Ok(None), "network-path reference"),
        (
            "/redfish/v1/Systems/s2-1",
            foreign("/redfish/v1/Systems/s2-1"),
            "another BMC's member",
        ),
        (
            "/redfish/v1/Systems/s11-1",
            foreign("/redfish/v1/Systems/s11-1"),
            "longer BMC id is another BMC",
        ),
        (
            "/redfish/v1/Systems/S1-1",
            foreign("/redfish/v1/Systems/S1-1"),
            "BMC ids are case-sensitive",
        ),
        (
            "/redfish/v1/Chassis/Rack1",
            foreign("/redfish/v1/Chassis/Rack1"),
            "aggregate-local member",
        ),
        (
            "/redfish/v1/Managers/aggregator",
            foreign("/redfish/v1/Managers/aggregator"),
            "aggregator manager",
        ),
        (
            "/redfish/v1",
            foreign("/redfish/v1"),
            "aggregate service root",
        ),
        (
            "/redfish/v1/",
            foreign("/redfish/v1/"),
            "aggregate service root, slash",
        ),
        (
            "/redfish/v1/AccountService/Accounts/1",
            foreign("/redfish/v1/AccountService/Accounts/1"),
            "aggregate account",
        ),
        (
            "/redfish/v1/SessionService/Sessions/9",
            foreign("/redfish/v1/SessionService/Sessions/9"),
            "aggregate session",
        ),
        (
            "/redfish/v1/JsonSchemas/ComputerSystem.v1_5_0.json",
            foreign("/redfish/v1/JsonSchemas/ComputerSystem.v1_5_0.json"),
            "aggregate schema",
        ),
        (
            "/redfish/v1/Oem/RedDrum/Bmcs/s2/AccountService",
            foreign("/redfish/v1/Oem/RedDrum/Bmcs/s2/AccountService"),
            "another BMC's passthrough",
        ),
        (
            "/redfish/v1/Oem/RedDrum/Bmcs/bad-id/x",
            foreign("/redfish/v1/Oem/RedDrum/Bmcs/bad-id/x"),
            "invalid passthrough",
        ),
        (
            "/redfish/v1/Oem/RedDrum/Bmcs",
            foreign("/redfish/v1/Oem/RedDrum/Bmcs"),
            "passthrough base",
        ),
        (
            "/redfish/v1/Systems//Bios",
            foreign("/redfish/v1/Systems//Bios"),
            "empty member id",
        ),
    ];
    let mut failures = Vec::new();
    for (input, expected, why) in &rows {
        let got = delocalize_uri(input, &ctx);
        if &got != expected {
            failures.push(format!(
                "{why}: {input:?} -> {got:?}, expected {expected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn foreign_link_message_names_property_and_uri() {
    let err = ForeignLink {
        property_path: "/Links/Chassis/0/@odata.id".into(),
        uri: "/redfish/v1/Chassis/s2-1".into(),
    };
    let text = err.to_string();
    assert!(text.contains("/Links/Chassis/0/@odata.id"), "{text}");
    assert!(text.contains("/redfish/v1/Chassis/s2-1"), "{text}");
    let _: &dyn std::error::Error = &err;
}

#[test]
fn location_header_table() {
    let ctx = ctx();
    // (Location value, expected, shape)
    let rows: &[(&str, &str, &str)] = &[
        (
            "/redfish/v1/TaskService/Tasks/JID_1",
            "/redfish/v1/TaskService/Tasks/s1-JID_1",
            "iDRAC task, relative",
        ),
        (
            "https://10.0.0.11/redfish/v1/TaskService/TaskMonitors/JID_1",
            "/redfish/v1/TaskService/TaskMonitors/s1-JID_1",
            "absolute monitor",
        ),
        (
            "https://10.0.0.11:443/redfish/v1/SessionService/Sessions/7",
            "/redfish/v1/Oem/RedDrum/Bmcs/s1/SessionService/Sessions/7",
            "absolute session",
        ),
        (
            "/redfish/v1/AccountService/Accounts/4/",
            "/redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService/Accounts/4/",
            "iLO created account",
        ),
        (
            "/redfish/v1/Systems/system/LogServices/Dump/Entries/1",
            "/redfish/v1/Systems/s1-system/LogServices/Dump/Entries/1",
            "OpenBMC dump",
        ),
        (
            "https://[fd00::11]/redfish/v1/Managers/1/",
            "/redfish/v1/Managers/s1-1/",
            "IPv6",
        ),
        (
            " /redfish/v1/Managers/1 ",
            "/redfish/v1/Managers/s1-1",
            "surrounding whitespace",
        ),
        ("/redfish/v1/Systems", "/redfish/v1/Systems", "collection"),
        (
            "https://files.example/x",
            "https://files.example/x",
            "external",
        ),
        (
            "Sessions/5",
            "Sessions/5",
            "relative-path reference left alone",
        ),
        ("", "", "empty"),
        ("\u{0}garbage", "\u{0}garbage", "garbage"),
    ];
    for (input, expected, shape) in rows {
        assert_eq!(localize_location(input, &ctx), *expected, "{shape}");
    }
}

#[test]
fn link_header_table() {
    let ctx = ctx();
    // (Link value, expected, shape)
    let rows: &[(&str, &str, &str)] = &[
        (
            "</redfish/v1/JsonSchemas/ComputerSystem.v1_5_0.json>; rel=describedby, <https://10.0.0.11/redfish/v1/JsonSchemas/Oem.json>; rel=\"describedby\"",
            "</redfish/v1/Oem/RedDrum/Bmcs/s1/JsonSchemas/ComputerSystem.v1_5_0.json>; rel=describedby, </redfish/v1/Oem/RedDrum/Bmcs/s1/JsonSchemas/Oem.json>; rel=\"describedby\"",
            "two describedby entries, relative and absolute",
        ),
        (
            "</redfish/v1/JsonSchemas/ComputerSystem/ComputerSystem.json>;rel=describedby",
            "</redfish/v1/Oem/RedDrum/Bmcs/s1/JsonSchemas/ComputerSystem/ComputerSystem.json>;rel=describedby",
            "bmcweb, no space",
        ),
        (
            "</redfish/v1/Systems/1/>; rel=self; title=\"a, b; <c>\", <https://www.dmtf.org/x>; rel=help",
            "</redfish/v1/Systems/s1-1/>; rel=self; title=\"a, b; <c>\", <https://www.dmtf.org/x>; rel=help",
            "quoted param with separators; external entry untouched",
        ),
        (
            "<https://www.dmtf.org/x>; rel=help",
            "<https://www.dmtf.org/x>; rel=help",
            "nothing to rewrite",
        ),
        (
            " , </redfish/v1/Managers/bmc>; rel=related ,",
            " , </redfish/v1/Managers/s1-bmc>; rel=related ,",
            "empty list elements",
        ),
        (
            "</redfish/v1/Systems/1>; title=\"say \\\"hi\\\"\"",
            "</redfish/v1/Systems/s1-1>; title=\"say \\\"hi\\\"\"",
            "escaped quote in param",
        ),
        (
            "</redfish/v1/Systems/1",
            "</redfish/v1/Systems/1",
            "unterminated <",
        ),
        (
            "/redfish/v1/Systems/1",
            "/redfish/v1/Systems/1",
            "no brackets",
        ),
        (
            "</redfish/v1/Systems/1>; rel=\"x",
            "</redfish/v1/Systems/1>; rel=\"x",
            "unterminated quote",
        ),
        (
            "</redfish/v1/Systems/1> </redfish/v1/Systems/2>",
            "</redfish/v1/Systems/1> </redfish/v1/Systems/2>",
            "missing comma",
        ),
        (
            "</redfish/v1/Systems/1>junk",
            "</redfish/v1/Systems/1>junk",
            "junk after >",
        ),
        (
            "</redfish/v1/Systems/1>; rel=a <b>",
            "</redfish/v1/Systems/1>; rel=a <b>",
            "stray < in params",
        ),
        ("", "", "empty"),
        ("<>", "<>", "empty uri"),
        (
            "\u{e9}</redfish/v1/Systems/1>",
            "\u{e9}</redfish/v1/Systems/1>",
            "non-ASCII junk first",
        ),
        (
            "</redfish/v1/Systems/\u{e9}>; rel=\"\u{e9}\"",
            "</redfish/v1/Systems/s1-\u{e9}>; rel=\"\u{e9}\"",
            "non-ASCII inside",
        ),
    ];
    for (input, expected, shape) in rows {
        assert_eq!(localize_link_header(input, &ctx), *expected, "{shape}");
    }
}

#[test]
fn context_origins_are_normalized() {
    let s1 = BmcId::parse("s1").expect("valid");
    let ctx = BmcContext::new(
        &s1,
        &[
            "HTTPS://10.0.0.11:443/".to_owned(),
            "https://[FD00::11]".to_owned(),
            "https://fd00::12".to_owned(),
            "http://bmc.example:8080/redfish/v1".to_owned(),
            "https://admin:pw@Host.Example".to_owned(),
            "https://[broken".to_owned(),
            "".to_owned(),
        ],
    );
    assert_eq!(
        ctx.origins(),
        [
            "http://bmc.example:8080",
            "https://10.0.0.11",
            "https://10.0.0.11:443",
            "https://[fd00::11]",
            "https://[fd00::11]:443",
            "https://[fd00::12]",
            "https://[fd00::12]:443",
            "https://host.example",
            "https://host.example:443",
        ]
    );
    assert_eq!(ctx.bmc().as_str(), "s1");
    assert_eq!(ctx.passthrough_root(), "/redfish/v1/Oem/RedDrum/Bmcs/s1");
    assert_eq!(
        localize_uri("http://BMC.example:8080/redfish/v1/Managers/1", &ctx).as_deref(),
        Some("/redfish/v1/Managers/s1-1")
    );
    assert_eq!(
        localize_uri("http://bmc.example/redfish/v1/Managers/1", &ctx),
        None
    );
}
