//! The trust-on-first-use side of an AggregationSource (see `crate::tofu`): what it shows under
//! `Oem.RedDrum` (the pinned fingerprint, and the one refused), its `Condition` while refused, and
//! the OEM action an operator accepts a new certificate with:
//!
//! `POST .../AggregationSources/<id>/Actions/Oem/RedDrum.AcceptCertificate`
//! `{"Fingerprint": "<SHA-256 of the certificate, hex, colons optional>"}`
//!
//! The fingerprint is required, so what is pinned is what the operator checked (a certificate
//! changed again since is refused again). ConfigureManager is needed, as for any POST on an
//! AggregationSource.

use super::Ctx;
use super::action::ActionBody;
use super::reply;
use crate::error::AggError;
use crate::exchange::Reply;
use crate::tofu::keeper::{CONDITION, CONDITION_PROPERTY};
use crate::tofu::{Fingerprint, PinState};
use http::Method;
use redfish::events::EventMessage;
use redfish::messages::Message;
use serde_json::{Map, Value, json};

pub const ACTION: &str = "RedDrum.AcceptCertificate";
const PARAMETER: &str = "Fingerprint";

fn target(source_uri: &str) -> String {
    format!("{source_uri}/Actions/Oem/{ACTION}")
}

/// The pin state of a BMC in TOFU mode (None otherwise, or before its client was made).
fn pin_state(ctx: &Ctx<'_>, id: &str) -> Option<PinState> {
    ctx.state.limits.tls.pins().get(id).map(|cell| cell.state())
}

/// Adds `Oem.RedDrum` TLS properties and, in TOFU mode, the accept action, to a source's body.
pub fn decorate(
    ctx: &Ctx<'_>,
    id: &str,
    bmc: &crate::config::ValidBmc,
    body: &mut Map<String, Value>,
) {
    let mut oem = json!({
        "VerifyTls": bmc.verify_tls,
        "TrustOnFirstUse": bmc.trust_on_first_use,
    });
    if bmc.trust_on_first_use {
        let state = pin_state(ctx, id).unwrap_or_default();
        let shown =
            |f: Option<Fingerprint>| f.map_or(Value::Null, |f| Value::String(f.to_string()));
        oem["CertificateFingerprint"] = shown(state.pinned);
        oem["CertificateFingerprintHashAlgorithm"] = json!("TPM_ALG_SHA256");
        oem["PresentedCertificateFingerprint"] = shown(state.refused);
        let uri = super::aggregation::source_uri(id);
        body.insert(
            "Actions".into(),
            json!({"Oem": {format!("#{ACTION}"): {"target": target(&uri)}}}),
        );
    }
    body.insert("Oem".into(), json!({"RedDrum": oem}));
}

/// The Condition of a BMC refused for its certificate, if it is.
pub fn condition(ctx: &Ctx<'_>, id: &str) -> Option<EventMessage> {
    let refused = pin_state(ctx, id)?.refused?;
    Some(EventMessage::resource_errors_detected(
        CONDITION_PROPERTY,
        &format!("{CONDITION}: SHA-256 {refused} presented"),
    ))
}

/// `POST .../Actions/Oem/RedDrum.AcceptCertificate`: pins the given fingerprint (stored before
/// the answer), reports the condition cleared, and has the BMC read again at once.
pub async fn accept(
    ctx: &Ctx<'_>,
    id: &str,
    bmc: &crate::config::ValidBmc,
) -> Result<Reply, AggError> {
    reply::only(ctx.ex, &[Method::POST], "POST")?;
    if !bmc.trust_on_first_use {
        return Err(AggError::BadRequest {
            message: Message::action_not_supported(ACTION),
        });
    }
    let body = ActionBody::parse(&ctx.ex.body, ACTION, &[PARAMETER])?;
    let text = body.required_string(PARAMETER)?;
    let fingerprint = Fingerprint::parse(&text).ok_or_else(|| AggError::BadRequest {
        message: Message::action_parameter_value_format_error(&text, PARAMETER, ACTION),
    })?;
    let pins = ctx.state.limits.tls.pins();
    let cell = pins
        .get(id)
        .ok_or_else(|| AggError::Internal(format!("BMC {id} has no pin")))?;
    let before = cell.accept(fingerprint);
    if !crate::tofu::keeper::save(ctx.state, &cell.bmc, &cell.origin, fingerprint).await {
        // Not stored, so not in force: the old pin stays.
        let _ = before.pinned.map(|old| cell.accept(old));
        return Err(AggError::Store("saving the certificate pin".into()));
    }
    tracing::info!(bmc = %id, user = %ctx.ex.user, sha256 = %fingerprint,
        previous = ?before.pinned, "BMC certificate accepted by an operator");
    let message = if before.refused.is_some() {
        EventMessage::resource_errors_corrected(CONDITION_PROPERTY, CONDITION)
    } else {
        EventMessage::resource_changed()
    };
    crate::tofu::keeper::report(ctx.state, id, message).await;
    ctx.state.inventory.poke(&cell.bmc);
    Ok(reply::no_content())
}
