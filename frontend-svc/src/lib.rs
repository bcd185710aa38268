//! frontend-svc: the public Redfish face of the rack. Serves the ServiceRoot, authenticates every
//! request, enforces privileges, owns accounts, roles and sessions, and hands everything else to
//! aggregator-svc over gRPC.
//!
//! - [`conn`]: the listener (HTTP/1.1, header read and write timeouts, hyper's ceilings);
//!   [`server`]: the warp filter turning HTTP into a [`request::Request`] within [`limits`];
//!   [`router`]: the order every request goes through; [`local`]: the routes the frontend serves
//!   itself; [`sse`]: the event stream, the one response that is not a whole body.
//! - [`auth`], [`passwords`], [`lockout`], [`sessions`]: who is asking.
//! - [`authz`], [`privileges`], [`roles`]: what they may do (DMTF privilege registry).
//! - [`policy`], [`bootstrap`], [`store`], [`clock`]: the state behind it.
//! - [`handlers`]: local resources; `handlers::proxy` forwards the rest via [`agg_client`].
//! - [`query`]: DSP0266 query parameters applied to any response (`only`, `$select`, `$expand`,
//!   `$filter`, `$top`/`$skip`).
//! - [`body`], [`resource`], [`response`]: request validation, ETags, the response shape.
//! - [`error`]: `FrontendError`, mapped to status and Base message in one place.
//! - [`audit`]: every write recorded (log line + the aggregator's audit log); [`metrics`]: what
//!   the operations listener (`metrics_listen`) reports.
//! - [`ui`]: the rack web page at `/ui/` (static files; the page uses the public Redfish API).

pub mod agg_client;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod body;
pub mod bootstrap;
pub mod clock;
pub mod config;
pub mod conn;
pub mod error;
pub mod forwarded;
pub mod handlers;
pub mod limits;
pub mod local;
pub mod lockout;
pub mod metrics;
pub mod passwords;
pub mod policy;
pub mod privileges;
pub mod query;
pub mod request;
pub mod resource;
pub mod response;
pub mod roles;
pub mod router;
pub mod server;
pub mod sessions;
pub mod sse;
pub mod store;
pub mod ui;

use crate::agg_client::AggClient;
use crate::auth::{AuthParts, Authenticator, session_timeout_ms};
use crate::authz::Authz;
use crate::clock::{Clock, SystemClock};
use crate::policy::Policies;
use crate::roles::RoleBook;
use crate::sessions::Sessions;
use crate::store::Store;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::FrontendConfig as Config;

