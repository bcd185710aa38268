//! POST to a collection: log in (Sessions), create accounts, subscribe to events.

use http::StatusCode;
use http::header::LOCATION;
use rand::Rng;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::patch::json_object;
use super::reply::Reply;
use super::router::{HResult, Req};
use crate::auth;
use crate::bmc::{BmcState, Session, User};
use crate::store::member_paths;
use crate::tree::accounts::{self, ACCOUNT_CAPS, ACCOUNTS, ROLE_IDS, SESSION_CAPS, SESSIONS};
use crate::tree::services::{SUBSCRIPTION_CAPS, SUBSCRIPTIONS};
use crate::tree::types as t;

/// POST to a collection that accepts it.
pub(crate) fn post(st: &mut BmcState, req: &Req) -> HResult {
    match req.path.as_str() {
        SESSIONS => login(st, req),
        ACCOUNTS => create_account(st, req),
        SUBSCRIPTIONS => subscribe(st, req),
        _ => Err(vec![ApiError::MethodNotAllowed {
            allow: "GET, HEAD".into(),
        }]),
    }
}

fn check_known(body: &Map<String, Value>, known: &[&str]) -> Result<(), Vec<ApiError>> {
    let errs: Vec<ApiError> = body
        .keys()
        .filter(|k| !known.contains(&k.as_str()) && !k.contains('@'))
        .map(|k| ApiError::PropertyUnknown(format!("/{k}")))
        .collect();
    if errs.is_empty() { Ok(()) } else { Err(errs) }
}

fn required_string(body: &Map<String, Value>, name: &str) -> Result<String, Vec<ApiError>> {
    match body.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(vec![ApiError::PropertyValueType {
            value: other.to_string(),
            prop: format!("/{name}"),
        }]),
        None => Err(vec![ApiError::PropertyMissing(format!("/{name}"))]),
    }
}

fn created(st: &BmcState, path: &str) -> Reply {
    let body = st
        .store
        .get(path)
        .map(|e| e.body.clone())
        .unwrap_or(Value::Null);
    let location = st.store.layout().header_path(path);
    Reply::json(StatusCode::CREATED, &body).with_header(LOCATION, &location)
}

fn login(st: &mut BmcState, req: &Req) -> HResult {
    let body = json_object(req)?;
    check_known(&body, &["UserName", "Password", "Context"])?;
    let user = required_string(&body, "UserName")?;
    let pass = required_string(&body, "Password")?;
    if !auth::check_password(st, &user, &pass) {
        return Err(vec![ApiError::LoginFailed {
            uri: req.path.clone(),
        }]);
    }
    let n = st.next();
    let id = format!("{}{n}", st.store.layout().session_prefix);
    let token: String = {
        let mut rng = rand::rng();
        (0..32)
            .map(|_| format!("{:x}", rng.random_range(0..16u8)))
            .collect()
    };
    let path = format!("{SESSIONS}/{id}");
    st.store
        .put(&path, accounts::session(&id, &user), SESSION_CAPS);
    st.store.add_member(SESSIONS, &path);
    st.sessions.insert(
        token.clone(),
        Session {
            id,
            user,
            last_used: tokio::time::Instant::now(),
        },
    );
    Ok(created(st, &path).with_header(http::HeaderName::from_static("x-auth-token"), &token))
}

