//! `/redfish/v1/AccountService`: the password and lockout policy (PATCH by ConfigureUsers).

use crate::AppState;
use crate::body::{self, Field, Kind, Mode, OnCreate, Schema};
use crate::error::FrontendError;
use crate::policy::{AccountPolicy, PASSWORD_LENGTH_LIMIT};
use crate::request::Request;
use crate::resource::{check_if_match, resource};
use crate::response::Response;
use http::StatusCode;
use redfish::messages::Message;
use serde_json::{Map, Value, json};

pub const URI: &str = "/redfish/v1/AccountService";
const ODATA_TYPE: &str = "#AccountService.v1_8_0.AccountService";
/// Longest lockout or reset window accepted (a year), seconds.
const WINDOW_LIMIT: u64 = 365 * 86_400;

const fn int(name: &'static str) -> Field {
    Field::new(name, Kind::Integer, OnCreate::Refused, true)
}

const SCHEMA: Schema = Schema {
    fields: &[
        int("MinPasswordLength"),
        int("MaxPasswordLength"),
        int("AccountLockoutThreshold"),
        int("AccountLockoutDuration"),
        int("AccountLockoutCounterResetAfter"),
        Field::new(
            "AccountLockoutCounterResetEnabled",
            Kind::Bool,
            OnCreate::Refused,
            true,
        ),
        int("AuthFailureLoggingThreshold"),
    ],
    read_only: &[
        "Id",
        "Name",
        "Description",
        "Status",
        "ServiceEnabled",
        "LocalAccountAuth",
        "Accounts",
        "Roles",
    ],
};

pub fn representation(p: &AccountPolicy) -> Value {
    json!({
        "@odata.id": URI,
        "@odata.type": ODATA_TYPE,
        "Id": "AccountService",
        "Name": "Account Service",
        "Description": "Local accounts and roles of the rack aggregator",
        "Status": {"State": "Enabled", "Health": "OK"},
        "ServiceEnabled": true,
        "LocalAccountAuth": "Enabled",
        "SupportedAccountTypes": ["Redfish"],
        "MinPasswordLength": p.min_password_length,
        "MaxPasswordLength": p.max_password_length,
        "AccountLockoutThreshold": p.lockout_threshold,
        "AccountLockoutDuration": p.lockout_duration_s,
        "AccountLockoutCounterResetAfter": p.counter_reset_after_s,
        "AccountLockoutCounterResetEnabled": p.counter_reset_enabled,
        "AuthFailureLoggingThreshold": p.auth_failure_logging_threshold,
        "Accounts": {"@odata.id": format!("{URI}/Accounts")},
        "Roles": {"@odata.id": format!("{URI}/Roles")},
    })
}

pub fn get(state: &AppState) -> Response {
    resource(StatusCode::OK, representation(&state.policies.account()))
}

pub async fn patch(state: &AppState, request: &Request) -> Result<Response, FrontendError> {
    let body = body::json_object(request)?;
    body::validate(&body, &SCHEMA, Mode::Patch)?;
    let _writes = state.writes.lock().await;
    let current = state.policies.account();
    check_if_match(request, &representation(&current))?;
    let next = apply(&current, &body)?;
    state.policies.set_account(next.clone()).await?;
    Ok(resource(StatusCode::OK, representation(&next)))
}

/// The policy after the PATCH, or every range and consistency problem.
fn apply(
    current: &AccountPolicy,
    body: &Map<String, Value>,
) -> Result<AccountPolicy, FrontendError> {
    let mut next = current.clone();
    let mut problems = Vec::new();
    let mut set = |name: &str, max: u64, min: u64, target: &mut u64| {
        if let Some(v) = body.get(name) {
            match v.as_u64().filter(|n| (min..=max).contains(n)) {
                Some(n) => *target = n,
                None => problems.push(body::problem(
                    Message::property_value_out_of_range(&body::shown(v), name),
                    name,
                )),
            }
        }
    };
    set(
        "MinPasswordLength",
        PASSWORD_LENGTH_LIMIT,
        1,
        &mut next.min_password_length,
    );
    set(
        "MaxPasswordLength",
        PASSWORD_LENGTH_LIMIT,
        1,
        &mut next.max_password_length,
    );
    set(
        "AccountLockoutThreshold",
        u64::from(u32::MAX),
        0,
        &mut next.lockout_threshold,
    );
    set(
        "AccountLockoutDuration",
        WINDOW_LIMIT,
        0,
        &mut next.lockout_duration_s,
    );
    set(
        "AccountLockoutCounterResetAfter",
        WINDOW_LIMIT,
        0,
        &mut next.counter_reset_after_s,
    );
    set(
        "AuthFailureLoggingThreshold",
        u64::from(u32::MAX),
        0,
        &mut next.auth_failure_logging_threshold,
    );
    if let Some(b) = body::boolean(body, "AccountLockoutCounterResetEnabled") {
        next.counter_reset_enabled = b;
    }
    if problems.is_empty() && next.min_password_length > next.max_password_length {
        let name = if body.contains_key("MinPasswordLength") {
            ("MinPasswordLength", "MaxPasswordLength")
        } else {
            ("MaxPasswordLength", "MinPasswordLength")
        };
        problems.push(body::problem(
            Message::property_value_conflict(name.0, name.1),
            name.0,
        ));
    }
    // AccountService schema: the lockout lasts at least as long as the counting window.
    if problems.is_empty()
        && next.lockout_duration_s != 0
        && next.lockout_duration_s < next.counter_reset_after_s
    {
        let name = if body.contains_key("AccountLockoutDuration") {
            ("AccountLockoutDuration", "AccountLockoutCounterResetAfter")
        } else {
            ("AccountLockoutCounterResetAfter", "AccountLockoutDuration")
        };
        problems.push(body::problem(
            Message::property_value_conflict(name.0, name.1),
            name.0,
        ));
    }
    if problems.is_empty() {
        Ok(next)
    } else {
        Err(FrontendError::Invalid(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(r: Result<AccountPolicy, FrontendError>) -> Vec<String> {
        match r {
            Err(FrontendError::Invalid(p)) => p
                .into_iter()
                .map(|(m, r)| format!("{} {r}", m.key()))
                .collect(),
            other => panic!("unexpected {other:?}"),
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn ranges_and_consistency() {
        let p = AccountPolicy::default();
        let next = apply(
            &p,
            &obj(json!({"MinPasswordLength": 12, "AccountLockoutThreshold": 0})),
        )
        .expect("valid");
        assert_eq!((next.min_password_length, next.lockout_threshold), (12, 0));
        assert_eq!(
            keys(apply(
                &p,
                &obj(json!({"MinPasswordLength": 0, "AccountLockoutDuration": -1}))
            )),
            [
                "PropertyValueOutOfRange #/MinPasswordLength",
                "PropertyValueOutOfRange #/AccountLockoutDuration"
            ]
        );
        assert_eq!(
            keys(apply(&p, &obj(json!({"MaxPasswordLength": 4})))),
            ["PropertyValueConflict #/MaxPasswordLength"]
        );
        assert_eq!(
            keys(apply(&p, &obj(json!({"AccountLockoutDuration": 10})))),
            ["PropertyValueConflict #/AccountLockoutDuration"]
        );
        apply(&p, &obj(json!({"AccountLockoutDuration": 0}))).expect("0 disables lockout");
    }
}
