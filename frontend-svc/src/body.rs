//! Request bodies of the resources the frontend owns: the content type, the JSON syntax, and each
//! property checked against the resource's table before anything is written. Every problem in a
//! body is reported at once, each naming its property.

use crate::error::FrontendError;
use crate::request::Request;
use redfish::messages::Message;
use serde_json::{Map, Value};

/// The JSON type a property accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Bool,
    Integer,
    StringArray,
}

/// Whether a property may be given on create (POST).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnCreate {
    Required,
    Optional,
    Refused,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub create: OnCreate,
    /// Writable by PATCH.
    pub patch: bool,
    /// Never echoed back in a message (passwords).
    pub secret: bool,
}

impl Field {
    pub const fn new(name: &'static str, kind: Kind, create: OnCreate, patch: bool) -> Self {
        Field {
            name,
            kind,
            create,
            patch,
            secret: false,
        }
    }

    pub const fn secret(mut self) -> Self {
        self.secret = true;
        self
    }
}

/// The writable properties of a resource and the read-only ones it shows.
#[derive(Debug)]
pub struct Schema {
    pub fields: &'static [Field],
    pub read_only: &'static [&'static str],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Patch,
}

/// Placeholder shown instead of a secret value.
pub const REDACTED: &str = "******";

/// The body as a JSON object: 415 for a declared non-JSON type, 400 MalformedJSON for bad syntax,
/// 400 UnrecognizedRequestBody for JSON that is not an object.
pub fn json_object(request: &Request) -> Result<Map<String, Value>, FrontendError> {
    if let Some(ct) = request.header("content-type") {
        let mime = ct.split(';').next().unwrap_or("").trim();
        if !mime.eq_ignore_ascii_case("application/json") {
            return Err(FrontendError::UnsupportedMediaType);
        }
    }
    match serde_json::from_slice::<Value>(&request.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(FrontendError::bad_request(
            Message::unrecognized_request_body(),
        )),
        Err(_) => Err(FrontendError::bad_request(Message::malformed_json())),
    }
}

/// The top-level property names of a JSON-object body, if it is one (for privilege overrides).
pub fn property_names(body: &[u8]) -> Option<Vec<String>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Some(map.keys().cloned().collect()),
        _ => None,
    }
}

fn matches(kind: Kind, v: &Value) -> bool {
    match kind {
        Kind::String => v.is_string(),
        Kind::Bool => v.is_boolean(),
        Kind::Integer => v.is_i64() || v.is_u64(),
        Kind::StringArray => v
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string)),
    }
}

/// A value as a message argument.
pub fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One problem for `Invalid`, naming the property as a JSON pointer.
pub fn problem(message: Message, property: &str) -> (Message, String) {
    (message, format!("#/{property}"))
}

