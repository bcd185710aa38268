//! The binary's operator contract: --help, and a bad config stops it with exit code 2 and one
//! line naming the key.

use std::process::Command;

fn run_with_config(toml: &str) -> std::process::Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("reddrum.toml");
    std::fs::write(&path, toml).expect("write config");
    Command::new(env!("CARGO_BIN_EXE_aggregator-svc"))
        .arg("--config")
        .arg(&path)
        .env_remove("RUST_LOG")
        .output()
        .expect("run aggregator-svc")
}

#[test]
fn help_describes_the_config_option() {
    let out = Command::new(env!("CARGO_BIN_EXE_aggregator-svc"))
        .arg("--help")
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--config"));
}

#[test]
fn bad_configs_exit_2_naming_the_key() {
    let rows = [
        ("[aggregator]\ngrpc_lisen = \"127.0.0.1:0\"\n", "grpc_lisen"),
        (
            "[aggregator]\ngrpc_listen = \"not an address\"\n",
            "grpc_listen",
        ),
        (
            "[aggregator]\n[[aggregator.bmcs]]\nid = \"s-1\"\nurl = \"https://10.0.0.1\"\nusername = \"u\"\npassword = \"p\"\n",
            "aggregator.bmcs[0].id",
        ),
        (
            "[aggregator]\n[[aggregator.bmcs]]\nid = \"s1\"\nurl = \"ftp://10.0.0.1\"\nusername = \"u\"\npassword = \"p\"\n",
            "aggregator.bmcs[0].url",
        ),
        (
            "[aggregator]\n[[aggregator.bmcs]]\nid = \"s1\"\nurl = \"https://10.0.0.1\"\npassword = \"p\"\n",
            "username",
        ),
        ("[agregator]\n", "agregator"),
    ];
    for (toml, key) in rows {
        let out = run_with_config(toml);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{toml}: {stderr}");
        assert!(
            stderr.contains(key),
            "{toml}: stderr does not name {key}: {stderr}"
        );
        assert_eq!(stderr.trim().lines().count(), 1, "one clear line: {stderr}");
    }
}

#[test]
fn a_missing_config_file_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_aggregator-svc"))
        .args(["--config", "/nonexistent/reddrum.toml"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/reddrum.toml"));
}
