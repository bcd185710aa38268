//! Starting a BMC and the handle tests use to steer it.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use crate::bmc::{Bmc, BmcState};
use crate::fault_table::FaultTable;
use crate::net::listener::{self, Socket};
use crate::net::tls;
use crate::record::{RECORD_LIMIT, RecordedRequest};
use crate::store::Template;
use crate::{BmcOptions, Fault, Quirks, tree};

/// Entry point for starting simulated BMCs.
pub struct SimBmc;

impl SimBmc {
    /// Binds `opts.listen` and serves the profile's Redfish tree until `SimHandle::shutdown`.
    pub async fn start(opts: BmcOptions) -> io::Result<SimHandle> {
        let shape = opts.quirks.shape(&opts.id);
        let template = Arc::new(tree::build_for(opts.profile, &opts.username, &shape));
        let tls = if opts.tls {
            // The advertised name is in the certificate, so clients that connect by it verify.
            let names: Vec<String> = opts.quirks.advertised_name().into_iter().collect();
            Some(tls::self_signed(&names)?)
        } else {
            None
        };
        start_with(opts, template, tls, RECORD_LIMIT).await
    }
}

/// Starts a BMC with a shared template and (for HTTPS) a shared first certificate.
pub(crate) async fn start_with(
    opts: BmcOptions,
    template: Arc<Template>,
    tls: Option<tls::SimCert>,
    record_limit: usize,
) -> io::Result<SimHandle> {
    check_quirks(&opts)?;
    let start_delay = opts.start_delay.filter(|d| !d.is_zero());
    let faults = FaultTable::new(&opts.path_faults, start_delay.is_some())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("path fault: {e}")))?;
    // Bound at once, so the port is known and taken even while a start delay refuses connections.
    let reserved = listener::reserve(opts.listen)?;
    let addr = reserved.local_addr()?;
    let socket = match start_delay {
        Some(_) => Socket::Reserved(reserved),
        // Listening before `start` returns: a test may connect right away.
        None => Socket::Listening(listener::listen(Socket::Reserved(reserved), addr)?),
    };
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
        opts.quirks.clone(),
        opts.username.clone(),
        state,
        faults,
        record_limit,
        tls.map(|first| {
            // A replacement certificate names only this BMC's own advertised host.
            tls::CertSlot::new(first, opts.quirks.advertised_name().into_iter().collect())
        }),
    ));
    bmc.tracker
        .spawn(listener::accept_loop(Arc::clone(&bmc), socket));
    if let Some(delay) = start_delay {
        let booting = Arc::clone(&bmc);
        bmc.tracker.spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(delay) => booting.finish_boot(),
                _ = booting.cancel.cancelled() => {}
            }
        });
    }
    tracing::info!(
        bmc = %opts.id,
        profile = %opts.profile,
        url = %bmc.base_url,
        start_delay_ms = start_delay.map(|d| d.as_millis() as u64),
        quirks = ?(!opts.quirks.is_none()).then_some(&opts.quirks),
        "BMC started"
    );
    Ok(SimHandle { bmc })
}

fn check_quirks(opts: &BmcOptions) -> io::Result<()> {
    opts.quirks
        .check()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("quirks: {e}")))
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

    /// The quirks it was started with.
    pub fn quirks(&self) -> &Quirks {
        &self.bmc.quirks
    }

    /// What absolute URLs in its responses start with: `url()`, or with the `advertised_host`
    /// quirk `http(s)://<advertised host>:<port>`.
    pub fn advertised_url(&self) -> String {
        self.bmc.self_base.clone()
    }

    /// Sets the BMC-wide fault; it applies from the next request on (except under paths that
    /// have a path fault; `Down` applies to every path).
    pub fn set_fault(&self, fault: Fault) {
        self.bmc.set_fault(fault);
    }

    /// The current BMC-wide fault.
    pub fn fault(&self) -> Fault {
        self.bmc.fault()
    }

    /// Applies `fault` to requests whose path (query stripped, trailing slash ignored) is `prefix`
    /// or below it, e.g. `/redfish/v1/UpdateService/FirmwareInventory`; the longest matching
    /// prefix wins over shorter ones and over the BMC-wide fault. Replaces the rule with the same
    /// prefix (which ends requests hanging under it). Refuses `Down` (it closes the listener,
    /// which no path can do alone), a prefix not starting with `/`, `/` itself, and `/sim/...`.
    pub fn set_path_fault(&self, prefix: &str, fault: Fault) -> Result<(), String> {
        self.bmc.set_path_fault(prefix, fault)
    }

    /// Removes the rule for `prefix` (trailing slash ignored), if any; requests hanging under it end.
    pub fn clear_path_fault(&self, prefix: &str) {
        self.bmc.clear_path_fault(prefix);
    }

    /// Removes every path rule.
    pub fn clear_path_faults(&self) {
        self.bmc.clear_path_faults();
    }

    /// The path rules as `(prefix, fault)`, sorted by prefix (prefixes without trailing slash).
    pub fn path_faults(&self) -> Vec<(String, Fault)> {
        self.bmc.path_faults()
    }

    /// Requests received so far (oldest first; at most `RECORD_LIMIT`, or `FLEET_RECORD_LIMIT` in a
    /// fleet), excluding `/sim/` control calls.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.bmc.recorder.snapshot()
    }

    /// Multipart pushes received at the MultipartHttpPushUri (oldest first, at most 64).
    pub fn pushes(&self) -> Vec<crate::PushRecord> {
        self.bmc.pushes.snapshot()
    }

    /// How the MultipartHttpPushUri misbehaves from the next push on.
    pub fn set_push_fault(&self, fault: crate::PushFault) {
        self.bmc.pushes.set_fault(fault);
    }

    /// Rotates the administrator password; old sessions and old Basic credentials then get 401.
    pub fn set_password(&self, new: &str) {
        self.bmc.set_password(new);
    }

    /// The SHA-256 of the certificate served now (upper-case hex, colon-separated, as
    /// `openssl x509 -fingerprint -sha256` prints it); None for a plain-HTTP BMC.
    pub fn certificate_sha256(&self) -> Option<String> {
        self.bmc.certificate_sha256()
    }

    /// Replaces the certificate with a new self-signed one (new key) and ends open connections,
    /// as a BMC does when its certificate is replaced; returns the new SHA-256. Err for a
    /// plain-HTTP BMC.
    pub fn regenerate_certificate(&self) -> Result<String, String> {
        self.bmc.regenerate_certificate()
    }

    /// Reboots as a BMC that keeps nothing in RAM does: sessions end, every event subscription
    /// is lost and open connections and event streams drop. Returns the subscriptions lost.
    pub fn reboot(&self) -> usize {
        self.bmc.reboot()
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
    /// Runs a control operation (`/fault`, `/path-fault`, `/password`, `/info`) as the control
    /// server does.
    pub(crate) fn control(
        &self,
        method: &http::Method,
        op: &str,
        query: Option<&str>,
        body: &bytes::Bytes,
    ) -> http::Response<crate::net::body::SimBody> {
        crate::control::control_op(&self.bmc, method, op, query, body)
    }
}
