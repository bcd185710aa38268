//! Local resources the frontend owns. Each handler is a plain async function.

pub mod proxy;
pub mod service_root;
