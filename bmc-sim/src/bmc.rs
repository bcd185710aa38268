//! One running simulated BMC: identity, mutable state, current fault, request log, task ownership.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::record::Recorder;
use crate::store::{Store, Template};
use crate::{Fault, Profile};

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
    pub(crate) admin: String,
    state: Mutex<BmcState>,
    fault: Mutex<Fault>,
    /// True while the fault is `Down` (the listener watches it).
    pub(crate) down: watch::Sender<bool>,
    /// Bumped on every fault change (a hanging request ends when the fault changes).
    pub(crate) fault_changes: watch::Sender<u64>,
    pub(crate) recorder: Recorder,
    pub(crate) cancel: CancellationToken,
    pub(crate) tracker: TaskTracker,
}

impl Bmc {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        id: String,
        profile: Profile,
        addr: SocketAddr,
        base_url: String,
        admin: String,
        state: BmcState,
        fault: Fault,
        record_limit: usize,
    ) -> Bmc {
        let (down, _) = watch::channel(fault.is_down());
        Bmc {
            id,
            profile,
            addr,
            base_url,
            admin,
            state: Mutex::new(state),
            fault: Mutex::new(fault),
            down,
            fault_changes: watch::channel(0).0,
            recorder: Recorder::with_limit(record_limit),
            cancel: CancellationToken::new(),
            tracker: TaskTracker::new(),
        }
    }

    /// Locks the state; callers must not hold the guard across `.await`.
    pub(crate) fn state(&self) -> MutexGuard<'_, BmcState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn fault(&self) -> Fault {
        self.fault.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_fault(&self, fault: Fault) {
        let down = fault.is_down();
        *self.fault.lock().unwrap_or_else(|e| e.into_inner()) = fault;
        self.down.send_replace(down);
        self.fault_changes.send_modify(|n| *n += 1);
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
