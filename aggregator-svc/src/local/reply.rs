//! Replies of the aggregate's own resources: JSON with an ETag and Allow, 202 + task monitor,
//! 204; If-Match checks; action parameters.

use crate::error::AggError;
use crate::exchange::{Exchange, Reply};
use bytes::Bytes;
use http::{HeaderValue, Method};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A strong ETag of a body: its SHA-256, shortened.
pub fn etag(body: &Value) -> String {
    let digest = Sha256::digest(body.to_string().as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

fn json_bytes(body: &Value) -> Result<Bytes, AggError> {
    serde_json::to_vec(body)
        .map(Bytes::from)
        .map_err(|e| AggError::Internal(e.to_string()))
}

/// 200 with `body` (none for HEAD), its ETag and `allow`.
pub fn json(exchange: &Exchange, body: &Value, allow: &'static str) -> Result<Reply, AggError> {
    let bytes = if exchange.method == Method::HEAD {
        Bytes::new()
    } else {
        json_bytes(body)?
    };
    let mut reply = Reply::json(200, bytes);
    reply
        .headers
        .push((http::header::ALLOW, HeaderValue::from_static(allow)));
    if let Ok(tag) = HeaderValue::from_str(&etag(body)) {
        reply.headers.push((http::header::ETAG, tag));
    }
    reply.headers.extend(crate::exchange::describedby(body));
    Ok(reply)
}

/// GET/HEAD only, else 405 naming `allow`.
pub fn only(exchange: &Exchange, methods: &[Method], allow: &'static str) -> Result<(), AggError> {
    if methods.contains(&exchange.method) {
        Ok(())
    } else {
        Err(AggError::MethodNotAllowed {
            path: exchange.path.clone(),
            allow,
        })
    }
}

/// 412 unless If-Match is absent, `*`, or lists the current ETag.
pub fn check_if_match(exchange: &Exchange, current: &Value) -> Result<(), AggError> {
    let Some(header) = exchange.header("if-match") else {
        return Ok(());
    };
    let tag = etag(current);
    let matches = header
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == tag || t.strip_prefix("W/") == Some(tag.as_str()));
    if matches {
        Ok(())
    } else {
        Err(AggError::PreconditionFailed {
            path: exchange.path.clone(),
        })
    }
}

/// 202 Accepted: the task monitor in Location, the Task as body.
pub fn accepted(task: &Value) -> Result<Reply, AggError> {
    let mut reply = Reply::json(202, json_bytes(task)?);
    if let Some(monitor) = task["TaskMonitor"].as_str()
        && let Ok(v) = HeaderValue::from_str(monitor)
    {
        reply.headers.push((http::header::LOCATION, v));
    }
    Ok(reply)
}

pub fn no_content() -> Reply {
    Reply {
        status: 204,
        headers: Vec::new(),
        body: Bytes::new(),
    }
}

/// The `ResetType` of a Reset action body, one of `allowed`.
pub fn reset_type(body: &[u8], allowed: &[&str], action: &str) -> Result<String, AggError> {
    let body = super::action::ActionBody::parse(body, action, &["ResetType"])?;
    body.one_of("ResetType", allowed)?;
    body.required_string("ResetType")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exchange(if_match: Option<&str>) -> Exchange {
        let mut headers = Vec::new();
        if let Some(v) = if_match {
            headers.push((
                http::header::IF_MATCH,
                HeaderValue::from_str(v).expect("header"),
            ));
        }
        Exchange {
            method: Method::PATCH,
            path: "/redfish/v1/Chassis/Rack1".into(),
            query: String::new(),
            headers,
            body: Bytes::new(),
            user: "admin".into(),
        }
    }

    #[test]
    fn if_match_accepts_the_current_tag_star_or_none() {
        let body = json!({"AssetTag": "a"});
        let tag = etag(&body);
        assert!(check_if_match(&exchange(None), &body).is_ok());
        assert!(check_if_match(&exchange(Some("*")), &body).is_ok());
        assert!(check_if_match(&exchange(Some(&tag)), &body).is_ok());
        assert!(check_if_match(&exchange(Some(&format!("W/{tag}"))), &body).is_ok());
        assert!(matches!(
            check_if_match(&exchange(Some("\"stale\"")), &body),
            Err(AggError::PreconditionFailed { .. })
        ));
        assert_ne!(tag, etag(&json!({"AssetTag": "b"})));
    }

    #[test]
    fn reset_type_is_required_typed_and_listed() {
        let key = |body: &str| match reset_type(body.as_bytes(), &["ForceRestart"], "Chassis.Reset")
        {
            Ok(t) => t,
            Err(AggError::BadRequest { message }) => message.key().to_owned(),
            Err(e) => panic!("{e}"),
        };
        assert_eq!(key(r#"{"ResetType":"ForceRestart"}"#), "ForceRestart");
        assert_eq!(key("{}"), "ActionParameterMissing");
        assert_eq!(key(r#"{"ResetType":1}"#), "ActionParameterValueTypeError");
        assert_eq!(
            key(r#"{"ResetType":"On"}"#),
            "ActionParameterValueNotInList"
        );
        assert_eq!(
            key(r#"{"ResetType":"ForceRestart","Force":true}"#),
            "ActionParameterUnknown"
        );
        assert_eq!(key("{"), "MalformedJSON");
    }
}
