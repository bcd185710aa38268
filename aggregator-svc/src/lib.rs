//! aggregator-svc: owns the BMC inventory, discovery, the cached collections, the rack's own
//! resources and the transparent proxy with its localizer. Serves the `aggregator.v1` gRPC
//! contract to frontend-svc.
//!
//! - [`config`]: the `[aggregator]` section, validated.
//! - [`bmc_client`] + [`tls`]: one pooled, session-holding HTTP client per BMC; [`tofu`]: pinned
//!   certificates of BMCs in trust-on-first-use mode.
//! - [`discovery`]: periodic, parallel discovery into the [`inventory`] (and the [`store`]).
//! - [`dispatch`] -> [`forward`]: where a request goes, and the proxy itself; [`written_members`]:
//!   a task or member a forwarded write created shows in the merged collections at once.
//! - [`grpc`]: the tonic service; [`error`]: `AggError` and its one mapping to status.
//! - [`rack`]: the rack's own state (settings, persisted properties, readings, tasks, event log),
//!   served by [`local`]; [`decorate`] adds the rack relationship to the BMCs' chassis.
//! - [`metrics`]: what the operations listener (`metrics_listen`) reports.
//! - [`intake`]: takes the BMCs' own events (SSE, push, or polling) into the EventService.
//! - [`import`]: converts the original RedDrum's discovery and credentials files to our config.

pub mod bmc_client;
pub mod breaker;
pub mod catalog;
pub mod config;
pub mod decorate;
pub mod discovery;
pub mod dispatch;
pub mod downstream;
pub mod error;
pub mod events;
pub mod exchange;
pub mod forward;
pub mod grpc;
pub mod import;
pub mod intake;
pub mod inventory;
pub mod local;
pub mod metrics;
pub mod rack;
pub mod secrets;
pub mod sources;
pub mod store;
pub mod tls;
pub mod tofu;
pub mod written_members;

use crate::bmc_client::ClientLimits;
use crate::config::AggregatorConfig;
use crate::inventory::{HealthEvents, Inventory};
use crate::rack::Rack;
use crate::store::Store;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::AggregatorConfig as Config;

/// How long shutdown waits for in-flight BMC requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Shared by every request handler.
pub struct AppState {
    pub inventory: Arc<Inventory>,
    pub store: Store,
    pub service_uuid: String,
    pub tracker: TaskTracker,
    pub events: events::EventService,
    pub rack: Arc<Rack>,
    /// BMC client limits (for clients created by a config reload).
    pub limits: ClientLimits,
    /// Where BMC entries report health changes (to the event log).
    pub health_events: HealthEvents,
    /// Starts a discovery pass at once.
    pub discovery_wake: Arc<Notify>,
    /// The BMCs fronted: the config file's and the AggregationService's.
    pub sources: sources::Sources,
    pub metrics: Arc<metrics::Metrics>,
    config: RwLock<Arc<AggregatorConfig>>,
}

