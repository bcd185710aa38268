//! The aggregate's own resources (owned by aggregator-svc, never forwarded), one file per family:
//! the service singletons that parent merged collections ([`services`]), the rack's chassis
//! ([`chassis`], [`power`]), the switch and host chassis' sensors and the switch reset
//! ([`parts`]), the rack manager ([`manager`], [`logs`]), local tasks ([`tasks`]) and the PDU
//! reseat action ([`pdu`]), the CertificateService ([`certificates`]), the AggregationService's
//! Aggregates ([`aggregates`]), the UpdateService's SimpleUpdate over the rack's servers
//! ([`update`]). Handlers are thin: the state they read is in [`crate::rack`].

pub mod action;
mod aggregates;
pub mod aggregation;
mod certificates;
mod chassis;
mod hook;
mod locator;
mod logs;
mod manager;
mod parts;
pub mod patch;
pub mod pdu;
pub mod power;
pub mod push;
pub mod reply;
mod services;
mod source_certificate;
mod tasks;
mod update;

use crate::AppState;
use crate::config::rack::RackSettings;
use crate::downstream::MemberKind;
use crate::error::AggError;
use crate::exchange::{Exchange, Reply};
use http::Method;
use serde_json::{Value, json};
use std::sync::Arc;

/// What every local handler gets.
pub struct Ctx<'a> {
    pub state: &'a Arc<AppState>,
    pub s: Arc<RackSettings>,
    pub ex: &'a Exchange,
}

impl Ctx<'_> {
    pub fn not_found(&self) -> AggError {
        AggError::NotFound {
            path: self.ex.path.clone(),
        }
    }

    /// Every BMC's members of `collection`, in listing order (the aggregate's own excluded).
    pub fn aggregated(&self, collection: &str) -> Vec<String> {
        let inv = &self.state.inventory;
        inv.bmcs()
            .iter()
            .flat_map(|b| inv.members_of(b.id.as_str(), collection))
            .collect()
    }

    /// Members of `collection` the aggregate's own resources link to: every BMC's, but of a
    /// source that is itself an aggregator only its own top-level ones of `kind` (a row contains
    /// racks and manages rack managers, not every server of every rack flat).
    pub fn linked(&self, collection: &str, kind: MemberKind) -> Vec<String> {
        let inv = &self.state.inventory;
        inv.bmcs()
            .iter()
            .flat_map(|b| inv.linked_members(b, collection, kind))
            .collect()
    }

    /// Health of what the aggregate fronts: every source OK (for a rack under a row, every BMC
    /// it fronts too) is OK, some not Warning, every one Critical Critical.
    pub fn bmc_rollup(&self) -> &'static str {
        let bmcs = self.state.inventory.bmcs();
        let rollups: Vec<&str> = bmcs.iter().map(|b| b.rollup()).collect();
        let critical = rollups.iter().filter(|r| **r == "Critical").count();
        if critical > 0 && critical == rollups.len() {
            "Critical"
        } else if rollups.iter().any(|r| *r != "OK") {
            "Warning"
        } else {
            "OK"
        }
    }
}

pub fn link(uri: &str) -> Value {
    json!({"@odata.id": uri})
}

pub fn links(uris: &[String]) -> Value {
    Value::Array(uris.iter().map(|u| link(u)).collect())
}

/// A collection of the aggregate's own resources listing `members`.
pub use redfish::odata::collection;

/// Serves `path` if the aggregate owns it.
pub async fn serve(state: &Arc<AppState>, exchange: &Exchange) -> Result<Reply, AggError> {
    let path = trim_slash(&exchange.path);
    if let Some(body) = services::singleton(&state.inventory, path) {
        reply::only(exchange, &[Method::GET, Method::HEAD], READ_ONLY)?;
        return reply::json(exchange, &body, READ_ONLY);
    }
    let ctx = Ctx {
        state,
        s: state.rack.settings(),
        ex: exchange,
    };
    let segments: Vec<&str> = path
        .strip_prefix("/redfish/v1/")
        .map(|p| p.split('/').collect())
        .unwrap_or_default();
    match segments.as_slice() {
        ["Chassis", id, rest @ ..] => chassis::serve(&ctx, id, rest).await,
        ["Managers", id, rest @ ..] if ctx.s.manager.enabled && *id == ctx.s.manager.id => {
            manager::serve(&ctx, rest).await
        }
        ["CertificateService", rest @ ..] => certificates::serve(&ctx, rest).await,
        ["AggregationService", "Aggregates", rest @ ..] => aggregates::serve(&ctx, rest).await,
        ["AggregationService", rest @ ..] => aggregation::serve(&ctx, rest).await,
        ["UpdateService", rest @ ..] => update::serve(&ctx, rest).await,
        ["TaskService", "Tasks", id] => tasks::serve_task(&ctx, id),
        ["TaskService", "TaskMonitors", id] => tasks::serve_monitor(&ctx, id),
        _ => Err(ctx.not_found()),
    }
}

fn trim_slash(path: &str) -> &str {
    match path.strip_suffix('/') {
        Some(p) if !p.is_empty() => p,
        _ => path,
    }
}

const READ_ONLY: &str = "GET, HEAD";

/// Top-level singletons the ServiceRoot links to.
pub fn service_root_links() -> &'static [(&'static str, &'static str)] {
    services::ROOT_LINKS
}

/// The current time as Redfish wants it.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    redfish::time::format_utc(i64::try_from(secs).unwrap_or(i64::MAX))
}
