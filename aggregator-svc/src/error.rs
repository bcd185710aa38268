//! `AggError`: every failure the aggregator reports itself, mapped to an HTTP status, a Base
//! registry message and a gRPC code in one place. BMC addresses and causes go to the log only.

use proto::metadata;
use redfish::messages::Message;
use std::time::Duration;
use tonic::{Code, Status};

/// Seconds a client should wait before retrying a BMC that was unreachable.
pub const RETRY_AFTER_SECS: u64 = 10;
/// A busy BMC frees a turn within its request time.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

#[derive(Debug, Clone, thiserror::Error)]
pub enum AggError {
    #[error("no resource at {path}")]
    NotFound { path: String },
    #[error("method not allowed on {path}")]
    MethodNotAllowed { path: String, allow: &'static str },
    /// DELETE of a resource that exists but is never deleted (the built-in Rack aggregate).
    #[error("{path} cannot be deleted")]
    CannotDelete { path: String, allow: &'static str },
    #[error("bad request: {message:?}")]
    BadRequest { message: Message },
    #[error("conflict: {message:?}")]
    Conflict { message: Message },
    #[error("If-Match does not match the current ETag of {path}")]
    PreconditionFailed { path: String },
    #[error("query parameter {parameter} not supported")]
    QueryUnsupported { parameter: String },
    #[error("BMC {bmc} unreachable: {reason}")]
    BmcUnreachable { bmc: String, reason: String },
    #[error("BMC {bmc} did not answer within {after:?}")]
    BmcTimeout { bmc: String, after: Duration },
    /// Every connection to the BMC stayed busy for the whole request timeout: the aggregator's
    /// own queue, not a sign that the BMC is down (its breaker stays as it is).
    #[error("BMC {bmc}: no turn among its {limit} requests at once within {after:?}")]
    BmcBusy {
        bmc: String,
        limit: usize,
        after: Duration,
    },
    #[error("BMC {bmc} sent an unusable reply: {reason}")]
    BmcBadReply { bmc: String, reason: String },
    #[error("BMC {bmc} refused the aggregator's credentials")]
    BmcUnauthorized { bmc: String, uri: String },
    /// Trust on first use: the BMC presents a certificate other than the pinned one.
    #[error(
        "BMC {bmc}: certificate changed (not the pinned one); refused until an operator accepts it"
    )]
    BmcCertificateChanged { bmc: String },
    /// A POST to the inbound event listener without the BMC's event secret.
    #[error("event sender did not authenticate")]
    EventSenderUnauthenticated,
    /// A POST to the inbound event listener with a wrong secret, or for no BMC taking pushes.
    #[error("event sender refused")]
    EventSenderRefused,
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("state store: {0}")]
    Store(String),
    #[error("internal: {0}")]
    Internal(String),
}

/// What the client sees: HTTP status, the registry message, and the gRPC code that carries it.
pub struct Presentation {
    pub http_status: u16,
    pub message: Message,
    pub code: Code,
    pub retry_after: Option<u64>,
    pub allow: Option<&'static str>,
}

impl AggError {
    pub fn presentation(&self) -> Presentation {
        let p = |http_status, message, code| Presentation {
            http_status,
            message,
            code,
            retry_after: None,
            allow: None,
        };
        match self {
            AggError::NotFound { path } => {
                p(404, Message::resource_missing_at_uri(path), Code::NotFound)
            }
            AggError::MethodNotAllowed { allow, .. } => Presentation {
                allow: Some(allow),
                ..p(405, Message::operation_not_allowed(), Code::Unimplemented)
            },
            AggError::CannotDelete { allow, .. } => Presentation {
                allow: Some(allow),
                ..p(
                    405,
                    Message::resource_cannot_be_deleted(),
                    Code::Unimplemented,
                )
            },
            AggError::BadRequest { message } => p(400, message.clone(), Code::InvalidArgument),
            AggError::Conflict { message } => p(409, message.clone(), Code::AlreadyExists),
            AggError::PreconditionFailed { .. } => p(
                412,
                Message::precondition_failed(),
                Code::FailedPrecondition,
            ),
            AggError::QueryUnsupported { parameter } => p(
                501,
                Message::query_parameter_unsupported(parameter),
                Code::Unimplemented,
            ),
            AggError::BmcBusy { bmc, .. } => Presentation {
                retry_after: Some(BUSY_RETRY_AFTER_SECS),
                ..p(
                    503,
                    Message::service_temporarily_unavailable(BUSY_RETRY_AFTER_SECS).for_bmc(bmc),
                    Code::Unavailable,
                )
            },
            AggError::BmcUnreachable { bmc, .. } => Presentation {
                retry_after: Some(RETRY_AFTER_SECS),
                ..p(
                    503,
                    Message::service_temporarily_unavailable(RETRY_AFTER_SECS).for_bmc(bmc),
                    Code::Unavailable,
                )
            },
            AggError::BmcTimeout { bmc, .. } => p(
                504,
                Message::operation_timeout().for_bmc(bmc),
                Code::DeadlineExceeded,
            ),
            AggError::BmcBadReply { bmc, .. } => {
                p(502, Message::operation_failed().for_bmc(bmc), Code::Unknown)
            }
            AggError::BmcUnauthorized { bmc, uri } => p(
                502,
                Message::resource_at_uri_unauthorized(
                    uri,
                    "the BMC rejected the aggregator's credentials",
                )
                .for_bmc(bmc),
                Code::Unknown,
            ),
            // Not temporary (no Retry-After): the BMC stays refused until an operator accepts
            // its certificate on the AggregationSource named here.
            AggError::BmcCertificateChanged { bmc } => p(
                502,
                Message::could_not_establish_connection(&format!(
                    "/redfish/v1/AggregationService/AggregationSources/{bmc}"
                ))
                .for_bmc(bmc),
                Code::Unknown,
            ),
            AggError::EventSenderUnauthenticated => {
                p(401, Message::no_valid_session(), Code::Unauthenticated)
            }
            AggError::EventSenderRefused => p(
                403,
                Message::insufficient_privilege(),
                Code::PermissionDenied,
            ),
            AggError::PayloadTooLarge { .. } => {
                p(413, Message::payload_too_large(), Code::ResourceExhausted)
            }
            AggError::Store(_) | AggError::Internal(_) => {
                p(500, Message::internal_error(), Code::Internal)
            }
        }
    }

