//! Serving the frontend's own resources: the body with its ETag (header and `@odata.etag`, a hash
//! of the representation) and its schema (`Link: <...>; rel=describedby`), If-Match on writes,
//! and the collection shape.

use crate::error::FrontendError;
use crate::request::Request;
use crate::response::Response;
use http::{HeaderValue, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Weak ETag of a representation (before `@odata.etag` is added).
pub fn etag_of(body: &Value) -> String {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("W/\"{hex}\"")
}

/// The resource with its ETag.
pub fn resource(status: StatusCode, mut body: Value) -> Response {
    let tag = etag_of(&body);
    if let Some(obj) = body.as_object_mut() {
        obj.insert("@odata.etag".into(), Value::String(tag.clone()));
    }
    let mut r = Response::json_value(status, &body);
    if let Ok(v) = HeaderValue::from_str(&tag) {
        r.header("etag", v);
    }
    if let Some(link) = body["@odata.type"]
        .as_str()
        .and_then(redfish::schemas::describedby_link)
        .and_then(|l| HeaderValue::from_str(&l).ok())
    {
        r.header("link", link);
    }
    r
}

/// 412 unless `If-Match` is absent, `*`, or lists the current representation's ETag (weak and
/// strong forms compare equal). Every `If-Match` line counts; one that is not text (obs-text
/// bytes) cannot name the tag, so it fails the precondition rather than being ignored.
pub fn check_if_match(request: &Request, current: &Value) -> Result<(), FrontendError> {
    let lines: Vec<Option<&str>> = request
        .headers
        .get_all("if-match")
        .iter()
        .map(|v| v.to_str().ok())
        .collect();
    if lines.is_empty() {
        return Ok(());
    }
    let current = etag_of(current);
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let wanted = bare(&current);
    let readable = lines.iter().all(Option::is_some);
    let ok = readable
        && lines
            .iter()
            .flatten()
            .flat_map(|v| v.split(','))
            .any(|t| t.trim() == "*" || bare(t) == wanted);
    if ok {
        Ok(())
    } else {
        Err(FrontendError::PreconditionFailed)
    }
}

/// A resource collection.
pub use redfish::odata::collection;

/// 201 Created with `Location`.
pub fn created(uri: &str, body: Value) -> Response {
    let mut r = resource(StatusCode::CREATED, body);
    if let Ok(v) = HeaderValue::from_str(uri) {
        r.header("location", v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with_if_match(v: Option<&str>) -> Request {
        let mut headers = http::HeaderMap::new();
        if let Some(v) = v {
            headers.insert("if-match", v.parse().expect("header"));
        }
        Request {
            id: "t".into(),
            method: http::Method::PATCH,
            path: "/x".into(),
            query: String::new(),
            headers,
            body: bytes::Bytes::new(),
            peer: None,
            client: Default::default(),
        }
    }

    #[test]
    fn etags_follow_the_representation_and_if_match_compares_them() {
        let a = json!({"A": 1});
        let tag = etag_of(&a);
        assert!(tag.starts_with("W/\""));
        assert_ne!(tag, etag_of(&json!({"A": 2})));
        let r = resource(StatusCode::OK, a.clone());
        assert_eq!(r.headers["etag"], tag.as_str());
        let typed = resource(StatusCode::OK, json!({"@odata.type": "#Role.v1_2_0.Role"}));
        assert_eq!(
            typed.headers["link"],
            "<http://redfish.dmtf.org/schemas/v1/Role.v1_2_0.json>; rel=describedby"
        );
        let body: Value = serde_json::from_slice(&r.body).expect("json");
        assert_eq!(body["@odata.etag"], tag.as_str());

        assert!(check_if_match(&with_if_match(None), &a).is_ok());
        assert!(check_if_match(&with_if_match(Some("*")), &a).is_ok());
        assert!(check_if_match(&with_if_match(Some(&tag)), &a).is_ok());
        let strong = tag.trim_start_matches("W/").to_owned();
        assert!(check_if_match(&with_if_match(Some(&format!("\"x\", {strong}"))), &a).is_ok());
        assert!(matches!(
            check_if_match(&with_if_match(Some("W/\"nope\"")), &a),
            Err(FrontendError::PreconditionFailed)
        ));
    }
}
