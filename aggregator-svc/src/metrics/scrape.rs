//! The per-BMC state read when `/metrics` is scraped: health, breaker, cache age, readiness.

use super::{BmcRequestMetrics, DiscoveryMetrics};
use crate::inventory::{HealthState, Inventory};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::gauge::ConstGauge;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

/// Reads each BMC's health, breaker and cache age when scraped (and prunes departed BMCs).
pub(super) struct BmcStateCollector {
    pub(super) inventory: Arc<Inventory>,
    pub(super) bmc: BmcRequestMetrics,
    pub(super) discovery: Arc<DiscoveryMetrics>,
}

impl std::fmt::Debug for BmcStateCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BmcStateCollector").finish_non_exhaustive()
    }
}

const HEALTH_STATES: [HealthState; 5] = [
    HealthState::Unknown,
    HealthState::Up,
    HealthState::Degraded,
    HealthState::Down,
    HealthState::Unauthorized,
];

impl Collector for BmcStateCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let bmcs = self.inventory.bmcs();
        let current: HashSet<String> = bmcs.iter().map(|b| b.id.to_string()).collect();
        self.bmc.retain(&current);
        self.discovery.retain(&current);

        let mut health = encoder.encode_descriptor(
            "bmc_health",
            "The BMC's health: 1 for its current state (Unknown until first read, Up, Degraded, Down, Unauthorized)",
            None,
            MetricType::Gauge,
        )?;
        for b in &bmcs {
            let now = b.health().state;
            for s in HEALTH_STATES {
                let labels = [("bmc", b.id.as_str()), ("state", s.as_str())];
                ConstGauge::new(i64::from(now == s)).encode(health.encode_family(&labels)?)?;
            }
        }
        let mut breaker = encoder.encode_descriptor(
            "bmc_breaker_open",
            "1 while the BMC's circuit breaker is open (its requests answer at once)",
            None,
            MetricType::Gauge,
        )?;
        for b in &bmcs {
            let open = b.client.breaker().open_trip().is_some();
            ConstGauge::new(i64::from(open))
                .encode(breaker.encode_family(&[("bmc", b.id.as_str())])?)?;
        }
        let mut age = encoder.encode_descriptor(
            "bmc_cache_age_seconds",
            "Seconds since the BMC's collections were last read (absent until the first read since start)",
            None,
            MetricType::Gauge,
        )?;
        let now = Instant::now();
        for b in &bmcs {
            if let Some(secs) = self.discovery.cache_age(b.id.as_str(), now) {
                ConstGauge::new(secs).encode(age.encode_family(&[("bmc", b.id.as_str())])?)?;
            }
        }
        let ready = encoder.encode_descriptor(
            "ready",
            "1 once the first discovery pass is done (what /readyz answers)",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(i64::from(self.discovery.is_ready())).encode(ready)?;
        Ok(())
    }
}
