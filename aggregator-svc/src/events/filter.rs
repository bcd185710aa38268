//! Which events reach whom: a subscription's RegistryPrefixes, ResourceTypes and OriginResources
//! (with SubordinateResources), and an SSE stream's `$filter` (DSP0266 "Server-sent events").

use super::subscription::Subscription;
use serde_json::Value;

/// The resource types an origin URI is classified as (what `ResourceTypes` may name): the member
/// type of the collection the URI's last segment belongs to, or the singleton it names.
const MEMBERS: &[(&str, &str)] = &[
    ("Systems", "ComputerSystem"),
    ("Chassis", "Chassis"),
    ("Managers", "Manager"),
    ("Processors", "Processor"),
    ("Memory", "Memory"),
    ("Storage", "Storage"),
    ("Drives", "Drive"),
    ("Volumes", "Volume"),
    ("EthernetInterfaces", "EthernetInterface"),
    ("NetworkInterfaces", "NetworkInterface"),
    ("PCIeDevices", "PCIeDevice"),
    ("PowerSupplies", "PowerSupply"),
    ("Fans", "Fan"),
    ("Sensors", "Sensor"),
    ("Outlets", "Outlet"),
    ("LogServices", "LogService"),
    ("Entries", "LogEntry"),
    ("Tasks", "Task"),
    ("Subscriptions", "EventDestination"),
    ("Certificates", "Certificate"),
    ("FirmwareInventory", "SoftwareInventory"),
    ("SoftwareInventory", "SoftwareInventory"),
    ("AggregationSources", "AggregationSource"),
    ("Aggregates", "Aggregate"),
    ("Cables", "Cable"),
    ("Fabrics", "Fabric"),
    ("Switches", "Switch"),
    ("Ports", "Port"),
    ("Accounts", "ManagerAccount"),
    ("Sessions", "Session"),
];
const SINGLETONS: &[&str] = &[
    "AccountService",
    "AggregationService",
    "Bios",
    "CertificateService",
    "EventService",
    "Power",
    "PowerSubsystem",
    "SessionService",
    "TaskService",
    "Thermal",
    "ThermalSubsystem",
    "UpdateService",
];

/// Every value `ResourceTypes` (and `ResourceType eq`) accepts: the member types (sorted, once
/// each), then the singletons, derived from the two tables above so they cannot drift apart.
pub static RESOURCE_TYPES: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| {
        let mut types: Vec<&'static str> = MEMBERS.iter().map(|(_, t)| *t).collect();
        types.sort_unstable();
        types.dedup();
        types.extend_from_slice(SINGLETONS);
        types
    });

/// The resource type of the resource at `uri`, when the URI says it.
pub fn resource_type(uri: &str) -> Option<&'static str> {
    let segments: Vec<&str> = uri
        .trim_end_matches('/')
        .strip_prefix("/redfish/v1/")?
        .split('/')
        .collect();
    let last = *segments.last()?;
    if let Some(s) = SINGLETONS.iter().find(|s| **s == last) {
        return Some(s);
    }
    let parent = segments.len().checked_sub(2).map(|i| segments[i])?;
    MEMBERS.iter().find(|(c, _)| *c == parent).map(|(_, t)| *t)
}

/// The parts of an event record the filters look at.
pub struct Facts<'a> {
    pub registry: &'a str,
    pub message_id: &'a str,
    pub origin: &'a str,
    pub event_type: &'a str,
}

impl<'a> Facts<'a> {
    pub fn of(record: &'a Value) -> Self {
        let message_id = record["MessageId"].as_str().unwrap_or("");
        Facts {
            registry: message_id.split('.').next().unwrap_or(""),
            message_id,
            origin: record["OriginOfCondition"]["@odata.id"]
                .as_str()
                .unwrap_or("")
                .trim_end_matches('/'),
            event_type: record["EventType"].as_str().unwrap_or(""),
        }
    }

    fn within(&self, uri: &str, subordinate: bool) -> bool {
        self.origin == uri
            || (subordinate
                && self
                    .origin
                    .strip_prefix(uri)
                    .is_some_and(|rest| rest.starts_with('/')))
    }
}

/// Whether `sub` asked for this event (an empty list asks for all).
pub fn wants(sub: &Subscription, facts: &Facts<'_>) -> bool {
    let registry = sub.registry_prefixes.is_empty()
        || sub.registry_prefixes.iter().any(|p| p == facts.registry);
    let resource = sub.resource_types.is_empty()
        || resource_type(facts.origin).is_some_and(|t| sub.resource_types.iter().any(|w| w == t));
    let origin = sub.origin_resources.is_empty()
        || sub
            .origin_resources
            .iter()
            .any(|o| facts.within(o, sub.subordinate_resources));
    registry && resource && origin
}

/// `Base.1.22.Success` and `Base.1.0.Success` are the same message: compare registry and key.
fn same_message(filter: &str, actual: &str) -> bool {
    filter == actual || ends(filter) == ends(actual)
}

fn ends(s: &str) -> (&str, &str) {
    (
        s.split('.').next().unwrap_or(""),
        s.rsplit('.').next().unwrap_or(""),
    )
}

