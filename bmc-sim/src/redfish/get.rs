//! GET/HEAD of a stored resource: paging, ETag, Link, Allow.

use std::hash::{DefaultHasher, Hash, Hasher};

use bytes::Bytes;
use http::StatusCode;
use http::header::{ALLOW, ETAG, IF_NONE_MATCH, LINK};
use serde_json::Value;

use super::reply::Reply;
use super::router::{HResult, Req};
use crate::bmc::BmcState;
use crate::store::Entry;

/// Collections longer than this are paged with `Members@odata.nextLink`.
pub(crate) const PAGE_SIZE: usize = 50;

/// The ETag of a resource body (weak, stable for equal bodies).
pub(crate) fn etag_of(body: &Value) -> String {
    let mut h = DefaultHasher::new();
    body.to_string().hash(&mut h);
    format!("W/\"{:016x}\"", h.finish())
}

/// `</redfish/v1/JsonSchemas/ComputerSystem.v1_20_0>; rel=describedby` for a body's `@odata.type`.
pub(crate) fn describedby(body: &Value) -> Option<String> {
    let t = body.get("@odata.type")?.as_str()?.strip_prefix('#')?;
    let (schema, _) = t.rsplit_once('.')?;
    Some(format!(
        "</redfish/v1/JsonSchemas/{schema}>; rel=describedby"
    ))
}

pub(crate) fn get(st: &BmcState, req: &Req, entry: &Entry) -> HResult {
    let layout = st.store.layout();
    let etag = etag_of(&entry.body);
    let mut body = entry.body.clone();
    page(&mut body, req);
    expand_log_entries(st, &mut body);
    if layout.odata_etag
        && let Some(obj) = body.as_object_mut()
    {
        obj.insert("@odata.etag".into(), Value::String(etag.clone()));
    }
    let not_modified = req
        .headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let mut reply = if not_modified {
        Reply::empty(StatusCode::NOT_MODIFIED)
    } else {
        Reply::json(StatusCode::OK, &body)
    };
    if req.method == http::Method::HEAD {
        reply.body = Bytes::new();
    }
    reply = reply
        .with_header(ETAG, &etag)
        .with_header(ALLOW, &entry.caps.allow());
    if let Some(link) = describedby(&entry.body) {
        reply = reply.with_header(LINK, &link);
    }
    Ok(reply)
}

/// LogEntry collections embed their members (`OData.AutoExpand` in the schema).
fn expand_log_entries(st: &BmcState, body: &mut Value) {
    if body.get("@odata.type").and_then(Value::as_str)
        != Some("#LogEntryCollection.LogEntryCollection")
    {
        return;
    }
    let Some(Value::Array(members)) = body.get_mut("Members") else {
        return;
    };
    for m in members.iter_mut() {
        let path = m
            .get("@odata.id")
            .and_then(Value::as_str)
            .map(|p| p.trim_end_matches('/').to_string());
        if let Some(entry) = path.and_then(|p| st.store.get(&p)) {
            *m = entry.body.clone();
        }
    }
}

/// Cuts a long collection to one page (`$skip`, `$top`) and adds the next link.
fn page(body: &mut Value, req: &Req) {
    let Some(members) = body.get("Members").and_then(Value::as_array) else {
        return;
    };
    let total = members.len();
    let skip: usize = req
        .query_param("$skip")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let top: usize = req
        .query_param("$top")
        .and_then(|s| s.parse().ok())
        .unwrap_or(PAGE_SIZE)
        .min(PAGE_SIZE);
    if total <= PAGE_SIZE && skip == 0 && req.query_param("$top").is_none() {
        return;
    }
    let page: Vec<Value> = members.iter().skip(skip).take(top).cloned().collect();
    let next = skip + top;
    // The collection's own link, as the profile writes it (encoded ids, trailing slash), not
    // the request's spelling of the path.
    let own = body
        .get("@odata.id")
        .and_then(Value::as_str)
        .unwrap_or(&req.path)
        .to_string();
    let Some(obj) = body.as_object_mut() else {
        return;
    };
    obj.insert("Members".into(), Value::Array(page));
    if next < total {
        obj.insert(
            "Members@odata.nextLink".into(),
            Value::String(format!("{own}?$skip={next}")),
        );
    }
}
