//! The inbound event listener (`events_inbound_listen`): BMCs with a push subscription POST
//! their events to `<events_inbound_url>/<bmcId>`. Each POST must carry that BMC's secret, in
//! the `X-RedDrum-Event-Secret` header or as the payload's `Context`: none is 401, a wrong one
//! (or a BMC whose events are not pushed) 403. Bodies are bounded ([`MAX_BODY`], 413) and must
//! be an Event JSON object (400). Connections are bounded and a slow sender is cut, so a
//! misbehaving BMC cannot hold the listener. Errors are Redfish error bodies.

use super::bmc::Ctx;
use super::push::SECRET_HEADER;
use super::{InboundUrl, Shared};
use crate::AppState;
use crate::error::AggError;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use redfish::messages::Message;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Largest event payload accepted.
pub const MAX_BODY: usize = 256 * 1024;
const MAX_CONNECTIONS: usize = 256;
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shared: Arc<Shared>,
    stop: CancellationToken,
) {
    let Some(url) = state
        .config()
        .events_inbound_url
        .as_deref()
        .and_then(|u| InboundUrl::parse(u).ok())
    else {
        return;
    };
    let url = Arc::new(url);
    tracing::info!(addr = ?listener.local_addr().ok(), "inbound event listener: BMCs POST their events here");
    let limits = svc_common::listener::Limits {
        name: "inbound events",
        max_connections: MAX_CONNECTIONS,
        header_timeout: HEADER_TIMEOUT,
    };
    svc_common::listener::serve_http1(listener, limits, stop, move |request| {
        let (state, shared, url) = (state.clone(), shared.clone(), url.clone());
        async move {
            match receive(&state, &shared, &url, request).await {
                Ok(()) => empty(StatusCode::NO_CONTENT),
                Err(e) => {
                    state.metrics.intake.refused(match &e {
                        AggError::EventSenderUnauthenticated => "unauthenticated",
                        AggError::PayloadTooLarge { .. } => "too_large",
                        AggError::BadRequest { .. } | AggError::MethodNotAllowed { .. } => {
                            "malformed"
                        }
                        _ => "forbidden",
                    });
                    error_response(&e)
                }
            }
        }
    })
    .await;
}

/// Checks one POST and publishes its records.
async fn receive(
    state: &Arc<AppState>,
    shared: &Shared,
    url: &InboundUrl,
    request: Request<Incoming>,
) -> Result<(), AggError> {
    let path = request.uri().path().to_owned();
    if request.method() != Method::POST {
        return Err(AggError::MethodNotAllowed {
            path,
            allow: "POST",
        });
    }
    let bmc_id = url.bmc_of(&path).map(str::to_owned);
    let header_secret = request
        .headers()
        .get(SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = tokio::time::timeout(
        BODY_TIMEOUT,
        Limited::new(request.into_body(), MAX_BODY).collect(),
    )
    .await
    .map_err(|_| AggError::BadRequest {
        message: Message::unrecognized_request_body(),
    })?
    .map_err(|_| AggError::PayloadTooLarge { limit: MAX_BODY })?
    .to_bytes();
    let payload: Value = serde_json::from_slice(&body).map_err(|_| AggError::BadRequest {
        message: Message::malformed_json(),
    })?;
    let context = payload.get("Context").and_then(Value::as_str);
    let presented: Vec<&str> = header_secret
        .as_deref()
        .into_iter()
        .chain(context)
        .collect();
    if presented.is_empty() {
        return Err(AggError::EventSenderUnauthenticated);
    }
    let expected = bmc_id.as_deref().and_then(|id| shared.secret_of(id));
    let Some((id, expected)) = bmc_id.zip(expected) else {
        tracing::warn!(%path, "events POSTed for no BMC whose events are pushed; refused");
        return Err(AggError::EventSenderRefused);
    };
    if !presented.iter().any(|p| same_secret(p, &expected)) {
        tracing::warn!(bmc = %id, "events POSTed with a wrong secret; refused");
        return Err(AggError::EventSenderRefused);
    }
    if !payload.get("Events").is_some_and(Value::is_array) {
        return Err(AggError::BadRequest {
            message: Message::property_missing("Events"),
        });
    }
    let Some(entry) = state.inventory.bmc(&id) else {
        return Err(AggError::EventSenderRefused);
    };
    Ctx::publish_records(state, &entry, payload, "push");
    Ok(())
}

/// Compares in time independent of where they differ (digests of equal length).
fn same_secret(a: &str, b: &str) -> bool {
    use sha2::{Digest, Sha256};
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

fn empty(status: StatusCode) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r
}

fn error_response(e: &AggError) -> Response<Full<Bytes>> {
    let shown = e.presentation();
    let body = redfish::error_body::error_bytes(std::slice::from_ref(&shown.message));
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() =
        StatusCode::from_u16(shown.http_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    if let Some(allow) = shown.allow {
        r.headers_mut()
            .insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_equal_only_when_equal() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert!(!same_secret("", "abc"));
    }
}
