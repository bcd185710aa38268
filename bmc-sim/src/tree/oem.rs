//! Vendor OEM sections and OEM actions (none for the DMTF profile).

use serde_json::{Value, json};

use super::{Layout, SELF_BASE};
use crate::Profile;

/// `Oem` of the ComputerSystem.
pub(crate) fn system(l: &Layout) -> Option<Value> {
    match l.profile {
        Profile::Dmtf | Profile::OpenBmc => None,
        Profile::Idrac => Some(json!({
            "Dell": {
                "@odata.type": "#DellOem.v1_3_0.DellOemResources",
                "DellSystem": {
                    "@odata.type": "#DellSystem.v1_4_0.DellSystem",
                    "BIOSReleaseDate": "09/14/2024",
                    "ChassisServiceTag": "SIMTAG1",
                    "SystemGeneration": "15G Monolithic",
                    "MaxDIMMSlots": 32,
                },
            }
        })),
        Profile::Ilo => Some(json!({
            "Hpe": {
                "@odata.type": "#HpeComputerSystemExt.v2_12_0.HpeComputerSystemExt",
                "PostState": "FinishedPost",
                "PowerRegulatorMode": "Dynamic",
            }
        })),
        Profile::Supermicro => Some(json!({
            "Supermicro": {
                "@odata.type": "#SmcSystemExtensions.v1_0_0.System",
                "BoardID": "0x1B5A",
                "NodeManager": { "Enabled": true },
            }
        })),
    }
}

/// `Oem` of the Chassis.
pub(crate) fn chassis(l: &Layout) -> Option<Value> {
    match l.profile {
        Profile::Dmtf | Profile::OpenBmc | Profile::Ilo => None,
        Profile::Idrac => Some(json!({
            "Dell": {
                "@odata.type": "#DellOem.v1_3_0.DellOemResources",
                "DellChassis": {
                    "@odata.type": "#DellChassis.v1_2_0.DellChassis",
                    "CanBeFRUed": true,
                    "SystemID": 2300,
                },
            }
        })),
        Profile::Supermicro => Some(json!({
            "Supermicro": {
                "@odata.type": "#SmcChassisExtensions.v1_0_0.Chassis",
                "BoardSerialNumber": "SIMBRD0001",
            }
        })),
    }
}

/// `Oem` of the Manager.
pub(crate) fn manager(l: &Layout) -> Option<Value> {
    match l.profile {
        Profile::Dmtf => None,
        Profile::Idrac => Some(json!({
            "Dell": {
                "@odata.type": "#DellOem.v1_3_0.DellOemResources",
                "DelliDRACCard": {
                    "@odata.type": "#DelliDRACCard.v1_1_0.DelliDRACCard",
                    "IPMIVersion": "2.0",
                    "URLString": format!("{SELF_BASE}/restgui/start.html"),
                },
            }
        })),
        Profile::Ilo => Some(json!({
            "Hpe": {
                "@odata.type": "#HpeiLO.v2_9_0.HpeiLO",
                "License": { "LicenseString": "iLO Advanced", "LicenseType": "Perpetual" },
                "FederationConfig": { "IPv6MulticastScope": "Site" },
            }
        })),
        Profile::OpenBmc => Some(json!({
            "OpenBmc": {
                "@odata.type": "#OpenBMCManager.v1_0_0.Manager",
                "Fan": { "Profiles": ["Performance", "Acoustic"], "Profile": "Performance" },
            }
        })),
        Profile::Supermicro => Some(json!({
            "Supermicro": {
                "@odata.type": "#SmcManagerExtensions.v1_0_0.Manager",
                "SMTP": { "ServerAddress": "smtp.example.com" },
            }
        })),
    }
}

/// `(action name, reset types)` of the manager's OEM action, if the vendor has one.
pub(crate) fn manager_action(profile: Profile) -> Option<(&'static str, &'static [&'static str])> {
    match profile {
        Profile::Dmtf | Profile::OpenBmc => None,
        Profile::Idrac => Some((
            "DellManager.ResetToDefaults",
            &["All", "ResetAllWithRootDefaults", "Default"],
        )),
        Profile::Ilo => Some(("HpeiLO.ResetToFactoryDefaults", &["Default"])),
        Profile::Supermicro => Some(("SmcManagerConfig.Reset", &["Default"])),
    }
}

/// `Actions.Oem` of the Manager.
pub(crate) fn manager_actions(l: &Layout) -> Option<Value> {
    let (name, types) = manager_action(l.profile)?;
    let mut actions = serde_json::Map::new();
    actions.insert(
        format!("#{name}"),
        json!({
            "target": format!("{}/Actions/Oem/{name}", l.mgr()),
            "ResetType@Redfish.AllowableValues": types,
        }),
    );
    Some(Value::Object(actions))
}
