//! Property tests: localize then delocalize is the identity on the BMC's URI space, the
//! aggregator forwards every localized URI to the right BMC path, and nothing panics.

use proptest::prelude::*;
use proptest::sample::select;
use redfish::collections::AGGREGATED_COLLECTIONS;
use redfish::ids::BmcId;
use redfish::path::{Target, bmc_path, classify};
use redfish::rewrite::{
    BmcContext, delocalize_body, delocalize_uri, localize_body, localize_json,
    localize_link_header, localize_location, localize_uri,
};
use serde_json::{Map, Value};

fn ctx() -> BmcContext {
    let s1 = BmcId::parse("s1").expect("valid");
    BmcContext::new(
        &s1,
        &[
            "https://10.0.0.11".to_owned(),
            "https://[fd00::11]:443".to_owned(),
        ],
    )
}

const ORIGINS: &[&str] = &[
    "https://10.0.0.11",
    "https://10.0.0.11:443",
    "HTTPS://10.0.0.11",
    "https://[fd00::11]",
    "https://[FD00::11]:443",
];

/// Path segments after the v1 root that are not aggregated collections.
const OTHER_FIRST: &[&str] = &[
    "AccountService",
    "SessionService/Sessions",
    "EventService",
    "UpdateService",
    "Registries",
    "JsonSchemas",
    "CertificateService",
    "TelemetryService/MetricReports",
    "$metadata",
    "odata",
    "Oem/RedDrum/Bmcs/s1",
    "Oem/RedDrum/Bmcs/x",
    "Dell",
    "Systems/",
    "",
];

fn member_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_.:-]{1,10}",
        "[a-z]{1,4}%[0-9A-F]{2}",
        Just("System.Embedded.1".to_owned()),
        Just("0b0e6e4e-5a1b-4c2d-8e9f-001122334455".to_owned()),
        Just("s1-1".to_owned()),
        Just("{ChassisID}".to_owned()),
    ]
}

fn rest() -> impl Strategy<Value = String> {
    "(/[A-Za-z0-9_.%-]{0,8}){0,3}/?"
}

fn suffix() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(String::new()),
        1 => "\\?\\$skip=[0-9]{1,3}",
        1 => "#/[A-Za-z]{1,8}/[0-9]",
    ]
}

/// Relative URIs as a BMC produces them.
fn bmc_uri() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => (select(AGGREGATED_COLLECTIONS), prop_oneof![Just(""), Just("/")], suffix())
            .prop_map(|(c, slash, q)| format!("/redfish/v1/{c}{slash}{q}")),
        4 => (select(AGGREGATED_COLLECTIONS), member_segment(), rest(), suffix())
            .prop_map(|(c, m, r, q)| format!("/redfish/v1/{c}/{m}{r}{q}")),
        2 => (select(OTHER_FIRST), rest(), suffix())
            .prop_map(|(first, r, q)| format!("/redfish/v1/{first}{r}{q}")),
        1 => (prop_oneof![Just("/redfish/v1"), Just("/redfish/v1/"), Just("/redfish"), Just("/redfish/")], suffix())
            .prop_map(|(p, q)| format!("{p}{q}")),
        1 => "/redfish/v1/[A-Za-z0-9/._$%-]{0,30}",
    ]
}

fn word() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{1,8}"
}

/// Keys that mean something to the localizer, plus ordinary ones.
const KEYS: &[&str] = &[
    "@odata.id",
    "@odata.context",
    "@odata.type",
    "@odata.nextLink",
    "Members@odata.nextLink",
    "Thermal@odata.navigationLink",
    "target",
    "@Redfish.ActionInfo",
    "TaskMonitor",
    "Image",
    "MetricProperty",
    "MetricProperties",
    "Targets",
    "ImageURI",
    "TargetUri",
    "uri",
    "Id",
    "Name",
    "Links",
    "Oem",
    "Members",
    "MessageArgs",
    "Message",
    "HttpHeaders",
];

fn member_object() -> impl Strategy<Value = Value> {
    (
        select(AGGREGATED_COLLECTIONS),
        member_segment(),
        any::<bool>(),
        any::<bool>(),
        word(),
    )
        .prop_map(|(c, m, slash, id_is_member, w)| {
            let slash = if slash { "/" } else { "" };
            let mut map = Map::new();
            map.insert(
                "@odata.id".into(),
                format!("/redfish/v1/{c}/{m}{slash}").into(),
            );
            map.insert("Id".into(), if id_is_member { m } else { w }.into());
            Value::Object(map)
        })
}

fn message_object(uri: BoxedStrategy<String>) -> impl Strategy<Value = Value> {
    proptest::collection::vec(prop_oneof![uri, word()], 0..4).prop_map(|args| {
        let mut map = Map::new();
        map.insert(
            "Message".into(),
            format!("see {}.", args.join(" and ")).into(),
        );
        map.insert(
            "MessageArgs".into(),
            args.into_iter().map(Value::from).collect(),
        );
        Value::Object(map)
    })
}