/// Checks every property: unknown ones (PropertyUnknown), read-only ones (PropertyNotWritable),
/// wrong JSON types (PropertyValueTypeError) and, on create, missing required ones
/// (CreateFailedMissingReqProperties). An empty PATCH is NoOperation.
pub fn validate(
    body: &Map<String, Value>,
    schema: &Schema,
    mode: Mode,
) -> Result<(), FrontendError> {
    let mut problems = Vec::new();
    // OData annotations in a PATCH (a client echoing @odata.id or @odata.etag back) are not
    // changes: ignored, and a body of nothing else is NoOperation (DSP0266).
    let is_annotation = |name: &str| mode == Mode::Patch && name.starts_with("@odata.");
    if mode == Mode::Patch && body.keys().all(|k| is_annotation(k)) {
        return Err(FrontendError::bad_request(Message::no_operation()));
    }
    for (name, value) in body.iter().filter(|(k, _)| !is_annotation(k)) {
        match schema.fields.iter().find(|f| f.name == name) {
            Some(f) => {
                let writable = match mode {
                    Mode::Create => f.create != OnCreate::Refused,
                    Mode::Patch => f.patch,
                };
                if !writable {
                    problems.push(problem(Message::property_not_writable(name), name));
                } else if !matches(f.kind, value) {
                    let v = if f.secret {
                        REDACTED.to_owned()
                    } else {
                        shown(value)
                    };
                    problems.push(problem(Message::property_value_type_error(&v, name), name));
                }
            }
            None if schema.read_only.contains(&name.as_str()) || name.starts_with("@odata.") => {
                problems.push(problem(Message::property_not_writable(name), name));
            }
            None => problems.push(problem(Message::property_unknown(name), name)),
        }
    }
    if mode == Mode::Create {
        for f in schema.fields {
            if f.create == OnCreate::Required && !body.contains_key(f.name) {
                problems.push(problem(
                    Message::create_failed_missing_req_properties(f.name),
                    f.name,
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(FrontendError::Invalid(problems))
    }
}

pub fn string<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    body.get(name).and_then(Value::as_str)
}

pub fn boolean(body: &Map<String, Value>, name: &str) -> Option<bool> {
    body.get(name).and_then(Value::as_bool)
}

pub fn strings(body: &Map<String, Value>, name: &str) -> Option<Vec<String>> {
    body.get(name).and_then(Value::as_array).map(|items| {
        items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    fn ids(e: FrontendError) -> Vec<(String, String)> {
        match e {
            FrontendError::Invalid(p) => p
                .into_iter()
                .map(|(m, r)| (m.key().to_owned(), r))
                .collect(),
            FrontendError::BadRequest { message, .. } => {
                vec![(message.key().to_owned(), String::new())]
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn odata_annotations_in_a_patch_are_ignored_and_alone_are_no_operation() {
        let only = obj(json!({"@odata.id": "/y", "@odata.etag": "W/\"1\""}));
        let got = ids(validate(&only, &SCHEMA, Mode::Patch).expect_err("no operation"));
        assert_eq!(got, vec![("NoOperation".to_owned(), String::new())]);
        let with_change = obj(json!({"@odata.id": "/y", "UserName": "bob"}));
        assert!(validate(&with_change, &SCHEMA, Mode::Patch).is_ok());
    }

    #[test]
    fn every_problem_is_reported_with_its_property() {
        let body = obj(json!({
            "UserName": 5, "Password": 7, "Id": "x", "@odata.id": "/y", "Bogus": 1,
            "Count": 3, "Tags": ["a", 1]
        }));
        let mut got = ids(validate(&body, &SCHEMA, Mode::Create).expect_err("invalid"));
        got.sort();
        let mut want = vec![
            ("PropertyValueTypeError", "#/UserName"),
            ("PropertyValueTypeError", "#/Password"),
            ("PropertyNotWritable", "#/Id"),
            ("PropertyNotWritable", "#/@odata.id"),
            ("PropertyUnknown", "#/Bogus"),
            ("PropertyNotWritable", "#/Count"),
            ("PropertyValueTypeError", "#/Tags"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect::<Vec<_>>();
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn secrets_are_not_echoed() {
        let body = obj(json!({"UserName": "u", "Password": 12345}));
        match validate(&body, &SCHEMA, Mode::Create) {
            Err(FrontendError::Invalid(p)) => {
                assert_eq!(p[0].0.args()[0], REDACTED);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn required_on_create_and_empty_patch() {
        let got = ids(
            validate(&obj(json!({"Enabled": true})), &SCHEMA, Mode::Create).expect_err("missing"),
        );
        assert_eq!(got.len(), 2);
        assert!(
            got.iter()
                .all(|(k, _)| k == "CreateFailedMissingReqProperties")
        );
        let got = ids(validate(&Map::new(), &SCHEMA, Mode::Patch).expect_err("empty"));
        assert_eq!(got[0].0, "NoOperation");
        validate(
            &obj(json!({"Count": -1, "Enabled": false})),
            &SCHEMA,
            Mode::Patch,
        )
        .expect("valid patch");
        let got =
            ids(validate(&obj(json!({"Tags": []})), &SCHEMA, Mode::Patch)
                .expect_err("not patchable"));
        assert_eq!(
            got,
            [("PropertyNotWritable".to_owned(), "#/Tags".to_owned())]
        );
    }

    fn request(ct: Option<&str>, body: &str) -> Request {
        let mut headers = http::HeaderMap::new();
        if let Some(ct) = ct {
            headers.insert("content-type", ct.parse().expect("header"));
        }
        Request {
            id: "t".into(),
            method: http::Method::POST,
            path: "/x".into(),
            query: String::new(),
            headers,
            body: bytes::Bytes::from(body.to_owned()),
            peer: None,
            client: Default::default(),
        }
    }

    #[test]
    fn content_type_and_syntax() {
        assert!(json_object(&request(Some("application/json; charset=utf-8"), "{}")).is_ok());
        assert!(json_object(&request(None, "{\"a\":1}")).is_ok());
        assert!(matches!(
            json_object(&request(Some("text/plain"), "{}")),
            Err(FrontendError::UnsupportedMediaType)
        ));
        let keys = |r: Result<Map<String, Value>, FrontendError>| match r {
            Err(FrontendError::BadRequest { message, .. }) => message.key().to_owned(),
            other => format!("{other:?}"),
        };
        assert_eq!(keys(json_object(&request(None, "{nope"))), "MalformedJSON");
        assert_eq!(keys(json_object(&request(None, ""))), "MalformedJSON");
        assert_eq!(
            keys(json_object(&request(None, "[1]"))),
            "UnrecognizedRequestBody"
        );
        assert_eq!(
            property_names(b"{\"Password\":\"x\"}"),
            Some(vec!["Password".to_owned()])
        );
        assert_eq!(property_names(b"[]"), None);
    }
}
