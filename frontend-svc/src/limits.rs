//! What one request may cost before anything reads it: the header section (count and bytes,
//! 431 with a Redfish body) and the nesting depth of a JSON body (400 MalformedJSON). The body
//! size is enforced while it is read (`server.rs`), the connection-level limits (hyper's hard
//! ceilings, header read and write timeouts) in [`crate::conn`].

use crate::config::FrontendConfig;
use crate::error::FrontendError;
use http::HeaderMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_header_bytes: usize,
    pub max_headers: usize,
    pub max_json_depth: usize,
    /// The multipart push's body ([`crate::handlers::push`]).
    pub max_image_bytes: u64,
    pub upload_timeout: std::time::Duration,
}

impl Limits {
    pub fn of(config: &FrontendConfig) -> Self {
        Limits {
            max_header_bytes: config.max_header_bytes,
            max_headers: config.max_headers,
            max_json_depth: config.max_json_depth,
            max_image_bytes: config.max_image_bytes,
            upload_timeout: std::time::Duration::from_millis(config.upload_timeout_ms),
        }
    }
}

/// 431 naming the first header field past a limit: the count of fields, or the bytes of names
/// and values together (each field counted as `name: value\r\n`).
pub fn check_headers(headers: &HeaderMap, limits: &Limits) -> Result<(), FrontendError> {
    let mut bytes = 0;
    for (count, (name, value)) in headers.iter().enumerate() {
        bytes += name.as_str().len() + value.len() + 4;
        if count >= limits.max_headers || bytes > limits.max_header_bytes {
            return Err(FrontendError::HeadersTooLarge {
                header: name.as_str().to_owned(),
            });
        }
    }
    Ok(())
}

/// 400 MalformedJSON for a JSON body nested deeper than `max_depth`, before any parser sees it.
/// Bodies of other declared types (firmware images) pass untouched.
pub fn check_json_depth(
    headers: &HeaderMap,
    body: &[u8],
    max_depth: usize,
) -> Result<(), FrontendError> {
    let declared_json = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| {
            let mime = ct.split(';').next().unwrap_or("").trim();
            let mime = mime.to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json") || mime.is_empty()
        });
    if declared_json && json_depth_exceeds(body, max_depth) {
        return Err(FrontendError::bad_request(
            redfish::messages::Message::malformed_json(),
        ));
    }
    Ok(())
}

/// True when the JSON text opens more than `max` objects and arrays at once. One pass, no
/// allocation; brackets inside strings (escapes included) do not count. Not a validator: text
/// that is not JSON is left to the parser.
pub fn json_depth_exceeds(text: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in text {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn depth_counts_objects_and_arrays_outside_strings() {
        assert!(!json_depth_exceeds(nested(64).as_bytes(), 64));
        assert!(json_depth_exceeds(nested(65).as_bytes(), 64));
        assert!(!json_depth_exceeds(br#"{"a": {"b": [1, {"c": 2}]}}"#, 4));
        assert!(json_depth_exceeds(br#"{"a": {"b": [1, {"c": 2}]}}"#, 3));
        let in_string = format!("{{\"a\": \"{}\"}}", "[".repeat(1000));
        assert!(!json_depth_exceeds(in_string.as_bytes(), 2));
        // An escaped quote does not end the string.
        let escaped = format!("{{\"a\": \"\\\"{}\"}}", "{".repeat(1000));
        assert!(!json_depth_exceeds(escaped.as_bytes(), 2));
        assert!(!json_depth_exceeds(br"", 1));
        assert!(!json_depth_exceeds(br"]]]]]}}}}", 1));
    }

    #[test]
    fn header_limits_name_the_field_past_them() {
        let limits = Limits {
            max_header_bytes: 100,
            max_headers: 3,
            max_json_depth: 64,
            max_image_bytes: 1 << 20,
            upload_timeout: std::time::Duration::from_secs(1),
        };
        let mut h = HeaderMap::new();
        for name in ["a", "b", "c"] {
            h.insert(name, "1".parse().expect("value"));
        }
        assert!(check_headers(&h, &limits).is_ok());
        h.insert("d", "1".parse().expect("value"));
        match check_headers(&h, &limits) {
            Err(FrontendError::HeadersTooLarge { header }) => assert_eq!(header, "d"),
            other => panic!("{other:?}"),
        }
        let mut h = HeaderMap::new();
        h.insert("big", "x".repeat(100).parse().expect("value"));
        assert!(matches!(
            check_headers(&h, &limits),
            Err(FrontendError::HeadersTooLarge { .. })
        ));
    }

    #[test]
    fn only_json_bodies_are_measured() {
        let deep = nested(100);
        let mut h = HeaderMap::new();
        assert!(check_json_depth(&h, deep.as_bytes(), 64).is_err());
        h.insert(
            "content-type",
            "application/json; charset=utf-8".parse().expect("ct"),
        );
        assert!(check_json_depth(&h, deep.as_bytes(), 64).is_err());
        h.insert(
            "content-type",
            "application/octet-stream".parse().expect("ct"),
        );
        assert!(check_json_depth(&h, deep.as_bytes(), 64).is_ok());
    }
}
