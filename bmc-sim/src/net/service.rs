//! One HTTP request: read the body, record it, apply pre-response faults, answer.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use rand::Rng;

use super::body::{SimBody, full};
use super::faults;
use crate::bmc::Bmc;
use crate::record::RecordedRequest;
use crate::redfish::{self, Req};
use crate::{Fault, control};

/// Largest request body accepted.
const MAX_BODY: usize = 1 << 20;

/// Serves one request. An `Err` makes hyper drop the connection (used by `Down` and `Hang`).
pub(crate) async fn serve(bmc: Arc<Bmc>, req: Request<Incoming>) -> io::Result<Response<SimBody>> {
    let (parts, body) = req.into_parts();
    // A firmware image is streamed, never held: the push URI reads its own body.
    if parts.method == hyper::Method::POST
        && parts.uri.path().trim_end_matches('/') == crate::tree::services::MULTIPART_PUSH
    {
        return super::push::serve(bmc, parts, body).await;
    }
    let bytes = match Limited::new(body, MAX_BODY).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => {
            return Ok(Response::builder()
                .status(StatusCode::PAYLOAD_TOO_LARGE)
                .body(full(Default::default()))
                .unwrap_or_default());
        }
    };
    let path = parts.uri.path();
    if path == "/sim" || path.starts_with("/sim/") {
        return Ok(control::handle(
            &bmc,
            &parts.method,
            path,
            parts.uri.query(),
            &bytes,
        ));
    }
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| path.to_string());
    bmc.recorder.push(RecordedRequest {
        method: parts.method.to_string(),
        path: path_and_query,
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: bytes.clone(),
    });
    let req = Req::new(
        parts.method.clone(),
        path,
        parts.uri.query(),
        parts.headers,
        bytes,
    );
    let applied = bmc.applied_fault(&req.raw_path);
    match &applied.fault {
        Fault::Down => return Err(io::Error::other("simulated BMC is down")),
        Fault::Hang => {
            hang(&bmc, &req.raw_path, applied.generation).await;
            return Err(io::Error::other("simulated hang ended"));
        }
        Fault::Delay {
            fixed_ms,
            jitter_ms,
        } => {
            let extra = if *jitter_ms > 0 {
                rand::rng().random_range(0..=*jitter_ms)
            } else {
                0
            };
            tokio::time::sleep(Duration::from_millis(fixed_ms.saturating_add(extra))).await;
        }
        Fault::None
        | Fault::Status { .. }
        | Fault::ResetMidBody
        | Fault::Garbage
        | Fault::TruncatedJson
        | Fault::SlowDrip { .. } => {}
    }
    if req.method == hyper::Method::GET
        && req.path == crate::tree::services::SSE
        && bmc.serves_sse()
    {
        return Ok(redfish::sse::open(&bmc, &req.headers, &req.raw_path));
    }
    // Handlers are synchronous and short; they may spawn owned tasks (events, task timers).
    let reply = redfish::handle(&bmc, &req);
    tracing::debug!(
        bmc = %bmc.id,
        method = %req.method,
        path = %req.path,
        status = reply.status.as_u16(),
        "request"
    );
    Ok(faults::shape(&bmc, &applied.fault, &req.raw_path, reply))
}

/// Never answers; returns (and the connection is dropped) once the fault governing `path` is no
/// longer the setting of `generation` (the BMC-wide fault or the path rule changed, a rule that
/// now covers the path was added or removed), or at shutdown. Other paths are unaffected.
pub(super) async fn hang(bmc: &Bmc, path: &str, generation: u64) {
    // Subscribed before the first check, so a change right after the check still wakes us.
    let mut changes = bmc.fault_changes.subscribe();
    while bmc.applied_fault(path).generation == generation {
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return },
            _ = bmc.cancel.cancelled() => return,
        }
    }
}
