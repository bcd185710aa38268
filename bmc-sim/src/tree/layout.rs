//! Per-profile naming and formatting rules: member ids, URI style, annotations.

use serde_json::{Map, Value, json};

use crate::Profile;
use crate::uri::encode_segment;

/// Placeholder for "this BMC's own scheme://host:port"; replaced when a response is sent.
pub(crate) const SELF_BASE: &str = "{{bmc-self}}";

/// Member ids below the three top-level resources.
#[derive(Debug, Clone)]
pub(crate) struct ChildIds {
    pub(crate) cpus: [&'static str; 2],
    pub(crate) dimms: [&'static str; 4],
    pub(crate) storage: &'static str,
    pub(crate) drives: [&'static str; 2],
    pub(crate) volume: &'static str,
    pub(crate) sys_nics: [&'static str; 2],
    pub(crate) mgr_nic: &'static str,
    pub(crate) sys_log: &'static str,
    pub(crate) mgr_log: &'static str,
    pub(crate) vmedia: [&'static str; 2],
    pub(crate) psus: [&'static str; 2],
    pub(crate) fans: [&'static str; 4],
    pub(crate) admin_account: &'static str,
    pub(crate) bmc_firmware: &'static str,
    pub(crate) bios_firmware: &'static str,
}

/// Everything that makes one vendor's tree look like that vendor.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub(crate) profile: Profile,
    /// Member ids (not encoded) of the system, chassis and manager; quirks may replace them.
    pub(crate) system: String,
    pub(crate) chassis: String,
    pub(crate) manager: String,
    pub(crate) ids: ChildIds,
    /// Every `@odata.id` and action target ends in `/` (iLO).
    pub(crate) trailing_slash: bool,
    /// `@odata.context` on every resource (iDRAC, iLO 4 era).
    pub(crate) odata_context: bool,
    /// `@odata.etag` inside the body (iLO).
    pub(crate) odata_etag: bool,
    /// `Prop@odata.navigationLink` next to top-level links (Supermicro).
    pub(crate) nav_links: bool,
    /// Some URLs absolute (`https://host:port/redfish/v1/...`) and absolute `Location` headers (iDRAC).
    pub(crate) absolute_urls: bool,
    /// `advertised_host` quirk: the ServiceRoot's links, the members of Systems, Chassis and
    /// Managers and every `Location` header are absolute, so the advertised host shows in any
    /// profile.
    pub(crate) absolute_links: bool,
    /// VirtualMedia lives under the system (newer schemas) instead of the manager.
    pub(crate) vmedia_under_system: bool,
    pub(crate) vendor: &'static str,
    pub(crate) product: &'static str,
    pub(crate) model: &'static str,
    pub(crate) bmc_model: &'static str,
    pub(crate) bmc_firmware: &'static str,
    pub(crate) bios_version: &'static str,
    /// Session ids look like this prefix followed by a counter.
    pub(crate) session_prefix: &'static str,
    /// New accounts get numeric ids (else the user name is the id, like bmcweb).
    pub(crate) numeric_account_ids: bool,
}

impl Layout {
    // Links carry the ids percent-encoded (a no-op for every profile's own ids); what hangs
    // below them is built from these, so the whole subtree uses the same spelling.
    pub(crate) fn sys(&self) -> String {
        format!("/redfish/v1/Systems/{}", encode_segment(&self.system))
    }
    pub(crate) fn chas(&self) -> String {
        format!("/redfish/v1/Chassis/{}", encode_segment(&self.chassis))
    }
    pub(crate) fn mgr(&self) -> String {
        format!("/redfish/v1/Managers/{}", encode_segment(&self.manager))
    }

    /// A link as the `advertised_host` quirk writes it: absolute (resolved to this BMC's
    /// advertised base when the response is sent), else unchanged.
    pub(crate) fn href(&self, path: &str) -> String {
        if self.absolute_links {
            format!("{SELF_BASE}{path}")
        } else {
            path.to_string()
        }
    }

    /// A reference object `{"@odata.id": path}` (the finishing pass adds any trailing slash).
    pub(crate) fn link(&self, path: &str) -> Value {
        let mut v = json!({ "@odata.id": path });
        self.finish_links(&mut v);
        v
    }

    /// A path as this profile prints it in a header (`Location`).
    pub(crate) fn header_path(&self, path: &str) -> String {
        let p = if self.trailing_slash && !path.ends_with('/') {
            format!("{path}/")
        } else {
            path.to_string()
        };
        if self.absolute_urls || self.absolute_links {
            format!("{SELF_BASE}{p}")
        } else {
            p
        }
    }

    /// Applies the profile's formatting to a freshly built resource body.
    pub(crate) fn finish(&self, body: &mut Value) {
        self.finish_links(body);
        if let Some(obj) = body.as_object_mut() {
            if self.odata_context
                && let Some(ctx) = obj
                    .get("@odata.type")
                    .and_then(Value::as_str)
                    .and_then(context_for)
            {
                obj.insert("@odata.context".into(), Value::String(ctx));
            }
            if self.nav_links {
                add_nav_links(obj);
            }
        }
    }

    fn finish_links(&self, body: &mut Value) {
        if self.trailing_slash {
            add_trailing_slashes(body);
        }
    }
}

/// `#ComputerSystem.v1_20_0.ComputerSystem` -> `/redfish/v1/$metadata#ComputerSystem.ComputerSystem`.
fn context_for(odata_type: &str) -> Option<String> {
    let t = odata_type.strip_prefix('#')?;
    let namespace = t.split('.').next()?;
    let name = t.rsplit('.').next()?;
    Some(format!("/redfish/v1/$metadata#{namespace}.{name}"))
}

fn is_link_key(k: &str) -> bool {
    matches!(k, "@odata.id" | "target" | "@Redfish.ActionInfo")
}

fn add_trailing_slashes(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if is_link_key(k) {
                    // Absolute links (still holding the placeholder) get the slash too.
                    if let Value::String(s) = val
                        && s.strip_prefix(SELF_BASE)
                            .unwrap_or(s)
                            .starts_with("/redfish/v1")
                        && !s.contains('#')
                        && !s.ends_with('/')
                    {
                        s.push('/');
                    }
                } else {
                    add_trailing_slashes(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(add_trailing_slashes),
        _ => {}
    }
}

fn add_nav_links(obj: &mut Map<String, Value>) {
    let extra: Vec<(String, Value)> = obj
        .iter()
        .filter_map(|(k, v)| {
            let inner = v.as_object()?;
            if inner.len() != 1 || k.contains('@') {
                return None;
            }
            let target = inner.get("@odata.id")?.clone();
            Some((format!("{k}@odata.navigationLink"), target))
        })
        .collect();
    for (k, v) in extra {
        obj.insert(k, v);
    }
}
