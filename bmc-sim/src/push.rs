//! What the BMC's MultipartHttpPushUri received (so tests can check the bytes an aggregator
//! streamed: size, SHA-256, the UpdateParameters and their Targets) and how it is told to fail.
//! The image itself is never kept: it is counted and hashed as it streams.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Pushes remembered per BMC (oldest dropped first).
const PUSH_LIMIT: usize = 64;

/// One multipart push as received.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PushRecord {
    /// Bytes of the `UpdateFile` part received.
    pub bytes: u64,
    /// SHA-256 of those bytes, lower-case hex.
    pub sha256: String,
    /// The `UpdateParameters` part as JSON (Null when absent).
    pub parameters: Value,
    /// `UpdateParameters.Targets` (empty when absent).
    pub targets: Vec<String>,
    /// False when the body ended early (the sender hung up, or `reset_after_bytes` cut it).
    pub complete: bool,
}

/// How the push URI misbehaves (`PUT /sim/push-fault`); the default is a healthy BMC.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushFault {
    /// Drop the connection once this many bytes of the image arrived (a BMC that resets midway).
    pub reset_after_bytes: Option<u64>,
    /// Read the whole body, then answer this status with a Redfish error (a BMC refusing it).
    pub status: Option<u16>,
    /// Sleep this long after each piece of the body (a slow BMC; the sender's buffers fill).
    pub delay_ms_per_chunk: u64,
    /// Read the whole image, then hold the answer until this is cleared (a BMC slow to accept;
    /// the sender's task stays running meanwhile).
    pub hold_answer: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Pushes {
    records: Mutex<VecDeque<PushRecord>>,
    fault: Mutex<PushFault>,
}

impl Pushes {
    pub(crate) fn record(&self, record: PushRecord) {
        let mut r = self.records.lock().unwrap_or_else(|e| e.into_inner());
        if r.len() >= PUSH_LIMIT {
            r.pop_front();
        }
        r.push_back(record);
    }

    pub(crate) fn snapshot(&self) -> Vec<PushRecord> {
        let r = self.records.lock().unwrap_or_else(|e| e.into_inner());
        r.iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    pub(crate) fn fault(&self) -> PushFault {
        self.fault.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_fault(&self, fault: PushFault) {
        *self.fault.lock().unwrap_or_else(|e| e.into_inner()) = fault;
    }
}
