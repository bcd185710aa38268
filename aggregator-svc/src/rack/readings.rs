//! The servers' latest Power and Thermal readings, sampled in the background: every
//! `readings.interval_secs`, each BMC's chassis `Power` and `Thermal` are read (at most
//! `readings.concurrency` BMCs at once, each within `readings.timeout_ms`), localized, and kept.
//! The rack's Power and Thermal are computed from the last sample, so they never wait on a BMC.

use crate::downstream::MemberKind;
use crate::inventory::{BmcEntry, Inventory};
use crate::rack::Rack;
use bytes::Bytes;
use futures_util::StreamExt;
use http::Method;
use redfish::path::{bmc_path, classify};
use redfish::rewrite::localize_body;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// One server chassis' readings, in the aggregate's URI space.
#[derive(Debug, Clone, PartialEq)]
pub struct ChassisReadings {
    pub bmc: String,
    /// e.g. `/redfish/v1/Chassis/s1-1`.
    pub chassis: String,
    pub power: Option<Value>,
    pub thermal: Option<Value>,
}

/// The last sample: per BMC (configuration order kept by the BMC id sort being stable enough
/// for display), the readings of each of its chassis. A BMC that failed its last poll is absent.
#[derive(Default)]
pub struct Readings {
    sample: RwLock<Arc<BTreeMap<String, Vec<ChassisReadings>>>>,
}

impl Readings {
    pub fn latest(&self) -> Vec<ChassisReadings> {
        self.sample
            .read()
            .map(|s| s.values().flatten().cloned().collect())
            .unwrap_or_default()
    }

    fn publish(&self, bmc: &str, readings: Option<Vec<ChassisReadings>>) {
        if let Ok(mut s) = self.sample.write() {
            let mut next = (**s).clone();
            match readings {
                Some(r) => next.insert(bmc.to_owned(), r),
                None => next.remove(bmc),
            };
            *s = Arc::new(next);
        }
    }

    /// Drops BMCs no longer configured.
    fn retain(&self, bmcs: &[String]) {
        if let Ok(mut s) = self.sample.write() {
            let mut next = (**s).clone();
            next.retain(|k, _| bmcs.contains(k));
            *s = Arc::new(next);
        }
    }
}

async fn get_json(bmc: &BmcEntry, aggregate_uri: &str) -> Option<Value> {
    let target = classify(aggregate_uri);
    let (_, path) = bmc_path(&target)?;
    let reply = bmc
        .client
        .send(Method::GET, &path, &[], Bytes::new())
        .await
        .ok()?;
    if !reply.status.is_success() {
        return None;
    }
    let mut value: Value = serde_json::from_slice(&reply.body).ok()?;
    localize_body(&mut value, &bmc.ctx());
    Some(value)
}

/// Reads one BMC's chassis readings; None when the BMC answered nothing usable.
async fn poll_bmc(bmc: &BmcEntry, chassis: Vec<String>) -> Option<Vec<ChassisReadings>> {
    let mut out = Vec::new();
    for uri in chassis {
        // Some BMCs (iLO) list their members with a trailing slash: `.../1//Power` is a 404.
        let base = uri.trim_end_matches('/');
        let power = get_json(bmc, &format!("{base}/Power")).await;
        let thermal = get_json(bmc, &format!("{base}/Thermal")).await;
        if power.is_some() || thermal.is_some() {
            out.push(ChassisReadings {
                bmc: bmc.id.to_string(),
                chassis: uri,
                power,
                thermal,
            });
        }
    }
    (!out.is_empty()).then_some(out)
}

/// One sampling pass over every BMC.
pub async fn poll_once(inventory: &Inventory, rack: &Rack) {
    let settings = rack.settings();
    let timeout = Duration::from_millis(settings.readings.timeout_ms);
    let bmcs = inventory.bmcs();
    rack.readings
        .retain(&bmcs.iter().map(|b| b.id.to_string()).collect::<Vec<_>>());
    let results = futures_util::stream::iter(bmcs)
        .map(|bmc| {
            // A rack under a row is sampled at its enclosure, whose readings are its servers'
            // sum: sampling its servers too would count them twice and load their BMCs twice.
            let chassis = inventory.linked_members(&bmc, "Chassis", MemberKind::TopChassis);
            async move {
                let r = tokio::time::timeout(timeout, poll_bmc(&bmc, chassis))
                    .await
                    .ok()
                    .flatten();
                (bmc, r)
            }
        })
        .buffer_unordered(settings.readings.concurrency.max(1));
    tokio::pin!(results);
    while let Some((bmc, readings)) = results.next().await {
        rack.readings.publish(bmc.id.as_str(), readings);
    }
    rack.check_power_limit().await;
}

/// Samples at once and then every interval (re-read each time: a reload may change it).
pub async fn run_poller(inventory: Arc<Inventory>, rack: Arc<Rack>, cancel: CancellationToken) {
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = poll_once(&inventory, &rack) => {}
        }
        let interval = Duration::from_secs(rack.settings().readings.interval_secs);
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
            () = rack.readings_wake.notified() => {}
        }
    }
}
