//! Pure: the Thermal and Power resources of a local chassis
//! (the switch, or the host) from its hwmon [`Sensors`], shaped like the rack's own
//! ([`super::aggregate`]): `MemberId` is the position in the array, `@odata.id` a JSON pointer.

use super::aggregate::{POWER_TYPE, THERMAL_TYPE};
use super::hwmon::{Reading, Sensors, Temperature};
use serde_json::{Value, json};

fn number(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// Critical at or past `crit`, Warning at or past `max`.
fn temperature_health(t: &Temperature) -> &'static str {
    if t.crit.is_some_and(|c| t.celsius >= c) {
        "Critical"
    } else if t.max.is_some_and(|m| t.celsius >= m) {
        "Warning"
    } else {
        "OK"
    }
}

fn enabled(health: &str) -> Value {
    json!({"State": "Enabled", "Health": health})
}

fn temperatures(uri: &str, sensors: &Sensors) -> Vec<Value> {
    sensors
        .temperatures
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({
                "@odata.id": format!("{uri}#/Temperatures/{i}"),
                "MemberId": i.to_string(),
                "Name": t.name,
                "SensorNumber": i + 1,
                "ReadingCelsius": number(t.celsius),
                "UpperThresholdNonCritical": t.max.map_or(Value::Null, number),
                "UpperThresholdCritical": t.crit.map_or(Value::Null, number),
                "Status": enabled(temperature_health(t)),
            })
        })
        .collect()
}

fn fans(uri: &str, sensors: &Sensors) -> Vec<Value> {
    sensors
        .fans
        .iter()
        .enumerate()
        .map(|(i, f)| {
            json!({
                "@odata.id": format!("{uri}#/Fans/{i}"),
                "MemberId": i.to_string(),
                "Name": f.name,
                "Reading": f.rpm,
                "ReadingUnits": "RPM",
                "Status": enabled("OK"),
            })
        })
        .collect()
}

fn voltages(uri: &str, readings: &[Reading]) -> Vec<Value> {
    readings
        .iter()
        .enumerate()
        .map(|(i, v)| {
            json!({
                "@odata.id": format!("{uri}#/Voltages/{i}"),
                "MemberId": i.to_string(),
                "Name": v.name,
                "SensorNumber": i + 1,
                "ReadingVolts": number(v.value),
                "Status": enabled("OK"),
            })
        })
        .collect()
}

/// `<chassis>/Thermal`.
pub fn thermal(chassis: &str, name: &str, sensors: &Sensors) -> Value {
    let uri = format!("{chassis}/Thermal");
    let temperatures = temperatures(&uri, sensors);
    let fans = fans(&uri, sensors);
    let health = super::aggregate::worst_health(temperatures.iter().chain(&fans));
    json!({
        "@odata.id": uri,
        "@odata.type": THERMAL_TYPE,
        "Id": "Thermal",
        "Name": format!("{name} Thermal"),
        "Status": {"State": "Enabled", "Health": health, "HealthRollup": health},
        "Temperatures": temperatures,
        "Fans": fans,
    })
}

