//! The aggregate's `MultipartHttpPushUri` (DSP0266 "Multipart HTTP push update"): a client POSTs
//! `multipart/form-data` with an `UpdateParameters` part (JSON: `Targets` naming aggregated
//! resources of many BMCs) and then an `UpdateFile` part (the image). The image is never held:
//! it arrives as a stream ([`BodyStream`]) and each piece is handed to every targeted BMC's own
//! push URI at once, in a multipart body built for that BMC (its own `Targets`).
//!
//! - Everything is checked before any byte goes to any BMC: the parts' order (parameters first,
//!   or nothing could be checked before the image streams), every target an aggregated resource
//!   of a BMC whose UpdateService has a `MultipartHttpPushUri`. A BMC that cannot be asked (down,
//!   its UpdateService failing) is no bad input: it gets its failure in the Task, the others go on.
//! - Memory is [`BUFFERED_CHUNKS`] pieces per BMC whatever the image size. The stream moves at the
//!   pace of the slowest BMC; one that takes nothing for the BMC request timeout is cut off (its
//!   upload aborted, so it never sees a complete image) and the others continue.
//! - One local Task: a `TaskProgressChanged` message per BMC (bytes sent, percent) while the image
//!   streams, then each BMC's result (its own task, localized, or its error); it ends when every
//!   BMC has answered. The reply (202 and the Task) comes once the client's body is consumed.

use super::update::{self, SERVICE_URI, bmc_outcome};
use crate::AppState;
use crate::bmc_client::{BmcReply, RequestBody};
use crate::error::AggError;
use crate::exchange::{Exchange, Reply};
use crate::inventory::BmcEntry;
use crate::rack::reset::{Element, Job, Pace, start_job};
use bytes::Bytes;
use futures_util::future::join_all;
use futures_util::stream::{self, BoxStream};
use futures_util::{FutureExt, StreamExt, TryStreamExt};
use http::{HeaderName, HeaderValue, Method};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use redfish::events::EventMessage;
use redfish::messages::Message;
use serde_json::{Map, Value, json};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub const PUSH_URI: &str = redfish::odata::MULTIPART_PUSH_URI;
/// Pieces of the image buffered per BMC: how far one BMC may lag before the stream waits for it.
pub const BUFFERED_CHUNKS: usize = 4;
const MAX_PARAMETERS: u64 = 64 * 1024;
/// What `UpdateParameters` may hold (UpdateService v1_11); anything else is refused rather than
/// passed to BMCs that may not know it.
const PARAMETERS: &[&str] = &[
    "Targets",
    "@Redfish.OperationApplyTime",
    "ForceUpdate",
    "Oem",
];
/// How often the Task's progress messages are rewritten while the image streams.
const REPORT_EVERY: Duration = Duration::from_secs(1);

/// The request body as it arrives.
pub type BodyStream = BoxStream<'static, Result<Bytes, io::Error>>;

fn bad(message: Message) -> AggError {
    AggError::BadRequest { message }
}

/// The body broke off or is no well-formed multipart: nothing complete reached any BMC.
fn unreadable(e: &multer::Error) -> AggError {
    tracing::info!(error = %e, "multipart push body unreadable");
    bad(Message::unrecognized_request_body())
}

