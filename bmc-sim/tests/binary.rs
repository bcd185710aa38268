//! The `bmc-sim` binary: help, config errors (exit 2), one line per BMC, graceful SIGTERM,
//! `--start-delay-ms`, `--path-fault` and `--quirk`.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_bmc-sim");

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("bmc-sim-test-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("write temp config");
    path
}

#[tokio::test]
async fn help_works() {
    let out = Command::new(BIN).arg("--help").output().await.expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--config",
        "--count",
        "--base-port",
        "--profile",
        "--tls",
        "--bind",
        "--start-delay-ms",
        "--path-fault",
    ] {
        assert!(text.contains(flag), "{flag} in help");
    }
}

#[tokio::test]
async fn bad_config_exits_2_naming_the_key() {
    let path = temp_file("bad.toml", "count = 1\nfrobnicate = true\n");
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&path)
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("frobnicate"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one clear line: {err}");
    let path = temp_file(
        "badprofile.toml",
        "[[bmc]]\nid = \"x\"\nprofile = \"dell\"\n",
    );
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&path)
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("profile"));
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn count_prints_one_line_per_bmc_and_sigterm_is_graceful() {
    let mut child = Command::new(BIN)
        .args(["--count", "3", "--base-port", "0", "--profile", "openbmc"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut urls = Vec::new();
    for i in 1..=3 {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("line in time")
            .expect("read")
            .expect("a line");
        let prefix = format!("bmc bmc{i} listening on http://127.0.0.1:");
        assert!(line.starts_with(&prefix), "{line}");
        urls.push(line.rsplit(' ').next().unwrap_or_default().to_string());
    }
    let c = reqwest::Client::new();
    for u in &urls {
        let r = c
            .get(format!("{u}/redfish/v1/Managers/bmc"))
            .basic_auth("root", Some("calvin"))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200);
    }
    let pid = child.id().expect("pid").to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill");
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits after SIGTERM")
        .expect("wait");
    assert!(status.success(), "{status:?}");
    // No more lines were printed.
    assert!(lines.next_line().await.expect("read").is_none());
}

#[tokio::test]
async fn start_delay_and_path_faults_from_flags_apply_to_every_bmc() {
    let firmware = "/redfish/v1/UpdateService/FirmwareInventory";
    let mut child = Command::new(BIN)
        .args([
            "--count",
            "2",
            "--base-port",
            "0",
            "--start-delay-ms",
            "4000",
        ])
        .arg("--path-fault")
        .arg(format!(
            "{firmware}={{\"Status\":{{\"code\":404,\"redfish_body\":true}}}}"
        ))
        .args(["--path-fault", "/redfish/v1/Chassis=Garbage"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut urls = Vec::new();
    for _ in 0..2 {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("line in time")
            .expect("read")
            .expect("a line");
        urls.push(line.rsplit(' ').next().unwrap_or_default().to_string());
    }
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    for u in &urls {
        let err = c
            .get(format!("{u}/redfish/v1"))
            .send()
            .await
            .expect_err("refused while booting");
        assert!(err.is_connect(), "{u}: {err:?}");
    }
    for u in &urls {
        let mut up = false;
        for _ in 0..300 {
            if c.get(format!("{u}/redfish/v1")).send().await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(up, "{u} served after the delay");
        let get = |path: &str| {
            c.get(format!("{u}{path}"))
                .basic_auth("root", Some("calvin"))
                .send()
        };
        let r = get(firmware).await.expect("get");
        assert_eq!(r.status(), 404);
        let body: serde_json::Value = r.json().await.expect("Redfish error body");
        assert_eq!(
            body["error"]["@Message.ExtendedInfo"][0]["MessageId"],
            "Base.1.22.ResourceNotFound"
        );
        let r = get("/redfish/v1/Chassis").await.expect("get");
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.expect("body");
        assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_err());
        assert_eq!(get("/redfish/v1/Systems").await.expect("get").status(), 200);
    }
    let pid = child.id().expect("pid").to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill");
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits after SIGTERM")
        .expect("wait");
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn a_bad_path_fault_flag_exits_2() {
    for (value, needle) in [
        ("/redfish/v1/Systems=Down", "Down"),
        ("/redfish/v1/Systems", "PATH=FAULT_JSON"),
        ("/redfish/v1/Systems={\"Nope\":1}", "Nope"),
        ("redfish=Hang", "must start with '/'"),
    ] {
        let out = Command::new(BIN)
            .args(["--count", "1", "--path-fault", value])
            .output()
            .await
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{value}: {err}");
    }
}

#[tokio::test]
async fn quirk_flags_apply_to_every_bmc() {
    let mut child = Command::new(BIN)
        .args(["--count", "2", "--base-port", "0", "--profile", "openbmc"])
        .args(["--quirk", "encoded_ids", "--quirk", "no-session-service"])
        .args(["--quirk", "advertised_host=rack.example.net"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    for _ in 0..2 {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("line in time")
            .expect("read")
            .expect("a line");
        let url = line.rsplit(' ').next().unwrap_or_default().to_string();
        let port = url.rsplit(':').next().unwrap_or_default();
        let root: serde_json::Value = c
            .get(format!("{url}/redfish/v1"))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert!(root.get("SessionService").is_none(), "{root}");
        let systems: serde_json::Value = c
            .get(format!("{url}/redfish/v1/Systems"))
            .basic_auth("root", Some("calvin"))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(
            systems["Members"][0]["@odata.id"],
            format!("http://rack.example.net:{port}/redfish/v1/Systems/System%201")
        );
    }
    drop(child);
}

#[tokio::test]
async fn a_bad_quirk_flag_exits_2() {
    for (args, needle) in [
        (vec!["--quirk", "uuid_idz"], "unknown quirk"),
        (vec!["--quirk", "async_power_secs"], "needs a value"),
        (vec!["--quirk", "async_power_secs=soon"], "whole number"),
        (
            vec!["--quirk", "uuid_ids", "--quirk", "encoded_ids"],
            "set one",
        ),
    ] {
        let out = Command::new(BIN)
            .args(["--count", "1"])
            .args(&args)
            .output()
            .await
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}
