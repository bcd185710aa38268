//! Forwarding one request to its BMC: the request is rebuilt (allow-listed headers, the client's
//! aggregate URIs mapped back to the BMC's own), and the reply's body and Location/Link headers are
//! localized into the aggregate's URI space. The BMC's own error replies pass through, localized.

use crate::error::AggError;
use crate::exchange::{Exchange, Reply};
use crate::inventory::BmcEntry;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};
use redfish::messages::Message;
use redfish::odata::{FORWARDED_REQUEST_HEADERS, FORWARDED_RESPONSE_HEADERS};
use redfish::rewrite::{delocalize_body, localize_json, localize_link_header, localize_location};
use serde_json::Value;

/// Sends `exchange` to `bmc` at `bmc_path` (already stripped of the aggregate prefix).
pub async fn forward(
    bmc: &BmcEntry,
    bmc_path: &str,
    exchange: &Exchange,
) -> Result<Reply, AggError> {
    let headers: Vec<(HeaderName, HeaderValue)> = exchange
        .headers
        .iter()
        .filter(|(n, _)| FORWARDED_REQUEST_HEADERS.contains(&n.as_str()))
        .cloned()
        .collect();
    let body = delocalize_request_body(bmc, exchange)?;
    let target = if exchange.query.is_empty() {
        bmc_path.to_owned()
    } else {
        format!("{bmc_path}?{}", exchange.query)
    };
    // HEAD is sent as GET so the reply's headers (Link from the body's type, ETag) are the same
    // as a GET's; the body is dropped below.
    let method = if exchange.method == Method::HEAD {
        Method::GET
    } else {
        exchange.method.clone()
    };
    // Failures that concern the whole BMC open its breaker (in the client); discovery owns
    // the BMC's health.
    let reply = bmc.client.send(method, &target, &headers, body).await?;
    if exchange.method == Method::HEAD {
        let mut reply = localize_reply(bmc, reply)?;
        reply.body = Bytes::new();
        return Ok(reply);
    }
    localized(bmc, reply, &exchange.path)
}

/// A BMC's reply as the client of the aggregate sees it: status kept, body and Location/Link
/// headers localized, and an error status without a body given a Redfish error naming the BMC
/// (`path` is the aggregate path the client asked for). Also what the aggregate's own actions that
/// stand for one BMC's (SimpleUpdate on one server) answer with.
pub fn localized(
    bmc: &BmcEntry,
    reply: crate::bmc_client::BmcReply,
    path: &str,
) -> Result<Reply, AggError> {
    let mut reply = localize_reply(bmc, reply)?;
    if reply.status >= 400 && reply.body.is_empty() {
        explain_bare_error(&mut reply, bmc, path);
    }
    Ok(reply)
}

/// A BMC error status without a body still reaches the client as a Redfish error: same status,
/// a Base message that fits it, naming the BMC.
fn explain_bare_error(reply: &mut Reply, bmc: &BmcEntry, path: &str) {
    let message = match reply.status {
        404 => Message::resource_missing_at_uri(path),
        405 => Message::operation_not_allowed(),
        412 => Message::precondition_failed(),
        413 => Message::payload_too_large(),
        503 => Message::service_temporarily_unavailable(crate::error::RETRY_AFTER_SECS),
        504 => Message::operation_timeout(),
        s if s >= 500 => Message::operation_failed(),
        _ => Message::new("GeneralError", Vec::new()),
    }
    .for_bmc(bmc.id.as_str());
    reply.body = Bytes::from(redfish::error_body::error_bytes(&[message]));
    reply
        .headers
        .retain(|(n, _)| n != http::header::CONTENT_TYPE);
    reply.headers.push((
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(redfish::odata::JSON_CONTENT_TYPE),
    ));
}

fn is_json_type(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        mime == "application/json" || mime.ends_with("+json")
    })
}

/// Maps aggregate URIs in a JSON request body back to the BMC's. Bodies that are not JSON
/// (firmware images, multipart) and JSON we cannot parse pass unchanged: the BMC judges them.
fn delocalize_request_body(bmc: &BmcEntry, exchange: &Exchange) -> Result<Bytes, AggError> {
    if exchange.body.is_empty() {
        return Ok(exchange.body.clone());
    }
    let ct = exchange.header("content-type");
    if ct.is_some() && !is_json_type(ct) {
        return Ok(exchange.body.clone());
    }
    let Ok(mut value) = serde_json::from_slice::<Value>(&exchange.body) else {
        return Ok(exchange.body.clone());
    };
    delocalize_body(&mut value, &bmc.ctx()).map_err(|foreign| AggError::BadRequest {
        message: Message::property_value_format_error(
            &foreign.uri,
            foreign.property_path.trim_start_matches('/'),
        ),
    })?;
    serde_json::to_vec(&value)
        .map(Bytes::from)
        .map_err(|e| AggError::Internal(format!("re-serializing request body: {e}")))
}

fn localize_reply(bmc: &BmcEntry, reply: crate::bmc_client::BmcReply) -> Result<Reply, AggError> {
    let ctx = bmc.ctx();
    let mut headers = Vec::new();
    for (name, value) in &reply.headers {
        if !FORWARDED_RESPONSE_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let value = match (name.as_str(), value.to_str()) {
            ("location", Ok(v)) => header_value(&localize_location(v, &ctx)),
            ("link", Ok(v)) => header_value(&localize_link_header(v, &ctx)),
            _ => Some(value.clone()),
        };
        if let Some(value) = value {
            headers.push((name.clone(), value));
        }
    }
    let content_type = reply
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let body = if reply.body.is_empty() {
        reply.body
    } else if is_json_type(content_type) || (content_type.is_none() && looks_like_json(&reply.body))
    {
        // Over the bytes, without a tree: this runs on every proxied reply.
        let localized = localize_json(&reply.body, &ctx).map_err(|e| AggError::BmcBadReply {
            bmc: bmc.id.to_string(),
            reason: format!("reply is not valid JSON: {e}"),
        })?;
        if !headers.iter().any(|(n, _)| n == http::header::LINK)
            && let Some(link) = localized
                .odata_type
                .as_deref()
                .and_then(crate::exchange::describedby_type)
        {
            headers.push(link);
        }
        Bytes::from(localized.body)
    } else {
        reply.body
    };
    Ok(Reply {
        status: reply.status.as_u16(),
        headers,
        body,
    })
}

fn looks_like_json(body: &[u8]) -> bool {
    body.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{' || *b == b'[')
}

fn header_value(v: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(v).ok()
}
