//! The inventory of the machine the aggregator runs on, from the kernel's DMI/SMBIOS view
//! (`/sys/class/dmi/id`): on an x86 switch (SONiC, ONIE) it names the switch; elsewhere the host.
//! It fills what the operator did not configure. Vendors leave placeholder text in unset
//! fields; those are read as unknown.

use std::path::Path;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dmi {
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub serial_number: Option<String>,
    pub part_number: Option<String>,
}

/// Text firmware writes into fields nobody filled in.
fn placeholder(value: &str) -> bool {
    let v = value.to_ascii_lowercase();
    [
        "to be filled by o.e.m.",
        "default string",
        "not specified",
        "not applicable",
        "system product name",
        "system manufacturer",
        "system serial number",
        "none",
        "n/a",
        "0123456789",
        "0",
    ]
    .contains(&v.as_str())
        || v.chars()
            .all(|c| c == 'x' || c == '0' || c == ' ' || c == '-')
}

fn field(dir: &Path, file: &str) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(file)).ok()?;
    let value = text.trim();
    (!value.is_empty() && !placeholder(value)).then(|| value.to_owned())
}

/// What `dir` tells; a missing or unreadable directory (no DMI, or serial readable by root
/// only) leaves those fields unknown.
pub fn read(dir: &Path) -> Dmi {
    Dmi {
        manufacturer: field(dir, "sys_vendor").or_else(|| field(dir, "board_vendor")),
        model: field(dir, "product_name").or_else(|| field(dir, "board_name")),
        serial_number: field(dir, "product_serial").or_else(|| field(dir, "board_serial")),
        part_number: field(dir, "product_sku"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_treats_placeholders_as_unknown() {
        let dir = tempfile::tempdir().expect("dir");
        let write = |f: &str, v: &str| std::fs::write(dir.path().join(f), v).expect("write");
        write("sys_vendor", "Mellanox Technologies\n");
        write("product_name", "To be filled by O.E.M.\n");
        write("board_name", "VMOD0001\n");
        write("product_serial", "MT1234X05678\n");
        write("product_sku", "Default string\n");
        assert_eq!(
            read(dir.path()),
            Dmi {
                manufacturer: Some("Mellanox Technologies".into()),
                model: Some("VMOD0001".into()),
                serial_number: Some("MT1234X05678".into()),
                part_number: None,
            }
        );
        assert_eq!(read(&dir.path().join("missing")), Dmi::default());
        assert!(placeholder("XXXXXXXX") && placeholder("0000-0000") && !placeholder("SN-0001"));
    }
}
