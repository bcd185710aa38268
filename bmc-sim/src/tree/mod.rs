//! The resource tree of each profile, built once and shared by every BMC of that profile.
//!
//! Builders are plain functions per area (service, system, storage, logs, chassis, sensors,
//! manager, accounts, services, schemas); the profile's [`Layout`] supplies ids and formatting,
//! and `Layout::finish` applies vendor quirks (trailing slashes, `@odata.context`, ...). A BMC's
//! [`Shape`] (from its `Quirks`) changes ids and what exists; BMCs with equal shapes share a tree.

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
use crate::quirks::ENCODED_IDS;
use crate::store::{Caps, Entry, Template};
use crate::uri;

/// Member ids of the system, chassis and manager.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) enum MemberIds {
    /// The profile's own (`1`, `System.Embedded.1`, ...).
    #[default]
    Profile,
    /// `uuid_ids`: these UUIDs (system, chassis, manager).
    Uuids([String; 3]),
    /// `encoded_ids`: [`ENCODED_IDS`].
    Encoded,
}

/// What a BMC's quirks change in its tree; part of the key under which templates are shared.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Shape {
    pub(crate) ids: MemberIds,
    /// `advertised_host`: the ServiceRoot's links and top-level members are absolute.
    pub(crate) absolute_links: bool,
    /// No SessionService resources and no link to them.
    pub(crate) no_session_service: bool,
    /// A ghost member in Systems, and no FirmwareInventory behind its link.
    pub(crate) missing_member: bool,
    /// No EventService resources and no link to them.
    pub(crate) no_event_service: bool,
    /// No `ServerSentEventUri`, whatever the profile.
    pub(crate) no_sse: bool,
}

/// Collects resources while a profile's tree is built.
pub(crate) struct TreeBuilder {
    layout: Layout,
    shape: Shape,
    entries: HashMap<String, Arc<Entry>>,
}

impl TreeBuilder {
    pub(crate) fn layout(&self) -> &Layout {
        &self.layout
    }

    pub(crate) fn shape(&self) -> &Shape {
        &self.shape
    }

    /// Adds a resource at its own `@odata.id` (stored under the canonical form of that path, so
    /// requests reach it whichever way they spell its ids).
    pub(crate) fn add(&mut self, mut body: Value, caps: Caps) {
        let Some(path) = body.get("@odata.id").and_then(Value::as_str) else {
            return;
        };
        let path = uri::key(path).into_owned();
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

/// Builds the whole tree of one profile (`admin_user` names the pre-existing account) in the
/// given shape.
pub(crate) fn build_for(profile: Profile, admin_user: &str, shape: &Shape) -> Template {
    let mut layout = profiles::layout(profile);
    let ids = match &shape.ids {
        MemberIds::Profile => None,
        MemberIds::Uuids(ids) => Some(ids.clone()),
        MemberIds::Encoded => Some(ENCODED_IDS.map(str::to_string)),
    };
    if let Some([system, chassis, manager]) = ids {
        layout.system = system;
        layout.chassis = chassis;
        layout.manager = manager;
    }
    layout.absolute_links = shape.absolute_links;
    let mut b = TreeBuilder {
        layout,
        shape: shape.clone(),
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
    let mut odata = schemas::odata_document(!shape.no_session_service, !shape.no_event_service);
    b.layout.finish(&mut odata);
    Template {
        layout: b.layout,
        entries: b.entries,
        metadata,
        odata,
    }
}
