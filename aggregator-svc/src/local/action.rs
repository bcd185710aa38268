//! Action request bodies: a JSON object whose parameters are read with their type checked, every
//! problem reported as the Base registry's ActionParameter* message naming the parameter.

use super::patch::object_body;
use crate::error::AggError;
use redfish::messages::Message;
use serde_json::{Map, Value};

#[derive(Debug)]
pub struct ActionBody<'a> {
    action: &'a str,
    map: Map<String, Value>,
}

fn bad(message: Message) -> AggError {
    AggError::BadRequest { message }
}

impl<'a> ActionBody<'a> {
    /// The body as an object (an empty body is `{}`); a parameter not in `known` is refused
    /// (OData annotations are ignored).
    pub fn parse(body: &[u8], action: &'a str, known: &[&str]) -> Result<Self, AggError> {
        let map = if body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            object_body(body)?
        };
        if let Some(unknown) = map
            .keys()
            .find(|k| !k.starts_with('@') && !known.contains(&k.as_str()))
        {
            return Err(bad(Message::action_parameter_unknown(action, unknown)));
        }
        Ok(ActionBody { action, map })
    }

    fn type_error(&self, name: &str, value: &Value) -> AggError {
        bad(Message::action_parameter_value_type_error(
            &value.to_string(),
            name,
            self.action,
        ))
    }

    fn missing(&self, name: &str) -> AggError {
        bad(Message::action_parameter_missing(self.action, name))
    }

    pub fn string(&self, name: &str) -> Result<Option<String>, AggError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.type_error(name, other)),
        }
    }

    pub fn required_string(&self, name: &str) -> Result<String, AggError> {
        self.string(name)?.ok_or_else(|| self.missing(name))
    }

    pub fn strings(&self, name: &str) -> Result<Vec<String>, AggError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| self.type_error(name, v))
                })
                .collect(),
            Some(other) => Err(self.type_error(name, other)),
        }
    }

    /// A required array of strings: absent or null is missing; an empty array is refused too
    /// (ActionParameterValueError), since a required list names at least one thing.
    pub fn required_strings(&self, name: &str) -> Result<Vec<String>, AggError> {
        if matches!(self.map.get(name), None | Some(Value::Null)) {
            return Err(self.missing(name));
        }
        let items = self.strings(name)?;
        if items.is_empty() {
            return Err(bad(Message::action_parameter_value_error(
                name,
                self.action,
            )));
        }
        Ok(items)
    }

    /// The body as the client sent it (parameters and annotations), e.g. to pass it on.
    pub fn into_map(self) -> Map<String, Value> {
        self.map
    }

    pub fn integer(&self, name: &str) -> Result<Option<i64>, AggError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or_else(|| self.type_error(name, v)),
        }
    }

    /// A link parameter: `{"@odata.id": uri}` (a bare URI string is accepted too, as some
    /// clients send it), trailing slash ignored.
    pub fn required_link(&self, name: &str) -> Result<String, AggError> {
        let value = self.map.get(name).ok_or_else(|| self.missing(name))?;
        link_uri(value).ok_or_else(|| self.type_error(name, value))
    }

    /// A required array of links, each read as [`ActionBody::required_link`] reads one.
    pub fn required_links(&self, name: &str) -> Result<Vec<String>, AggError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Err(self.missing(name)),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| link_uri(v).ok_or_else(|| self.type_error(name, v)))
                .collect(),
            Some(other) => Err(self.type_error(name, other)),
        }
    }

    /// An optional string parameter that must be one of `allowed`.
    pub fn one_of(&self, name: &str, allowed: &[&str]) -> Result<Option<String>, AggError> {
        let value = self.string(name)?;
        match value {
            Some(v) if !allowed.contains(&v.as_str()) => Err(bad(
                Message::action_parameter_value_not_in_list(&v, name, self.action),
            )),
            other => Ok(other),
        }
    }

    /// A parameter the schema defines but this service does not support: present is refused.
    pub fn refuse(&self, name: &str) -> Result<(), AggError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(()),
            Some(_) => Err(bad(Message::action_parameter_not_supported(
                name,
                self.action,
            ))),
        }
    }

    /// A parameter's value as text, for an error message.
    pub fn text_of(&self, name: &str) -> String {
        match self.map.get(name) {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    }
}

/// The URI of a link (`{"@odata.id": uri}`, or a bare URI string), trailing slash ignored.
pub fn link_uri(value: &Value) -> Option<String> {
    let uri = match value {
        Value::Object(o) => o.get("@odata.id").and_then(Value::as_str),
        Value::String(s) => Some(s.as_str()),
        _ => None,
    }?;
    Some(match uri.strip_suffix('/') {
        Some(u) if !u.is_empty() => u.to_owned(),
        _ => uri.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(r: Result<impl std::fmt::Debug, AggError>) -> String {
        match r {
            Err(AggError::BadRequest { message }) => message.key().to_owned(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn parameters_are_typed_and_problems_named() {
        let body = br#"{"A":"x","N":3,"L":{"@odata.id":"/redfish/v1/X/"},"S":["a","b"],
            "E":[{"@odata.id":"/redfish/v1/Y/"},"/redfish/v1/Z"],"F":[{"x":1}],"@Redfish.Op":1}"#;
        let b =
            ActionBody::parse(body, "Act", &["A", "N", "L", "S", "E", "F", "Z"]).expect("parsed");
        assert_eq!(
            b.required_links("E").expect("E"),
            ["/redfish/v1/Y", "/redfish/v1/Z"]
        );
        assert_eq!(key(b.required_links("F")), "ActionParameterValueTypeError");
        assert_eq!(key(b.required_links("L")), "ActionParameterValueTypeError");
        assert_eq!(key(b.required_links("Z")), "ActionParameterMissing");
        assert_eq!(b.required_string("A").expect("A"), "x");
        assert_eq!(b.integer("N").expect("N"), Some(3));
        assert_eq!(b.required_link("L").expect("L"), "/redfish/v1/X");
        assert_eq!(b.strings("S").expect("S"), vec!["a", "b"]);
        assert_eq!(b.required_strings("S").expect("S"), vec!["a", "b"]);
        assert_eq!(key(b.required_strings("Z")), "ActionParameterMissing");
        assert_eq!(
            key(b.required_strings("F")),
            "ActionParameterValueTypeError"
        );
        let empty = ActionBody::parse(br#"{"S":[]}"#, "Act", &["S"]).expect("parsed");
        assert_eq!(
            key(empty.required_strings("S")),
            "ActionParameterValueError"
        );
        assert_eq!(key(b.required_string("Z")), "ActionParameterMissing");
        assert_eq!(key(b.required_string("N")), "ActionParameterValueTypeError");
        assert_eq!(key(b.strings("A")), "ActionParameterValueTypeError");
        assert_eq!(key(b.one_of("A", &["y"])), "ActionParameterValueNotInList");
        assert_eq!(b.one_of("A", &["x"]).expect("listed"), Some("x".into()));
        assert_eq!(key(b.refuse("A")), "ActionParameterNotSupported");
        assert!(b.refuse("Z").is_ok());
        assert_eq!(
            key(ActionBody::parse(br#"{"Q":1}"#, "Act", &["A"])),
            "ActionParameterUnknown"
        );
        assert_eq!(
            key(ActionBody::parse(b"[1]", "Act", &["A"])),
            "UnrecognizedRequestBody"
        );
        assert_eq!(key(ActionBody::parse(b"{", "Act", &["A"])), "MalformedJSON");
        assert!(ActionBody::parse(b"", "Act", &[]).is_ok());
    }
}
