//! `/redfish/v1/SessionService`: the idle `SessionTimeout` (PATCH by ConfigureManager, 30..86400 s).

use crate::AppState;
use crate::body::{self, Field, Kind, Mode, OnCreate, Schema};
use crate::error::FrontendError;
use crate::policy::{SESSION_TIMEOUT_MAX, SESSION_TIMEOUT_MIN, SessionPolicy};
use crate::request::Request;
use crate::resource::{check_if_match, resource};
use crate::response::Response;
use http::StatusCode;
use redfish::messages::Message;
use serde_json::{Value, json};

pub const URI: &str = "/redfish/v1/SessionService";
const ODATA_TYPE: &str = "#SessionService.v1_1_0.SessionService";

const SCHEMA: Schema = Schema {
    fields: &[Field::new(
        "SessionTimeout",
        Kind::Integer,
        OnCreate::Refused,
        true,
    )],
    read_only: &[
        "Id",
        "Name",
        "Description",
        "Status",
        "ServiceEnabled",
        "Sessions",
    ],
};

pub fn representation(p: &SessionPolicy) -> Value {
    json!({
        "@odata.id": URI,
        "@odata.type": ODATA_TYPE,
        "Id": "SessionService",
        "Name": "Session Service",
        "Description": "Sessions of the rack aggregator",
        "Status": {"State": "Enabled", "Health": "OK"},
        "ServiceEnabled": true,
        "SessionTimeout": p.timeout_s,
        "Sessions": {"@odata.id": crate::sessions::SESSIONS_URI},
    })
}

pub fn get(state: &AppState) -> Response {
    resource(StatusCode::OK, representation(&state.policies.session()))
}

pub async fn patch(state: &AppState, request: &Request) -> Result<Response, FrontendError> {
    let body = body::json_object(request)?;
    body::validate(&body, &SCHEMA, Mode::Patch)?;
    let mut next = state.policies.session();
    if let Some(v) = body.get("SessionTimeout") {
        match v
            .as_u64()
            .filter(|n| (SESSION_TIMEOUT_MIN..=SESSION_TIMEOUT_MAX).contains(n))
        {
            Some(n) => next.timeout_s = n,
            None => {
                return Err(FrontendError::Invalid(vec![body::problem(
                    Message::property_value_out_of_range(&body::shown(v), "SessionTimeout"),
                    "SessionTimeout",
                )]));
            }
        }
    }
    let _writes = state.writes.lock().await;
    check_if_match(request, &representation(&state.policies.session()))?;
    state.policies.set_session(next.clone()).await?;
    Ok(resource(StatusCode::OK, representation(&next)))
}
