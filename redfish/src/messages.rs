//! The DMTF Base message registry, embedded so the product never needs files at run time, and the
//! messages this service raises. Text, severity and resolution always come from the registry, so a
//! client sees exactly the wording the DMTF published.

use serde_json::{Map, Value, json};
use std::sync::LazyLock;

/// The registry file served and used verbatim (DMTF Base 1.22.1).
pub const BASE_REGISTRY_JSON: &str = include_str!("../registry/Base.1.22.1.json");
/// `RegistryName.Major.Minor`, the prefix of every MessageId we emit.
pub const BASE_PREFIX: &str = "Base.1.22";
/// The registry file's Id, used for `/redfish/v1/Registries/Base.1.22.1`.
pub const BASE_REGISTRY_ID: &str = "Base.1.22.1";

/// `@odata.type` of entries in `@Message.ExtendedInfo`.
const MESSAGE_ODATA_TYPE: &str = "#Message.v1_1_1.Message";

static BASE_MESSAGES: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    // The file is compiled in and covered by a test, so a parse failure is a build defect.
    serde_json::from_str::<Value>(BASE_REGISTRY_JSON)
        .ok()
        .and_then(|v| v.get("Messages").and_then(Value::as_object).cloned())
        .unwrap_or_default()
});

/// A registry message with its arguments: the form that crosses the gRPC hop (key + args).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    key: String,
    args: Vec<String>,
    /// The aggregated BMC the message is about, shown as `Oem.RedDrum.Bmc` so a client knows which
    /// server failed without ever seeing its address.
    bmc: Option<String>,
}

impl Message {
    /// A message by registry key. Unknown keys fall back to `InternalError` so a client never sees
    /// a MessageId that does not exist in the registry.
    pub fn new(key: &str, args: Vec<String>) -> Self {
        let known = BASE_MESSAGES
            .get(key)
            .and_then(|m| m.get("NumberOfArgs"))
            .and_then(Value::as_u64)
            .map(|n| n as usize);
        match known {
            Some(n) if n == args.len() => Message {
                key: key.to_owned(),
                args,
                bmc: None,
            },
            // Wrong arity: keep the message but pad/truncate so the rendered text stays whole.
            Some(n) => {
                let mut args = args;
                args.resize(n, String::new());
                Message {
                    key: key.to_owned(),
                    args,
                    bmc: None,
                }
            }
            None => Message {
                key: "InternalError".to_owned(),
                args: Vec::new(),
                bmc: None,
            },
        }
    }

    /// Marks the message as concerning one aggregated BMC (by its id).
    pub fn for_bmc(mut self, bmc: &str) -> Self {
        self.bmc = Some(bmc.to_owned());
        self
    }

    pub fn bmc(&self) -> Option<&str> {
        self.bmc.as_deref()
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// `Base.1.22.<Key>`.
    pub fn message_id(&self) -> String {
        format!("{BASE_PREFIX}.{}", self.key)
    }

    fn registry_field(&self, field: &str) -> &'static str {
        BASE_MESSAGES
            .get(&self.key)
            .and_then(|m| m.get(field))
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The registry text with `%1..%n` replaced by the arguments.
    pub fn text(&self) -> String {
        fill(self.registry_field("Message"), &self.args)
    }

    pub fn severity(&self) -> &'static str {
        match self.registry_field("MessageSeverity") {
            "" => "Critical",
            s => s,
        }
    }

    pub fn resolution(&self) -> &'static str {
        self.registry_field("Resolution")
    }

    /// One entry of `@Message.ExtendedInfo`.
    pub fn extended_info(&self) -> Value {
        let mut info = json!({
            "@odata.type": MESSAGE_ODATA_TYPE,
            "MessageId": self.message_id(),
            "Message": self.text(),
            "MessageArgs": self.args,
            "MessageSeverity": self.severity(),
            "Resolution": self.resolution(),
        });
        if let (Some(bmc), Some(obj)) = (&self.bmc, info.as_object_mut()) {
            obj.insert("Oem".into(), json!({"RedDrum": {"Bmc": bmc}}));
        }
        info
    }

    /// Like [`Message::extended_info`], naming the properties the message is about (JSON pointers).
    pub fn extended_info_for(&self, related_properties: &[String]) -> Value {
        let mut info = self.extended_info();
        if let Some(obj) = info.as_object_mut() {
            obj.insert("RelatedProperties".into(), json!(related_properties));
        }
        info
    }
}

