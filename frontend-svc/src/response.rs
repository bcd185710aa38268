//! The response every handler returns, and the headers the Redfish specification asks of every
//! response (added in one place, `finish`).

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use redfish::odata::{JSON_CONTENT_TYPE, ODATA_VERSION_VALUE};

#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn new(status: StatusCode, body: Bytes) -> Self {
        Response {
            status,
            headers: HeaderMap::new(),
            body,
        }
    }

    pub fn json_bytes(status: StatusCode, body: Bytes) -> Self {
        let mut r = Response::new(status, body);
        r.header("content-type", HeaderValue::from_static(JSON_CONTENT_TYPE));
        r
    }

    pub fn json_value(status: StatusCode, body: &serde_json::Value) -> Self {
        Response::json_bytes(
            status,
            Bytes::from(serde_json::to_vec(body).unwrap_or_default()),
        )
    }

    pub fn header(&mut self, name: &'static str, value: HeaderValue) -> &mut Self {
        self.headers.insert(HeaderName::from_static(name), value);
        self
    }

    /// Headers every response carries. HEAD keeps the headers and drops the body.
    pub fn finish(mut self, request_id: &str, is_head: bool) -> Self {
        self.headers.insert(
            "odata-version",
            HeaderValue::from_static(ODATA_VERSION_VALUE),
        );
        // Responses may carry tokens or account data: never cache them.
        self.headers
            .entry("cache-control")
            .or_insert(HeaderValue::from_static("no-store"));
        self.headers.insert(
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        );
        if let Ok(v) = HeaderValue::from_str(request_id) {
            self.headers.insert("x-request-id", v);
        }
        if is_head {
            self.body = Bytes::new();
        }
        self
    }
}
