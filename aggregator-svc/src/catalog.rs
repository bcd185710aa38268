//! The aggregate's static service documents: the Registries it speaks (Base, embedded), the
//! JsonSchemas it uses (published by the DMTF, listed from the embedded catalog), and the
//! TelemetryService singleton the OCP baseline asks for. None of these
//! ever touches a BMC; a BMC's own registries and schemas stay under its passthrough namespace.

use redfish::messages::{BASE_REGISTRY_ID, BASE_REGISTRY_JSON};
use redfish::odata::collection;
use redfish::schemas::{DMTF_SCHEMA_BASE, files};
use serde_json::{Value, json};

/// ServiceRoot links this module serves.
pub const ROOT_LINKS: &[(&str, &str)] = &[
    ("JsonSchemas", "/redfish/v1/JsonSchemas"),
    ("Registries", "/redfish/v1/Registries"),
    ("TelemetryService", "/redfish/v1/TelemetryService"),
];

/// What one of these paths serves: a JSON resource, or a raw registry file.
pub enum Document {
    Json(Value),
    Raw(&'static str),
}

pub fn document(path: &str) -> Option<Document> {
    let base_file = format!("/redfish/v1/Registries/{BASE_REGISTRY_ID}/{BASE_REGISTRY_ID}.json");
    let base_entry = format!("/redfish/v1/Registries/{BASE_REGISTRY_ID}");
    match path {
        "/redfish/v1/Registries" => Some(Document::Json(collection(
            "/redfish/v1/Registries",
            "#MessageRegistryFileCollection.MessageRegistryFileCollection",
            "Message Registry File Collection",
            std::slice::from_ref(&base_entry),
        ))),
        p if p == base_entry => Some(Document::Json(json!({
            "@odata.id": base_entry,
            "@odata.type": "#MessageRegistryFile.v1_1_5.MessageRegistryFile",
            "Id": BASE_REGISTRY_ID,
            "Name": "Base Message Registry File",
            "Registry": "Base.1.22",
            "Languages": ["en"],
            "Location": [{
                "Language": "en",
                "Uri": base_file,
                "PublicationUri": format!("https://redfish.dmtf.org/registries/{BASE_REGISTRY_ID}.json"),
            }],
        }))),
        p if p == base_file => Some(Document::Raw(BASE_REGISTRY_JSON)),
        "/redfish/v1/JsonSchemas" => {
            let members: Vec<String> = schema_ids()
                .map(|id| format!("/redfish/v1/JsonSchemas/{id}"))
                .collect();
            Some(Document::Json(collection(
                "/redfish/v1/JsonSchemas",
                "#JsonSchemaFileCollection.JsonSchemaFileCollection",
                "JSON Schema File Collection",
                &members,
            )))
        }
        p => {
            if let Some(id) = p.strip_prefix("/redfish/v1/JsonSchemas/") {
                return schema_ids()
                    .any(|s| s == id)
                    .then(|| Document::Json(schema_file(id)));
            }
            singleton(p).map(Document::Json)
        }
    }
}

/// Schema ids: the CSDL file names without `_v1.xml`.
fn schema_ids() -> impl Iterator<Item = &'static str> {
    files()
        .iter()
        .filter_map(|f| f.file.strip_suffix("_v1.xml"))
}

fn schema_file(id: &str) -> Value {
    json!({
        "@odata.id": format!("/redfish/v1/JsonSchemas/{id}"),
        "@odata.type": "#JsonSchemaFile.v1_1_5.JsonSchemaFile",
        "Id": id,
        "Name": format!("{id} Schema File"),
        "Schema": format!("#{id}.{id}"),
        "Languages": ["en"],
        "Location": [{
            "Language": "en",
            "PublicationUri": format!("{DMTF_SCHEMA_BASE}{id}.json"),
        }],
    })
}

fn singleton(path: &str) -> Option<Value> {
    match path {
        "/redfish/v1/TelemetryService" => Some(json!({
            "@odata.id": "/redfish/v1/TelemetryService",
            "@odata.type": "#TelemetryService.v1_3_4.TelemetryService",
            "Id": "TelemetryService",
            "Name": "Telemetry Service",
            "Description": "The rack aggregates no metric reports of its own; each server's telemetry is under its BMC's passthrough namespace.",
            "ServiceEnabled": false,
            "Status": {"State": "Disabled", "Health": "OK"},
        })),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_at(path: &str) -> Value {
        match document(path) {
            Some(Document::Json(v)) => v,
            _ => panic!("no JSON document at {path}"),
        }
    }

    #[test]
    fn every_collection_member_resolves() {
        for c in ["/redfish/v1/Registries", "/redfish/v1/JsonSchemas"] {
            let body = json_at(c);
            let members = body["Members"].as_array().expect("members");
            assert_eq!(body["Members@odata.count"], members.len());
            for m in members {
                let uri = m["@odata.id"].as_str().expect("uri");
                assert_eq!(json_at(uri)["@odata.id"], uri);
            }
        }
    }

    #[test]
    fn the_base_registry_file_is_served_verbatim() {
        let entry = json_at(&format!("/redfish/v1/Registries/{BASE_REGISTRY_ID}"));
        let uri = entry["Location"][0]["Uri"].as_str().expect("uri");
        assert!(matches!(document(uri), Some(Document::Raw(t)) if t == BASE_REGISTRY_JSON));
    }

    #[test]
    fn unknown_paths_are_not_served() {
        assert!(document("/redfish/v1/JsonSchemas/NoSuchSchema").is_none());
        assert!(document("/redfish/v1/Registries/Other").is_none());
    }
}