/// Constructors for the messages our services raise, one per registry key, so call sites never
/// spell a key or an argument order by hand.
impl Message {
    fn of(key: &str, args: &[&str]) -> Self {
        Message::new(key, args.iter().map(|a| (*a).to_owned()).collect())
    }
    pub fn success() -> Self {
        Self::of("Success", &[])
    }
    pub fn created() -> Self {
        Self::of("Created", &[])
    }
    pub fn internal_error() -> Self {
        Self::of("InternalError", &[])
    }
    pub fn resource_not_found(resource_type: &str, id: &str) -> Self {
        Self::of("ResourceNotFound", &[resource_type, id])
    }
    pub fn resource_missing_at_uri(uri: &str) -> Self {
        Self::of("ResourceMissingAtURI", &[uri])
    }
    pub fn operation_not_allowed() -> Self {
        Self::of("OperationNotAllowed", &[])
    }
    pub fn action_not_supported(action: &str) -> Self {
        Self::of("ActionNotSupported", &[action])
    }
    pub fn malformed_json() -> Self {
        Self::of("MalformedJSON", &[])
    }
    pub fn unrecognized_request_body() -> Self {
        Self::of("UnrecognizedRequestBody", &[])
    }
    pub fn property_unknown(property: &str) -> Self {
        Self::of("PropertyUnknown", &[property])
    }
    pub fn property_not_writable(property: &str) -> Self {
        Self::of("PropertyNotWritable", &[property])
    }
    pub fn property_missing(property: &str) -> Self {
        Self::of("PropertyMissing", &[property])
    }
    pub fn property_value_type_error(value: &str, property: &str) -> Self {
        Self::of("PropertyValueTypeError", &[value, property])
    }
    pub fn property_value_format_error(value: &str, property: &str) -> Self {
        Self::of("PropertyValueFormatError", &[value, property])
    }
    pub fn property_value_not_in_list(value: &str, property: &str) -> Self {
        Self::of("PropertyValueNotInList", &[value, property])
    }
    pub fn property_value_out_of_range(value: &str, property: &str) -> Self {
        Self::of("PropertyValueOutOfRange", &[value, property])
    }
    pub fn action_parameter_missing(action: &str, parameter: &str) -> Self {
        Self::of("ActionParameterMissing", &[action, parameter])
    }
    pub fn action_parameter_unknown(action: &str, parameter: &str) -> Self {
        Self::of("ActionParameterUnknown", &[action, parameter])
    }
    pub fn action_parameter_value_type_error(value: &str, parameter: &str, action: &str) -> Self {
        Self::of("ActionParameterValueTypeError", &[value, parameter, action])
    }
    pub fn action_parameter_value_not_in_list(value: &str, parameter: &str, action: &str) -> Self {
        Self::of("ActionParameterValueNotInList", &[value, parameter, action])
    }
    pub fn action_parameter_value_format_error(value: &str, parameter: &str, action: &str) -> Self {
        Self::of(
            "ActionParameterValueFormatError",
            &[value, parameter, action],
        )
    }
    pub fn action_parameter_value_out_of_range(value: &str, parameter: &str, action: &str) -> Self {
        Self::of(
            "ActionParameterValueOutOfRange",
            &[value, parameter, action],
        )
    }
    pub fn action_parameter_value_error(parameter: &str, action: &str) -> Self {
        Self::of("ActionParameterValueError", &[parameter, action])
    }
    pub fn action_parameter_not_supported(parameter: &str, action: &str) -> Self {
        Self::of("ActionParameterNotSupported", &[parameter, action])
    }
    pub fn query_not_supported_on_resource() -> Self {
        Self::of("QueryNotSupportedOnResource", &[])
    }
    pub fn query_parameter_unsupported(parameter: &str) -> Self {
        Self::of("QueryParameterUnsupported", &[parameter])
    }
    pub fn query_parameter_value_format_error(value: &str, parameter: &str) -> Self {
        Self::of("QueryParameterValueFormatError", &[value, parameter])
    }
    pub fn query_parameter_value_type_error(value: &str, parameter: &str) -> Self {
        Self::of("QueryParameterValueTypeError", &[value, parameter])
    }
    pub fn query_parameter_out_of_range(value: &str, parameter: &str, range: &str) -> Self {
        Self::of("QueryParameterOutOfRange", &[value, parameter, range])
    }
    pub fn query_combination_invalid() -> Self {
        Self::of("QueryCombinationInvalid", &[])
    }
    pub fn query_not_supported_on_operation() -> Self {
        Self::of("QueryNotSupportedOnOperation", &[])
    }
    pub fn resource_already_exists(resource_type: &str, property: &str, value: &str) -> Self {
        Self::of("ResourceAlreadyExists", &[resource_type, property, value])
    }
    pub fn resource_in_use() -> Self {
        Self::of("ResourceInUse", &[])
    }
    /// `uri` as sent, shortened to what a client needs to recognise it.
    pub fn invalid_uri(uri: &str) -> Self {
        let shown: String = uri.chars().take(200).collect();
        Self::of("InvalidURI", &[&shown])
    }
    pub fn resource_cannot_be_deleted() -> Self {
        Self::of("ResourceCannotBeDeleted", &[])
    }
    pub fn resource_at_uri_unauthorized(uri: &str, reason: &str) -> Self {
        Self::of("ResourceAtUriUnauthorized", &[uri, reason])
    }
    pub fn no_valid_session() -> Self {
        Self::of("NoValidSession", &[])
    }
    pub fn insufficient_privilege() -> Self {
        Self::of("InsufficientPrivilege", &[])
    }
    pub fn password_change_required(account_uri: &str) -> Self {
        Self::of("PasswordChangeRequired", &[account_uri])
    }
    pub fn service_temporarily_unavailable(retry_after_secs: u64) -> Self {
        Self::new(
            "ServiceTemporarilyUnavailable",
            vec![retry_after_secs.to_string()],
        )
    }
    pub fn service_shutting_down() -> Self {
        Self::of("ServiceShuttingDown", &[])
    }
    pub fn operation_timeout() -> Self {
        Self::of("OperationTimeout", &[])
    }
    pub fn operation_failed() -> Self {
        Self::of("OperationFailed", &[])
    }
    pub fn precondition_failed() -> Self {
        Self::of("PreconditionFailed", &[])
    }
    pub fn payload_too_large() -> Self {
        Self::of("PayloadTooLarge", &[])
    }
    pub fn header_invalid(header: &str) -> Self {
        Self::of("HeaderInvalid", &[header])
    }
    pub fn session_limit_exceeded() -> Self {
        Self::of("SessionLimitExceeded", &[])
    }
    pub fn create_failed_missing_req_properties(property: &str) -> Self {
        Self::of("CreateFailedMissingReqProperties", &[property])
    }
    pub fn could_not_establish_connection(uri: &str) -> Self {
        Self::of("CouldNotEstablishConnection", &[uri])
    }
    pub fn no_operation() -> Self {
        Self::of("NoOperation", &[])
    }
    pub fn property_value_incorrect(property: &str, value: &str) -> Self {
        Self::of("PropertyValueIncorrect", &[property, value])
    }
    pub fn property_value_conflict(property: &str, other_property: &str) -> Self {
        Self::of("PropertyValueConflict", &[property, other_property])
    }
    pub fn property_value_resource_conflict(property: &str, value: &str, uri: &str) -> Self {
        Self::of("PropertyValueResourceConflict", &[property, value, uri])
    }
}

