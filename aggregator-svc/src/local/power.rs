//! The rack's Power and Thermal, computed from the last readings sample (never waiting on a BMC);
//! `PowerControl[0].PowerLimit.LimitInWatts` is PATCHable and persisted (the switch's too, through
//! [`write_limit`]).

use super::patch::{Kind, object_body, validate};
use super::{Ctx, reply};
use crate::error::AggError;
use crate::exchange::Reply;
use crate::rack::{aggregate, chassis_uri, props};
use http::Method;
use redfish::events::EventMessage;
use serde_json::Value;

pub const POWER_ALLOW: &str = "GET, HEAD, PATCH";
const READ_ALLOW: &str = "GET, HEAD";
const LIMIT_KEY: &str = "PowerLimitInWatts";

const POWER_LIMIT: &[(&str, Kind)] = &[("LimitInWatts", Kind::Watts)];
const POWER_CONTROL: &[(&str, Kind)] = &[("PowerLimit", Kind::Object(POWER_LIMIT))];
const POWER_WRITABLE: &[(&str, Kind)] = &[("PowerControl", Kind::Array(POWER_CONTROL))];

fn power_body(ctx: &Ctx<'_>) -> Value {
    let limit = limit(ctx, props::RACK);
    aggregate::rack_power(
        &chassis_uri(&ctx.s.rack.id),
        &ctx.state.rack.readings.latest(),
        &limit,
    )
}

pub async fn serve_power(ctx: &Ctx<'_>) -> Result<Reply, AggError> {
    if ctx.ex.method == Method::PATCH {
        return patch_power(ctx).await;
    }
    reply::only(ctx.ex, &[Method::GET, Method::HEAD], POWER_ALLOW)?;
    reply::json(ctx.ex, &power_body(ctx), POWER_ALLOW)
}

pub fn serve_thermal(ctx: &Ctx<'_>) -> Result<Reply, AggError> {
    reply::only(ctx.ex, &[Method::GET, Method::HEAD], READ_ALLOW)?;
    let body = aggregate::rack_thermal(
        &chassis_uri(&ctx.s.rack.id),
        &ctx.state.rack.readings.latest(),
    );
    reply::json(ctx.ex, &body, READ_ALLOW)
}

async fn patch_power(ctx: &Ctx<'_>) -> Result<Reply, AggError> {
    let props = &ctx.state.rack.props;
    let _writer = props.writer().await;
    let current = power_body(ctx);
    let rack = chassis_uri(&ctx.s.rack.id);
    if write_limit(ctx, props::RACK, &rack, &current).await? {
        ctx.state.rack.check_power_limit().await;
    }
    reply::json(ctx.ex, &power_body(ctx), POWER_ALLOW)
}

/// The persisted `LimitInWatts` of a local chassis's Power (`resource` is its store key).
pub fn limit(ctx: &Ctx<'_>, resource: &str) -> Value {
    ctx.state
        .rack
        .props
        .get(resource, LIMIT_KEY)
        .unwrap_or(Value::Null)
}

/// A PATCH of a local Power resource, whose only writable property is
/// `PowerControl[0].PowerLimit.LimitInWatts`: checked against `current` (If-Match, names,
/// types), persisted under `resource` and logged. True when the limit was written. The caller
/// holds the props writer lock across computing `current` and this.
pub async fn write_limit(
    ctx: &Ctx<'_>,
    resource: &str,
    chassis: &str,
    current: &Value,
) -> Result<bool, AggError> {
    reply::check_if_match(ctx.ex, current)?;
    let patch = object_body(&ctx.ex.body)?;
    validate(&patch, POWER_WRITABLE, current, "")?;
    let controls = patch
        .get("PowerControl")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if controls.len() > 1 {
        return Err(AggError::BadRequest {
            message: redfish::messages::Message::property_value_out_of_range(
                &controls.len().to_string(),
                "PowerControl",
            ),
        });
    }
    let Some(limit) = controls
        .first()
        .and_then(|c| c.get("PowerLimit"))
        .and_then(|l| l.get("LimitInWatts"))
    else {
        return Ok(false);
    };
    ctx.state
        .rack
        .props
        .set(resource, vec![(LIMIT_KEY.to_owned(), limit.clone())])
        .await?;
    ctx.state
        .rack
        .log
        .record(
            EventMessage::property_value_modified_by_client(
                "PowerControl/0/PowerLimit/LimitInWatts",
                &limit.to_string(),
            ),
            Some(chassis.to_owned()),
        )
        .await;
    Ok(true)
}
