//! The `[frontend]` section: typed, defaulted, validated at start.

use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use svc_common::ConfigError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontendConfig {
    /// Plain HTTP; Apache terminates TLS in front.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    #[serde(default = "default_aggregator_endpoint")]
    pub aggregator_endpoint: String,
    /// SQLite lives here (accounts, roles, sessions).
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    #[serde(default)]
    pub bootstrap_admin: BootstrapAdmin,
    /// Deadline for one request through the aggregator, milliseconds. Keep it above the
    /// aggregator's BMC request timeout so the aggregator's own, more precise 504 arrives first.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_ms: u64,
    /// Largest request body accepted, bytes (firmware images go to BMCs through here).
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Addresses of reverse proxies (Apache) whose X-Forwarded-* headers are believed.
    #[serde(default)]
    pub trusted_proxies: Vec<IpAddr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapAdmin {
    #[serde(default = "default_admin")]
    pub username: String,
    /// When absent a random password is generated and written once to
    /// `state_dir/initial-admin-password` (mode 0600); the account must then change it.
    #[serde(default)]
    pub password: Option<String>,
}

impl Default for BootstrapAdmin {
    fn default() -> Self {
        BootstrapAdmin {
            username: default_admin(),
            password: None,
        }
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
fn default_aggregator_endpoint() -> String {
    "http://127.0.0.1:50051".to_owned()
}
fn default_state_dir() -> PathBuf {
    PathBuf::from("/var/lib/reddrum/frontend")
}
fn default_admin() -> String {
    "admin".to_owned()
}
fn default_request_timeout() -> u64 {
    60_000
}
fn default_max_body() -> usize {
    64 * 1024 * 1024
}

impl FrontendConfig {
    pub fn load(
        file: Option<&std::path::Path>,
        env: &svc_common::Environment,
    ) -> Result<Self, ConfigError> {
        let cfg: FrontendConfig = svc_common::load_section(file, "frontend", env)?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let endpoint = url::Url::parse(&self.aggregator_endpoint).map_err(|e| {
            ConfigError::at(
                "frontend.aggregator_endpoint",
                format!("'{}' is not a URL ({e})", self.aggregator_endpoint),
            )
        })?;
        if !matches!(endpoint.scheme(), "http" | "https") || endpoint.host_str().is_none() {
            return Err(ConfigError::at(
                "frontend.aggregator_endpoint",
                format!(
                    "'{}' must be http://host:port or https://host:port",
                    self.aggregator_endpoint
                ),
            ));
        }
        if self.bootstrap_admin.username.trim().is_empty() {
            return Err(ConfigError::at(
                "frontend.bootstrap_admin.username",
                "must not be empty",
            ));
        }
        if self.request_timeout_ms == 0 {
            return Err(ConfigError::at(
                "frontend.request_timeout_ms",
                "must be greater than 0",
            ));
        }
        if self.max_body_bytes == 0 {
            return Err(ConfigError::at(
                "frontend.max_body_bytes",
                "must be greater than 0",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> FrontendConfig {
        FrontendConfig {
            listen: default_listen(),
            aggregator_endpoint: default_aggregator_endpoint(),
            state_dir: default_state_dir(),
            bootstrap_admin: BootstrapAdmin::default(),
            request_timeout_ms: 1000,
            max_body_bytes: 1024,
            trusted_proxies: vec![],
        }
    }

    #[test]
    fn defaults_validate() {
        base().validate().expect("valid");
    }

    #[test]
    fn bad_values_name_their_key() {
        type Mutation = Box<dyn Fn(&mut FrontendConfig)>;
        let rows: Vec<(Mutation, &str)> = vec![
            (
                Box::new(|c| c.aggregator_endpoint = "nope".into()),
                "frontend.aggregator_endpoint",
            ),
            (
                Box::new(|c| c.aggregator_endpoint = "unix:/x".into()),
                "frontend.aggregator_endpoint",
            ),
            (
                Box::new(|c| c.bootstrap_admin.username = " ".into()),
                "frontend.bootstrap_admin.username",
            ),
            (
                Box::new(|c| c.request_timeout_ms = 0),
                "frontend.request_timeout_ms",
            ),
            (
                Box::new(|c| c.max_body_bytes = 0),
                "frontend.max_body_bytes",
            ),
        ];
        for (mutate, key) in rows {
            let mut c = base();
            mutate(&mut c);
            let e = c.validate().expect_err("rejected").to_string();
            assert!(e.contains(key), "{e}");
        }
    }
}
