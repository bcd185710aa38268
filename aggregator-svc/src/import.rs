//! `aggregator-svc reddrum-import`: reads the original RedDrum-Aggregator's discovery file
//! (`{"RackServers": [{"Id", "IPv4Address", "PduSocketId", "CredentialsId"}]}`) and credentials
//! file (`{"IDRAC0": {"User", "Password", "BmcType"}}`) and writes our `[aggregator]` TOML, so an
//! existing rack moves over with one command. Server ids that are not valid BMC ids are
//! sanitized, with a warning; TLS verification is off, as the original never verified.

use redfish::ids::{BmcId, MAX_BMC_ID_LEN};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Deserialize)]
struct Discovery {
    #[serde(rename = "RackServers")]
    rack_servers: Vec<Server>,
}

#[derive(Debug, Deserialize)]
struct Server {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "IPv4Address")]
    address: String,
    #[serde(rename = "PduSocketId", default)]
    pdu_socket: Option<serde_json::Value>,
    #[serde(rename = "CredentialsId")]
    credentials: String,
}

#[derive(Debug, Deserialize)]
struct Credential {
    #[serde(rename = "User")]
    user: String,
    #[serde(rename = "Password")]
    password: String,
    #[serde(rename = "BmcType", default)]
    bmc_type: Option<String>,
}

/// The produced config and what the operator should know about it.
#[derive(Debug)]
pub struct Imported {
    pub toml: String,
    pub warnings: Vec<String>,
}

/// A valid BMC id for `raw` (letters, digits, `_`; starting with a letter; at most 32 chars).
pub fn sanitize_id(raw: &str) -> String {
    let mut id: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        id.insert(0, 's');
    }
    id.truncate(MAX_BMC_ID_LEN);
    id
}

fn unique(mut id: String, taken: &mut HashSet<String>) -> String {
    let base = id.clone();
    let mut n = 2;
    while taken.contains(&id) {
        let suffix = format!("_{n}");
        let mut b = base.clone();
        b.truncate(MAX_BMC_ID_LEN - suffix.len());
        id = format!("{b}{suffix}");
        n += 1;
    }
    taken.insert(id.clone());
    id
}

fn socket_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Converts the two files' contents to our TOML.
pub fn convert(discovery_json: &str, credentials_json: &str) -> Result<Imported, String> {
    let discovery: Discovery =
        serde_json::from_str(discovery_json).map_err(|e| format!("discovery file: {e}"))?;
    let credentials: HashMap<String, Credential> =
        serde_json::from_str(credentials_json).map_err(|e| format!("credentials file: {e}"))?;
    let mut warnings = Vec::new();
    let mut taken = HashSet::new();
    let mut bmcs = Vec::new();
    let mut sockets = 0;
    for server in &discovery.rack_servers {
        let cred = credentials.get(&server.credentials).ok_or_else(|| {
            format!(
                "server {:?}: CredentialsId {:?} is not in the credentials file",
                server.id, server.credentials
            )
        })?;
        let id = if BmcId::is_valid(&server.id) && !taken.contains(&server.id) {
            taken.insert(server.id.clone());
            server.id.clone()
        } else {
            let id = unique(sanitize_id(&server.id), &mut taken);
            warnings.push(format!(
                "server id {:?} is not a valid BMC id (letters, digits and '_', starting with a letter, unique); imported as {id:?}, so its members are {id}-<memberId>",
                server.id
            ));
            id
        };
        let address = server.address.trim();
        if address.is_empty() {
            return Err(format!("server {:?}: IPv4Address is empty", server.id));
        }
        if let Some(t) = &cred.bmc_type
            && t == "MockupServer"
        {
            warnings.push(format!(
                "server {:?} was a MockupServer; check its URL",
                server.id
            ));
        }
        let mut t = toml::Table::new();
        t.insert("id".into(), id.into());
        t.insert("url".into(), format!("https://{address}").into());
        t.insert("username".into(), cred.user.clone().into());
        t.insert("password".into(), cred.password.clone().into());
        t.insert("verify_tls".into(), false.into());
        if let Some(socket) = server.pdu_socket.as_ref().and_then(socket_text) {
            t.insert("pdu_socket".into(), socket.into());
            sockets += 1;
        }
        bmcs.push(toml::Value::Table(t));
    }
    if sockets > 0 {
        warnings.push(format!(
            "{sockets} servers have a PDU socket; set [aggregator.pdu] reseat_command to the script that power-cycles a socket (argv, \"{{socket}}\" is replaced) to offer the reseat action"
        ));
    }
    let mut aggregator = toml::Table::new();
    aggregator.insert("bmcs".into(), toml::Value::Array(bmcs));
    let mut top = toml::Table::new();
    top.insert("aggregator".into(), toml::Value::Table(aggregator));
    let body = toml::to_string(&top).map_err(|e| format!("writing TOML: {e}"))?;
    Ok(Imported {
        toml: format!(
            "# Imported from the original RedDrum-Aggregator's discovery and credentials files.\n# verify_tls = false as the original never verified BMC certificates: give each BMC a ca_file and turn it on.\n{body}"
        ),
        warnings,
    })
}

