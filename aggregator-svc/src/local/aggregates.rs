//! `/redfish/v1/AggregationService/Aggregates`: named groups of aggregated resources that clients
//! act on at once. The built-in `Rack` aggregate is every aggregated ComputerSystem, read live
//! from the inventory, and can be neither changed nor deleted; custom ones are stored in SQLite.
//! Reset and SetDefaultBootOrder run as one local Task over the element systems
//! ([`crate::rack::reset`], shared with the rack's own Chassis.Reset).

mod request;

use super::action::ActionBody;
use super::patch::object_body;
use super::{Ctx, links, reply};
use crate::error::AggError;
use crate::exchange::Reply;
use crate::rack::reset::{self, Job, Pace, SystemAction};
use crate::store::{Removal, StoredAggregate};
use http::{HeaderValue, Method};
use redfish::messages::Message;
use redfish::path::{Target, classify};
use request::{MAX_DELAY_SECS, checked, create_request, pace};
use serde_json::{Map, Value, json};

pub const COLLECTION_URI: &str = "/redfish/v1/AggregationService/Aggregates";
/// The newest Aggregate in our CSDL.
const AGGREGATE_TYPE: &str = "#Aggregate.v1_0_3.Aggregate";
const COLLECTION_TYPE: &str = "#AggregateCollection.AggregateCollection";
const ACTION_INFO_TYPE: &str = "#ActionInfo.v1_4_0.ActionInfo";
/// The built-in aggregate's Id; custom Ids are numbers, so they never collide with it.
pub const RACK_ID: &str = "Rack";

const COLLECTION_ALLOW: &str = "GET, HEAD, POST";
const CUSTOM_ALLOW: &str = "GET, HEAD, DELETE";
const READ_ALLOW: &str = "GET, HEAD";
const POST_ALLOW: &str = "POST";

const ADD: &str = "Aggregate.AddElements";
const REMOVE: &str = "Aggregate.RemoveElements";
const RESET: &str = "Aggregate.Reset";
const SET_DEFAULT_BOOT_ORDER: &str = "Aggregate.SetDefaultBootOrder";

/// An aggregate as served.
struct Aggregate {
    id: String,
    name: String,
    elements: Vec<String>,
    built_in: bool,
}

fn uri_of(id: &str) -> String {
    format!("{COLLECTION_URI}/{id}")
}

fn rack(ctx: &Ctx<'_>) -> Aggregate {
    Aggregate {
        id: RACK_ID.into(),
        name: "Rack".into(),
        elements: ctx.aggregated("Systems"),
        built_in: true,
    }
}

fn custom(stored: StoredAggregate) -> Aggregate {
    Aggregate {
        name: stored
            .name
            .unwrap_or_else(|| format!("Aggregate {}", stored.id)),
        id: stored.id,
        elements: stored.elements,
        built_in: false,
    }
}

async fn find(ctx: &Ctx<'_>, id: &str) -> Result<Aggregate, AggError> {
    if id == RACK_ID {
        return Ok(rack(ctx));
    }
    let stored = ctx.state.store.aggregate(id).await?;
    stored.map(custom).ok_or_else(|| ctx.not_found())
}

fn body(a: &Aggregate) -> Value {
    let uri = uri_of(&a.id);
    let target = |name: &str| json!({"target": format!("{uri}/Actions/{name}")});
    let mut actions = Map::new();
    actions.insert(
        format!("#{RESET}"),
        json!({
            "target": format!("{uri}/Actions/{RESET}"),
            "@Redfish.ActionInfo": format!("{uri}/ResetActionInfo"),
        }),
    );
    actions.insert(
        format!("#{SET_DEFAULT_BOOT_ORDER}"),
        target(SET_DEFAULT_BOOT_ORDER),
    );
    // The built-in aggregate's membership is the inventory's: it offers no membership actions.
    if !a.built_in {
        for name in [ADD, REMOVE] {
            actions.insert(format!("#{name}"), target(name));
        }
    }
    let description = if a.built_in {
        "Every server of the rack, kept current from the inventory; cannot be changed or deleted"
    } else {
        "A group of the rack's resources defined by a client"
    };
    json!({
        "@odata.id": uri,
        "@odata.type": AGGREGATE_TYPE,
        "Id": a.id,
        "Name": a.name,
        "Description": description,
        "Elements": links(&a.elements),
        "ElementsCount": a.elements.len(),
        "Actions": actions,
    })
}

