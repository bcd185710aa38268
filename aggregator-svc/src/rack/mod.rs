//! The rack's own state, owned by aggregator-svc: the reloadable settings of the local resources,
//! their persisted properties, the servers' latest readings, local tasks and the event log. The
//! request handlers that serve it live in [`crate::local`].

pub mod aggregate;
pub mod auditlog;
pub mod cert;
pub mod clock;
pub mod command;
pub mod dmi;
pub mod eventlog;
pub mod hwmon;
pub mod netconf;
pub mod netif;
pub mod pdu;
pub mod props;
pub mod readings;
pub mod reload;
pub mod reset;
pub mod sensors;
pub mod tasks;
pub mod tls_rotation;

use crate::config::rack::RackSettings;
use crate::error::AggError;
use crate::inventory::Inventory;
use crate::store::Store;
use redfish::events::EventMessage;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::Notify;

pub fn chassis_uri(id: &str) -> String {
    format!("/redfish/v1/Chassis/{id}")
}

pub fn manager_uri(id: &str) -> String {
    format!("/redfish/v1/Managers/{id}")
}

pub struct Rack {
    settings: RwLock<Arc<RackSettings>>,
    pub props: props::Props,
    pub readings: readings::Readings,
    pub tasks: tasks::Tasks,
    pub log: eventlog::EventLog,
    pub audit: auditlog::AuditLog,
    pub manager_uuid: String,
    /// Wakes the readings poller (after a reload).
    pub readings_wake: Notify,
    over_limit: AtomicBool,
}

impl Rack {
    /// `audit_stored` counts the audit records stored (a metric).
    pub async fn load(
        store: &Store,
        settings: RackSettings,
        audit_stored: prometheus_client::metrics::counter::Counter,
    ) -> Result<Self, AggError> {
        Ok(Rack {
            audit: auditlog::AuditLog::new(
                store.clone(),
                settings.manager.audit_max_entries,
                audit_stored,
            ),
            props: props::Props::load(store.clone()).await?,
            tasks: tasks::Tasks::load(store.clone(), settings.manager.max_tasks).await?,
            log: eventlog::EventLog::new(store.clone(), settings.manager.log_max_entries),
            manager_uuid: store.manager_uuid().await?,
            readings: readings::Readings::default(),
            readings_wake: Notify::new(),
            over_limit: AtomicBool::new(false),
            settings: RwLock::new(Arc::new(settings)),
        })
    }

    pub fn settings(&self) -> Arc<RackSettings> {
        self.settings.read().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn set_settings(&self, settings: RackSettings) {
        self.log.set_keep(settings.manager.log_max_entries);
        self.audit.set_keep(settings.manager.audit_max_entries);
        if let Ok(mut s) = self.settings.write() {
            *s = Arc::new(settings);
        }
    }

    /// Lists the local resources in the merged Chassis, Managers and Tasks collections.
    pub fn register_members(&self, inventory: &Inventory) {
        let s = self.settings();
        let mut chassis = Vec::new();
        if s.rack.enabled {
            chassis.push(chassis_uri(&s.rack.id));
        }
        if s.switch.enabled {
            chassis.push(chassis_uri(&s.switch.id));
        }
        if s.host_enabled() {
            chassis.push(chassis_uri(&s.host.id));
        }
        let managers = if s.manager.enabled {
            vec![manager_uri(&s.manager.id)]
        } else {
            Vec::new()
        };
        inventory.set_local_members("Chassis", chassis);
        inventory.set_local_members("Managers", managers);
        inventory.set_local_members("TaskService/Tasks", self.tasks.uris());
        inventory.rebuild_view();
    }

    /// Logs crossing the rack's power limit (either way) after a readings sample.
    pub async fn check_power_limit(&self) {
        let limit = self
            .props
            .get(props::RACK, "PowerLimitInWatts")
            .and_then(|v| v.as_f64());
        let consumed = aggregate::consumed_watts(&self.readings.latest());
        let over = matches!((limit, consumed), (Some(l), Some(c)) if c > l);
        if self.over_limit.swap(over, Ordering::Relaxed) == over {
            return;
        }
        let s = self.settings();
        let property = format!(
            "{}/Power/PowerControl/0/PowerConsumedWatts",
            chassis_uri(&s.rack.id)
        );
        let threshold = limit.map(|l| l.to_string()).unwrap_or_default();
        let message = if over {
            EventMessage::resource_warning_threshold_exceeded(&property, &threshold)
        } else {
            EventMessage::resource_warning_threshold_cleared(&property, &threshold)
        };
        self.log
            .record(message, Some(chassis_uri(&s.rack.id)))
            .await;
    }
}