impl AppState {
    /// The running configuration.
    pub fn config(&self) -> Arc<AggregatorConfig> {
        self.config
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    pub fn set_config(&self, config: AggregatorConfig) {
        if let Ok(mut c) = self.config.write() {
            *c = Arc::new(config);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Config(#[from] svc_common::ConfigError),
    #[error("state: {0}")]
    State(String),
    #[error("serving gRPC: {0}")]
    Serve(String),
}

/// Runs the aggregator on `listener` until `shutdown` resolves, then drains in-flight requests.
/// The operations listener, if `metrics_listen` is set, is bound here.
pub async fn run(
    config: AggregatorConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    config.validate()?;
    let ops = match config.metrics_listen {
        Some(addr) => Some(svc_common::ops::bind(addr, "aggregator.metrics_listen").await?),
        None => None,
    };
    run_with_ops(config, listener, ops, shutdown).await
}

/// [`run`] with the operations listener already bound (tests bind port 0), or none.
pub async fn run_with_ops(
    config: AggregatorConfig,
    listener: TcpListener,
    ops_listener: Option<TcpListener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let bmcs = config.validate()?;
    let inbound = match config.events_inbound_listen {
        Some(addr) => Some(TcpListener::bind(addr).await.map_err(|e| {
            RunError::Config(svc_common::ConfigError::at(
                "aggregator.events_inbound_listen",
                format!("cannot listen on {addr}: {e}"),
            ))
        })?),
        None => None,
    };
    let metrics = Arc::new(metrics::Metrics::default());
    let store = Store::open(&config.state_dir).map_err(|e| RunError::State(e.to_string()))?;
    let service_uuid = store
        .service_uuid()
        .await
        .map_err(|e| RunError::State(e.to_string()))?;
    let (pin_events, pin_rx) = tokio::sync::mpsc::unbounded_channel();
    let pins = tofu::Pins::new(
        store
            .load_pins()
            .await
            .map_err(|e| RunError::State(e.to_string()))?,
        pin_events,
    );
    let limits = ClientLimits {
        connect_timeout: Duration::from_millis(config.connect_timeout_ms),
        request_timeout: Duration::from_millis(config.request_timeout_ms),
        per_bmc_concurrency: config.per_bmc_concurrency,
        max_reply_bytes: config.max_reply_bytes,
        upload_timeout: Duration::from_millis(config.upload_timeout_ms),
        tls: Arc::new(tls::TlsConfigs::with_pins(pins)),
        metrics: metrics.bmc.clone(),
    };
    let (health_events, health_rx) = tokio::sync::mpsc::unbounded_channel();
    let key_file = config
        .sources_key_file
        .clone()
        .unwrap_or_else(|| config.state_dir.join("sources.key"));
    let secrets = secrets::SecretBox::load_or_create(&key_file).map_err(|e| {
        RunError::Config(svc_common::ConfigError::at(
            "aggregator.sources_key_file",
            e,
        ))
    })?;
    let sources = sources::Sources::load(store.clone(), secrets)
        .await
        .map_err(|e| RunError::State(e.to_string()))?;
    let running = sources.effective(bmcs.clone());
    let entries = sources::entries_for(&running, &[], &[], limits.clone(), &health_events)
        .map_err(|e| RunError::Config(svc_common::ConfigError::at("aggregator.bmcs", e)))?;
    sources.set_applied(running);
    let inventory = Arc::new(Inventory::new(entries));
    let rack = Arc::new(
        Rack::load(
            &store,
            config.rack_settings(),
            metrics.audit_records.clone(),
        )
        .await
        .map_err(|e| RunError::State(e.to_string()))?,
    );
    rack.register_members(&inventory);
    let tracker = TaskTracker::new();
    let cancel = CancellationToken::new();
    let discovery_wake = Arc::new(Notify::new());
    tracker.spawn(rack::eventlog::run_health_log(
        health_rx,
        rack.log.clone(),
        inventory.clone(),
        cancel.clone(),
    ));
    let trips = inventory
        .take_trips()
        .ok_or_else(|| RunError::State("breaker reports already taken".into()))?;
    tracker.spawn(discovery::run_discovery(
        discovery::DiscoveryTask {
            inventory: inventory.clone(),
            store: store.clone(),
            interval: Duration::from_secs(config.discovery_interval_secs),
            retry_max: Duration::from_secs(config.retry_max_secs),
            trips,
            concurrency: config.discovery_concurrency,
            log: Some(rack.log.clone()),
            wake: discovery_wake.clone(),
            metrics: metrics.discovery.clone(),
        },
        cancel.clone(),
    ));
    tracker.spawn(rack::readings::run_poller(
        inventory.clone(),
        rack.clone(),
        cancel.clone(),
    ));
    // Cancelled as soon as shutdown begins: open SSE streams end (the gRPC server waits for
    // every stream before it stops) and delivery workers stop.
    let events_stop = cancel.child_token();
    let events = events::EventService::load(
        store.clone(),
        tracker.clone(),
        metrics.events.clone(),
        events_stop.clone(),
    )
    .await
    .map_err(|e| RunError::State(e.to_string()))?;
    let shutdown = async move {
        shutdown.await;
        events_stop.cancel();
    };
    let state = Arc::new(AppState {
        events,
        inventory: inventory.clone(),
        store,
        service_uuid,
        tracker: tracker.clone(),
        rack,
        limits,
        health_events,
        discovery_wake,
        sources,
        metrics: metrics.clone(),
        config: RwLock::new(Arc::new(config.clone())),
    });
    if let Some(ops_listener) = ops_listener {
        let discovery = metrics.discovery.clone();
        let ops = svc_common::ops::Ops {
            registry: Arc::new(metrics.registry(inventory.clone())),
            ready: Arc::new(move || {
                let ready = discovery.is_ready();
                Box::pin(async move {
                    if ready {
                        Ok(())
                    } else {
                        Err("the first discovery pass is still running".into())
                    }
                })
            }),
        };
        tracing::info!(addr = ?ops_listener.local_addr().ok(), "operations listener: /metrics, /healthz, /readyz");
        tracker.spawn(svc_common::ops::serve(ops_listener, ops, cancel.clone()));
    }

    tracker.spawn(tofu::keeper::run(pin_rx, state.clone(), cancel.clone()));
    tracker.spawn(intake::run(
        state.clone(),
        inbound,
        Arc::default(),
        cancel.clone(),
    ));

    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<proto::v1::aggregator_server::AggregatorServer<grpc::AggregatorService>>()
        .await;
    let service =
        proto::v1::aggregator_server::AggregatorServer::new(grpc::AggregatorService::new(state))
            .max_decoding_message_size(64 * 1024 * 1024)
            .max_encoding_message_size(64 * 1024 * 1024);
    tracing::info!(bmcs = bmcs.len(), addr = ?listener.local_addr().ok(), "aggregator-svc serving");
    let served = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(service)
        .serve_with_incoming_shutdown(without_nagle(listener), shutdown)
        .await;
    cancel.cancel();
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("in-flight requests still running after the grace period");
    }
    for bmc in inventory.bmcs() {
        bmc.client.logout().await;
    }
    served.map_err(|e| RunError::Serve(e.to_string()))
}

/// Accepted connections with TCP_NODELAY: a gRPC reply is several small writes (headers, data,
/// trailers), and Nagle plus the client's delayed ACK would add ~40 ms to every request.
fn without_nagle(
    listener: TcpListener,
) -> impl futures_util::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    use futures_util::StreamExt;
    tokio_stream::wrappers::TcpListenerStream::new(listener).map(|accepted| {
        let stream = accepted?;
        stream.set_nodelay(true)?;
        Ok(stream)
    })
}
