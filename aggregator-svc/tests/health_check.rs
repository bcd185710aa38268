//! `--health-check` and `--check-config`, as container HEALTHCHECKs and operators run them: the
//! gRPC health service of a running aggregator-svc reports SERVING (exit 0), a stopped one does
//! not (exit 1), and the target comes from the config when none is given.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn aggregator() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aggregator-svc"));
    c.env_remove("RUST_LOG").env_remove("REDDRUM_CONFIG");
    c
}

#[test]
fn health_check_follows_the_running_service() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("reddrum.toml");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    std::fs::write(
        &config,
        format!(
            "[aggregator]\ngrpc_listen = \"127.0.0.1:{port}\"\nstate_dir = \"{}\"\n",
            dir.path().join("state").display()
        ),
    )
    .expect("write");

    // Nothing listening yet: unhealthy, one line, exit 1.
    let out = aggregator()
        .args(["--health-check", &format!("grpc://127.0.0.1:{port}")])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("unhealthy"));

    let mut child = aggregator()
        .arg("--config")
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aggregator-svc");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read");
    assert!(line.starts_with("aggregator-svc listening on"), "{line}");

    // Target from the config, and explicit gRPC and TCP targets.
    let from_config = aggregator()
        .arg("--config")
        .arg(&config)
        .arg("--health-check")
        .output()
        .expect("run");
    let explicit = aggregator()
        .args(["--health-check", &format!("grpc://127.0.0.1:{port}")])
        .output()
        .expect("run");
    let tcp = aggregator()
        .args(["--health-check", &format!("tcp://127.0.0.1:{port}")])
        .output()
        .expect("run");
    let _ = child.kill();
    let _ = child.wait();
    for out in [&from_config, &explicit] {
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("aggregator.v1.Aggregator SERVING"), "{text}");
    }
    assert!(tcp.status.success(), "{tcp:?}");

    let check = aggregator()
        .arg("--config")
        .arg(&config)
        .arg("--check-config")
        .output()
        .expect("run");
    assert!(check.status.success(), "{check:?}");
    std::fs::write(
        &config,
        "[aggregator]\n[[aggregator.bmcs]]\nid = \"s1\"\nurl = \"https://h\"\nusername = \"u\"\npassword_file = \"/nonexistent/pw\"\n",
    )
    .expect("write");
    let bad = aggregator()
        .arg("--config")
        .arg(&config)
        .arg("--check-config")
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("aggregator.bmcs[0].password_file"));
}
