//! DSP0266 query parameters for every resource of the aggregate: the frontend takes `only`,
//! `$select`, `$expand`, `$filter`, `$top` and `$skip` off the request, serves the base resource
//! the normal way, then rewrites the body. Expanded and filtered resources are fetched through the
//! same router with the same principal, so every one of them is subject to the caller's
//! privileges; one that cannot be read stays a reference.
//!
//! The pure parts (parsing, filter, select, expand planning) live in [`redfish::query`].

use crate::AppState;
use crate::auth::Principal;
use crate::error::FrontendError;
use crate::request::Request;
use crate::response::Response;
use crate::router;
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt, stream};
use http::{Method, StatusCode};
use redfish::messages::Message;
use redfish::query::{Expand, Query, QueryError, expand, filter, select};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;

/// Sub-requests in flight for one query, so an expansion cannot flood the aggregator.
const CONCURRENCY: usize = 16;
/// Sub-requests one query may make; past it references stay unexpanded. Bounds the cost of
/// `*($levels=3)` on a large rack, while a `$filter` over the Systems of a 4,000-server
/// aggregate still reads every member.
const MAX_SUBREQUESTS: usize = 10_000;
/// Pages of one BMC collection read to apply `$filter`, `$top` or `$skip` to all of it.
const MAX_PAGES: usize = 1_000;

/// Splits the query off a request: `None` when there is nothing to apply (the hot path: no body
/// is ever parsed), else the request to serve the base resource with, what to apply to it, and
/// the query string as the client sent it (for next links).
pub fn plan(mut request: Request) -> Result<(Request, Option<(Query, String)>), FrontendError> {
    if request.query.is_empty() {
        return Ok((request, None));
    }
    let query = redfish::query::parse(&request.query).map_err(|e| match e {
        QueryError::Unsupported(parameter) => FrontendError::QueryUnsupported { parameter },
        QueryError::Invalid(message) => FrontendError::bad_request(message),
    })?;
    if query.is_plain() {
        return Ok((request, None));
    }
    if request.method != Method::GET && request.method != Method::HEAD {
        return Err(FrontendError::bad_request(
            Message::query_not_supported_on_operation(),
        ));
    }
    // The base is always read with GET (a HEAD reply has no body to work on); `finish` drops
    // the body of a HEAD afterwards. A conditional GET could answer 304 with no body either.
    request.method = Method::GET;
    let raw = std::mem::replace(&mut request.query, query.forward.clone());
    request.headers.remove("if-none-match");
    Ok((request, Some((query, raw))))
}

/// Everything one query needs to fetch further resources as the caller.
pub struct Fetcher<'a> {
    state: &'a AppState,
    principal: Option<&'a Principal>,
    /// Request id, path and client of the request being answered: its sub-requests carry them.
    id: String,
    path: String,
    peer: Option<std::net::SocketAddr>,
    client: crate::forwarded::Client,
    permits: Semaphore,
    made: AtomicUsize,
    /// Bodies already fetched: a member read for `$filter` is not read again for `$expand`.
    cache: Mutex<HashMap<String, Option<Value>>>,
}

