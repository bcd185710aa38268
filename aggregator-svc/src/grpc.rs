//! The tonic service: the one conversion between proto messages and the aggregator's own types.
//! Handlers stay thin: convert, dispatch, convert back.

use crate::AppState;
use crate::dispatch::dispatch;
use crate::error::AggError;
use crate::exchange::{Exchange, Reply};
use http::{HeaderName, HeaderValue, Method};
use proto::metadata;
use proto::v1::aggregator_server::Aggregator;
use proto::v1::{
    AuditAck, AuditBatch, AuditRecord, DescribeReply, DescribeRequest, EventFrame,
    EventStreamRequest, Header, Link, RedfishRequest, RedfishRequestChunk, RedfishResponse,
};
use std::sync::Arc;
use tonic::{Request, Response, Status};
use tracing::Instrument;

pub struct AggregatorService {
    state: Arc<AppState>,
}

impl AggregatorService {
    pub fn new(state: Arc<AppState>) -> Self {
        AggregatorService { state }
    }
}

fn meta(request: &tonic::metadata::MetadataMap, key: &str) -> String {
    request
        .get(key)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

fn to_exchange(request: Request<RedfishRequest>) -> Result<Exchange, AggError> {
    let user = meta(request.metadata(), metadata::USER);
    exchange_of(request.into_inner(), user)
}

fn exchange_of(r: RedfishRequest, user: String) -> Result<Exchange, AggError> {
    let method = Method::from_bytes(r.method.as_bytes())
        .map_err(|_| AggError::Internal(format!("bad method {:?}", r.method)))?;
    let headers = r
        .headers
        .into_iter()
        .filter_map(|h| {
            let name = HeaderName::from_bytes(h.name.as_bytes()).ok()?;
            let value = HeaderValue::from_bytes(&h.value).ok()?;
            Some((name, value))
        })
        .collect();
    Ok(Exchange {
        method,
        path: r.path,
        query: r.query,
        headers,
        body: r.body,
        user,
    })
}

fn to_response(reply: Reply) -> RedfishResponse {
    RedfishResponse {
        status: u32::from(reply.status),
        headers: reply
            .headers
            .into_iter()
            .map(|(n, v)| Header {
                name: n.as_str().to_owned(),
                value: bytes::Bytes::copy_from_slice(v.as_bytes()),
            })
            .collect(),
        body: reply.body,
    }
}

fn to_audit(r: AuditRecord) -> crate::store::NewAudit {
    crate::store::AuditRow {
        id: 0,
        created: r.time,
        request_id: r.request_id,
        user: r.user,
        client: r.client,
        method: r.method,
        uri: r.uri,
        bmc: r.bmc,
        status: u16::try_from(r.status).unwrap_or(0),
    }
}

/// One SSE stream's frames; dropped (the frontend's client went away) it frees its ring reader.
type EventFrames =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<EventFrame, Status>> + Send>>;

#[tonic::async_trait]
impl Aggregator for AggregatorService {
    type StreamEventsStream = EventFrames;

    async fn stream_events(
        &self,
        request: Request<EventStreamRequest>,
    ) -> Result<Response<EventFrames>, Status> {
        let r = request.into_inner();
        let events = self
            .state
            .events
            .open_stream(&r.filter, r.last_event_id)
            .map_err(AggError::into_status)?;
        let frames = futures_util::stream::unfold(events, |mut events| async move {
            let event = events.next().await?;
            let frame = EventFrame {
                id: event.id,
                data: event.payload.clone(),
            };
            Some((Ok(frame), events))
        });
        Ok(Response::new(Box::pin(frames)))
    }

    async fn record_audit(
        &self,
        request: Request<AuditBatch>,
    ) -> Result<Response<AuditAck>, Status> {
        let records = request
            .into_inner()
            .records
            .into_iter()
            .map(to_audit)
            .collect();
        let stored = self
            .state
            .rack
            .audit
            .append(records)
            .await
            .map_err(AggError::into_status)?;
        Ok(Response::new(AuditAck { stored }))
    }

    async fn forward(
        &self,
        request: Request<RedfishRequest>,
    ) -> Result<Response<RedfishResponse>, Status> {
        let request_id = meta(request.metadata(), metadata::REQUEST_ID);
        let exchange = to_exchange(request).map_err(AggError::into_status)?;
        let span = tracing::info_span!("forward", request_id = %request_id, method = %exchange.method, path = %exchange.path, user = %exchange.user);
        let state = self.state.clone();
        let work = async move {
            let result = dispatch(&state, &exchange).await;
            if exchange.method != Method::GET && exchange.method != Method::HEAD {
                tracing::info!(status = ?result.as_ref().map(|r| r.status).ok(), "change forwarded");
            }
            result
        }
        .instrument(span);
        // Detached: a PATCH, POST or DELETE is finished even if the client hangs up while the BMC
        // is midway, and shutdown waits for it through the tracker.
        let result = self
            .state
            .tracker
            .spawn(work)
            .await
            .map_err(|e| AggError::Internal(format!("request task: {e}")))
            .and_then(|r| r);
        result
            .map(|r| Response::new(to_response(r)))
            .map_err(AggError::into_status)
    }

    async fn forward_stream(
        &self,
        request: Request<tonic::Streaming<RedfishRequestChunk>>,
    ) -> Result<Response<RedfishResponse>, Status> {
        use futures_util::StreamExt;
        let request_id = meta(request.metadata(), metadata::REQUEST_ID);
        let user = meta(request.metadata(), metadata::USER);
        let mut stream = request.into_inner();
        let first = stream
            .message()
            .await?
            .ok_or_else(|| Status::invalid_argument("ForwardStream: no message"))?;
        let head = first.head.ok_or_else(|| {
            Status::invalid_argument("ForwardStream: the first message has no head")
        })?;
        let exchange = exchange_of(head, user).map_err(AggError::into_status)?;
        let span = tracing::info_span!("forward_stream", request_id = %request_id, method = %exchange.method, path = %exchange.path, user = %exchange.user);
        let first_data = first.data;
        let body = futures_util::stream::once(async move { Ok(first_data) })
            .chain(stream.map(|m| m.map(|c| c.data).map_err(std::io::Error::other)))
            .boxed();
        // Only the push URI streams; its body ends when the client's does, so the work is not
        // detached: a client that hangs up aborts every BMC's upload.
        let path = exchange.path.trim_end_matches('/');
        let result = if path == crate::local::push::PUSH_URI {
            crate::local::push::serve(&self.state, &exchange, body)
                .instrument(span)
                .await
        } else {
            Err(AggError::NotFound {
                path: exchange.path.clone(),
            })
        };
        result
            .map(|r| Response::new(to_response(r)))
            .map_err(AggError::into_status)
    }

    async fn describe(
        &self,
        _request: Request<DescribeRequest>,
    ) -> Result<Response<DescribeReply>, Status> {
        let mut links: Vec<Link> = self
            .state
            .inventory
            .served_collections()
            .into_iter()
            .filter(|c| !c.contains('/'))
            .map(|c| Link {
                odata_id: format!("/redfish/v1/{c}"),
                name: c,
            })
            .collect();
        links.extend(
            crate::local::service_root_links()
                .iter()
                .chain(crate::catalog::ROOT_LINKS)
                .chain(&[("EventService", crate::events::ROOT)])
                .map(|(name, uri)| Link {
                    name: (*name).to_owned(),
                    odata_id: (*uri).to_owned(),
                }),
        );
        Ok(Response::new(DescribeReply {
            links,
            service_uuid: self.state.service_uuid.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }))
    }
}