fn collection_body(ids: &[String]) -> Value {
    let members: Vec<String> = ids.iter().map(|id| uri_of(id)).collect();
    super::collection(
        COLLECTION_URI,
        COLLECTION_TYPE,
        "Aggregate Collection",
        &members,
    )
}

fn reset_action_info(id: &str) -> Value {
    json!({
        "@odata.id": format!("{}/ResetActionInfo", uri_of(id)),
        "@odata.type": ACTION_INFO_TYPE,
        "Id": "ResetActionInfo",
        "Name": "Reset Action Info",
        "Parameters": [
            {
                "Name": "ResetType",
                "Required": true,
                "DataType": "String",
                "AllowableValues": reset::RESET_TYPES,
            },
            {
                "Name": "BatchSize",
                "Required": false,
                "DataType": "Number",
                "MinimumValue": 0,
            },
            {
                "Name": "DelayBetweenBatchesInSeconds",
                "Required": false,
                "DataType": "Number",
                "MinimumValue": 0,
                "MaximumValue": MAX_DELAY_SECS,
            },
        ],
    })
}

/// `rest`: the path after `/redfish/v1/AggregationService/Aggregates`, split on '/'.
pub async fn serve(ctx: &Ctx<'_>, rest: &[&str]) -> Result<Reply, AggError> {
    match rest {
        [] => match ctx.ex.method {
            Method::POST => create(ctx).await,
            _ => {
                reply::only(ctx.ex, &[Method::GET, Method::HEAD], COLLECTION_ALLOW)?;
                let mut ids = vec![RACK_ID.to_owned()];
                ids.extend(
                    ctx.state
                        .store
                        .aggregates()
                        .await?
                        .into_iter()
                        .map(|a| a.id),
                );
                reply::json(ctx.ex, &collection_body(&ids), COLLECTION_ALLOW)
            }
        },
        [id] => {
            let a = find(ctx, id).await?;
            let allow = if a.built_in { READ_ALLOW } else { CUSTOM_ALLOW };
            match ctx.ex.method {
                Method::DELETE if a.built_in => Err(AggError::CannotDelete {
                    path: ctx.ex.path.clone(),
                    allow,
                }),
                Method::DELETE => delete(ctx, &a).await,
                _ => {
                    reply::only(ctx.ex, &[Method::GET, Method::HEAD], allow)?;
                    reply::json(ctx.ex, &body(&a), allow)
                }
            }
        }
        [id, "ResetActionInfo"] => {
            let a = find(ctx, id).await?;
            reply::only(ctx.ex, &[Method::GET, Method::HEAD], READ_ALLOW)?;
            reply::json(ctx.ex, &reset_action_info(&a.id), READ_ALLOW)
        }
        [id, "Actions", action] => {
            if ![ADD, REMOVE, RESET, SET_DEFAULT_BOOT_ORDER].contains(action) {
                return Err(ctx.not_found());
            }
            let a = find(ctx, id).await?;
            reply::only(ctx.ex, &[Method::POST], POST_ALLOW)?;
            match *action {
                ADD | REMOVE if a.built_in => Err(AggError::BadRequest {
                    message: Message::action_not_supported(action),
                }),
                ADD => add_elements(ctx, &a).await,
                REMOVE => remove_elements(ctx, &a).await,
                RESET => start_task(ctx, &a, RESET).await,
                SET_DEFAULT_BOOT_ORDER => start_task(ctx, &a, SET_DEFAULT_BOOT_ORDER).await,
                _ => Err(ctx.not_found()),
            }
        }
        _ => Err(ctx.not_found()),
    }
}

async fn create(ctx: &Ctx<'_>) -> Result<Reply, AggError> {
    let request = object_body(&ctx.ex.body)?;
    let (name, elements) = create_request(&ctx.state.inventory, &request)?;
    let created = custom(ctx.state.store.create_aggregate(name, elements).await?);
    tracing::info!(id = %created.id, user = %ctx.ex.user, "aggregate created");
    let uri = uri_of(&created.id);
    let mut reply = reply::json(ctx.ex, &body(&created), CUSTOM_ALLOW)?;
    reply.status = 201;
    if let Ok(location) = HeaderValue::from_str(&uri) {
        reply.headers.push((http::header::LOCATION, location));
    }
    Ok(reply)
}

