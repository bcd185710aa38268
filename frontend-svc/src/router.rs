//! Every request passes here: local routes first, then authentication and the proxy. Errors become
//! Redfish error bodies, and every response gets the headers the specification asks for.

use crate::AppState;
use crate::error::FrontendError;
use crate::handlers::{proxy, service_root};
use crate::request::Request;
use crate::response::Response;
use http::Method;
use std::sync::atomic::Ordering;
use tracing::Instrument;

pub async fn handle(state: &AppState, request: Request) -> Response {
    let span = tracing::info_span!("request", request_id = %request.id, method = %request.method, path = %request.path);
    let is_head = request.method == Method::HEAD;
    let id = request.id.clone();
    async move {
        let response = match route(state, request).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        };
        tracing::debug!(status = response.status.as_u16(), "done");
        response.finish(&id, is_head)
    }
    .instrument(span)
    .await
}

const READ_ONLY: &str = "GET, HEAD";

fn read_only(method: &Method) -> Result<(), FrontendError> {
    if method == Method::GET || method == Method::HEAD {
        Ok(())
    } else {
        Err(FrontendError::MethodNotAllowed { allow: READ_ONLY })
    }
}

async fn route(state: &AppState, request: Request) -> Result<Response, FrontendError> {
    if state.shutting_down.load(Ordering::Relaxed) {
        return Err(FrontendError::ShuttingDown);
    }
    match request.route_path() {
        "/redfish" => {
            read_only(&request.method)?;
            Ok(service_root::versions())
        }
        "/redfish/v1" => {
            read_only(&request.method)?;
            Ok(service_root::service_root(state).await)
        }
        p if p.starts_with("/redfish/v1/") => {
            let principal = state.auth.authenticate(&request.headers).await?;
            if principal.password_change_required {
                return Err(FrontendError::PasswordChangeRequired {
                    account_uri: format!(
                        "/redfish/v1/AccountService/Accounts/{}",
                        principal.account_id
                    ),
                });
            }
            proxy::proxy(state, request, &principal).await
        }
        _ => Err(FrontendError::NotFound {
            path: request.path.clone(),
        }),
    }
}