fn headers_object(uri: BoxedStrategy<String>) -> impl Strategy<Value = Value> {
    (uri.clone(), uri).prop_map(|(location, link)| {
        let headers = vec![
            Value::from(format!("Location: {location}")),
            Value::from("Content-Type: application/json"),
            Value::from(format!("Link: <{link}>; rel=describedby")),
        ];
        let mut map = Map::new();
        map.insert("HttpHeaders".into(), Value::Array(headers));
        Value::Object(map)
    })
}

/// JSON bodies whose strings are `uri`s or words, with the localizer's special shapes mixed in.
fn body(uri: BoxedStrategy<String>) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        uri.clone().prop_map(Value::from),
        word().prop_map(Value::from),
        member_object(),
        message_object(uri.clone()),
        headers_object(uri),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec((select(KEYS), inner), 0..6).prop_map(|entries| {
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            }),
        ]
    })
}

/// Anything at all, with keys the localizer reacts to.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let text = prop_oneof![
        "\\PC{0,24}",
        bmc_uri(),
        (select(ORIGINS), bmc_uri()).prop_map(|(o, u)| format!("{o}{u}")),
        Just("//".to_owned()),
        Just("https://10.0.0.11".to_owned()),
        "[<>;,\" ]{0,12}",
        "Location: \\PC{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text.prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 96, 8, |inner| {
        let key = prop_oneof![select(KEYS).prop_map(str::to_owned), "\\PC{0,10}"];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key, inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// Floats to 12 significant digits, so two lossy parses of one number compare equal.
/// Equal JSON, floats within a relative 1e-9 (or both below 1e-300, where serde_json's
/// parsing of subnormals is least exact): serde_json's float parsing is not exact, and the tree
/// path parses twice. (Rounding both to a fixed number of digits is not enough: a value at a
/// rounding tie rounds either way.)
fn nearly_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            let scale = x.abs().max(y.abs());
            scale < 1e-300 || (x - y).abs() <= scale * 1e-9
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| nearly_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| nearly_equal(v, w)))
        }
        _ => a == b,
    }
}

