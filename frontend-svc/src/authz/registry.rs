//! The DMTF privilege registry (DSP8011, `Redfish_1.8.0_PrivilegeRegistry.json`, compiled in
//! verbatim; `tests/privilege_tables.rs` checks it against the DMTF file): per entity and HTTP
//! operation, the acceptable privilege combinations, with subordinate and property overrides.

use crate::privileges::Privilege;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

pub const PRIVILEGE_REGISTRY_JSON: &str =
    include_str!("../../registry/Redfish_1.8.0_PrivilegeRegistry.json");

/// The HTTP operations the registry maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Get,
    Head,
    Patch,
    Put,
    Delete,
    Post,
}

impl Op {
    pub fn of(method: &http::Method) -> Option<Op> {
        Some(match *method {
            http::Method::GET => Op::Get,
            http::Method::HEAD => Op::Head,
            http::Method::PATCH => Op::Patch,
            http::Method::PUT => Op::Put,
            http::Method::DELETE => Op::Delete,
            http::Method::POST => Op::Post,
            _ => return None,
        })
    }

    fn parse(name: &str) -> Option<Op> {
        Some(match name {
            "GET" => Op::Get,
            "HEAD" => Op::Head,
            "PATCH" => Op::Patch,
            "PUT" => Op::Put,
            "DELETE" => Op::Delete,
            "POST" => Op::Post,
            _ => return None,
        })
    }
}

/// One privilege a combination asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    Standard(Privilege),
    Oem(String),
    /// Satisfied without any account (the ServiceRoot).
    NoAuth,
}

/// Acceptable combinations: any one of them, with every privilege in it, suffices.
pub type Alternatives = Vec<Vec<Need>>;

type OpMap = HashMap<Op, Alternatives>;

#[derive(Debug)]
struct Targeted {
    targets: Vec<String>,
    ops: OpMap,
}

#[derive(Debug)]
struct EntityRule {
    ops: OpMap,
    subordinate: Vec<Targeted>,
    properties: Vec<Targeted>,
}

/// What the body of a write names, for property overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Props {
    /// Not a write with a body (or no override can apply).
    None,
    /// The top-level properties of the JSON body.
    Named(Vec<String>),
    /// The body is not a JSON object: the request will fail validation, so any rule that could
    /// allow it lets it through to be answered 400 rather than 403.
    Unreadable,
}