/// A registry template with `%1..%n` replaced by `args` (a `%` without a matching argument stays).
pub(crate) fn fill(template: &str, args: &[String]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        match after[..digits].parse::<usize>() {
            Ok(n) if n >= 1 && n <= args.len() => {
                out.push_str(&args[n - 1]);
                rest = &after[digits..];
            }
            _ => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_embedded_and_parses() {
        assert!(BASE_MESSAGES.len() > 100);
        assert!(BASE_REGISTRY_JSON.contains(BASE_REGISTRY_ID));
    }

    #[test]
    fn text_substitutes_arguments_in_order() {
        let m = Message::resource_not_found("ComputerSystem", "s1-1");
        assert_eq!(
            m.text(),
            "The requested resource of type ComputerSystem named 's1-1' was not found."
        );
        assert_eq!(m.message_id(), "Base.1.22.ResourceNotFound");
        assert_eq!(m.severity(), "Critical");
        assert!(!m.resolution().is_empty());
    }

    #[test]
    fn a_bmc_message_names_the_bmc_in_oem() {
        let info = Message::operation_timeout().for_bmc("s3").extended_info();
        assert_eq!(info["Oem"]["RedDrum"]["Bmc"], "s3");
        assert!(
            Message::operation_timeout()
                .extended_info()
                .get("Oem")
                .is_none()
        );
    }

    #[test]
    fn unknown_key_becomes_internal_error() {
        let m = Message::new("NoSuchMessage", vec![]);
        assert_eq!(m.key(), "InternalError");
    }

    #[test]
    fn wrong_arity_is_padded_so_text_has_no_placeholders() {
        let m = Message::new("PropertyUnknown", vec![]);
        assert_eq!(m.args().len(), 1);
        assert!(!m.text().contains("%1"));
    }

    #[test]
    fn every_constructor_uses_a_key_that_exists() {
        let all = [
            Message::success(),
            Message::created(),
            Message::resource_not_found("a", "b"),
            Message::resource_missing_at_uri("u"),
            Message::operation_not_allowed(),
            Message::action_not_supported("a"),
            Message::malformed_json(),
            Message::unrecognized_request_body(),
            Message::property_unknown("p"),
            Message::property_not_writable("p"),
            Message::property_missing("p"),
            Message::property_value_type_error("v", "p"),
            Message::property_value_format_error("v", "p"),
            Message::property_value_not_in_list("v", "p"),
            Message::property_value_out_of_range("v", "p"),
            Message::action_parameter_missing("a", "p"),
            Message::action_parameter_value_not_in_list("v", "p", "a"),
            Message::action_parameter_unknown("a", "p"),
            Message::action_parameter_value_type_error("v", "p", "a"),
            Message::query_not_supported_on_resource(),
            Message::query_parameter_unsupported("p"),
            Message::query_parameter_value_format_error("v", "p"),
            Message::resource_already_exists("t", "p", "v"),
            Message::resource_in_use(),
            Message::resource_cannot_be_deleted(),
            Message::resource_at_uri_unauthorized("u", "r"),
            Message::no_valid_session(),
            Message::insufficient_privilege(),
            Message::password_change_required("u"),
            Message::service_temporarily_unavailable(5),
            Message::service_shutting_down(),
            Message::operation_timeout(),
            Message::operation_failed(),
            Message::precondition_failed(),
            Message::payload_too_large(),
            Message::header_invalid("h"),
            Message::session_limit_exceeded(),
            Message::create_failed_missing_req_properties("p"),
            Message::could_not_establish_connection("u"),
            Message::no_operation(),
            Message::property_value_incorrect("p", "v"),
            Message::property_value_conflict("p", "q"),
            Message::property_value_resource_conflict("p", "v", "u"),
        ];
        for m in all {
            assert_ne!(m.key(), "InternalError", "{m:?}");
            assert!(!m.text().contains('%'), "{m:?}");
        }
    }
}
