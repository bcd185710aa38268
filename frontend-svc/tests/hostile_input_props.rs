//! Property tests of everything the frontend reads from a request before it trusts it: the
//! `Authorization` header, `X-Forwarded-For`/`-Proto`, `If-Match`/`If-None-Match`,
//! `Content-Type` and JSON bodies (syntax, property validation, nesting depth). Any bytes a client
//! can put in a header or body are parsed or refused, never a panic, and the security-relevant
//! answers hold: forwarded headers from an untrusted peer change nothing, an `If-Match` that does
//! not name the current representation never lets a write through.

use base64::Engine;
use bytes::Bytes;
use frontend_svc::body::{self, Field, Kind, Mode, OnCreate, Schema};
use frontend_svc::error::FrontendError;
use frontend_svc::forwarded;
use frontend_svc::limits::json_depth_exceeds;
use frontend_svc::request::Request;
use frontend_svc::resource::{check_if_match, etag_of};
use frontend_svc::response::Response;
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};

/// Bytes a header value may carry on the wire (visible ASCII, space, tab, obs-text).
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            8 => 0x20u8..0x7f,
            1 => Just(b'\t'),
            1 => 0x80u8..=0xff,
        ],
        0..120,
    )
}

fn value(bytes: &[u8]) -> HeaderValue {
    HeaderValue::from_bytes(bytes).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn request(headers: HeaderMap, body: Vec<u8>) -> Request {
    Request {
        id: "prop".into(),
        method: http::Method::PATCH,
        path: "/redfish/v1/AccountService".into(),
        query: String::new(),
        headers,
        body: Bytes::from(body),
        peer: None,
        client: Default::default(),
    }
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::from),
        any::<[u16; 8]>().prop_map(IpAddr::from),
        Just("127.0.0.1".parse().expect("ip")),
    ]
}

/// What proxies write in X-Forwarded-For, and what attackers write.
fn forwarded_entry() -> impl Strategy<Value = String> {
    prop_oneof![
        ip().prop_map(|i| i.to_string()),
        (ip(), any::<u16>()).prop_map(|(i, p)| SocketAddr::new(i, p).to_string()),
        ip().prop_map(|i| format!("[{i}]")),
        "[ -~]{0,20}",
    ]
}

const SCHEMA: Schema = Schema {
    fields: &[
        Field::new("UserName", Kind::String, OnCreate::Required, true),
        Field::new("Password", Kind::String, OnCreate::Required, true).secret(),
        Field::new("Enabled", Kind::Bool, OnCreate::Optional, true),
        Field::new("Tags", Kind::StringArray, OnCreate::Optional, false),
        Field::new("Count", Kind::Integer, OnCreate::Refused, true),
    ],
    read_only: &["Id", "Name"],
};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        let key = prop_oneof![
            select(
                &[
                    "UserName",
                    "Password",
                    "Enabled",
                    "Tags",
                    "Count",
                    "Id",
                    "Name",
                    "@odata.id",
                    "@odata.etag"
                ][..]
            )
            .prop_map(str::to_owned),
            "\\PC{0,10}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec((key, inner), 0..6)
                .prop_map(|e| Value::Object(e.into_iter().collect())),
        ]
    })
}

