//! Errors a simulated BMC answers with, each rendered as a Redfish error body.

use http::StatusCode;
use http::header::{ALLOW, RETRY_AFTER, WWW_AUTHENTICATE};
use serde_json::{Value, json};

use super::base_messages::{BASE_PREFIX, BaseMessage};
use super::reply::Reply;

/// Everything that can go wrong while handling a Redfish request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// 404: no resource at this path.
    NotFound { path: String },
    /// 405: the method is not supported here; `allow` lists what is.
    MethodNotAllowed { allow: String },
    /// 401: no or wrong credentials on a protected resource.
    Unauthorized,
    /// 401: session login with wrong credentials.
    LoginFailed { uri: String },
    /// 412: If-Match did not match the current ETag.
    PreconditionFailed,
    /// 400: body is not JSON (or not an object).
    MalformedJson,
    /// 400: PATCH/POST names a property the resource does not have.
    PropertyUnknown(String),
    /// 400: PATCH names a read-only property.
    PropertyNotWritable(String),
    /// 400: wrong JSON type for a property.
    PropertyValueType { value: String, prop: String },
    /// 400: value has the right type but a bad format (e.g. a destination that is not a URL).
    PropertyValueFormat { value: String, prop: String },
    /// 400: value not among the allowed ones.
    PropertyValueNotInList { value: String, prop: String },
    /// 400: a required property is missing in a create request.
    PropertyMissing(String),
    /// 400: an empty PATCH.
    NoOperation,
    /// 400: a required action parameter is missing.
    ActionParameterMissing { action: String, param: String },
    /// 400: an action parameter is not known.
    ActionParameterUnknown { action: String, param: String },
    /// 400: an action parameter value is not allowed.
    ActionParameterNotInList {
        value: String,
        param: String,
        action: String,
    },
    /// 409: a resource with this property value already exists.
    AlreadyExists {
        kind: String,
        prop: String,
        value: String,
    },
    /// 409: the resource is busy (e.g. media already inserted).
    ResourceInUse,
    /// An injected `Fault::Status` reply.
    Injected { code: u16 },
}

