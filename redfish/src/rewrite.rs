//! The localizer: rewrites a BMC's URIs into the aggregate's URI space (response bodies,
//! `Location`, `Link`) and back (request bodies).
//!
//! BMC -> aggregate, for a URI that is a relative `/redfish/v1...` path (or exactly `/redfish`), or
//! an absolute URL on one of the BMC's origins with such a path (made relative: the aggregate's own
//! host is not known here):
//! - `/redfish/v1/<Collection>/<id><rest>` -> `/redfish/v1/<Collection>/<bmc>-<id><rest>`;
//! - a collection itself, `$metadata`, `odata` and `/redfish` keep their path;
//! - anything else below `/redfish/v1` (the ServiceRoot, AccountService, SessionService/Sessions/5,
//!   Registries, JsonSchemas...) -> `/redfish/v1/Oem/RedDrum/Bmcs/<bmc><rest>` (see [`crate::path`]).
//!
//! URI-valued properties, found by name anywhere in the tree: `@odata.id`, `*@odata.nextLink`,
//! `*@odata.navigationLink`, `target`, `@Redfish.ActionInfo`, `TaskMonitor`, `Image`,
//! `MetricProperty(ies)`, `Targets`, `*URI`/`*Uri`/`*uri` (strings or arrays of strings); an
//! absolute `@odata.context` loses its origin; task `HttpHeaders` values (`Location:`, `Link:`);
//! `MessageArgs` that are URIs, and the same text in the sibling `Message`; and the `Id` of a
//! member root (`/redfish/v1/Systems/s1-1`), which gets the same prefix as its URI.
//!
//! Query, fragment, trailing slash and percent-encoding are kept byte for byte. Everything else
//! (external URLs, other hosts, non-Redfish paths) is left alone. Delocalizing is the inverse and
//! refuses links that do not belong to the BMC the request goes to ([`ForeignLink`]).
//!
//! Runs on every proxied response: one iterative walk (no recursion, so any depth is safe), no
//! regex, and strings that are not rewritten are neither copied nor reallocated.

use std::borrow::Cow;

mod bytes;
pub use bytes::{Localized, localize_json};

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::ids::{BmcId, SEPARATOR, prefix_member, split_member};
use crate::path::{self, PASSTHROUGH_BASE, REDFISH_V1, Shape};

/// One BMC as the localizer sees it: its id and the origins its URIs may be absolute on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BmcContext {
    bmc: BmcId,
    /// `/redfish/v1/Oem/RedDrum/Bmcs/<bmc>`, prepended to non-aggregated paths.
    passthrough_root: String,
    /// Lowercase `scheme://host[:port]`, each default port both with and without `:443`/`:80`.
    origins: Vec<String>,
}

impl BmcContext {
    /// `origins` are how the BMC is known: `https://10.0.0.11`, `https://10.0.0.11:443`,
    /// `https://bmc1.example.com`, `https://[fd00::11]:443`, or a bare host (`10.0.0.11`, meaning
    /// https and http). Paths, userinfo and unparsable entries are ignored.
    pub fn new(bmc: &BmcId, origins: &[String]) -> Self {
        let mut normalized = Vec::new();
        for origin in origins {
            normalize_origin(origin, &mut normalized);
        }
        normalized.sort();
        normalized.dedup();
        BmcContext {
            bmc: bmc.clone(),
            passthrough_root: [PASSTHROUGH_BASE, bmc.as_str()].concat(),
            origins: normalized,
        }
    }

    pub fn bmc(&self) -> &BmcId {
        &self.bmc
    }

    /// The normalized origins URIs are matched against.
    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    /// `/redfish/v1/Oem/RedDrum/Bmcs/<bmc>`: the BMC's own ServiceRoot in the aggregate.
    pub fn passthrough_root(&self) -> &str {
        &self.passthrough_root
    }

    /// `uri` as a path on the BMC when it is an absolute URL of one of its origins.
    pub fn relative<'a>(&self, uri: &'a str) -> Option<&'a str> {
        self.strip_origin(uri)
    }

    /// `uri` without its origin when the origin is one of the BMC's; what follows is empty or
    /// starts with `/`, `?` or `#` (so `https://10.0.0.110` does not match `https://10.0.0.11`).
    fn strip_origin<'a>(&self, uri: &'a str) -> Option<&'a str> {
        self.origins.iter().find_map(|origin| {
            let head = uri.get(..origin.len())?;
            let rest = uri.get(origin.len()..)?;
            let bounded = rest.is_empty() || rest.starts_with(['/', '?', '#']);
            (bounded && head.eq_ignore_ascii_case(origin)).then_some(rest)
        })
    }
}

