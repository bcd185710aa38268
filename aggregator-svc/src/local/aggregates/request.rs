//! What a client asks of the Aggregates, checked completely before anything is stored or sent:
//! the elements of a create body or a membership action, and Reset's pacing.

use super::RESET;
use crate::error::AggError;
use crate::inventory::Inventory;
use crate::local::action::{ActionBody, link_uri};
use crate::rack::reset::{DEFAULT_BATCH, Pace};
use redfish::messages::Message;
use redfish::path::{Target, classify};
use serde_json::{Map, Value};
use std::time::Duration;

/// Properties a create body may not set (the service owns them), told apart from unknown ones.
const NOT_WRITABLE: &[&str] = &["Id", "Description", "ElementsCount", "Actions", "Oem"];
/// Longest wait between Reset batches: beyond an hour is a typo, not a maintenance plan.
pub const MAX_DELAY_SECS: i64 = 3600;

/// Whether `uri` is a member the aggregate lists right now: a BMC's member (not the aggregate's
/// own resources, nor something below a member) of a BMC still configured.
fn is_listed(inventory: &Inventory, uri: &str) -> bool {
    match classify(uri) {
        Target::Member {
            collection,
            bmc,
            rest,
            ..
        } if rest.is_empty() => {
            inventory.bmc(&bmc).is_some()
                && inventory
                    .members_of(&bmc, collection)
                    .iter()
                    .any(|m| m == uri)
        }
        _ => false,
    }
}

/// The URIs once each, in order; the first one not listed is refused with `refuse(uri)`.
pub fn checked(
    inventory: &Inventory,
    uris: Vec<String>,
    refuse: impl Fn(&str) -> Message,
) -> Result<Vec<String>, AggError> {
    let mut out: Vec<String> = Vec::with_capacity(uris.len());
    for uri in uris {
        if !is_listed(inventory, &uri) {
            return Err(AggError::BadRequest {
                message: refuse(&uri),
            });
        }
        if !out.contains(&uri) {
            out.push(uri);
        }
    }
    Ok(out)
}

/// The create body's Name and Elements, every problem named before anything is stored.
pub fn create_request(
    inventory: &Inventory,
    body: &Map<String, Value>,
) -> Result<(Option<String>, Vec<String>), AggError> {
    let bad = |message| AggError::BadRequest { message };
    let type_error = |v: &Value, property: &str| {
        let shown = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        bad(Message::property_value_type_error(&shown, property))
    };
    for key in body.keys().filter(|k| !k.starts_with('@')) {
        match key.as_str() {
            "Name" | "Elements" => {}
            k if NOT_WRITABLE.contains(&k) => return Err(bad(Message::property_not_writable(k))),
            k => return Err(bad(Message::property_unknown(k))),
        }
    }
    let name = match body.get("Name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => return Err(type_error(other, "Name")),
    };
    let uris = match body.get("Elements") {
        None | Some(Value::Null) => {
            return Err(bad(Message::create_failed_missing_req_properties(
                "Elements",
            )));
        }
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| link_uri(v).ok_or_else(|| type_error(v, "Elements")))
            .collect::<Result<Vec<_>, _>>()?,
        Some(other) => return Err(type_error(other, "Elements")),
    };
    let elements = checked(inventory, uris, |uri| {
        Message::property_value_not_in_list(uri, "Elements")
    })?;
    Ok((name, elements))
}

/// Reset's BatchSize and DelayBetweenBatchesInSeconds.
pub fn pace(params: &ActionBody<'_>) -> Result<Pace, AggError> {
    let out_of_range = |name: &str| AggError::BadRequest {
        message: Message::action_parameter_value_out_of_range(&params.text_of(name), name, RESET),
    };
    // The schema's minimum is 0, which would reset nothing: read as "no size given".
    let batch = match params.integer("BatchSize")? {
        None | Some(0) => DEFAULT_BATCH,
        Some(n) => usize::try_from(n).map_err(|_| out_of_range("BatchSize"))?,
    };
    let delay = match params.integer("DelayBetweenBatchesInSeconds")? {
        None => 0,
        Some(n) if (0..=MAX_DELAY_SECS).contains(&n) => n.unsigned_abs(),
        Some(_) => return Err(out_of_range("DelayBetweenBatchesInSeconds")),
    };
    Ok(Pace {
        batch,
        delay: Duration::from_secs(delay),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::patch::object_body;

    fn key(r: Result<impl std::fmt::Debug, AggError>) -> String {
        match r {
            Err(AggError::BadRequest { message }) => message.key().to_owned(),
            other => format!("{other:?}"),
        }
    }

    fn body_of(text: &str) -> Map<String, Value> {
        object_body(text.as_bytes()).expect("object")
    }

    #[test]
    fn a_create_body_names_its_first_problem() {
        let inv = Inventory::new(Vec::new());
        let create = |text: &str| create_request(&inv, &body_of(text));
        assert_eq!(
            create(r#"{"Name":"a","Elements":[]}"#).expect("empty is fine"),
            (Some("a".into()), Vec::new())
        );
        assert_eq!(
            key(create(r#"{"Name":"a"}"#)),
            "CreateFailedMissingReqProperties"
        );
        assert_eq!(key(create(r#"{"Elements":{}}"#)), "PropertyValueTypeError");
        assert_eq!(key(create(r#"{"Elements":[3]}"#)), "PropertyValueTypeError");
        assert_eq!(
            key(create(r#"{"Name":1,"Elements":[]}"#)),
            "PropertyValueTypeError"
        );
        assert_eq!(
            key(create(r#"{"Id":"x","Elements":[]}"#)),
            "PropertyNotWritable"
        );
        assert_eq!(
            key(create(r#"{"Size":1,"Elements":[]}"#)),
            "PropertyUnknown"
        );
        assert_eq!(
            key(create(
                r#"{"Elements":[{"@odata.id":"/redfish/v1/Systems/s1-1"}]}"#
            )),
            "PropertyValueNotInList"
        );
    }

    #[test]
    fn only_members_of_configured_bmcs_are_listed() {
        let inv = Inventory::new(Vec::new());
        for uri in [
            "/redfish/v1/Systems/s1-1",
            "/redfish/v1/Chassis/Rack1",
            "/redfish/v1/Systems",
            "/redfish/v1/Systems/s1-1/Bios",
            "https://example.com/x",
        ] {
            assert!(!is_listed(&inv, uri), "{uri}");
        }
    }

    #[test]
    fn reset_pacing_is_read_with_defaults_and_ranges() {
        let pace_of = |text: &str| {
            let p = ActionBody::parse(
                text.as_bytes(),
                RESET,
                &["ResetType", "BatchSize", "DelayBetweenBatchesInSeconds"],
            )
            .expect("parsed");
            pace(&p)
        };
        assert_eq!(pace_of("{}").expect("default"), Pace::default());
        assert_eq!(
            pace_of(r#"{"BatchSize":0}"#).expect("zero").batch,
            DEFAULT_BATCH
        );
        let p = pace_of(r#"{"BatchSize":2,"DelayBetweenBatchesInSeconds":5}"#).expect("set");
        assert_eq!((p.batch, p.delay), (2, Duration::from_secs(5)));
        assert_eq!(
            key(pace_of(r#"{"BatchSize":-1}"#)),
            "ActionParameterValueOutOfRange"
        );
        assert_eq!(
            key(pace_of(r#"{"DelayBetweenBatchesInSeconds":3601}"#)),
            "ActionParameterValueOutOfRange"
        );
        assert_eq!(
            key(pace_of(r#"{"BatchSize":"2"}"#)),
            "ActionParameterValueTypeError"
        );
    }
}
