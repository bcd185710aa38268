//! Plumbing shared by the `frontend-svc` and `aggregator-svc` binaries. Only `main` functions use
//! this: libraries take typed config and listeners, so tests run many stacks in one process.

pub mod cli;
pub mod health;
pub mod listener;
pub mod ops;
pub mod secret;
pub mod settings;
pub mod signals;
pub mod sqlite;
pub mod telemetry;

pub use settings::{ConfigError, Environment, load_section};
