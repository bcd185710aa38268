//! POST to an action target: find the action on its resource, then run it.

use std::sync::Arc;

use http::StatusCode;
use serde_json::{Map, Value, json};

use super::base_messages::BaseMessage;
use super::error::{ApiError, message_entry};
use super::events::{self, EventSpec};
use super::patch::json_object;
use super::reply::Reply;
use super::router::{HResult, Req};
use super::{power, tasks};
use crate::Profile;
use crate::bmc::{Bmc, BmcState};
use crate::tree::{MANAGER_RESET_TYPES, manager_action};

/// Splits `/x/y/Actions/Name` into (`/x/y`, `Name`).
pub(crate) fn split(path: &str) -> Option<(&str, &str)> {
    let i = path.find("/Actions/")?;
    Some((&path[..i], &path[i + "/Actions/".len()..]))
}

/// Finds the action key (e.g. `#ComputerSystem.Reset`) whose target is this (canonical) path.
fn find_action(resource: &Value, path: &str) -> Option<String> {
    let actions = resource.get("Actions")?.as_object()?;
    let oem = actions
        .get("Oem")
        .and_then(Value::as_object)
        .into_iter()
        .flatten();
    actions
        .iter()
        .chain(oem)
        .find(|(k, v)| {
            k.starts_with('#')
                && v.get("target")
                    .and_then(Value::as_str)
                    .is_some_and(|t| crate::uri::key(t) == path)
        })
        .map(|(k, _)| k.clone())
}

/// The request's parameters, rejecting unknown ones.
pub(crate) fn params(
    req: &Req,
    action: &str,
    known: &[&str],
) -> Result<Map<String, Value>, Vec<ApiError>> {
    let p = if req.body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        json_object(req)?
    };
    let unknown: Vec<ApiError> = p
        .keys()
        .filter(|k| !known.contains(&k.as_str()) && !k.contains('@'))
        .map(|k| ApiError::ActionParameterUnknown {
            action: action.to_string(),
            param: k.clone(),
        })
        .collect();
    if unknown.is_empty() {
        Ok(p)
    } else {
        Err(unknown)
    }
}

/// A required string parameter.
pub(crate) fn required_str(
    p: &Map<String, Value>,
    action: &str,
    name: &str,
) -> Result<String, Vec<ApiError>> {
    match p.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(vec![ApiError::PropertyValueType {
            value: other.to_string(),
            prop: name.to_string(),
        }]),
        None => Err(vec![ApiError::ActionParameterMissing {
            action: action.to_string(),
            param: name.to_string(),
        }]),
    }
}

/// A string parameter that must be one of `allowed`.
pub(crate) fn one_of(
    p: &Map<String, Value>,
    action: &str,
    name: &str,
    allowed: &[&str],
) -> Result<String, Vec<ApiError>> {
    let v = required_str(p, action, name)?;
    if allowed.contains(&v.as_str()) {
        Ok(v)
    } else {
        Err(vec![ApiError::ActionParameterNotInList {
            value: v,
            param: name.to_string(),
            action: action.to_string(),
        }])
    }
}

/// What a successful synchronous action answers, by vendor (204, or 200 with a message).
pub(crate) fn done(profile: Profile) -> Reply {
    match profile {
        Profile::Dmtf | Profile::Idrac | Profile::OpenBmc => Reply::empty(StatusCode::NO_CONTENT),
        Profile::Ilo | Profile::Supermicro => Reply::json(
            StatusCode::OK,
            &json!({ "@Message.ExtendedInfo": [message_entry(BaseMessage::Success, &[])] }),
        ),
    }
}

/// Runs the action at `req.path` (already authenticated).
pub(crate) fn post(bmc: &Arc<Bmc>, st: &mut BmcState, req: &Req, parent: &str) -> HResult {
    let not_found = || {
        vec![ApiError::NotFound {
            path: req.path.clone(),
        }]
    };
    let resource = st.store.get(parent).ok_or_else(not_found)?;
    let key = find_action(&resource.body, &req.path).ok_or_else(not_found)?;
    if req.method != http::Method::POST {
        return Err(vec![ApiError::MethodNotAllowed {
            allow: "POST".into(),
        }]);
    }
    let name = key.trim_start_matches('#');
    let profile = st.store.layout().profile;
    match name {
        "ComputerSystem.Reset" => power::system_reset(bmc, st, req, parent),
        "ComputerSystem.SetDefaultBootOrder" => power::set_default_boot_order(bmc, st, req, parent),
        "Manager.Reset" => {
            let p = params(req, name, &["ResetType"])?;
            let kind = one_of(&p, name, "ResetType", &MANAGER_RESET_TYPES)?;
            tracing::info!(bmc = %bmc.id, %kind, "manager reset");
            let spec = EventSpec::ok(
                "ResourceEvent.1.4.ResourceChanged",
                "One or more resource properties have changed.",
                &[],
                parent,
            );
            events::emit(bmc, st, spec);
            Ok(done(profile))
        }
        "VirtualMedia.InsertMedia" => power::insert_media(st, req, parent),
        "VirtualMedia.EjectMedia" => power::eject_media(st, req, parent),
        "LogService.ClearLog" => {
            params(req, name, &[])?;
            st.store.clear_collection(&format!("{parent}/Entries"));
            Ok(done(profile))
        }
        "Bios.ResetBios" => {
            params(req, name, &[])?;
            let defaults = crate::tree::system::bios_attributes();
            st.store.modify(&format!("{parent}/Settings"), |s| {
                s["Attributes"] = defaults
            });
            Ok(done(profile))
        }
        "UpdateService.SimpleUpdate" => {
            let p = params(
                req,
                name,
                &[
                    "ImageURI",
                    "TransferProtocol",
                    "Targets",
                    "Username",
                    "Password",
                ],
            )?;
            required_str(&p, name, "ImageURI")?;
            Ok(tasks::start(bmc, st, req, "Firmware update"))
        }
        "EventService.SubmitTestEvent" => power::submit_test_event(bmc, st, req),
        other => match manager_action(profile) {
            Some((oem_name, types)) if oem_name == other => {
                let p = params(req, other, &["ResetType"])?;
                if p.contains_key("ResetType") {
                    one_of(&p, other, "ResetType", types)?;
                }
                Ok(done(profile))
            }
            _ => Err(not_found()),
        },
    }
}