    /// The gRPC Status the frontend turns back into a Redfish error response.
    pub fn into_status(self) -> Status {
        let shown = self.presentation();
        tracing::warn!(error = %self, status = shown.http_status, "request failed");
        let mut status = Status::new(shown.code, shown.message.text());
        let md = status.metadata_mut();
        insert(md, metadata::MESSAGE_ID, shown.message.key());
        let args = serde_json::to_string(shown.message.args()).unwrap_or_else(|_| "[]".into());
        insert(md, metadata::MESSAGE_ARGS, &args);
        insert(md, metadata::HTTP_STATUS, &shown.http_status.to_string());
        if let Some(secs) = shown.retry_after {
            insert(md, metadata::RETRY_AFTER, &secs.to_string());
        }
        if let Some(bmc) = shown.message.bmc() {
            insert(md, metadata::BMC, bmc);
        }
        if let Some(allow) = shown.allow {
            insert(md, metadata::ALLOW, allow);
        }
        status
    }
}

fn insert(md: &mut tonic::metadata::MetadataMap, key: &'static str, value: &str) {
    // Message keys, numbers and registry-derived text are ASCII; anything else is dropped, not sent broken.
    if let Ok(v) = value.parse() {
        md.insert(key, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_status_message_and_code() {
        let rows = [
            (
                AggError::NotFound { path: "/x".into() },
                404,
                "ResourceMissingAtURI",
                Code::NotFound,
            ),
            (
                AggError::MethodNotAllowed {
                    path: "/x".into(),
                    allow: "GET",
                },
                405,
                "OperationNotAllowed",
                Code::Unimplemented,
            ),
            (
                AggError::CannotDelete {
                    path: "/x".into(),
                    allow: "GET",
                },
                405,
                "ResourceCannotBeDeleted",
                Code::Unimplemented,
            ),
            (
                AggError::BadRequest {
                    message: Message::malformed_json(),
                },
                400,
                "MalformedJSON",
                Code::InvalidArgument,
            ),
            (
                AggError::Conflict {
                    message: Message::resource_already_exists("AggregationSource", "Id", "s1"),
                },
                409,
                "ResourceAlreadyExists",
                Code::AlreadyExists,
            ),
            (
                AggError::PreconditionFailed { path: "/x".into() },
                412,
                "PreconditionFailed",
                Code::FailedPrecondition,
            ),
            (
                AggError::QueryUnsupported {
                    parameter: "$filter".into(),
                },
                501,
                "QueryParameterUnsupported",
                Code::Unimplemented,
            ),
            (
                AggError::BmcUnreachable {
                    bmc: "s1".into(),
                    reason: "refused".into(),
                },
                503,
                "ServiceTemporarilyUnavailable",
                Code::Unavailable,
            ),
            (
                AggError::BmcTimeout {
                    bmc: "s1".into(),
                    after: Duration::from_secs(1),
                },
                504,
                "OperationTimeout",
                Code::DeadlineExceeded,
            ),
            (
                AggError::BmcBadReply {
                    bmc: "s1".into(),
                    reason: "garbage".into(),
                },
                502,
                "OperationFailed",
                Code::Unknown,
            ),
            (
                AggError::BmcUnauthorized {
                    bmc: "s1".into(),
                    uri: "/redfish/v1/Systems/s1-1".into(),
                },
                502,
                "ResourceAtUriUnauthorized",
                Code::Unknown,
            ),
            (
                AggError::BmcCertificateChanged { bmc: "s1".into() },
                502,
                "CouldNotEstablishConnection",
                Code::Unknown,
            ),
            (
                AggError::EventSenderUnauthenticated,
                401,
                "NoValidSession",
                Code::Unauthenticated,
            ),
            (
                AggError::EventSenderRefused,
                403,
                "InsufficientPrivilege",
                Code::PermissionDenied,
            ),
            (
                AggError::PayloadTooLarge { limit: 1 },
                413,
                "PayloadTooLarge",
                Code::ResourceExhausted,
            ),
            (
                AggError::Store("disk".into()),
                500,
                "InternalError",
                Code::Internal,
            ),
            (
                AggError::Internal("bug".into()),
                500,
                "InternalError",
                Code::Internal,
            ),
        ];
        for (err, status, key, code) in rows {
            let p = err.presentation();
            assert_eq!(
                (p.http_status, p.message.key(), p.code),
                (status, key, code),
                "{err}"
            );
            let st = err.into_status();
            assert_eq!(st.code(), code);
            assert_eq!(
                st.metadata()
                    .get(metadata::MESSAGE_ID)
                    .and_then(|v| v.to_str().ok()),
                Some(key)
            );
        }
    }

    #[test]
    fn unreachable_carries_retry_after_and_no_bmc_address() {
        let st = AggError::BmcUnreachable {
            bmc: "s1".into(),
            reason: "connect 10.0.0.11:443 refused".into(),
        }
        .into_status();
        assert_eq!(
            st.metadata()
                .get(metadata::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("10")
        );
        assert!(!st.message().contains("10.0.0.11"));
    }
}
