//! The Redfish service of one BMC: routing, reads, writes, actions, tasks, events, errors.

mod actions;
pub(crate) mod base_messages;
mod create;
mod delete;
pub(crate) mod error;
mod events;
mod get;
mod hooks;
mod patch;
mod power;
pub(crate) mod reply;
mod router;
pub(crate) mod sse;
mod tasks;

pub(crate) use router::{Req, authenticate, handle, push_reply};
