//! Generated from the finished tree: the JsonSchemas collection (one JsonSchemaFile per type used),
//! `$metadata` (CSDL references for every namespace used) and the OData service document.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::TreeBuilder;
use super::types as t;
use crate::store::Caps;

/// Types that appear only at run time (created resources, events).
const RUNTIME_TYPES: [&str; 5] = [
    t::SESSION,
    t::EVENT_DESTINATION,
    t::TASK,
    t::EVENT,
    "#Message.v1_1_1.Message",
];

/// `#ComputerSystem.v1_20_0.ComputerSystem` -> `ComputerSystem.v1_20_0` (schema file id).
fn schema_id(odata_type: &str) -> Option<String> {
    let t = odata_type.strip_prefix('#')?;
    let (ns, _) = t.rsplit_once('.')?;
    Some(ns.to_string())
}

fn all_types(b: &TreeBuilder) -> BTreeSet<String> {
    let mut types: BTreeSet<String> = b
        .entries
        .values()
        .filter_map(|e| e.body.get("@odata.type").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    types.extend(RUNTIME_TYPES.iter().map(|s| s.to_string()));
    types.insert(t::JSON_SCHEMA_FILE.to_string());
    types.insert(t::collection("JsonSchemaFile"));
    types
}

/// Adds `/redfish/v1/JsonSchemas` and its members; returns the `$metadata` document.
pub(super) fn build(b: &mut TreeBuilder) -> String {
    let types = all_types(b);
    let coll = "/redfish/v1/JsonSchemas";
    let ids: BTreeSet<String> = types.iter().filter_map(|t| schema_id(t)).collect();
    let members: Vec<String> = ids.iter().map(|id| format!("{coll}/{id}")).collect();
    b.collection(
        coll,
        "JsonSchemaFile",
        "JSON Schema File Collection",
        &members,
        Caps::READ,
    );
    for (id, path) in ids.iter().zip(&members) {
        let odata_type = types
            .iter()
            .find(|t| schema_id(t).as_deref() == Some(id))
            .cloned()
            .unwrap_or_default();
        b.add(
            json!({
                "@odata.id": path,
                "@odata.type": t::JSON_SCHEMA_FILE,
                "Id": id,
                "Name": format!("{id} Schema File"),
                "Description": format!("{id} Schema File Location"),
                "Languages": ["en"],
                "Schema": odata_type,
                "Location": [{
                    "Language": "en",
                    "PublicationUri": format!("http://redfish.dmtf.org/schemas/v1/{id}.json"),
                }],
            }),
            Caps::READ,
        );
    }
    metadata(&types)
}

fn metadata(types: &BTreeSet<String>) -> String {
    let mut by_file: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    for ty in types {
        let Some(ns) = schema_id(ty) else { continue };
        let base = ns.split('.').next().unwrap_or(&ns).to_string();
        let set = by_file.entry(base.clone()).or_default();
        set.insert(base);
        set.insert(ns);
    }
    for extra in [
        "Resource",
        "Resource.v1_0_0",
        "Settings",
        "Settings.v1_3_5",
        "Message",
    ] {
        let base = extra.split('.').next().unwrap_or(extra).to_string();
        by_file.entry(base).or_default().insert(extra.to_string());
    }
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.0\">\n",
    );
    for (file, namespaces) in &by_file {
        xml.push_str(&format!(
            "  <edmx:Reference Uri=\"http://redfish.dmtf.org/schemas/v1/{file}_v1.xml\">\n"
        ));
        for ns in namespaces {
            xml.push_str(&format!("    <edmx:Include Namespace=\"{ns}\"/>\n"));
        }
        xml.push_str("  </edmx:Reference>\n");
    }
    let root_ns = schema_id(t::SERVICE_ROOT).unwrap_or_default();
    xml.push_str(&format!(
        "  <edmx:DataServices>\n    <Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"Service\">\n      <EntityContainer Name=\"Service\" Extends=\"{root_ns}.ServiceContainer\"/>\n    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>\n"
    ));
    xml
}

/// The OData service document (`/redfish/v1/odata`); it names the SessionService only if there is one.
pub(super) fn odata_document(session_service: bool, event_service: bool) -> Value {
    let names = [
        ("Service", "/redfish/v1/"),
        ("Systems", "/redfish/v1/Systems"),
        ("Chassis", "/redfish/v1/Chassis"),
        ("Managers", "/redfish/v1/Managers"),
        ("AccountService", "/redfish/v1/AccountService"),
        ("SessionService", "/redfish/v1/SessionService"),
        ("EventService", "/redfish/v1/EventService"),
        ("Tasks", "/redfish/v1/TaskService"),
        ("UpdateService", "/redfish/v1/UpdateService"),
        ("Registries", "/redfish/v1/Registries"),
        ("JsonSchemas", "/redfish/v1/JsonSchemas"),
    ];
    let value: Vec<Value> = names
        .iter()
        .filter(|(n, _)| session_service || *n != "SessionService")
        .filter(|(n, _)| event_service || *n != "EventService")
        .map(|(n, u)| json!({ "name": n, "kind": "Singleton", "url": u }))
        .collect();
    json!({ "@odata.context": "/redfish/v1/$metadata", "value": value })
}
