//! The warp server: one filter that turns any HTTP request into a `Request` (body read up to the
//! configured limit) and hands it to the router. Routing itself is plain code in `router.rs`.

use crate::AppState;
use crate::error::FrontendError;
use crate::request::Request;
use crate::response::Response;
use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use http::{HeaderMap, Method};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tracing::Instrument;
use warp::Filter;

pub fn filter(
    state: Arc<AppState>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = Infallible> + Clone {
    let raw_query = warp::query::raw().or(warp::any().map(String::new)).unify();
    warp::method()
        .and(warp::path::full())
        .and(raw_query)
        .and(warp::header::headers_cloned())
        .and(crate::conn::peer())
        .and(warp::body::stream())
        .then(
            move |method: Method,
                  path: warp::path::FullPath,
                  query: String,
                  headers: HeaderMap,
                  peer: Option<SocketAddr>,
                  body| {
                let state = state.clone();
                async move {
                    let started = std::time::Instant::now();
                    let id = request_id(&headers);
                    let client = crate::forwarded::client(peer, &headers, &state.trusted_proxies);
                    let answered = method.clone();
                    let audit =
                        crate::audit::Pending::start(&method, path.as_str(), &id, client.addr);
                    if crate::handlers::push::is_push(&method, path.as_str()) {
                        let response = match crate::limits::check_headers(&headers, &state.limits) {
                            Ok(()) => {
                                let request = Request {
                                    id: id.clone(),
                                    method,
                                    path: path.as_str().to_owned(),
                                    query,
                                    headers,
                                    body: Bytes::new(),
                                    peer,
                                    client,
                                };
                                crate::router::handle_push(&state, request, image_stream(body))
                                    .await
                            }
                            Err(e) => (e.into_response().finish(&id, false), None),
                        };
                        let (response, actor) = response;
                        answered_request(&state, &answered, started, audit, &response, actor);
                        return into_warp(response);
                    }
                    let body = match crate::limits::check_headers(&headers, &state.limits) {
                        Ok(()) => read_body(body, &headers, state.max_body_bytes)
                            .await
                            .and_then(|b| {
                                let depth = state.limits.max_json_depth;
                                crate::limits::check_json_depth(&headers, &b, depth).map(|()| b)
                            }),
                        Err(e) => Err(e),
                    };
                    let response = match body {
                        Ok(body) => {
                            let request = Request {
                                id,
                                method,
                                path: path.as_str().to_owned(),
                                query,
                                headers,
                                body,
                                peer,
                                client,
                            };
                            // The event stream is the one response that is not a whole body.
                            if crate::sse::is_stream(&request) {
                                match crate::sse::open(&state, request).await {
                                    Ok(stream) => {
                                        let ok = http::StatusCode::OK;
                                        state.metrics.answered(&answered, ok, started.elapsed());
                                        return stream;
                                    }
                                    Err(refused) => {
                                        answered_request(
                                            &state, &answered, started, audit, &refused, None,
                                        );
                                        return into_warp(refused);
                                    }
                                }
                            }
                            let span = tracing::info_span!(
                                "client",
                                addr = %client.addr.map(|a| a.to_string()).unwrap_or_default(),
                                scheme = client.scheme(),
                            );
                            crate::router::handle(&state, request)
                                .instrument(span)
                                .await
                        }
                        Err(e) => (e.into_response().finish(&id, false), None),
                    };
                    let (response, actor) = response;
                    answered_request(&state, &answered, started, audit, &response, actor);
                    into_warp(response)
                }
            },
        )
        .recover(|_rejection: warp::Rejection| async {
            // Every request matches the filter above; this only satisfies the type.
            Ok::<_, Infallible>(into_warp(
                FrontendError::Internal("unroutable".into()).into_response(),
            ))
        })
        .unify()
}

/// Counts an answered request and records it in the audit trail when it was a write.
fn answered_request(
    state: &AppState,
    method: &Method,
    started: std::time::Instant,
    audit: Option<crate::audit::Pending>,
    response: &Response,
    actor: Option<String>,
) {
    state
        .metrics
        .answered(method, response.status, started.elapsed());
    if let Some(pending) = audit {
        let record = pending.finish(response.status, actor.as_deref(), state.clock.now_ms());
        state.audit.record(record);
    }
}

/// A client-supplied X-Request-Id is kept when it is sane, so logs correlate across Apache.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

async fn read_body<S, B>(body: S, headers: &HeaderMap, limit: usize) -> Result<Bytes, FrontendError>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(FrontendError::PayloadTooLarge);
    }
    let mut collected = BytesMut::with_capacity(declared.unwrap_or(0));
    tokio::pin!(body);
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|e| FrontendError::bad_request_body(&e.to_string()))?;
        if collected.len() + chunk.remaining() > limit {
            return Err(FrontendError::PayloadTooLarge);
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            collected.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    Ok(collected.freeze())
}

/// The multipart push's body as it arrives ([`crate::handlers::push`]), never read whole.
fn image_stream<S, B>(body: S) -> crate::handlers::push::Body
where
    S: Stream<Item = Result<B, warp::Error>> + Send + 'static,
    B: Buf + Send + 'static,
{
    body.map(|piece| {
        piece
            .map(|mut b| b.copy_to_bytes(b.remaining()))
            .map_err(|e| FrontendError::bad_request_body(&e.to_string()))
    })
    .boxed()
}

fn into_warp(response: Response) -> warp::reply::Response {
    let mut out = warp::reply::Response::new(response.body.into());
    *out.status_mut() = response.status;
    *out.headers_mut() = response.headers;
    out
}
