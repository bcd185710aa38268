//! The host's real network interfaces for the manager's EthernetInterfaces: link facts from
//! `/sys/class/net/<if>/` (address, operstate, speed, mtu, flags), addresses from getifaddrs (the
//! `if-addrs` crate), the IPv4 default gateway from `/proc/net/route`, name servers from
//! `/etc/resolv.conf`. Read on request; nothing is shelled out. Listed: physical interfaces, and
//! any other interface that is up with a routable address (a container's eth0); loopback,
//! bridges without carrier, ifb and unconfigured virtual interfaces are left out.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

/// One interface as the EthernetInterface resource needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Interface {
    pub name: String,
    pub mac: Option<String>,
    pub up: bool,
    /// "up", "down", "unknown", ...
    pub operstate: String,
    pub speed_mbps: Option<u64>,
    pub mtu: Option<u64>,
    pub ipv4: Vec<(Ipv4Addr, Ipv4Addr)>,
    /// (address, prefix length)
    pub ipv6: Vec<(std::net::Ipv6Addr, u8)>,
    pub gateway: Option<Ipv4Addr>,
    /// A DHCP lease file for it exists (systemd-networkd).
    pub dhcp: bool,
}

fn read(dir: &Path, file: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(file))
        .ok()
        .map(|s| s.trim().to_owned())
}

/// The default IPv4 gateway per interface, from `/proc/net/route` text.
pub fn default_gateways(route_table: &str) -> Vec<(String, Ipv4Addr)> {
    route_table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() < 3 || cols[1] != "00000000" {
                return None;
            }
            let gw = u32::from_str_radix(cols[2], 16).ok()?;
            (gw != 0).then(|| (cols[0].to_owned(), Ipv4Addr::from(gw.to_le_bytes())))
        })
        .collect()
}

/// `nameserver` lines of a resolv.conf.
pub fn name_servers(resolv_conf: &str) -> Vec<String> {
    resolv_conf
        .lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .map(|rest| rest.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Every non-loopback interface of the host, sorted by name.
pub fn interfaces() -> Vec<Interface> {
    let sys = Path::new("/sys/class/net");
    let Ok(dir) = std::fs::read_dir(sys) else {
        return Vec::new();
    };
    let addrs = if_addrs::get_if_addrs().unwrap_or_default();
    let gateways =
        default_gateways(&std::fs::read_to_string("/proc/net/route").unwrap_or_default());
    let mut out: Vec<Interface> = dir
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|name| {
            let d = sys.join(&name);
            let flags = read(&d, "flags")
                .and_then(|f| u32::from_str_radix(f.trim_start_matches("0x"), 16).ok())
                .unwrap_or(0);
            // IFF_LOOPBACK
            if flags & 0x8 != 0 {
                return None;
            }
            let ifindex = read(&d, "ifindex").unwrap_or_default();
            let physical = d.join("device").exists();
            let mut iface = Interface {
                mac: read(&d, "address")
                    .filter(|m| !m.is_empty())
                    .map(|m| m.to_uppercase()),
                up: flags & 0x1 != 0,
                operstate: read(&d, "operstate").unwrap_or_else(|| "unknown".into()),
                speed_mbps: read(&d, "speed")
                    .and_then(|s| s.parse::<i64>().ok())
                    .and_then(|s| u64::try_from(s).ok()),
                mtu: read(&d, "mtu").and_then(|s| s.parse().ok()),
                gateway: gateways.iter().find(|(n, _)| *n == name).map(|(_, g)| *g),
                dhcp: Path::new("/run/systemd/netif/leases")
                    .join(&ifindex)
                    .is_file(),
                name: name.clone(),
                ..Interface::default()
            };
            for a in addrs.iter().filter(|a| a.name == name) {
                match &a.addr {
                    if_addrs::IfAddr::V4(v4) => iface.ipv4.push((v4.ip, v4.netmask)),
                    if_addrs::IfAddr::V6(v6) => iface.ipv6.push((v6.ip, v6.prefixlen)),
                }
            }
            let routable = iface
                .ipv4
                .iter()
                .any(|(ip, _)| !is_link_local(IpAddr::V4(*ip)))
                || iface
                    .ipv6
                    .iter()
                    .any(|(ip, _)| !is_link_local(IpAddr::V6(*ip)));
            (physical || (iface.operstate == "up" && routable)).then_some(iface)
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The host name (kernel's), unless configured.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// The search domain of resolv.conf, for the FQDN.
pub fn domain(resolv_conf: &str) -> Option<String> {
    resolv_conf.lines().find_map(|l| {
        let l = l.trim();
        l.strip_prefix("domain")
            .or_else(|| l.strip_prefix("search"))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
    })
}

/// Whether an address is link-local (for AddressOrigin).
pub fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_route_table_and_resolv_conf() {
        let routes = "Iface\tDestination\tGateway \tFlags\n\
                      eth0\t00000000\t010200C0\t0003\n\
                      docker0\t000011AC\t00000000\t0001\n";
        assert_eq!(
            default_gateways(routes),
            [("eth0".to_owned(), Ipv4Addr::new(192, 0, 2, 1))]
        );
        let resolv = "# x\nsearch lab.example\nnameserver 10.0.0.2\nnameserver  fd00::53\n";
        assert_eq!(name_servers(resolv), ["10.0.0.2", "fd00::53"]);
        assert_eq!(domain(resolv).as_deref(), Some("lab.example"));
        assert!(is_link_local("fe80::1".parse().expect("ip")));
        assert!(!is_link_local("10.0.0.1".parse().expect("ip")));
    }

    #[test]
    fn the_real_host_has_its_interfaces_read_without_panicking() {
        for i in interfaces() {
            assert!(!i.name.is_empty());
            assert_ne!(i.name, "lo");
        }
    }
}
