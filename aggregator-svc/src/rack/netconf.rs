//! A PATCH of one of the rack manager's EthernetInterfaces, checked and turned into the request
//! the operator's `network_command` gets on stdin (JSON). The host's network belongs to its OS
//! (systemd-networkd, ifupdown, SONiC's config_db), so the aggregator never writes it itself:
//! the hook applies it, and the interface is then read back from the host as always.

use redfish::messages::Message;
use serde_json::{Map, Value, json};
use std::net::{IpAddr, Ipv4Addr};

/// What a client may write, as `local::patch::validate` expects it is checked in the handler;
/// here the values are checked for meaning.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkChange {
    pub host_name: Option<String>,
    pub fqdn: Option<String>,
    pub dhcpv4: Option<bool>,
    /// Some(empty) removes every static address.
    pub ipv4_static: Option<Vec<Ipv4Static>>,
    pub static_name_servers: Option<Vec<IpAddr>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4Static {
    pub address: Ipv4Addr,
    pub subnet_mask: Ipv4Addr,
    pub gateway: Option<Ipv4Addr>,
}

/// RFC 1123 host name label rules, for a host name (one label) or an FQDN (several).
fn valid_host_name(name: &str, labels_allowed: bool) -> bool {
    let labels: Vec<&str> = name.trim_end_matches('.').split('.').collect();
    if name.is_empty() || name.len() > 253 || (!labels_allowed && labels.len() != 1) {
        return false;
    }
    labels.iter().all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

fn contiguous_mask(mask: Ipv4Addr) -> bool {
    let bits = u32::from(mask);
    bits != 0 && bits.leading_ones() + bits.trailing_zeros() == 32
}

fn format_error(value: &Value, property: &str) -> Message {
    let shown = value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned);
    Message::property_value_format_error(&shown, property)
}

fn ipv4(value: &Value, property: &str) -> Result<Ipv4Addr, Message> {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format_error(value, property))
}

fn static_addresses(value: &Value, property: &str) -> Result<Vec<Ipv4Static>, Message> {
    let Some(items) = value.as_array() else {
        return Ok(Vec::new()); // null: remove them all
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        // DSP0266: {} in an array PATCH keeps an element; here the array is the whole wish.
        let name = |field: &str| format!("{property}/{i}/{field}");
        let address = ipv4(&item["Address"], &name("Address"))?;
        let subnet_mask = ipv4(&item["SubnetMask"], &name("SubnetMask"))?;
        if !contiguous_mask(subnet_mask) {
            return Err(format_error(&item["SubnetMask"], &name("SubnetMask")));
        }
        let gateway = match &item["Gateway"] {
            Value::Null => None,
            g => Some(ipv4(g, &name("Gateway"))?).filter(|g| !g.is_unspecified()),
        };
        if let Some(origin) = item["AddressOrigin"].as_str()
            && origin != "Static"
        {
            return Err(Message::property_value_not_in_list(
                origin,
                &name("AddressOrigin"),
            ));
        }
        out.push(Ipv4Static {
            address,
            subnet_mask,
            gateway,
        });
    }
    Ok(out)
}

/// The change a PATCH (already checked for property names and JSON types) asks for.
pub fn parse(patch: &Map<String, Value>) -> Result<NetworkChange, Message> {
    let mut change = NetworkChange::default();
    for (property, labels) in [("HostName", false), ("FQDN", true)] {
        if let Some(v) = patch.get(property).filter(|v| !v.is_null()) {
            let name = v.as_str().unwrap_or_default();
            if !valid_host_name(name, labels) {
                return Err(format_error(v, property));
            }
            match property {
                "HostName" => change.host_name = Some(name.to_owned()),
                _ => change.fqdn = Some(name.to_owned()),
            }
        }
    }
    change.dhcpv4 = patch
        .get("DHCPv4")
        .and_then(|d| d.get("DHCPEnabled"))
        .and_then(Value::as_bool);
    // IPv4StaticAddresses is the schema's writable list; the OCP profiles write IPv4Addresses.
    for property in ["IPv4StaticAddresses", "IPv4Addresses"] {
        if let Some(v) = patch.get(property) {
            if change.ipv4_static.is_some() {
                return Err(Message::property_value_conflict(
                    "IPv4Addresses",
                    "IPv4StaticAddresses",
                ));
            }
            change.ipv4_static = Some(static_addresses(v, property)?);
        }
    }
    if change.dhcpv4 == Some(true) && change.ipv4_static.as_ref().is_some_and(|a| !a.is_empty()) {
        return Err(Message::property_value_conflict(
            "IPv4StaticAddresses",
            "DHCPv4/DHCPEnabled",
        ));
    }
    if let Some(v) = patch.get("StaticNameServers") {
        let mut servers = Vec::new();
        for (i, s) in v.as_array().into_iter().flatten().enumerate() {
            let ip = s
                .as_str()
                .and_then(|t| t.parse().ok())
                .ok_or_else(|| format_error(s, &format!("StaticNameServers/{i}")))?;
            servers.push(ip);
        }
        change.static_name_servers = Some(servers);
    }
    Ok(change)
}

