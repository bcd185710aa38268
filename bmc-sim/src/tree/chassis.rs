//! Chassis with Power/Thermal (legacy) and PowerSubsystem/ThermalSubsystem (+PowerSupplies, Fans).

use serde_json::{Value, json};

use super::common::{link, links, ok_rollup, ok_status, part_location};
use super::sensors::{self, SensorKind};
use super::types as t;
use super::{Layout, TreeBuilder, oem};
use crate::store::Caps;

pub(super) fn build(b: &mut TreeBuilder) {
    let l = b.layout().clone();
    let chas = l.chas();
    let managed_by = if l.absolute_urls {
        format!("{}{}", super::SELF_BASE, l.mgr())
    } else {
        l.mgr()
    };
    let mut body = json!({
        "@odata.id": chas,
        "@odata.type": t::CHASSIS,
        "Id": l.chassis,
        "Name": "Computer System Chassis",
        "ChassisType": "RackMount",
        "Manufacturer": l.vendor,
        "Model": l.model,
        "SerialNumber": "SIMCH000001",
        "PartNumber": "SIM-CH-0001",
        "SKU": "SIM-SKU-0001",
        "AssetTag": "",
        "PowerState": "On",
        "LocationIndicatorActive": false,
        "Status": ok_rollup(),
        "Power": link(&format!("{chas}/Power")),
        "Thermal": link(&format!("{chas}/Thermal")),
        "PowerSubsystem": link(&format!("{chas}/PowerSubsystem")),
        "ThermalSubsystem": link(&format!("{chas}/ThermalSubsystem")),
        "Sensors": link(&format!("{chas}/Sensors")),
        "Links": {
            "ComputerSystems": links(&[l.sys()]),
            "ManagedBy": links(&[managed_by]),
            "ManagersInChassis": links(&[l.mgr()]),
        },
    });
    if let Some(o) = oem::chassis(&l) {
        body["Oem"] = o;
    }
    b.add(
        body,
        Caps::patch(&["/AssetTag", "/LocationIndicatorActive"]),
    );
    sensors::build(b, &chas);
    power(b, &l, &chas);
    thermal(b, &l, &chas);
    power_subsystem(b, &l, &chas);
    thermal_subsystem(b, &l, &chas);
}

/// `@odata.id` of an array member inside a resource (`<uri>#/Prop/N`), as the validator expects.
fn pointer(l: &Layout, path: &str, rest: &str) -> String {
    let slash = if l.trailing_slash { "/" } else { "" };
    format!("{path}{slash}#{rest}")
}

fn power(b: &mut TreeBuilder, l: &Layout, chas: &str) {
    let path = format!("{chas}/Power");
    let psus: Vec<Value> = (0..2)
        .map(|i| {
            json!({
                "@odata.id": pointer(l, &path, &format!("/PowerSupplies/{i}")),
                "MemberId": i.to_string(),
                "Name": format!("Power Supply Bay {}", i + 1),
                "PowerSupplyType": "AC",
                "LineInputVoltage": 230,
                "PowerCapacityWatts": 800,
                "LastPowerOutputWatts": 170,
                "Manufacturer": "Delta",
                "Model": "D800E-S0",
                "SerialNumber": format!("SIMPSU{i:04}"),
                "FirmwareVersion": "00.1D.7C",
                "Status": ok_status(),
            })
        })
        .collect();
    b.add(
        json!({
            "@odata.id": path,
            "@odata.type": t::POWER,
            "Id": "Power",
            "Name": "Power",
            "PowerControl": [{
                "@odata.id": pointer(l, &path, "/PowerControl/0"),
                "MemberId": "0",
                "Name": "System Power Control",
                "PowerConsumedWatts": 344,
                "PowerCapacityWatts": 1600,
                "PowerMetrics": {
                    "IntervalInMin": 30,
                    "MinConsumedWatts": 271,
                    "MaxConsumedWatts": 489,
                    "AverageConsumedWatts": 319,
                },
                "Status": ok_status(),
            }],
            "Voltages": [{
                "@odata.id": pointer(l, &path, "/Voltages/0"),
                "MemberId": "0",
                "Name": "VRM1 Voltage",
                "ReadingVolts": 12,
                "PhysicalContext": "VoltageRegulator",
                "Status": ok_status(),
            }],
            "PowerSupplies": psus,
        }),
        Caps::READ,
    );
}