async fn delete(ctx: &Ctx<'_>, a: &Aggregate) -> Result<Reply, AggError> {
    reply::check_if_match(ctx.ex, &body(a))?;
    if !ctx.state.store.delete_aggregate(&a.id).await? {
        return Err(ctx.not_found());
    }
    tracing::info!(id = %a.id, user = %ctx.ex.user, "aggregate deleted");
    Ok(reply::no_content())
}

async fn add_elements(ctx: &Ctx<'_>, a: &Aggregate) -> Result<Reply, AggError> {
    let params = ActionBody::parse(&ctx.ex.body, ADD, &["Elements"])?;
    let uris = checked(
        &ctx.state.inventory,
        params.required_links("Elements")?,
        |uri| Message::action_parameter_value_not_in_list(uri, "Elements", ADD),
    )?;
    match ctx.state.store.add_aggregate_elements(&a.id, uris).await? {
        Some(_) => Ok(reply::no_content()),
        // Deleted since it was read.
        None => Err(ctx.not_found()),
    }
}

async fn remove_elements(ctx: &Ctx<'_>, a: &Aggregate) -> Result<Reply, AggError> {
    let params = ActionBody::parse(&ctx.ex.body, REMOVE, &["Elements"])?;
    // Only the aggregate's own list matters: an element whose server has left the rack can
    // still be removed. A URI named twice is removed once.
    let uris = params.required_links("Elements")?;
    match ctx
        .state
        .store
        .remove_aggregate_elements(&a.id, uris)
        .await?
    {
        Removal::Done(_) => Ok(reply::no_content()),
        Removal::NoAggregate => Err(ctx.not_found()),
        Removal::NotAnElement(uri) => Err(AggError::BadRequest {
            message: Message::action_parameter_value_not_in_list(&uri, "Elements", REMOVE),
        }),
    }
}

/// The element systems (other elements have no ComputerSystem action to receive).
fn systems(a: &Aggregate) -> Vec<String> {
    a.elements
        .iter()
        .filter(|uri| {
            matches!(classify(uri), Target::Member { collection: "Systems", rest, .. } if rest.is_empty())
        })
        .cloned()
        .collect()
}

/// Reset or SetDefaultBootOrder: 202 with the task that fans the action out to the systems.
async fn start_task(ctx: &Ctx<'_>, a: &Aggregate, action: &str) -> Result<Reply, AggError> {
    let (action, pace) = if action == RESET {
        let params = ActionBody::parse(
            &ctx.ex.body,
            RESET,
            &["ResetType", "BatchSize", "DelayBetweenBatchesInSeconds"],
        )?;
        params.one_of("ResetType", reset::RESET_TYPES)?;
        let reset_type = params.required_string("ResetType")?;
        (SystemAction::Reset(reset_type), pace(&params)?)
    } else {
        ActionBody::parse(&ctx.ex.body, SET_DEFAULT_BOOT_ORDER, &[])?;
        (SystemAction::SetDefaultBootOrder, Pace::default())
    };
    let job = Job {
        name: format!("Aggregate {} {}", a.id, action.what()),
        origin: uri_of(&a.id),
        user: ctx.ex.user.clone(),
        what: action.what().to_owned(),
        pace,
        elements: reset::on_systems(&ctx.state.inventory, &action, systems(a)),
    };
    super::tasks::start(ctx.state, job).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_systems_receive_system_actions() {
        let a = Aggregate {
            id: "1".into(),
            name: "a".into(),
            elements: vec![
                "/redfish/v1/Systems/s1-1".into(),
                "/redfish/v1/Chassis/s1-1".into(),
                "/redfish/v1/Systems/s2-1".into(),
            ],
            built_in: false,
        };
        assert_eq!(
            systems(&a),
            ["/redfish/v1/Systems/s1-1", "/redfish/v1/Systems/s2-1"]
        );
        let b = body(&a);
        assert_eq!(b["ElementsCount"], 3);
        assert!(b["Actions"]["#Aggregate.AddElements"]["target"].is_string());
        let built_in = body(&Aggregate {
            built_in: true,
            ..a
        });
        assert!(built_in["Actions"].get("#Aggregate.AddElements").is_none());
        assert!(built_in["Actions"]["#Aggregate.Reset"]["@Redfish.ActionInfo"].is_string());
    }
}