impl ApiError {
    /// HTTP status for this error.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unauthorized | ApiError::LoginFailed { .. } => StatusCode::UNAUTHORIZED,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::MalformedJson
            | ApiError::PropertyUnknown(_)
            | ApiError::PropertyNotWritable(_)
            | ApiError::PropertyValueType { .. }
            | ApiError::PropertyValueNotInList { .. }
            | ApiError::PropertyValueFormat { .. }
            | ApiError::PropertyMissing(_)
            | ApiError::NoOperation
            | ApiError::ActionParameterMissing { .. }
            | ApiError::ActionParameterUnknown { .. }
            | ApiError::ActionParameterNotInList { .. } => StatusCode::BAD_REQUEST,
            ApiError::AlreadyExists { .. } | ApiError::ResourceInUse => StatusCode::CONFLICT,
            ApiError::Injected { code } => {
                StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// Registry message and its arguments.
    fn message(&self) -> (BaseMessage, Vec<String>) {
        match self {
            ApiError::NotFound { path } => {
                let (kind, id) = split_kind_id(path);
                (BaseMessage::ResourceNotFound, vec![kind, id])
            }
            ApiError::MethodNotAllowed { .. } => (BaseMessage::OperationNotAllowed, vec![]),
            ApiError::Unauthorized => (BaseMessage::NoValidSession, vec![]),
            ApiError::LoginFailed { uri } => (
                BaseMessage::ResourceAtUriUnauthorized,
                vec![uri.clone(), "Invalid user name or password".to_string()],
            ),
            ApiError::PreconditionFailed => (BaseMessage::PreconditionFailed, vec![]),
            ApiError::MalformedJson => (BaseMessage::MalformedJSON, vec![]),
            ApiError::PropertyUnknown(p) => (BaseMessage::PropertyUnknown, vec![p.clone()]),
            ApiError::PropertyNotWritable(p) => (BaseMessage::PropertyNotWritable, vec![p.clone()]),
            ApiError::PropertyValueType { value, prop } => (
                BaseMessage::PropertyValueTypeError,
                vec![value.clone(), prop.clone()],
            ),
            ApiError::PropertyValueNotInList { value, prop } => (
                BaseMessage::PropertyValueNotInList,
                vec![value.clone(), prop.clone()],
            ),
            ApiError::PropertyValueFormat { value, prop } => (
                BaseMessage::PropertyValueFormatError,
                vec![value.clone(), prop.clone()],
            ),
            ApiError::PropertyMissing(p) => (BaseMessage::PropertyMissing, vec![p.clone()]),
            ApiError::NoOperation => (BaseMessage::NoOperation, vec![]),
            ApiError::ActionParameterMissing { action, param } => (
                BaseMessage::ActionParameterMissing,
                vec![action.clone(), param.clone()],
            ),
            ApiError::ActionParameterUnknown { action, param } => (
                BaseMessage::ActionParameterUnknown,
                vec![action.clone(), param.clone()],
            ),
            ApiError::ActionParameterNotInList {
                value,
                param,
                action,
            } => (
                BaseMessage::ActionParameterValueNotInList,
                vec![value.clone(), param.clone(), action.clone()],
            ),
            ApiError::AlreadyExists { kind, prop, value } => (
                BaseMessage::ResourceAlreadyExists,
                vec![kind.clone(), prop.clone(), value.clone()],
            ),
            ApiError::ResourceInUse => (BaseMessage::ResourceInUse, vec![]),
            ApiError::Injected { code } => match code {
                503 => (BaseMessage::ServiceTemporarilyUnavailable, vec!["5".into()]),
                500 => (BaseMessage::InternalError, vec![]),
                _ => (BaseMessage::GeneralError, vec![]),
            },
        }
    }
}

/// Guesses (resource kind, id) for ResourceNotFound from the path's last two segments.
fn split_kind_id(path: &str) -> (String, String) {
    let mut segs = path.trim_end_matches('/').rsplit('/');
    let id = segs.next().unwrap_or_default().to_string();
    let kind = segs.next().unwrap_or("Resource").to_string();
    (kind, id)
}

/// One `@Message.ExtendedInfo` entry.
pub(crate) fn message_entry(msg: BaseMessage, args: &[String]) -> Value {
    let (template, severity, resolution) = msg.text();
    let mut text = template.to_string();
    // Replace %10.. before %1 would not matter: Base messages have at most 3 arguments.
    for (i, arg) in args.iter().enumerate() {
        text = text.replace(&format!("%{}", i + 1), arg);
    }
    json!({
        "@odata.type": "#Message.v1_1_1.Message",
        "MessageId": format!("{BASE_PREFIX}.{}", msg.key()),
        "Message": text,
        "MessageArgs": args,
        "MessageSeverity": severity,
        "Resolution": resolution,
    })
}

/// Redfish error body for one or more errors (the first one names the overall code).
pub(crate) fn error_body(errors: &[ApiError]) -> Value {
    let infos: Vec<Value> = errors
        .iter()
        .map(|e| {
            let (m, args) = e.message();
            message_entry(m, &args)
        })
        .collect();
    let (code, message) = match errors.first() {
        Some(first) => {
            let (m, args) = first.message();
            let entry = message_entry(m, &args);
            (
                format!("{BASE_PREFIX}.{}", m.key()),
                entry["Message"].as_str().unwrap_or_default().to_string(),
            )
        }
        None => (
            format!("{BASE_PREFIX}.GeneralError"),
            BaseMessage::GeneralError.text().0.to_string(),
        ),
    };
    json!({
        "error": {
            "code": code,
            "message": message,
            "@Message.ExtendedInfo": infos,
        }
    })
}

/// Full reply for a list of errors (status and extra headers from the first).
pub(crate) fn error_reply(errors: &[ApiError]) -> Reply {
    let Some(first) = errors.first() else {
        return Reply::json(StatusCode::INTERNAL_SERVER_ERROR, &error_body(errors));
    };
    let reply = Reply::json(first.status(), &error_body(errors));
    with_error_headers(reply, first)
}

/// Adds the headers an error status needs (Allow, WWW-Authenticate, Retry-After).
pub(crate) fn with_error_headers(reply: Reply, err: &ApiError) -> Reply {
    match err {
        ApiError::MethodNotAllowed { allow } => reply.with_header(ALLOW, allow),
        ApiError::Unauthorized | ApiError::LoginFailed { .. } => {
            reply.with_header(WWW_AUTHENTICATE, "Basic realm=\"Redfish\"")
        }
        ApiError::Injected { code } if *code == 503 => reply.with_header(RETRY_AFTER, "5"),
        ApiError::Injected { .. }
        | ApiError::NotFound { .. }
        | ApiError::PreconditionFailed
        | ApiError::MalformedJson
        | ApiError::PropertyUnknown(_)
        | ApiError::PropertyNotWritable(_)
        | ApiError::PropertyValueType { .. }
        | ApiError::PropertyValueFormat { .. }
        | ApiError::PropertyValueNotInList { .. }
        | ApiError::PropertyMissing(_)
        | ApiError::NoOperation
        | ApiError::ActionParameterMissing { .. }
        | ApiError::ActionParameterUnknown { .. }
        | ApiError::ActionParameterNotInList { .. }
        | ApiError::AlreadyExists { .. }
        | ApiError::ResourceInUse => reply,
    }
}

impl From<ApiError> for Reply {
    fn from(e: ApiError) -> Reply {
        error_reply(std::slice::from_ref(&e))
    }
}
