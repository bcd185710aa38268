//! The Server-Sent Events stream at `ServerSentEventUri` (profiles with `Profile::has_sse`, not
//! under the `no_sse` or `no_event_service` quirks): every event the BMC emits goes to every
//! open stream as `id: N` + `data: <Event JSON>`; a client reconnecting with `Last-Event-ID`
//! first gets the events it missed that are still among the last [`KEPT`]; a `: keep-alive`
//! comment goes out every [`KEEP_ALIVE`] so a client can tell a quiet BMC from a dead one. A
//! stream ends when the BMC goes down, reboots or shuts down, or when the client goes away.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, Response, StatusCode};
use serde_json::Value;
use tokio::sync::broadcast;

use super::error::error_reply;
use crate::bmc::Bmc;
use crate::net::body::{ChanBody, SimBody};

/// Events kept for `Last-Event-ID` replay.
const KEPT: usize = 64;
/// Between two keep-alive comments on a quiet stream.
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(15);

type Frame = (u64, Arc<str>);

/// Fans events out to the open streams and keeps the last few for replay.
#[derive(Debug)]
pub(crate) struct SseHub {
    tx: broadcast::Sender<Frame>,
    recent: Mutex<VecDeque<Frame>>,
}

impl Default for SseHub {
    fn default() -> Self {
        SseHub {
            tx: broadcast::channel(KEPT).0,
            recent: Mutex::new(VecDeque::with_capacity(KEPT)),
        }
    }
}

impl SseHub {
    /// Sends one Event (payload with `Events`) with SSE id `id` to every open stream.
    pub(crate) fn send(&self, id: u64, event: &Value) {
        let frame: Frame = (id, Arc::from(event.to_string()));
        if let Ok(mut r) = self.recent.lock() {
            if r.len() == KEPT {
                r.pop_front();
            }
            r.push_back(frame.clone());
        }
        // No stream open is no error.
        let _ = self.tx.send(frame);
    }

    /// Forgets what was sent (a reboot: the BMC's memory is gone).
    pub(crate) fn clear(&self) {
        if let Ok(mut r) = self.recent.lock() {
            r.clear();
        }
    }

    fn since(&self, last: u64) -> Vec<Frame> {
        self.recent
            .lock()
            .map(|r| r.iter().filter(|(id, _)| *id > last).cloned().collect())
            .unwrap_or_default()
    }
}

fn frame_bytes((id, data): &Frame) -> Bytes {
    Bytes::from(format!("id: {id}\ndata: {data}\n\n"))
}

/// Answers a GET of the stream: 401 without valid credentials, else 200 `text/event-stream`
/// whose body runs until the stream ends.
pub(crate) fn open(bmc: &Arc<Bmc>, headers: &HeaderMap, path: &str) -> Response<SimBody> {
    if let Err(e) = crate::auth::authenticate(&mut bmc.state(), headers) {
        return crate::net::faults::shape(bmc, &crate::Fault::None, path, error_reply(&[e]));
    }
    let last: u64 = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    // Subscribed before the replay is read, so nothing falls between the two.
    let mut rx = bmc.sse.tx.subscribe();
    let replay = bmc.sse.since(last);
    let (tx, body) = ChanBody::open_ended();
    let stream_bmc = Arc::clone(bmc);
    bmc.tracker.spawn(async move {
        let bmc = stream_bmc;
        let mut sent = last;
        let mut down = bmc.down.subscribe();
        let mut restarts = bmc.web_restarts.subscribe();
        // An opening comment, so the client sees the stream is live before the first event.
        if tx
            .send(Ok(Bytes::from_static(b": stream open\n\n")))
            .await
            .is_err()
        {
            return;
        }
        for frame in replay {
            sent = frame.0;
            if tx.send(Ok(frame_bytes(&frame))).await.is_err() {
                return;
            }
        }
        let mut tick =
            tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
        loop {
            let chunk = tokio::select! {
                got = rx.recv() => match got {
                    Ok(frame) if frame.0 > sent => {
                        sent = frame.0;
                        frame_bytes(&frame)
                    }
                    Ok(_) => continue,
                    // A reader too slow for the hub: end the stream; it reconnects with its
                    // Last-Event-ID and gets what is still kept.
                    Err(_) => return,
                },
                _ = tick.tick() => Bytes::from_static(b": keep-alive\n\n"),
                _ = down.wait_for(|d| *d) => return,
                _ = restarts.changed() => return,
                _ = bmc.cancel.cancelled() => return,
            };
            if tx.send(Ok(chunk)).await.is_err() {
                return;
            }
        }
    });
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("odata-version", HeaderValue::from_static("4.0"));
    response
}
