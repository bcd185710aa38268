//! The Linux hwmon sysfs (`/sys/class/hwmon/hwmon*/`) read into plain sensor readings: the
//! hardware of the machine the aggregator runs on. Read afresh per request (a handful of tiny
//! files); anything unreadable or not a number is skipped, since drivers leave absent sensors'
//! files in place and some answer reads with EIO/ENODATA.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// One temperature sensor, in degrees Celsius.
#[derive(Debug, Clone, PartialEq)]
pub struct Temperature {
    pub id: String,
    pub name: String,
    pub celsius: f64,
    pub max: Option<f64>,
    pub crit: Option<f64>,
}

/// One fan, in RPM.
#[derive(Debug, Clone, PartialEq)]
pub struct Fan {
    pub id: String,
    pub name: String,
    pub rpm: i64,
}

/// A power (watts) or voltage (volts) sensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub id: String,
    pub name: String,
    pub value: f64,
}

/// Every sensor found, chips in hwmon index order, sensors in index order within a chip.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sensors {
    pub temperatures: Vec<Temperature>,
    pub fans: Vec<Fan>,
    pub power: Vec<Reading>,
    pub voltages: Vec<Reading>,
}

/// `[A-Za-z0-9_]` only, so ids are safe in URIs and JSON pointers.
fn sanitize(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.is_empty() { "_".into() } else { out }
}

/// A sysfs attribute's trimmed text, None when absent, unreadable or empty.
fn text(path: &Path) -> Option<String> {
    let raw = fs::read_to_string(path).ok()?;
    let t = raw.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn integer(path: &Path) -> Option<i64> {
    text(path)?.parse().ok()
}

/// `hwmon12` -> 12; other entries are not chips.
fn chip_index(name: &str) -> Option<u32> {
    name.strip_prefix("hwmon")?.parse().ok()
}

/// `temp3_input` -> ("temp", 3) for the kinds read here.
fn attribute(name: &str) -> Option<(&'static str, u32)> {
    let (sensor, _) = name.split_once('_')?;
    ["temp", "fan", "power", "in"].into_iter().find_map(|kind| {
        let index = sensor.strip_prefix(kind)?;
        // "in" would also match "intrusion0": digits only.
        if !index.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((kind, index.parse().ok()?))
    })
}

/// Reads every `hwmonN` chip under `root`. A missing root (a container, a VM) gives no sensors.
pub fn read(root: &Path) -> Sensors {
    let mut chips: Vec<(u32, std::path::PathBuf)> = fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((chip_index(e.file_name().to_str()?)?, e.path())))
        .collect();
    chips.sort();
    let mut sensors = Sensors::default();
    let mut seen_chips: Vec<String> = Vec::new();
    for (index, dir) in chips {
        let chip = text(&dir.join("name")).unwrap_or_else(|| format!("hwmon{index}"));
        // Two chips of one driver (e.g. two NVMe drives) get the hwmon index in their ids.
        let mut prefix = sanitize(&chip);
        if seen_chips.contains(&prefix) {
            prefix = format!("{prefix}_hwmon{index}");
        }
        seen_chips.push(sanitize(&chip));
        read_chip(&dir, &chip, &prefix, &mut sensors);
    }
    sensors
}