/// POST to [`PUSH_URI`].
pub async fn serve(state: &AppState, ex: &Exchange, body: BodyStream) -> Result<Reply, AggError> {
    if ex.method != Method::POST {
        return Err(AggError::MethodNotAllowed {
            path: ex.path.clone(),
            allow: "POST",
        });
    }
    let content_type = ex.header("content-type").unwrap_or("");
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        bad(Message::header_invalid(&format!(
            "Content-Type: {content_type}"
        )))
    })?;
    let limits = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().for_field("UpdateParameters", MAX_PARAMETERS));
    let mut multipart = multer::Multipart::with_constraints(body, boundary, limits);
    let parameters = update_parameters(&mut multipart).await?;
    let plans = plan(state, &parameters).await?;
    let mut file = match multipart.next_field().await.map_err(|e| unreadable(&e))? {
        Some(f) if f.name() == Some("UpdateFile") => f,
        Some(f) => {
            return Err(bad(Message::property_unknown(
                f.name().unwrap_or("(unnamed part)"),
            )));
        }
        None => return Err(bad(Message::property_missing("UpdateFile"))),
    };
    let file_name = file
        .file_name()
        .map(|n| n.replace(['"', '\r', '\n', '\\'], "_"))
        .unwrap_or_else(|| "image.bin".to_owned());
    let bmcs: Vec<&str> = plans.iter().map(|p| p.bmc.id.as_str()).collect();
    tracing::info!(user = %ex.user, ?bmcs, file = %file_name, "multipart push requested");

    let mut feeds = Vec::new();
    let mut elements = Vec::new();
    for plan in plans {
        let (feed, element) = start_upload(state, plan, &parameters, &file_name)?;
        feeds.extend(feed);
        elements.push(element);
    }
    let job = Job {
        name: format!("Multipart firmware push to {} servers", elements.len()),
        origin: SERVICE_URI.to_owned(),
        user: ex.user.clone(),
        what: "MultipartHttpPush".to_owned(),
        // Every BMC's upload runs at once (they share one stream); the elements only wait.
        pace: Pace {
            batch: elements.len().max(1),
            delay: Duration::ZERO,
        },
        elements,
    };
    let id = start_job(
        state.inventory.clone(),
        state.rack.clone(),
        &state.tracker,
        job,
    )
    .await?;
    let declared = ex
        .header("content-length")
        .and_then(|v| v.parse::<u64>().ok());
    let progress = Progress {
        state,
        task: &id,
        declared,
    };
    let stall = state.limits.request_timeout;
    let mut last_report = Instant::now();
    progress.report(&feeds).await;
    loop {
        let chunk = match file.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            // Dropping the feeds aborts every upload: no BMC sees a complete image.
            Err(e) => return Err(unreadable(&e)),
        };
        join_all(feeds.iter_mut().map(|f| f.push(chunk.clone(), stall))).await;
        if last_report.elapsed() >= REPORT_EVERY {
            progress.report(&feeds).await;
            last_report = Instant::now();
        }
    }
    drop(file);
    // Parts after the image (OEM ones) are read and ignored; the body must still end well.
    while let Some(mut field) = multipart.next_field().await.map_err(|e| unreadable(&e))? {
        while field.chunk().await.map_err(|e| unreadable(&e))?.is_some() {}
    }
    join_all(feeds.iter_mut().map(|f| f.finish(stall))).await;
    progress.report(&feeds).await;
    super::tasks::accepted(state, &id)
}

/// The first part, parsed and checked.
async fn update_parameters(
    multipart: &mut multer::Multipart<'static>,
) -> Result<Map<String, Value>, AggError> {
    let field = match multipart.next_field().await.map_err(|e| unreadable(&e))? {
        Some(f) if f.name() == Some("UpdateParameters") => f,
        // The image first: nothing could be checked before it streams to the BMCs.
        Some(_) | None => return Err(bad(Message::property_missing("UpdateParameters"))),
    };
    let bytes = field.bytes().await.map_err(|e| unreadable(&e))?;
    let Ok(Value::Object(parameters)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(bad(Message::malformed_json()));
    };
    if let Some(unknown) = parameters
        .keys()
        .find(|k| !PARAMETERS.contains(&k.as_str()))
    {
        return Err(bad(Message::property_unknown(unknown)));
    }
    match parameters.get("Targets") {
        // A push to every BMC of a rack is too dangerous to be the default.
        None => return Err(bad(Message::property_missing("Targets"))),
        Some(Value::Array(t)) if !t.is_empty() && t.iter().all(Value::is_string) => {}
        Some(other) => {
            return Err(bad(Message::property_value_type_error(
                &other.to_string(),
                "Targets",
            )));
        }
    }
    Ok(parameters)
}

/// One BMC's share: its own targets, and where it takes pushes (or why it cannot be asked).
struct Plan {
    bmc: Arc<BmcEntry>,
    targets: Vec<String>,
    push_uri: Result<String, AggError>,
}

