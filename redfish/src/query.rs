//! DSP0266 "Query parameters": the query string of a GET parsed into what the service applies
//! (`only`, `$select`, `$expand` with `$levels`, `$filter`, `$top`, `$skip`) and what it passes on
//! untouched (parameters not starting with `$`, which the specification says to ignore).
//!
//! - [`filter`]: the `$filter` expression language and its evaluation on a member body.
//! - [`select`]: `$select` applied to a body.
//! - [`expand`]: which references of a body `$expand` replaces with the resources they name.

pub mod expand;
pub mod filter;
pub mod select;

use crate::messages::Message;
use percent_encoding::percent_decode_str;

/// The deepest `$levels` accepted (advertised as `ExpandQuery.MaxLevels`). Every level multiplies
/// the sub-requests of an expansion, and on a rack each sub-request may reach a BMC.
pub const MAX_LEVELS: u8 = 3;

/// What `$expand` follows: `*` every reference, `.` those not under `Links` (subordinate
/// resources), `~` only those under `Links`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpandKind {
    All,
    Subordinate,
    Links,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expand {
    pub kind: ExpandKind,
    pub levels: u8,
}

/// The parameters the service applies itself. `forward` keeps the rest of the raw query (the
/// parameters that do not start with `$`), for whoever serves the base resource.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    pub only: bool,
    pub select: Option<select::Selection>,
    pub expand: Option<Expand>,
    pub filter: Option<filter::Expr>,
    pub top: Option<usize>,
    pub skip: Option<usize>,
    pub forward: String,
}

/// Why a query string is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// A `$` parameter the service does not implement (DSP0266: 501).
    Unsupported(String),
    /// Any other refusal: 400 with this message.
    Invalid(Message),
}

impl Query {
    /// Nothing for the service to do: the request is served exactly as without a query.
    pub fn is_plain(&self) -> bool {
        !self.only
            && self.select.is_none()
            && self.expand.is_none()
            && self.filter.is_none()
            && self.top.is_none()
            && self.skip.is_none()
    }

    /// Parameters that only make sense on a collection.
    pub fn needs_collection(&self) -> bool {
        self.only || self.filter.is_some() || self.top.is_some() || self.skip.is_some()
    }
}

/// Query strings arrive form-encoded (`+` for space, as Python's requests sends them).
fn decode(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

pub fn parse(raw: &str) -> Result<Query, QueryError> {
    let mut q = Query::default();
    let mut forward: Vec<&str> = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = match pair.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (pair, None),
        };
        let key = decode(raw_key);
        let value = raw_value.map(decode);
        let text = value.as_deref().unwrap_or("");
        match key.as_str() {
            "only" => {
                if !text.is_empty() {
                    return Err(format_error(text, "only"));
                }
                q.only = true;
            }
            "$select" => {
                q.select = Some(select::parse(text).ok_or_else(|| format_error(text, &key))?)
            }
            "$expand" => q.expand = Some(parse_expand(text)?),
            "$filter" => {
                q.filter = Some(filter::parse(text).map_err(|_| format_error(text, &key))?)
            }
            "$top" => q.top = Some(number(text, &key)?),
            "$skip" => q.skip = Some(number(text, &key)?),
            k if k.starts_with('$') => return Err(QueryError::Unsupported(key)),
            _ => forward.push(pair),
        }
    }
    // DSP0266: `only` cannot be combined with other query parameters.
    if q.only
        && (q.select.is_some()
            || q.expand.is_some()
            || q.filter.is_some()
            || q.top.is_some()
            || q.skip.is_some())
    {
        return Err(QueryError::Invalid(Message::query_combination_invalid()));
    }
    q.forward = forward.join("&");
    Ok(q)
}

fn format_error(value: &str, parameter: &str) -> QueryError {
    QueryError::Invalid(Message::query_parameter_value_format_error(
        value, parameter,
    ))
}

fn number(text: &str, parameter: &str) -> Result<usize, QueryError> {
    text.parse::<usize>().map_err(|_| {
        QueryError::Invalid(Message::query_parameter_value_type_error(text, parameter))
    })
}

