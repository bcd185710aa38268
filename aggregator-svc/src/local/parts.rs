//! Below the management switch and host chassis: Thermal and Power from the
//! hwmon sysfs of the machine the aggregator runs on (read per request), and the switch's
//! `#Chassis.Reset`, which runs the operator's `reset_command` and answers when it has finished.

use super::chassis::reset_action_info;
use super::{Ctx, power, reply};
use crate::error::AggError;
use crate::exchange::Reply;
use crate::rack::hwmon::{self, Sensors};
use crate::rack::{chassis_uri, command, props, sensors};
use http::Method;
use redfish::events::EventMessage;
use std::time::Duration;

const READ_ALLOW: &str = "GET, HEAD";
const POST_ALLOW: &str = "POST";
/// ResetTypes the switch accepts (what a reboot hook can honestly offer).
pub const SWITCH_RESET_TYPES: &[&str] = &["ForceRestart", "GracefulRestart"];

/// The hwmon sensors are the hardware of whichever chassis the aggregator runs in: the switch
/// when `inside_switch`, else the host chassis.
pub fn has_sensors(ctx: &Ctx<'_>, switch: bool) -> bool {
    switch == ctx.s.inside_switch
}

/// True when the switch offers `#Chassis.Reset`.
pub fn switch_resets(ctx: &Ctx<'_>, switch: bool) -> bool {
    switch && !ctx.s.switch.reset_command.is_empty()
}

async fn read(ctx: &Ctx<'_>, switch: bool) -> Sensors {
    if has_sensors(ctx, switch) {
        hwmon::read_async(&ctx.s.switch.hwmon_dir).await
    } else {
        Sensors::default()
    }
}

/// `/redfish/v1/Chassis/<switch or host>/<rest>` (rest not empty).
pub async fn serve(
    ctx: &Ctx<'_>,
    switch: bool,
    id: &str,
    name: &str,
    rest: &[&str],
) -> Result<Reply, AggError> {
    let uri = chassis_uri(id);
    let body = match rest {
        ["Thermal"] => {
            reply::only(ctx.ex, &[Method::GET, Method::HEAD], READ_ALLOW)?;
            sensors::thermal(&uri, name, &read(ctx, switch).await)
        }
        ["Power"] => return serve_power(ctx, switch, &uri, name).await,
        ["ResetActionInfo"] if switch_resets(ctx, switch) => {
            reply::only(ctx.ex, &[Method::GET, Method::HEAD], READ_ALLOW)?;
            reset_action_info(&format!("{uri}/ResetActionInfo"), SWITCH_RESET_TYPES)
        }
        ["Actions", "Chassis.Reset"] if switch_resets(ctx, switch) => {
            return reset_switch(ctx, &uri).await;
        }
        _ => return Err(ctx.not_found()),
    };
    reply::json(ctx.ex, &body, READ_ALLOW)
}

/// The chassis's Power: its recorded power limit is PATCHable (the switch's and the host's
/// stored apart).
async fn serve_power(
    ctx: &Ctx<'_>,
    switch: bool,
    uri: &str,
    name: &str,
) -> Result<Reply, AggError> {
    let key = if switch { props::SWITCH } else { props::HOST };
    let body =
        async || sensors::power(uri, name, &read(ctx, switch).await, &power::limit(ctx, key));
    if ctx.ex.method == Method::PATCH {
        let _writer = ctx.state.rack.props.writer().await;
        let current = body().await;
        power::write_limit(ctx, key, uri, &current).await?;
        return reply::json(ctx.ex, &body().await, power::POWER_ALLOW);
    }
    reply::only(ctx.ex, &[Method::GET, Method::HEAD], power::POWER_ALLOW)?;
    reply::json(ctx.ex, &body().await, power::POWER_ALLOW)
}

/// Runs the reset command; 204 once it exits 0. Every other outcome is a 500 and a log entry.
async fn reset_switch(ctx: &Ctx<'_>, uri: &str) -> Result<Reply, AggError> {
    reply::only(ctx.ex, &[Method::POST], POST_ALLOW)?;
    let reset_type = reply::reset_type(&ctx.ex.body, SWITCH_RESET_TYPES, "Chassis.Reset")?;
    let switch = &ctx.s.switch;
    let log = &ctx.state.rack.log;
    // Logged before running: a reset that takes this service down with the switch still leaves
    // its trace.
    log.record(
        EventMessage::resource_state_changed(
            uri,
            &format!("{reset_type} requested by {}", ctx.ex.user),
        ),
        Some(uri.to_owned()),
    )
    .await;
    let argv = command::substitute(&switch.reset_command, &[("{reset_type}", &reset_type)]);
    super::hook::run(
        ctx,
        "reset command",
        uri,
        &argv,
        &[],
        Duration::from_secs(switch.command_timeout_secs),
    )
    .await?;
    Ok(reply::no_content())
}
