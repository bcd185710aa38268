//! Property tests of the query string as a whole (`$select`, `$expand`, `$filter`, `$top`,
//! `$skip`, `only` and what is forwarded): any query string parses or is refused with a message,
//! never a panic, and what it parses to is bounded: a `$select` path as deep as a request line
//! allows cannot build a tree whose use or drop exhausts the stack.

use proptest::prelude::*;
use proptest::sample::select;
use redfish::query::{self, QueryError};
use serde_json::{Value, json};

const PIECES: &[&str] = &[
    "$select=",
    "$expand=",
    "$filter=",
    "$top=",
    "$skip=",
    "only",
    "$levels=",
    "$search=",
    "=",
    "&",
    "*",
    ".",
    "~",
    "(",
    ")",
    ";",
    "/",
    ",",
    "'",
    "%27",
    "%2",
    "%",
    "+",
    " ",
    "Name",
    "Status/Health",
    "eq",
    "and",
    "3",
    "-1",
    "99999999999999999999",
    "%C3%A9",
    "%FF",
];

fn query_string() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(select(PIECES), 0..24).prop_map(|p| p.concat()),
        "\\PC{0,120}",
    ]
}

fn body() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    select(&["Name", "Status", "Health", "Members", "@odata.id", "Id"][..]),
                    inner
                ),
                0..5
            )
            .prop_map(|e| Value::Object(e.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn any_query_string_parses_or_is_refused(q in query_string(), mut b in body()) {
        match query::parse(&q) {
            Ok(parsed) => {
                if let Some(s) = &parsed.select {
                    query::select::apply(&mut b, s);
                }
                if let Some(f) = &parsed.filter {
                    let _ = query::filter::matches(f, &b);
                }
                if let Some(e) = &parsed.expand {
                    prop_assert!(e.levels <= query::MAX_LEVELS);
                    let _ = query::expand::references(&b, e.kind);
                }
            }
            Err(QueryError::Unsupported(p)) => prop_assert!(p.starts_with('$'), "{}", p),
            Err(QueryError::Invalid(_)) => {}
        }
    }

    #[test]
    fn select_paths_are_bounded(depth in 1usize..2000) {
        let text = vec!["A"; depth].join("/");
        match query::select::parse(&text) {
            Some(s) => {
                prop_assert!(depth <= query::select::MAX_PATH_SEGMENTS, "{} segments accepted", depth);
                let mut b = json!({"A": {"A": 1}});
                query::select::apply(&mut b, &s);
            }
            None => prop_assert!(depth > query::select::MAX_PATH_SEGMENTS, "{} segments refused", depth),
        }
    }
}

/// A `$select` path of 100,000 segments (200 KB, within an HTTP request line): without a bound,
/// the selection tree it builds is that deep and dropping it overflows the stack.
#[test]
fn a_select_path_of_a_hundred_thousand_segments_is_refused() {
    let deep = vec!["A"; 100_000].join("/");
    assert!(query::select::parse(&deep).is_none());
    let text = format!("$select={deep}");
    assert!(matches!(query::parse(&text), Err(QueryError::Invalid(_))));
}
