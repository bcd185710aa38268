//! The compiled-in privilege tables against their DMTF sources in `../shared` (the product itself
//! never reads them): the privilege registry is a verbatim copy, and `registry/entity-uris.txt`
//! is exactly the `Redfish.Uris` of every entity in the CSDL. When `../shared` is absent (a
//! checkout without the DMTF bundle) the comparison is skipped with a printed reason.
//!
//! Regenerate the URI table after a CSDL update with
//! `cargo test -p frontend-svc --test privilege_tables -- --ignored regenerate`.

use frontend_svc::authz::entity_uris::{ENTITY_URIS, EntityUris};
use frontend_svc::authz::registry::PRIVILEGE_REGISTRY_JSON;
use std::collections::BTreeSet;
use std::path::PathBuf;

const HEADER: &str = "# Redfish.Uris of every entity in the DMTF CSDL (generated; see src/authz/entity_uris.rs). <entity> <uri pattern>";

fn shared() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/redfish");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: {} not found (the DMTF bundle is not checked out here)",
            dir.display()
        );
        None
    }
}

/// `(entity, pattern)` for every `Redfish.Uris` entry of every EntityType in the CSDL files.
fn csdl_uris(csdl: &std::path::Path) -> BTreeSet<(String, String)> {
    let mut rows = BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(csdl)
        .expect("csdl dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read csdl");
        let mut rest = text.as_str();
        while let Some(start) = rest.find("<EntityType Name=\"") {
            rest = &rest[start + "<EntityType Name=\"".len()..];
            let name = &rest[..rest.find('"').expect("closing quote")];
            let tag_end = rest.find('>').expect("tag end");
            if rest[..tag_end].ends_with('/') {
                continue;
            }
            let body_end = rest.find("</EntityType>").expect("element end");
            let body = &rest[..body_end];
            if let Some(at) = body.find("Term=\"Redfish.Uris\"") {
                let uris = &body[at..];
                let coll_end = uris.find("</Collection>").expect("collection end");
                let mut strings = &uris[..coll_end];
                while let Some(s) = strings.find("<String>") {
                    strings = &strings[s + "<String>".len()..];
                    let e = strings.find("</String>").expect("string end");
                    rows.insert((name.to_owned(), strings[..e].to_owned()));
                    strings = &strings[e..];
                }
            }
            rest = &rest[body_end..];
        }
    }
    rows
}

fn table_text(rows: &BTreeSet<(String, String)>) -> String {
    let mut sorted: Vec<&(String, String)> = rows.iter().collect();
    sorted.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    let mut out = format!("{HEADER}\n");
    for (entity, pattern) in sorted {
        out.push_str(&format!("{entity} {pattern}\n"));
    }
    out
}

#[test]
fn privilege_registry_is_the_dmtf_file() {
    let Some(dir) = shared() else { return };
    let dmtf = std::fs::read_to_string(dir.join("registries/Redfish_1.8.0_PrivilegeRegistry.json"))
        .expect("read registry");
    assert!(
        dmtf == PRIVILEGE_REGISTRY_JSON,
        "registry/Redfish_1.8.0_PrivilegeRegistry.json differs from the DMTF file"
    );
}

#[test]
fn entity_uri_table_is_the_csdl() {
    let Some(dir) = shared() else { return };
    let expected = table_text(&csdl_uris(&dir.join("csdl")));
    let compiled: BTreeSet<&str> = ENTITY_URIS.lines().collect();
    let derived: BTreeSet<&str> = expected.lines().collect();
    let missing: Vec<_> = derived.difference(&compiled).take(10).collect();
    let extra: Vec<_> = compiled.difference(&derived).take(10).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "registry/entity-uris.txt is stale (regenerate: see this file's doc)\nmissing: {missing:#?}\nextra: {extra:#?}"
    );
    assert!(EntityUris::builtin().expect("parses").len() > 1000);
}

#[test]
fn every_entity_of_the_uri_table_has_a_privilege_mapping() {
    let registry =
        frontend_svc::authz::registry::PrivilegeRegistry::builtin().expect("registry parses");
    let entities: BTreeSet<&str> = ENTITY_URIS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' ').map(|(e, _)| e))
        .collect();
    let unmapped: Vec<&&str> = entities
        .iter()
        .filter(|e| !registry.has_entity(e))
        .collect();
    assert!(unmapped.is_empty(), "no privilege mapping for {unmapped:?}");
}

#[test]
fn odata_types_we_serve_exist_in_the_csdl() {
    let Some(dir) = shared() else { return };
    for ty in [
        "AccountService.v1_8_0",
        "ManagerAccount.v1_4_0",
        "Role.v1_2_0",
        "SessionService.v1_1_0",
        "Session.v1_5_0",
    ] {
        let (schema, _) = ty.split_once('.').expect("namespace");
        let text =
            std::fs::read_to_string(dir.join(format!("csdl/{schema}_v1.xml"))).expect("read csdl");
        assert!(text.contains(&format!("Namespace=\"{ty}\"")), "{ty}");
    }
}

#[test]
#[ignore = "writes registry/entity-uris.txt from ../shared; run by hand after a CSDL update"]
fn regenerate() {
    let Some(dir) = shared() else { return };
    let text = table_text(&csdl_uris(&dir.join("csdl")));
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("registry/entity-uris.txt");
    std::fs::write(&out, text).expect("write table");
}
