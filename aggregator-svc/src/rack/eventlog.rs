//! The aggregator's own event log (the manager's `LogServices/Log`): BMCs going down and coming
//! back, discovery results, resets, reseats, config reloads. Persisted in SQLite and capped.

use crate::error::AggError;
use crate::inventory::{HealthState, Inventory};
use crate::store::{LogRow, NewLogEntry, Store};
use redfish::events::EventMessage;
use redfish::ids::BmcId;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;

/// A recorded entry on its way to the EventService's subscribers: (message, origin).
pub type Forwarded = (EventMessage, Option<String>);

#[derive(Clone)]
pub struct EventLog {
    store: Store,
    keep: Arc<AtomicU32>,
    /// Where every entry is also sent, to reach event subscribers (bounded: a full queue
    /// drops the event for subscribers, never blocks or loses the log entry).
    forward: Arc<std::sync::OnceLock<tokio::sync::mpsc::Sender<Forwarded>>>,
}

impl EventLog {
    pub fn new(store: Store, keep: u32) -> Self {
        EventLog {
            store,
            keep: Arc::new(AtomicU32::new(keep.max(1))),
            forward: Arc::default(),
        }
    }

    /// Sends every entry recorded from now on to `tx` too (once; later calls are ignored).
    pub fn forward_to(&self, tx: tokio::sync::mpsc::Sender<Forwarded>) {
        let _ = self.forward.set(tx);
    }

    /// How many entries are kept (config reload).
    pub fn set_keep(&self, keep: u32) {
        self.keep.store(keep.max(1), Ordering::Relaxed);
    }

    /// Appends an entry; a store failure is logged, never surfaced to whoever caused the event.
    pub async fn record(&self, message: EventMessage, origin: Option<String>) {
        tracing::info!(message_id = %message.message_id(), text = %message.text(), "event");
        if let Some(tx) = self.forward.get()
            && tx.try_send((message.clone(), origin.clone())).is_err()
        {
            tracing::warn!("event subscribers are behind: an event of the log is not sent to them");
        }
        let entry = NewLogEntry {
            created: super::clock::now(),
            severity: message.severity().to_owned(),
            message_id: message.message_id(),
            message: message.text(),
            args: message.args().to_vec(),
            origin,
        };
        if let Err(e) = self
            .store
            .append_log(entry, self.keep.load(Ordering::Relaxed))
            .await
        {
            tracing::warn!(error = %e, "could not write the event log");
        }
    }

    pub async fn entries(&self) -> Result<Vec<LogRow>, AggError> {
        self.store.log_entries().await
    }

    pub async fn entry(&self, id: i64) -> Result<Option<LogRow>, AggError> {
        self.store.log_entry(id).await
    }

    /// Empties the log; the first new entry says it was cleared.
    pub async fn clear(&self, log_name: &str) -> Result<(), AggError> {
        self.store.clear_log().await?;
        self.record(EventMessage::log_cleared(log_name), None).await;
        Ok(())
    }
}

/// Turns BMC health changes into log entries until cancelled. A BMC seen up for the first time
/// since start is not an event; going down, and coming back after that, are.
pub async fn run_health_log(
    mut rx: UnboundedReceiver<(BmcId, HealthState, HealthState)>,
    log: EventLog,
    inventory: Arc<Inventory>,
    cancel: CancellationToken,
) {
    loop {
        let change = tokio::select! {
            () = cancel.cancelled() => return,
            c = rx.recv() => c,
        };
        let Some((bmc, previous, now)) = change else {
            return;
        };
        let resource = format!("BMC {bmc}");
        let message = match (previous, now) {
            (_, HealthState::Down | HealthState::Unauthorized) => {
                EventMessage::resource_status_changed_critical(&resource)
            }
            (HealthState::Up | HealthState::Unknown, HealthState::Degraded) => {
                EventMessage::resource_status_changed_warning(&resource)
            }
            (
                HealthState::Down | HealthState::Unauthorized | HealthState::Degraded,
                HealthState::Up,
            ) => EventMessage::resource_status_changed_ok(&resource),
            _ => continue,
        };
        // The BMC's own manager, as the aggregate lists it, is where the condition is.
        let origin = inventory
            .members_of(bmc.as_str(), "Managers")
            .into_iter()
            .next();
        log.record(message, origin).await;
    }
}