/// `*`, `.` or `~`, optionally followed by `($levels=n)`; one level when omitted.
fn parse_expand(text: &str) -> Result<Expand, QueryError> {
    let mut chars = text.chars();
    let kind = match chars.next() {
        Some('*') => ExpandKind::All,
        Some('.') => ExpandKind::Subordinate,
        Some('~') => ExpandKind::Links,
        _ => return Err(format_error(text, "$expand")),
    };
    let rest = chars.as_str().trim();
    if rest.is_empty() {
        return Ok(Expand { kind, levels: 1 });
    }
    let levels = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .and_then(|r| r.trim().strip_prefix("$levels"))
        .and_then(|r| r.trim_start().strip_prefix('='))
        .map(str::trim)
        .ok_or_else(|| format_error(text, "$expand"))?;
    let n: u64 = levels.parse().map_err(|_| {
        QueryError::Invalid(Message::query_parameter_value_type_error(levels, "$levels"))
    })?;
    match u8::try_from(n) {
        Ok(n) if (1..=MAX_LEVELS).contains(&n) => Ok(Expand { kind, levels: n }),
        _ => Err(QueryError::Invalid(Message::query_parameter_out_of_range(
            levels,
            "$levels",
            &format!("1-{MAX_LEVELS}"),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key_of(r: Result<Query, QueryError>) -> String {
        match r {
            Ok(_) => "ok".into(),
            Err(QueryError::Unsupported(p)) => format!("501 {p}"),
            Err(QueryError::Invalid(m)) => m.key().to_owned(),
        }
    }

    #[test]
    fn parses_each_parameter() {
        let q = parse("only").expect("only");
        assert!(q.only && !q.is_plain());
        let q = parse("$expand=.($levels=2)&$select=Name,Status/Health").expect("expand");
        assert_eq!(
            q.expand,
            Some(Expand {
                kind: ExpandKind::Subordinate,
                levels: 2
            })
        );
        assert!(q.select.is_some());
        let q = parse("%24expand=%7E").expect("encoded");
        assert_eq!(
            q.expand,
            Some(Expand {
                kind: ExpandKind::Links,
                levels: 1
            })
        );
        let q = parse("$expand=*").expect("all");
        assert_eq!(q.expand.map(|e| e.kind), Some(ExpandKind::All));
        let q = parse("$filter=Id+eq+'a'&$top=2&$skip=1").expect("filter");
        assert!(q.filter.is_some() && q.top == Some(2) && q.skip == Some(1));
    }

    #[test]
    fn keeps_other_parameters_for_forwarding() {
        let q = parse("foo=bar&$select=Name&x").expect("ok");
        assert_eq!(q.forward, "foo=bar&x");
        let q = parse("excerpt&a=1").expect("ok");
        assert!(q.is_plain());
        assert_eq!(q.forward, "excerpt&a=1");
    }

    #[test]
    fn refusals_carry_the_right_message() {
        let rows = [
            ("$search=x", "501 $search"),
            ("$rpvunknown", "501 $rpvunknown"),
            ("%24apply=x", "501 $apply"),
            ("only=foo", "QueryParameterValueFormatError"),
            ("only&$select=Name", "QueryCombinationInvalid"),
            ("only&$expand=*", "QueryCombinationInvalid"),
            ("only&$top=1", "QueryCombinationInvalid"),
            ("$expand=", "QueryParameterValueFormatError"),
            ("$expand=x", "QueryParameterValueFormatError"),
            ("$expand=*(levels=1)", "QueryParameterValueFormatError"),
            ("$expand=*($levels=a)", "QueryParameterValueTypeError"),
            ("$expand=*($levels=0)", "QueryParameterOutOfRange"),
            ("$expand=*($levels=4)", "QueryParameterOutOfRange"),
            ("$expand=*($levels=99999999999)", "QueryParameterOutOfRange"),
            ("$select=", "QueryParameterValueFormatError"),
            ("$select=Name,,Id", "QueryParameterValueFormatError"),
            ("$filter=Id eq", "QueryParameterValueFormatError"),
            ("$top=x", "QueryParameterValueTypeError"),
            ("$skip=-1", "QueryParameterValueTypeError"),
            ("$expand=*($levels=3)", "ok"),
            ("only=", "ok"),
        ];
        for (q, want) in rows {
            assert_eq!(key_of(parse(q)), want, "{q}");
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics(s in ".{0,200}") {
            let _ = parse(&s);
        }

        #[test]
        fn parsing_query_shaped_strings_never_panics(
            s in "[$a-z=&()~.*'%0-9 /,]{0,80}"
        ) {
            let _ = parse(&s);
        }
    }
}