fn create_account(st: &mut BmcState, req: &Req) -> HResult {
    let body = json_object(req)?;
    check_known(
        &body,
        &[
            "UserName",
            "Password",
            "RoleId",
            "Enabled",
            "Locked",
            "AccountTypes",
        ],
    )?;
    let user = required_string(&body, "UserName")?;
    let pass = required_string(&body, "Password")?;
    let role = required_string(&body, "RoleId")?;
    if !ROLE_IDS.contains(&role.as_str()) {
        return Err(vec![ApiError::PropertyValueNotInList {
            value: role,
            prop: "/RoleId".into(),
        }]);
    }
    let enabled = body.get("Enabled").and_then(Value::as_bool).unwrap_or(true);
    if st.users.contains_key(&user) {
        return Err(vec![ApiError::AlreadyExists {
            kind: "ManagerAccount".into(),
            prop: "UserName".into(),
            value: user,
        }]);
    }
    let layout = st.store.layout().clone();
    let id = if layout.numeric_account_ids {
        let existing = st
            .store
            .get(ACCOUNTS)
            .map(|c| member_paths(&c.body))
            .unwrap_or_default();
        let max = existing
            .iter()
            .filter_map(|p| p.rsplit('/').next()?.parse::<u64>().ok())
            .max()
            .unwrap_or(1);
        (max + 1).to_string()
    } else {
        user.clone()
    };
    let path = format!("{ACCOUNTS}/{id}");
    let mut account = accounts::account(&layout, &id, &user, &role);
    account["Enabled"] = Value::Bool(enabled);
    st.store.put(&path, account, ACCOUNT_CAPS);
    st.store.add_member(ACCOUNTS, &path);
    st.users.insert(
        user,
        User {
            password: pass,
            enabled,
        },
    );
    Ok(created(st, &path))
}

fn subscribe(st: &mut BmcState, req: &Req) -> HResult {
    let body = json_object(req)?;
    check_known(
        &body,
        &[
            "Destination",
            "Protocol",
            "Context",
            "EventFormatType",
            "RegistryPrefixes",
            "ResourceTypes",
            "SubscriptionType",
            "HttpHeaders",
            "DeliveryRetryPolicy",
            "Name",
            "EventTypes",
            "MessageIds",
        ],
    )?;
    let dest = required_string(&body, "Destination")?;
    if !(dest.starts_with("http://") || dest.starts_with("https://")) {
        return Err(vec![ApiError::PropertyValueFormat {
            value: dest,
            prop: "/Destination".into(),
        }]);
    }
    let protocol = required_string(&body, "Protocol")?;
    if protocol != "Redfish" {
        return Err(vec![ApiError::PropertyValueNotInList {
            value: protocol,
            prop: "/Protocol".into(),
        }]);
    }
    let n = st.next();
    let id = n.to_string();
    let path = format!("{SUBSCRIPTIONS}/{id}");
    let strings = |name: &str| -> Value {
        body.get(name)
            .and_then(Value::as_array)
            .map(|a| Value::Array(a.iter().filter(|v| v.is_string()).cloned().collect()))
            .unwrap_or(Value::Array(vec![]))
    };
    let sub = serde_json::json!({
        "@odata.id": path,
        "@odata.type": t::EVENT_DESTINATION,
        "Id": id,
        "Name": body.get("Name").and_then(Value::as_str).unwrap_or("Event Subscription"),
        "Destination": dest,
        "Protocol": "Redfish",
        "Context": body.get("Context").and_then(Value::as_str).unwrap_or(""),
        "SubscriptionType": "RedfishEvent",
        "EventFormatType": "Event",
        "RegistryPrefixes": strings("RegistryPrefixes"),
        "ResourceTypes": strings("ResourceTypes"),
        "DeliveryRetryPolicy": body.get("DeliveryRetryPolicy").and_then(Value::as_str).unwrap_or("SuspendRetries"),
        "HttpHeaders": [],
        "Status": { "State": "Enabled", "Health": "OK" },
    });
    let headers: Vec<(String, String)> = body
        .get("HttpHeaders")
        .and_then(Value::as_array)
        .map(|arr| {
            arr.iter()
                .filter_map(Value::as_object)
                .flat_map(|o| {
                    o.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                })
                .collect()
        })
        .unwrap_or_default();
    st.sub_headers.insert(id, headers);
    st.store.put(&path, sub, SUBSCRIPTION_CAPS);
    st.store.add_member(SUBSCRIPTIONS, &path);
    Ok(created(st, &path))
}