/// `<chassis>/Power`: one PowerControl whose consumption is the sum of the power sensors (null
/// when there are none), and the voltage sensors.
/// `limit`: the recorded `LimitInWatts` (a budget for planning: nothing here can cap the
/// switch's draw, hence `NoAction`).
pub fn power(chassis: &str, name: &str, sensors: &Sensors, limit: &Value) -> Value {
    let uri = format!("{chassis}/Power");
    let consumed = if sensors.power.is_empty() {
        Value::Null
    } else {
        number(sensors.power.iter().map(|p| p.value).sum())
    };
    json!({
        "@odata.id": uri,
        "@odata.type": POWER_TYPE,
        "Id": "Power",
        "Name": format!("{name} Power"),
        "PowerControl": [{
            "@odata.id": format!("{uri}#/PowerControl/0"),
            "MemberId": "0",
            "Name": format!("{name} Power Control"),
            "PhysicalContext": "Chassis",
            "PowerConsumedWatts": consumed,
            // hwmon has instantaneous readings only: the history is unknown rather than made up.
            "PowerMetrics": {
                "IntervalInMin": null,
                "MinConsumedWatts": null,
                "MaxConsumedWatts": null,
                "AverageConsumedWatts": null,
            },
            "PowerLimit": {"LimitInWatts": limit, "LimitException": "NoAction"},
            "Status": enabled("OK"),
        }],
        "Voltages": voltages(&uri, &sensors.voltages),
        // Supplies are not hwmon sensors: none can be listed from here.
        "PowerSupplies": [],
        "Redundancy": [],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rack::hwmon::Fan;

    const SWITCH: &str = "/redfish/v1/Chassis/MgtSwitch";

    fn temp(celsius: f64, max: Option<f64>, crit: Option<f64>) -> Temperature {
        Temperature {
            id: "t".into(),
            name: "chip temp1".into(),
            celsius,
            max,
            crit,
        }
    }

    fn sensors() -> Sensors {
        Sensors {
            temperatures: vec![
                temp(45.0, Some(80.0), Some(100.0)),
                temp(85.0, Some(80.0), None),
            ],
            fans: vec![Fan {
                id: "f".into(),
                name: "psu Fan".into(),
                rpm: 4200,
            }],
            power: vec![
                Reading {
                    id: "p1".into(),
                    name: "p1".into(),
                    value: 40.5,
                },
                Reading {
                    id: "p2".into(),
                    name: "p2".into(),
                    value: 4.5,
                },
            ],
            voltages: vec![Reading {
                id: "v".into(),
                name: "psu Vin".into(),
                value: 12.15,
            }],
        }
    }

    #[test]
    fn thermal_lists_temperatures_with_thresholds_and_fans() {
        let t = thermal(SWITCH, "Management Switch", &sensors());
        assert_eq!(t["@odata.id"], "/redfish/v1/Chassis/MgtSwitch/Thermal");
        let temps = &t["Temperatures"];
        assert_eq!(
            temps[1]["@odata.id"],
            "/redfish/v1/Chassis/MgtSwitch/Thermal#/Temperatures/1"
        );
        assert_eq!(temps[0]["MemberId"], "0");
        assert_eq!(temps[0]["ReadingCelsius"], 45.0);
        assert_eq!(temps[0]["UpperThresholdNonCritical"], 80.0);
        assert_eq!(temps[0]["UpperThresholdCritical"], 100.0);
        assert_eq!(temps[0]["Status"]["Health"], "OK");
        assert_eq!(temps[1]["UpperThresholdCritical"], Value::Null);
        assert_eq!(temps[1]["Status"]["Health"], "Warning");
        assert_eq!(t["Fans"][0]["Reading"], 4200);
        assert_eq!(t["Fans"][0]["ReadingUnits"], "RPM");
        // The resource's own Status: the worst of its sensors.
        assert_eq!(t["Status"]["Health"], "Warning");
    }

    #[test]
    fn health_follows_the_thresholds() {
        assert_eq!(temperature_health(&temp(50.0, None, None)), "OK");
        assert_eq!(temperature_health(&temp(80.0, Some(80.0), None)), "Warning");
        assert_eq!(
            temperature_health(&temp(101.0, Some(80.0), Some(100.0))),
            "Critical"
        );
    }

    #[test]
    fn power_sums_the_power_sensors_and_lists_voltages() {
        let p = power(SWITCH, "S", &sensors(), &Value::Null);
        assert_eq!(p["PowerControl"][0]["PowerConsumedWatts"], 45.0);
        assert_eq!(p["Voltages"][0]["ReadingVolts"], 12.15);
        assert_eq!(
            p["Voltages"][0]["@odata.id"],
            "/redfish/v1/Chassis/MgtSwitch/Power#/Voltages/0"
        );
    }

    #[test]
    fn no_sensors_give_empty_but_valid_resources() {
        let none = Sensors::default();
        let p = power(SWITCH, "S", &none, &json!(150));
        assert_eq!(p["PowerControl"][0]["PowerConsumedWatts"], Value::Null);
        assert_eq!(p["Voltages"], json!([]));
        assert_eq!(p["PowerControl"][0]["PowerLimit"]["LimitInWatts"], 150);
        let t = thermal(SWITCH, "S", &none);
        assert_eq!(
            (t["Temperatures"].clone(), t["Fans"].clone()),
            (json!([]), json!([]))
        );
        assert_eq!(
            t["Status"],
            json!({"State": "Enabled", "Health": "OK", "HealthRollup": "OK"})
        );
    }
}
