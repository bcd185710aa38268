//! `FrontendError`: every failure a client can see, mapped to status and Base registry message in
//! one place. Internal detail (addresses, SQL, TLS) is logged, never sent.

use crate::response::Response;
use http::{HeaderValue, StatusCode};
use redfish::error_body::{error_body, error_body_for};
use redfish::messages::Message;

#[derive(Debug, thiserror::Error)]
pub enum FrontendError {
    #[error("no valid credentials")]
    Unauthenticated,
    /// A session login (POST to Sessions) with wrong or unusable credentials.
    #[error("session login refused")]
    LoginFailed { uri: String },
    #[error("credentials valid but account must change its password first")]
    PasswordChangeRequired { account_uri: String },
    #[error("insufficient privilege")]
    Forbidden,
    #[error("no resource at {path}")]
    NotFound { path: String },
    #[error("method not allowed")]
    MethodNotAllowed { allow: &'static str },
    #[error("bad request: {message:?}")]
    BadRequest {
        message: Message,
        related: Vec<String>,
    },
    /// Several problems with one request body, each naming its property (JSON pointer).
    #[error("invalid request body: {0:?}")]
    Invalid(Vec<(Message, String)>),
    #[error("conflict: {message:?}")]
    Conflict { message: Message },
    #[error("session limit reached")]
    SessionLimit,
    #[error("precondition failed")]
    PreconditionFailed,
    /// The request asked for an OData version the service does not speak (DSP0266: 412).
    #[error("unsupported OData-Version")]
    UnsupportedODataVersion,
    /// A query parameter (`$...`) the resource does not support (DSP0266: 501).
    #[error("query parameter {parameter} not supported")]
    QueryUnsupported { parameter: String },
    #[error("request body too large")]
    PayloadTooLarge,
    /// Too many header fields, or too many bytes of them; names the first field past the limit.
    #[error("request header fields too large at {header}")]
    HeadersTooLarge { header: String },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("aggregator reported {http_status}: {message:?}")]
    Upstream {
        http_status: u16,
        message: Message,
        retry_after: Option<String>,
        allow: Option<String>,
    },
    #[error("aggregator unreachable: {0}")]
    AggregatorDown(String),
    #[error("aggregator did not answer in time")]
    AggregatorDeadline,
    #[error("shutting down")]
    ShuttingDown,
    #[error("internal: {0}")]
    Internal(String),
}

impl FrontendError {
    pub fn bad_request(message: Message) -> Self {
        FrontendError::BadRequest {
            message,
            related: Vec::new(),
        }
    }

    /// The request body could not be read (client aborted, bad chunking).
    pub fn bad_request_body(reason: &str) -> Self {
        tracing::debug!(reason, "could not read request body");
        FrontendError::bad_request(Message::unrecognized_request_body())
    }

    pub fn bad_property(message: Message, property: &str) -> Self {
        FrontendError::BadRequest {
            message,
            related: vec![format!("#/{property}")],
        }
    }

