//! The rack manager (the aggregator itself): the Manager, its NetworkProtocol, EthernetInterfaces
//! (the host's real interfaces), Certificates (the configured TLS certificate) and Manager.Reset.
//! Its log service is in [`super::logs`].

use super::chassis::reset_action_info;
use super::patch::{Kind, object_body, validate};
use super::{Ctx, collection, link, links, reply};
use crate::downstream::MemberKind;
use crate::error::AggError;
use crate::exchange::Reply;
use crate::rack::{cert, chassis_uri, clock, command, manager_uri, netconf, netif, reload};
use http::Method;
use redfish::events::EventMessage;
use serde_json::{Value, json};
use std::time::Duration;

const MANAGER_TYPE: &str = "#Manager.v1_19_0.Manager";
const PROTOCOL_TYPE: &str = "#ManagerNetworkProtocol.v1_10_0.ManagerNetworkProtocol";
const ETHERNET_TYPE: &str = "#EthernetInterface.v1_12_0.EthernetInterface";
const READ_ALLOW: &str = "GET, HEAD";
const POST_ALLOW: &str = "POST";
/// The certificate's id in the manager's Certificates collection.
pub const TLS_CERT_ID: &str = "HTTPS";

/// The two collections that list the HTTPS certificate: the manager's and its HTTPS service's.
pub fn https_certificate_collections(manager_id: &str) -> Vec<String> {
    let uri = manager_uri(manager_id);
    vec![
        format!("{uri}/NetworkProtocol/HTTPS/Certificates"),
        format!("{uri}/Certificates"),
    ]
}

/// The HTTPS certificate, as the CertificateService names it.
pub fn https_certificate_uri(manager_id: &str) -> String {
    format!(
        "{}/NetworkProtocol/HTTPS/Certificates/{TLS_CERT_ID}",
        manager_uri(manager_id)
    )
}

fn manager_body(ctx: &Ctx<'_>) -> Value {
    let s = &ctx.s;
    let uri = manager_uri(&s.manager.id);
    let mut for_chassis = Vec::new();
    if s.rack.enabled {
        for_chassis.push(chassis_uri(&s.rack.id));
    }
    if s.switch.enabled {
        for_chassis.push(chassis_uri(&s.switch.id));
    }
    if s.host_enabled() {
        for_chassis.push(chassis_uri(&s.host.id));
    }
    let mut body = json!({
        "@odata.id": uri,
        "@odata.type": MANAGER_TYPE,
        "Id": s.manager.id,
        "Name": s.manager.name,
        "Description": if s.rack.is_group() {
            "The row manager: aggregates every rack's aggregator into one Redfish service"
        } else {
            "The rack manager: aggregates every server's BMC into one Redfish service"
        },
        "ManagerType": "RackManager",
        "UUID": ctx.state.rack.manager_uuid,
        "ServiceEntryPointUUID": ctx.state.service_uuid,
        "Model": s.manager.model,
        "FirmwareVersion": env!("CARGO_PKG_VERSION"),
        "DateTime": clock::now(),
        "DateTimeLocalOffset": clock::LOCAL_OFFSET,
        "PowerState": "On",
        "Status": {"State": "Enabled", "Health": "OK", "HealthRollup": ctx.bmc_rollup()},
        "SerialConsole": {"ServiceEnabled": false, "MaxConcurrentSessions": 0, "ConnectTypesSupported": []},
        "NetworkProtocol": link(&format!("{uri}/NetworkProtocol")),
        "EthernetInterfaces": link(&format!("{uri}/EthernetInterfaces")),
        "Certificates": link(&format!("{uri}/Certificates")),
        "LogServices": link(&format!("{uri}/LogServices")),
        "Links": {
            "ManagerForChassis": links(&for_chassis),
            "ManagerForServers": links(&ctx.aggregated("Systems")),
            "ManagerForManagers": links(&ctx.linked("Managers", MemberKind::AggregatorManager)),
        },
        "Actions": {
            "#Manager.Reset": {
                "target": format!("{uri}/Actions/Manager.Reset"),
                "@Redfish.ActionInfo": format!("{uri}/ResetActionInfo"),
            }
        },
    });
    let container = if s.inside_switch {
        s.switch.enabled.then(|| chassis_uri(&s.switch.id))
    } else {
        s.host_enabled().then(|| chassis_uri(&s.host.id))
    };
    if let Some(c) = container {
        body["Links"]["ManagerInChassis"] = link(&c);
    }
    body
}

fn resolv_conf() -> String {
    std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default()
}

fn host_name(ctx: &Ctx<'_>) -> String {
    ctx.s
        .manager
        .host_name
        .clone()
        .unwrap_or_else(netif::host_name)
}

fn fqdn(host: &str) -> String {
    match netif::domain(&resolv_conf()) {
        Some(d) if !host.contains('.') => format!("{host}.{d}"),
        _ => host.to_owned(),
    }
}

