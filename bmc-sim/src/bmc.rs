//! One running simulated BMC: identity, mutable state, current faults, request log, task ownership.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::fault_table::{Applied, FaultTable};
use crate::net::tls::CertSlot;
use crate::record::Recorder;
use crate::store::{Store, Template};
use crate::{Fault, Profile, Quirks};

/// A logged-in Redfish session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) user: String,
    /// Last request made with this session (tokio clock, so paused-clock tests work).
    pub(crate) last_used: tokio::time::Instant,
}

/// A user who may log in.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) password: String,
    pub(crate) enabled: bool,
}

/// Everything a BMC can change at run time (guarded by one short-held mutex).
#[derive(Debug)]
pub(crate) struct BmcState {
    pub(crate) store: Store,
    /// User name -> credentials.
    pub(crate) users: HashMap<String, User>,
    /// Subscription id -> extra HTTP headers sent with each event (write-only `HttpHeaders`).
    pub(crate) sub_headers: HashMap<String, Vec<(String, String)>>,
    /// Token -> session.
    pub(crate) sessions: HashMap<String, Session>,
    /// Counter for generated ids (sessions, accounts, tasks, events...).
    pub(crate) next_id: u64,
    /// Number of system resets so far; a delayed reset (`async_power_secs`) applies only if it is
    /// still the latest.
    pub(crate) power_ticket: u64,
}

impl BmcState {
    pub(crate) fn new(template: Arc<Template>, user: &str, password: &str) -> BmcState {
        let mut users = HashMap::new();
        users.insert(
            user.to_string(),
            User {
                password: password.to_string(),
                enabled: true,
            },
        );
        BmcState {
            store: Store::new(template),
            users,
            sub_headers: HashMap::new(),
            sessions: HashMap::new(),
            next_id: 1,
            power_ticket: 0,
        }
    }

    /// A fresh number for an id.
    pub(crate) fn next(&mut self) -> u64 {
        let n = self.next_id;
        self.next_id += 1;
        n
    }
}

/// Shared core of a running BMC; `SimHandle` and every connection hold an `Arc` of it.
#[derive(Debug)]
pub(crate) struct Bmc {
    pub(crate) id: String,
    pub(crate) profile: Profile,
    pub(crate) addr: SocketAddr,
    /// `http(s)://host:port`, no trailing slash.
    pub(crate) base_url: String,
    /// What absolute URLs in responses start with: `base_url`, or the `advertised_host` quirk's
    /// `http(s)://advertised:port`.
    pub(crate) self_base: String,
    /// The quirks it was started with; those that act while serving (`session_service_500`,
    /// `async_power_secs`) are read from here, the others shaped its tree.
    pub(crate) quirks: Quirks,
    pub(crate) admin: String,
    state: Mutex<BmcState>,
    faults: Mutex<FaultTable>,
    /// True while the fault is `Down` or the BMC is still booting (the listener watches it).
    pub(crate) down: watch::Sender<bool>,
    /// The fault table's generation, sent on every change (a hanging request then checks whether
    /// the fault governing its path changed).
    pub(crate) fault_changes: watch::Sender<u64>,
    pub(crate) recorder: Recorder,
    /// Multipart pushes received and the push URI's fault.
    pub(crate) pushes: crate::push::Pushes,
    /// The certificate served, for an HTTPS BMC.
    pub(crate) tls: Option<CertSlot>,
    /// Bumped when the web server "restarts" (a new certificate): open connections end.
    pub(crate) web_restarts: watch::Sender<u64>,
    pub(crate) cancel: CancellationToken,
    pub(crate) tracker: TaskTracker,
    /// Open Server-Sent Events streams and the events kept for their reconnects.
    pub(crate) sse: crate::redfish::sse::SseHub,
}

