//! A fully built HTTP reply (status, headers, body bytes) before faults are applied.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode};
use serde_json::Value;

/// JSON content type used by every Redfish response.
pub(crate) const JSON_CT: &str = "application/json; charset=utf-8";

/// A complete response.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    /// A reply with a JSON body.
    pub(crate) fn json(status: StatusCode, body: &Value) -> Reply {
        Reply::json_bytes(status, Bytes::from(body.to_string()))
    }

    /// A reply whose body is already-serialised JSON.
    pub(crate) fn json_bytes(status: StatusCode, body: Bytes) -> Reply {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CT));
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A reply without a body.
    pub(crate) fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// Adds a header; values that are not valid header text are skipped.
    pub(crate) fn with_header(mut self, name: HeaderName, value: &str) -> Reply {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(name, v);
        }
        self
    }
}
