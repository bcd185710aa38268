//! Authorization for every route, local and aggregated, from the DMTF privilege registry.
//!
//! A request path is mapped to the Redfish entity it addresses ([`entity_uris`]), and the
//! registry ([`registry`]) says which privileges the HTTP operation on that entity needs:
//! - Aggregated members keep their shape (`/redfish/v1/Systems/s1-1/...` is a ComputerSystem).
//! - The passthrough namespace `/redfish/v1/Oem/RedDrum/Bmcs/<bmc>/<rest>` is judged as that
//!   BMC's `/redfish/v1/<rest>` (its AccountService needs ConfigureUsers to modify).
//! - Actions (`.../Actions/<Name>`) and the UpdateService's push URI (`UpdateService/upload`) are
//!   a POST on the resource that owns them
//!   (ComputerSystem.Reset needs ConfigureComponents, Manager.Reset ConfigureManager).
//! - A settings object (`.../Settings`, `.../SD`) is judged as the resource it configures.
//! - A path the schemas do not describe (OEM resources, ActionInfo, `$metadata`...) needs Login
//!   to GET or HEAD and ConfigureManager for anything else: the safe default.
//!
//! ConfigureSelf only counts on the caller's own account or sessions (`is_self`); an aggregated
//! resource is never the caller's own, so there it never counts.

pub mod entity_uris;
pub mod registry;

use crate::privileges::{Privilege, PrivilegeSet};
use entity_uris::EntityUris;
use http::Method;
use percent_encoding::percent_decode_str;
pub use registry::{Alternatives, Need, Op, PrivilegeRegistry, Props};
use std::borrow::Cow;

/// The compiled registry and URI table, built once at start.
#[derive(Debug)]
pub struct Authz {
    registry: PrivilegeRegistry,
    uris: EntityUris,
}

/// What a request needs: every part must be satisfied by one of its alternatives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The entity the path resolved to; None for the default rule.
    pub entity: Option<String>,
    pub parts: Vec<Alternatives>,
}

impl Requirement {
    pub fn allows(&self, held: &PrivilegeSet, is_self: bool) -> bool {
        self.parts
            .iter()
            .all(|alts| alts.iter().any(|combo| satisfied(combo, held, is_self)))
    }
}

fn satisfied(combo: &[Need], held: &PrivilegeSet, is_self: bool) -> bool {
    combo.iter().all(|need| match need {
        Need::Standard(Privilege::ConfigureSelf) => is_self && held.has(Privilege::ConfigureSelf),
        Need::Standard(p) => held.has(*p),
        Need::Oem(name) => held.has_oem(name),
        Need::NoAuth => true,
    })
}

/// The rule for paths no schema describes: read with Login, change with ConfigureManager.
fn default_rule(method: &Method) -> Requirement {
    let p = if *method == Method::GET || *method == Method::HEAD {
        Privilege::Login
    } else {
        Privilege::ConfigureManager
    };
    Requirement {
        entity: None,
        parts: vec![vec![vec![Need::Standard(p)]]],
    }
}

impl Authz {
    pub fn builtin() -> Result<Self, String> {
        Ok(Authz {
            registry: PrivilegeRegistry::builtin()?,
            uris: EntityUris::builtin()?,
        })
    }

    /// The entity chain (ServiceRoot first, the addressed entity last) for a path as the client
    /// sent it (percent-encoded, no query), after the aggregate mappings described above.
    pub fn resolve(&self, path: &str) -> Option<Vec<&str>> {
        let path = match redfish::path::classify(path) {
            redfish::path::Target::Passthrough { rest, .. } => {
                Cow::Owned(format!("{}{rest}", redfish::path::REDFISH_V1))
            }
            _ => Cow::Borrowed(path),
        };
        let after = path.strip_prefix(redfish::path::REDFISH_V1)?;
        if !(after.is_empty() || after.starts_with('/')) {
            return None;
        }
        let decoded: Vec<Cow<'_, str>> = after
            .strip_suffix('/')
            .unwrap_or(after)
            .split('/')
            .skip(1)
            .map(|s| percent_decode_str(s).decode_utf8_lossy())
            .collect();
        let segments: Vec<&str> = decoded.iter().map(|s| s.as_ref()).collect();
        if segments.iter().any(|s| s.is_empty()) {
            return None;
        }
        if let Some(chain) = self.uris.resolve(&segments) {
            return Some(chain);
        }
        // The MultipartHttpPushUri is an operation of the UpdateService, as its SimpleUpdate is.
        if segments == ["UpdateService", "upload"] {
            return self.uris.resolve(&segments[..1]);
        }
        if let Some(i) = segments.iter().position(|s| *s == "Actions") {
            return self.uris.resolve(&segments[..i]);
        }
        match segments.split_last() {
            Some((last, owner)) if *last == "Settings" || *last == "SD" => self.uris.resolve(owner),
            _ => None,
        }
    }

