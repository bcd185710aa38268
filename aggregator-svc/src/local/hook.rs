//! Running an operator's hook command for a request (switch reset, locator LED, network): a
//! failure is written to the rack manager's log with its cause and answered as a 500, since the
//! request was valid and the hook is what failed.

use super::Ctx;
use crate::error::AggError;
use crate::rack::command;
use redfish::events::EventMessage;
use std::time::Duration;

/// Runs `argv` with `input` on stdin; `what` names it in messages ("reset command").
pub async fn run(
    ctx: &Ctx<'_>,
    what: &str,
    uri: &str,
    argv: &[String],
    input: &[u8],
    timeout: Duration,
) -> Result<(), AggError> {
    let outcome = command::run_with_input(argv, input, timeout).await;
    let Some(detail) = outcome.failure(what) else {
        return Ok(());
    };
    ctx.state
        .rack
        .log
        .record(
            EventMessage::resource_errors_detected(uri, &detail),
            Some(uri.to_owned()),
        )
        .await;
    Err(AggError::Internal(format!("{uri}: {detail}")))
}
