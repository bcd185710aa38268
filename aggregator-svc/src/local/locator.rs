//! The management switch's locator LED, through the operator's `locator_command`: PATCH of
//! `LocationIndicatorActive` (or the deprecated `IndicatorLED`, which profiles still ask for)
//! runs the command; the state shown is the last one the command accepted (persisted), since
//! an LED hook has no way to read the LED back.

use super::patch::{Kind, object_body, validate};
use super::{Ctx, reply};
use crate::error::AggError;
use crate::exchange::Reply;
use crate::rack::{chassis_uri, command, props};
use redfish::events::EventMessage;
use redfish::messages::Message;
use serde_json::{Value, json};
use std::time::Duration;

pub const ALLOW: &str = "GET, HEAD, PATCH";
const LED_STATES: &[&str] = &["Lit", "Blinking", "Off"];
const WRITABLE: &[(&str, Kind)] = &[
    ("LocationIndicatorActive", Kind::Bool),
    ("IndicatorLED", Kind::Enum(LED_STATES)),
];

/// Whether the switch chassis has a locator LED to show and set.
pub fn offered(ctx: &Ctx<'_>, switch: bool) -> bool {
    switch && !ctx.s.switch.locator_command.is_empty()
}

fn current_led(ctx: &Ctx<'_>) -> String {
    ctx.state
        .rack
        .props
        .get(props::SWITCH, "IndicatorLED")
        .and_then(|v| v.as_str().map(str::to_owned))
        .filter(|s| LED_STATES.contains(&s.as_str()))
        .unwrap_or_else(|| "Off".to_owned())
}

/// Adds the LED's state to the switch chassis body.
pub fn show(ctx: &Ctx<'_>, body: &mut Value) {
    let led = current_led(ctx);
    body["LocationIndicatorActive"] = json!(led != "Off");
    body["IndicatorLED"] = json!(led);
}

/// The LED state a PATCH asks for; both properties at once must agree.
fn requested(patch: &serde_json::Map<String, Value>) -> Result<Option<String>, AggError> {
    let active = patch
        .get("LocationIndicatorActive")
        .and_then(Value::as_bool);
    let led = patch
        .get("IndicatorLED")
        .and_then(Value::as_str)
        .map(str::to_owned);
    match (active, led) {
        (Some(a), Some(l)) if a != (l != "Off") => Err(AggError::BadRequest {
            message: Message::property_value_conflict("LocationIndicatorActive", "IndicatorLED"),
        }),
        (_, Some(l)) => Ok(Some(l)),
        // Identify LEDs blink: what `LocationIndicatorActive` true means on most hardware.
        (Some(a), None) => Ok(Some(if a { "Blinking" } else { "Off" }.to_owned())),
        (None, None) => Ok(None),
    }
}

/// PATCH of the switch chassis: only the LED is writable.
pub async fn patch(ctx: &Ctx<'_>, current: impl Fn() -> Value) -> Result<Reply, AggError> {
    let props = &ctx.state.rack.props;
    let _writer = props.writer().await;
    let before = current();
    reply::check_if_match(ctx.ex, &before)?;
    let body = object_body(&ctx.ex.body)?;
    validate(&body, WRITABLE, &before, "")?;
    let Some(led) = requested(&body)? else {
        return Err(AggError::BadRequest {
            message: Message::no_operation(),
        });
    };
    let uri = chassis_uri(&ctx.s.switch.id);
    let state = if led == "Off" { "off" } else { "on" };
    let argv = command::substitute(
        &ctx.s.switch.locator_command,
        &[("{state}", state), ("{led}", &led)],
    );
    super::hook::run(
        ctx,
        "locator command",
        &uri,
        &argv,
        &[],
        Duration::from_secs(ctx.s.switch.command_timeout_secs),
    )
    .await?;
    let log = &ctx.state.rack.log;
    props
        .set(props::SWITCH, vec![("IndicatorLED".to_owned(), json!(led))])
        .await?;
    log.record(
        EventMessage::property_value_modified_by_client("IndicatorLED", &led),
        Some(uri),
    )
    .await;
    reply::json(ctx.ex, &current(), ALLOW)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(v: Value) -> Result<Option<String>, String> {
        let map = v.as_object().cloned().unwrap_or_default();
        requested(&map).map_err(|e| match e {
            AggError::BadRequest { message } => message.key().to_owned(),
            other => other.to_string(),
        })
    }

    #[test]
    fn either_property_sets_the_led_and_they_must_agree() {
        assert_eq!(
            req(json!({"LocationIndicatorActive": true})),
            Ok(Some("Blinking".into()))
        );
        assert_eq!(
            req(json!({"LocationIndicatorActive": false})),
            Ok(Some("Off".into()))
        );
        assert_eq!(req(json!({"IndicatorLED": "Lit"})), Ok(Some("Lit".into())));
        assert_eq!(
            req(json!({"IndicatorLED": "Lit", "LocationIndicatorActive": true})),
            Ok(Some("Lit".into()))
        );
        assert_eq!(
            req(json!({"IndicatorLED": "Off", "LocationIndicatorActive": true})),
            Err("PropertyValueConflict".into())
        );
        assert_eq!(req(json!({})), Ok(None));
    }
}
