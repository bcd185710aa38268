//! ComputerSystem with Processors, Memory, EthernetInterfaces, Bios (+Settings), ResetActionInfo.

use serde_json::{Value, json};

use super::common::{action_info, link, links, ok_rollup, ok_status, part_location};
use super::types as t;
use super::{MemberIds, TreeBuilder, oem};
use crate::store::Caps;

/// Reset types the system accepts.
pub(crate) const SYSTEM_RESET_TYPES: [&str; 7] = [
    "On",
    "ForceOff",
    "GracefulShutdown",
    "ForceRestart",
    "GracefulRestart",
    "PowerCycle",
    "Nmi",
];

/// The boot order the firmware ships with, restored by `#ComputerSystem.SetDefaultBootOrder`.
pub(crate) const DEFAULT_BOOT_ORDER: [&str; 3] = ["Boot0001", "Boot0002", "Boot0003"];

const BOOT_TARGETS: [&str; 7] = ["None", "Pxe", "Cd", "Usb", "Hdd", "BiosSetup", "UefiShell"];

pub(super) fn build(b: &mut TreeBuilder) {
    let l = b.layout().clone();
    let sys = l.sys();
    let managed_by = if l.absolute_urls {
        format!("{}{}", super::SELF_BASE, l.mgr())
    } else {
        l.mgr()
    };
    // BMCs with UUID ids use the system's SMBIOS UUID as its id.
    let system_uuid = match &b.shape().ids {
        MemberIds::Uuids([system, _, _]) => system.clone(),
        MemberIds::Profile | MemberIds::Encoded => "4c4c4544-0044-3510-8052-b4c04f4d5632".into(),
    };
    let mut body = json!({
        "@odata.id": sys,
        "@odata.type": t::SYSTEM,
        "Id": l.system,
        "Name": "System",
        "Description": "Simulated computer system",
        "SystemType": "Physical",
        "AssetTag": "",
        "Manufacturer": l.vendor,
        "Model": l.model,
        "SKU": "SIM-SKU-0001",
        "SerialNumber": "SIMSN000001",
        "PartNumber": "SIM-PN-0001",
        "UUID": system_uuid,
        "HostName": "sim-host",
        "BiosVersion": l.bios_version,
        "PowerState": "On",
        "LocationIndicatorActive": false,
        "Status": ok_rollup(),
        "Boot": {
            "BootSourceOverrideEnabled": "Disabled",
            "BootSourceOverrideEnabled@Redfish.AllowableValues": ["Disabled", "Once", "Continuous"],
            "BootSourceOverrideTarget": "None",
            "BootSourceOverrideTarget@Redfish.AllowableValues": BOOT_TARGETS,
            "BootSourceOverrideMode": "UEFI",
            "BootSourceOverrideMode@Redfish.AllowableValues": ["Legacy", "UEFI"],
            "BootOrder": DEFAULT_BOOT_ORDER,
        },
        "ProcessorSummary": {
            "Count": 2,
            "CoreCount": 64,
            "LogicalProcessorCount": 128,
            "Model": "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
        },
        "MemorySummary": { "TotalSystemMemoryGiB": 64, "MemoryMirroring": "System" },
        "Processors": link(&format!("{sys}/Processors")),
        "Memory": link(&format!("{sys}/Memory")),
        "Storage": link(&format!("{sys}/Storage")),
        "EthernetInterfaces": link(&format!("{sys}/EthernetInterfaces")),
        "LogServices": link(&format!("{sys}/LogServices")),
        "Bios": link(&format!("{sys}/Bios")),
        "Links": {
            "Chassis": links(&[l.chas()]),
            "ManagedBy": links(&[managed_by]),
        },
        "Actions": {
            "#ComputerSystem.Reset": {
                "target": format!("{sys}/Actions/ComputerSystem.Reset"),
                "ResetType@Redfish.AllowableValues": SYSTEM_RESET_TYPES,
                "@Redfish.ActionInfo": format!("{sys}/ResetActionInfo"),
            },
            "#ComputerSystem.SetDefaultBootOrder": {
                "target": format!("{sys}/Actions/ComputerSystem.SetDefaultBootOrder"),
            },
        },
    });
    if l.vmedia_under_system {
        body["VirtualMedia"] = link(&format!("{sys}/VirtualMedia"));
    }
    if let Some(o) = oem::system(&l) {
        body["Oem"] = o;
    }
    b.add(
        body,
        Caps::patch(&[
            "/AssetTag",
            "/HostName",
            "/LocationIndicatorActive",
            "/Boot/BootSourceOverrideEnabled",
            "/Boot/BootSourceOverrideTarget",
            "/Boot/BootSourceOverrideMode",
            "/Boot/BootOrder",
        ]),
    );
    b.add(
        action_info(
            &format!("{sys}/ResetActionInfo"),
            "ResetActionInfo",
            json!([{
                "Name": "ResetType",
                "Required": true,
                "DataType": "String",
                "AllowableValues": SYSTEM_RESET_TYPES,
            }]),
        ),
        Caps::READ,
    );
    processors(b, &sys);
    memory(b, &sys);
    nics(b, &sys);
    bios(b, &sys);
}