fn protocol_body(ctx: &Ctx<'_>) -> Value {
    let uri = format!("{}/NetworkProtocol", manager_uri(&ctx.s.manager.id));
    let m = &ctx.s.manager;
    let host = host_name(ctx);
    json!({
        "@odata.id": uri,
        "@odata.type": PROTOCOL_TYPE,
        "Id": "NetworkProtocol",
        "Name": "Rack Manager Network Protocol",
        "Description": "The protocols clients reach the rack manager with",
        "HostName": host,
        "FQDN": fqdn(&host),
        "Status": {"State": "Enabled", "Health": "OK"},
        "HTTP": {"ProtocolEnabled": m.http_port != 0, "Port": (m.http_port != 0).then_some(m.http_port)},
        "HTTPS": {
            "ProtocolEnabled": m.https_port != 0,
            "Port": (m.https_port != 0).then_some(m.https_port),
            "Certificates": link(&format!("{uri}/HTTPS/Certificates")),
        },
    })
}

fn ethernet_body(ctx: &Ctx<'_>, iface: &netif::Interface) -> Value {
    let uri = format!(
        "{}/EthernetInterfaces/{}",
        manager_uri(&ctx.s.manager.id),
        iface.name
    );
    let host = host_name(ctx);
    let link_status = match iface.operstate.as_str() {
        "up" => "LinkUp",
        "down" | "lowerlayerdown" => "LinkDown",
        _ if iface.up => "LinkUp",
        _ => "NoLink",
    };
    let origin4 = |ip: std::net::Ipv4Addr| {
        if netif::is_link_local(ip.into()) {
            "IPv4LinkLocal"
        } else if iface.dhcp {
            "DHCP"
        } else {
            "Static"
        }
    };
    let ipv4: Vec<Value> = iface
        .ipv4
        .iter()
        .map(|(ip, mask)| {
            json!({
                "Address": ip.to_string(),
                "SubnetMask": mask.to_string(),
                "AddressOrigin": origin4(*ip),
                "Gateway": iface.gateway.map_or_else(|| "0.0.0.0".to_owned(), |g| g.to_string()),
            })
        })
        .collect();
    let ipv6: Vec<Value> = iface
        .ipv6
        .iter()
        .map(|(ip, prefix)| {
            json!({
                "Address": ip.to_string(),
                "PrefixLength": prefix,
                "AddressOrigin": if netif::is_link_local((*ip).into()) { "LinkLocal" } else { "Static" },
                "AddressState": "Preferred",
            })
        })
        .collect();
    // The resolver's servers are the static ones unless DHCP configures the interface (then
    // they came from the lease, and none is static).
    let name_servers = netif::name_servers(&resolv_conf());
    let static_name_servers = if iface.dhcp {
        Vec::new()
    } else {
        name_servers.clone()
    };
    json!({
        "@odata.id": uri,
        "@odata.type": ETHERNET_TYPE,
        "Id": iface.name,
        "Name": format!("Interface {}", iface.name),
        "Description": "A network interface of the host the rack manager runs on",
        "MACAddress": iface.mac,
        "PermanentMACAddress": iface.mac,
        "SpeedMbps": iface.speed_mbps,
        "MTUSize": iface.mtu,
        "InterfaceEnabled": iface.up,
        "LinkStatus": link_status,
        "Status": {"State": if iface.up { "Enabled" } else { "Disabled" }, "Health": "OK"},
        "HostName": host,
        "FQDN": fqdn(&host),
        "NameServers": name_servers,
        "StaticNameServers": static_name_servers,
        "DHCPv4": {"DHCPEnabled": iface.dhcp},
        "IPv4Addresses": ipv4,
        "IPv6Addresses": ipv6,
    })
}

/// The configured TLS certificate, described; None when none is configured or it is unreadable.
fn tls_certificate(ctx: &Ctx<'_>, uri: &str) -> Option<Value> {
    let path = ctx.s.manager.tls_certificate.as_ref()?;
    let text = std::fs::read_to_string(path)
        .map_err(
            |e| tracing::warn!(path = %path.display(), error = %e, "TLS certificate unreadable"),
        )
        .ok()?;
    let mut body = cert::describe(&text)
        .map_err(|e| tracing::warn!(path = %path.display(), error = %e, "TLS certificate unusable"))
        .ok()?;
    body["@odata.id"] = uri.into();
    body["Id"] = TLS_CERT_ID.into();
    Some(body)
}

