//! Messages from the DMTF event registries (ResourceEvent, TaskEvent, ManagerEvent, LogService),
//! embedded like the Base registry: the aggregator's own log entries and task messages use them,
//! so every MessageId a client sees exists in a published registry.

use crate::messages::fill;
use serde_json::{Map, Value, json};
use std::sync::LazyLock;

/// An embedded event registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registry {
    ResourceEvent,
    TaskEvent,
    ManagerEvent,
    LogService,
}

struct Loaded {
    /// `Prefix.Major.Minor`, the start of every MessageId from this registry.
    prefix: String,
    messages: Map<String, Value>,
}

fn load(text: &str) -> Loaded {
    // Compiled in and covered by a test, so a parse failure is a build defect.
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let name = v["RegistryPrefix"].as_str().unwrap_or("");
    let version = v["RegistryVersion"].as_str().unwrap_or("");
    let major_minor: Vec<&str> = version.split('.').take(2).collect();
    Loaded {
        prefix: format!("{name}.{}", major_minor.join(".")),
        messages: v["Messages"].as_object().cloned().unwrap_or_default(),
    }
}

static RESOURCE_EVENT: LazyLock<Loaded> =
    LazyLock::new(|| load(include_str!("../registry/ResourceEvent.1.4.3.json")));
static TASK_EVENT: LazyLock<Loaded> =
    LazyLock::new(|| load(include_str!("../registry/TaskEvent.1.0.5.json")));
static MANAGER_EVENT: LazyLock<Loaded> =
    LazyLock::new(|| load(include_str!("../registry/ManagerEvent.1.0.0.json")));
static LOG_SERVICE: LazyLock<Loaded> =
    LazyLock::new(|| load(include_str!("../registry/LogService.1.1.0.json")));

impl Registry {
    fn loaded(self) -> &'static Loaded {
        match self {
            Registry::ResourceEvent => &RESOURCE_EVENT,
            Registry::TaskEvent => &TASK_EVENT,
            Registry::ManagerEvent => &MANAGER_EVENT,
            Registry::LogService => &LOG_SERVICE,
        }
    }
}

/// One event message: registry, key and arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMessage {
    registry: Registry,
    key: &'static str,
    args: Vec<String>,
}

impl EventMessage {
    fn of(registry: Registry, key: &'static str, args: &[&str]) -> Self {
        EventMessage {
            registry,
            key,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    fn field(&self, name: &str) -> &'static str {
        self.registry
            .loaded()
            .messages
            .get(self.key)
            .and_then(|m| m.get(name))
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// e.g. `ResourceEvent.1.4.ResourceStatusChangedCritical`.
    pub fn message_id(&self) -> String {
        format!("{}.{}", self.registry.loaded().prefix, self.key)
    }

    pub fn text(&self) -> String {
        fill(self.field("Message"), &self.args)
    }

    /// `OK`, `Warning` or `Critical`.
    pub fn severity(&self) -> &'static str {
        match self.field("MessageSeverity") {
            "" => "OK",
            s => s,
        }
    }

    pub fn resolution(&self) -> &'static str {
        self.field("Resolution")
    }

    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// As a `Message` object (in a Task's `Messages`).
    pub fn to_message_json(&self) -> Value {
        json!({
            "MessageId": self.message_id(),
            "Message": self.text(),
            "MessageArgs": self.args,
            "MessageSeverity": self.severity(),
            "Resolution": self.resolution(),
        })
    }

