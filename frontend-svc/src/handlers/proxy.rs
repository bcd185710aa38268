//! Everything the frontend does not own goes to the aggregator: the body stays opaque bytes, only
//! end-to-end headers travel, and the reply comes back as the aggregator built it.

use crate::AppState;
use crate::agg_client::Caller;
use crate::auth::Principal;
use crate::error::FrontendError;
use crate::request::Request;
use crate::response::Response;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use proto::v1::{Header, RedfishRequest, RedfishResponse};
use redfish::odata::FORWARDED_REQUEST_HEADERS;

pub async fn proxy(
    state: &AppState,
    request: Request,
    principal: &Principal,
) -> Result<Response, FrontendError> {
    let headers = forwarded_headers(&request, FORWARDED_REQUEST_HEADERS);
    let caller = Caller {
        request_id: &request.id,
        user: &principal.username,
        role: &principal.role_id,
    };
    let reply = state
        .agg
        .forward(
            RedfishRequest {
                method: request.method.as_str().to_owned(),
                path: request.path,
                query: request.query,
                headers,
                body: request.body,
            },
            &caller,
        )
        .await?;
    response_of(reply)
}

/// The request's headers named in `allowed`, as they cross to the aggregator.
pub(crate) fn forwarded_headers(request: &Request, allowed: &[&str]) -> Vec<Header> {
    request
        .headers
        .iter()
        .filter(|(name, _)| allowed.contains(&name.as_str()))
        .map(|(name, value)| Header {
            name: name.as_str().to_owned(),
            value: Bytes::copy_from_slice(value.as_bytes()),
        })
        .collect()
}

/// The aggregator's reply as the client's response.
pub(crate) fn response_of(reply: RedfishResponse) -> Result<Response, FrontendError> {
    let status = u16::try_from(reply.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| {
            FrontendError::Internal(format!("aggregator sent status {}", reply.status))
        })?;
    let mut response = Response::new(status, reply.body);
    for h in reply.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(h.name.as_bytes()),
            HeaderValue::from_bytes(&h.value),
        ) {
            response.headers.append(name, value);
        }
    }
    Ok(response)
}