fn processors(b: &mut TreeBuilder, sys: &str) {
    let ids = b.layout().ids.cpus;
    let coll = format!("{sys}/Processors");
    let members: Vec<String> = ids.iter().map(|id| format!("{coll}/{id}")).collect();
    b.collection(
        &coll,
        "Processor",
        "Processors Collection",
        &members,
        Caps::READ,
    );
    for (i, (id, path)) in ids.iter().zip(&members).enumerate() {
        b.add(
            json!({
                "@odata.id": path,
                "@odata.type": t::PROCESSOR,
                "Id": id,
                "Name": format!("Processor {}", i + 1),
                "Socket": format!("CPU {}", i + 1),
                "ProcessorType": "CPU",
                "ProcessorArchitecture": "x86",
                "InstructionSet": "x86-64",
                "Manufacturer": "Intel(R) Corporation",
                "Model": "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
                "MaxSpeedMHz": 3200,
                "OperatingSpeedMHz": 2000,
                "TotalCores": 32,
                "TotalThreads": 64,
                "Status": ok_status(),
            }),
            Caps::READ,
        );
    }
}

fn memory(b: &mut TreeBuilder, sys: &str) {
    let ids = b.layout().ids.dimms;
    let coll = format!("{sys}/Memory");
    let members: Vec<String> = ids.iter().map(|id| format!("{coll}/{id}")).collect();
    b.collection(&coll, "Memory", "Memory Collection", &members, Caps::READ);
    for (i, (id, path)) in ids.iter().zip(&members).enumerate() {
        b.add(
            json!({
                "@odata.id": path,
                "@odata.type": t::MEMORY,
                "Id": id,
                "Name": format!("DIMM {}", i + 1),
                "CapacityMiB": 16384,
                "MemoryDeviceType": "DDR4",
                "MemoryType": "DRAM",
                "OperatingSpeedMhz": 3200,
                "DataWidthBits": 64,
                "BusWidthBits": 72,
                "Manufacturer": "Hynix Semiconductor",
                "PartNumber": "HMA82GR7CJR8N-XN",
                "SerialNumber": format!("SIMDIMM{i:04}"),
                "RankCount": 2,
                "Location": part_location(id, "Slot", i),
                "Status": ok_status(),
            }),
            Caps::READ,
        );
    }
}

fn nics(b: &mut TreeBuilder, sys: &str) {
    let ids = b.layout().ids.sys_nics;
    let coll = format!("{sys}/EthernetInterfaces");
    let members: Vec<String> = ids.iter().map(|id| format!("{coll}/{id}")).collect();
    b.collection(
        &coll,
        "EthernetInterface",
        "System Ethernet Interfaces",
        &members,
        Caps::READ,
    );
    for (i, (id, path)) in ids.iter().zip(&members).enumerate() {
        let mac = format!("B4:96:91:3C:5A:{:02X}", 0x10 + i);
        b.add(
            json!({
                "@odata.id": path,
                "@odata.type": t::ETHERNET_INTERFACE,
                "Id": id,
                "Name": format!("System Ethernet Interface {}", i + 1),
                "MACAddress": mac,
                "PermanentMACAddress": mac,
                "SpeedMbps": 25000,
                "FullDuplex": true,
                "AutoNeg": true,
                "LinkStatus": if i == 0 { "LinkUp" } else { "LinkDown" },
                "InterfaceEnabled": true,
                "IPv4Addresses": [{
                    "Address": format!("192.0.2.{}", 10 + i),
                    "SubnetMask": "255.255.255.0",
                    "AddressOrigin": "DHCP",
                    "Gateway": "192.0.2.1",
                }],
                "Status": ok_status(),
            }),
            Caps::READ,
        );
    }
}

/// The BIOS attributes every profile starts with.
pub(crate) fn bios_attributes() -> Value {
    json!({
        "BootMode": "Uefi",
        "ProcTurboMode": "Enabled",
        "LogicalProc": "Enabled",
        "SysProfile": "PerfOptimized",
        "NumLock": "On",
        "MemTest": false,
        "SriovGlobalEnable": true,
        "ProcCStates": "Disabled",
        "SerialPortAddress": "Com1",
        "PowerRestoreDelaySec": 0,
    })
}

fn bios(b: &mut TreeBuilder, sys: &str) {
    let bios = format!("{sys}/Bios");
    let settings = format!("{bios}/Settings");
    b.add(
        json!({
            "@odata.id": bios,
            "@odata.type": t::BIOS,
            "Id": "Bios",
            "Name": "BIOS Configuration Current Settings",
            "AttributeRegistry": "BiosAttributeRegistry.v1_0_0",
            "Attributes": bios_attributes(),
            "@Redfish.Settings": {
                "@odata.type": "#Settings.v1_3_5.Settings",
                "SettingsObject": link(&settings),
                "SupportedApplyTimes": ["OnReset"],
            },
            "Actions": {
                "#Bios.ResetBios": { "target": format!("{bios}/Actions/Bios.ResetBios") }
            },
        }),
        Caps::READ,
    );
    b.add(
        json!({
            "@odata.id": settings,
            "@odata.type": t::BIOS,
            "Id": "Settings",
            "Name": "BIOS Configuration Pending Settings",
            "AttributeRegistry": "BiosAttributeRegistry.v1_0_0",
            "Attributes": {},
        }),
        Caps::patch(&["/Attributes/*"]),
    );
}
