//! The request and reply the aggregator's logic works with, independent of gRPC (see `grpc.rs`
//! for the one conversion to and from the proto messages).

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};

#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: Method,
    /// Percent-encoded path as the client sent it.
    pub path: String,
    /// Raw query, without '?'.
    pub query: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    /// Who asked (for the log; never a credential).
    pub user: String,
}

impl Exchange {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.to_str().ok())
    }
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl Reply {
    /// A JSON reply from the aggregator itself.
    pub fn json(status: u16, body: Bytes) -> Self {
        Reply {
            status,
            headers: vec![(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static(redfish::odata::JSON_CONTENT_TYPE),
            )],
            body,
        }
    }
}

/// `Link: <schema>; rel=describedby` for a JSON body whose `@odata.type` is a DMTF type.
pub fn describedby(body: &serde_json::Value) -> Option<(HeaderName, HeaderValue)> {
    describedby_type(body.get("@odata.type")?.as_str()?)
}

/// The same, from the `@odata.type` itself.
pub fn describedby_type(t: &str) -> Option<(HeaderName, HeaderValue)> {
    let link = redfish::schemas::describedby_link(t)?;
    Some((http::header::LINK, HeaderValue::from_str(&link).ok()?))
}