fn default_port(scheme: &str) -> Option<&'static str> {
    match scheme {
        "https" => Some("443"),
        "http" => Some("80"),
        _ => None,
    }
}

fn normalize_origin(raw: &str, out: &mut Vec<String>) {
    let Some((schemes, host, port)) = parse_origin(raw) else {
        return;
    };
    for scheme in &schemes {
        let base = format!("{scheme}://{host}");
        let default = default_port(scheme);
        match port {
            Some(p) if Some(p) != default => out.push(format!("{base}:{p}")),
            _ => {
                if let Some(d) = default {
                    out.push(format!("{base}:{d}"));
                }
                out.push(base);
            }
        }
    }
}

/// `(schemes, lowercase host, non-empty port)`; `None` when there is no usable host.
fn parse_origin(raw: &str) -> Option<(Vec<String>, String, Option<&str>)> {
    let raw = raw.trim();
    let (schemes, rest) = match raw.split_once("://") {
        Some((scheme, rest)) => (vec![scheme.to_ascii_lowercase()], rest),
        // A bare host: BMCs speak https, some also http on the same host.
        None => (vec!["https".to_owned(), "http".to_owned()], raw),
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (inside, after) = bracketed.split_once(']')?;
        let port = if after.is_empty() {
            None
        } else {
            Some(after.strip_prefix(':')?)
        };
        (format!("[{inside}]"), port)
    } else if authority.matches(':').count() > 1 {
        // A bare IPv6 address has no port; URLs always bracket it.
        (format!("[{authority}]"), None)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (authority.to_owned(), None),
        }
    };
    if host.is_empty() || host == "[]" {
        return None;
    }
    Some((
        schemes,
        host.to_ascii_lowercase(),
        port.filter(|p| !p.is_empty()),
    ))
}

/// A link in a request body that does not point at a resource of the BMC the request is forwarded
/// to (another BMC's member, or one of the aggregate's own resources). The caller answers 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("property {property_path:?} links to {uri:?}, which is not a resource of the target BMC")]
pub struct ForeignLink {
    /// JSON pointer (RFC 6901) to the offending string; empty for a bare URI.
    pub property_path: String,
    pub uri: String,
}

/// Internal marker: the URI maps to no resource of this BMC.
struct Foreign;

/// BMC URI -> aggregate URI; `None` when `uri` is not a BMC URI (leave it alone). A BMC URI that
/// keeps its path (a collection, `$metadata`) is returned as is (made relative if absolute).
pub fn localize_uri(uri: &str, ctx: &BmcContext) -> Option<String> {
    localize(uri, ctx).map(Cow::into_owned)
}

/// Aggregate URI -> the BMC's own. `Ok(None)`: not an aggregate Redfish URI (an absolute URL, or a
/// relative path outside `/redfish`), leave it alone.
pub fn delocalize_uri(uri: &str, ctx: &BmcContext) -> Result<Option<String>, ForeignLink> {
    match delocalize(uri, ctx) {
        Ok(mapped) => Ok(mapped.map(Cow::into_owned)),
        Err(Foreign) => Err(ForeignLink {
            property_path: String::new(),
            uri: uri.to_owned(),
        }),
    }
}

/// A `Location` header value (absolute or relative); anything else comes back unchanged.
pub fn localize_location(value: &str, ctx: &BmcContext) -> String {
    match localize(value.trim(), ctx) {
        Some(Cow::Owned(mapped)) => mapped,
        _ => value.to_owned(),
    }
}

/// An RFC 8288 `Link` header value: each `<uri>` is localized, parameters are untouched, and a
/// malformed value comes back unchanged.
pub fn localize_link_header(value: &str, ctx: &BmcContext) -> String {
    rewrite_link_header(value, |uri| localize(uri, ctx)).unwrap_or_else(|| value.to_owned())
}

/// Localizes every URI-valued property of a response body, in place. Never fails.
pub fn localize_body(body: &mut Value, ctx: &BmcContext) {
    let dir = Localize(ctx);
    let mut stack = vec![body];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                // Localizing never reports a foreign link.
                let _ = rewrite_object(map, &dir);
                stack.extend(map.values_mut().rev().filter(|v| is_container(v)));
            }
            Value::Array(items) => stack.extend(items.iter_mut().rev().filter(|v| is_container(v))),
            _ => {}
        }
    }
}