impl<'a> Fetcher<'a> {
    /// `request` gives the sub-requests their request id, path and client; without a principal
    /// (the unauthenticated ServiceRoot) nothing can be fetched.
    pub fn new(state: &'a AppState, principal: Option<&'a Principal>, request: &Request) -> Self {
        Fetcher {
            state,
            principal,
            id: request.id.clone(),
            path: request.path.clone(),
            peer: request.peer,
            client: request.client,
            permits: Semaphore::new(CONCURRENCY),
            made: AtomicUsize::new(0),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// GET of `uri` as the caller, through the router (privileges included).
    async fn response(&self, uri: &str) -> Option<Response> {
        let principal = self.principal?;
        if self.made.fetch_add(1, Ordering::Relaxed) >= MAX_SUBREQUESTS {
            return None;
        }
        let _permit = self.permits.acquire().await.ok()?;
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let request = Request {
            id: self.id.clone(),
            method: Method::GET,
            path: path.to_owned(),
            query: query.to_owned(),
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::new(),
            peer: self.peer,
            client: self.client,
        };
        router::serve_as(self.state, request, principal).await.ok()
    }

    /// The body of `uri` when it reads as a 200 JSON object.
    async fn body(&self, uri: &str) -> Option<Value> {
        if let Some(hit) = self.cached(uri) {
            return hit;
        }
        let body = self
            .response(uri)
            .await
            .filter(|r| r.status == StatusCode::OK)
            .and_then(|r| serde_json::from_slice::<Value>(&r.body).ok())
            .filter(Value::is_object);
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(uri.to_owned(), body.clone());
        }
        body
    }

    fn cached(&self, uri: &str) -> Option<Option<Value>> {
        self.cache.lock().ok()?.get(uri).cloned()
    }

    /// Replaces the references `expand` selects by their resources, `levels` deep.
    fn expand(&'a self, mut body: Value, how: Expand) -> BoxFuture<'a, Value> {
        async move {
            // Futures built up front and boxed: a closure returning a borrowing future inside
            // the stream would not be provably `Send` for the server.
            let jobs: Vec<BoxFuture<'a, (String, Option<Value>)>> =
                expand::references(&body, how.kind)
                    .into_iter()
                    .map(|r| self.expand_one(r, how))
                    .collect();
            let fetched: Vec<(String, Option<Value>)> = stream::iter(jobs)
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            for (pointer, sub) in fetched {
                if let Some(sub) = sub {
                    expand::fill(&mut body, &pointer, sub);
                }
            }
            body
        }
        .boxed()
    }

    fn expand_one(
        &'a self,
        r: expand::Reference,
        how: Expand,
    ) -> BoxFuture<'a, (String, Option<Value>)> {
        async move {
            let sub = match self.body(&r.uri).await {
                Some(sub) if how.levels > 1 => Some(
                    self.expand(
                        sub,
                        Expand {
                            kind: how.kind,
                            levels: how.levels - 1,
                        },
                    )
                    .await,
                ),
                other => other,
            };
            (r.pointer, sub)
        }
        .boxed()
    }

    fn member_body(&'a self, member: Value) -> BoxFuture<'a, Option<Value>> {
        async move {
            match expand::reference_uri(&member) {
                Some(uri) => self.body(uri).await,
                None => Some(member),
            }
        }
        .boxed()
    }

    /// `members` followed by those of every further page the collection links (`nextLink`),
    /// fetched as the caller; a page that cannot be read, or that was seen already, ends it.
    async fn remaining_pages(
        &self,
        mut members: Vec<Value>,
        mut next: Option<String>,
    ) -> Vec<Value> {
        let mut seen = std::collections::HashSet::new();
        while let Some(uri) = next.take() {
            if !seen.insert(uri.clone()) || seen.len() > MAX_PAGES {
                tracing::warn!(%uri, "paging stopped: a page seen twice or too many pages");
                break;
            }
            let Some(page) = self.body(&uri).await else {
                break;
            };
            if let Some(more) = page["Members"].as_array() {
                members.extend(more.iter().cloned());
            }
            next = page["Members@odata.nextLink"].as_str().map(str::to_owned);
        }
        members
    }

    /// The members matching `expr`, in collection order. A member that cannot be read cannot be
    /// shown to match.
    async fn filter(&'a self, members: Vec<Value>, expr: &filter::Expr) -> Vec<Value> {
        let jobs: Vec<BoxFuture<'a, Option<Value>>> = members
            .iter()
            .map(|m| self.member_body(m.clone()))
            .collect();
        let bodies: Vec<Option<Value>> = stream::iter(jobs).buffered(CONCURRENCY).collect().await;
        members
            .into_iter()
            .zip(bodies)
            .filter(|(_, b)| b.as_ref().is_some_and(|b| filter::matches(expr, b)))
            .map(|(m, _)| m)
            .collect()
    }
}

/// Applies `query` to the base response of `request` (already served without it).
pub async fn apply<'a>(
    fetcher: &'a Fetcher<'a>,
    base: Response,
    query: &Query,
    raw_query: &str,
) -> Result<Response, FrontendError> {
    if base.status != StatusCode::OK {
        return Ok(base);
    }
    let Ok(mut body) = serde_json::from_slice::<Value>(&base.body) else {
        return Ok(base);
    };
    let members = body.get("Members").and_then(Value::as_array).cloned();
    if query.needs_collection() && members.is_none() {
        return Err(FrontendError::bad_request(
            Message::query_not_supported_on_resource(),
        ));
    }
    if query.only {
        // DSP0266: a collection of exactly one member answers with that member.
        return match members.as_deref() {
            Some([member]) => match expand::reference_uri(member) {
                Some(uri) => Ok(fetcher.response(uri).await.unwrap_or(base)),
                None => Ok(base),
            },
            _ => Ok(base),
        };
    }
    if let Some(mut members) = members {
        if query.filter.is_some() || query.top.is_some() || query.skip.is_some() {
            // A BMC that pages the collection itself: filter and page over all of it, so
            // `$skip`, `$top` and the count mean the whole collection, not its first page.
            let next = body["Members@odata.nextLink"].as_str().map(str::to_owned);
            members = fetcher.remaining_pages(members, next).await;
        }
        if let Some(expr) = &query.filter {
            members = fetcher.filter(members, expr).await;
        }
        if query.filter.is_some() || query.top.is_some() || query.skip.is_some() {
            let page = page(members, query.skip, query.top);
            body["Members@odata.count"] = page.total.into();
            match page.next_skip {
                Some(skip) => {
                    body["Members@odata.nextLink"] =
                        next_link(&fetcher.path, raw_query, skip, query.top).into();
                }
                None => {
                    if let Some(obj) = body.as_object_mut() {
                        obj.remove("Members@odata.nextLink");
                    }
                }
            }
            body["Members"] = Value::Array(page.members);
        }
    }
    if let Some(how) = query.expand {
        body = fetcher.expand(body, how).await;
    }
    if let Some(selection) = &query.select {
        select::apply(&mut body, selection);
    }
    let mut response = Response::json_value(StatusCode::OK, &body);
    for (name, value) in &base.headers {
        // The ETag named the base representation, not this one.
        if name != http::header::ETAG
            && name != http::header::CONTENT_LENGTH
            && name != http::header::CONTENT_TYPE
        {
            response.headers.append(name.clone(), value.clone());
        }
    }
    Ok(response)
}

struct Page {
    members: Vec<Value>,
    total: usize,
    next_skip: Option<usize>,
}

fn page(members: Vec<Value>, skip: Option<usize>, top: Option<usize>) -> Page {
    let total = members.len();
    let start = skip.unwrap_or(0).min(total);
    let end = top.map_or(total, |t| start.saturating_add(t).min(total));
    Page {
        members: members.into_iter().skip(start).take(end - start).collect(),
        total,
        // `$top=0` has no next page: it would link to itself.
        next_skip: (end < total && end > start).then_some(end),
    }
}

/// The next page: the same query with `$skip` moved on.
fn next_link(path: &str, raw_query: &str, skip: usize, top: Option<usize>) -> String {
    let mut params: Vec<String> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split('=').next().unwrap_or("");
            let key = percent_encoding::percent_decode_str(key).decode_utf8_lossy();
            key != "$skip" && key != "$top"
        })
        .map(str::to_owned)
        .collect();
    params.push(format!("$skip={skip}"));
    if let Some(top) = top {
        params.push(format!("$top={top}"));
    }
    format!("{path}?{}", params.join("&"))
}