    /// The status and message; the one mapping.
    fn shown(&self) -> (StatusCode, Message) {
        let status = |s: u16| StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match self {
            FrontendError::Unauthenticated => {
                (StatusCode::UNAUTHORIZED, Message::no_valid_session())
            }
            FrontendError::LoginFailed { uri } => (
                StatusCode::UNAUTHORIZED,
                Message::resource_at_uri_unauthorized(uri, "Invalid username or password"),
            ),
            FrontendError::PasswordChangeRequired { account_uri } => (
                StatusCode::FORBIDDEN,
                Message::password_change_required(account_uri),
            ),
            FrontendError::Forbidden => (StatusCode::FORBIDDEN, Message::insufficient_privilege()),
            FrontendError::NotFound { path } => (
                StatusCode::NOT_FOUND,
                Message::resource_missing_at_uri(path),
            ),
            FrontendError::MethodNotAllowed { .. } => (
                StatusCode::METHOD_NOT_ALLOWED,
                Message::operation_not_allowed(),
            ),
            FrontendError::BadRequest { message, .. } => (StatusCode::BAD_REQUEST, message.clone()),
            FrontendError::Invalid(problems) => (
                StatusCode::BAD_REQUEST,
                problems
                    .first()
                    .map(|(m, _)| m.clone())
                    .unwrap_or_else(Message::malformed_json),
            ),
            FrontendError::Conflict { message } => (StatusCode::CONFLICT, message.clone()),
            FrontendError::SessionLimit => (
                StatusCode::SERVICE_UNAVAILABLE,
                Message::session_limit_exceeded(),
            ),
            FrontendError::UnsupportedODataVersion => (
                StatusCode::PRECONDITION_FAILED,
                Message::header_invalid("OData-Version"),
            ),
            FrontendError::QueryUnsupported { parameter } => (
                StatusCode::NOT_IMPLEMENTED,
                Message::query_parameter_unsupported(parameter),
            ),
            FrontendError::PreconditionFailed => (
                StatusCode::PRECONDITION_FAILED,
                Message::precondition_failed(),
            ),
            FrontendError::PayloadTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, Message::payload_too_large())
            }
            FrontendError::HeadersTooLarge { header } => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                Message::header_invalid(header),
            ),
            FrontendError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Message::header_invalid("Content-Type"),
            ),
            FrontendError::Upstream {
                http_status,
                message,
                ..
            } => (status(*http_status), message.clone()),
            FrontendError::AggregatorDown(_) | FrontendError::ShuttingDown => (
                StatusCode::SERVICE_UNAVAILABLE,
                if matches!(self, FrontendError::ShuttingDown) {
                    Message::service_shutting_down()
                } else {
                    Message::service_temporarily_unavailable(RETRY_AFTER_SECS)
                },
            ),
            FrontendError::AggregatorDeadline => {
                (StatusCode::GATEWAY_TIMEOUT, Message::operation_timeout())
            }
            FrontendError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, Message::internal_error())
            }
        }
    }

    pub fn status(&self) -> StatusCode {
        self.shown().0
    }

    pub fn into_response(self) -> Response {
        let (status, message) = self.shown();
        if status.is_server_error() {
            tracing::warn!(error = %self, status = status.as_u16(), "request failed");
        } else {
            tracing::debug!(error = %self, status = status.as_u16(), "request refused");
        }
        let body = match &self {
            FrontendError::BadRequest { related, .. } if !related.is_empty() => {
                error_body_for(&message, related)
            }
            FrontendError::Invalid(problems) if !problems.is_empty() => {
                let infos: Vec<serde_json::Value> = problems
                    .iter()
                    .map(|(m, pointer)| m.extended_info_for(std::slice::from_ref(pointer)))
                    .collect();
                serde_json::json!({
                    "error": {
                        "code": message.message_id(),
                        "message": message.text(),
                        "@Message.ExtendedInfo": infos,
                    }
                })
            }
            _ => error_body(&[message]),
        };
        let mut response = Response::json_value(status, &body);
        match self {
            FrontendError::Unauthenticated | FrontendError::LoginFailed { .. } => {
                response.header(
                    "www-authenticate",
                    HeaderValue::from_static("Basic realm=\"Redfish\""),
                );
            }
            FrontendError::MethodNotAllowed { allow } => {
                response.header("allow", HeaderValue::from_static(allow));
            }
            FrontendError::Upstream {
                retry_after, allow, ..
            } => {
                if let Some(v) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                    response.header("retry-after", v);
                }
                if let Some(v) = allow.and_then(|v| HeaderValue::from_str(&v).ok()) {
                    response.header("allow", v);
                }
            }
            FrontendError::AggregatorDown(_) => {
                response.header("retry-after", HeaderValue::from(RETRY_AFTER_SECS));
            }
            _ => {}
        }
        response
    }
}