/// Maps every URI-valued property of a request body back to the BMC's own URIs, in place. On
/// `Err` the body may be partly rewritten; the caller rejects the request.
pub fn delocalize_body(body: &mut Value, ctx: &BmcContext) -> Result<(), ForeignLink> {
    let dir = Delocalize(ctx);
    // (parent, segment) per container, so an error can name its JSON pointer.
    let mut nodes: Vec<(usize, Segment<'_>)> = vec![(0, Segment::Root)];
    let mut stack = vec![(body, 0)];
    while let Some((value, node)) = stack.pop() {
        match value {
            Value::Object(map) => {
                if let Err(failure) = rewrite_object(map, &dir) {
                    let mut property_path = pointer(&nodes, node);
                    push_pointer_segment(&mut property_path, &failure.key);
                    if let Some(index) = failure.index {
                        property_path.push('/');
                        property_path.push_str(&index.to_string());
                    }
                    return Err(ForeignLink {
                        property_path,
                        uri: failure.uri,
                    });
                }
                for (key, child) in map.iter_mut().rev() {
                    if is_container(child) {
                        nodes.push((node, Segment::Key(key)));
                        stack.push((child, nodes.len() - 1));
                    }
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter_mut().enumerate().rev() {
                    if is_container(child) {
                        nodes.push((node, Segment::Index(index)));
                        stack.push((child, nodes.len() - 1));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn is_container(value: &Value) -> bool {
    matches!(value, Value::Object(_) | Value::Array(_))
}

enum Segment<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

fn pointer(nodes: &[(usize, Segment<'_>)], mut node: usize) -> String {
    let mut segments = Vec::new();
    while let Some((parent, segment)) = nodes.get(node) {
        match segment {
            Segment::Root => break,
            Segment::Key(key) => segments.push(Cow::Borrowed(*key)),
            Segment::Index(index) => segments.push(Cow::Owned(index.to_string())),
        }
        node = *parent;
    }
    let mut out = String::new();
    for segment in segments.iter().rev() {
        push_pointer_segment(&mut out, segment);
    }
    out
}

fn push_pointer_segment(out: &mut String, segment: &str) {
    out.push('/');
    out.push_str(&segment.replace('~', "~0").replace('/', "~1"));
}

/// BMC URI -> aggregate URI, borrowing when the string stays the same.
fn localize<'a>(uri: &'a str, ctx: &BmcContext) -> Option<Cow<'a, str>> {
    if uri.starts_with('/') {
        return localize_relative(uri, ctx);
    }
    let relative = ctx.strip_origin(uri)?;
    // Only Redfish paths: a non-Redfish URL on the BMC (a web UI page) stays absolute, since a
    // relative path would point at the aggregate's host.
    localize_relative(relative, ctx).map(|mapped| Cow::Owned(mapped.into_owned()))
}

fn localize_relative<'a>(uri: &'a str, ctx: &BmcContext) -> Option<Cow<'a, str>> {
    let path = uri.split(['?', '#']).next().unwrap_or(uri);
    let after_v1 = uri.get(REDFISH_V1.len()..).unwrap_or("");
    match path::shape(path) {
        Shape::Outside => is_redfish_root(path).then_some(Cow::Borrowed(uri)),
        Shape::Collection(_) => Some(Cow::Borrowed(uri)),
        Shape::InCollection { seg_start, .. } => {
            let (head, tail) = uri.split_at(seg_start);
            let bmc = ctx.bmc.as_str();
            let mut out = String::with_capacity(uri.len() + bmc.len() + 1);
            out.push_str(head);
            out.push_str(bmc);
            out.push(SEPARATOR);
            out.push_str(tail);
            Some(Cow::Owned(out))
        }
        Shape::Other {
            after_v1: path_after,
        } if path::is_odata_document(path_after) => Some(Cow::Borrowed(uri)),
        Shape::ServiceRoot { .. } | Shape::Other { .. } => Some(Cow::Owned(
            [ctx.passthrough_root.as_str(), after_v1].concat(),
        )),
    }
}

/// Aggregate URI -> BMC URI. `Ok(None)`: not an aggregate Redfish URI.
fn delocalize<'a>(uri: &'a str, ctx: &BmcContext) -> Result<Option<Cow<'a, str>>, Foreign> {
    // Absolute URLs are external: the aggregate's own links are always relative.
    if !uri.starts_with('/') {
        return Ok(None);
    }
    let path = uri.split(['?', '#']).next().unwrap_or(uri);
    match path::shape(path) {
        Shape::Outside if is_redfish_root(path) => Ok(Some(Cow::Borrowed(uri))),
        Shape::Outside => Ok(None),
        Shape::Collection(_) => Ok(Some(Cow::Borrowed(uri))),
        Shape::InCollection {
            seg_start, segment, ..
        } => match split_member(segment) {
            Some((bmc, _)) if bmc == ctx.bmc.as_str() => {
                let (head, tail) = uri.split_at(seg_start);
                let tail = tail.get(bmc.len() + 1..).unwrap_or("");
                Ok(Some(Cow::Owned([head, tail].concat())))
            }
            _ => Err(Foreign),
        },
        Shape::Other { after_v1 } if path::is_odata_document(after_v1) => {
            Ok(Some(Cow::Borrowed(uri)))
        }
        Shape::Other { after_v1 } => match path::passthrough(after_v1) {
            Some((bmc, rest)) if bmc == ctx.bmc.as_str() => {
                let from = path.len() - rest.len();
                let tail = uri.get(from..).unwrap_or("");
                Ok(Some(Cow::Owned([REDFISH_V1, tail].concat())))
            }
            _ => Err(Foreign),
        },
        // The aggregate's own ServiceRoot is no resource of a BMC.
        Shape::ServiceRoot { .. } => Err(Foreign),
    }
}

fn is_redfish_root(path: &str) -> bool {
    path == "/redfish" || path == "/redfish/"
}

/// Applies `map` to each `<uri>` of a Link header; `None` if malformed or nothing changed.
fn rewrite_link_header<'a>(
    value: &'a str,
    mut map: impl FnMut(&'a str) -> Option<Cow<'a, str>>,
) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    loop {
        // Empty list elements and whitespace between entries are allowed.
        while bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b',')
        {
            i += 1;
        }
        let Some(&b) = bytes.get(i) else { break };
        if b != b'<' {
            return None;
        }
        let start = i + 1;
        let end = start + value.get(start..)?.find('>')?;
        let uri = value.get(start..end)?;
        if let Some(Cow::Owned(mapped)) = map(uri) {
            out.push_str(value.get(copied..start)?);
            out.push_str(&mapped);
            copied = end;
        }
        i = end + 1;
        // Parameters run to the next comma outside a quoted string.
        let mut quoted = false;
        let mut first = true;
        while let Some(&b) = bytes.get(i) {
            if quoted {
                match b {
                    b'\\' => i += 1,
                    b'"' => quoted = false,
                    _ => {}
                }
            } else if b == b',' {
                break;
            } else if first && !b.is_ascii_whitespace() && b != b';' {
                return None;
            } else if b == b'"' {
                quoted = true;
            } else if b == b'<' {
                return None;
            }
            if !b.is_ascii_whitespace() {
                first = false;
            }
            i += 1;
        }
        if quoted {
            return None;
        }
    }
    if copied == 0 {
        return None;
    }
    out.push_str(value.get(copied..)?);
    Some(out)
}

/// Which properties hold URIs, by name.
#[derive(Clone, Copy)]
enum KeyKind {
    /// A link: string or array of strings.
    Link,
    /// `@odata.context`: only an absolute BMC origin is removed.
    Context,
    /// Strings that may be URIs, mirrored into the sibling `Message`.
    MessageArgs,
    /// Task `Payload.HttpHeaders`: `"Location: /redfish/v1/..."`.
    HttpHeaders,
    Plain,
}

fn key_kind(key: &str) -> KeyKind {
    match key {
        "@odata.id"
        | "target"
        | "@Redfish.ActionInfo"
        | "TaskMonitor"
        | "Image"
        | "MetricProperty"
        | "MetricProperties"
        // SimpleUpdate's (and update parameters') list of resources to update.
        | "Targets" => KeyKind::Link,
        "@odata.context" => KeyKind::Context,
        "MessageArgs" => KeyKind::MessageArgs,
        "HttpHeaders" => KeyKind::HttpHeaders,
        _ if key.ends_with("@odata.nextLink")
            || key.ends_with("@odata.navigationLink")
            || key.ends_with("URI")
            || key.ends_with("Uri")
            || key.ends_with("uri") =>
        {
            KeyKind::Link
        }
        _ => KeyKind::Plain,
    }
}

/// The two directions share one object rewriter.
trait Direction {
    /// Whether the `Id` rule looks at `@odata.id` before (delocalize) or after (localize) it is
    /// rewritten: either way it looks at the aggregate form.
    const ID_BEFORE: bool;
    fn link<'a>(&self, uri: &'a str) -> Result<Option<Cow<'a, str>>, Foreign>;
    /// Text that may hold a URI (message args, task headers): mapped when possible, never fails.
    fn text<'a>(&self, uri: &'a str) -> Option<Cow<'a, str>> {
        self.link(uri).ok().flatten()
    }
    fn context(&self, value: &str) -> Option<String>;
    /// The new `Id` for a member root whose aggregate id is `member`, or `None`.
    fn id(&self, id: &str, member: &str) -> Option<String>;
    fn bmc(&self) -> &BmcId;
}

