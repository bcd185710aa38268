//! The resource tree of each profile, built once and shared by every BMC of that profile.
//!
//! Builders are plain functions per area (service, system, chassis, manager, ...); the profile's
//! [`Layout`] supplies ids and formatting, and `Layout::finish` applies vendor quirks.

mod layout;
mod profiles;
mod service;
pub(crate) mod types;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

pub(crate) use layout::{Layout, SELF_BASE};

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

/// Builds the whole tree of one profile.
pub(crate) fn build(profile: Profile) -> Template {
    let mut b = TreeBuilder {
        layout: profiles::layout(profile),
        entries: HashMap::new(),
    };
    service::build(&mut b);
    Template {
        layout: b.layout,
        entries: b.entries,
    }
}
