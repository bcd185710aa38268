//! Dispatch of one Redfish request to the right handler, plus the headers every reply gets.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderValue, LOCATION};
use http::{HeaderMap, Method, StatusCode};
use serde_json::json;

use super::error::{ApiError, error_reply};
use super::reply::Reply;
use super::{actions, create, delete, get, patch, tasks};
use crate::auth;
use crate::bmc::Bmc;
use crate::tree::SELF_BASE;
use crate::tree::services::{MULTIPART_PUSH, TASK_MONITORS};

/// Everything of the SessionService lives under this path.
const SESSION_SERVICE: &str = "/redfish/v1/SessionService";

/// A request with its body fully read.
#[derive(Debug)]
pub(crate) struct Req {
    pub(crate) method: Method,
    /// Canonical path (`uri::canonical_path`: percent-decoded once, re-encoded minimally), without
    /// query and trailing slash (`/redfish/v1` for the root): what routing and the store use.
    pub(crate) path: String,
    /// The path as received, without query and trailing slash: what path faults match (rules
    /// are written as sent on the wire) and what a task reports as its target.
    pub(crate) raw_path: String,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Req {
    /// Builds a request, normalising the path (ids are decoded here, once, so
    /// `/redfish/v1/Systems/System%201` reaches the system whose id is `System 1`).
    pub(crate) fn new(
        method: Method,
        raw_path: &str,
        query: Option<&str>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Req {
        let trimmed = raw_path.trim_end_matches('/');
        let path = if trimmed.is_empty() { "/" } else { trimmed };
        Req {
            method,
            path: crate::uri::canonical_path(path).into_owned(),
            raw_path: path.to_string(),
            query: query.map(str::to_string),
            headers,
            body,
        }
    }

    /// Value of a query parameter.
    pub(crate) fn query_param(&self, name: &str) -> Option<&str> {
        self.query.as_deref()?.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k.replace("%24", "$") == name).then_some(v)
        })
    }
}

/// Result of a handler: a reply, or errors that become a Redfish error reply.
pub(crate) type HResult = Result<Reply, Vec<ApiError>>;

/// Handles one Redfish request (faults are applied by the caller).
pub(crate) fn handle(bmc: &Arc<Bmc>, req: &Req) -> Reply {
    let reply = match route(bmc, req) {
        Ok(r) => r,
        Err(errors) => error_reply(&errors),
    };
    finish(bmc, reply)
}

fn route(bmc: &Arc<Bmc>, req: &Req) -> HResult {
    if req.path == "/redfish" {
        return only_get(req, "GET, HEAD")
            .map(|_| Reply::json(StatusCode::OK, &json!({ "v1": "/redfish/v1/" })));
    }
    if !req.path.starts_with("/redfish/v1") {
        return Err(vec![ApiError::NotFound {
            path: req.path.clone(),
        }]);
    }
    let mut st = bmc.state();
    if !auth::is_open(&req.method, &req.path) {
        auth::authenticate(&mut st, &req.headers).map_err(|e| vec![e])?;
    }
    // `session_service_500`: the service is advertised but broken; logging in (POST, open) and
    // reading it (after authentication, as any handler that fails) both get 500.
    if bmc.quirks.session_service_500 && under(&req.path, SESSION_SERVICE) {
        return Err(vec![ApiError::Injected { code: 500 }]);
    }
    match req.path.as_str() {
        "/redfish/v1/$metadata" => {
            only_get(req, "GET, HEAD")?;
            let xml = st.store.template().metadata.clone();
            return Ok(Reply {
                status: StatusCode::OK,
                headers: HeaderMap::new(),
                body: Bytes::from(xml),
            }
            .with_header(http::header::CONTENT_TYPE, "application/xml"));
        }
        "/redfish/v1/odata" => {
            only_get(req, "GET, HEAD")?;
            return Ok(Reply::json(StatusCode::OK, &st.store.template().odata));
        }
        _ => {}
    }
    if let Some((parent, _)) = actions::split(&req.path) {
        return actions::post(bmc, &mut st, req, parent);
    }
    if req.path == MULTIPART_PUSH {
        return match req.method {
            Method::POST => Ok(tasks::start(bmc, &mut st, req, "Firmware update (push)")),
            _ => Err(vec![ApiError::MethodNotAllowed {
                allow: "POST".into(),
            }]),
        };
    }
    if req.path.starts_with(TASK_MONITORS) {
        return tasks::monitor(&st, req);
    }
    let Some(entry) = st.store.get(&req.path) else {
        return Err(vec![ApiError::NotFound {
            path: req.path.clone(),
        }]);
    };
    match req.method {
        Method::GET | Method::HEAD => get::get(&st, req, &entry),
        Method::PATCH if !entry.caps.patch.is_empty() => patch::patch(bmc, &mut st, req, &entry),
        Method::POST if entry.caps.post => create::post(&mut st, req),
        Method::DELETE if entry.caps.delete => delete::delete(bmc, &mut st, req, &entry),
        _ => Err(vec![ApiError::MethodNotAllowed {
            allow: entry.caps.allow(),
        }]),
    }
}

/// The reply to a multipart push the network layer read ([`crate::net`]'s push): 202 and a task,
/// or the errors, with the headers every reply gets.
pub(crate) fn push_reply(bmc: &Arc<Bmc>, req: &Req, errors: Vec<ApiError>) -> Reply {
    let reply = if errors.is_empty() {
        tasks::start(bmc, &mut bmc.state(), req, "Firmware update (push)")
    } else {
        error_reply(&errors)
    };
    finish(bmc, reply)
}

/// Authenticates a request whose body is not read yet.
pub(crate) fn authenticate(bmc: &Bmc, headers: &HeaderMap) -> Result<(), ApiError> {
    auth::authenticate(&mut bmc.state(), headers).map(|_| ())
}

fn only_get(req: &Req, allow: &str) -> Result<(), Vec<ApiError>> {
    match req.method {
        Method::GET | Method::HEAD => Ok(()),
        _ => Err(vec![ApiError::MethodNotAllowed {
            allow: allow.to_string(),
        }]),
    }
}

/// True if `path` is `prefix` or below it.
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Headers on every reply; absolute-URL placeholders become this BMC's own base URL (or the
/// advertised one), in bodies and in `Location`.
fn finish(bmc: &Bmc, mut reply: Reply) -> Reply {
    reply
        .headers
        .insert("odata-version", HeaderValue::from_static("4.0"));
    reply.headers.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    if let Some(loc) = reply.headers.get(LOCATION).and_then(|v| v.to_str().ok())
        && loc.contains(SELF_BASE)
        && let Ok(v) = HeaderValue::from_str(&loc.replace(SELF_BASE, &bmc.self_base))
    {
        reply.headers.insert(LOCATION, v);
    }
    if memchr_self(&reply.body)
        && let Ok(text) = std::str::from_utf8(&reply.body)
    {
        reply.body = Bytes::from(text.replace(SELF_BASE, &bmc.self_base));
    }
    reply
}

fn memchr_self(body: &[u8]) -> bool {
    body.windows(SELF_BASE.len())
        .any(|w| w == SELF_BASE.as_bytes())
}