struct Localize<'c>(&'c BmcContext);
struct Delocalize<'c>(&'c BmcContext);

impl Direction for Localize<'_> {
    const ID_BEFORE: bool = false;
    fn link<'a>(&self, uri: &'a str) -> Result<Option<Cow<'a, str>>, Foreign> {
        Ok(localize(uri, self.0))
    }
    fn context(&self, value: &str) -> Option<String> {
        if value.starts_with('/') {
            return None;
        }
        let relative = self.0.strip_origin(value)?;
        relative.starts_with('/').then(|| relative.to_owned())
    }
    fn id(&self, id: &str, member: &str) -> Option<String> {
        same_member(id, member).then(|| prefix_member(&self.0.bmc, id))
    }
    fn bmc(&self) -> &BmcId {
        &self.0.bmc
    }
}

impl Direction for Delocalize<'_> {
    const ID_BEFORE: bool = true;
    fn link<'a>(&self, uri: &'a str) -> Result<Option<Cow<'a, str>>, Foreign> {
        delocalize(uri, self.0)
    }
    fn context(&self, _value: &str) -> Option<String> {
        None
    }
    fn id(&self, id: &str, member: &str) -> Option<String> {
        let unprefixed = id
            .strip_prefix(self.0.bmc.as_str())?
            .strip_prefix(SEPARATOR)?;
        same_member(unprefixed, member).then(|| unprefixed.to_owned())
    }
    fn bmc(&self) -> &BmcId {
        &self.0.bmc
    }
}

