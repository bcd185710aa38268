//! The aggregator's own Tasks (rack reset fan-out, PDU reseat): kept in memory for GETs, written
//! through to SQLite, capped. Ids are `Task<n>`: never `<bmc>-<member>`, so they route locally
//! while sitting in the merged `/redfish/v1/TaskService/Tasks` beside the BMCs' tasks.

use crate::error::AggError;
use crate::store::Store;
use redfish::events::EventMessage;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;

pub const TASKS_URI: &str = "/redfish/v1/TaskService/Tasks";
pub const MONITORS_URI: &str = "/redfish/v1/TaskService/TaskMonitors";
const TASK_TYPE: &str = "#Task.v1_7_4.Task";

pub fn task_uri(id: &str) -> String {
    format!("{TASKS_URI}/{id}")
}

pub fn monitor_uri(id: &str) -> String {
    format!("{MONITORS_URI}/{id}")
}

/// How a finished task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// Some parts failed.
    Warning,
    Failed,
}

#[derive(Default)]
struct Table {
    next: u64,
    /// seq -> task body.
    tasks: BTreeMap<u64, Value>,
}

pub struct Tasks {
    store: Store,
    table: Mutex<Table>,
}

impl Tasks {
    /// Loads the kept tasks; any still running when the aggregator stopped ended with it.
    pub async fn load(store: Store, keep: u32) -> Result<Self, AggError> {
        let mut table = Table::default();
        for (seq, mut body) in store.load_tasks().await? {
            if matches!(
                body["TaskState"].as_str(),
                Some("New" | "Running" | "Starting")
            ) {
                let id = body["Id"].as_str().unwrap_or_default().to_owned();
                finish_body(&mut body, Outcome::Failed);
                push_message(&mut body, EventMessage::task_aborted(&id).to_message_json());
                store.save_task(&id, seq, body.clone(), keep).await?;
            }
            table.next = table.next.max(seq);
            table.tasks.insert(seq, body);
        }
        Ok(Tasks {
            store,
            table: Mutex::new(table),
        })
    }

    /// Creates a Running task and returns its id.
    pub async fn create(&self, name: &str, keep: u32) -> Result<String, AggError> {
        let (seq, id, body) = {
            let mut t = self
                .table
                .lock()
                .map_err(|_| AggError::Internal("task table poisoned".into()))?;
            t.next += 1;
            let seq = t.next;
            let id = format!("Task{seq}");
            let body = json!({
                "@odata.id": task_uri(&id),
                "@odata.type": TASK_TYPE,
                "Id": id,
                "Name": name,
                "TaskState": "Running",
                "TaskStatus": "OK",
                "StartTime": super::clock::now(),
                "PercentComplete": 0,
                "HidePayload": true,
                "TaskMonitor": monitor_uri(&id),
                "Messages": [EventMessage::task_started(&id).to_message_json()],
            });
            t.tasks.insert(seq, body.clone());
            while t.tasks.len() > keep as usize {
                t.tasks.pop_first();
            }
            (seq, id, body)
        };
        self.store.save_task(&id, seq, body, keep).await?;
        Ok(id)
    }

    /// Applies `change` to the task and persists it.
    pub async fn update(&self, id: &str, keep: u32, change: impl FnOnce(&mut Value)) {
        let found = self.table.lock().ok().and_then(|mut t| {
            let (seq, body) = t.tasks.iter_mut().find(|(_, b)| b["Id"] == id)?;
            change(body);
            Some((*seq, body.clone()))
        });
        if let Some((seq, body)) = found
            && let Err(e) = self.store.save_task(id, seq, body, keep).await
        {
            tracing::warn!(task = id, error = %e, "could not persist task");
        }
    }

    pub fn get(&self, id: &str) -> Option<Value> {
        let t = self.table.lock().ok()?;
        t.tasks.values().find(|b| b["Id"] == id).cloned()
    }

    /// Every kept task's URI, oldest first.
    pub fn uris(&self) -> Vec<String> {
        self.table
            .lock()
            .map(|t| {
                t.tasks
                    .values()
                    .filter_map(|b| b["@odata.id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub fn push_message(body: &mut Value, message: Value) {
    if let Some(list) = body["Messages"].as_array_mut() {
        list.push(message);
    }
}

/// Marks a task finished: state, health, end time, 100 %.
pub fn finish_body(body: &mut Value, outcome: Outcome) {
    let (state, status) = match outcome {
        Outcome::Ok => ("Completed", "OK"),
        Outcome::Warning => ("Exception", "Warning"),
        Outcome::Failed => ("Exception", "Critical"),
    };
    body["TaskState"] = state.into();
    body["TaskStatus"] = status.into();
    body["EndTime"] = super::clock::now().into();
    body["PercentComplete"] = 100.into();
}

/// Whether a task body is still running.
pub fn is_running(body: &Value) -> bool {
    matches!(
        body["TaskState"].as_str(),
        Some("New" | "Running" | "Starting" | "Pending")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tasks_are_numbered_capped_and_a_running_task_ends_at_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let tasks = Tasks::load(store.clone(), 2).await.expect("load");
        let a = tasks.create("a", 2).await.expect("create");
        let b = tasks.create("b", 2).await.expect("create");
        let c = tasks.create("c", 2).await.expect("create");
        assert_eq!(
            (a.as_str(), b.as_str(), c.as_str()),
            ("Task1", "Task2", "Task3")
        );
        assert!(redfish::ids::split_member(&a).is_none());
        assert_eq!(tasks.uris(), [task_uri("Task2"), task_uri("Task3")]);
        tasks
            .update(&b, 2, |body| finish_body(body, Outcome::Ok))
            .await;
        let again = Tasks::load(store, 2).await.expect("reload");
        assert_eq!(again.get(&b).expect("b")["TaskState"], "Completed");
        let c = again.get(&c).expect("c");
        assert_eq!(c["TaskState"], "Exception");
        assert!(!is_running(&c));
        let next = again.create("d", 2).await.expect("create");
        assert_eq!(next, "Task4");
    }
}