/// Groups the targets by BMC (in the order they name them) and asks each BMC's UpdateService for
/// its push URI, all at once. A bad target, or a BMC without a push URI, refuses the request.
async fn plan(state: &AppState, parameters: &Map<String, Value>) -> Result<Vec<Plan>, AggError> {
    let targets = parameters["Targets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut groups: Vec<(Arc<BmcEntry>, Vec<String>)> = Vec::new();
    for target in targets.iter().filter_map(Value::as_str) {
        let (bmc, own) = update::own_uri(&state.inventory, target)
            .ok_or_else(|| bad(Message::property_value_not_in_list(target, "Targets")))?;
        match groups.iter_mut().find(|(b, _)| b.id == bmc.id) {
            Some((_, uris)) => uris.push(own),
            None => groups.push((bmc, vec![own])),
        }
    }
    let plans = join_all(groups.into_iter().map(|(bmc, targets)| async move {
        let push_uri = push_uri_of(&bmc).await;
        Plan {
            bmc,
            targets,
            push_uri,
        }
    }))
    .await;
    if let Some(plan) = plans
        .iter()
        .find(|p| matches!(&p.push_uri, Ok(u) if u.is_empty()))
    {
        tracing::info!(bmc = %plan.bmc.id, "multipart push refused: the BMC has no MultipartHttpPushUri");
        let first = targets
            .iter()
            .filter_map(Value::as_str)
            .find(|t| {
                update::own_uri(&state.inventory, t).is_some_and(|(b, _)| b.id == plan.bmc.id)
            })
            .unwrap_or_default();
        return Err(bad(Message::property_value_not_in_list(first, "Targets")));
    }
    Ok(plans)
}

/// The BMC's own push URI (relative to it); empty when its UpdateService advertises none.
async fn push_uri_of(bmc: &BmcEntry) -> Result<String, AggError> {
    let service = bmc
        .client
        .send(Method::GET, SERVICE_URI, &[], Bytes::new())
        .await?;
    if !service.status.is_success() {
        return Err(AggError::BmcBadReply {
            bmc: bmc.id.to_string(),
            reason: format!(
                "its UpdateService answered HTTP {}",
                service.status.as_u16()
            ),
        });
    }
    let advertised = serde_json::from_slice::<Value>(&service.body)
        .ok()
        .and_then(|v| v["MultipartHttpPushUri"].as_str().map(str::to_owned))
        .unwrap_or_default();
    Ok(bmc
        .ctx()
        .relative(&advertised)
        .unwrap_or(&advertised)
        .to_owned())
}

/// Starts one BMC's upload (waiting for the image's first piece) and returns the feed that
/// hands it the pieces, and its Task element. A BMC that could not be asked gets no feed.
fn start_upload(
    state: &AppState,
    plan: Plan,
    parameters: &Map<String, Value>,
    file_name: &str,
) -> Result<(Option<Feed>, Element), AggError> {
    let Plan {
        bmc,
        targets,
        push_uri,
    } = plan;
    let push_uri = match push_uri {
        Ok(uri) => uri,
        Err(e) => {
            let element = async move { bmc_outcome(&bmc, Err(e)) }.boxed();
            return Ok((None, element));
        }
    };
    let mut own = parameters.clone();
    own.insert("Targets".into(), json!(targets));
    let own = serde_json::to_vec(&own)
        .map_err(|e| AggError::Internal(format!("serializing UpdateParameters: {e}")))?;
    let boundary = format!("reddrum-{}", uuid::Uuid::new_v4().simple());
    let prefix = Bytes::from(
        [
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"UpdateParameters\"\r\nContent-Type: application/json\r\n\r\n"
            )
            .into_bytes(),
            own,
            format!(
                "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"UpdateFile\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .into_bytes(),
        ]
        .concat(),
    );
    let content_type = HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}"))
        .map_err(|e| AggError::Internal(format!("content type: {e}")))?;
    let (tx, rx) = mpsc::channel(BUFFERED_CHUNKS);
    let cancel = CancellationToken::new();
    let body = upload_body(prefix, rx, cancel.clone());
    let upload_bmc = bmc.clone();
    let upload = state.tracker.spawn(async move {
        let headers = [(HeaderName::from_static("content-type"), content_type)];
        upload_bmc
            .client
            .send_streaming(Method::POST, &push_uri, &headers, body)
            .await
    });
    let feed = Feed {
        bmc: bmc.id.to_string(),
        tx: Some(tx),
        cancel,
        sent: 0,
        upload: Upload::Sending,
        suffix: Bytes::from(format!("\r\n--{boundary}--\r\n")),
    };
    let element = async move {
        let answer: Result<BmcReply, AggError> = upload
            .await
            .unwrap_or_else(|e| Err(AggError::Internal(format!("upload task: {e}"))));
        bmc_outcome(&bmc, answer)
    }
    .boxed();
    Ok((Some(feed), element))
}

