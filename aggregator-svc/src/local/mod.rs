//! The aggregate's own resources (owned by aggregator-svc, never forwarded): the service
//! singletons that parent merged collections (UpdateService, TaskService) and, with the rack
//! resources, the rack itself.

mod services;

use crate::error::AggError;
use crate::exchange::{Exchange, Reply};
use crate::inventory::Inventory;
use bytes::Bytes;
use http::{HeaderValue, Method};
use serde_json::Value;

/// Serves `path` if the aggregate owns it.
pub fn serve(inventory: &Inventory, exchange: &Exchange) -> Result<Reply, AggError> {
    let path = trim_slash(&exchange.path);
    let body = services::singleton(inventory, path).ok_or_else(|| AggError::NotFound {
        path: exchange.path.clone(),
    })?;
    read_only(exchange, body)
}

fn trim_slash(path: &str) -> &str {
    match path.strip_suffix('/') {
        Some(p) if !p.is_empty() => p,
        _ => path,
    }
}

const READ_ONLY: &str = "GET, HEAD";

/// GET/HEAD of a read-only local resource; 405 otherwise.
fn read_only(exchange: &Exchange, body: Value) -> Result<Reply, AggError> {
    if exchange.method != Method::GET && exchange.method != Method::HEAD {
        return Err(AggError::MethodNotAllowed {
            path: exchange.path.clone(),
            allow: READ_ONLY,
        });
    }
    let bytes = if exchange.method == Method::HEAD {
        Bytes::new()
    } else {
        Bytes::from(serde_json::to_vec(&body).map_err(|e| AggError::Internal(e.to_string()))?)
    };
    let mut reply = Reply::json(200, bytes);
    reply
        .headers
        .push((http::header::ALLOW, HeaderValue::from_static(READ_ONLY)));
    reply.headers.extend(crate::exchange::describedby(&body));
    Ok(reply)
}

/// Top-level singletons the ServiceRoot links to.
pub fn service_root_links() -> &'static [(&'static str, &'static str)] {
    services::ROOT_LINKS
}

/// The current time as Redfish wants it.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    redfish::time::format_utc(i64::try_from(secs).unwrap_or(i64::MAX))
}
