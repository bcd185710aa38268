//! What follows a verifier's verdict: a first pin is stored; a refused certificate is logged, put
//! in the rack manager's log and sent to EventService subscribers, naming the AggregationSource
//! where an operator accepts it; a BMC back on its pinned certificate is reported the same way.

use super::{PinEvent, StoredPin};
use crate::AppState;
use redfish::events::EventMessage;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;

/// The condition a refusal raises and an acceptance clears (ResourceEvent registry).
pub const CONDITION_PROPERTY: &str = "Certificate";
pub const CONDITION: &str = "certificate changed";

/// Handles the verifiers' reports until cancelled.
pub async fn run(
    mut rx: UnboundedReceiver<PinEvent>,
    state: Arc<AppState>,
    cancel: CancellationToken,
) {
    loop {
        let event = tokio::select! {
            () = cancel.cancelled() => return,
            event = rx.recv() => event,
        };
        let Some(event) = event else {
            return;
        };
        handle(&state, event).await;
    }
}

async fn handle(state: &AppState, event: PinEvent) {
    match event {
        PinEvent::Pinned { bmc } => {
            // The pin as it is now (an operator may have accepted another meanwhile).
            let Some(cell) = state.limits.tls.pins().get(bmc.as_str()) else {
                return;
            };
            let Some(fingerprint) = cell.state().pinned else {
                return;
            };
            tracing::info!(bmc = %bmc, sha256 = %fingerprint, "BMC certificate pinned at the first connection");
            save(state, &bmc, &cell.origin, fingerprint).await;
        }
        PinEvent::Refused {
            bmc,
            pinned,
            presented,
        } => {
            tracing::warn!(bmc = %bmc, pinned = %pinned, presented = %presented,
                "BMC presents a certificate other than the pinned one: refused until an operator accepts it (#RedDrum.AcceptCertificate on its AggregationSource)");
            report(
                state,
                bmc.as_str(),
                EventMessage::resource_errors_detected(
                    CONDITION_PROPERTY,
                    &format!("{CONDITION}: SHA-256 {presented} presented, {pinned} pinned"),
                ),
            )
            .await;
        }
        PinEvent::Restored { bmc } => {
            tracing::info!(bmc = %bmc, "BMC presents its pinned certificate again");
            report(
                state,
                bmc.as_str(),
                EventMessage::resource_errors_corrected(CONDITION_PROPERTY, CONDITION),
            )
            .await;
        }
    }
}

/// Stores a BMC's pin; a store failure is logged (the pin holds in memory until a restart).
pub async fn save(
    state: &AppState,
    bmc: &redfish::ids::BmcId,
    origin: &str,
    fingerprint: super::Fingerprint,
) -> bool {
    let pin = StoredPin {
        bmc_id: bmc.to_string(),
        origin: origin.to_owned(),
        fingerprint,
    };
    match state.store.save_pin(pin).await {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(bmc = %bmc, error = %e, "could not store the BMC's certificate pin");
            false
        }
    }
}

/// Records `message` about a BMC's certificate in the rack manager's log, which sends it to
/// every EventService subscriber (intake::own), its origin the BMC's AggregationSource.
pub async fn report(state: &AppState, bmc: &str, message: EventMessage) {
    let origin = crate::local::aggregation::source_uri(bmc);
    state.rack.log.record(message, Some(origin)).await;
}
