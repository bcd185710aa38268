//! Many BMCs in one process: templates and the TLS certificate are built once and shared.

use std::collections::HashMap;
use std::future::Future;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::SimConfig;
use crate::handle::start_with;
use crate::net::tls;
use crate::record::FLEET_RECORD_LIMIT;
use crate::store::Template;
use crate::tree::Shape;
use crate::{Profile, SimHandle, control_server, tree};

/// A running fleet of simulated BMCs (plus the optional control server).
#[derive(Debug)]
pub struct Fleet {
    handles: Vec<SimHandle>,
    control: Option<SocketAddr>,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

impl Fleet {
    /// Starts every BMC of the config; fails on a bad config or a port that cannot be bound.
    pub async fn start(config: &SimConfig) -> io::Result<Fleet> {
        let options = config
            .bmc_options()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.0))?;
        // Keyed by what shapes a tree: BMCs alike share one (a `uuid_ids` BMC has its own).
        let mut templates: HashMap<(Profile, String, Shape), Arc<Template>> = HashMap::new();
        let tls_config = if options.iter().any(|o| o.tls) {
            // One certificate for the fleet, naming every advertised host of an HTTPS BMC.
            let mut names: Vec<String> = options
                .iter()
                .filter(|o| o.tls)
                .filter_map(|o| o.quirks.advertised_name())
                .collect();
            names.sort();
            names.dedup();
            Some(tls::self_signed(&names)?)
        } else {
            None
        };
        let mut handles = Vec::with_capacity(options.len());
        for o in options {
            let shape = o.quirks.shape(&o.id);
            let template = Arc::clone(
                templates
                    .entry((o.profile, o.username.clone(), shape.clone()))
                    .or_insert_with(|| Arc::new(tree::build_for(o.profile, &o.username, &shape))),
            );
            let tls = if o.tls { tls_config.clone() } else { None };
            let id = o.id.clone();
            let listen = o.listen;
            match start_with(o, template, tls, FLEET_RECORD_LIMIT).await {
                Ok(h) => handles.push(h),
                Err(e) => {
                    for h in handles {
                        h.shutdown().await;
                    }
                    return Err(io::Error::new(
                        e.kind(),
                        format!("BMC {id}: cannot listen on {listen}: {e}"),
                    ));
                }
            }
        }
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let control = match config.control_listen {
            Some(addr) => {
                let listener = tokio::net::TcpListener::bind(addr).await?;
                let bound = listener.local_addr()?;
                let by_id: HashMap<String, SimHandle> = handles
                    .iter()
                    .map(|h| (h.id().to_string(), h.clone()))
                    .collect();
                tracker.spawn(control_server::serve(
                    listener,
                    Arc::new(by_id),
                    cancel.clone(),
                    tracker.clone(),
                ));
                Some(bound)
            }
            None => None,
        };
        Ok(Fleet {
            handles,
            control,
            cancel,
            tracker,
        })
    }

    /// The BMCs, in config order.
    pub fn handles(&self) -> &[SimHandle] {
        &self.handles
    }

    /// Address of the control server, if configured.
    pub fn control_addr(&self) -> Option<SocketAddr> {
        self.control
    }

    /// Stops the control server and every BMC.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        self.tracker.close();
        for h in self.handles {
            h.shutdown().await;
        }
        self.tracker.wait().await;
    }
}

/// Runs a fleet until `shutdown` completes. Prints `bmc <id> listening on <url>` per BMC to stdout.
pub async fn run(config: SimConfig, shutdown: impl Future<Output = ()>) -> io::Result<()> {
    let fleet = Fleet::start(&config).await?;
    {
        let mut out = io::stdout().lock();
        for h in fleet.handles() {
            writeln!(out, "bmc {} listening on {}", h.id(), h.url())?;
        }
        out.flush()?;
    }
    if let Some(addr) = fleet.control_addr() {
        tracing::info!(%addr, "control server listening");
    }
    shutdown.await;
    tracing::info!("shutting down");
    fleet.shutdown().await;
    Ok(())
}