/// `Id` values are decoded while URI segments may be percent-encoded.
fn same_member(id: &str, member: &str) -> bool {
    id == member
        || (member.contains('%')
            && percent_decode_str(member)
                .decode_utf8()
                .is_ok_and(|decoded| decoded == id))
}

/// The BMC member id when `uri` is exactly an aggregate member root of `bmc`
/// (`/redfish/v1/Systems/s1-1` or `.../s1-1/`).
fn member_root<'a>(uri: &'a str, bmc: &BmcId) -> Option<&'a str> {
    if uri.contains(['?', '#']) {
        return None;
    }
    match path::shape(uri) {
        Shape::InCollection { segment, rest, .. } if rest.is_empty() || rest == "/" => {
            let (owner, member) = split_member(segment)?;
            (owner == bmc.as_str()).then_some(member)
        }
        _ => None,
    }
}

fn new_id<D: Direction>(map: &Map<String, Value>, dir: &D) -> Option<String> {
    let Some(Value::String(odata_id)) = map.get("@odata.id") else {
        return None;
    };
    let Some(Value::String(id)) = map.get("Id") else {
        return None;
    };
    dir.id(id, member_root(odata_id, dir.bmc())?)
}

struct Failure {
    key: String,
    index: Option<usize>,
    uri: String,
}