fn read_chip(dir: &Path, chip: &str, prefix: &str, out: &mut Sensors) {
    let found: BTreeSet<(&'static str, u32)> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| attribute(e.file_name().to_str()?))
        .collect();
    for (kind, i) in found {
        let file = |suffix: &str| dir.join(format!("{kind}{i}_{suffix}"));
        let id = format!("{prefix}_{kind}{i}");
        let name = match text(&file("label")) {
            Some(label) => format!("{chip} {label}"),
            None => format!("{chip} {kind}{i}"),
        };
        let Some(raw) = integer(&file("input")) else {
            // Power meters often offer only the average.
            if kind == "power"
                && let Some(avg) = integer(&file("average"))
            {
                out.power.push(Reading {
                    id,
                    name,
                    value: avg as f64 / 1e6,
                });
            }
            continue;
        };
        match kind {
            "temp" => out.temperatures.push(Temperature {
                id,
                name,
                celsius: raw as f64 / 1000.0,
                max: integer(&file("max")).map(|v| v as f64 / 1000.0),
                crit: integer(&file("crit")).map(|v| v as f64 / 1000.0),
            }),
            "fan" => out.fans.push(Fan { id, name, rpm: raw }),
            "power" => out.power.push(Reading {
                id,
                name,
                value: raw as f64 / 1e6,
            }),
            _ => out.voltages.push(Reading {
                id,
                name,
                value: raw as f64 / 1000.0,
            }),
        }
    }
}

/// [`read`] off the async runtime: sysfs reads can block on slow buses (I2C, PMBus).
pub async fn read_async(root: &Path) -> Sensors {
    let root = root.to_owned();
    tokio::task::spawn_blocking(move || read(&root))
        .await
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, file: &str, content: &str) {
        fs::create_dir_all(dir).expect("mkdir");
        fs::write(dir.join(file), content).expect("write");
    }

    /// Two chips (hwmon10 sorts after hwmon2), labels present and missing, garbage values.
    fn fake_tree() -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("tempdir");
        let a = root.path().join("hwmon2");
        write(&a, "name", "coretemp\n");
        write(&a, "temp1_input", "45000\n");
        write(&a, "temp1_label", "Package id 0\n");
        write(&a, "temp1_max", "80000\n");
        write(&a, "temp1_crit", "100000\n");
        write(&a, "temp2_input", "51500\n"); // no label, garbage max
        write(&a, "temp2_max", "hot\n");
        write(&a, "temp3_input", "not a number\n"); // skipped
        write(&a, "temp4_label", "orphan label\n"); // no input: skipped
        write(&a, "intrusion0_alarm", "0\n"); // not a voltage
        let b = root.path().join("hwmon10");
        write(&b, "name", "switch-psu.1\n");
        write(&b, "fan1_input", "4200\n");
        write(&b, "fan1_label", "PSU Fan\n");
        write(&b, "fan2_input", "\n"); // empty: skipped
        write(&b, "power1_input", "45500000\n");
        write(&b, "power2_average", "4500000\n");
        write(&b, "in0_input", "12150\n");
        write(&b, "in0_label", "Vin\n");
        write(&b, "in1_input", "3300\n");
        write(root.path(), "not-a-chip", "x");
        // A chip with no name file and the same-named second chip.
        write(&root.path().join("hwmon3"), "temp1_input", "30000");
        let dup = root.path().join("hwmon11");
        write(&dup, "name", "coretemp");
        write(&dup, "temp1_input", "40000");
        root
    }

    #[test]
    fn every_chip_and_sensor_is_read_and_garbage_skipped() {
        let root = fake_tree();
        let s = read(root.path());
        let temps: Vec<(&str, &str, f64)> = s
            .temperatures
            .iter()
            .map(|t| (t.id.as_str(), t.name.as_str(), t.celsius))
            .collect();
        assert_eq!(
            temps,
            [
                ("coretemp_temp1", "coretemp Package id 0", 45.0),
                ("coretemp_temp2", "coretemp temp2", 51.5),
                ("hwmon3_temp1", "hwmon3 temp1", 30.0),
                ("coretemp_hwmon11_temp1", "coretemp temp1", 40.0),
            ]
        );
        assert_eq!(
            (s.temperatures[0].max, s.temperatures[0].crit),
            (Some(80.0), Some(100.0))
        );
        assert_eq!(
            (s.temperatures[1].max, s.temperatures[1].crit),
            (None, None)
        );
        assert_eq!(
            s.fans,
            [Fan {
                id: "switch_psu_1_fan1".into(),
                name: "switch-psu.1 PSU Fan".into(),
                rpm: 4200
            }]
        );
        let power: Vec<(&str, f64)> = s.power.iter().map(|p| (p.id.as_str(), p.value)).collect();
        assert_eq!(
            power,
            [("switch_psu_1_power1", 45.5), ("switch_psu_1_power2", 4.5)]
        );
        let volts: Vec<(&str, &str, f64)> = s
            .voltages
            .iter()
            .map(|v| (v.id.as_str(), v.name.as_str(), v.value))
            .collect();
        assert_eq!(
            volts,
            [
                ("switch_psu_1_in0", "switch-psu.1 Vin", 12.15),
                ("switch_psu_1_in1", "switch-psu.1 in1", 3.3),
            ]
        );
    }

    #[test]
    fn a_missing_root_has_no_sensors() {
        assert_eq!(read(Path::new("/no/such/hwmon")), Sensors::default());
    }

    #[test]
    fn attribute_names_are_parsed_strictly() {
        assert_eq!(attribute("temp12_input"), Some(("temp", 12)));
        assert_eq!(attribute("in0_label"), Some(("in", 0)));
        assert_eq!(attribute("intrusion0_alarm"), None);
        assert_eq!(attribute("temp_input"), None);
        assert_eq!(attribute("name"), None);
        assert_eq!(sanitize("a-b.c d"), "a_b_c_d");
    }

    #[tokio::test]
    async fn reading_off_the_runtime_gives_the_same() {
        let root = fake_tree();
        assert_eq!(read_async(root.path()).await, read(root.path()));
    }
}
