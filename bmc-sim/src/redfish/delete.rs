//! DELETE: log out, remove an account, unsubscribe.

use serde_json::Value;

use super::actions::done;
use super::error::ApiError;
use super::router::{HResult, Req};
use crate::bmc::{Bmc, BmcState};
use crate::store::Entry;
use crate::tree::accounts::{ACCOUNTS, SESSIONS};
use crate::tree::services::SUBSCRIPTIONS;

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map(|(p, _)| p).unwrap_or(path)
}

pub(crate) fn delete(bmc: &Bmc, st: &mut BmcState, req: &Req, entry: &Entry) -> HResult {
    let coll = parent(&req.path).to_string();
    let id = req.path.rsplit('/').next().unwrap_or_default().to_string();
    match coll.as_str() {
        SESSIONS => {
            st.sessions.retain(|_, s| s.id != id);
        }
        ACCOUNTS => {
            let user = entry
                .body
                .get("UserName")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if user == bmc.admin {
                return Err(vec![ApiError::ResourceInUse]);
            }
            st.users.remove(&user);
            st.end_sessions_of(&user);
        }
        SUBSCRIPTIONS => {
            st.sub_headers.remove(&id);
        }
        _ => {
            return Err(vec![ApiError::MethodNotAllowed {
                allow: entry.caps.allow(),
            }]);
        }
    }
    st.store.remove(&req.path);
    st.store.remove_member(&coll, &req.path);
    Ok(done(st.store.layout().profile))
}
