//! Networking: listener (with the `Down` fault), TLS, connections, and fault-shaped response bodies.

pub(crate) mod body;
pub(crate) mod faults;
pub(crate) mod listener;
mod push;
mod service;
pub(crate) mod tls;
