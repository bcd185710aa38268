//! The MultipartHttpPushUri, read as a stream: authenticated before any byte is read, the
//! `UpdateParameters` part parsed, the `UpdateFile` part counted and hashed piece by piece (a
//! firmware image of any size costs a few buffers), what arrived recorded, then 202 and a task.
//! `PushFault` makes it reset midway, refuse, or read slowly.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::TryStreamExt;
use http::request::Parts;
use http_body_util::BodyStream;
use hyper::Response;
use hyper::body::Incoming;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::body::SimBody;
use super::faults;
use crate::Fault;
use crate::bmc::Bmc;
use crate::push::PushRecord;
use crate::record::RecordedRequest;
use crate::redfish::error::ApiError;
use crate::redfish::{self, Req};

/// Largest `UpdateParameters` part accepted.
const MAX_PARAMETERS: u64 = 64 * 1024;

/// Serves a POST to the push URI; an `Err` drops the connection (a simulated reset, `Down`,
/// `Hang`).
pub(crate) async fn serve(
    bmc: Arc<Bmc>,
    parts: Parts,
    body: Incoming,
) -> io::Result<Response<SimBody>> {
    let path = parts.uri.path().trim_end_matches('/').to_string();
    let applied = bmc.applied_fault(&path);
    match &applied.fault {
        Fault::Down => return Err(io::Error::other("simulated BMC is down")),
        Fault::Hang => {
            super::service::hang(&bmc, &path, applied.generation).await;
            return Err(io::Error::other("simulated hang ended"));
        }
        Fault::Delay {
            fixed_ms,
            jitter_ms,
        } => {
            let extra = if *jitter_ms > 0 {
                rand::Rng::random_range(&mut rand::rng(), 0..=*jitter_ms)
            } else {
                0
            };
            let wait = fixed_ms.saturating_add(extra);
            tokio::time::sleep(Duration::from_millis(wait)).await;
        }
        _ => {}
    }
    let mut errors = Vec::new();
    let mut parameters = Bytes::new();
    if let Err(e) = redfish::authenticate(&bmc, &parts.headers) {
        errors.push(e);
    } else {
        match receive(&bmc, &parts, body).await? {
            Ok(record) => {
                parameters = Bytes::from(record.parameters.to_string());
                bmc.pushes.record(record);
                // Polled: a test clears it once it has seen the sender wait.
                while bmc.pushes.fault().hold_answer && !bmc.cancel.is_cancelled() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                if let Some(code) = bmc.pushes.fault().status {
                    errors.push(ApiError::Injected { code });
                }
            }
            Err(e) => errors.push(e),
        }
    }
    bmc.recorder.push(RecordedRequest {
        method: parts.method.to_string(),
        path: path.clone(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        // The parameters only: the image is never kept.
        body: parameters.clone(),
    });
    let req = Req::new(parts.method, &path, None, parts.headers, parameters);
    let reply = redfish::push_reply(&bmc, &req, errors);
    Ok(faults::shape(&bmc, &applied.fault, &req.raw_path, reply))
}

/// Reads the multipart body: `Ok(Err)` is a bad request, `Err` a body that broke off (recorded as
/// incomplete; the connection is then dropped).
async fn receive(
    bmc: &Bmc,
    parts: &Parts,
    body: Incoming,
) -> io::Result<Result<PushRecord, ApiError>> {
    let content_type = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return Ok(Err(ApiError::PropertyValueFormat {
            value: content_type.to_string(),
            prop: "Content-Type".into(),
        }));
    };
    let fault = bmc.pushes.fault();
    let stream = BodyStream::new(body)
        .try_filter_map(|frame| std::future::ready(Ok(frame.into_data().ok())))
        .map_err(io::Error::other);
    let limits = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().for_field("UpdateParameters", MAX_PARAMETERS));
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, limits);
    let mut record = PushRecord::default();
    let mut hasher = Sha256::new();
    let mut saw_file = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return broke_off(bmc, record, hasher, e),
        };
        match field.name() {
            Some("UpdateParameters") => {
                let bytes = match field.bytes().await {
                    Ok(b) => b,
                    Err(e) => return broke_off(bmc, record, hasher, e),
                };
                let Ok(value) = serde_json::from_slice::<Value>(&bytes) else {
                    return Ok(Err(ApiError::MalformedJson));
                };
                record.targets = value["Targets"]
                    .as_array()
                    .map(|t| {
                        t.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                record.parameters = value;
            }
            Some("UpdateFile") => {
                saw_file = true;
                let mut field = field;
                loop {
                    let chunk = match field.chunk().await {
                        Ok(Some(c)) => c,
                        Ok(None) => break,
                        Err(e) => return broke_off(bmc, record, hasher, e),
                    };
                    hasher.update(&chunk);
                    record.bytes += chunk.len() as u64;
                    if fault.reset_after_bytes.is_some_and(|n| record.bytes >= n) {
                        return broke_off(bmc, record, hasher, "reset_after_bytes");
                    }
                    if fault.delay_ms_per_chunk > 0 {
                        tokio::time::sleep(Duration::from_millis(fault.delay_ms_per_chunk)).await;
                    }
                }
            }
            // Other parts (OEM ones) are read and ignored.
            _ => {
                let mut field = field;
                while let Some(_chunk) = field.chunk().await.map_err(io::Error::other)? {}
            }
        }
    }
    if !saw_file {
        return Ok(Err(ApiError::PropertyMissing("UpdateFile".into())));
    }
    record.sha256 = hex(&hasher.finalize());
    record.complete = true;
    tracing::info!(bmc = %bmc.id, bytes = record.bytes, targets = ?record.targets, "multipart push received");
    Ok(Ok(record))
}

/// Records what arrived before the body broke off and ends the connection.
fn broke_off(
    bmc: &Bmc,
    mut record: PushRecord,
    hasher: Sha256,
    why: impl std::fmt::Display,
) -> io::Result<Result<PushRecord, ApiError>> {
    record.sha256 = hex(&hasher.finalize());
    tracing::info!(bmc = %bmc.id, bytes = record.bytes, %why, "multipart push broke off");
    bmc.pushes.record(record);
    Err(io::Error::other(format!("push broke off: {why}")))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