    /// What `method` on `path` needs. `props` names the properties a PATCH writes.
    pub fn requirement(&self, method: &Method, path: &str, props: &Props) -> Requirement {
        let Some(op) = Op::of(method) else {
            return default_rule(method);
        };
        let Some(chain) = self.resolve(path) else {
            return default_rule(method);
        };
        let Some((entity, ancestors)) = chain.split_last() else {
            return default_rule(method);
        };
        match self.registry.requirement(entity, ancestors, op, props) {
            Some(parts) => Requirement {
                entity: Some((*entity).to_owned()),
                parts,
            },
            None => default_rule(method),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authz() -> Authz {
        Authz::builtin().expect("builtin tables")
    }

    #[test]
    fn aggregate_paths_resolve_to_their_entities() {
        let a = authz();
        let rows = [
            ("/redfish/v1/Systems/s1-1", Some("ComputerSystem")),
            ("/redfish/v1/Systems/s1-1/", Some("ComputerSystem")),
            (
                "/redfish/v1/Systems/s1-1/Actions/ComputerSystem.Reset",
                Some("ComputerSystem"),
            ),
            (
                "/redfish/v1/Managers/s1-1/Actions/Manager.Reset",
                Some("Manager"),
            ),
            (
                "/redfish/v1/Managers/s1-1/Actions/Oem/Vendor.Thing",
                Some("Manager"),
            ),
            ("/redfish/v1/Systems/s1-1/Bios/Settings", Some("Bios")),
            ("/redfish/v1/Oem/RedDrum/Bmcs/s1", Some("ServiceRoot")),
            (
                "/redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService",
                Some("AccountService"),
            ),
            (
                "/redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService/Accounts/3",
                Some("ManagerAccount"),
            ),
            ("/redfish/v1/%53ystems/s1-1", Some("ComputerSystem")),
            (
                "/redfish/v1/UpdateService/FirmwareInventory/s1-BMC",
                Some("SoftwareInventory"),
            ),
            ("/redfish/v1/TaskService/Tasks/s1-7", Some("Task")),
            ("/redfish/v1/Systems/s1-1/ResetActionInfo", None),
            ("/redfish/v1/Oem/RedDrum/Bmcs", None),
            ("/redfish/v1/Systems//s1-1", None),
            ("/redfish/v1x", None),
        ];
        for (path, entity) in rows {
            let chain = a.resolve(path);
            assert_eq!(chain.and_then(|c| c.last().copied()), entity, "{path}");
        }
    }

    #[test]
    fn requirements_follow_the_registry_or_the_default() {
        let a = authz();
        let admin = PrivilegeSet::new(&Privilege::ALL, &[]);
        let operator = PrivilegeSet::new(
            &[
                Privilege::Login,
                Privilege::ConfigureSelf,
                Privilege::ConfigureComponents,
            ],
            &[],
        );
        let ro = PrivilegeSet::new(&[Privilege::Login, Privilege::ConfigureSelf], &[]);
        let none = Props::None;
        let cases = [
            (Method::GET, "/redfish/v1/Systems/s1-1", [true, true, true]),
            (
                Method::PATCH,
                "/redfish/v1/Systems/s1-1",
                [true, true, false],
            ),
            (
                Method::POST,
                "/redfish/v1/Systems/s1-1/Actions/ComputerSystem.Reset",
                [true, true, false],
            ),
            (
                Method::POST,
                "/redfish/v1/Managers/s1-1/Actions/Manager.Reset",
                [true, false, false],
            ),
            // Firmware pushes: an UpdateService write (ConfigureComponents), like SimpleUpdate.
            (
                Method::POST,
                "/redfish/v1/UpdateService/upload",
                [true, true, false],
            ),
            (
                Method::POST,
                "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
                [true, true, false],
            ),
            (
                Method::PATCH,
                "/redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService",
                [true, false, false],
            ),
            (
                Method::GET,
                "/redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService/Accounts/1",
                [true, false, false],
            ),
            (
                Method::GET,
                "/redfish/v1/Some/Oem/Thing",
                [true, true, true],
            ),
            (
                Method::DELETE,
                "/redfish/v1/Some/Oem/Thing",
                [true, false, false],
            ),
            (
                Method::OPTIONS,
                "/redfish/v1/Systems/s1-1",
                [true, false, false],
            ),
        ];
        for (method, path, expect) in cases {
            let req = a.requirement(&method, path, &none);
            let got = [
                req.allows(&admin, false),
                req.allows(&operator, false),
                req.allows(&ro, false),
            ];
            assert_eq!(got, expect, "{method} {path}: {req:?}");
        }
    }

    #[test]
    fn configure_self_counts_only_on_own_resources() {
        let a = authz();
        let ro = PrivilegeSet::new(&[Privilege::Login, Privilege::ConfigureSelf], &[]);
        let path = "/redfish/v1/AccountService/Accounts/2";
        let pw = Props::Named(vec!["Password".into()]);
        let req = a.requirement(&Method::PATCH, path, &pw);
        assert!(req.allows(&ro, true));
        assert!(!req.allows(&ro, false));
        let role = Props::Named(vec!["Password".into(), "RoleId".into()]);
        assert!(!a.requirement(&Method::PATCH, path, &role).allows(&ro, true));
        // A garbled body: let it through to be refused as malformed, not as forbidden.
        assert!(
            a.requirement(&Method::PATCH, path, &Props::Unreadable)
                .allows(&ro, true)
        );
        assert!(
            a.requirement(&Method::GET, path, &Props::None)
                .allows(&ro, true)
        );
        assert!(
            !a.requirement(&Method::GET, path, &Props::None)
                .allows(&ro, false)
        );
    }
}