/// The `reddrum-import` command: reads both files, prints warnings to stderr, writes the TOML to
/// `out` (mode 0600: it holds BMC passwords) or stdout. Exit 2 on unusable input.
pub fn cli(
    discovery: &std::path::Path,
    credentials: &std::path::Path,
    out: Option<&std::path::Path>,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    let read = |p: &std::path::Path| {
        std::fs::read_to_string(p).map_err(|e| format!("reading {}: {e}", p.display()))
    };
    let result = read(discovery)
        .and_then(|d| read(credentials).map(|c| (d, c)))
        .and_then(|(d, c)| convert(&d, &c));
    let imported = match result {
        Ok(i) => i,
        Err(e) => {
            eprintln!("reddrum-import: {e}");
            return ExitCode::from(2);
        }
    };
    for w in &imported.warnings {
        eprintln!("reddrum-import: warning: {w}");
    }
    match out {
        None => print!("{}", imported.toml),
        Some(path) => {
            if let Err(e) = write_private(path, &imported.toml) {
                eprintln!("reddrum-import: writing {}: {e}", path.display());
                return ExitCode::from(1);
            }
            eprintln!("reddrum-import: wrote {}", path.display());
        }
    }
    ExitCode::SUCCESS
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISCOVERY: &str = r#"{"RackServers": [
        {"Id": "svr1", "IPv4Address": "192.168.0.111", "PduSocketId": "1", "CredentialsId": "IDRAC0"},
        {"Id": "svr-2", "IPv4Address": "192.168.0.112", "PduSocketId": 2, "CredentialsId": "IDRAC0"},
        {"Id": "3rd", "IPv4Address": "192.168.0.113:8443", "CredentialsId": "OBMC"},
        {"Id": "svr_2", "IPv4Address": "192.168.0.114", "PduSocketId": "", "CredentialsId": "OBMC"}
    ]}"#;
    const CREDENTIALS: &str = r#"{"IDRAC0": {"User": "root", "Password": "cal\"vin", "BmcType": "IDRAC"},
        "OBMC": {"User": "admin", "Password": "0penBmc", "BmcType": "INTELobmc"}}"#;

    #[test]
    fn converts_sanitizes_and_keeps_sockets() {
        let out = convert(DISCOVERY, CREDENTIALS).expect("converted");
        let cfg: toml::Table = toml::from_str(&out.toml).expect("valid TOML");
        let bmcs = cfg["aggregator"]["bmcs"].as_array().expect("bmcs");
        let ids: Vec<&str> = bmcs.iter().filter_map(|b| b["id"].as_str()).collect();
        assert_eq!(ids, ["svr1", "svr_2", "s3rd", "svr_2_2"]);
        assert_eq!(bmcs[0]["url"].as_str(), Some("https://192.168.0.111"));
        assert_eq!(bmcs[0]["password"].as_str(), Some("cal\"vin"));
        assert_eq!(bmcs[0]["verify_tls"].as_bool(), Some(false));
        assert_eq!(bmcs[1]["pdu_socket"].as_str(), Some("2"));
        assert_eq!(bmcs[2]["url"].as_str(), Some("https://192.168.0.113:8443"));
        assert!(bmcs[3].get("pdu_socket").is_none());
        assert_eq!(
            out.warnings
                .iter()
                .filter(|w| w.contains("not a valid BMC id"))
                .count(),
            3
        );
    }

    #[test]
    fn unknown_credentials_and_bad_json_are_errors() {
        let e = convert(
            r#"{"RackServers":[{"Id":"a","IPv4Address":"h","CredentialsId":"X"}]}"#,
            "{}",
        )
        .expect_err("missing credentials");
        assert!(e.contains("CredentialsId \"X\""), "{e}");
        assert!(
            convert("{", "{}")
                .expect_err("bad")
                .starts_with("discovery file")
        );
        assert!(sanitize_id(&"x".repeat(40)).len() <= MAX_BMC_ID_LEN);
    }
}