/// Depth of objects and arrays, the way `json_depth_exceeds` counts it.
fn depth(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn authorization_headers_never_panic(raw in header_bytes()) {
        let mut h = HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, value(&raw));
        let _ = frontend_svc::auth::basic_credentials(&h);
    }

    #[test]
    fn basic_credentials_round_trip(user in "[^:\\x00]{0,20}", password in "\\PC{0,40}", scheme in select(&["Basic", "basic", "BASIC"][..])) {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let mut h = HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, value(format!("{scheme} {encoded}").as_bytes()));
        prop_assert_eq!(frontend_svc::auth::basic_credentials(&h), Some((user, password)));
    }

    #[test]
    fn forwarded_headers_never_panic_and_only_trusted_peers_are_believed(
        peer in ip(),
        trusted in proptest::collection::vec(ip(), 0..3),
        peer_trusted in any::<bool>(),
        entries in proptest::collection::vec(forwarded_entry(), 0..6),
        proto in header_bytes(),
        raw_for in header_bytes(),
    ) {
        let mut trusted = trusted;
        if peer_trusted {
            trusted.push(peer);
        }
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", value(entries.join(", ").as_bytes()));
        h.append("x-forwarded-for", value(&raw_for));
        h.insert("x-forwarded-proto", value(&proto));
        let socket = SocketAddr::new(peer, 40000);
        let client = forwarded::client(Some(socket), &h, &trusted);
        if !trusted.iter().any(|t| t.to_canonical() == peer.to_canonical()) {
            prop_assert_eq!(client.addr, Some(peer.to_canonical()));
            prop_assert!(!client.https && !client.proxied);
        }
    }

    #[test]
    fn if_match_lets_a_write_through_only_for_the_current_tag(
        raw in header_bytes(),
        name in "\\PC{0,10}",
        tag_position in 0usize..3,
    ) {
        let current = json!({"UserName": name});
        let tag = etag_of(&current);
        // Any header value: passes only when it names the tag (weak or strong) or is `*`.
        let mut h = HeaderMap::new();
        h.insert("if-match", value(&raw));
        let text = String::from_utf8_lossy(&raw).to_string();
        let names_it = text.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == tag.trim_start_matches("W/")
        });
        let verdict = check_if_match(&request(h, vec![]), &current);
        prop_assert_eq!(verdict.is_ok(), names_it && raw.is_ascii(), "{:?}", text);
        // The current tag anywhere in a list passes.
        let mut list = vec!["\"other\"".to_owned(), "W/\"x\"".to_owned()];
        list.insert(tag_position.min(list.len()), tag.clone());
        let mut h = HeaderMap::new();
        h.insert("if-match", value(list.join(", ").as_bytes()));
        prop_assert!(check_if_match(&request(h, vec![]), &current).is_ok());
    }

    #[test]
    fn if_none_match_never_panics_and_only_the_tag_gives_304(raw in header_bytes()) {
        let text = String::from_utf8_lossy(&raw).to_string();
        let mut r = Response::json_value(StatusCode::OK, &json!({"a": 1}));
        r.header("etag", HeaderValue::from_static("W/\"abc\""));
        let r = r.not_modified_if(Some(&text));
        let names_it = text.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == "\"abc\""
        });
        prop_assert_eq!(r.status == StatusCode::NOT_MODIFIED, names_it);
    }

    #[test]
    fn bodies_and_content_types_are_parsed_or_refused(ct in proptest::option::of(header_bytes()), raw in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut h = HeaderMap::new();
        if let Some(ct) = &ct {
            h.insert(http::header::CONTENT_TYPE, value(ct));
        }
        match body::json_object(&request(h, raw)) {
            Ok(_) | Err(FrontendError::UnsupportedMediaType) | Err(FrontendError::BadRequest { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    #[test]
    fn property_validation_never_panics_and_accepts_only_the_schema(v in json_value(), create in any::<bool>()) {
        let Value::Object(map) = v else { return Ok(()) };
        let mode = if create { Mode::Create } else { Mode::Patch };
        if body::validate(&map, &SCHEMA, mode).is_ok() {
            for (k, _) in map.iter().filter(|(k, _)| !k.starts_with("@odata.")) {
                prop_assert!(SCHEMA.fields.iter().any(|f| f.name == k), "{} accepted", k);
            }
        }
        let bytes = serde_json::to_vec(&Value::Object(map)).unwrap_or_default();
        let _ = body::property_names(&bytes);
    }

    #[test]
    fn nesting_depth_agrees_with_a_parser(v in json_value(), max in 0usize..8) {
        let text = serde_json::to_vec(&v).unwrap_or_default();
        prop_assert_eq!(json_depth_exceeds(&text, max), depth(&v) > max, "{}", v);
    }

    #[test]
    fn nesting_depth_never_panics_on_any_bytes(raw in proptest::collection::vec(any::<u8>(), 0..400), max in 0usize..100) {
        let _ = json_depth_exceeds(&raw, max);
    }
}