#[derive(Debug)]
pub struct PrivilegeRegistry {
    entities: HashMap<String, EntityRule>,
    privileges_used: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawRegistry {
    privileges_used: Vec<String>,
    mappings: Vec<RawMapping>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawMapping {
    entity: String,
    operation_map: BTreeMap<String, Vec<RawCombination>>,
    #[serde(default)]
    subordinate_overrides: Vec<RawTargeted>,
    #[serde(default)]
    property_overrides: Vec<RawTargeted>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawTargeted {
    targets: Vec<String>,
    operation_map: BTreeMap<String, Vec<RawCombination>>,
}

#[derive(Deserialize)]
struct RawCombination {
    #[serde(rename = "Privilege")]
    privilege: Vec<String>,
}

fn need(name: &str) -> Need {
    match Privilege::parse(name) {
        Some(p) => Need::Standard(p),
        None if name == "NoAuth" => Need::NoAuth,
        None => Need::Oem(name.to_owned()),
    }
}

fn op_map(raw: BTreeMap<String, Vec<RawCombination>>) -> Result<OpMap, String> {
    raw.into_iter()
        .map(|(op, combos)| {
            let op = Op::parse(&op).ok_or_else(|| format!("unknown operation {op}"))?;
            let alts = combos
                .into_iter()
                .map(|c| c.privilege.iter().map(|p| need(p)).collect())
                .collect();
            Ok((op, alts))
        })
        .collect()
}

fn targeted(raw: Vec<RawTargeted>) -> Result<Vec<Targeted>, String> {
    raw.into_iter()
        .map(|t| {
            Ok(Targeted {
                targets: t.targets,
                ops: op_map(t.operation_map)?,
            })
        })
        .collect()
}

/// `targets` appear in `ancestors` in order (not necessarily adjacent).
fn is_subsequence(targets: &[String], ancestors: &[&str]) -> bool {
    let mut it = ancestors.iter();
    targets.iter().all(|t| it.any(|a| a == t))
}

impl PrivilegeRegistry {
    pub fn builtin() -> Result<Self, String> {
        Self::parse(PRIVILEGE_REGISTRY_JSON)
    }

    pub fn parse(json: &str) -> Result<Self, String> {
        let raw: RawRegistry = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut entities = HashMap::new();
        for m in raw.mappings {
            let rule = EntityRule {
                ops: op_map(m.operation_map).map_err(|e| format!("{}: {e}", m.entity))?,
                subordinate: targeted(m.subordinate_overrides)
                    .map_err(|e| format!("{}: {e}", m.entity))?,
                properties: targeted(m.property_overrides)
                    .map_err(|e| format!("{}: {e}", m.entity))?,
            };
            if entities.insert(m.entity.clone(), rule).is_some() {
                return Err(format!("entity {} mapped twice", m.entity));
            }
        }
        Ok(PrivilegeRegistry {
            entities,
            privileges_used: raw.privileges_used,
        })
    }

    pub fn privileges_used(&self) -> &[String] {
        &self.privileges_used
    }

    pub fn has_entity(&self, entity: &str) -> bool {
        self.entities.contains_key(entity)
    }

    /// What `op` on `entity` (below `ancestors`, ServiceRoot first) needs: every returned
    /// alternatives list must be satisfied. None when the registry does not map the entity or op.
    ///
    /// Subordinate overrides apply when their targets appear, in order, among the ancestors; the
    /// most specific (most targets) wins. Property overrides apply per named property: a PATCH
    /// must satisfy the rule of every property it writes.
    pub fn requirement(
        &self,
        entity: &str,
        ancestors: &[&str],
        op: Op,
        props: &Props,
    ) -> Option<Vec<Alternatives>> {
        let rule = self.entities.get(entity)?;
        let base = rule
            .subordinate
            .iter()
            .filter(|s| s.ops.contains_key(&op) && is_subsequence(&s.targets, ancestors))
            .max_by_key(|s| s.targets.len())
            .and_then(|s| s.ops.get(&op))
            .or_else(|| rule.ops.get(&op))?;
        let override_for = |property: &str| {
            rule.properties
                .iter()
                .find(|p| p.targets.iter().any(|t| t == property))
                .and_then(|p| p.ops.get(&op))
        };
        Some(match props {
            Props::None => vec![base.clone()],
            Props::Named(names) if names.is_empty() => vec![base.clone()],
            Props::Named(names) => {
                let mut parts: Vec<Alternatives> = Vec::new();
                for name in names {
                    let alts = override_for(name).unwrap_or(base);
                    if !parts.contains(alts) {
                        parts.push(alts.clone());
                    }
                }
                parts
            }
            Props::Unreadable => {
                let mut any = base.clone();
                for p in &rule.properties {
                    if let Some(alts) = p.ops.get(&op) {
                        any.extend(alts.iter().cloned());
                    }
                }
                vec![any]
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Privilege::*;

    fn std(ps: &[Privilege]) -> Vec<Need> {
        ps.iter().map(|p| Need::Standard(*p)).collect()
    }

    #[test]
    fn builtin_parses_and_uses_the_standard_privileges() {
        let r = PrivilegeRegistry::builtin().expect("registry");
        for p in r.privileges_used() {
            assert!(Privilege::parse(p).is_some(), "{p}");
        }
        assert!(r.has_entity("ComputerSystem"));
    }

    #[test]
    fn entity_rules_subordinate_and_property_overrides() {
        let r = PrivilegeRegistry::builtin().expect("registry");
        let none = Props::None;
        assert_eq!(
            r.requirement("ComputerSystem", &[], Op::Patch, &none),
            Some(vec![vec![std(&[ConfigureComponents])]])
        );
        assert_eq!(
            r.requirement("Manager", &[], Op::Post, &none),
            Some(vec![vec![std(&[ConfigureManager])]])
        );
        // LogEntry below a ComputerSystem: ConfigureComponents instead of ConfigureManager.
        let sys_log = [
            "ServiceRoot",
            "ComputerSystemCollection",
            "ComputerSystem",
            "LogServiceCollection",
            "LogService",
            "LogEntryCollection",
        ];
        assert_eq!(
            r.requirement("LogEntry", &sys_log, Op::Delete, &none),
            Some(vec![vec![std(&[ConfigureComponents])]])
        );
        assert_eq!(
            r.requirement("LogEntry", &["ServiceRoot"], Op::Delete, &none),
            Some(vec![vec![std(&[ConfigureManager])]])
        );
        // EthernetInterface below a Manager needs ConfigureManager.
        let mgr_eth = [
            "ServiceRoot",
            "ManagerCollection",
            "Manager",
            "EthernetInterfaceCollection",
        ];
        assert_eq!(
            r.requirement("EthernetInterface", &mgr_eth, Op::Patch, &none),
            Some(vec![vec![std(&[ConfigureManager])]])
        );
        // ManagerAccount: Password alone may be written with ConfigureSelf.
        let pw = Props::Named(vec!["Password".into()]);
        assert_eq!(
            r.requirement("ManagerAccount", &[], Op::Patch, &pw),
            Some(vec![vec![std(&[ConfigureUsers]), std(&[ConfigureSelf])]])
        );
        let pw_role = Props::Named(vec!["Password".into(), "RoleId".into()]);
        assert_eq!(
            r.requirement("ManagerAccount", &[], Op::Patch, &pw_role),
            Some(vec![
                vec![std(&[ConfigureUsers]), std(&[ConfigureSelf])],
                vec![std(&[ConfigureUsers])]
            ])
        );
        assert_eq!(r.requirement("NoSuchEntity", &[], Op::Get, &none), None);
    }

    #[test]
    fn subsequence_matching() {
        let t = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(is_subsequence(&t(&["A", "C"]), &["A", "B", "C"]));
        assert!(!is_subsequence(&t(&["C", "A"]), &["A", "B", "C"]));
        assert!(is_subsequence(&t(&[]), &[]));
    }
}