/// `/redfish/v1/Managers/<id>[/...]` of the rack manager.
pub async fn serve(ctx: &Ctx<'_>, rest: &[&str]) -> Result<Reply, AggError> {
    let uri = manager_uri(&ctx.s.manager.id);
    if rest.first() == Some(&"LogServices") {
        return super::logs::serve(ctx, &rest[1..]).await;
    }
    if rest == ["Actions", "Manager.Reset"] {
        reply::only(ctx.ex, &[Method::POST], POST_ALLOW)?;
        let reset_type =
            reply::reset_type(&ctx.ex.body, reload::MANAGER_RESET_TYPES, "Manager.Reset")?;
        reload::reset_manager(ctx.state, &reset_type, &ctx.ex.user).await?;
        return Ok(reply::no_content());
    }
    if let ["EthernetInterfaces", name] = rest
        && !ctx.s.manager.network_command.is_empty()
    {
        return serve_configurable_interface(ctx, name).await;
    }
    reply::only(ctx.ex, &[Method::GET, Method::HEAD], READ_ALLOW)?;
    let body = match rest {
        [] => manager_body(ctx),
        ["ResetActionInfo"] => reset_action_info(
            &format!("{uri}/ResetActionInfo"),
            reload::MANAGER_RESET_TYPES,
        ),
        ["NetworkProtocol"] => protocol_body(ctx),
        ["EthernetInterfaces"] => {
            let members: Vec<String> = netif::interfaces()
                .iter()
                .map(|i| format!("{uri}/EthernetInterfaces/{}", i.name))
                .collect();
            collection(
                &format!("{uri}/EthernetInterfaces"),
                "#EthernetInterfaceCollection.EthernetInterfaceCollection",
                "Ethernet Interface Collection",
                &members,
            )
        }
        ["EthernetInterfaces", name] => {
            let iface = netif::interfaces()
                .into_iter()
                .find(|i| i.name == *name)
                .ok_or_else(|| ctx.not_found())?;
            ethernet_body(ctx, &iface)
        }
        // The same certificate in the manager's and in its HTTPS service's collection.
        ["Certificates"] | ["NetworkProtocol", "HTTPS", "Certificates"] => {
            let base = format!("{uri}/{}", rest.join("/"));
            let member = format!("{base}/{TLS_CERT_ID}");
            let members: Vec<String> = tls_certificate(ctx, &member)
                .map(|_| member)
                .into_iter()
                .collect();
            collection(
                &base,
                "#CertificateCollection.CertificateCollection",
                "Certificate Collection",
                &members,
            )
        }
        ["Certificates", id] | ["NetworkProtocol", "HTTPS", "Certificates", id]
            if *id == TLS_CERT_ID =>
        {
            tls_certificate(ctx, &format!("{uri}/{}", rest.join("/")))
                .ok_or_else(|| ctx.not_found())?
        }
        _ => return Err(ctx.not_found()),
    };
    reply::json(ctx.ex, &body, READ_ALLOW)
}

const NET_ALLOW: &str = "GET, HEAD, PATCH";
const NET_ADDRESS: &[(&str, Kind)] = &[
    ("Address", Kind::Str),
    ("SubnetMask", Kind::Str),
    ("Gateway", Kind::Str),
    ("AddressOrigin", Kind::Str),
];
const NET_WRITABLE: &[(&str, Kind)] = &[
    ("HostName", Kind::Str),
    ("FQDN", Kind::Str),
    ("DHCPv4", Kind::Object(&[("DHCPEnabled", Kind::Bool)])),
    ("IPv4Addresses", Kind::Array(NET_ADDRESS)),
    ("IPv4StaticAddresses", Kind::Array(NET_ADDRESS)),
    ("StaticNameServers", Kind::StrArray),
];

fn interface(ctx: &Ctx<'_>, name: &str) -> Result<netif::Interface, AggError> {
    netif::interfaces()
        .into_iter()
        .find(|i| i.name == name)
        .ok_or_else(|| ctx.not_found())
}

/// An EthernetInterface with a `network_command`: PATCH runs the hook with the requested
/// settings, then the interface is read back from the host (what the client sees is what the
/// host has, not what was asked).
async fn serve_configurable_interface(ctx: &Ctx<'_>, name: &str) -> Result<Reply, AggError> {
    if ctx.ex.method != Method::PATCH {
        reply::only(ctx.ex, &[Method::GET, Method::HEAD], NET_ALLOW)?;
        return reply::json(
            ctx.ex,
            &ethernet_body(ctx, &interface(ctx, name)?),
            NET_ALLOW,
        );
    }
    // One network change at a time (and never beside another write of the rack's state).
    let _writer = ctx.state.rack.props.writer().await;
    let current = ethernet_body(ctx, &interface(ctx, name)?);
    reply::check_if_match(ctx.ex, &current)?;
    let patch = object_body(&ctx.ex.body)?;
    validate(&patch, NET_WRITABLE, &current, "")?;
    let change = netconf::parse(&patch).map_err(|message| AggError::BadRequest { message })?;
    if change == netconf::NetworkChange::default() {
        return Err(AggError::BadRequest {
            message: redfish::messages::Message::no_operation(),
        });
    }
    let m = &ctx.s.manager;
    let input = netconf::hook_input(name, &change).to_string();
    let argv = command::substitute(&m.network_command, &[("{interface}", name)]);
    let uri = current["@odata.id"].as_str().unwrap_or_default().to_owned();
    super::hook::run(
        ctx,
        "network command",
        &uri,
        &argv,
        input.as_bytes(),
        Duration::from_secs(m.network_timeout_secs),
    )
    .await?;
    let log = &ctx.state.rack.log;
    for property in patch.keys().filter(|k| !k.starts_with('@')) {
        log.record(
            EventMessage::property_value_modified_by_client(property, &patch[property].to_string()),
            Some(uri.clone()),
        )
        .await;
    }
    reply::json(
        ctx.ex,
        &ethernet_body(ctx, &interface(ctx, name)?),
        NET_ALLOW,
    )
}
