//! Crawls a BMC's whole tree from the ServiceRoot, following every link, as an aggregator does.

use std::collections::{BTreeSet, VecDeque};

use bmc_sim::SimHandle;
use serde_json::Value;

use super::get;

/// Keys whose string values are links to GETtable resources.
fn is_link_key(k: &str) -> bool {
    k == "@odata.id"
        || k == "Members@odata.nextLink"
        || k == "@Redfish.ActionInfo"
        || k == "DataSourceUri"
        || k.ends_with("@odata.navigationLink")
}

/// Every link in a body, as written.
pub fn links_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                match val {
                    Value::String(s) if is_link_key(k) => out.push(s.clone()),
                    _ => links_in(val, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| links_in(i, out)),
        _ => {}
    }
}

/// What a crawl accepts besides links that answer 200.
#[derive(Debug, Default, Clone)]
pub struct CrawlOptions {
    /// Other `scheme://host:port` bases that name this BMC in absolute links (an advertised host
    /// name, which an aggregator maps to the address it reaches the BMC by).
    pub aliases: Vec<String>,
    /// Deliberate failures: a link at or below `prefix` answers `status` (and is not followed).
    pub expected: Vec<(String, u16)>,
}

/// The result of a crawl.
#[derive(Debug, Default)]
pub struct Crawled {
    /// Every resource that answered 200, as (path, body).
    pub visited: Vec<(String, Value)>,
    /// Every deliberate failure met, as (path, status).
    pub failed: Vec<(String, u16)>,
    /// Every link seen, exactly as the BMC wrote it.
    pub links: BTreeSet<String>,
}

impl Crawled {
    /// True if some visited path contains `needle`.
    pub fn has_path(&self, needle: &str) -> bool {
        self.visited.iter().any(|(p, _)| p.contains(needle))
    }

    /// The body at `path`, if visited.
    pub fn body(&self, path: &str) -> Option<&Value> {
        self.visited.iter().find(|(p, _)| p == path).map(|(_, b)| b)
    }
}

/// Normalises a link to a path on this BMC; panics on links to other hosts.
fn local(h: &SimHandle, opts: &CrawlOptions, link: &str) -> Option<String> {
    if link.contains('#') {
        return None;
    }
    for base in std::iter::once(h.url()).chain(opts.aliases.iter().cloned()) {
        if let Some(rest) = link.strip_prefix(&base) {
            return Some(rest.to_string());
        }
    }
    assert!(
        link.starts_with('/'),
        "link {link} points outside this BMC ({}, aliases {:?})",
        h.url(),
        opts.aliases
    );
    Some(link.to_string())
}

fn expected_status(opts: &CrawlOptions, path: &str) -> Option<u16> {
    let path = path.split('?').next().unwrap_or(path).trim_end_matches('/');
    opts.expected
        .iter()
        .find(|(prefix, _)| {
            path.strip_prefix(prefix.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .map(|(_, status)| *status)
}

/// Crawls the whole tree; every link must answer 200.
pub async fn crawl(h: &SimHandle) -> Crawled {
    crawl_with(h, &CrawlOptions::default()).await
}

/// Crawls the whole tree; every link must answer 200 with ETag, Allow and a schema Link header,
/// except the deliberate failures of `opts`, which must answer their status exactly.
pub async fn crawl_with(h: &SimHandle, opts: &CrawlOptions) -> Crawled {
    let mut out = Crawled::default();
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from(["/redfish/v1".to_string()]);
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let (status, headers, body) = get(h, &path).await;
        if let Some(want) = expected_status(opts, &path) {
            assert_eq!(status, want, "{}: GET {path} -> {status}: {body}", h.url());
            out.failed.push((path, status));
            continue;
        }
        assert_eq!(status, 200, "{}: GET {path} -> {status}: {body}", h.url());
        assert!(headers.contains_key("etag"), "{path} has no ETag");
        assert!(headers.contains_key("allow"), "{path} has no Allow");
        let odata_type = body["@odata.type"].as_str().unwrap_or_default();
        if !odata_type.is_empty() {
            let link = headers
                .get("link")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            assert!(
                link.contains("rel=describedby") && link.contains("/redfish/v1/JsonSchemas/"),
                "{path}: Link header {link:?}"
            );
        }
        let mut links = Vec::new();
        links_in(&body, &mut links);
        for l in links {
            if let Some(p) = local(h, opts, &l)
                && !seen.contains(&p)
            {
                queue.push_back(p);
            }
            out.links.insert(l);
        }
        out.visited.push((path, body));
    }
    out
}