impl Bmc {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        id: String,
        profile: Profile,
        addr: SocketAddr,
        base_url: String,
        quirks: Quirks,
        admin: String,
        state: BmcState,
        faults: FaultTable,
        record_limit: usize,
        tls: Option<CertSlot>,
    ) -> Bmc {
        let (down, _) = watch::channel(faults.is_down());
        let fault_changes = watch::channel(faults.generation()).0;
        let scheme = base_url.split("://").next().unwrap_or("http");
        let self_base = quirks
            .advertised_base(scheme, addr.port())
            .unwrap_or_else(|| base_url.clone());
        Bmc {
            id,
            profile,
            addr,
            base_url,
            self_base,
            quirks,
            admin,
            state: Mutex::new(state),
            faults: Mutex::new(faults),
            down,
            fault_changes,
            recorder: Recorder::with_limit(record_limit),
            pushes: Default::default(),
            tls,
            web_restarts: watch::channel(0).0,
            cancel: CancellationToken::new(),
            tracker: TaskTracker::new(),
            sse: Default::default(),
        }
    }

    /// Locks the state; callers must not hold the guard across `.await`.
    pub(crate) fn state(&self) -> MutexGuard<'_, BmcState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn faults(&self) -> MutexGuard<'_, FaultTable> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the fault table and tells the listener and hanging requests, under one lock so
    /// concurrent changes are announced in order.
    fn change_faults<T>(&self, change: impl FnOnce(&mut FaultTable) -> T) -> T {
        let mut table = self.faults();
        let out = change(&mut table);
        let down = table.is_down();
        // Only a real flip wakes the listener and the open connections.
        self.down
            .send_if_modified(|d| std::mem::replace(d, down) != down);
        self.fault_changes.send_replace(table.generation());
        out
    }

    /// The BMC-wide fault.
    pub(crate) fn fault(&self) -> Fault {
        self.faults().global().clone()
    }

    pub(crate) fn set_fault(&self, fault: Fault) {
        self.change_faults(|t| t.set_global(fault));
    }

    /// The fault for a request path: the longest matching path rule, else the BMC-wide fault.
    pub(crate) fn applied_fault(&self, path: &str) -> Applied {
        self.faults().applying_to(path)
    }

    pub(crate) fn path_faults(&self) -> Vec<(String, Fault)> {
        self.faults().rules()
    }

    pub(crate) fn set_path_fault(&self, prefix: &str, fault: Fault) -> Result<(), String> {
        self.change_faults(|t| t.set_rule(prefix, fault))
    }

    /// False if no rule had this prefix.
    pub(crate) fn clear_path_fault(&self, prefix: &str) -> bool {
        self.change_faults(|t| t.clear_rule(prefix))
    }

    pub(crate) fn clear_path_faults(&self) {
        self.change_faults(FaultTable::clear_rules);
    }

    /// True until the start delay has passed (connections are refused meanwhile).
    pub(crate) fn booting(&self) -> bool {
        self.faults().booting()
    }

    /// Ends the start delay: the listener starts listening unless the fault is `Down`.
    pub(crate) fn finish_boot(&self) {
        self.change_faults(FaultTable::finish_boot);
    }

    /// The SHA-256 of the certificate served now (upper-case hex, colon-separated); None over HTTP.
    pub(crate) fn certificate_sha256(&self) -> Option<String> {
        self.tls.as_ref().map(|t| t.current().sha256)
    }

    /// Replaces the certificate with a new self-signed one and ends open connections, as a BMC
    /// restarting its web server for a new certificate does. Returns the new SHA-256.
    pub(crate) fn regenerate_certificate(&self) -> Result<String, String> {
        let slot = self
            .tls
            .as_ref()
            .ok_or_else(|| "this BMC serves plain HTTP: it has no certificate".to_string())?;
        let fresh = slot.regenerate().map_err(|e| e.to_string())?;
        self.web_restarts.send_modify(|n| *n += 1);
        tracing::info!(bmc = %self.id, sha256 = %fresh.sha256, "certificate replaced");
        Ok(fresh.sha256)
    }

    /// Rotates the administrator password; that user's sessions end.
    pub(crate) fn set_password(&self, new: &str) {
        let mut st = self.state();
        let admin = self.admin.clone();
        st.users.insert(
            admin.clone(),
            User {
                password: new.to_string(),
                enabled: true,
            },
        );
        st.end_sessions_of(&admin);
    }

    /// True when its EventService offers the Server-Sent Events stream.
    pub(crate) fn serves_sse(&self) -> bool {
        self.profile.has_sse() && !self.quirks.no_sse && !self.quirks.no_event_service
    }

    /// A BMC reboot that keeps nothing in RAM: sessions end, every event subscription is lost,
    /// open connections (and event streams) are dropped. Returns how many subscriptions were lost.
    pub(crate) fn reboot(&self) -> usize {
        self.expire_sessions();
        let lost = {
            let mut st = self.state();
            let subs = crate::tree::services::SUBSCRIPTIONS;
            let paths = st
                .store
                .get(subs)
                .map(|c| crate::store::member_paths(&c.body))
                .unwrap_or_default();
            for path in &paths {
                st.store.remove(path);
                st.store.remove_member(subs, path);
            }
            st.sub_headers.clear();
            paths.len()
        };
        self.sse.clear();
        self.web_restarts.send_modify(|n| *n += 1);
        tracing::info!(bmc = %self.id, subscriptions_lost = lost, "rebooted");
        lost
    }

    /// Ends every session, as a BMC does when sessions time out or the BMC restarts.
    pub(crate) fn expire_sessions(&self) {
        let mut st = self.state();
        let users: Vec<String> = st.sessions.values().map(|s| s.user.clone()).collect();
        for u in users {
            st.end_sessions_of(&u);
        }
    }
}

impl BmcState {
    /// Ends every session of a user (password change, account removal).
    pub(crate) fn end_sessions_of(&mut self, user: &str) {
        let st = self;
        let admin = user.to_string();
        let dead: Vec<String> = st
            .sessions
            .iter()
            .filter(|(_, s)| s.user == admin)
            .map(|(t, _)| t.clone())
            .collect();
        for token in dead {
            if let Some(s) = st.sessions.remove(&token) {
                let path = format!("/redfish/v1/SessionService/Sessions/{}", s.id);
                st.store.remove(&path);
                st.store
                    .remove_member("/redfish/v1/SessionService/Sessions", &path);
            }
        }
    }
}
