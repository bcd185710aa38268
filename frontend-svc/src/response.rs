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
    /// RFC 9110 If-None-Match on a GET/HEAD: a 200 whose ETag the client already holds (weak
    /// comparison, or `*`) becomes 304 without a body, so clients revalidate without a transfer.
    pub fn not_modified_if(mut self, if_none_match: Option<&str>) -> Self {
        let (Some(wanted), StatusCode::OK) = (if_none_match, self.status) else {
            return self;
        };
        let Some(etag) = self.headers.get("etag").and_then(|v| v.to_str().ok()) else {
            return self;
        };
        let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
        let current = opaque(etag);
        if wanted
            .split(',')
            .any(|t| t.trim() == "*" || opaque(t) == current)
        {
            self.status = StatusCode::NOT_MODIFIED;
            self.body = Bytes::new();
            self.headers.remove("content-type");
            self.headers.remove("content-length");
        }
        self
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn with_etag(tag: &str) -> Response {
        let mut r = Response::new(StatusCode::OK, Bytes::from_static(b"{}"));
        r.headers
            .insert("etag", HeaderValue::from_str(tag).expect("tag"));
        r.headers
            .insert("content-type", HeaderValue::from_static("application/json"));
        r
    }

    #[test]
    fn a_held_etag_gives_304_without_a_body() {
        for (held, tag, status) in [
            ("\"a\"", "\"a\"", 304),
            ("W/\"a\"", "\"a\"", 304),
            ("\"x\", \"a\"", "W/\"a\"", 304),
            ("*", "\"a\"", 304),
            ("\"b\"", "\"a\"", 200),
        ] {
            let r = with_etag(tag).not_modified_if(Some(held));
            assert_eq!(r.status.as_u16(), status, "{held} vs {tag}");
            assert_eq!(r.body.is_empty(), status == 304);
            assert!(r.headers.contains_key("etag"));
        }
        assert_eq!(
            with_etag("\"a\"").not_modified_if(None).status,
            StatusCode::OK
        );
        let mut err = with_etag("\"a\"");
        err.status = StatusCode::NOT_FOUND;
        assert_eq!(err.not_modified_if(Some("*")).status, StatusCode::NOT_FOUND);
    }
}
