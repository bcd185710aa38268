//! The Redfish error response body (DSP0266 "Error responses"): an `error` object whose `code` and
//! `message` repeat the first message, and `@Message.ExtendedInfo` listing every message.

use crate::messages::Message;
use serde_json::{Value, json};

/// The body for one or more messages; the first one is the headline.
pub fn error_body(messages: &[Message]) -> Value {
    let first = messages
        .first()
        .cloned()
        .unwrap_or_else(Message::internal_error);
    let infos: Vec<Value> = if messages.is_empty() {
        vec![first.extended_info()]
    } else {
        messages.iter().map(Message::extended_info).collect()
    };
    json!({
        "error": {
            "code": first.message_id(),
            "message": first.text(),
            "@Message.ExtendedInfo": infos,
        }
    })
}

/// A body for one message that concerns particular request properties (JSON pointers, e.g. "#/Name").
pub fn error_body_for(message: &Message, related_properties: &[String]) -> Value {
    json!({
        "error": {
            "code": message.message_id(),
            "message": message.text(),
            "@Message.ExtendedInfo": [message.extended_info_for(related_properties)],
        }
    })
}

/// Serialized error body, ready to send.
pub fn error_bytes(messages: &[Message]) -> Vec<u8> {
    // Serializing a Value built from strings cannot fail.
    serde_json::to_vec(&error_body(messages)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_code_message_and_extended_info() {
        let body = error_body(&[Message::no_valid_session()]);
        assert_eq!(body["error"]["code"], "Base.1.22.NoValidSession");
        assert_eq!(
            body["error"]["message"],
            "There is no valid session established with the implementation."
        );
        let info = &body["error"]["@Message.ExtendedInfo"][0];
        assert_eq!(info["MessageId"], "Base.1.22.NoValidSession");
        assert_eq!(info["MessageSeverity"], "Critical");
        assert_eq!(info["@odata.type"], "#Message.v1_1_1.Message");
    }

    #[test]
    fn several_messages_are_all_listed_first_is_headline() {
        let body = error_body(&[
            Message::property_unknown("Foo"),
            Message::property_not_writable("Id"),
        ]);
        assert_eq!(body["error"]["code"], "Base.1.22.PropertyUnknown");
        assert_eq!(
            body["error"]["@Message.ExtendedInfo"]
                .as_array()
                .map(Vec::len),
            Some(2)
        );
    }

    #[test]
    fn empty_list_still_yields_a_valid_body() {
        let body = error_body(&[]);
        assert_eq!(body["error"]["code"], "Base.1.22.InternalError");
    }

    #[test]
    fn related_properties_are_named() {
        let body = error_body_for(&Message::property_unknown("Foo"), &["#/Foo".to_owned()]);
        assert_eq!(
            body["error"]["@Message.ExtendedInfo"][0]["RelatedProperties"][0],
            "#/Foo"
        );
    }
}
