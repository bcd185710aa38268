//! The resource tree of each profile, built once and shared by every BMC of that profile.
//!
//! Builders are plain functions per area (service, system, storage, logs, chassis, sensors,
//! manager, accounts, services, schemas); the profile's [`Layout`] supplies ids and formatting,
//! and `Layout::finish` applies vendor quirks (trailing slashes, `@odata.context`, ...).

pub(crate) mod accounts;
mod chassis;
mod common;
mod layout;
pub(crate) mod logs;
mod manager;
mod oem;
mod profiles;
mod schemas;
mod sensors;
mod service;
pub(crate) mod services;
mod storage;
pub(crate) mod system;
pub(crate) mod types;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

pub(crate) use layout::{Layout, SELF_BASE};
pub(crate) use manager::MANAGER_RESET_TYPES;
pub(crate) use oem::manager_action;

use crate::Profile;
use crate::store::{Caps, Entry, Template};

/// Collects resources while a profile's tree is built.
pub(crate) struct TreeBuilder {
    layout: Layout,
    entries: HashMap<String, Arc<Entry>>,
}

impl TreeBuilder {
    pub(crate) fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Adds a resource at its own `@odata.id`.
    pub(crate) fn add(&mut self, mut body: Value, caps: Caps) {
        let Some(path) = body.get("@odata.id").and_then(Value::as_str) else {
            return;
        };
        let path = path.trim_end_matches('/').to_string();
        self.layout.finish(&mut body);
        self.entries.insert(path, Arc::new(Entry { body, caps }));
    }

    /// Adds a collection of `member_type` resources at `path`.
    pub(crate) fn collection(
        &mut self,
        path: &str,
        member_type: &str,
        name: &str,
        members: &[String],
        caps: Caps,
    ) {
        let links: Vec<Value> = members.iter().map(|m| json!({ "@odata.id": m })).collect();
        self.add(
            json!({
                "@odata.id": path,
                "@odata.type": types::collection(member_type),
                "Name": name,
                "Members@odata.count": links.len(),
                "Members": links,
            }),
            caps,
        );
    }
}

/// Builds the whole tree of one profile (`admin_user` names the pre-existing account).
pub(crate) fn build_for(profile: Profile, admin_user: &str) -> Template {
    let mut b = TreeBuilder {
        layout: profiles::layout(profile),
        entries: HashMap::new(),
    };
    service::build(&mut b);
    system::build(&mut b);
    storage::build(&mut b);
    logs::build(&mut b);
    chassis::build(&mut b);
    manager::build(&mut b);
    accounts::build(&mut b, admin_user);
    services::build(&mut b);
    let metadata = schemas::build(&mut b);
    let mut odata = schemas::odata_document();
    b.layout.finish(&mut odata);
    Template {
        layout: b.layout,
        entries: b.entries,
        metadata,
        odata,
    }
}
