//! The PATCHable properties of the local resources (the rack's AssetTag and Location, its power
//! limit), kept in memory for GETs and written through to SQLite. Writes are serialized so an
//! If-Match check and the write it guards cannot interleave with another PATCH.

use crate::error::AggError;
use crate::store::Store;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::RwLock;
use tokio::sync::{Mutex, MutexGuard};

/// The store key of the rack enclosure (not its id, which config may change).
pub const RACK: &str = "rack";
/// The store key of the management switch chassis.
pub const SWITCH: &str = "switch";
/// The store key of the host chassis (when the aggregator runs outside the switch).
pub const HOST: &str = "host";

pub struct Props {
    store: Store,
    values: RwLock<HashMap<(String, String), Value>>,
    writer: Mutex<()>,
}

impl Props {
    pub async fn load(store: Store) -> Result<Self, AggError> {
        let values = store
            .load_properties()
            .await?
            .into_iter()
            .map(|(r, p, v)| ((r, p), v))
            .collect();
        Ok(Props {
            store,
            values: RwLock::new(values),
            writer: Mutex::new(()),
        })
    }

    pub fn get(&self, resource: &str, property: &str) -> Option<Value> {
        self.values
            .read()
            .ok()?
            .get(&(resource.to_owned(), property.to_owned()))
            .cloned()
    }

    /// Held across "check the ETag, validate, write".
    pub async fn writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().await
    }

    /// Persists then publishes; on a store error nothing changes.
    pub async fn set(&self, resource: &str, values: Vec<(String, Value)>) -> Result<(), AggError> {
        self.store.save_properties(resource, values.clone()).await?;
        if let Ok(mut map) = self.values.write() {
            for (property, value) in values {
                map.insert((resource.to_owned(), property), value);
            }
        }
        Ok(())
    }
}
