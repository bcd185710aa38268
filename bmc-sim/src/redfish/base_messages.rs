//! Base registry messages used by the simulator (text copied from Base.1.22.1).
//! Generated from `../shared/redfish/registries/Base.1.22.1.json`; keep in sync by hand.

/// Registry prefix and version used in every `MessageId` (`Base.1.22.<Key>`).
pub(crate) const BASE_PREFIX: &str = "Base.1.22";

/// One Base registry message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BaseMessage {
    Success,
    GeneralError,
    InternalError,
    ResourceNotFound,
    OperationNotAllowed,
    PropertyUnknown,
    PropertyNotWritable,
    PropertyValueTypeError,
    PropertyValueNotInList,
    PropertyValueFormatError,
    PreconditionFailed,
    NoValidSession,
    ResourceAtUriUnauthorized,
    ServiceTemporarilyUnavailable,
    MalformedJSON,
    PropertyMissing,
    ActionParameterMissing,
    ActionParameterUnknown,
    ActionParameterValueNotInList,
    ResourceAlreadyExists,
    NoOperation,
    ResourceInUse,
}

impl BaseMessage {
    /// Key within the registry, e.g. `ResourceNotFound`.
    pub(crate) fn key(self) -> &'static str {
        match self {
            BaseMessage::Success => "Success",
            BaseMessage::GeneralError => "GeneralError",
            BaseMessage::InternalError => "InternalError",
            BaseMessage::ResourceNotFound => "ResourceNotFound",
            BaseMessage::OperationNotAllowed => "OperationNotAllowed",
            BaseMessage::PropertyUnknown => "PropertyUnknown",
            BaseMessage::PropertyNotWritable => "PropertyNotWritable",
            BaseMessage::PropertyValueTypeError => "PropertyValueTypeError",
            BaseMessage::PropertyValueNotInList => "PropertyValueNotInList",
            BaseMessage::PropertyValueFormatError => "PropertyValueFormatError",
            BaseMessage::PreconditionFailed => "PreconditionFailed",
            BaseMessage::NoValidSession => "NoValidSession",
            BaseMessage::ResourceAtUriUnauthorized => "ResourceAtUriUnauthorized",
            BaseMessage::ServiceTemporarilyUnavailable => "ServiceTemporarilyUnavailable",
            BaseMessage::MalformedJSON => "MalformedJSON",
            BaseMessage::PropertyMissing => "PropertyMissing",
            BaseMessage::ActionParameterMissing => "ActionParameterMissing",
            BaseMessage::ActionParameterUnknown => "ActionParameterUnknown",
            BaseMessage::ActionParameterValueNotInList => "ActionParameterValueNotInList",
            BaseMessage::ResourceAlreadyExists => "ResourceAlreadyExists",
            BaseMessage::NoOperation => "NoOperation",
            BaseMessage::ResourceInUse => "ResourceInUse",
        }
    }

    /// (message template with %1.. placeholders, severity, resolution).
    pub(crate) fn text(self) -> (&'static str, &'static str, &'static str) {
        match self {
            BaseMessage::Success => ("The request completed successfully.", "OK", "None."),
            BaseMessage::GeneralError => (
                "A general error has occurred.  See Resolution for information on how to resolve the error, or @Message.ExtendedInfo if Resolution is not provided.",
                "Critical",
                "None.",
            ),
            BaseMessage::InternalError => (
                "The request failed due to an internal service error.  The service is still operational.",
                "Critical",
                "Resubmit the request.  If the problem persists, consider resetting the service.",
            ),
            BaseMessage::ResourceNotFound => (
                "The requested resource of type %1 named '%2' was not found.",
                "Critical",
                "Provide a valid resource identifier and resubmit the request.",
            ),
            BaseMessage::OperationNotAllowed => (
                "The HTTP method is not allowed on this resource.",
                "Critical",
                "None.",
            ),
            BaseMessage::PropertyUnknown => (
                "The property %1 is not in the list of valid properties for the resource.",
                "Warning",
                "Remove the unknown property from the request body and resubmit the request if the operation failed.",
            ),
            BaseMessage::PropertyNotWritable => (
                "The property %1 is a read-only property and cannot be assigned a value.",
                "Warning",
                "Remove the property from the request body and resubmit the request if the operation failed.",
            ),
            BaseMessage::PropertyValueTypeError => (
                "The value '%1' for the property %2 is not a type that the property can accept.",
                "Warning",
                "Correct the value for the property in the request body and resubmit the request if the operation failed.",
            ),
            BaseMessage::PropertyValueFormatError => (
                "The value '%1' for the property %2 is not a format that the property can accept.",
                "Warning",
                "Correct the value for the property in the request body and resubmit the request if the operation failed.",
            ),
            BaseMessage::PropertyValueNotInList => (
                "The value '%1' for the property %2 is not in the list of acceptable values.",
                "Warning",
                "Choose a value from the enumeration list that the implementation can support and resubmit the request if the operation failed.",
            ),
            BaseMessage::PreconditionFailed => (
                "The ETag supplied did not match the ETag required to change this resource.",
                "Critical",
                "Try the operation again using the appropriate ETag.",
            ),
            BaseMessage::NoValidSession => (
                "There is no valid session established with the implementation.",
                "Critical",
                "Establish a session before attempting any operations.",
            ),
            BaseMessage::ResourceAtUriUnauthorized => (
                "While accessing the resource at '%1', the service received an authorization error '%2'.",
                "Critical",
                "Ensure that the appropriate access is provided for the service in order for it to access the URI.",
            ),
            BaseMessage::ServiceTemporarilyUnavailable => (
                "The service is temporarily unavailable.  Retry in %1 seconds.",
                "Critical",
                "Wait for the indicated retry duration and retry the operation.",
            ),
            BaseMessage::MalformedJSON => (
                "The request body submitted was malformed JSON and could not be parsed by the receiving service.",
                "Critical",
                "Ensure that the request body is valid JSON and resubmit the request.",
            ),
            BaseMessage::PropertyMissing => (
                "The property %1 is a required property and must be included in the request.",
                "Warning",
                "Ensure that the property is in the request body and has a valid value and resubmit the request if the operation failed.",
            ),
            BaseMessage::ActionParameterMissing => (
                "The action %1 requires the parameter %2 to be present in the request body.",
                "Critical",
                "Supply the action with the required parameter in the request body when the request is resubmitted.",
            ),
            BaseMessage::ActionParameterUnknown => (
                "The action %1 was submitted with the invalid parameter %2.",
                "Warning",
                "Correct the invalid action parameter and resubmit the request if the operation failed.",
            ),
            BaseMessage::ActionParameterValueNotInList => (
                "The value '%1' for the parameter %2 in the action %3 is not in the list of acceptable values.",
                "Warning",
                "Choose a value from the enumeration list that the implementation can support and resubmit the request if the operation failed.",
            ),
            BaseMessage::ResourceAlreadyExists => (
                "The requested resource of type %1 with the property %2 with the value '%3' already exists.",
                "Critical",
                "Do not repeat the create operation as the resource was already created.",
            ),
            BaseMessage::NoOperation => (
                "The request body submitted contain no data to act upon and no changes to the resource took place.",
                "Warning",
                "Add properties in the JSON object and resubmit the request.",
            ),
            BaseMessage::ResourceInUse => (
                "The change to the requested resource failed because the resource is in use or in transition.",
                "Warning",
                "Remove the condition and resubmit the request if the operation failed.",
            ),
        }
    }
}
