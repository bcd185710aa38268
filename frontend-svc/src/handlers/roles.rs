//! `/redfish/v1/AccountService/Roles` and its members: the predefined roles (read-only) and
//! custom roles (POST with any subset of the standard privileges plus OEM privileges; PATCH of
//! their privileges; DELETE while no account has them).

use crate::AppState;
use crate::auth::Principal;
use crate::body::{self, Field, Kind, Mode, OnCreate, Schema};
use crate::error::FrontendError;
use crate::privileges::Privilege;
use crate::request::Request;
use crate::resource::{check_if_match, collection, created, resource};
use crate::response::Response;
use crate::roles::Role;
use http::StatusCode;
use redfish::messages::Message;
use serde_json::{Map, Value, json};

pub const URI: &str = "/redfish/v1/AccountService/Roles";
const ODATA_TYPE: &str = "#Role.v1_2_0.Role";
const COLLECTION_TYPE: &str = "#RoleCollection.RoleCollection";
const ID_MAX: usize = 64;

const SCHEMA: Schema = Schema {
    fields: &[
        Field::new("RoleId", Kind::String, OnCreate::Required, false),
        Field::new(
            "AssignedPrivileges",
            Kind::StringArray,
            OnCreate::Optional,
            true,
        ),
        Field::new("OemPrivileges", Kind::StringArray, OnCreate::Optional, true),
    ],
    read_only: &["Id", "Name", "Description", "IsPredefined", "Actions"],
};

pub fn representation(r: &Role) -> Value {
    json!({
        "@odata.id": r.uri(),
        "@odata.type": ODATA_TYPE,
        "Id": r.id,
        "Name": format!("{} Role", r.id),
        "Description": if r.predefined { "Predefined role" } else { "Custom role" },
        "RoleId": r.id,
        "IsPredefined": r.predefined,
        "AssignedPrivileges": r.assigned.iter().map(|p| p.name()).collect::<Vec<_>>(),
        "OemPrivileges": r.oem,
    })
}

pub fn list(state: &AppState) -> Response {
    let members: Vec<String> = state.roles.list().iter().map(Role::uri).collect();
    resource(
        StatusCode::OK,
        collection(URI, COLLECTION_TYPE, "Roles Collection", &members),
    )
}

fn find(state: &AppState, id: &str) -> Result<Role, FrontendError> {
    state.roles.get(id).ok_or_else(|| FrontendError::NotFound {
        path: format!("{URI}/{id}"),
    })
}

pub fn get(state: &AppState, id: &str) -> Result<Response, FrontendError> {
    Ok(resource(StatusCode::OK, representation(&find(state, id)?)))
}

/// The Allow header for a role member: predefined roles cannot be changed.
pub fn allow(state: &AppState, id: &str) -> &'static str {
    match state.roles.get(id) {
        Some(r) if r.predefined => "GET, HEAD",
        _ => "GET, HEAD, PATCH, DELETE",
    }
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= ID_MAX
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The privilege lists of a body, or every unacceptable value.
fn privileges_of(
    body: &Map<String, Value>,
    current: Option<&Role>,
) -> Result<(Vec<Privilege>, Vec<String>), FrontendError> {
    let mut problems = Vec::new();
    let assigned = match body::strings(body, "AssignedPrivileges") {
        Some(names) => {
            let mut out = Vec::new();
            for n in &names {
                match Privilege::parse(n) {
                    Some(p) if !out.contains(&p) => out.push(p),
                    Some(_) => {}
                    None => problems.push(body::problem(
                        Message::property_value_not_in_list(n, "AssignedPrivileges"),
                        "AssignedPrivileges",
                    )),
                }
            }
            out
        }
        None => current.map(|r| r.assigned.clone()).unwrap_or_default(),
    };
    let oem = match body::strings(body, "OemPrivileges") {
        Some(names) => {
            let mut out: Vec<String> = Vec::new();
            for n in names {
                if !valid_name(&n) {
                    problems.push(body::problem(
                        Message::property_value_format_error(&n, "OemPrivileges"),
                        "OemPrivileges",
                    ));
                } else if !out.contains(&n) {
                    out.push(n);
                }
            }
            out
        }
        None => current.map(|r| r.oem.clone()).unwrap_or_default(),
    };
    if problems.is_empty() {
        Ok((assigned, oem))
    } else {
        Err(FrontendError::Invalid(problems))
    }
}

pub async fn create(
    state: &AppState,
    request: &Request,
    principal: &Principal,
) -> Result<Response, FrontendError> {
    let body = body::json_object(request)?;
    body::validate(&body, &SCHEMA, Mode::Create)?;
    let id = body::string(&body, "RoleId").unwrap_or_default();
    if !valid_name(id) {
        return Err(FrontendError::Invalid(vec![body::problem(
            Message::property_value_format_error(id, "RoleId"),
            "RoleId",
        )]));
    }
    let (assigned, oem) = privileges_of(&body, None)?;
    let role = Role {
        id: id.to_owned(),
        assigned,
        oem,
        predefined: false,
    };
    let _writes = state.writes.lock().await;
    if state.roles.get(id).is_some() {
        return Err(FrontendError::Conflict {
            message: Message::resource_already_exists("Role", "RoleId", id),
        });
    }
    state.store.insert_role(role.to_row()).await?;
    state.roles.put(role.clone());
    tracing::info!(by = %principal.username, role = %role.id, "role created");
    Ok(created(&role.uri(), representation(&role)))
}

pub async fn patch(
    state: &AppState,
    request: &Request,
    principal: &Principal,
    id: &str,
) -> Result<Response, FrontendError> {
    let body = body::json_object(request)?;
    body::validate(&body, &SCHEMA, Mode::Patch)?;
    let _writes = state.writes.lock().await;
    let current = find(state, id)?;
    check_if_match(request, &representation(&current))?;
    let (assigned, oem) = privileges_of(&body, Some(&current))?;
    let role = Role {
        assigned,
        oem,
        ..current
    };
    state.store.update_role(role.to_row()).await?;
    state.roles.put(role.clone());
    state.auth.invalidate();
    tracing::info!(by = %principal.username, role = %role.id, "role changed");
    Ok(resource(StatusCode::OK, representation(&role)))
}

pub async fn delete(
    state: &AppState,
    request: &Request,
    principal: &Principal,
    id: &str,
) -> Result<Response, FrontendError> {
    let _writes = state.writes.lock().await;
    let current = find(state, id)?;
    check_if_match(request, &representation(&current))?;
    state.store.delete_role(id).await?;
    state.roles.remove(id);
    state.auth.invalidate();
    tracing::info!(by = %principal.username, role = %id, "role deleted");
    Ok(Response::new(StatusCode::NO_CONTENT, bytes::Bytes::new()))
}
