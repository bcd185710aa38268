//! `POST /redfish/v1/Chassis/<bmc>-<id>/Actions/Oem/RedDrum.PduReseat`: intercepted, never sent to
//! the BMC (which is likely hung: that is why it is being reseated). Runs the reseat as a Task.

use super::reply;
use crate::AppState;
use crate::error::AggError;
use crate::exchange::{Exchange, Reply};
use crate::rack::pdu;
use http::Method;
use redfish::messages::Message;
use std::sync::Arc;

/// `chassis` is the aggregate URI of the server's chassis, `bmc` its BMC id.
pub async fn reseat(
    state: &Arc<AppState>,
    exchange: &Exchange,
    bmc: &str,
    chassis: &str,
) -> Result<Reply, AggError> {
    let not_found = || AggError::NotFound {
        path: exchange.path.clone(),
    };
    let entry = state.inventory.bmc(bmc).ok_or_else(not_found)?;
    let known = state.inventory.members_of(bmc, "Chassis");
    if !known.iter().any(|c| c == chassis) {
        return Err(not_found());
    }
    let settings = state.rack.settings();
    let (Some(socket), false) = (&entry.pdu_socket, settings.pdu.reseat_command.is_empty()) else {
        return Err(AggError::BadRequest {
            message: Message::action_not_supported(pdu::ACTION),
        });
    };
    reply::only(exchange, &[Method::POST], "POST")?;
    if !exchange.body.is_empty() {
        let body = super::patch::object_body(&exchange.body)?;
        if let Some(unknown) = body.keys().find(|k| !k.starts_with('@')) {
            return Err(AggError::BadRequest {
                message: Message::action_parameter_unknown(pdu::ACTION, unknown),
            });
        }
    }
    let id = pdu::start(
        state.inventory.clone(),
        state.rack.clone(),
        &state.tracker,
        bmc,
        chassis,
        socket,
        &exchange.user,
    )
    .await?;
    super::tasks::accepted(state, &id)
}