fn path_of(uri: &str) -> &str {
    uri.split(['?', '#']).next().unwrap_or(uri)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn uri_round_trip_is_identity(uri in bmc_uri()) {
        let ctx = ctx();
        let localized = localize_uri(&uri, &ctx);
        prop_assert!(localized.is_some(), "every /redfish URI is a BMC URI: {}", uri);
        let localized = localized.unwrap_or_default();
        prop_assert_eq!(delocalize_uri(&localized, &ctx), Ok(Some(uri)));
    }

    #[test]
    fn localized_uris_route_back_to_the_bmc(uri in bmc_uri()) {
        let ctx = ctx();
        let localized = localize_uri(&uri, &ctx).unwrap_or_default();
        let target = classify(path_of(&localized));
        match &target {
            Target::Member { bmc, .. } | Target::Passthrough { bmc, .. } => {
                prop_assert_eq!(bmc.as_str(), "s1");
                let sent = bmc_path(&target).map(|(_, p)| p);
                prop_assert_eq!(sent.as_deref(), Some(path_of(&uri)));
            }
            // The aggregate serves merged collections, $metadata and /redfish itself.
            Target::Collection { .. } | Target::Local { .. } => {
                prop_assert_eq!(&localized, &uri);
            }
            Target::ServiceRoot => prop_assert!(false, "{} localized to the aggregate root", uri),
        }
    }

    #[test]
    fn absolute_bmc_uris_become_relative(origin in select(ORIGINS), uri in bmc_uri()) {
        let ctx = ctx();
        let absolute = format!("{origin}{uri}");
        prop_assert_eq!(localize_uri(&absolute, &ctx), localize_uri(&uri, &ctx));
        prop_assert_eq!(localize_location(&absolute, &ctx), localize_location(&uri, &ctx));
        let link = format!("<{absolute}>; rel=describedby");
        let relative_link = format!("<{}>; rel=describedby", localize_uri(&uri, &ctx).unwrap_or_default());
        prop_assert_eq!(localize_link_header(&link, &ctx), relative_link);
    }

    #[test]
    fn body_round_trip_is_identity(original in body(bmc_uri().boxed())) {
        let ctx = ctx();
        let mut value = original.clone();
        localize_body(&mut value, &ctx);
        prop_assert_eq!(delocalize_body(&mut value, &ctx), Ok(()));
        prop_assert_eq!(value, original);
    }

    #[test]
    fn no_bmc_origin_survives_localization(
        original in body((select(ORIGINS), bmc_uri()).prop_map(|(o, u)| format!("{o}{u}")).boxed())
    ) {
        let ctx = ctx();
        let mut value = original;
        localize_body(&mut value, &ctx);
        // Plain string leaves are not properties and stay as they are.
        let mut leaks = Vec::new();
        collect_property_leaks(&value, &mut leaks);
        prop_assert!(leaks.is_empty(), "{:?} in {}", leaks, value);
    }

    #[test]
    fn arbitrary_json_never_panics(original in arbitrary_json()) {
        let ctx = ctx();
        let mut value = original.clone();
        localize_body(&mut value, &ctx);
        let _ = delocalize_body(&mut value, &ctx);
        let mut value = original;
        let _ = delocalize_body(&mut value, &ctx);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,64}") {
        let ctx = ctx();
        let _ = localize_uri(&s, &ctx);
        let _ = delocalize_uri(&s, &ctx);
        let _ = localize_location(&s, &ctx);
        let _ = localize_link_header(&s, &ctx);
        let _ = BmcContext::new(&BmcId::parse("s1").expect("valid"), &[s]);
    }

    /// The proxy's byte localizer gives what the tree localizer gives, for compact and pretty
    /// input, and for input whose strings escape `/` (the tree path inside it).
    #[test]
    fn byte_localizer_equals_tree_localizer(
        original in prop_oneof![
            body(bmc_uri().boxed()),
            body((select(ORIGINS), bmc_uri()).prop_map(|(o, u)| format!("{o}{u}")).boxed()),
            arbitrary_json(),
        ],
        form in 0..3u8,
    ) {
        let ctx = ctx();
        let mut expected = original.clone();
        localize_body(&mut expected, &ctx);
        let input = match form {
            0 => serde_json::to_vec(&original),
            1 => serde_json::to_vec_pretty(&original),
            // '/' occurs only inside strings in JSON text, so this escapes every one of them.
            _ => serde_json::to_string(&original).map(|t| t.replace('/', "\\/").into_bytes()),
        }
        .unwrap_or_default();
        let localized = localize_json(&input, &ctx);
        prop_assert!(localized.is_ok(), "{:?}", localized.as_ref().err());
        let localized = localized.unwrap_or_else(|_| unreachable!());
        let got: Result<Value, _> = serde_json::from_slice(&localized.body);
        prop_assert!(got.is_ok(), "output is not JSON: {}", String::from_utf8_lossy(&localized.body));
        let got = got.unwrap_or_default();
        prop_assert!(nearly_equal(&got, &expected), "{} != {}", got, expected);
        prop_assert_eq!(
            localized.odata_type.as_deref(),
            expected.get("@odata.type").and_then(Value::as_str)
        );
    }

    #[test]
    fn byte_localizer_refuses_what_serde_refuses(text in "[\\[\\]{}\",:0-9a-z /tfnul\\\\]{0,40}") {
        let ctx = ctx();
        let parsed: Result<Value, _> = serde_json::from_str(&text);
        prop_assert_eq!(localize_json(text.as_bytes(), &ctx).is_ok(), parsed.is_ok());
    }

    #[test]
    fn link_headers_never_panic(s in "[<>;,\"\\\\ =a-z/]{0,40}") {
        let _ = localize_link_header(&s, &ctx());
    }
}

/// The link properties the localizer is specified to rewrite (other keys, like `Id` or `Name`,
/// are never touched, whatever they hold).
fn is_link_key(key: &str) -> bool {
    matches!(
        key,
        "@odata.id"
            | "target"
            | "@Redfish.ActionInfo"
            | "TaskMonitor"
            | "Image"
            | "MetricProperty"
            | "MetricProperties"
            | "Targets"
    ) || [
        "@odata.nextLink",
        "@odata.navigationLink",
        "URI",
        "Uri",
        "uri",
    ]
    .iter()
    .any(|suffix| key.ends_with(suffix))
}

/// Strings in the places the spec rewrites that still carry the BMC's address. `MessageArgs`
/// and task `HttpHeaders` are arrays, `@odata.context` a string, as the schema has them;
/// `Message` is only rewritten where it repeats a `MessageArgs` entry, so it is not checked.
fn collect_property_leaks(value: &Value, leaks: &mut Vec<String>) {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let strings: Vec<&str> = match child {
                        Value::String(s) if is_link_key(key) || key == "@odata.context" => vec![s],
                        Value::Array(items) => items
                            .iter()
                            .filter_map(Value::as_str)
                            .filter(|s| {
                                is_link_key(key)
                                    || key == "MessageArgs"
                                    || (key == "HttpHeaders"
                                        && (s.starts_with("Location:") || s.starts_with("Link:")))
                            })
                            .collect(),
                        _ => vec![],
                    };
                    for s in strings {
                        let lower = s.to_ascii_lowercase();
                        if lower.contains("10.0.0.11") || lower.contains("fd00::11") {
                            leaks.push(format!("{key}: {s}"));
                        }
                    }
                    stack.push(child);
                }
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
}
