//! `/redfish/v1/AccountService/Accounts` and its ManagerAccount members: create, read, change,
//! delete. Everything is validated before anything is written; each write is one transaction.
//! After a change the authentication caches are dropped and, when the account was disabled or
//! someone else set its password, its sessions end.

use crate::AppState;
use crate::auth::Principal;
use crate::body::{self, Field, Kind, Mode, OnCreate, REDACTED, Schema};
use crate::error::FrontendError;
use crate::passwords;
use crate::privileges::Privilege;
use crate::request::Request;
use crate::resource::{check_if_match, collection, created, resource};
use crate::response::Response;
use crate::roles::role_uri;
use crate::store::{AccountChange, AccountRow, EndSessions, NewAccount};
use http::StatusCode;
use redfish::messages::Message;
use serde_json::{Map, Value, json};

pub const URI: &str = "/redfish/v1/AccountService/Accounts";
const ODATA_TYPE: &str = "#ManagerAccount.v1_4_0.ManagerAccount";
const COLLECTION_TYPE: &str = "#ManagerAccountCollection.ManagerAccountCollection";
const USERNAME_MAX: usize = 64;

const SCHEMA: Schema = Schema {
    fields: &[
        Field::new("UserName", Kind::String, OnCreate::Required, true),
        Field::new("Password", Kind::String, OnCreate::Required, true).secret(),
        Field::new("RoleId", Kind::String, OnCreate::Required, true),
        Field::new("Enabled", Kind::Bool, OnCreate::Optional, true),
        Field::new("Locked", Kind::Bool, OnCreate::Optional, true),
        Field::new(
            "PasswordChangeRequired",
            Kind::Bool,
            OnCreate::Optional,
            true,
        ),
        Field::new("AccountTypes", Kind::StringArray, OnCreate::Optional, true),
    ],
    read_only: &["Id", "Name", "Description", "Links", "Actions"],
};

pub fn representation(a: &AccountRow, now_ms: i64) -> Value {
    json!({
        "@odata.id": a.uri(),
        "@odata.type": ODATA_TYPE,
        "Id": a.id.to_string(),
        "Name": "User Account",
        "Description": "User Account",
        "UserName": a.username,
        "Password": null,
        "RoleId": a.role_id,
        "Enabled": a.enabled,
        "Locked": a.locked_at(now_ms),
        "PasswordChangeRequired": a.password_change_required,
        "AccountTypes": ["Redfish"],
        "Links": {"Role": {"@odata.id": role_uri(&a.role_id)}},
    })
}

/// Members the caller may see: all with ConfigureUsers or ConfigureManager, else its own.
pub async fn list(state: &AppState, principal: &Principal) -> Result<Response, FrontendError> {
    let all = principal.privileges.has(Privilege::ConfigureUsers)
        || principal.privileges.has(Privilege::ConfigureManager);
    let members: Vec<String> = state
        .store
        .accounts()
        .await?
        .into_iter()
        .filter(|a| all || a.id == principal.account_id)
        .map(|a| a.uri())
        .collect();
    Ok(resource(
        StatusCode::OK,
        collection(URI, COLLECTION_TYPE, "Accounts Collection", &members),
    ))
}

/// The account id in a member path; anything else is not an account.
pub fn parse_id(id: &str) -> Option<i64> {
    // Canonical form only: "01" or "+1" is not account 1.
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0 && n.to_string() == id)
}

async fn load(state: &AppState, id: &str) -> Result<AccountRow, FrontendError> {
    let not_found = || FrontendError::NotFound {
        path: format!("{URI}/{id}"),
    };
    let n = parse_id(id).ok_or_else(not_found)?;
    state.store.account_by_id(n).await?.ok_or_else(not_found)
}

pub async fn get(state: &AppState, id: &str) -> Result<Response, FrontendError> {
    let a = load(state, id).await?;
    Ok(resource(
        StatusCode::OK,
        representation(&a, state.clock.now_ms()),
    ))
}

