//! The localizer against anything a BMC or a client can send, in both directions: any valid BMC
//! id and any member id (every Unicode character, percent-encoded as a BMC writes it) round-trips
//! BMC -> aggregate -> BMC and aggregate -> BMC -> aggregate; another BMC's links are refused,
//! never mapped; arbitrary bytes read as JSON never panic; and bodies nested far deeper than any
//! parser allows are walked without recursion.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;
use proptest::sample::select;
use redfish::collections::AGGREGATED_COLLECTIONS;
use redfish::ids::BmcId;
use redfish::path::{Target, classify};
use redfish::rewrite::{BmcContext, delocalize_body, delocalize_uri, localize_body, localize_uri};
use serde_json::{Map, Value, json};

fn bmc_id() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_]{0,31}"
}

/// A member id as a BMC writes it in a URI: anything, percent-encoded where it must be.
fn member() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_.~-]{1,16}",
        "\\PC{1,12}".prop_map(|s| utf8_percent_encode(&s, NON_ALPHANUMERIC).to_string()),
    ]
}

fn rest() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("/".to_owned()),
        "(/[A-Za-z0-9_.-]{1,8}){1,3}",
        "/\\PC{1,6}".prop_map(|s| format!("/{}", utf8_percent_encode(&s[1..], NON_ALPHANUMERIC))),
    ]
}

fn context(bmc: &str) -> BmcContext {
    let id = BmcId::parse(bmc).expect("generated ids are valid");
    BmcContext::new(&id, &["https://10.9.8.7".to_owned()])
}

/// A link property, somewhere in a body, for the body-level round trips.
fn body_with(uri: &str) -> Value {
    json!({
        "@odata.id": uri,
        "Links": {"Chassis": [{"@odata.id": uri}], "ManagedBy@odata.count": 1},
        "Actions": {"#ComputerSystem.Reset": {"target": format!("{uri}/Actions/ComputerSystem.Reset")}},
        "Name": uri,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn bmc_uris_round_trip_for_any_bmc_and_member(
        bmc in bmc_id(), c in select(AGGREGATED_COLLECTIONS), m in member(), r in rest()
    ) {
        let ctx = context(&bmc);
        let uri = format!("/redfish/v1/{c}/{m}{r}");
        let localized = localize_uri(&uri, &ctx).unwrap_or_default();
        prop_assert_eq!(&localized, &format!("/redfish/v1/{c}/{bmc}-{m}{r}"));
        match classify(localized.split(['?', '#']).next().unwrap_or("")) {
            Target::Member { bmc: b, .. } => prop_assert_eq!(b.as_str(), bmc.as_str()),
            other => prop_assert!(false, "{} classified as {:?}", localized, other),
        }
        prop_assert_eq!(delocalize_uri(&localized, &ctx), Ok(Some(uri.clone())));
        let original = body_with(&uri);
        let mut body = original.clone();
        localize_body(&mut body, &ctx);
        prop_assert_eq!(&body["Links"]["Chassis"][0]["@odata.id"], &Value::from(localized));
        prop_assert_eq!(delocalize_body(&mut body, &ctx), Ok(()));
        prop_assert_eq!(body, original);
    }

    #[test]
    fn aggregate_uris_round_trip_for_any_bmc_and_member(
        bmc in bmc_id(), c in select(AGGREGATED_COLLECTIONS), m in member(), r in rest()
    ) {
        let ctx = context(&bmc);
        let aggregate = format!("/redfish/v1/{c}/{bmc}-{m}{r}");
        let sent = delocalize_uri(&aggregate, &ctx);
        prop_assert_eq!(&sent, &Ok(Some(format!("/redfish/v1/{c}/{m}{r}"))));
        let sent = sent.ok().flatten().unwrap_or_default();
        prop_assert_eq!(localize_uri(&sent, &ctx), Some(aggregate));
    }

    #[test]
    fn another_bmcs_links_are_refused_not_mapped(
        bmc in bmc_id(), other in bmc_id(), c in select(AGGREGATED_COLLECTIONS), m in member()
    ) {
        prop_assume!(bmc != other);
        let ctx = context(&bmc);
        let foreign = format!("/redfish/v1/{c}/{other}-{m}");
        prop_assert!(delocalize_uri(&foreign, &ctx).is_err(), "{} mapped for {}", foreign, bmc);
        let mut body = json!({"Links": {"Chassis": [{"@odata.id": foreign}]}});
        let err = delocalize_body(&mut body, &ctx);
        prop_assert_eq!(err.map_err(|e| e.property_path), Err("/Links/Chassis/0/@odata.id".to_owned()));
    }

    #[test]
    fn arbitrary_bytes_read_as_json_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(mut v) = serde_json::from_slice::<Value>(&bytes) {
            localize_body(&mut v, &context("s1"));
            let _ = delocalize_body(&mut v, &context("s1"));
        }
    }

    #[test]
    fn json_shaped_text_never_panics(parts in proptest::collection::vec(select(&[
        "{", "}", "[", "]", ",", ":", "\"@odata.id\"", "\"target\"", "\"MessageArgs\"",
        "\"HttpHeaders\"", "\"Id\"", "\"/redfish/v1/Systems/1\"", "\"/redfish/v1/Systems/s1-1\"",
        "\"https://10.9.8.7/redfish/v1\"", "\"Location: /redfish/v1/TaskService/Tasks/1\"",
        "\"%zz\"", "\"\\u0000\"", "null", "1e400", "-0",
    ][..]), 0..64)) {
        if let Ok(mut v) = serde_json::from_str::<Value>(&parts.concat()) {
            localize_body(&mut v, &context("s1"));
            let _ = delocalize_body(&mut v, &context("s1"));
        }
    }
}

const DEPTH: usize = 100_000;

/// `leaf` under `DEPTH` alternating objects and arrays, built bottom-up without recursion.
fn nested(leaf: Value) -> Value {
    let mut v = leaf;
    for i in 0..DEPTH {
        v = if i % 2 == 0 {
            Value::Array(vec![v])
        } else {
            Value::Object(Map::from_iter([("Links".to_owned(), v)]))
        };
    }
    v
}

/// The innermost object, found without recursion.
fn innermost(v: &Value) -> &Value {
    let mut v = v;
    loop {
        match v {
            Value::Array(items) => v = &items[0],
            Value::Object(map) if map.contains_key("Links") => v = &map["Links"],
            _ => return v,
        }
    }
}

/// serde_json drops (and compares, and clones) recursively: take it apart one level at a time.
fn dismantle(v: Value) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// Bodies never arrive this deep (serde_json refuses more than 128 levels), but the walkers are
/// meant to be safe at any depth: a recursive walk overflows the stack here.
#[test]
fn bodies_nested_a_hundred_thousand_deep_are_walked_without_recursion() {
    let ctx = context("s1");
    let mut body = nested(json!({"@odata.id": "/redfish/v1/Systems/1"}));
    localize_body(&mut body, &ctx);
    assert_eq!(innermost(&body)["@odata.id"], "/redfish/v1/Systems/s1-1");
    assert_eq!(delocalize_body(&mut body, &ctx), Ok(()));
    assert_eq!(innermost(&body)["@odata.id"], "/redfish/v1/Systems/1");
    dismantle(body);

    let mut foreign = nested(json!({"@odata.id": "/redfish/v1/Systems/t2-1"}));
    let err = delocalize_body(&mut foreign, &ctx).expect_err("another BMC's link");
    // One pointer segment per level, then the property.
    assert_eq!(err.property_path.matches('/').count(), DEPTH + 1);
    assert!(err.property_path.ends_with("/0/@odata.id"));
    dismantle(foreign);
}
