//! Requests seen by a simulated BMC, so tests can check what an aggregator actually sent.

use std::collections::VecDeque;
use std::sync::Mutex;

use bytes::Bytes;

/// How many requests a BMC started with `SimBmc::start` remembers (oldest dropped first).
pub const RECORD_LIMIT: usize = 4096;
/// How many requests each BMC of a `Fleet` remembers, so a 1,000-BMC benchmark stays small.
pub const FLEET_RECORD_LIMIT: usize = 64;

/// One request as received.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Path plus query, e.g. `/redfish/v1/Systems?$skip=50`.
    pub path: String,
    /// Headers with lowercased names, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Request body bytes.
    pub body: Bytes,
}

impl RecordedRequest {
    /// First value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Bounded log of requests.
#[derive(Debug)]
pub(crate) struct Recorder {
    inner: Mutex<VecDeque<RecordedRequest>>,
    limit: usize,
}

impl Recorder {
    pub(crate) fn with_limit(limit: usize) -> Recorder {
        Recorder {
            inner: Mutex::new(VecDeque::new()),
            limit: limit.max(1),
        }
    }

    pub(crate) fn push(&self, req: RecordedRequest) {
        let mut q = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() >= self.limit {
            q.pop_front();
        }
        q.push_back(req);
    }

    pub(crate) fn snapshot(&self) -> Vec<RecordedRequest> {
        let q = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        q.iter().cloned().collect()
    }
}
