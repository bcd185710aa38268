//! The Redfish service of one BMC: routing, reads, writes, actions, errors.

pub(crate) mod base_messages;
pub(crate) mod error;
mod get;
mod patch;
pub(crate) mod reply;
mod router;

pub(crate) use router::{Req, handle};
