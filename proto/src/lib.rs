//! The `aggregator.v1` gRPC contract, generated from `aggregator/v1/aggregator.proto`.
//! No logic lives here; conversions to and from Redfish live in each service.

pub mod aggregator {
    pub mod v1 {
        tonic::include_proto!("aggregator.v1");
    }
}

pub use aggregator::v1;

/// gRPC metadata keys shared by both services.
pub mod metadata {
    /// The request id, assigned by the frontend, carried into the aggregator's log spans.
    pub const REQUEST_ID: &str = "x-request-id";
    /// The authenticated user name (for the aggregator's audit log; never a credential).
    pub const USER: &str = "x-reddrum-user";
    /// The authenticated user's role id.
    pub const ROLE: &str = "x-reddrum-role";
    /// On an error Status: the Redfish Base registry message key (e.g. "ResourceNotFound").
    pub const MESSAGE_ID: &str = "redfish-message-id";
    /// On an error Status: the message arguments as a JSON array of strings.
    pub const MESSAGE_ARGS: &str = "redfish-message-args";
    /// On an error Status: seconds after which the client may retry.
    pub const RETRY_AFTER: &str = "retry-after";
    /// On an error Status: the HTTP status the client should see (the gRPC code alone is coarser).
    pub const HTTP_STATUS: &str = "redfish-http-status";
    /// On an error Status about one BMC: its id (never its address).
    pub const BMC: &str = "redfish-bmc";
    /// On an error Status for 405: the methods the resource allows.
    pub const ALLOW: &str = "allow";
}