fn check_username(name: &str, problems: &mut Vec<(Message, String)>) {
    let ok = !name.is_empty()
        && name.chars().count() <= USERNAME_MAX
        && !name.contains(':')
        && !name.chars().any(char::is_control)
        && name.trim() == name;
    if !ok {
        problems.push(body::problem(
            Message::property_value_format_error(name, "UserName"),
            "UserName",
        ));
    }
}

/// Password length per the policy; the value is never echoed.
fn check_password(state: &AppState, password: &str, problems: &mut Vec<(Message, String)>) {
    let policy = state.policies.account();
    let len = password.chars().count() as u64;
    if len < policy.min_password_length || len > policy.max_password_length {
        problems.push(body::problem(
            Message::property_value_format_error(REDACTED, "Password"),
            "Password",
        ));
    }
}

/// The role must exist, and the caller must hold every standard privilege it grants
/// (ConfigureUsers alone cannot mint an Administrator). OEM privileges are labels the registry
/// never requires, so they are not compared.
fn check_role(
    state: &AppState,
    principal: &Principal,
    role_id: &str,
    problems: &mut Vec<(Message, String)>,
) -> Result<(), FrontendError> {
    match state.roles.get(role_id) {
        None => problems.push(body::problem(
            Message::property_value_not_in_list(role_id, "RoleId"),
            "RoleId",
        )),
        Some(role) if !principal.privileges.contains_standard(&role.privileges()) => {
            return Err(FrontendError::Forbidden);
        }
        Some(_) => {}
    }
    Ok(())
}

fn check_flags(body: &Map<String, Value>, problems: &mut Vec<(Message, String)>) {
    if body::boolean(body, "Locked") == Some(true) {
        problems.push(body::problem(
            Message::property_value_incorrect("Locked", "true"),
            "Locked",
        ));
    }
    if let Some(types) = body::strings(body, "AccountTypes") {
        if types.is_empty() {
            problems.push(body::problem(
                Message::property_value_incorrect("AccountTypes", "[]"),
                "AccountTypes",
            ));
        }
        for t in types.iter().filter(|t| *t != "Redfish") {
            problems.push(body::problem(
                Message::property_value_not_in_list(t, "AccountTypes"),
                "AccountTypes",
            ));
        }
    }
}

