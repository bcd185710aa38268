//! Storage with Drives and Volumes.

use serde_json::json;

use super::TreeBuilder;
use super::common::{link, links, ok_rollup, ok_status};
use super::types as t;
use crate::store::Caps;

pub(super) fn build(b: &mut TreeBuilder) {
    let l = b.layout().clone();
    let coll = format!("{}/Storage", l.sys());
    let storage = format!("{coll}/{}", l.ids.storage);
    let drives: Vec<String> = l
        .ids
        .drives
        .iter()
        .map(|d| format!("{storage}/Drives/{d}"))
        .collect();
    let volumes = format!("{storage}/Volumes");
    let volume = format!("{volumes}/{}", l.ids.volume);
    b.collection(
        &coll,
        "Storage",
        "Storage Collection",
        std::slice::from_ref(&storage),
        Caps::READ,
    );
    b.add(
        json!({
            "@odata.id": storage,
            "@odata.type": t::STORAGE,
            "Id": l.ids.storage,
            "Name": "RAID Controller",
            "Description": "Simulated RAID controller",
            "Drives": links(&drives),
            "Drives@odata.count": drives.len(),
            "Volumes": link(&volumes),
            "Status": ok_rollup(),
        }),
        Caps::READ,
    );
    for (i, (id, path)) in l.ids.drives.iter().zip(&drives).enumerate() {
        b.add(
            json!({
                "@odata.id": path,
                "@odata.type": t::DRIVE,
                "Id": id,
                "Name": format!("Solid State Disk 0:1:{i}"),
                "CapacityBytes": 960_197_124_096_u64,
                "BlockSizeBytes": 512,
                "MediaType": "SSD",
                "Protocol": "SATA",
                "Manufacturer": "INTEL",
                "Model": "SSDSC2KG960G8R",
                "SerialNumber": format!("PHYG0000{i:04}"),
                "Revision": "XCV1DL69",
                "PredictedMediaLifeLeftPercent": 100,
                "Links": { "Volumes": links(std::slice::from_ref(&volume)) },
                "Status": ok_status(),
            }),
            Caps::READ,
        );
    }
    b.collection(
        &volumes,
        "Volume",
        "Volume Collection",
        std::slice::from_ref(&volume),
        Caps::READ,
    );
    b.add(
        json!({
            "@odata.id": volume,
            "@odata.type": t::VOLUME,
            "Id": l.ids.volume,
            "Name": "Virtual Disk 0",
            "CapacityBytes": 960_197_124_096_u64,
            "RAIDType": "RAID1",
            "Encrypted": false,
            "Links": { "Drives": links(&drives) },
            "Status": ok_status(),
        }),
        Caps::READ,
    );
}
