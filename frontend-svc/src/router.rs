//! Every request passes here, in this order:
//! 1. `/redfish`, `/redfish/v1`, and GET/HEAD of `/redfish/v1/$metadata` and `/redfish/v1/odata`
//!    (DSP0266: readable without authentication), and session login (POST to Sessions, no
//!    authentication: it is how one authenticates).
//! 2. Authentication (`X-Auth-Token` or Basic) of everything else below `/redfish/v1/`.
//! 3. An account that must change its password may only read its own account, PATCH its own
//!    Password and read or end its own sessions: anything else is 403 PasswordChangeRequired.
//! 4. Local routes: 404 for unknown members of the services the frontend owns, 405 + Allow for a
//!    method the resource does not support.
//! 5. Privileges, for local and aggregated routes alike ([`crate::authz`]): 403
//!    InsufficientPrivilege.
//! 6. The local handler, or the aggregator.
//!
//! A GET with query parameters (`only`, `$select`, `$expand`, `$filter`, `$top`, `$skip`) has
//! them taken off after step 2, runs 3 to 6 for the base resource, then [`crate::query`] rewrites
//! the body, reading any further resource through steps 3 to 6 as the same principal.
//!
//! Outside `/redfish`, only the rack web page's static files (`/ui`, [`crate::ui`]) are served, without
//! authentication.
//!
//! Errors become Redfish error bodies, and every response gets the headers the specification
//! asks for.

use crate::AppState;
use crate::auth::Principal;
use crate::authz::Props;
use crate::body;
use crate::error::FrontendError;
use crate::handlers::{odata, proxy, push, service_root, sessions};
use crate::local::Route;
use crate::query;
use crate::request::Request;
use crate::response::Response;
use http::Method;
use std::sync::atomic::Ordering;
use tracing::Instrument;

/// The response, and who the request turned out to be from (set for audited writes only, once
/// the caller authenticated: the audit record's user).
pub async fn handle(state: &AppState, request: Request) -> (Response, Option<String>) {
    let span = tracing::info_span!("request", request_id = %request.id, method = %request.method, path = %request.path);
    let is_head = request.method == Method::HEAD;
    let id = request.id.clone();
    let if_none_match = (request.method == Method::GET || is_head)
        .then(|| request.header("if-none-match").map(str::to_owned))
        .flatten();
    async move {
        let mut actor = None;
        let response = match route(state, request, &mut actor).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        }
        .not_modified_if(if_none_match.as_deref());
        tracing::debug!(status = response.status.as_u16(), "done");
        (response.finish(&id, is_head), actor)
    }
    .instrument(span)
    .await
}

const READ_ONLY: &str = "GET, HEAD";
const SESSIONS_MEMBERS: &str = "/redfish/v1/SessionService/Sessions/Members";

/// `/redfish`, `$metadata` and the OData service document are no Redfish resources: no `$` query
/// parameter applies, so any is refused (DSP0266: 501); others are ignored as the specification
/// asks.
fn refuse_queries(request: &Request) -> Result<(), FrontendError> {
    for pair in request.query.split('&').filter(|p| !p.is_empty()) {
        let key = pair.split('=').next().unwrap_or("");
        let key = percent_encoding::percent_decode_str(key).decode_utf8_lossy();
        if key.starts_with('$') {
            return Err(FrontendError::QueryUnsupported {
                parameter: key.into_owned(),
            });
        }
    }
    Ok(())
}

fn read_only(method: &Method) -> Result<(), FrontendError> {
    if method == Method::GET || method == Method::HEAD {
        Ok(())
    } else {
        Err(FrontendError::MethodNotAllowed { allow: READ_ONLY })
    }
}

async fn route(
    state: &AppState,
    request: Request,
    actor: &mut Option<String>,
) -> Result<Response, FrontendError> {
    precheck(state, &request)?;
    match request.route_path() {
        "/redfish" => {
            read_only(&request.method)?;
            refuse_queries(&request)?;
            Ok(service_root::versions())
        }
        "/redfish/v1" => {
            read_only(&request.method)?;
            let (request, query) = query::plan(request)?;
            let base = service_root::service_root(state).await;
            match query {
                None => Ok(base),
                Some((q, raw_query)) => {
                    // Readable without authentication; expanding it needs a principal.
                    let principal = optional_principal(state, &request).await;
                    let fetcher = query::Fetcher::new(state, principal.as_ref(), &request);
                    query::apply(&fetcher, base, &q, &raw_query).await
                }
            }
        }
        // DSP0266: a POST to a collection's Members property is a POST to the collection.
        crate::sessions::SESSIONS_URI | SESSIONS_MEMBERS if request.method == Method::POST => {
            sessions::login(state, &request, actor).await
        }
        "/redfish/v1/$metadata" => {
            read_only(&request.method)?;
            refuse_queries(&request)?;
            Ok(odata::metadata())
        }
        "/redfish/v1/odata" => {
            read_only(&request.method)?;
            refuse_queries(&request)?;
            Ok(odata::service_document(state).await)
        }
        p if p.starts_with("/redfish/v1/") => authorized(state, request, actor).await,
        _ if crate::ui::is_ui(&request.path) => crate::ui::serve(&request),
        _ => Err(FrontendError::NotFound {
            path: request.path.clone(),
        }),
    }
}

