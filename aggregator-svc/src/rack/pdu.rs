//! PDU reseat: the configured command (argv, no shell) with `{socket}` (and `{bmc}`) substituted,
//! run with a timeout (killed past it) as a local Task whose messages report the outcome.

use crate::config::rack::PduConfig;
use crate::error::AggError;
use crate::inventory::Inventory;
use crate::rack::Rack;
use crate::rack::tasks::{Outcome, finish_body, push_message};
use redfish::events::EventMessage;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

/// The OEM action on a server's aggregated chassis.
pub const ACTION: &str = "#RedDrum.PduReseat";
/// Its path below the chassis.
pub const ACTION_PATH: &str = "/Actions/Oem/RedDrum.PduReseat";
/// Most stderr kept in a task message.
const STDERR_KEEP: usize = 512;

/// How the command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandOutcome {
    Succeeded,
    Failed {
        status: String,
        stderr: String,
    },
    TimedOut {
        after_secs: u64,
    },
    /// It could not be started at all (missing program, permissions).
    NotStarted {
        reason: String,
    },
}

/// The argv with placeholders replaced.
pub fn argv(command: &[String], socket: &str, bmc: &str) -> Vec<String> {
    command
        .iter()
        .map(|a| a.replace("{socket}", socket).replace("{bmc}", bmc))
        .collect()
}

/// Trims and bounds the command's stderr for a message.
fn trimmed(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    if text.len() <= STDERR_KEEP {
        return text.to_owned();
    }
    let mut end = STDERR_KEEP;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// Runs `argv` (no shell), killing it after `timeout`.
pub async fn run_command(argv: &[String], timeout: Duration) -> CommandOutcome {
    let Some((program, args)) = argv.split_first() else {
        return CommandOutcome::NotStarted {
            reason: "no reseat command is configured".into(),
        };
    };
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) => {
            return CommandOutcome::NotStarted {
                reason: format!("{program}: {e}"),
            };
        }
    };
    // Dropping the future on timeout drops the child, which kill_on_drop kills.
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => CommandOutcome::TimedOut {
            after_secs: timeout.as_secs(),
        },
        Ok(Err(e)) => CommandOutcome::NotStarted {
            reason: format!("{program}: {e}"),
        },
        Ok(Ok(out)) if out.status.success() => CommandOutcome::Succeeded,
        Ok(Ok(out)) => CommandOutcome::Failed {
            status: out.status.code().map_or_else(
                || "killed by a signal".to_owned(),
                |c| format!("exit status {c}"),
            ),
            stderr: trimmed(&out.stderr),
        },
    }
}

/// The task message describing `outcome` for `socket`.
pub fn outcome_message(outcome: &CommandOutcome, socket: &str) -> (bool, EventMessage) {
    let what = format!("PDU socket {socket}");
    match outcome {
        CommandOutcome::Succeeded => (
            true,
            EventMessage::resource_state_changed(&what, "reseated"),
        ),
        CommandOutcome::Failed { status, stderr } => {
            let detail = if stderr.is_empty() {
                format!("reseat command failed with {status}")
            } else {
                format!("reseat command failed with {status}: {stderr}")
            };
            (
                false,
                EventMessage::resource_errors_detected(&what, &detail),
            )
        }
        CommandOutcome::TimedOut { after_secs } => (
            false,
            EventMessage::resource_errors_detected(
                &what,
                &format!("reseat command timed out after {after_secs} s and was killed"),
            ),
        ),
        CommandOutcome::NotStarted { reason } => (
            false,
            EventMessage::resource_errors_detected(
                &what,
                &format!("reseat command could not start: {reason}"),
            ),
        ),
    }
}

/// Starts the reseat of `bmc`'s socket as a task; returns its id.
pub async fn start(
    inventory: Arc<Inventory>,
    rack: Arc<Rack>,
    tracker: &tokio_util::task::TaskTracker,
    bmc: &str,
    chassis: &str,
    socket: &str,
    user: &str,
) -> Result<String, AggError> {
    let settings = rack.settings();
    let PduConfig {
        reseat_command,
        timeout_secs,
    } = settings.pdu.clone();
    let keep = settings.manager.max_tasks;
    let id = rack
        .tasks
        .create(&format!("PDU reseat of {chassis}"), keep)
        .await?;
    rack.register_members(&inventory);
    rack.log
        .record(
            EventMessage::resource_state_changed(
                &format!("PDU socket {socket}"),
                &format!("reseat requested by {user} (task {id})"),
            ),
            Some(chassis.to_owned()),
        )
        .await;
    let argv = argv(&reseat_command, socket, bmc);
    let (socket, chassis, task_id) = (socket.to_owned(), chassis.to_owned(), id.clone());
    tracker.spawn(async move {
        let outcome = run_command(&argv, Duration::from_secs(timeout_secs)).await;
        let (ok, message) = outcome_message(&outcome, &socket);
        let summary = if ok {
            EventMessage::task_completed_ok(&task_id)
        } else {
            EventMessage::task_aborted(&task_id)
        };
        rack.tasks
            .update(&task_id, keep, |body| {
                push_message(body, message.to_message_json());
                push_message(body, summary.to_message_json());
                finish_body(body, if ok { Outcome::Ok } else { Outcome::Failed });
            })
            .await;
        rack.log.record(message, Some(chassis)).await;
    });
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_substituted_in_every_argument_without_a_shell() {
        let cmd: Vec<String> = ["/bin/pdu", "--socket", "{socket}", "--tag={bmc}:{socket}"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            argv(&cmd, "7; rm -rf /", "s1"),
            [
                "/bin/pdu",
                "--socket",
                "7; rm -rf /",
                "--tag=s1:7; rm -rf /"
            ]
        );
    }

    #[test]
    fn stderr_is_trimmed_and_bounded() {
        assert_eq!(trimmed(b"  oops \n"), "oops");
        let long = "é".repeat(400);
        let t = trimmed(long.as_bytes());
        assert!(t.len() <= STDERR_KEEP + 3 && t.ends_with("..."));
    }

    #[tokio::test]
    async fn outcomes_of_real_processes() {
        let sh = |script: &str| vec!["/bin/sh".to_owned(), "-c".to_owned(), script.to_owned()];
        assert_eq!(
            run_command(&sh("exit 0"), Duration::from_secs(10)).await,
            CommandOutcome::Succeeded
        );
        assert_eq!(
            run_command(
                &sh("echo ' no such socket ' >&2; exit 3"),
                Duration::from_secs(10)
            )
            .await,
            CommandOutcome::Failed {
                status: "exit status 3".into(),
                stderr: "no such socket".into()
            }
        );
        assert_eq!(
            run_command(&sh("sleep 30"), Duration::from_millis(200)).await,
            CommandOutcome::TimedOut { after_secs: 0 }
        );
        assert!(matches!(
            run_command(&["/nonexistent/cmd".to_owned()], Duration::from_secs(1)).await,
            CommandOutcome::NotStarted { .. }
        ));
        let (ok, m) = outcome_message(&CommandOutcome::TimedOut { after_secs: 5 }, "7");
        assert!(!ok);
        assert!(m.text().contains("timed out after 5 s"), "{}", m.text());
    }
}