/// A parsed SSE `$filter`.
#[derive(Debug, Clone, PartialEq)]
pub enum SseFilter {
    All,
    Eq(Property, String),
    And(Box<SseFilter>, Box<SseFilter>),
    Or(Box<SseFilter>, Box<SseFilter>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Property {
    EventFormatType,
    EventType,
    MessageId,
    OriginResource,
    RegistryPrefix,
    ResourceType,
}

/// A filter together with its `SubordinateResources eq true|false`, which applies to every
/// `OriginResource` comparison in it (DSP0266 combines them with `and`).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamFilter {
    pub expr: SseFilter,
    pub subordinate: bool,
}

impl StreamFilter {
    pub fn all() -> Self {
        StreamFilter {
            expr: SseFilter::All,
            subordinate: false,
        }
    }

    pub fn matches(&self, record: &Value) -> bool {
        eval(&self.expr, &Facts::of(record), self.subordinate)
    }
}

fn eval(f: &SseFilter, facts: &Facts<'_>, subordinate: bool) -> bool {
    match f {
        SseFilter::All => true,
        SseFilter::And(a, b) => eval(a, facts, subordinate) && eval(b, facts, subordinate),
        SseFilter::Or(a, b) => eval(a, facts, subordinate) || eval(b, facts, subordinate),
        SseFilter::Eq(p, v) => match p {
            Property::EventFormatType => v == "Event",
            Property::EventType => facts.event_type == v,
            Property::MessageId => same_message(v, facts.message_id),
            Property::OriginResource => facts.within(v.trim_end_matches('/'), subordinate),
            Property::RegistryPrefix => facts.registry == v,
            Property::ResourceType => resource_type(facts.origin) == Some(v.as_str()),
        },
    }
}

/// Longest `$filter` accepted, and most comparisons in it.
const MAX_FILTER_BYTES: usize = 4096;
const MAX_TERMS: usize = 64;

/// Parses `$filter` (already percent-decoded): `Prop eq Value` terms joined by `and` / `or`
/// (`and` binds tighter), with parentheses; values bare or in single quotes. An error is the
/// filter text, for a QueryParameterValueFormatError.
pub fn parse(text: &str) -> Result<StreamFilter, String> {
    if text.len() > MAX_FILTER_BYTES {
        return Err(text.to_owned());
    }
    let tokens = tokenize(text).ok_or_else(|| text.to_owned())?;
    let mut p = Parser {
        tokens,
        at: 0,
        subordinate: None,
        terms: 0,
    };
    let expr = p.or().ok_or_else(|| text.to_owned())?;
    if p.at != p.tokens.len() {
        return Err(text.to_owned());
    }
    Ok(StreamFilter {
        expr,
        subordinate: p.subordinate.unwrap_or(false),
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Word(String),
    Quoted(String),
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '\'' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next()? {
                        // OData: a quote inside a string is doubled.
                        '\'' if chars.peek() == Some(&'\'') => {
                            chars.next();
                            s.push('\'');
                        }
                        '\'' => break,
                        other => s.push(other),
                    }
                }
                out.push(Token::Quoted(s));
            }
            _ => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if matches!(c, ' ' | '\t' | '(' | ')' | '\'') {
                        break;
                    }
                    s.push(c);
                    chars.next();
                }
                out.push(Token::Word(s));
            }
        }
    }
    Some(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    subordinate: Option<bool>,
    terms: usize,
}

