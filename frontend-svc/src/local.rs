//! The frontend's own routes below `/redfish/v1`: AccountService and SessionService with their
//! members, the methods each allows, whether a member is the caller's own (for ConfigureSelf),
//! and the dispatch to the handlers.

use crate::AppState;
use crate::auth::Principal;
use crate::error::FrontendError;
use crate::handlers::{account_service, accounts, roles, session_service, sessions};
use crate::request::Request;
use crate::response::Response;
use http::Method;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    AccountService,
    Accounts,
    Account(String),
    Roles,
    Role(String),
    SessionService,
    Sessions,
    Session(String),
    /// Below a service the frontend owns, but nothing it serves.
    Missing,
}

impl Route {
    /// The local route for a path (trailing slash already removed), or None when the path
    /// belongs to the aggregator.
    pub fn of(path: &str) -> Option<Route> {
        let (service, rest) = if let Some(rest) = path.strip_prefix(account_service::URI) {
            (Route::AccountService, rest)
        } else if let Some(rest) = path.strip_prefix(session_service::URI) {
            (Route::SessionService, rest)
        } else {
            return None;
        };
        if rest.is_empty() {
            return Some(service);
        }
        let rest = rest.strip_prefix('/')?;
        let mut parts = rest.split('/');
        let route = match (&service, parts.next(), parts.next(), parts.next()) {
            (Route::AccountService, Some("Accounts"), None, _) => Route::Accounts,
            (Route::AccountService, Some("Accounts"), Some(id), None) if !id.is_empty() => {
                Route::Account(id.to_owned())
            }
            (Route::AccountService, Some("Roles"), None, _) => Route::Roles,
            (Route::AccountService, Some("Roles"), Some(id), None) if !id.is_empty() => {
                Route::Role(id.to_owned())
            }
            (Route::SessionService, Some("Sessions"), None, _) => Route::Sessions,
            (Route::SessionService, Some("Sessions"), Some(id), None) if !id.is_empty() => {
                Route::Session(id.to_owned())
            }
            _ => Route::Missing,
        };
        Some(route)
    }

    /// The methods the resource supports (the `Allow` header of a 405).
    pub fn allow(&self, state: &AppState) -> &'static str {
        match self {
            Route::AccountService | Route::SessionService => "GET, HEAD, PATCH",
            Route::Accounts | Route::Roles | Route::Sessions => "GET, HEAD, POST",
            Route::Account(_) => "GET, HEAD, PATCH, DELETE",
            Route::Role(id) => roles::allow(state, id),
            Route::Session(_) => "GET, HEAD, DELETE",
            Route::Missing => "",
        }
    }

    pub fn allows(&self, state: &AppState, method: &Method) -> bool {
        self.allow(state).split(", ").any(|m| m == method.as_str())
    }

    /// The member is the caller's own account or one of its sessions.
    pub fn is_own(&self, state: &AppState, principal: &Principal) -> bool {
        match self {
            Route::Account(id) => accounts::is_own(id, principal),
            Route::Session(id) => sessions::is_own(state, id, principal),
            _ => false,
        }
    }

    /// Runs the handler; method and privileges were checked by the router.
    pub async fn serve(
        &self,
        state: &AppState,
        request: &Request,
        principal: &Principal,
    ) -> Result<Response, FrontendError> {
        let read = request.method == Method::GET || request.method == Method::HEAD;
        let mut response = self.serve_method(state, request, principal, read).await?;
        // DSP0266: a GET or HEAD names the methods the resource allows.
        if read
            && !response.headers.contains_key(http::header::ALLOW)
            && let Ok(allow) = http::HeaderValue::from_str(self.allow(state))
        {
            response.headers.insert(http::header::ALLOW, allow);
        }
        Ok(response)
    }

    async fn serve_method(
        &self,
        state: &AppState,
        request: &Request,
        principal: &Principal,
        read: bool,
    ) -> Result<Response, FrontendError> {
        match (self, &request.method) {
            (Route::AccountService, _) if read => Ok(account_service::get(state)),
            (Route::AccountService, &Method::PATCH) => account_service::patch(state, request).await,
            (Route::Accounts, _) if read => accounts::list(state, principal).await,
            (Route::Accounts, &Method::POST) => accounts::create(state, request, principal).await,
            (Route::Account(id), _) if read => accounts::get(state, id).await,
            (Route::Account(id), &Method::PATCH) => {
                accounts::patch(state, request, principal, id).await
            }
            (Route::Account(id), &Method::DELETE) => {
                accounts::delete(state, request, principal, id).await
            }
            (Route::Roles, _) if read => Ok(roles::list(state)),
            (Route::Roles, &Method::POST) => roles::create(state, request, principal).await,
            (Route::Role(id), _) if read => roles::get(state, id),
            (Route::Role(id), &Method::PATCH) => roles::patch(state, request, principal, id).await,
            (Route::Role(id), &Method::DELETE) => {
                roles::delete(state, request, principal, id).await
            }
            (Route::SessionService, _) if read => Ok(session_service::get(state)),
            (Route::SessionService, &Method::PATCH) => session_service::patch(state, request).await,
            (Route::Sessions, _) if read => sessions::list(state, principal).await,
            (Route::Session(id), _) if read => sessions::get(state, id).await,
            (Route::Session(id), &Method::DELETE) => sessions::delete(state, principal, id).await,
            (Route::Missing, _) => Err(FrontendError::NotFound {
                path: request.path.clone(),
            }),
            // Sessions POST (login) is routed before authentication; other pairs were refused
            // with 405 by the router.
            _ => Err(FrontendError::MethodNotAllowed {
                allow: self.allow(state),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_routes() {
        let rows = [
            ("/redfish/v1/AccountService", Some(Route::AccountService)),
            ("/redfish/v1/AccountService/Accounts", Some(Route::Accounts)),
            (
                "/redfish/v1/AccountService/Accounts/3",
                Some(Route::Account("3".into())),
            ),
            ("/redfish/v1/AccountService/Roles", Some(Route::Roles)),
            (
                "/redfish/v1/AccountService/Roles/Operator",
                Some(Route::Role("Operator".into())),
            ),
            (
                "/redfish/v1/AccountService/Accounts/3/Keys",
                Some(Route::Missing),
            ),
            ("/redfish/v1/AccountService/LDAP", Some(Route::Missing)),
            ("/redfish/v1/SessionService", Some(Route::SessionService)),
            ("/redfish/v1/SessionService/Sessions", Some(Route::Sessions)),
            (
                "/redfish/v1/SessionService/Sessions/ab",
                Some(Route::Session("ab".into())),
            ),
            ("/redfish/v1/AccountServiceX", None),
            ("/redfish/v1/Systems", None),
            ("/redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService", None),
        ];
        for (path, want) in rows {
            assert_eq!(Route::of(path), want, "{path}");
        }
    }
}
