//! The gRPC client to aggregator-svc: a lazily connected channel shared by all requests, the
//! request deadline, request id and principal in metadata, and the one mapping from a gRPC Status
//! back to a `FrontendError`.

use crate::error::FrontendError;
use proto::metadata;
use proto::v1::aggregator_client::AggregatorClient;
use proto::v1::{
    AuditBatch, AuditRecord, DescribeReply, DescribeRequest, EventFrame, EventStreamRequest,
    RedfishRequest, RedfishRequestChunk, RedfishResponse,
};
use redfish::messages::Message;
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

#[derive(Clone)]
pub struct AggClient {
    inner: AggregatorClient<Channel>,
    timeout: Duration,
}

/// Who is asking, for the aggregator's audit log.
pub struct Caller<'a> {
    pub request_id: &'a str,
    pub user: &'a str,
    pub role: &'a str,
}

impl Caller<'_> {
    /// Who asks, for the aggregator's logs and audit: every RPC carries it as metadata.
    fn stamp<T>(&self, req: &mut tonic::Request<T>) {
        let md = req.metadata_mut();
        for (key, value) in [
            (metadata::REQUEST_ID, self.request_id),
            (metadata::USER, self.user),
            (metadata::ROLE, self.role),
        ] {
            if let Ok(v) = value.parse() {
                md.insert(key, v);
            }
        }
    }
}

impl AggClient {
    pub fn connect_lazy(endpoint: &str, timeout: Duration) -> Result<Self, String> {
        let channel = Endpoint::from_shared(endpoint.to_owned())
            .map_err(|e| format!("aggregator endpoint {endpoint}: {e}"))?
            .connect_timeout(Duration::from_secs(3))
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .connect_lazy();
        Ok(AggClient {
            inner: AggregatorClient::new(channel)
                .max_decoding_message_size(64 * 1024 * 1024)
                .max_encoding_message_size(64 * 1024 * 1024),
            timeout,
        })
    }

    pub async fn forward(
        &self,
        request: RedfishRequest,
        caller: &Caller<'_>,
    ) -> Result<RedfishResponse, FrontendError> {
        let mut req = tonic::Request::new(request);
        req.set_timeout(self.timeout);
        caller.stamp(&mut req);
        let mut client = self.inner.clone();
        client
            .forward(req)
            .await
            .map(tonic::Response::into_inner)
            .map_err(status_to_error)
    }

    /// Opens an event stream. No deadline: it lasts as long as the client listens; opening it
    /// must still answer within the request timeout.
    pub async fn stream_events(
        &self,
        filter: String,
        last_event_id: Option<u64>,
        caller: &Caller<'_>,
    ) -> Result<tonic::Streaming<EventFrame>, FrontendError> {
        let mut req = tonic::Request::new(EventStreamRequest {
            filter,
            last_event_id,
        });
        caller.stamp(&mut req);
        let mut client = self.inner.clone();
        match tokio::time::timeout(self.timeout, client.stream_events(req)).await {
            Ok(r) => r.map(tonic::Response::into_inner).map_err(status_to_error),
            Err(_) => Err(FrontendError::AggregatorDeadline),
        }
    }

    /// A request whose body streams ([`crate::handlers::push`]): `messages` is the head, then
    /// the body's pieces; `timeout` covers the whole upload.
    pub async fn forward_stream(
        &self,
        messages: impl tokio_stream::Stream<Item = RedfishRequestChunk> + Send + 'static,
        caller: &Caller<'_>,
        timeout: Duration,
    ) -> Result<RedfishResponse, FrontendError> {
        let mut req = tonic::Request::new(messages);
        req.set_timeout(timeout);
        caller.stamp(&mut req);
        let mut client = self.inner.clone();
        client
            .forward_stream(req)
            .await
            .map(tonic::Response::into_inner)
            .map_err(status_to_error)
    }

    pub async fn describe(&self) -> Result<DescribeReply, FrontendError> {
        let mut req = tonic::Request::new(DescribeRequest {});
        req.set_timeout(Duration::from_secs(5));
        let mut client = self.inner.clone();
        client
            .describe(req)
            .await
            .map(tonic::Response::into_inner)
            .map_err(status_to_error)
    }
}

/// Why audit records were not stored.
#[derive(Debug)]
pub enum AuditError {
    /// The aggregator has no RecordAudit (an older version): retrying will not help.
    Unsupported,
    /// Anything else (unreachable, restarting, its store failed): worth retrying.
    Failed(String),
}

impl AggClient {
    /// Hands audit records to the aggregator's audit log.
    pub async fn record_audit(&self, records: Vec<AuditRecord>) -> Result<(), AuditError> {
        let mut req = tonic::Request::new(AuditBatch { records });
        req.set_timeout(Duration::from_secs(5));
        let mut client = self.inner.clone();
        match client.record_audit(req).await {
            Ok(_) => Ok(()),
            Err(s) if s.code() == Code::Unimplemented => Err(AuditError::Unsupported),
            Err(s) => Err(AuditError::Failed(format!("{}: {}", s.code(), s.message()))),
        }
    }
}

fn meta(status: &Status, key: &str) -> Option<String> {
    status
        .metadata()
        .get(key)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The aggregator's own errors carry their Redfish message; anything else is a transport problem.
pub fn status_to_error(status: Status) -> FrontendError {
    if let (Some(key), Some(http_status)) = (
        meta(&status, metadata::MESSAGE_ID),
        meta(&status, metadata::HTTP_STATUS).and_then(|s| s.parse::<u16>().ok()),
    ) {
        let args: Vec<String> = meta(&status, metadata::MESSAGE_ARGS)
            .and_then(|a| serde_json::from_str(&a).ok())
            .unwrap_or_default();
        let mut message = Message::new(&key, args);
        if let Some(bmc) = meta(&status, metadata::BMC) {
            message = message.for_bmc(&bmc);
        }
        return FrontendError::Upstream {
            http_status,
            message,
            retry_after: meta(&status, metadata::RETRY_AFTER),
            allow: meta(&status, metadata::ALLOW),
        };
    }
    match status.code() {
        Code::Unavailable => FrontendError::AggregatorDown(status.message().to_owned()),
        // tonic reports its own expired deadline as Cancelled("Timeout expired").
        Code::DeadlineExceeded | Code::Cancelled => FrontendError::AggregatorDeadline,
        _ => FrontendError::Internal(format!("aggregator: {status}")),
    }
}
