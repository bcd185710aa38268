//! The binary's operator contract: --help, and a bad config stops it with exit code 2 and one
//! line naming the key.

use std::process::Command;

fn run_with_config(toml: &str, env: &[(&str, &str)]) -> std::process::Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("reddrum.toml");
    std::fs::write(&path, toml).expect("write config");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_frontend-svc"));
    cmd.arg("--config").arg(&path).env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run frontend-svc")
}

#[test]
fn help_describes_the_config_option() {
    let out = Command::new(env!("CARGO_BIN_EXE_frontend-svc"))
        .arg("--help")
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--config"));
}

#[test]
fn bad_configs_exit_2_naming_the_key() {
    type Row<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let rows: [Row; 5] = [
        (
            "[frontend]\nlisten = \"127.0.0.1:0\"\nlistn = 1\n",
            &[],
            "listn",
        ),
        (
            "[frontend]\naggregator_endpoint = \"nope\"\n",
            &[],
            "frontend.aggregator_endpoint",
        ),
        (
            "[frontend]\n[frontend.bootstrap_admin]\nusername = \"\"\n",
            &[],
            "frontend.bootstrap_admin.username",
        ),
        (
            "[frontend]\nrequest_timeout_ms = \"soon\"\n",
            &[],
            "request_timeout_ms",
        ),
        (
            "[frontend]\n",
            &[("REDDRUM__FRONTEND__LISTEN", "not-an-address")],
            "listen",
        ),
    ];
    for (toml, env, key) in rows {
        let out = run_with_config(toml, env);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{toml}: {stderr}");
        assert!(
            stderr.contains(key),
            "{toml}: stderr does not name {key}: {stderr}"
        );
        assert_eq!(stderr.trim().lines().count(), 1, "one clear line: {stderr}");
    }
}
