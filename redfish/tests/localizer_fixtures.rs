//! Whole vendor-shaped bodies (tests/fixtures/localizer/<name>.bmc.json as the BMC sends them,
//! <name>.aggregate.json as a client must see them), in both directions.

use redfish::ids::BmcId;
use redfish::path::{Target, bmc_path, classify};
use redfish::rewrite::{BmcContext, delocalize_body, delocalize_uri, localize_body};
use serde_json::Value;

macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("fixtures/localizer/", $name, ".bmc.json")),
            include_str!(concat!("fixtures/localizer/", $name, ".aggregate.json")),
        )
    };
}

/// (name, BMC body, aggregate body)
const FIXTURES: &[(&str, &str, &str)] = &[
    fixture!("idrac_system"),
    fixture!("idrac_job_task"),
    fixture!("ilo_system"),
    fixture!("openbmc_service_root"),
    fixture!("openbmc_update_service"),
    fixture!("openbmc_firmware_collection_expand"),
    fixture!("supermicro_manager"),
    fixture!("dmtf_metric_report_definition"),
    fixture!("dmtf_log_entries_page"),
    fixture!("bmc_error_body"),
];

const ORIGIN: &str = "https://10.0.0.11";

fn ctx() -> BmcContext {
    BmcContext::new(&BmcId::parse("s1").expect("valid"), &[ORIGIN.to_owned()])
}

fn parse(name: &str, text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn bmc_bodies_localize_to_the_aggregate_fixture() {
    for (name, bmc, aggregate) in FIXTURES {
        let mut body = parse(name, bmc);
        localize_body(&mut body, &ctx());
        assert_eq!(body, parse(name, aggregate), "{name}");
    }
}

#[test]
fn aggregate_bodies_delocalize_to_the_bmc_fixture() {
    for (name, bmc, aggregate) in FIXTURES {
        let mut body = parse(name, aggregate);
        delocalize_body(&mut body, &ctx()).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Absolute BMC URLs come back relative.
        let expected = parse(name, &bmc.replace(ORIGIN, ""));
        assert_eq!(body, expected, "{name}");
    }
}

#[test]
fn no_bmc_address_and_every_link_routes_to_its_bmc() {
    for (name, _, aggregate) in FIXTURES {
        assert!(
            !aggregate.contains("10.0.0.11"),
            "{name} leaks the BMC address"
        );
        let body = parse(name, aggregate);
        let mut stack = vec![&body];
        while let Some(value) = stack.pop() {
            match value {
                Value::Object(map) => {
                    for (key, child) in map {
                        if let (true, Some(uri)) =
                            (key == "@odata.id" || key == "target", child.as_str())
                        {
                            check_link(name, uri);
                        }
                        stack.push(child);
                    }
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
    }
}

/// A link in a localized body is a merged collection, or routes to s1 at exactly the path the
/// BMC used.
fn check_link(name: &str, uri: &str) {
    let path = uri.split(['?', '#']).next().unwrap_or(uri);
    let target = classify(path);
    match &target {
        Target::Collection { .. } => {}
        Target::Member { bmc, .. } | Target::Passthrough { bmc, .. } => {
            assert_eq!(bmc, "s1", "{name}: {uri}");
            let original = delocalize_uri(uri, &ctx())
                .expect("own link")
                .expect("Redfish URI");
            let sent = bmc_path(&target).map(|(_, p)| p).expect("routable");
            assert!(
                original.starts_with(&sent),
                "{name}: {uri} -> {sent} vs {original}"
            );
        }
        Target::ServiceRoot | Target::Local { .. } => panic!("{name}: {uri} is not routable"),
    }
}
