//! The BMCs the aggregate fronts: those of the config file, then those added through the
//! AggregationService (persisted, passwords sealed). When both name a BMC id the config file wins:
//! the stored source is ignored (with a warning) while the file names it, and a source from the
//! file cannot be changed or deleted through the API (the file is the operator's record).
//!
//! Every change of the set goes through [`apply`], which rebuilds the inventory's BMC entries,
//! keeping the client (and BMC session) of every BMC whose connection did not change.

use crate::AppState;
use crate::bmc_client::{BmcClient, ClientLimits};
use crate::config::ValidBmc;
use crate::error::AggError;
use crate::inventory::{BmcEntry, HealthEvents, Inventory};
use crate::secrets::SecretBox;
use crate::store::{Store, StoredSource};
use redfish::ids::BmcId;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    ConfigFile,
    Api,
}

pub struct Sources {
    store: Store,
    secrets: SecretBox,
    /// Added through the API, in the order they were added.
    api: RwLock<Vec<ValidBmc>>,
    /// What the inventory runs with now, config file first.
    applied: RwLock<Vec<(ValidBmc, Origin)>>,
    /// One change of the set at a time (read, check, store, apply).
    writer: tokio::sync::Mutex<()>,
}

impl Sources {
    /// Reads the stored sources (their passwords opened with `secrets`).
    pub async fn load(store: Store, secrets: SecretBox) -> Result<Self, AggError> {
        let mut api = Vec::new();
        for row in store.load_sources().await? {
            match valid_from_row(&row, &secrets) {
                Ok(bmc) => api.push(bmc),
                Err(e) => {
                    tracing::error!(source = %row.id, error = %e, "stored AggregationSource unusable; skipped")
                }
            }
        }
        Ok(Sources {
            store,
            secrets,
            api: RwLock::new(api),
            applied: RwLock::new(Vec::new()),
            writer: tokio::sync::Mutex::new(()),
        })
    }

    /// The config file's BMCs, then the API's ones whose id the file does not name.
    pub fn effective(&self, config: Vec<ValidBmc>) -> Vec<(ValidBmc, Origin)> {
        let mut out: Vec<(ValidBmc, Origin)> = config
            .into_iter()
            .map(|b| (b, Origin::ConfigFile))
            .collect();
        for bmc in self.api.read().map(|a| a.clone()).unwrap_or_default() {
            if out.iter().any(|(b, _)| b.id == bmc.id) {
                tracing::warn!(bmc = %bmc.id, "the config file names this BMC too: its entry wins over the AggregationSource added through the API");
                continue;
            }
            out.push((bmc, Origin::Api));
        }
        out
    }

    /// What is running now.
    pub fn applied(&self) -> Vec<(ValidBmc, Origin)> {
        self.applied.read().map(|a| a.clone()).unwrap_or_default()
    }

    pub fn get(&self, id: &str) -> Option<(ValidBmc, Origin)> {
        self.applied()
            .into_iter()
            .find(|(b, _)| b.id.as_str() == id)
    }

    pub fn set_applied(&self, list: Vec<(ValidBmc, Origin)>) {
        if let Ok(mut a) = self.applied.write() {
            *a = list;
        }
    }

    pub async fn lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writer.lock().await
    }

    /// Stores a new or changed API source (the caller holds [`Sources::lock`]).
    pub async fn save(&self, bmc: ValidBmc) -> Result<(), AggError> {
        let row = StoredSource {
            id: bmc.id.to_string(),
            url: bmc.base_url.as_str().trim_end_matches('/').to_owned(),
            username: bmc.username.clone(),
            sealed_password: self.secrets.seal(&bmc.password).map_err(AggError::Store)?,
            verify_tls: bmc.verify_tls,
            pdu_socket: bmc.pdu_socket.clone(),
            trust_on_first_use: bmc.trust_on_first_use,
        };
        self.store.save_source(row).await?;
        if let Ok(mut api) = self.api.write() {
            match api.iter_mut().find(|b| b.id == bmc.id) {
                Some(existing) => *existing = bmc,
                None => api.push(bmc),
            }
        }
        Ok(())
    }

    /// Forgets an API source and what was discovered through it (the caller holds the lock).
    pub async fn delete(&self, id: &str) -> Result<(), AggError> {
        self.store.delete_source(id).await?;
        if let Ok(mut api) = self.api.write() {
            api.retain(|b| b.id.as_str() != id);
        }
        Ok(())
    }
}

