//! frontend-svc: the public Redfish face of the rack. Serves the ServiceRoot, authenticates every
//! request, enforces privileges, owns accounts and sessions, and hands everything else to
//! aggregator-svc over gRPC.
//!
//! - [`server`]: the warp filter turning HTTP into a [`request::Request`]; [`router`]: where it goes.
//! - [`auth`], [`passwords`], [`bootstrap`], [`store`]: who is asking, and the state behind it.
//! - [`handlers`]: local resources; `handlers::proxy` forwards the rest via [`agg_client`].
//! - [`error`]: `FrontendError`, mapped to status and Base message in one place.

pub mod agg_client;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod error;
pub mod handlers;
pub mod passwords;
pub mod request;
pub mod response;
pub mod router;
pub mod server;
pub mod store;

use crate::agg_client::AggClient;
use crate::auth::Authenticator;
use crate::store::Store;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;

pub use config::FrontendConfig as Config;

/// Shared by every request.
pub struct AppState {
    pub agg: AggClient,
    pub auth: Authenticator,
    pub store: Store,
    pub max_body_bytes: usize,
    pub shutting_down: AtomicBool,
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
    config.validate()?;
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
    let state = Arc::new(AppState {
        agg,
        auth: Authenticator::new(store.clone()),
        store,
        max_body_bytes: config.max_body_bytes,
        shutting_down: AtomicBool::new(false),
    });
    let flag = state.clone();
    let shutdown = async move {
        shutdown.await;
        flag.shutting_down.store(true, Ordering::Relaxed);
    };
    tracing::info!(addr = ?listener.local_addr().ok(), "frontend-svc serving");
    warp::serve(server::filter(state))
        .incoming(listener)
        .graceful(shutdown)
        .run()
        .await;
    Ok(())
}
