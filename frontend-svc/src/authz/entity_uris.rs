//! Which Redfish entity a URI addresses. The table is every `Redfish.Uris` pattern of the DMTF
//! CSDL (`registry/entity-uris.txt`, one `<Entity> <pattern>` per line, generated from the CSDL and
//! checked against it by `tests/privilege_tables.rs`), compiled into a segment trie where
//! `{SomeId}` matches any one segment.

use std::collections::HashMap;

/// The generated table, compiled in: the product needs no schema files at run time.
pub const ENTITY_URIS: &str = include_str!("../../registry/entity-uris.txt");

const ROOT: &str = "/redfish/v1";

#[derive(Debug, Default)]
struct Node {
    literal: HashMap<String, Node>,
    wildcard: Option<Box<Node>>,
    entity: Option<String>,
}

/// The compiled table.
#[derive(Debug)]
pub struct EntityUris {
    root: Node,
    patterns: usize,
}

impl EntityUris {
    pub fn builtin() -> Result<Self, String> {
        Self::parse(ENTITY_URIS)
    }

    /// Parses the table format; a pattern listed for two different entities is an error.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut root = Node::default();
        let mut patterns = 0;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (entity, pattern) = line
                .split_once(' ')
                .ok_or_else(|| format!("line {}: expected '<Entity> <pattern>'", n + 1))?;
            let rest = pattern
                .strip_prefix(ROOT)
                .ok_or_else(|| format!("line {}: pattern outside {ROOT}", n + 1))?;
            let mut node = &mut root;
            for seg in rest.split('/').filter(|s| !s.is_empty()) {
                node = if seg.starts_with('{') && seg.ends_with('}') {
                    node.wildcard.get_or_insert_with(Box::default)
                } else {
                    node.literal.entry(seg.to_owned()).or_default()
                };
            }
            match &node.entity {
                Some(e) if e != entity => {
                    return Err(format!(
                        "line {}: {pattern} is both {e} and {entity}",
                        n + 1
                    ));
                }
                _ => node.entity = Some(entity.to_owned()),
            }
            patterns += 1;
        }
        Ok(EntityUris { root, patterns })
    }

    pub fn len(&self) -> usize {
        self.patterns
    }

    pub fn is_empty(&self) -> bool {
        self.patterns == 0
    }

    /// For the segments after `/redfish/v1`: the entities of every prefix that is itself a
    /// resource, ending with the addressed resource's entity (so the last element is the entity,
    /// the others its ancestors, ServiceRoot first). None when the path is no known resource URI.
    /// Literal segments win over `{Id}` wildcards; the search backtracks when a literal branch
    /// leads nowhere.
    pub fn resolve(&self, segments: &[&str]) -> Option<Vec<&str>> {
        let mut chain = Vec::new();
        walk(&self.root, segments, &mut chain).then_some(chain)
    }
}

fn walk<'a>(node: &'a Node, segments: &[&str], chain: &mut Vec<&'a str>) -> bool {
    let pushed = match &node.entity {
        Some(e) => {
            chain.push(e.as_str());
            true
        }
        None => false,
    };
    let found = match segments.split_first() {
        None => pushed,
        Some((first, rest)) => {
            node.literal
                .get(*first)
                .is_some_and(|child| walk(child, rest, chain))
                || node
                    .wildcard
                    .as_deref()
                    .is_some_and(|child| walk(child, rest, chain))
        }
    };
    if !found && pushed {
        chain.pop();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(path: &str) -> Vec<&str> {
        path.split('/').filter(|s| !s.is_empty()).collect()
    }

    #[test]
    fn literal_wins_and_backtracks_to_wildcard() {
        let t = EntityUris::parse(
            "Root /redfish/v1\nColl /redfish/v1/Things\nThing /redfish/v1/Things/{Id}\n\
             Special /redfish/v1/Things/Special\nPart /redfish/v1/Things/{Id}/Parts/{PartId}\n",
        )
        .expect("parse");
        assert_eq!(t.len(), 5);
        assert_eq!(t.resolve(&[]), Some(vec!["Root"]));
        assert_eq!(
            t.resolve(&segs("Things/Special")),
            Some(vec!["Root", "Coll", "Special"])
        );
        assert_eq!(
            t.resolve(&segs("Things/x")),
            Some(vec!["Root", "Coll", "Thing"])
        );
        // "Special" is a literal child, but only the wildcard branch has Parts.
        assert_eq!(
            t.resolve(&segs("Things/Special/Parts/3")),
            Some(vec!["Root", "Coll", "Thing", "Part"])
        );
        assert_eq!(t.resolve(&segs("Things/x/Parts")), None);
        assert_eq!(t.resolve(&segs("Nope")), None);
    }

    #[test]
    fn conflicting_rows_are_rejected() {
        let e = EntityUris::parse("A /redfish/v1/X\nB /redfish/v1/X\n").expect_err("conflict");
        assert!(e.contains("both A and B"), "{e}");
        assert!(EntityUris::parse("A /other/X\n").is_err());
    }

    #[test]
    fn builtin_table_resolves_standard_paths() {
        let t = EntityUris::builtin().expect("builtin");
        assert!(t.len() > 1000);
        let rows = [
            ("AccountService/Accounts/7", "ManagerAccount"),
            ("Systems/s1-1", "ComputerSystem"),
            ("Systems/s1-1/LogServices/Log/Entries/9", "LogEntry"),
            ("Managers/s1-1/EthernetInterfaces/eth0", "EthernetInterface"),
            (
                "UpdateService/FirmwareInventory/s1-bmc",
                "SoftwareInventory",
            ),
            ("TaskService/Tasks/s1-5", "Task"),
            ("SessionService/Sessions/abc", "Session"),
        ];
        for (path, entity) in rows {
            let chain = t.resolve(&segs(path)).expect(path);
            assert_eq!(chain.last().copied(), Some(entity), "{path}");
            assert_eq!(chain.first().copied(), Some("ServiceRoot"), "{path}");
        }
    }
}