fn invalid_if_any(problems: Vec<(Message, String)>) -> Result<(), FrontendError> {
    if problems.is_empty() {
        Ok(())
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
    let (username, password, role_id) = (
        body::string(&body, "UserName").unwrap_or_default(),
        body::string(&body, "Password").unwrap_or_default(),
        body::string(&body, "RoleId").unwrap_or_default(),
    );
    let mut problems = Vec::new();
    check_username(username, &mut problems);
    check_password(state, password, &mut problems);
    check_role(state, principal, role_id, &mut problems)?;
    check_flags(&body, &mut problems);
    invalid_if_any(problems)?;
    let password_hash = passwords::hash_async(password.to_owned())
        .await
        .map_err(FrontendError::Internal)?;
    let _writes = state.writes.lock().await;
    let id = state
        .store
        .insert_account(NewAccount {
            username: username.to_owned(),
            password_hash,
            role_id: role_id.to_owned(),
            enabled: body::boolean(&body, "Enabled").unwrap_or(true),
            password_change_required: body::boolean(&body, "PasswordChangeRequired")
                .unwrap_or(false),
        })
        .await?;
    let account = state
        .store
        .account_by_id(id)
        .await?
        .ok_or_else(|| FrontendError::Internal("created account vanished".into()))?;
    tracing::info!(by = %principal.username, user = %account.username, role = %account.role_id, "account created");
    Ok(created(
        &account.uri(),
        representation(&account, state.clock.now_ms()),
    ))
}

pub async fn patch(
    state: &AppState,
    request: &Request,
    principal: &Principal,
    id: &str,
) -> Result<Response, FrontendError> {
    let body = body::json_object(request)?;
    body::validate(&body, &SCHEMA, Mode::Patch)?;
    let mut problems = Vec::new();
    if let Some(u) = body::string(&body, "UserName") {
        check_username(u, &mut problems);
    }
    if let Some(p) = body::string(&body, "Password") {
        check_password(state, p, &mut problems);
    }
    if let Some(r) = body::string(&body, "RoleId") {
        check_role(state, principal, r, &mut problems)?;
    }
    check_flags(&body, &mut problems);
    invalid_if_any(problems)?;
    let password_hash = match body::string(&body, "Password") {
        Some(p) => Some(
            passwords::hash_async(p.to_owned())
                .await
                .map_err(FrontendError::Internal)?,
        ),
        None => None,
    };

    let _writes = state.writes.lock().await;
    let before = load(state, id).await?;
    let now = state.clock.now_ms();
    check_if_match(request, &representation(&before, now))?;
    let by_self = before.id == principal.account_id;
    let new_password = password_hash.is_some();
    let enabled = body::boolean(&body, "Enabled");
    // Disabled, or a password someone else set: every session ends. The user's own new
    // password: its other sessions end, the one it used (if any) stays.
    let end_sessions = if !enabled.unwrap_or(before.enabled) || (new_password && !by_self) {
        EndSessions::All
    } else if new_password {
        principal
            .session_id
            .clone()
            .map_or(EndSessions::All, EndSessions::AllExcept)
    } else {
        EndSessions::None
    };
    let keep = match &end_sessions {
        EndSessions::AllExcept(id) => Some(id.clone()),
        _ => None,
    };
    let ends = end_sessions != EndSessions::None;
    let change = AccountChange {
        username: body::string(&body, "UserName").map(str::to_owned),
        password_hash,
        role_id: body::string(&body, "RoleId").map(str::to_owned),
        enabled,
        unlock: body::boolean(&body, "Locked") == Some(false),
        // Setting one's own password satisfies PasswordChangeRequired.
        password_change_required: body::boolean(&body, "PasswordChangeRequired")
            .or((new_password && by_self).then_some(false)),
        end_sessions,
    };
    let unlock = change.unlock;
    let after = state.store.update_account(before.id, change).await?;
    state.auth.invalidate();
    if unlock {
        state.auth.forgive(after.id);
    }
    let ended = if ends {
        state.sessions.forget_account(after.id, keep.as_deref())
    } else {
        0
    };
    tracing::info!(
        by = %principal.username,
        user = %after.username,
        properties = ?body.keys().collect::<Vec<_>>(),
        sessions_ended = ended,
        "account changed"
    );
    Ok(resource(StatusCode::OK, representation(&after, now)))
}

pub async fn delete(
    state: &AppState,
    request: &Request,
    principal: &Principal,
    id: &str,
) -> Result<Response, FrontendError> {
    let _writes = state.writes.lock().await;
    let before = load(state, id).await?;
    check_if_match(request, &representation(&before, state.clock.now_ms()))?;
    // The account's sessions go with it in the same transaction (foreign key cascade).
    let gone = state.store.delete_account(before.id).await?;
    state.auth.invalidate();
    state.auth.forgive(gone.id);
    state.sessions.forget_account(gone.id, None);
    tracing::info!(by = %principal.username, user = %gone.username, "account deleted");
    Ok(Response::new(StatusCode::NO_CONTENT, bytes::Bytes::new()))
}

/// For the privilege check: the account a member path names is the caller's own.
pub fn is_own(id: &str, principal: &Principal) -> bool {
    parse_id(id) == Some(principal.account_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_ids_name_accounts() {
        assert_eq!(parse_id("7"), Some(7));
        for bad in ["0", "-1", "07", "+7", "7 ", "x", ""] {
            assert_eq!(parse_id(bad), None, "{bad:?}");
        }
    }
}
