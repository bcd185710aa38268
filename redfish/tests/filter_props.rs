//! Property tests of the `$filter` parser and evaluator: any text parses or is refused without a
//! panic, a well-formed expression written out parses back to itself, evaluation never panics on
//! any body, and hostile input (long `and`/`or` chains, deep parentheses, `not` towers) is bounded,
//! so parsing, evaluating and dropping the expression cannot exhaust the stack.

use proptest::prelude::*;
use proptest::sample::select;
use redfish::query::filter::{Expr, Op, Operand, matches, parse};
use serde_json::{Value, json};

const WORDS: &[&str] = &[
    "eq",
    "ne",
    "gt",
    "ge",
    "lt",
    "le",
    "and",
    "or",
    "not",
    "true",
    "false",
    "null",
    "(",
    ")",
    "Id",
    "Status/Health",
    "'x'",
    "''''",
    "'",
    "1",
    "-2.5e3",
    "1e999",
    "/",
    "//",
    "$",
    "Name@odata",
];

/// Token soup: mostly the parser's own vocabulary, in any order.
fn soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(select(WORDS), 0..40).prop_map(|w| w.join(" "))
}

fn property() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec("[A-Za-z][A-Za-z0-9_@#.]{0,8}", 1..4).prop_filter(
        "not a keyword",
        |segs| {
            !(segs.len() == 1
                && [
                    "eq", "ne", "gt", "ge", "lt", "le", "and", "or", "not", "true", "false", "null",
                ]
                .contains(&segs[0].as_str()))
        },
    )
}

fn literal() -> impl Strategy<Value = Value> {
    prop_oneof![
        "\\PC{0,12}".prop_map(Value::from),
        any::<i32>().prop_map(|n| json!(f64::from(n))),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ]
}

fn operand() -> impl Strategy<Value = Operand> {
    prop_oneof![
        property().prop_map(Operand::Property),
        literal().prop_map(Operand::Literal),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    select(&[Op::Eq, Op::Ne, Op::Gt, Op::Ge, Op::Lt, Op::Le][..])
}

/// Well-formed expressions, small enough for the parser's bounds.
fn expr() -> impl Strategy<Value = Expr> {
    let leaf = (operand(), op(), operand()).prop_map(|(l, o, r)| Expr::Compare(l, o, r));
    leaf.prop_recursive(5, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Or(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::And(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Expr::Not(Box::new(a))),
        ]
    })
}

/// `expr` as a client writes it; every sub-expression parenthesised, so the text means exactly it.
fn render(e: &Expr) -> String {
    match e {
        Expr::Or(a, b) => format!("({}) or ({})", render(a), render(b)),
        Expr::And(a, b) => format!("({}) and ({})", render(a), render(b)),
        Expr::Not(a) => format!("not ({})", render(a)),
        Expr::Compare(l, o, r) => {
            format!("{} {} {}", operand_text(l), op_text(*o), operand_text(r))
        }
    }
}

fn operand_text(o: &Operand) -> String {
    match o {
        Operand::Property(p) => p.join("/"),
        Operand::Literal(Value::String(s)) => format!("'{}'", s.replace('\'', "''")),
        Operand::Literal(Value::Number(n)) => n.as_f64().map_or("0".into(), |f| format!("{f}")),
        Operand::Literal(v) => v.to_string(),
    }
}

fn op_text(o: Op) -> &'static str {
    match o {
        Op::Eq => "eq",
        Op::Ne => "ne",
        Op::Gt => "gt",
        Op::Ge => "ge",
        Op::Lt => "lt",
        Op::Le => "le",
    }
}

fn body() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(
                (select(&["Id", "Status", "Health", "Name", "x"][..]), inner),
                0..5
            )
            .prop_map(|e| Value::Object(e.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn any_text_parses_or_is_refused(text in "\\PC{0,200}") {
        if let Ok(e) = parse(&text) {
            let _ = matches(&e, &json!({"Id": "x"}));
        }
    }

    #[test]
    fn token_soup_never_panics(text in soup(), b in body()) {
        if let Ok(e) = parse(&text) {
            let _ = matches(&e, &b);
        }
    }

    #[test]
    fn written_expressions_parse_back_to_themselves(e in expr()) {
        let text = render(&e);
        prop_assert_eq!(parse(&text), Ok(e), "{}", text);
    }

    #[test]
    fn evaluation_never_panics(e in expr(), b in body()) {
        let _ = matches(&e, &b);
    }

    #[test]
    fn long_chains_are_bounded(n in 1usize..5000, joiner in select(&[" and ", " or "][..])) {
        let text = vec!["Id eq 'x'"; n].join(joiner);
        match parse(&text) {
            Ok(e) => {
                prop_assert!(n <= redfish::query::filter::MAX_TERMS, "{} terms accepted", n);
                let _ = matches(&e, &json!({"Id": "x"}));
            }
            Err(_) => prop_assert!(n > redfish::query::filter::MAX_TERMS, "{} terms refused", n),
        }
    }
}

/// A query string of some hundred kilobytes (what an HTTP request line can carry) joining
/// comparisons: without a bound on terms, the left-nested tree it parses to is as deep as the
/// chain, and evaluating or dropping it overflows the stack and kills the process.
#[test]
fn a_hundred_thousand_terms_are_refused_not_a_stack_overflow() {
    for joiner in [" and ", " or "] {
        let text = vec!["Id eq 1"; 100_000].join(joiner);
        assert!(parse(&text).is_err(), "{joiner}");
    }
    let mixed = vec!["not (Id eq 1)"; 100_000].join(" and ");
    assert!(parse(&mixed).is_err());
}