/// What every request passes before its path means anything.
fn precheck(state: &AppState, request: &Request) -> Result<(), FrontendError> {
    if state.shutting_down.load(Ordering::Relaxed) {
        return Err(FrontendError::ShuttingDown);
    }
    // Before anything reads the path: a dot segment or an encoded separator would be authorised
    // as one resource and served by a BMC as another.
    if let Err(why) = redfish::safe_path::check(&request.path) {
        tracing::warn!(refused = ?why, "request path refused");
        return Err(FrontendError::bad_request(
            redfish::messages::Message::invalid_uri(&request.path),
        ));
    }
    if request
        .header("odata-version")
        .is_some_and(|v| v.trim() != redfish::odata::ODATA_VERSION_VALUE)
    {
        return Err(FrontendError::UnsupportedODataVersion);
    }
    Ok(())
}

/// The multipart push ([`push`]), the one request whose body streams: steps 1 to 5 run before
/// any byte of the body is read (a caller without the privilege costs nothing), then the body
/// goes to the aggregator as it arrives.
pub async fn handle_push(
    state: &AppState,
    request: Request,
    body: push::Body,
) -> (Response, Option<String>) {
    let span = tracing::info_span!("request", request_id = %request.id, method = %request.method, path = %request.path);
    let id = request.id.clone();
    async move {
        let mut actor = None;
        let response = match admit_push(state, &request, &mut actor).await {
            Ok(principal) => push::push(state, request, &principal, body).await,
            Err(e) => Err(e),
        }
        .unwrap_or_else(FrontendError::into_response);
        tracing::debug!(status = response.status.as_u16(), "done");
        (response.finish(&id, false), actor)
    }
    .instrument(span)
    .await
}

async fn admit_push(
    state: &AppState,
    request: &Request,
    actor: &mut Option<String>,
) -> Result<Principal, FrontendError> {
    precheck(state, request)?;
    let principal = state.auth.authenticate(&request.headers).await?;
    *actor = Some(principal.username.clone());
    permit(state, request, &principal)?;
    Ok(principal)
}

async fn authorized(
    state: &AppState,
    request: Request,
    actor: &mut Option<String>,
) -> Result<Response, FrontendError> {
    let principal = state.auth.authenticate(&request.headers).await?;
    if crate::audit::is_audited(&request.method) {
        *actor = Some(principal.username.clone());
    }
    let (request, query) = query::plan(request)?;
    let Some((q, raw_query)) = query else {
        return serve_as(state, request, &principal).await;
    };
    let fetcher = query::Fetcher::new(state, Some(&principal), &request);
    let base = serve_as(state, request, &principal).await?;
    query::apply(&fetcher, base, &q, &raw_query).await
}

/// The ServiceRoot's caller when credentials came with the request; a failure is no error there
/// (the resource is public), expansion then simply finds nothing readable.
async fn optional_principal(state: &AppState, request: &Request) -> Option<Principal> {
    let has_credentials =
        request.header("x-auth-token").is_some() || request.header("authorization").is_some();
    if !has_credentials {
        return None;
    }
    state.auth.authenticate(&request.headers).await.ok()
}

/// Steps 3 to 6 for an authenticated caller; also the way query processing reads the resources
/// it expands or filters, so they get exactly the caller's privileges.
pub(crate) async fn serve_as(
    state: &AppState,
    request: Request,
    principal: &Principal,
) -> Result<Response, FrontendError> {
    match permit(state, &request, principal)? {
        Some(route) => route.serve(state, &request, principal).await,
        None => proxy::proxy(state, request, principal).await,
    }
}

/// Steps 3 to 5: the local route, if the frontend owns the resource.
fn permit(
    state: &AppState,
    request: &Request,
    principal: &Principal,
) -> Result<Option<Route>, FrontendError> {
    let local = Route::of(request.route_path());
    let props = props_of(request);
    let own = local.as_ref().is_some_and(|r| r.is_own(state, principal));
    if principal.password_change_required {
        password_change_gate(principal, local.as_ref(), &request.method, &props, own)?;
    }
    if let Some(route) = &local {
        if *route == Route::Missing {
            return Err(FrontendError::NotFound {
                path: request.path.clone(),
            });
        }
        if !route.allows(state, &request.method) {
            return Err(FrontendError::MethodNotAllowed {
                allow: route.allow(state),
            });
        }
    }
    let requirement = state
        .authz
        .requirement(&request.method, &request.path, &props);
    if !requirement.allows(&principal.privileges, own) {
        tracing::info!(
            user = %principal.username,
            role = %principal.role_id,
            entity = requirement.entity.as_deref().unwrap_or("(default rule)"),
            "insufficient privilege"
        );
        return Err(FrontendError::Forbidden);
    }
    Ok(local)
}

/// For property overrides: the properties a PATCH or PUT body writes.
fn props_of(request: &Request) -> Props {
    if request.method != Method::PATCH && request.method != Method::PUT {
        return Props::None;
    }
    match body::property_names(&request.body) {
        Some(names) => Props::Named(names),
        None => Props::Unreadable,
    }
}

/// DSP0266 "Password change required": only the way to change the password stays open.
fn password_change_gate(
    principal: &Principal,
    local: Option<&Route>,
    method: &Method,
    props: &Props,
    own: bool,
) -> Result<(), FrontendError> {
    let allowed = match local {
        Some(Route::Account(_)) if own => match *method {
            Method::GET | Method::HEAD => true,
            Method::PATCH => match props {
                Props::Named(names) => names.iter().all(|n| n == "Password"),
                Props::Unreadable => true,
                Props::None => false,
            },
            _ => false,
        },
        Some(Route::Session(_)) if own => {
            matches!(*method, Method::GET | Method::HEAD | Method::DELETE)
        }
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(FrontendError::PasswordChangeRequired {
            account_uri: crate::store::accounts::account_uri(principal.account_id),
        })
    }
}
