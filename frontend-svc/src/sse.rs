//! Server-Sent Events at the EventService's ServerSentEventUri: a GET there is authenticated and
//! authorized as any request, then streamed (`text/event-stream`) from the aggregator's
//! StreamEvents RPC instead of being answered with one body. Each event is an `id:` line and a
//! `data:` line (the Event resource); a comment line every [`KEEP_ALIVE`] keeps proxies from
//! closing an idle stream and finds out a client that went away.
//!
//! Bounded: a pump task moves frames from gRPC to the socket through a channel of
//! [`CHANNEL_FRAMES`]; a client that stops reading stalls the pump, the aggregator cuts the
//! stream once it is too many events behind (the client resumes by Last-Event-ID), and the
//! listener's `write_timeout_ms` closes the socket. The pump ends when the client goes (the
//! channel closes), the aggregator ends the stream, or the frontend stops.

use crate::AppState;
use crate::agg_client::Caller;
use crate::authz::Props;
use crate::error::FrontendError;
use crate::request::Request;
use crate::response::Response;
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use proto::v1::EventFrame;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub const SSE_URI: &str = "/redfish/v1/EventService/SSE";
/// A comment this often when no event came.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Frames buffered between the aggregator and one client's socket.
const CHANNEL_FRAMES: usize = 16;

/// Whether `request` opens a stream (a GET of the ServerSentEventUri).
pub fn is_stream(request: &Request) -> bool {
    request.method == Method::GET && request.route_path() == SSE_URI
}

/// The streaming response, or the error response (not yet finished) to send instead.
pub async fn open(state: &AppState, request: Request) -> Result<warp::reply::Response, Response> {
    match start(state, &request).await {
        Ok(frames) => Ok(streaming(state, &request.id, frames)),
        Err(e) => Err(e.into_response().finish(&request.id, false)),
    }
}

async fn start(
    state: &AppState,
    request: &Request,
) -> Result<tonic::Streaming<EventFrame>, FrontendError> {
    if state
        .shutting_down
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        return Err(FrontendError::ShuttingDown);
    }
    let principal = state.auth.authenticate(&request.headers).await?;
    if principal.password_change_required {
        return Err(FrontendError::PasswordChangeRequired {
            account_uri: crate::store::accounts::account_uri(principal.account_id),
        });
    }
    let requirement = state
        .authz
        .requirement(&Method::GET, &request.path, &Props::None);
    if !requirement.allows(&principal.privileges, false) {
        tracing::info!(user = %principal.username, "insufficient privilege for the event stream");
        return Err(FrontendError::Forbidden);
    }
    let filter = filter_of(&request.query)?;
    // An id we never issued (or garbage) resumes nothing: the stream starts live.
    let last_event_id = request
        .header("last-event-id")
        .and_then(|v| v.trim().parse::<u64>().ok());
    let caller = Caller {
        request_id: &request.id,
        user: &principal.username,
        role: &principal.role_id,
    };
    tracing::info!(user = %principal.username, ?last_event_id, "event stream opened");
    state
        .agg
        .stream_events(filter, last_event_id, &caller)
        .await
}

/// `$filter`, percent-decoded; other query parameters are ignored (DSP0266), `only` and `$`
/// ones other than `$filter` are refused since they have no meaning on a stream.
fn filter_of(query: &str) -> Result<String, FrontendError> {
    let mut filter = String::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_encoding::percent_decode_str(key).decode_utf8_lossy();
        match key.as_ref() {
            "$filter" => {
                filter = percent_encoding::percent_decode_str(value)
                    .decode_utf8_lossy()
                    .into_owned();
            }
            k if k.starts_with('$') || k == "only" => {
                return Err(FrontendError::QueryUnsupported {
                    parameter: k.to_owned(),
                });
            }
            _ => {}
        }
    }
    Ok(filter)
}

fn streaming(
    state: &AppState,
    request_id: &str,
    frames: tonic::Streaming<EventFrame>,
) -> warp::reply::Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(CHANNEL_FRAMES);
    tokio::spawn(pump(frames, tx, state.sse_stop.clone()));
    let mut head = Response::new(StatusCode::OK, Bytes::new());
    head.header(
        "content-type",
        HeaderValue::from_static("text/event-stream"),
    );
    head.header("cache-control", HeaderValue::from_static("no-cache"));
    // nginx and similar proxies: do not buffer the stream.
    head.header("x-accel-buffering", HeaderValue::from_static("no"));
    let head = head.finish(request_id, false);
    let body = tokio_stream::wrappers::ReceiverStream::new(rx);
    let mut out = warp::reply::Reply::into_response(warp::reply::stream(body));
    *out.status_mut() = head.status;
    *out.headers_mut() = head.headers;
    out
}

/// Moves frames to the client until one side ends.
async fn pump(
    mut frames: tonic::Streaming<EventFrame>,
    tx: mpsc::Sender<Result<Bytes, Infallible>>,
    stop: CancellationToken,
) {
    // A first comment, so the client (and any proxy) sees the stream open at once.
    if tx
        .send(Ok(Bytes::from_static(b": stream open\n\n")))
        .await
        .is_err()
    {
        return;
    }
    loop {
        let chunk = tokio::select! {
            frame = frames.message() => match frame {
                Ok(Some(frame)) => encode(&frame),
                Ok(None) => break,
                Err(status) => {
                    tracing::info!(status = %status, "event stream ended by the aggregator");
                    break;
                }
            },
            () = tokio::time::sleep(KEEP_ALIVE) => Bytes::from_static(b": keep-alive\n\n"),
            () = tx.closed() => break,
            () = stop.cancelled() => break,
        };
        // Waits while the client reads slowly; gives up when it is gone.
        tokio::select! {
            sent = tx.send(Ok(chunk)) => if sent.is_err() { break },
            () = stop.cancelled() => break,
        }
    }
    tracing::debug!("event stream closed");
}

/// One SSE event: `id:`, a `data:` line per line of the payload, a blank line.
fn encode(frame: &EventFrame) -> Bytes {
    let mut out = format!("id: {}\n", frame.id).into_bytes();
    for line in frame.data.split(|b| *b == b'\n') {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.push(b'\n');
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_encoded_as_sse_events() {
        let frame = EventFrame {
            id: 42,
            data: Bytes::from_static(b"{\"a\":1}\n{\"b\":2}"),
        };
        assert_eq!(
            encode(&frame),
            Bytes::from_static(b"id: 42\ndata: {\"a\":1}\ndata: {\"b\":2}\n\n")
        );
    }

    #[test]
    fn only_filter_is_taken_from_the_query() {
        assert_eq!(
            filter_of("$filter=RegistryPrefix%20eq%20Base&x=1").ok(),
            Some("RegistryPrefix eq Base".to_owned())
        );
        assert_eq!(filter_of("").ok(), Some(String::new()));
        assert!(filter_of("$top=1").is_err());
    }
}
