//! Intake of the BMCs' own events: each BMC's events are taken once, localized and re-published
//! to the aggregate's subscribers beside the aggregate's own.
//!
//! Per BMC one task ([`bmc::run`]), started when the BMC is configured or added as an
//! AggregationSource, stopped when it is removed and started afresh when its entry is replaced
//! (a changed address or credentials). It reads the BMC's EventService and takes its events
//! - from its Server-Sent Events stream where it advertises `ServerSentEventUri` ([`sse`]): no
//!   inbound port needed;
//! - else by a push subscription to the aggregator's inbound listener ([`push`], [`inbound`]),
//!   authenticated by a per-BMC secret, checked periodically and made again when lost;
//! - else (no EventService, or no inbound listener configured) its systems' power state and
//!   health are polled and changes published as ResourceEvents ([`poll`]).
//!
//! The aggregate's own event log entries (BMC down/up, discovery, writes) are published too
//! ([`own`]).

pub mod bmc;
pub mod inbound;
pub mod localize;
pub mod own;
pub mod poll;
pub mod push;
pub mod sse;

use crate::AppState;
use crate::inventory::BmcEntry;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How often the set of BMCs is compared with the running intake tasks.
const RECONCILE_EVERY: Duration = Duration::from_secs(2);

/// `events_inbound_url`, checked: http(s), a host, a path without query or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundUrl {
    /// Without a trailing slash.
    base: String,
    /// The path part, without a trailing slash (may be empty).
    path: String,
}

impl InboundUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = url::Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be http:// or https://".into());
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("must name a host the BMCs reach the aggregator by".into());
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err("must have no query, fragment or user".into());
        }
        let base = url.as_str().trim_end_matches('/').to_owned();
        let path = url.path().trim_end_matches('/').to_owned();
        Ok(InboundUrl { base, path })
    }

    /// The Destination of `bmc`'s subscription.
    pub fn destination(&self, bmc: &str) -> String {
        format!("{}/{bmc}", self.base)
    }

    /// The BMC id a request path names, when it is `<path>/<bmcId>`.
    pub fn bmc_of<'a>(&self, request_path: &'a str) -> Option<&'a str> {
        let rest = request_path.strip_prefix(&self.path)?.strip_prefix('/')?;
        let id = rest.trim_end_matches('/');
        (!id.is_empty() && !id.contains('/')).then_some(id)
    }
}

/// How a BMC's events are taken now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Not known yet (the BMC not read yet).
    Unknown,
    Sse,
    Push,
    /// Its systems are polled.
    Polled,
}

/// What the per-BMC tasks share with the inbound listener.
#[derive(Default)]
pub struct Shared {
    /// BMC id -> the secret its push subscription carries.
    secrets: RwLock<HashMap<String, String>>,
    modes: RwLock<HashMap<String, Mode>>,
}

impl Shared {
    pub fn secret_of(&self, bmc: &str) -> Option<String> {
        self.secrets.read().ok()?.get(bmc).cloned()
    }

    fn set_secret(&self, bmc: &str, secret: Option<String>) {
        if let Ok(mut s) = self.secrets.write() {
            match secret {
                Some(v) => s.insert(bmc.to_owned(), v),
                None => s.remove(bmc),
            };
        }
    }

    pub fn mode_of(&self, bmc: &str) -> Mode {
        self.modes
            .read()
            .ok()
            .and_then(|m| m.get(bmc).cloned())
            .unwrap_or(Mode::Unknown)
    }

    fn set_mode(&self, bmc: &str, mode: Option<Mode>) {
        if let Ok(mut m) = self.modes.write() {
            match mode {
                Some(v) => m.insert(bmc.to_owned(), v),
                None => m.remove(bmc),
            };
        }
    }
}

/// One running intake task.
struct Running {
    entry: Arc<BmcEntry>,
    /// Cancelled when the BMC is removed (or replaced): the task then cleans up at the BMC.
    removed: CancellationToken,
}

/// Runs the intake until `cancel`: the inbound listener (if configured), the forwarding of the
/// aggregate's own events, and one task per BMC, kept in step with the set of BMCs.
pub async fn run(
    state: Arc<AppState>,
    inbound: Option<TcpListener>,
    shared: Arc<Shared>,
    cancel: CancellationToken,
) {
    let tracker = TaskTracker::new();
    if let Some(listener) = inbound {
        tracker.spawn(inbound::serve(
            listener,
            state.clone(),
            shared.clone(),
            cancel.clone(),
        ));
    }
    tracker.spawn(own::forward(state.clone(), cancel.clone()));
    let mut running: HashMap<String, Running> = HashMap::new();
    loop {
        reconcile(&state, &shared, &tracker, &mut running, &cancel);
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(RECONCILE_EVERY) => {}
        }
    }
    tracker.close();
    tracker.wait().await;
}

fn reconcile(
    state: &Arc<AppState>,
    shared: &Arc<Shared>,
    tracker: &TaskTracker,
    running: &mut HashMap<String, Running>,
    cancel: &CancellationToken,
) {
    let bmcs = state.inventory.bmcs();
    // Removed, or replaced by a new entry (new address or credentials: a new client).
    running.retain(|id, r| {
        let current = bmcs.iter().find(|b| b.id.as_str() == id);
        let keep = current.is_some_and(|b| Arc::ptr_eq(b, &r.entry));
        if !keep {
            r.removed.cancel();
            if current.is_none() {
                shared.set_mode(id, None);
            }
        }
        keep
    });
    for entry in bmcs {
        let id = entry.id.as_str().to_owned();
        if running.contains_key(&id) {
            continue;
        }
        let removed = cancel.child_token();
        tracker.spawn(bmc::run(
            state.clone(),
            shared.clone(),
            entry.clone(),
            removed.clone(),
            cancel.clone(),
        ));
        running.insert(id, Running { entry, removed });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inbound_url_gives_each_bmc_its_destination_and_back() {
        let url = InboundUrl::parse("http://10.0.0.1:8091/events/").expect("url");
        assert_eq!(url.destination("s1"), "http://10.0.0.1:8091/events/s1");
        assert_eq!(url.bmc_of("/events/s1"), Some("s1"));
        assert_eq!(url.bmc_of("/events/s1/"), Some("s1"));
        assert_eq!(url.bmc_of("/events"), None);
        assert_eq!(url.bmc_of("/events/s1/x"), None);
        assert_eq!(url.bmc_of("/other/s1"), None);
        let root = InboundUrl::parse("https://agg.example.net").expect("url");
        assert_eq!(root.destination("s2"), "https://agg.example.net/s2");
        assert_eq!(root.bmc_of("/s2"), Some("s2"));
        for bad in ["ftp://h/e", "http://h/e?q", "http://u@h/e", "nope"] {
            assert!(InboundUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