/// The hook's input: the interface and only what the client asked to change.
pub fn hook_input(interface: &str, change: &NetworkChange) -> Value {
    let mut out = json!({"Interface": interface});
    if let Some(h) = &change.host_name {
        out["HostName"] = json!(h);
    }
    if let Some(f) = &change.fqdn {
        out["FQDN"] = json!(f);
    }
    if let Some(d) = change.dhcpv4 {
        out["DHCPv4"] = json!({"DHCPEnabled": d});
    }
    if let Some(addresses) = &change.ipv4_static {
        out["IPv4StaticAddresses"] = addresses
            .iter()
            .map(|a| {
                json!({
                    "Address": a.address.to_string(),
                    "SubnetMask": a.subnet_mask.to_string(),
                    "PrefixLength": u32::from(a.subnet_mask).leading_ones(),
                    "Gateway": a.gateway.map(|g| g.to_string()),
                })
            })
            .collect();
    }
    if let Some(servers) = &change.static_name_servers {
        out["StaticNameServers"] = servers.iter().map(|s| json!(s.to_string())).collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(v: Value) -> Result<NetworkChange, String> {
        parse(v.as_object().expect("object")).map_err(|m| format!("{} {:?}", m.key(), m.args()))
    }

    #[test]
    fn a_full_change_becomes_the_hook_input() {
        let change = parsed(json!({
            "HostName": "rack1-mgr",
            "FQDN": "rack1-mgr.example.net",
            "DHCPv4": {"DHCPEnabled": false},
            "IPv4Addresses": [{"Address": "192.0.2.10", "SubnetMask": "255.255.255.0", "Gateway": "192.0.2.1", "AddressOrigin": "Static"}],
            "StaticNameServers": ["192.0.2.53", "2001:db8::53"],
        }))
        .expect("valid");
        assert_eq!(
            hook_input("eth0", &change),
            json!({
                "Interface": "eth0",
                "HostName": "rack1-mgr",
                "FQDN": "rack1-mgr.example.net",
                "DHCPv4": {"DHCPEnabled": false},
                "IPv4StaticAddresses": [{"Address": "192.0.2.10", "SubnetMask": "255.255.255.0", "PrefixLength": 24, "Gateway": "192.0.2.1"}],
                "StaticNameServers": ["192.0.2.53", "2001:db8::53"],
            })
        );
        // Only what was asked for is passed on; null empties a list.
        assert_eq!(
            hook_input(
                "eth0",
                &parsed(json!({"IPv4StaticAddresses": null})).expect("ok")
            ),
            json!({"Interface": "eth0", "IPv4StaticAddresses": []})
        );
    }

    #[test]
    fn bad_values_name_the_property() {
        let rows = [
            (json!({"HostName": "has.dot"}), "PropertyValueFormatError"),
            (json!({"HostName": "-lead"}), "PropertyValueFormatError"),
            (json!({"FQDN": "a..b"}), "PropertyValueFormatError"),
            (
                json!({"IPv4Addresses": [{"Address": "300.1.1.1", "SubnetMask": "255.0.0.0"}]}),
                "PropertyValueFormatError",
            ),
            (
                json!({"IPv4Addresses": [{"Address": "10.1.1.1", "SubnetMask": "255.0.255.0"}]}),
                "PropertyValueFormatError",
            ),
            (
                json!({"IPv4Addresses": [{"Address": "10.1.1.1"}]}),
                "PropertyValueFormatError",
            ),
            (
                json!({"IPv4Addresses": [{"Address": "10.1.1.1", "SubnetMask": "255.0.0.0", "AddressOrigin": "DHCP"}]}),
                "PropertyValueNotInList",
            ),
            (
                json!({"IPv4Addresses": [], "IPv4StaticAddresses": []}),
                "PropertyValueConflict",
            ),
            (
                json!({"DHCPv4": {"DHCPEnabled": true}, "IPv4StaticAddresses": [{"Address": "10.1.1.1", "SubnetMask": "255.0.0.0"}]}),
                "PropertyValueConflict",
            ),
            (
                json!({"StaticNameServers": ["dns.example"]}),
                "PropertyValueFormatError",
            ),
        ];
        for (patch, key) in rows {
            let got = parsed(patch.clone()).expect_err("refused");
            assert!(got.starts_with(key), "{patch}: {got}");
        }
        assert!(parsed(json!({"IPv4Addresses": [{"Address": "10.1.1.1", "SubnetMask": "255.0.0.0", "Gateway": "0.0.0.0"}]})).is_ok());
    }
}
