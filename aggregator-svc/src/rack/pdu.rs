//! PDU reseat: the configured command (argv, no shell) with `{socket}` (and `{bmc}`) substituted,
//! run with a timeout (killed past it) as a local Task whose messages report the outcome.

use crate::config::rack::PduConfig;
use crate::error::AggError;
use crate::inventory::Inventory;
use crate::rack::Rack;
use crate::rack::command::{self, CommandOutcome};
use crate::rack::tasks::{Outcome, finish_body, push_message};
use redfish::events::EventMessage;
use std::sync::Arc;
use std::time::Duration;

/// The OEM action on a server's aggregated chassis.
pub const ACTION: &str = "#RedDrum.PduReseat";
/// Its path below the chassis.
pub const ACTION_PATH: &str = "/Actions/Oem/RedDrum.PduReseat";

/// The argv with placeholders replaced.
pub fn argv(command: &[String], socket: &str, bmc: &str) -> Vec<String> {
    command::substitute(command, &[("{socket}", socket), ("{bmc}", bmc)])
}

/// The task message describing `outcome` for `socket`.
pub fn outcome_message(outcome: &CommandOutcome, socket: &str) -> (bool, EventMessage) {
    let what = format!("PDU socket {socket}");
    match outcome.failure("reseat command") {
        None => (
            true,
            EventMessage::resource_state_changed(&what, "reseated"),
        ),
        Some(detail) => (
            false,
            EventMessage::resource_errors_detected(&what, &detail),
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
        let outcome = command::run(&argv, Duration::from_secs(timeout_secs)).await;
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
    fn outcomes_become_task_messages() {
        let (ok, m) = outcome_message(&CommandOutcome::TimedOut { after_secs: 5 }, "7");
        assert!(!ok);
        assert!(m.text().contains("timed out after 5 s"), "{}", m.text());
        let (ok, _) = outcome_message(&CommandOutcome::Succeeded, "7");
        assert!(ok);
    }
}
