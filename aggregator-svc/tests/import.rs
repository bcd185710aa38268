//! `aggregator-svc reddrum-import`: the original's discovery and credentials files become a
//! config file that loads, validates and starts the service.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const DISCOVERY: &str = r#"{"RackServers": [
    {"Id": "svr1", "IPv4Address": "127.0.0.1:9", "PduSocketId": "1", "CredentialsId": "IDRAC0"},
    {"Id": "svr-2", "IPv4Address": "127.0.0.1:10", "PduSocketId": "2", "CredentialsId": "IDRAC0"}
]}"#;
const CREDENTIALS: &str =
    r#"{"IDRAC0": {"User": "root", "Password": "calvin", "BmcType": "IDRAC"}}"#;

#[test]
fn the_imported_config_loads_validates_and_starts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let discovery = dir.path().join("discovery.json");
    let credentials = dir.path().join("credentials.json");
    let out = dir.path().join("reddrum.toml");
    std::fs::write(&discovery, DISCOVERY).expect("write");
    std::fs::write(&credentials, CREDENTIALS).expect("write");
    let run = Command::new(env!("CARGO_BIN_EXE_aggregator-svc"))
        .arg("reddrum-import")
        .arg("--discovery")
        .arg(&discovery)
        .arg("--credentials")
        .arg(&credentials)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run import");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("\"svr-2\"") && stderr.contains("svr_2"),
        "the renamed id is reported: {stderr}"
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&out).expect("meta").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "it holds passwords");

    // It loads and validates as the service would load it.
    let mut env = aggregator_svc::config::ConfigEnv::default();
    env.0.insert(
        "REDDRUM__AGGREGATOR__STATE_DIR".into(),
        dir.path().join("state").display().to_string(),
    );
    let config = aggregator_svc::Config::load(Some(&out), &env).expect("imported config loads");
    let bmcs = config.validate().expect("valid");
    let ids: Vec<&str> = bmcs.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["svr1", "svr_2"]);
    assert_eq!(bmcs[1].pdu_socket.as_deref(), Some("2"));
    assert!(!bmcs[0].verify_tls);
    assert_eq!(bmcs[0].base_url.as_str(), "https://127.0.0.1:9/");

    // And the binary starts with it.
    let mut child = Command::new(env!("CARGO_BIN_EXE_aggregator-svc"))
        .arg("--config")
        .arg(&out)
        .env("REDDRUM__AGGREGATOR__GRPC_LISTEN", "127.0.0.1:0")
        .env("REDDRUM__AGGREGATOR__STATE_DIR", dir.path().join("state"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.starts_with("aggregator-svc listening on 127.0.0.1:"),
        "{line}"
    );
}

#[test]
fn an_unknown_credentials_id_exits_2_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let discovery = dir.path().join("d.json");
    let credentials = dir.path().join("c.json");
    std::fs::write(&discovery, DISCOVERY).expect("write");
    std::fs::write(&credentials, "{}").expect("write");
    let run = Command::new(env!("CARGO_BIN_EXE_aggregator-svc"))
        .args(["import", "--discovery"])
        .arg(&discovery)
        .arg("--credentials")
        .arg(&credentials)
        .output()
        .expect("run import");
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("IDRAC0"));
}