/// Rewrites the URI-valued properties directly in `map` (not its children).
fn rewrite_object<D: Direction>(map: &mut Map<String, Value>, dir: &D) -> Result<(), Failure> {
    let id_before = if D::ID_BEFORE { new_id(map, dir) } else { None };
    // (old, new) message args, to mirror into the sibling Message.
    let mut replaced: Vec<(String, String)> = Vec::new();
    for (key, value) in map.iter_mut() {
        match key_kind(key) {
            KeyKind::Plain => {}
            KeyKind::Link => match value {
                Value::String(s) => rewrite_link(s, None, key, dir)?,
                Value::Array(items) => {
                    for (index, item) in items.iter_mut().enumerate() {
                        if let Value::String(s) = item {
                            rewrite_link(s, Some(index), key, dir)?;
                        }
                    }
                }
                _ => {}
            },
            KeyKind::Context => {
                if let Value::String(s) = value
                    && let Some(mapped) = dir.context(s)
                {
                    *s = mapped;
                }
            }
            KeyKind::MessageArgs => {
                for arg in strings_mut(value) {
                    if let Some(Cow::Owned(mapped)) = dir.text(arg) {
                        let old = std::mem::replace(arg, mapped.clone());
                        replaced.push((old, mapped));
                    }
                }
            }
            KeyKind::HttpHeaders => {
                for header in strings_mut(value) {
                    if let Some(mapped) = rewrite_http_header(header, dir) {
                        *header = mapped;
                    }
                }
            }
        }
    }
    if !replaced.is_empty()
        && let Some(Value::String(message)) = map.get_mut("Message")
        && let Some(mapped) = replace_literals(message, &mut replaced)
    {
        *message = mapped;
    }
    let id = if D::ID_BEFORE {
        id_before
    } else {
        new_id(map, dir)
    };
    if let Some(id) = id
        && let Some(slot) = map.get_mut("Id")
    {
        *slot = Value::String(id);
    }
    Ok(())
}

fn rewrite_link<D: Direction>(
    s: &mut String,
    index: Option<usize>,
    key: &str,
    dir: &D,
) -> Result<(), Failure> {
    match dir.link(s) {
        Ok(Some(Cow::Owned(mapped))) => *s = mapped,
        Ok(_) => {}
        Err(Foreign) => {
            return Err(Failure {
                key: key.to_owned(),
                index,
                uri: s.clone(),
            });
        }
    }
    Ok(())
}

fn strings_mut(value: &mut Value) -> impl Iterator<Item = &mut String> {
    let items = match value {
        Value::Array(items) => items.as_mut_slice(),
        _ => &mut [],
    };
    items.iter_mut().filter_map(|item| match item {
        Value::String(s) => Some(s),
        _ => None,
    })
}

/// `"Location: <uri>"` (or Content-Location, Link) with the value mapped; `None` if unchanged.
fn rewrite_http_header<D: Direction>(header: &str, dir: &D) -> Option<String> {
    let (name, value) = header.split_once(':')?;
    let trimmed = value.trim();
    let field = name.trim();
    let mapped = if field.eq_ignore_ascii_case("Location")
        || field.eq_ignore_ascii_case("Content-Location")
    {
        match dir.text(trimmed)? {
            Cow::Owned(mapped) => mapped,
            Cow::Borrowed(_) => return None,
        }
    } else if field.eq_ignore_ascii_case("Link") {
        rewrite_link_header(trimmed, |uri| dir.text(uri))?
    } else {
        return None;
    };
    let leading = &value[..value.len() - value.trim_start().len()];
    Some([name, ":", leading, &mapped].concat())
}

/// Replaces each `old` of `pairs` in `text` by its `new`, longest first, only where the match is
/// not followed by more URI characters (`/Systems/1` must not hit `/Systems/10`). `None` if
/// nothing matched.
fn replace_literals(text: &str, pairs: &mut [(String, String)]) -> Option<String> {
    pairs.sort_by_key(|pair| std::cmp::Reverse(pair.0.len()));
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while let Some(rest) = text.get(i..).filter(|r| !r.is_empty()) {
        let hit = pairs.iter().find(|(old, _)| {
            !old.is_empty()
                && rest.starts_with(old.as_str())
                && !continues_uri(rest.get(old.len()..).unwrap_or(""))
        });
        match hit {
            Some((old, new)) => {
                out.push_str(text.get(copied..i)?);
                out.push_str(new);
                i += old.len();
                copied = i;
            }
            None => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    if copied == 0 {
        return None;
    }
    out.push_str(text.get(copied..)?);
    Some(out)
}

fn continues_uri(after: &str) -> bool {
    let uri_char = |c: char| c.is_alphanumeric() || matches!(c, '/' | '-' | '_' | '~' | '%');
    let mut chars = after.chars();
    match chars.next() {
        Some('.') => chars.next().is_some_and(uri_char),
        Some(c) => uri_char(c),
        None => false,
    }
}