fn valid_from_row(row: &StoredSource, secrets: &SecretBox) -> Result<ValidBmc, String> {
    Ok(ValidBmc {
        id: BmcId::parse(&row.id).map_err(|e| e.to_string())?,
        base_url: crate::config::parse_bmc_url(&row.url)?,
        username: row.username.clone(),
        password: secrets.open(&row.sealed_password)?,
        verify_tls: row.verify_tls,
        ca_file: None,
        pdu_socket: row.pdu_socket.clone(),
        trust_on_first_use: row.trust_on_first_use,
    })
}

/// The inventory entries for `list`: a BMC whose connection settings are unchanged since
/// `previous` keeps its client (and session) and its health.
pub fn entries_for(
    list: &[(ValidBmc, Origin)],
    previous: &[(ValidBmc, Origin)],
    current: &[Arc<BmcEntry>],
    limits: ClientLimits,
    health_events: &HealthEvents,
) -> Result<Vec<Arc<BmcEntry>>, String> {
    let current: HashMap<&str, &Arc<BmcEntry>> =
        current.iter().map(|b| (b.id.as_str(), b)).collect();
    let previous: HashMap<&str, &ValidBmc> =
        previous.iter().map(|(b, _)| (b.id.as_str(), b)).collect();
    let mut out = Vec::with_capacity(list.len());
    for (bmc, _) in list {
        let key = bmc.id.as_str();
        let reusable = match (current.get(key), previous.get(key)) {
            (Some(entry), Some(old)) if old.same_connection(bmc) => Some(*entry),
            _ => None,
        };
        let client = match reusable {
            Some(entry) => entry.client.clone(),
            None => BmcClient::new(bmc, limits.clone()).map_err(|e| format!("BMC {key}: {e}"))?,
        };
        let entry =
            BmcEntry::with_options(client, bmc.pdu_socket.clone(), Some(health_events.clone()));
        if let Some(old) = reusable {
            entry.inherit_health(old);
        }
        out.push(Arc::new(entry));
    }
    Ok(out)
}

/// Runs the aggregate with `list`: new and changed BMCs are discovered at once, removed ones
/// logged out and forgotten.
pub async fn apply(state: &AppState, list: Vec<(ValidBmc, Origin)>) -> Result<(), String> {
    let before = state.inventory.bmcs();
    let entries = entries_for(
        &list,
        &state.sources.applied(),
        &before,
        state.limits.clone(),
        &state.health_events,
    )?;
    replace(&state.inventory, &before, entries).await;
    state.sources.set_applied(list);
    Ok(())
}

async fn replace(inventory: &Inventory, before: &[Arc<BmcEntry>], entries: Vec<Arc<BmcEntry>>) {
    let changed: Vec<BmcId> = entries
        .iter()
        .filter(|e| {
            !before
                .iter()
                .any(|b| b.id == e.id && Arc::ptr_eq(&b.client, &e.client))
        })
        .map(|e| e.id.clone())
        .collect();
    let gone: Vec<Arc<BmcEntry>> = before
        .iter()
        .filter(|b| {
            !entries
                .iter()
                .any(|e| e.id == b.id && Arc::ptr_eq(&b.client, &e.client))
        })
        .cloned()
        .collect();
    inventory.replace_bmcs(entries);
    for id in changed {
        inventory.poke(&id);
    }
    for old in gone {
        // Its session on the BMC is not left behind (small BMCs run out of sessions).
        old.client.logout().await;
    }
}
