//! The chassis Sensors collection, and excerpts of sensors used by fans and power supplies.

use serde_json::{Value, json};

use super::common::ok_status;
use super::types as t;
use super::{Layout, TreeBuilder};
use crate::Profile;
use crate::store::Caps;

/// What a sensor measures.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SensorKind {
    Temperature,
    Fan,
    Power,
}

/// A sensor's id as the profile names it (bmcweb prefixes the reading type).
fn sensor_id(l: &Layout, kind: SensorKind, i: usize) -> String {
    let base = match kind {
        SensorKind::Temperature => ["InletTemp", "CPU1Temp", "CPU2Temp", "ExhaustTemp"]
            .get(i)
            .copied()
            .unwrap_or("Temp")
            .to_string(),
        SensorKind::Fan => format!("Fan{}", i + 1),
        SensorKind::Power => format!("PSU{}InputPower", i + 1),
    };
    match (l.profile, kind) {
        (Profile::OpenBmc, SensorKind::Temperature) => format!("temperature_{base}"),
        (Profile::OpenBmc, SensorKind::Fan) => format!("fanpwm_{base}"),
        (Profile::OpenBmc, SensorKind::Power) => format!("power_{base}"),
        (
            Profile::Dmtf | Profile::Idrac | Profile::Ilo | Profile::Supermicro,
            SensorKind::Temperature | SensorKind::Fan | SensorKind::Power,
        ) => base,
    }
}

fn reading(kind: SensorKind, i: usize) -> f64 {
    match kind {
        SensorKind::Temperature => [23.0, 41.0, 43.0, 35.0].get(i).copied().unwrap_or(30.0),
        SensorKind::Fan => 42.0 + i as f64,
        SensorKind::Power => 170.0 + 4.0 * i as f64,
    }
}

/// An excerpt of a sensor, embedded in a Fan (`SpeedPercent`) or PowerSupply (`InputPowerWatts`).
pub(crate) fn excerpt(l: &Layout, chas: &str, kind: SensorKind, i: usize) -> Value {
    json!({
        "DataSourceUri": format!("{chas}/Sensors/{}", sensor_id(l, kind, i)),
        "Reading": reading(kind, i),
    })
}

pub(super) fn build(b: &mut TreeBuilder, chas: &str) {
    let l = b.layout().clone();
    let coll = format!("{chas}/Sensors");
    let mut all = Vec::new();
    for i in 0..4 {
        all.push((SensorKind::Temperature, i));
    }
    for i in 0..l.ids.fans.len() {
        all.push((SensorKind::Fan, i));
    }
    for i in 0..l.ids.psus.len() {
        all.push((SensorKind::Power, i));
    }
    let members: Vec<String> = all
        .iter()
        .map(|(k, i)| format!("{coll}/{}", sensor_id(&l, *k, *i)))
        .collect();
    b.collection(&coll, "Sensor", "Sensor Collection", &members, Caps::READ);
    for ((kind, i), path) in all.iter().zip(&members) {
        let id = sensor_id(&l, *kind, *i);
        let (reading_type, units, context, upper) = match kind {
            SensorKind::Temperature => (
                "Temperature",
                "Cel",
                if *i == 0 { "Intake" } else { "CPU" },
                90.0,
            ),
            SensorKind::Fan => ("Percent", "%", "Fan", 100.0),
            SensorKind::Power => ("Power", "W", "PowerSupply", 800.0),
        };
        b.add(
            json!({
                "@odata.id": path,
                "@odata.type": t::SENSOR,
                "Id": id,
                "Name": id,
                "ReadingType": reading_type,
                "Reading": reading(*kind, *i),
                "ReadingUnits": units,
                "PhysicalContext": context,
                "Thresholds": { "UpperCritical": { "Reading": upper } },
                "Status": ok_status(),
            }),
            Caps::READ,
        );
    }
}