    pub fn resource_status_changed_ok(resource: &str) -> Self {
        Self::of(
            Registry::ResourceEvent,
            "ResourceStatusChangedOK",
            &[resource, "OK"],
        )
    }
    pub fn resource_status_changed_warning(resource: &str) -> Self {
        Self::of(
            Registry::ResourceEvent,
            "ResourceStatusChangedWarning",
            &[resource, "Warning"],
        )
    }
    pub fn resource_status_changed_critical(resource: &str) -> Self {
        Self::of(
            Registry::ResourceEvent,
            "ResourceStatusChangedCritical",
            &[resource, "Critical"],
        )
    }
    pub fn resource_state_changed(resource: &str, state: &str) -> Self {
        Self::of(
            Registry::ResourceEvent,
            "ResourceStateChanged",
            &[resource, state],
        )
    }
    pub fn resource_errors_detected(property: &str, error: &str) -> Self {
        Self::of(
            Registry::ResourceEvent,
            "ResourceErrorsDetected",
            &[property, error],
        )
    }
    pub fn resource_errors_corrected(property: &str, error: &str) -> Self {
        Self::of(
            Registry::ResourceEvent,
            "ResourceErrorsCorrected",
            &[property, error],
        )
    }
    pub fn resource_warning_threshold_exceeded(property: &str, threshold: &str) -> Self {
        Self::of(
            Registry::ResourceEvent,
            "ResourceWarningThresholdExceeded",
            &[property, threshold],
        )
    }
    pub fn resource_warning_threshold_cleared(property: &str, threshold: &str) -> Self {
        Self::of(
            Registry::ResourceEvent,
            "ResourceWarningThresholdCleared",
            &[property, threshold],
        )
    }
    /// `PowerState` of a resource as its power change message (`On`, `Off`, `PoweringOn`,
    /// `PoweringOff`); None for other states (`Paused`).
    pub fn resource_power(resource: &str, power_state: &str) -> Option<Self> {
        let key = match power_state {
            "On" => "ResourcePoweredOn",
            "Off" => "ResourcePoweredOff",
            "PoweringOn" => "ResourcePoweringOn",
            "PoweringOff" => "ResourcePoweringOff",
            _ => return None,
        };
        Some(Self::of(Registry::ResourceEvent, key, &[resource]))
    }
    pub fn resource_changed() -> Self {
        Self::of(Registry::ResourceEvent, "ResourceChanged", &[])
    }
    pub fn property_value_modified_by_client(property: &str, value: &str) -> Self {
        Self::of(
            Registry::ResourceEvent,
            "PropertyValueModifiedByClient",
            &[property, value],
        )
    }
    pub fn aggregation_source_discovered(method: &str, location: &str) -> Self {
        Self::of(
            Registry::ResourceEvent,
            "AggregationSourceDiscovered",
            &[method, location],
        )
    }
    pub fn task_started(id: &str) -> Self {
        Self::of(Registry::TaskEvent, "TaskStarted", &[id])
    }
    pub fn task_progress_changed(id: &str, percent: u64) -> Self {
        Self::of(
            Registry::TaskEvent,
            "TaskProgressChanged",
            &[id, &percent.to_string()],
        )
    }
    pub fn task_completed_ok(id: &str) -> Self {
        Self::of(Registry::TaskEvent, "TaskCompletedOK", &[id])
    }
    pub fn task_completed_warning(id: &str) -> Self {
        Self::of(Registry::TaskEvent, "TaskCompletedWarning", &[id])
    }
    pub fn task_aborted(id: &str) -> Self {
        Self::of(Registry::TaskEvent, "TaskAborted", &[id])
    }
    pub fn manager_reset(manager: &str, reset_type: &str) -> Self {
        Self::of(
            Registry::ManagerEvent,
            "ManagerReset",
            &[manager, reset_type],
        )
    }
    pub fn log_cleared(log: &str) -> Self {
        Self::of(Registry::LogService, "LogCleared", &[log])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_constructor_names_a_message_of_its_registry_with_the_right_arity() {
        let all = [
            EventMessage::resource_status_changed_ok("BMC s1"),
            EventMessage::resource_status_changed_critical("BMC s1"),
            EventMessage::resource_state_changed("r", "s"),
            EventMessage::resource_errors_detected("p", "e"),
            EventMessage::resource_errors_corrected("p", "e"),
            EventMessage::resource_warning_threshold_exceeded("p", "1"),
            EventMessage::resource_warning_threshold_cleared("p", "1"),
            EventMessage::resource_changed(),
            EventMessage::property_value_modified_by_client("p", "v"),
            EventMessage::aggregation_source_discovered("Redfish", "s1"),
            EventMessage::task_started("t"),
            EventMessage::task_completed_ok("t"),
            EventMessage::task_completed_warning("t"),
            EventMessage::task_aborted("t"),
            EventMessage::manager_reset("Aggregator", "GracefulRestart"),
            EventMessage::log_cleared("Log"),
        ];
        let power = ["On", "Off", "PoweringOn", "PoweringOff"]
            .map(|s| EventMessage::resource_power("/redfish/v1/Systems/s1-1", s));
        assert!(EventMessage::resource_power("r", "Paused").is_none());
        let all = all.into_iter().chain(power.into_iter().flatten());
        for m in all {
            let entry = m.registry.loaded().messages.get(m.key);
            let n = entry
                .and_then(|e| e.get("NumberOfArgs"))
                .and_then(Value::as_u64)
                .unwrap_or(0);
            assert!(entry.is_some(), "{m:?}");
            assert_eq!(n as usize, m.args.len(), "{m:?}");
            assert!(!m.text().contains('%'), "{m:?}");
        }
    }

    #[test]
    fn message_ids_carry_registry_major_minor() {
        assert_eq!(
            EventMessage::task_started("7").message_id(),
            "TaskEvent.1.0.TaskStarted"
        );
        assert_eq!(
            EventMessage::resource_status_changed_critical("BMC s1").message_id(),
            "ResourceEvent.1.4.ResourceStatusChangedCritical"
        );
        assert_eq!(
            EventMessage::resource_status_changed_critical("BMC s1").text(),
            "The health of resource 'BMC s1' has changed to Critical."
        );
        assert_eq!(
            EventMessage::resource_status_changed_critical("x").severity(),
            "Critical"
        );
    }
}
