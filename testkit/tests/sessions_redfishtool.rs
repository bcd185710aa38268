//! DMTF's redfishtool (PyPI) against the stack: session login, list, logout, run by
//! `scripts/test-redfishtool.sh` against an in-process stack (the script installs redfishtool
//! into `.venv` when missing). Skipped, with the reason printed, when python3 is not installed.

use testkit::bmc_sim::Profile;
use testkit::{ADMIN_PASSWORD, ADMIN_USER, Stack, StackOptions};

fn python3_missing() -> bool {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
}

async fn run_script(stack: &Stack, password: &str) -> std::process::Output {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let rhost = stack.base.trim_start_matches("http://").to_owned();
    // tokio's Command: the stack serves on this same runtime while the script runs.
    tokio::process::Command::new("bash")
        .arg(root.join("scripts/test-redfishtool.sh"))
        .args([
            "--rhost",
            &rhost,
            "--user",
            ADMIN_USER,
            "--password",
            password,
        ])
        .current_dir(&root)
        .output()
        .await
        .expect("run scripts/test-redfishtool.sh")
}

#[tokio::test]
async fn redfishtool_logs_in_lists_sessions_and_logs_out() {
    if python3_missing() {
        eprintln!("skipped: python3 is not installed, so redfishtool cannot run");
        return;
    }
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    stack.wait_for_members("/redfish/v1/Systems", 1).await;
    let out = run_script(&stack, ADMIN_PASSWORD).await;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "redfishtool checks failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("redfishtool checks passed"), "{stdout}");
    assert!(stderr.contains("logout ok"), "{stderr}");

    // The same script refuses to pass with a wrong password.
    let out = run_script(&stack, "not-the-password").await;
    assert!(!out.status.success(), "passed with a wrong password");
    stack.teardown().await;
}
