//! Authentication: Basic and X-Auth-Token sessions; which paths are open.

use std::time::Duration;

use base64::Engine;
use http::{HeaderMap, Method};

use crate::bmc::BmcState;
use crate::redfish::error::ApiError;

/// Path of the session collection (POST there is how clients log in).
pub(crate) const SESSIONS: &str = "/redfish/v1/SessionService/Sessions";

/// Paths that need no credentials (Redfish spec: service root, version object, metadata, odata).
pub(crate) fn is_open(method: &Method, path: &str) -> bool {
    matches!(
        path,
        "/redfish" | "/redfish/v1" | "/redfish/v1/$metadata" | "/redfish/v1/odata"
    ) || (method == Method::POST && path == SESSIONS)
}

/// The authenticated user name, or 401.
pub(crate) fn authenticate(state: &mut BmcState, headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some(token) = headers.get("x-auth-token").and_then(|v| v.to_str().ok()) {
        let timeout = session_timeout(state);
        let now = tokio::time::Instant::now();
        let Some(session) = state.sessions.get_mut(token) else {
            return Err(ApiError::Unauthorized);
        };
        if now.duration_since(session.last_used) > timeout {
            let user = session.user.clone();
            let id = session.id.clone();
            state.sessions.remove(token);
            let path = format!("{SESSIONS}/{id}");
            state.store.remove(&path);
            state.store.remove_member(SESSIONS, &path);
            tracing::debug!(%user, "session timed out");
            return Err(ApiError::Unauthorized);
        }
        session.last_used = now;
        return Ok(session.user.clone());
    }
    let Some((user, pass)) = basic_credentials(headers) else {
        return Err(ApiError::Unauthorized);
    };
    if check_password(state, &user, &pass) {
        Ok(user)
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// `SessionService.SessionTimeout` (seconds; PATCHable).
fn session_timeout(state: &BmcState) -> Duration {
    let secs = state
        .store
        .get("/redfish/v1/SessionService")
        .and_then(|e| {
            e.body
                .get("SessionTimeout")
                .and_then(serde_json::Value::as_u64)
        })
        .unwrap_or(1800);
    Duration::from_secs(secs)
}

/// True if the user exists with this password.
pub(crate) fn check_password(state: &BmcState, user: &str, pass: &str) -> bool {
    state
        .users
        .get(user)
        .is_some_and(|u| u.enabled && u.password == pass)
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}
