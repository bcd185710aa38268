//! Local resources the frontend owns. Each handler is a plain async function.
//!
//! - [`service_root`]: `/redfish`, `/redfish/v1`.
//! - [`account_service`], [`accounts`], [`roles`]: AccountService and below.
//! - [`session_service`], [`sessions`]: SessionService and below.
//! - [`proxy`]: everything else, to the aggregator.
//! - [`push`]: the UpdateService's MultipartHttpPushUri, streamed to the aggregator.

pub mod account_service;
pub mod accounts;
pub mod odata;
pub mod proxy;
pub mod push;
pub mod roles;
pub mod service_root;
pub mod session_service;
pub mod sessions;