/// ServiceRoot advertises exactly what [`apply`] implements.
pub fn expand_features() -> Value {
    serde_json::json!({
        "ExpandAll": true,
        "Levels": true,
        "Links": true,
        "NoLinks": true,
        "MaxLevels": redfish::query::MAX_LEVELS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(method: Method, query: &str) -> Request {
        let mut headers = http::HeaderMap::new();
        headers.insert("if-none-match", http::HeaderValue::from_static("W/\"1\""));
        Request {
            id: "t".into(),
            method,
            path: "/redfish/v1/Systems".into(),
            query: query.into(),
            headers,
            body: bytes::Bytes::new(),
            peer: None,
            client: crate::forwarded::Client::default(),
        }
    }

    #[test]
    fn plan_strips_what_it_applies_and_refuses_the_rest() {
        let (r, q) = plan(request(Method::GET, "")).expect("empty");
        assert!(q.is_none() && r.headers.contains_key("if-none-match"));
        let (r, q) = plan(request(Method::GET, "a=1&excerpt")).expect("plain");
        assert!(q.is_none());
        assert_eq!(r.query, "a=1&excerpt");
        let (r, q) = plan(request(Method::HEAD, "a=1&$select=Name&$top=1")).expect("select");
        assert!(q.is_some());
        assert_eq!((r.method, r.query.as_str()), (Method::GET, "a=1"));
        assert!(!r.headers.contains_key("if-none-match"));
        let status = |m: Method, q: &str| plan(request(m, q)).err().map(|e| e.status().as_u16());
        assert_eq!(status(Method::PATCH, "$select=Name"), Some(400));
        assert_eq!(status(Method::PATCH, "a=1"), None);
        assert_eq!(status(Method::GET, "$search=x"), Some(501));
        assert_eq!(status(Method::GET, "$expand=*($levels=9)"), Some(400));
    }

    #[test]
    fn pages_members_and_links_the_next_page() {
        let members: Vec<Value> = (0..5)
            .map(|i| json!({"@odata.id": format!("/m/{i}")}))
            .collect();
        let rows = [
            (None, None, 5, 0, None),
            (Some(1), Some(2), 2, 1, Some(3)),
            (Some(4), Some(2), 1, 4, None),
            (Some(9), None, 0, 5, None),
            (None, Some(0), 0, 0, None),
        ];
        for (skip, top, len, first, next) in rows {
            let p = page(members.clone(), skip, top);
            assert_eq!(p.total, 5);
            assert_eq!(p.members.len(), len, "{skip:?} {top:?}");
            if len > 0 {
                assert_eq!(p.members[0]["@odata.id"], format!("/m/{first}"));
            }
            assert_eq!(p.next_skip, next, "{skip:?} {top:?}");
        }
        assert_eq!(
            next_link("/c", "$filter=Id%20eq%20'a'&$top=2&%24skip=0", 2, Some(2)),
            "/c?$filter=Id%20eq%20'a'&$skip=2&$top=2"
        );
    }
}
