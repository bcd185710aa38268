//! Starting a BMC and the handle tests use to steer it.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

use crate::bmc::{Bmc, BmcState};
use crate::net::{listener, tls};
use crate::record::{RECORD_LIMIT, RecordedRequest};
use crate::store::Template;
use crate::{BmcOptions, Fault, tree};

/// Entry point for starting simulated BMCs.
pub struct SimBmc;

impl SimBmc {
    /// Binds `opts.listen` and serves the profile's Redfish tree until `SimHandle::shutdown`.
    pub async fn start(opts: BmcOptions) -> io::Result<SimHandle> {
        let template = Arc::new(tree::build_for(opts.profile, &opts.username));
        let tls = if opts.tls {
            Some(tls::self_signed_config(&[])?)
        } else {
            None
        };
        start_with(opts, template, tls, RECORD_LIMIT).await
    }
}

/// Starts a BMC with a shared template and (for HTTPS) a shared TLS config.
pub(crate) async fn start_with(
    opts: BmcOptions,
    template: Arc<Template>,
    tls: Option<Arc<ServerConfig>>,
    record_limit: usize,
) -> io::Result<SimHandle> {
    let listener = listener::bind(opts.listen)?;
    let addr = listener.local_addr()?;
    let host = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_url = format!("{scheme}://{}", SocketAddr::new(host, addr.port()));
    let state = BmcState::new(template, &opts.username, &opts.password);
    let bmc = Arc::new(Bmc::new(
        opts.id.clone(),
        opts.profile,
        addr,
        base_url,
        opts.username.clone(),
        state,
        Fault::None,
        record_limit,
    ));
    let acceptor = tls.map(TlsAcceptor::from);
    bmc.tracker
        .spawn(listener::accept_loop(Arc::clone(&bmc), listener, acceptor));
    tracing::info!(bmc = %opts.id, profile = %opts.profile, url = %bmc.base_url, "BMC started");
    Ok(SimHandle { bmc })
}

/// A cheap, cloneable handle to a running simulated BMC.
#[derive(Clone, Debug)]
pub struct SimHandle {
    bmc: Arc<Bmc>,
}

impl SimHandle {
    /// The bound address (the real port when started with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.bmc.addr
    }

    /// `http://127.0.0.1:PORT` or `https://...`, no trailing slash.
    pub fn url(&self) -> String {
        self.bmc.base_url.clone()
    }

    /// The BMC's id.
    pub fn id(&self) -> &str {
        &self.bmc.id
    }

    /// Sets the fault; it applies from the next request on.
    pub fn set_fault(&self, fault: Fault) {
        self.bmc.set_fault(fault);
    }

    /// The current fault.
    pub fn fault(&self) -> Fault {
        self.bmc.fault()
    }

    /// Requests received so far (oldest first; at most `RECORD_LIMIT`, or `FLEET_RECORD_LIMIT` in a
    /// fleet), excluding `/sim/` control calls.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.bmc.recorder.snapshot()
    }

    /// Rotates the administrator password; old sessions and old Basic credentials then get 401.
    pub fn set_password(&self, new: &str) {
        self.bmc.set_password(new);
    }

    /// Ends every Redfish session (as a BMC restart or session timeout does); tokens then get 401.
    pub fn expire_sessions(&self) {
        self.bmc.expire_sessions();
    }

    /// Stops accepting, lets open requests finish (bounded grace) and releases the port.
    pub async fn shutdown(self) {
        self.bmc.cancel.cancel();
        self.bmc.tracker.close();
        self.bmc.tracker.wait().await;
        tracing::info!(bmc = %self.bmc.id, "BMC stopped");
    }
}

impl SimHandle {
    /// Runs a control operation (`/fault`, `/password`, `/info`) as the control server does.
    pub(crate) fn control(
        &self,
        method: &http::Method,
        op: &str,
        body: &bytes::Bytes,
    ) -> http::Response<crate::net::body::SimBody> {
        crate::control::control_op(&self.bmc, method, op, body)
    }
}