impl Parser {
    fn peek_word(&self, w: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(x)) if x == w)
    }

    fn or(&mut self) -> Option<SseFilter> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            let right = self.and()?;
            left = SseFilter::Or(Box::new(left), Box::new(right));
        }
        Some(left)
    }

    fn and(&mut self) -> Option<SseFilter> {
        let mut left = self.term()?;
        while self.peek_word("and") {
            self.at += 1;
            let right = self.term()?;
            left = SseFilter::And(Box::new(left), Box::new(right));
        }
        Some(left)
    }

    fn term(&mut self) -> Option<SseFilter> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return None;
        }
        match self.tokens.get(self.at)?.clone() {
            Token::Open => {
                self.at += 1;
                let inner = self.or()?;
                if self.tokens.get(self.at) != Some(&Token::Close) {
                    return None;
                }
                self.at += 1;
                Some(inner)
            }
            Token::Word(name) => {
                self.at += 1;
                if !self.peek_word("eq") {
                    return None;
                }
                self.at += 1;
                let value = match self.tokens.get(self.at)? {
                    Token::Word(v) | Token::Quoted(v) => v.clone(),
                    _ => return None,
                };
                self.at += 1;
                self.comparison(&name, value)
            }
            _ => None,
        }
    }

    fn comparison(&mut self, name: &str, value: String) -> Option<SseFilter> {
        let property = match name {
            "SubordinateResources" => {
                let flag = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return None,
                };
                // Two different answers to one question: refused.
                if self.subordinate.is_some_and(|f| f != flag) {
                    return None;
                }
                self.subordinate = Some(flag);
                return Some(SseFilter::All);
            }
            "EventFormatType" if matches!(value.as_str(), "Event" | "MetricReport") => {
                Property::EventFormatType
            }
            "EventType" => Property::EventType,
            "MessageId" | "MessageIds" => Property::MessageId,
            "OriginResource" | "OriginResources" if value.starts_with("/redfish/v1") => {
                Property::OriginResource
            }
            "RegistryPrefix" | "RegistryPrefixes" => Property::RegistryPrefix,
            "ResourceType" | "ResourceTypes" if RESOURCE_TYPES.contains(&value.as_str()) => {
                Property::ResourceType
            }
            _ => return None,
        };
        Some(SseFilter::Eq(property, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(message_id: &str, origin: &str) -> Value {
        json!({"EventType": "Alert", "MessageId": message_id, "OriginOfCondition": {"@odata.id": origin}})
    }

    #[test]
    fn origins_are_classified_by_collection_or_singleton() {
        for (uri, t) in [
            ("/redfish/v1/Systems/s1-1", Some("ComputerSystem")),
            ("/redfish/v1/Chassis/s1-1/", Some("Chassis")),
            (
                "/redfish/v1/Systems/s1-1/Processors/CPU0",
                Some("Processor"),
            ),
            ("/redfish/v1/EventService", Some("EventService")),
            ("/redfish/v1/Systems", None),
            ("/elsewhere", None),
        ] {
            assert_eq!(resource_type(uri), t, "{uri}");
        }
    }

    #[test]
    fn sse_filters_parse_and_match_as_dsp0266_writes_them() {
        let sys = record(
            "ResourceEvent.1.3.ResourceStatusChangedCritical",
            "/redfish/v1/Systems/s1-1",
        );
        let cpu = record(
            "Base.1.22.Success",
            "/redfish/v1/Systems/s1-1/Processors/CPU0",
        );
        let mgr = record("Base.1.0.Success", "/redfish/v1/Managers/s2-1");
        let rows = [
            ("RegistryPrefix eq ResourceEvent", [true, false, false]),
            (
                "(RegistryPrefix eq Base) or (ResourceType eq ComputerSystem)",
                [true, true, true],
            ),
            ("MessageId eq 'Base.1.0.Success'", [false, true, true]),
            (
                "OriginResource eq '/redfish/v1/Systems/s1-1'",
                [true, false, false],
            ),
            (
                "(OriginResource eq '/redfish/v1/Systems/s1-1') and (SubordinateResources eq true)",
                [true, true, false],
            ),
            (
                "ResourceType eq Manager and RegistryPrefix eq Base",
                [false, false, true],
            ),
            ("EventType eq Alert", [true, true, true]),
            ("EventFormatType eq MetricReport", [false, false, false]),
            (
                "RegistryPrefix eq Base and ResourceType eq Processor or ResourceType eq Manager",
                [false, true, true],
            ),
        ];
        for (text, want) in rows {
            let f = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let got = [f.matches(&sys), f.matches(&cpu), f.matches(&mgr)];
            assert_eq!(got, want, "{text}");
        }
        for bad in [
            "",
            "Colour eq red",
            "RegistryPrefix ne Base",
            "(RegistryPrefix eq Base",
            "RegistryPrefix eq Base or",
            "ResourceType eq Toaster",
            "OriginResource eq /elsewhere",
            "SubordinateResources eq maybe",
            "MessageId eq 'unterminated",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} refused");
        }
    }

    #[test]
    fn subscriptions_filter_by_registry_type_and_origin() {
        let mut sub = super::super::subscription::validate_subscription(
            json!({"Destination": "http://h/e", "Protocol": "Redfish"})
                .as_object()
                .expect("object"),
        )
        .expect("valid");
        let sys = record(
            "ResourceEvent.1.3.ResourceStatusChangedOK",
            "/redfish/v1/Systems/s1-1",
        );
        let cpu = record(
            "Base.1.22.Success",
            "/redfish/v1/Systems/s1-1/Processors/CPU0",
        );
        assert!(wants(&sub, &Facts::of(&sys)) && wants(&sub, &Facts::of(&cpu)));
        sub.registry_prefixes = vec!["Base".into()];
        assert!(!wants(&sub, &Facts::of(&sys)) && wants(&sub, &Facts::of(&cpu)));
        sub.registry_prefixes.clear();
        sub.resource_types = vec!["ComputerSystem".into()];
        assert!(wants(&sub, &Facts::of(&sys)) && !wants(&sub, &Facts::of(&cpu)));
        sub.resource_types.clear();
        sub.origin_resources = vec!["/redfish/v1/Systems/s1-1".into()];
        assert!(wants(&sub, &Facts::of(&sys)) && !wants(&sub, &Facts::of(&cpu)));
        sub.subordinate_resources = true;
        assert!(wants(&sub, &Facts::of(&sys)) && wants(&sub, &Facts::of(&cpu)));
        // A sibling whose id merely starts alike is no subordinate.
        let other = record("Base.1.22.Success", "/redfish/v1/Systems/s1-10");
        assert!(!wants(&sub, &Facts::of(&other)));
    }
}
