//! The request as the frontend's handlers see it, built once by the warp filter in `server.rs`.

use bytes::Bytes;
use http::{HeaderMap, Method};
use std::net::SocketAddr;

#[derive(Debug)]
pub struct Request {
    pub id: String,
    pub method: Method,
    /// Percent-encoded path as sent.
    pub path: String,
    /// Raw query without '?', empty when absent.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub peer: Option<SocketAddr>,
    /// The client behind the peer: X-Forwarded-* believed only from `trusted_proxies`.
    pub client: crate::forwarded::Client,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The path without a trailing slash (but "/" stays "/"), for matching local routes.
    pub fn route_path(&self) -> &str {
        match self.path.strip_suffix('/') {
            Some(p) if !p.is_empty() => p,
            _ => &self.path,
        }
    }
}
