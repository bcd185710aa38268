//! Resources of one BMC: an immutable template shared by every BMC of a profile, plus a small
//! per-BMC overlay holding only what this BMC changed (copy on write).
//!
//! Resources are keyed by the canonical form of their path (`uri::key`); every method takes any
//! spelling of a path (a link as written in a body, a request path, with or without trailing
//! slash) and canonicalises it, so no caller has to know how ids are encoded.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::tree::Layout;
use crate::uri;

/// What a resource supports besides GET.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Caps {
    /// Properties a PATCH may change (dotted paths; `Attributes` means any existing attribute).
    pub(crate) patch: &'static [&'static str],
    /// Whether POST creates members (collections).
    pub(crate) post: bool,
    /// Whether DELETE removes the resource.
    pub(crate) delete: bool,
}

impl Caps {
    /// GET only.
    pub(crate) const READ: Caps = Caps {
        patch: &[],
        post: false,
        delete: false,
    };
    /// A collection that accepts POST.
    pub(crate) const CREATE: Caps = Caps {
        patch: &[],
        post: true,
        delete: false,
    };

    /// PATCH of these properties.
    pub(crate) const fn patch(props: &'static [&'static str]) -> Caps {
        Caps {
            patch: props,
            post: false,
            delete: false,
        }
    }

    /// Same caps plus DELETE.
    pub(crate) const fn deletable(self) -> Caps {
        Caps {
            patch: self.patch,
            post: self.post,
            delete: true,
        }
    }

    /// The `Allow` header value.
    pub(crate) fn allow(&self) -> String {
        let mut methods = vec!["GET", "HEAD"];
        if self.post {
            methods.push("POST");
        }
        if !self.patch.is_empty() {
            methods.push("PATCH");
        }
        if self.delete {
            methods.push("DELETE");
        }
        methods.join(", ")
    }
}

/// One resource: its JSON body and its capabilities.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) body: Value,
    pub(crate) caps: Caps,
}

/// The immutable resource tree of one profile.
#[derive(Debug)]
pub(crate) struct Template {
    pub(crate) layout: Layout,
    pub(crate) entries: HashMap<String, Arc<Entry>>,
    /// The `$metadata` CSDL document.
    pub(crate) metadata: String,
    /// The OData service document (`/redfish/v1/odata`).
    pub(crate) odata: Value,
}

/// Per-BMC view: template plus overlay (`None` in the overlay = deleted).
#[derive(Debug)]
pub(crate) struct Store {
    template: Arc<Template>,
    overlay: HashMap<String, Option<Arc<Entry>>>,
}

impl Store {
    pub(crate) fn new(template: Arc<Template>) -> Store {
        Store {
            template,
            overlay: HashMap::new(),
        }
    }

    pub(crate) fn layout(&self) -> &Layout {
        &self.template.layout
    }

    pub(crate) fn template(&self) -> &Template {
        &self.template
    }

    /// The resource at a path.
    pub(crate) fn get(&self, path: &str) -> Option<Arc<Entry>> {
        let key = uri::key(path);
        match self.overlay.get(key.as_ref()) {
            Some(v) => v.clone(),
            None => self.template.entries.get(key.as_ref()).cloned(),
        }
    }

    /// The link to a resource as its own body writes it (`@odata.id`), e.g. for an event's
    /// `OriginOfCondition`; the path itself if there is no such resource.
    pub(crate) fn link_of(&self, path: &str) -> String {
        self.get(path)
            .and_then(|e| {
                e.body
                    .get("@odata.id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| path.to_string())
    }

    /// Inserts or replaces a resource; the body gets the profile's finishing touches.
    pub(crate) fn put(&mut self, path: &str, mut body: Value, caps: Caps) {
        self.template.layout.finish(&mut body);
        self.overlay.insert(
            uri::key(path).into_owned(),
            Some(Arc::new(Entry { body, caps })),
        );
    }

    /// Replaces a body that is already finished (keeps the caps).
    pub(crate) fn replace_body(&mut self, path: &str, body: Value) {
        let caps = self.get(path).map(|e| e.caps).unwrap_or_default();
        self.overlay.insert(
            uri::key(path).into_owned(),
            Some(Arc::new(Entry { body, caps })),
        );
    }

    /// Changes a resource in place; returns false if it does not exist.
    pub(crate) fn modify(&mut self, path: &str, f: impl FnOnce(&mut Value)) -> bool {
        let Some(entry) = self.get(path) else {
            return false;
        };
        let mut body = entry.body.clone();
        f(&mut body);
        self.replace_body(path, body);
        true
    }

    /// Deletes a resource.
    pub(crate) fn remove(&mut self, path: &str) {
        self.overlay.insert(uri::key(path).into_owned(), None);
    }

    /// Adds a member link to a collection (and updates the count).
    pub(crate) fn add_member(&mut self, collection: &str, member: &str) {
        let link = self.template.layout.link(member);
        self.modify(collection, |c| {
            if let Some(Value::Array(m)) = c.get_mut("Members") {
                m.push(link);
            }
            fix_count(c);
        });
    }

    /// Removes a member link from a collection.
    pub(crate) fn remove_member(&mut self, collection: &str, member: &str) {
        let member = uri::key(member).into_owned();
        self.modify(collection, |c| {
            if let Some(Value::Array(m)) = c.get_mut("Members") {
                m.retain(|l| {
                    l.get("@odata.id")
                        .and_then(Value::as_str)
                        .map(|s| uri::key(s) != member)
                        .unwrap_or(true)
                });
            }
            fix_count(c);
        });
    }

    /// Removes every member of a collection, and the member resources.
    pub(crate) fn clear_collection(&mut self, collection: &str) {
        let Some(entry) = self.get(collection) else {
            return;
        };
        for m in member_paths(&entry.body) {
            self.remove(&m);
        }
        self.modify(collection, |c| {
            if let Some(Value::Array(m)) = c.get_mut("Members") {
                m.clear();
            }
            fix_count(c);
        });
    }
}

/// Canonical paths (store keys) of a collection's members.
pub(crate) fn member_paths(collection: &Value) -> Vec<String> {
    collection
        .get("Members")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter_map(|l| l.get("@odata.id").and_then(Value::as_str))
                .map(|s| uri::key(s).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn fix_count(c: &mut Value) {
    let n = c
        .get("Members")
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(0);
    if let Some(obj) = c.as_object_mut() {
        obj.insert("Members@odata.count".into(), Value::from(n));
    }
}
