//! Faults that change the response itself (status, body corruption, resets, slow drip).

use std::io;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::Response;
use rand::Rng;

use super::body::{ChanBody, SimBody, full};
use crate::Fault;
use crate::bmc::Bmc;
use crate::redfish::error::{ApiError, error_reply};
use crate::redfish::reply::{JSON_CT, Reply};

/// Turns the reply to a request for `path` into a response, shaped by the fault applying to it.
pub(crate) fn shape(bmc: &Bmc, fault: &Fault, path: &str, reply: Reply) -> Response<SimBody> {
    match fault {
        Fault::None | Fault::Delay { .. } | Fault::Down | Fault::Hang => plain(reply),
        Fault::Status { code, redfish_body } => {
            // An injected 404 reads like a real one (ResourceNotFound naming the resource), since
            // clients tell "absent" from "broken" by it.
            let err = match code {
                404 => ApiError::NotFound {
                    path: path.to_string(),
                },
                _ => ApiError::Injected { code: *code },
            };
            let mut r = if *redfish_body {
                error_reply(std::slice::from_ref(&err))
            } else {
                Reply::empty(err.status())
            };
            r.status = err.status();
            plain(r)
        }
        Fault::Garbage => {
            let mut rng = rand::rng();
            let mut bytes = b"}\x00<html>garbage ".to_vec();
            bytes.extend((0..64).map(|_| rng.random_range(0x20u8..0x7f)));
            plain(json_reply(reply, Bytes::from(bytes)))
        }
        Fault::TruncatedJson => {
            let body = if reply.body.len() >= 2 {
                reply.body.slice(..reply.body.len() / 2)
            } else {
                Bytes::from_static(b"{\"@odata.id\": \"/redfish/v1")
            };
            plain(json_reply(reply, body))
        }
        Fault::ResetMidBody => {
            let announced = reply.body.len().max(64);
            let half = reply.body.slice(..reply.body.len() / 2);
            let (tx, body) = ChanBody::channel(announced as u64);
            bmc.tracker.spawn(async move {
                if !half.is_empty() {
                    let _ = tx.send(Ok(half)).await;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
                let _ = tx
                    .send(Err(io::Error::other("simulated reset mid-body")))
                    .await;
            });
            streamed(reply, announced, body)
        }
        Fault::SlowDrip { bytes_per_sec } => {
            let len = reply.body.len();
            let (tx, body) = ChanBody::channel(len as u64);
            let data = reply.body.clone();
            let bps = u64::from((*bytes_per_sec).max(1));
            let (chunk, pause) = if bps >= 10 {
                ((bps / 10) as usize, Duration::from_millis(100))
            } else {
                (1, Duration::from_millis(1000 / bps))
            };
            let cancel = bmc.cancel.clone();
            bmc.tracker.spawn(async move {
                let mut at = 0;
                while at < data.len() {
                    let end = (at + chunk).min(data.len());
                    if tx.send(Ok(data.slice(at..end))).await.is_err() {
                        return;
                    }
                    at = end;
                    if at < data.len() {
                        tokio::select! {
                            _ = tokio::time::sleep(pause) => {}
                            _ = cancel.cancelled() => return,
                        }
                    }
                }
            });
            streamed(reply, len, body)
        }
    }
}

fn json_reply(mut reply: Reply, body: Bytes) -> Reply {
    reply.status = http::StatusCode::OK;
    reply
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CT));
    reply.body = body;
    reply
}

fn plain(reply: Reply) -> Response<SimBody> {
    let mut resp = Response::new(full(reply.body));
    *resp.status_mut() = reply.status;
    *resp.headers_mut() = reply.headers;
    resp
}

fn streamed(reply: Reply, len: usize, body: SimBody) -> Response<SimBody> {
    let mut resp = Response::new(body);
    *resp.status_mut() = reply.status;
    *resp.headers_mut() = reply.headers;
    resp.headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(len as u64));
    resp
}
