//! The UpdateService's `MultipartHttpPushUri`: a firmware image of up to `max_image_bytes`, so
//! its body is never read whole. The router admits the request (authentication, privileges)
//! before a byte of it is read; here the body streams to the aggregator ([`AggClient`]'s
//! `forward_stream`: the head, then the pieces as they arrive, at most a few in flight), which
//! fans it out to the BMCs.
//!
//! [`AggClient`]: crate::agg_client::AggClient

use crate::AppState;
use crate::agg_client::Caller;
use crate::auth::Principal;
use crate::error::FrontendError;
use crate::request::Request;
use crate::response::Response;
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use http::Method;
use proto::v1::{RedfishRequest, RedfishRequestChunk};
use redfish::odata::{FORWARDED_REQUEST_HEADERS, MULTIPART_PUSH_URI};
use tokio::sync::mpsc;

/// The body as it arrives from the client.
pub type Body = BoxStream<'static, Result<Bytes, FrontendError>>;

/// Pieces of the body in flight to the aggregator: the client is read no faster than the BMCs
/// take the image.
const IN_FLIGHT: usize = 4;

/// Whether this request is the push (the one whose body streams).
pub fn is_push(method: &Method, path: &str) -> bool {
    method == Method::POST && path.trim_end_matches('/') == MULTIPART_PUSH_URI
}

pub async fn push(
    state: &AppState,
    request: Request,
    principal: &Principal,
    body: Body,
) -> Result<Response, FrontendError> {
    let limit = state.limits.max_image_bytes;
    let declared = request
        .header("content-length")
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(FrontendError::PayloadTooLarge);
    }
    // Content-Length too: the aggregator reports the BMCs' progress in percent of it.
    let mut allowed = FORWARDED_REQUEST_HEADERS.to_vec();
    allowed.push("content-length");
    let head = RedfishRequest {
        method: request.method.as_str().to_owned(),
        path: request.path.clone(),
        query: request.query.clone(),
        headers: super::proxy::forwarded_headers(&request, &allowed),
        body: Bytes::new(),
    };
    let (tx, rx) = mpsc::channel(IN_FLIGHT);
    tx.send(RedfishRequestChunk {
        head: Some(head),
        data: Bytes::new(),
    })
    .await
    .map_err(|_| FrontendError::Internal("push stream closed".into()))?;
    let caller = Caller {
        request_id: &request.id,
        user: &principal.username,
        role: &principal.role_id,
    };
    let call = state.agg.forward_stream(
        tokio_stream::wrappers::ReceiverStream::new(rx),
        &caller,
        state.limits.upload_timeout,
    );
    let pump = async move {
        let mut body = body;
        let mut total = 0u64;
        while let Some(piece) = body.next().await {
            let piece = piece?;
            total += piece.len() as u64;
            if total > limit {
                return Err(FrontendError::PayloadTooLarge);
            }
            let message = RedfishRequestChunk {
                head: None,
                data: piece,
            };
            if tx.send(message).await.is_err() {
                // The aggregator stopped reading: its answer says why.
                break;
            }
        }
        Ok(())
    };
    tokio::pin!(call);
    // An error while reading the body drops the call, which cancels it: the aggregator aborts
    // every BMC's upload rather than let one see a short image.
    let reply = tokio::select! {
        reply = &mut call => reply?,
        pumped = pump => {
            pumped?;
            call.await?
        }
    };
    super::proxy::response_of(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_post_to_the_push_uri_streams() {
        assert!(is_push(&Method::POST, MULTIPART_PUSH_URI));
        assert!(is_push(&Method::POST, &format!("{MULTIPART_PUSH_URI}/")));
        assert!(!is_push(&Method::GET, MULTIPART_PUSH_URI));
        assert!(!is_push(&Method::POST, "/redfish/v1/UpdateService"));
        assert!(!is_push(
            &Method::POST,
            "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate"
        ));
    }
}