/// The body one BMC receives: its own head, the image pieces as they are fed, and an error (so
/// the request is aborted, not ended) once the feed is cut off.
fn upload_body(prefix: Bytes, rx: mpsc::Receiver<Bytes>, cancel: CancellationToken) -> RequestBody {
    let pieces = stream::unfold((rx, cancel), |(mut rx, cancel)| async move {
        tokio::select! {
            biased;
            () = cancel.cancelled() => Some((Err(io::Error::other("the upload was cut off")), (rx, cancel))),
            piece = rx.recv() => piece.map(|p| (Ok(p), (rx, cancel))),
        }
    });
    let frames = stream::once(async move { Ok(prefix) })
        .chain(pieces)
        .map_ok(Frame::data);
    StreamBody::new(frames).boxed_unsync()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Upload {
    Sending,
    /// The whole image was handed over; the BMC's answer is its Task element.
    Sent,
    /// The BMC took nothing for the stall timeout: its upload was aborted.
    CutOff,
    /// The BMC ended the upload itself (answered early, or its connection failed).
    Stopped,
}

impl Upload {
    fn as_str(self) -> &'static str {
        match self {
            Upload::Sending => "Sending",
            Upload::Sent => "Sent",
            Upload::CutOff => "CutOff",
            Upload::Stopped => "Stopped",
        }
    }
}

/// Hands the image's pieces to one BMC's upload.
struct Feed {
    bmc: String,
    tx: Option<mpsc::Sender<Bytes>>,
    cancel: CancellationToken,
    sent: u64,
    upload: Upload,
    /// The closing boundary, sent once the whole image was.
    suffix: Bytes,
}

impl Feed {
    async fn push(&mut self, piece: Bytes, stall: Duration) {
        let Some(tx) = &self.tx else { return };
        let n = piece.len() as u64;
        match tokio::time::timeout(stall, tx.send(piece)).await {
            Ok(Ok(())) => self.sent += n,
            Ok(Err(_)) => {
                self.tx = None;
                self.upload = Upload::Stopped;
            }
            Err(_) => {
                tracing::warn!(bmc = %self.bmc, after = ?stall, sent = self.sent, "multipart push: the BMC took nothing; cut off");
                self.tx = None;
                self.cancel.cancel();
                self.upload = Upload::CutOff;
            }
        }
    }

    /// Sends the closing boundary and ends the body.
    async fn finish(&mut self, stall: Duration) {
        let suffix = self.suffix.clone();
        let sent = self.sent;
        self.push(suffix, stall).await;
        if self.tx.take().is_some() {
            self.sent = sent;
            self.upload = Upload::Sent;
        }
    }
}

impl Drop for Feed {
    /// A feed dropped before it finished (the client's body broke off) aborts its upload.
    fn drop(&mut self) {
        if self.tx.is_some() {
            self.cancel.cancel();
        }
    }
}

/// Rewrites the Task's per-BMC progress messages.
struct Progress<'a> {
    state: &'a AppState,
    task: &'a str,
    /// The client's Content-Length: the image's size give or take the multipart framing.
    declared: Option<u64>,
}