/// Shared by every request.
pub struct AppState {
    pub agg: AggClient,
    pub auth: Authenticator,
    pub authz: Authz,
    pub store: Store,
    pub roles: Arc<RoleBook>,
    pub policies: Arc<Policies>,
    pub sessions: Arc<Sessions>,
    pub clock: Arc<dyn Clock>,
    /// Serializes account, role and policy writes, so each check-then-write (If-Match, last
    /// administrator, duplicate names) sees no concurrent change.
    pub writes: tokio::sync::Mutex<()>,
    pub max_body_bytes: usize,
    /// Header and JSON nesting limits, checked before a request is routed.
    pub limits: limits::Limits,
    /// Peers whose X-Forwarded-* headers are believed ([`forwarded`]).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub shutting_down: AtomicBool,
    /// Cancelled when shutdown begins: open event streams end, so connections can drain.
    pub sse_stop: CancellationToken,
    pub metrics: metrics::Metrics,
    pub audit: audit::AuditSink,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Config(#[from] svc_common::ConfigError),
    #[error("state: {0}")]
    State(String),
}

/// Serves on `listener` until `shutdown` resolves; in-flight requests finish first.
pub async fn run(
    config: config::FrontendConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    run_with_clock(config, listener, shutdown, Arc::new(SystemClock)).await
}

/// [`run`] with the clock sessions and lockouts expire by (tests pass a manual one).
pub async fn run_with_clock(
    config: config::FrontendConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    clock: Arc<dyn Clock>,
) -> Result<(), RunError> {
    config.validate()?;
    let ops = match config.metrics_listen {
        Some(addr) => Some(svc_common::ops::bind(addr, "frontend.metrics_listen").await?),
        None => None,
    };
    run_with_ops(config, listener, ops, shutdown, clock).await
}

/// [`run_with_clock`] with the operations listener already bound (tests bind port 0), or none.
pub async fn run_with_ops(
    config: config::FrontendConfig,
    listener: TcpListener,
    ops_listener: Option<TcpListener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    clock: Arc<dyn Clock>,
) -> Result<(), RunError> {
    config.validate()?;
    let metrics = metrics::Metrics::default();
    let store = Store::open(&config.state_dir).map_err(RunError::State)?;
    bootstrap::ensure_admin(&config, &store)
        .await
        .map_err(RunError::State)?;
    let agg = AggClient::connect_lazy(
        &config.aggregator_endpoint,
        Duration::from_millis(config.request_timeout_ms),
    )
    .map_err(|e| {
        RunError::Config(svc_common::ConfigError::at(
            "frontend.aggregator_endpoint",
            e,
        ))
    })?;
    let authz = Authz::builtin().map_err(RunError::State)?;
    let roles = Arc::new(RoleBook::load(&store).await.map_err(RunError::State)?);
    let policies = Arc::new(Policies::load(&store).await.map_err(RunError::State)?);
    let sessions = Arc::new(
        Sessions::load(&store, clock.clone(), session_timeout_ms(&policies))
            .await
            .map_err(RunError::State)?,
    );
    let decoy_hash = passwords::hash_async(passwords::generate(24))
        .await
        .map_err(RunError::State)?;
    let auth = Authenticator::new(AuthParts {
        store: store.clone(),
        clock: clock.clone(),
        roles: roles.clone(),
        policies: policies.clone(),
        sessions: sessions.clone(),
        decoy_hash,
        metrics: metrics.clone(),
    });
    let (audit, audit_rx) = audit::AuditSink::new(metrics.audit_dropped.clone());
    let background = CancellationToken::new();
    let audit_sender = tokio::spawn(audit::run_sender(audit_rx, agg.clone(), background.clone()));
    let ops_server = ops_listener.map(|l| {
        let ops = svc_common::ops::Ops {
            registry: Arc::new(metrics.registry(sessions.clone(), policies.clone())),
            ready: aggregator_reachable(agg.clone()),
        };
        tracing::info!(addr = ?l.local_addr().ok(), "operations listener: /metrics, /healthz, /readyz");
        tokio::spawn(svc_common::ops::serve(l, ops, background.clone()))
    });
    let state = Arc::new(AppState {
        agg,
        auth,
        authz,
        store,
        roles,
        policies,
        sessions,
        clock,
        writes: tokio::sync::Mutex::new(()),
        max_body_bytes: config.max_body_bytes,
        limits: limits::Limits::of(&config),
        trusted_proxies: config.trusted_proxies.clone(),
        shutting_down: AtomicBool::new(false),
        sse_stop: CancellationToken::new(),
        metrics,
        audit,
    });
    let flag = state.clone();
    let shutdown = async move {
        shutdown.await;
        flag.shutting_down.store(true, Ordering::Relaxed);
        flag.sse_stop.cancel();
    };
    tracing::info!(addr = ?listener.local_addr().ok(), "frontend-svc serving");
    conn::serve(
        listener,
        state.clone(),
        conn::ConnLimits::of(&config),
        shutdown,
    )
    .await;
    if let Err(e) = state.sessions.flush().await {
        tracing::warn!(error = %e, "could not record the last use of sessions");
    }
    // Every request has been answered: what is still queued goes to the aggregator now.
    background.cancel();
    let _ = audit_sender.await;
    if let Some(ops) = ops_server {
        let _ = ops.await;
    }
    Ok(())
}

/// Ready while the aggregator answers over gRPC (its Describe, within two seconds).
fn aggregator_reachable(agg: AggClient) -> svc_common::ops::ReadyCheck {
    Arc::new(move || {
        let agg = agg.clone();
        Box::pin(async move {
            match tokio::time::timeout(Duration::from_secs(2), agg.describe()).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(format!("aggregator-svc not reachable: {e}")),
                Err(_) => Err("aggregator-svc did not answer within 2 s".into()),
            }
        })
    })
}
