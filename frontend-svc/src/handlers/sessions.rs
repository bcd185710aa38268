//! `/redfish/v1/SessionService/Sessions`: login (POST, no authentication needed), listing (own
//! sessions unless ConfigureManager), reading, and logout (DELETE).

use crate::AppState;
use crate::auth::{Principal, session_timeout_ms};
use crate::body::{self, Field, Kind, Mode, OnCreate, Schema};
use crate::clock::rfc3339;
use crate::error::FrontendError;
use crate::privileges::Privilege;
use crate::request::Request;
use crate::resource::{collection, created, resource};
use crate::response::Response;
use crate::sessions::{SESSIONS_URI, SessionInfo, session_uri};
use http::{HeaderValue, StatusCode};
use redfish::messages::Message;
use serde_json::{Value, json};

const ODATA_TYPE: &str = "#Session.v1_5_0.Session";
const COLLECTION_TYPE: &str = "#SessionCollection.SessionCollection";
const CONTEXT_MAX: usize = 256;

const SCHEMA: Schema = Schema {
    fields: &[
        Field::new("UserName", Kind::String, OnCreate::Required, false),
        Field::new("Password", Kind::String, OnCreate::Required, false).secret(),
        Field::new("Context", Kind::String, OnCreate::Optional, false),
    ],
    read_only: &[
        "Id",
        "Name",
        "Description",
        "SessionType",
        "CreatedTime",
        "ClientOriginIPAddress",
    ],
};

pub fn representation(s: &SessionInfo, username: &str) -> Value {
    let mut v = json!({
        "@odata.id": session_uri(&s.id),
        "@odata.type": ODATA_TYPE,
        "Id": s.id,
        "Name": "User Session",
        "Description": "User Session",
        "UserName": username,
        "Password": null,
        "SessionType": "Redfish",
        "CreatedTime": rfc3339(s.created_ms),
    });
    if let Some(obj) = v.as_object_mut() {
        if let Some(ip) = &s.client_ip {
            obj.insert("ClientOriginIPAddress".into(), json!(ip));
        }
        if let Some(c) = &s.context {
            obj.insert("Context".into(), json!(c));
        }
    }
    v
}

/// POST: check the credentials (counting failures toward lockout) and open a session. `actor`
/// learns who logged in (for the audit record) once the password checked out.
pub async fn login(
    state: &AppState,
    request: &Request,
    actor: &mut Option<String>,
) -> Result<Response, FrontendError> {
    let body = body::json_object(request)?;
    body::validate(&body, &SCHEMA, Mode::Create)?;
    let username = body::string(&body, "UserName").unwrap_or_default();
    let password = body::string(&body, "Password").unwrap_or_default();
    let context = body::string(&body, "Context").map(str::to_owned);
    if context.as_ref().is_some_and(|c| c.len() > CONTEXT_MAX) {
        return Err(FrontendError::Invalid(vec![body::problem(
            Message::property_value_format_error(context.as_deref().unwrap_or(""), "Context"),
            "Context",
        )]));
    }
    let account = state.auth.verify_password(username, password).await?;
    *actor = Some(account.username.clone());
    let (token, info) = state
        .sessions
        .create(
            account.id,
            request.client.addr.map(|ip| ip.to_string()),
            context,
            session_timeout_ms(&state.policies),
        )
        .await?;
    tracing::info!(user = %account.username, session = %info.id, "session opened");
    let mut body = representation(&info, &account.username);
    if account.password_change_required
        && let Some(obj) = body.as_object_mut()
    {
        obj.insert(
            "@Message.ExtendedInfo".into(),
            json!([Message::password_change_required(&account.uri()).extended_info()]),
        );
    }
    let mut response = created(&session_uri(&info.id), body);
    let token = HeaderValue::from_str(&token)
        .map_err(|e| FrontendError::Internal(format!("token header: {e}")))?;
    response.header("x-auth-token", token);
    Ok(response)
}

fn sees_all(principal: &Principal) -> bool {
    principal.privileges.has(Privilege::ConfigureManager)
}

pub async fn list(state: &AppState, principal: &Principal) -> Result<Response, FrontendError> {
    let members: Vec<String> = state
        .sessions
        .list(session_timeout_ms(&state.policies))
        .into_iter()
        .filter(|s| sees_all(principal) || s.account_id == principal.account_id)
        .map(|s| session_uri(&s.id))
        .collect();
    Ok(resource(
        StatusCode::OK,
        collection(
            SESSIONS_URI,
            COLLECTION_TYPE,
            "Session Collection",
            &members,
        ),
    ))
}

fn find(state: &AppState, id: &str) -> Result<SessionInfo, FrontendError> {
    state
        .sessions
        .get(id, session_timeout_ms(&state.policies))
        .ok_or_else(|| FrontendError::NotFound {
            path: session_uri(id),
        })
}

pub async fn get(state: &AppState, id: &str) -> Result<Response, FrontendError> {
    let s = find(state, id)?;
    let username = state
        .store
        .account_by_id(s.account_id)
        .await?
        .map(|a| a.username)
        .unwrap_or_default();
    Ok(resource(StatusCode::OK, representation(&s, &username)))
}

/// Logout.
pub async fn delete(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<Response, FrontendError> {
    let s = find(state, id)?;
    if !state.sessions.delete(&s.id).await? {
        return Err(FrontendError::NotFound {
            path: session_uri(id),
        });
    }
    tracing::info!(by = %principal.username, session = %s.id, "session closed");
    Ok(Response::new(StatusCode::NO_CONTENT, bytes::Bytes::new()))
}

/// For the privilege check: the session belongs to the caller's account.
pub fn is_own(state: &AppState, id: &str, principal: &Principal) -> bool {
    state
        .sessions
        .get(id, session_timeout_ms(&state.policies))
        .is_some_and(|s| s.account_id == principal.account_id)
}