impl Progress<'_> {
    async fn report(&self, feeds: &[Feed]) {
        let percent = |sent: u64| match (self.declared, sent) {
            (_, 0) => 0,
            (Some(total), sent) if total > 0 => (sent.saturating_mul(100) / total).min(100),
            _ => 0,
        };
        let messages: Vec<Value> = feeds
            .iter()
            .map(|f| {
                let done = if f.upload == Upload::Sent {
                    100
                } else {
                    percent(f.sent)
                };
                let mut m = EventMessage::task_progress_changed(self.task, done).to_message_json();
                m["Oem"]["RedDrum"] = json!({
                    "Bmc": f.bmc,
                    "BytesSent": f.sent,
                    "Upload": f.upload.as_str(),
                });
                m
            })
            .collect();
        let overall = feeds
            .iter()
            .filter(|f| f.upload == Upload::Sending)
            .map(|f| percent(f.sent))
            .min();
        let keep = self.state.rack.settings().manager.max_tasks;
        self.state
            .rack
            .tasks
            .update(self.task, keep, |body| {
                let Some(list) = body["Messages"].as_array_mut() else {
                    return;
                };
                for m in messages {
                    let same = |x: &Value| {
                        x["MessageId"] == m["MessageId"]
                            && x["Oem"]["RedDrum"]["Bmc"] == m["Oem"]["RedDrum"]["Bmc"]
                    };
                    match list.iter_mut().find(|x| same(x)) {
                        Some(x) => *x = m,
                        None => list.push(m),
                    }
                }
                // Streaming is most of the work; the BMCs' answers move it the rest.
                if let Some(p) = overall
                    && crate::rack::tasks::is_running(body)
                {
                    body["PercentComplete"] = (p * 9 / 10).into();
                }
            })
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Part<'a> = (&'a str, &'a [u8]);

    fn body(parts: &[Part]) -> (String, BodyStream) {
        let mut out = Vec::new();
        for (name, data) in parts {
            out.extend_from_slice(
                format!("--B\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                    .as_bytes(),
            );
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--B--\r\n");
        // In small pieces, as a network delivers it.
        let pieces: Vec<Result<Bytes, io::Error>> = out
            .chunks(7)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        (
            "multipart/form-data; boundary=B".into(),
            stream::iter(pieces).boxed(),
        )
    }

    async fn parameters_of(parts: &[Part<'_>]) -> Result<Map<String, Value>, String> {
        let (ct, body) = body(parts);
        let boundary = multer::parse_boundary(ct).map_err(|e| e.to_string())?;
        let mut m = multer::Multipart::new(body, boundary);
        update_parameters(&mut m).await.map_err(|e| match e {
            AggError::BadRequest { message } => message.key().to_owned(),
            other => other.to_string(),
        })
    }

    #[tokio::test]
    async fn update_parameters_come_first_and_name_targets() {
        let ok = parameters_of(&[
            (
                "UpdateParameters",
                br#"{"Targets":["/redfish/v1/Systems/s1-1"]}"#,
            ),
            ("UpdateFile", b"image"),
        ])
        .await;
        assert_eq!(
            ok.expect("ok")["Targets"],
            json!(["/redfish/v1/Systems/s1-1"])
        );
        let refused: &[(&[Part], &str)] = &[
            (
                &[("UpdateFile", b"image"), ("UpdateParameters", b"{}")],
                "PropertyMissing",
            ),
            (&[("UpdateParameters", b"{")], "MalformedJSON"),
            (&[("UpdateParameters", b"{}")], "PropertyMissing"),
            (
                &[("UpdateParameters", br#"{"Targets":[]}"#)],
                "PropertyValueTypeError",
            ),
            (
                &[("UpdateParameters", br#"{"Targets":["/a"],"Stage":true}"#)],
                "PropertyUnknown",
            ),
        ];
        for (parts, key) in refused {
            let got = parameters_of(parts).await.expect_err("refused");
            assert_eq!(&got, key, "{parts:?}");
        }
    }

    #[tokio::test]
    async fn a_cut_off_upload_ends_in_an_error_not_a_short_image() {
        let (tx, rx) = mpsc::channel(BUFFERED_CHUNKS);
        let cancel = CancellationToken::new();
        let body = upload_body(Bytes::from_static(b"head"), rx, cancel.clone());
        tx.send(Bytes::from_static(b"piece")).await.expect("send");
        cancel.cancel();
        let mut frames = Vec::new();
        let mut body = std::pin::pin!(body);
        while let Some(frame) = body.frame().await {
            let failed = frame.is_err();
            frames.push(
                frame
                    .map(|f| f.into_data().unwrap_or_default())
                    .map_err(|e| e.to_string()),
            );
            if failed {
                break;
            }
        }
        assert_eq!(frames[0].as_deref().ok(), Some(&b"head"[..]));
        assert!(frames.last().is_some_and(Result::is_err), "{frames:?}");
    }
}