fn thermal(b: &mut TreeBuilder, l: &Layout, chas: &str) {
    let path = format!("{chas}/Thermal");
    let fans: Vec<Value> = (0..l.ids.fans.len())
        .map(|i| {
            json!({
                "@odata.id": pointer(l, &path, &format!("/Fans/{i}")),
                "MemberId": i.to_string(),
                "Name": format!("Fan {}", i + 1),
                "Reading": 5400 + 120 * i,
                "ReadingUnits": "RPM",
                "PhysicalContext": "SystemBoard",
                "HotPluggable": true,
                "Status": ok_status(),
            })
        })
        .collect();
    b.add(
        json!({
            "@odata.id": path,
            "@odata.type": t::THERMAL,
            "Id": "Thermal",
            "Name": "Thermal",
            "Temperatures": [
                {
                    "@odata.id": pointer(l, &path, "/Temperatures/0"),
                    "MemberId": "0",
                    "Name": "System Board Inlet Temp",
                    "ReadingCelsius": 23,
                    "UpperThresholdCritical": 42,
                    "UpperThresholdNonCritical": 38,
                    "PhysicalContext": "Intake",
                    "Status": ok_status(),
                },
                {
                    "@odata.id": pointer(l, &path, "/Temperatures/1"),
                    "MemberId": "1",
                    "Name": "CPU1 Temp",
                    "ReadingCelsius": 41,
                    "UpperThresholdCritical": 95,
                    "UpperThresholdNonCritical": 85,
                    "PhysicalContext": "CPU",
                    "Status": ok_status(),
                },
            ],
            "Fans": fans,
        }),
        Caps::READ,
    );
}

fn power_subsystem(b: &mut TreeBuilder, l: &Layout, chas: &str) {
    let path = format!("{chas}/PowerSubsystem");
    let coll = format!("{path}/PowerSupplies");
    let members: Vec<String> = l.ids.psus.iter().map(|id| format!("{coll}/{id}")).collect();
    b.add(
        json!({
            "@odata.id": path,
            "@odata.type": t::POWER_SUBSYSTEM,
            "Id": "PowerSubsystem",
            "Name": "Power Subsystem",
            "CapacityWatts": 1600,
            "Allocation": { "RequestedWatts": 800, "AllocatedWatts": 800 },
            "PowerSupplies": link(&coll),
            "Status": ok_rollup(),
        }),
        Caps::READ,
    );
    b.collection(
        &coll,
        "PowerSupply",
        "Power Supply Collection",
        &members,
        Caps::READ,
    );
    for (i, (id, p)) in l.ids.psus.iter().zip(&members).enumerate() {
        b.add(
            json!({
                "@odata.id": p,
                "@odata.type": t::POWER_SUPPLY,
                "Id": id,
                "Name": format!("Power Supply {}", i + 1),
                "PowerSupplyType": "AC",
                "PowerCapacityWatts": 800,
                "Manufacturer": "Delta",
                "Model": "D800E-S0",
                "SerialNumber": format!("SIMPSU{i:04}"),
                "PartNumber": "0HNP9VA03",
                "FirmwareVersion": "00.1D.7C",
                "HotPluggable": true,
                "LineInputStatus": "Normal",
                "Location": part_location(&format!("PSU {}", i + 1), "Bay", i),
                "Status": ok_status(),
            }),
            Caps::READ,
        );
    }
}

fn thermal_subsystem(b: &mut TreeBuilder, l: &Layout, chas: &str) {
    let path = format!("{chas}/ThermalSubsystem");
    let coll = format!("{path}/Fans");
    let members: Vec<String> = l.ids.fans.iter().map(|id| format!("{coll}/{id}")).collect();
    b.add(
        json!({
            "@odata.id": path,
            "@odata.type": t::THERMAL_SUBSYSTEM,
            "Id": "ThermalSubsystem",
            "Name": "Thermal Subsystem",
            "Fans": link(&coll),
            "Status": ok_rollup(),
        }),
        Caps::READ,
    );
    b.collection(&coll, "Fan", "Fan Collection", &members, Caps::READ);
    for (i, (id, p)) in l.ids.fans.iter().zip(&members).enumerate() {
        b.add(
            json!({
                "@odata.id": p,
                "@odata.type": t::FAN,
                "Id": id,
                "Name": format!("Fan {}", i + 1),
                "PhysicalContext": "SystemBoard",
                "HotPluggable": true,
                "SpeedPercent": sensors::excerpt(l, chas, SensorKind::Fan, i),
                "Location": part_location(&format!("Fan {}", i + 1), "Bay", i),
                "Status": ok_status(),
            }),
            Caps::READ,
        );
    }
}