/// Seconds a client should wait when the aggregator itself is unreachable.
pub const RETRY_AFTER_SECS: u64 = 5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_maps_to_its_status_and_message() {
        let rows = [
            (FrontendError::Unauthenticated, 401, "NoValidSession"),
            (
                FrontendError::LoginFailed {
                    uri: "/redfish/v1/SessionService/Sessions".into(),
                },
                401,
                "ResourceAtUriUnauthorized",
            ),
            (
                FrontendError::Invalid(vec![(Message::property_unknown("X"), "#/X".into())]),
                400,
                "PropertyUnknown",
            ),
            (FrontendError::SessionLimit, 503, "SessionLimitExceeded"),
            (
                FrontendError::PasswordChangeRequired {
                    account_uri: "/a".into(),
                },
                403,
                "PasswordChangeRequired",
            ),
            (FrontendError::Forbidden, 403, "InsufficientPrivilege"),
            (
                FrontendError::NotFound { path: "/x".into() },
                404,
                "ResourceMissingAtURI",
            ),
            (
                FrontendError::MethodNotAllowed { allow: "GET" },
                405,
                "OperationNotAllowed",
            ),
            (
                FrontendError::bad_request(Message::malformed_json()),
                400,
                "MalformedJSON",
            ),
            (
                FrontendError::Conflict {
                    message: Message::resource_in_use(),
                },
                409,
                "ResourceInUse",
            ),
            (FrontendError::PreconditionFailed, 412, "PreconditionFailed"),
            (FrontendError::UnsupportedODataVersion, 412, "HeaderInvalid"),
            (
                FrontendError::QueryUnsupported {
                    parameter: "$filter".into(),
                },
                501,
                "QueryParameterUnsupported",
            ),
            (FrontendError::PayloadTooLarge, 413, "PayloadTooLarge"),
            (
                FrontendError::HeadersTooLarge {
                    header: "cookie".into(),
                },
                431,
                "HeaderInvalid",
            ),
            (FrontendError::UnsupportedMediaType, 415, "HeaderInvalid"),
            (
                FrontendError::Upstream {
                    http_status: 502,
                    message: Message::operation_failed(),
                    retry_after: None,
                    allow: None,
                },
                502,
                "OperationFailed",
            ),
            (
                FrontendError::AggregatorDown("x".into()),
                503,
                "ServiceTemporarilyUnavailable",
            ),
            (FrontendError::AggregatorDeadline, 504, "OperationTimeout"),
            (FrontendError::ShuttingDown, 503, "ServiceShuttingDown"),
            (FrontendError::Internal("x".into()), 500, "InternalError"),
        ];
        for (err, status, key) in rows {
            let (s, m) = err.shown();
            assert_eq!((s.as_u16(), m.key()), (status, key), "{err}");
            let r = err.into_response();
            let body: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
            assert_eq!(
                body["error"]["@Message.ExtendedInfo"][0]["MessageId"],
                format!("Base.1.22.{key}")
            );
        }
    }

    #[test]
    fn unauthorized_asks_for_basic() {
        let r = FrontendError::Unauthenticated.into_response();
        assert!(r.headers.get("www-authenticate").is_some());
        let r = FrontendError::LoginFailed { uri: "/s".into() }.into_response();
        assert!(r.headers.get("www-authenticate").is_some());
    }

    #[test]
    fn invalid_bodies_list_every_problem_with_its_property() {
        let r = FrontendError::Invalid(vec![
            (Message::property_unknown("A"), "#/A".into()),
            (Message::property_not_writable("Id"), "#/Id".into()),
        ])
        .into_response();
        let body: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
        let infos = &body["error"]["@Message.ExtendedInfo"];
        assert_eq!(body["error"]["code"], "Base.1.22.PropertyUnknown");
        assert_eq!(infos[0]["RelatedProperties"][0], "#/A");
        assert_eq!(infos[1]["MessageId"], "Base.1.22.PropertyNotWritable");
        assert_eq!(infos[1]["RelatedProperties"][0], "#/Id");
    }
}
