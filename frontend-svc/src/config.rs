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
    /// The operations listener (`/metrics`, `/healthz`, `/readyz`); unset: none.
    #[serde(default)]
    pub metrics_listen: Option<SocketAddr>,
    #[serde(default = "default_aggregator_endpoint")]
    pub aggregator_endpoint: String,
    /// SQLite lives here (accounts, roles, sessions).
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    #[serde(default)]
    pub bootstrap_admin: BootstrapAdmin,
    /// Deadline for one request through the aggregator, milliseconds. Keep it at twice the
    /// aggregator's BMC request timeout or above (a request may wait that long for its turn, then
    /// as long for the BMC), so the aggregator's own, more precise answer arrives first.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_ms: u64,
    /// Largest request body accepted, bytes (firmware images go to BMCs through here).
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Largest firmware image POSTed to the UpdateService's MultipartHttpPushUri, bytes: that
    /// one body streams through to the BMCs instead of being read whole (413 past it).
    #[serde(default = "default_max_image")]
    pub max_image_bytes: u64,
    /// Deadline for one multipart push through the aggregator, milliseconds (the client's whole
    /// upload and the BMCs' acceptance).
    #[serde(default = "default_upload_timeout")]
    pub upload_timeout_ms: u64,
    /// Addresses of reverse proxies (Apache) whose X-Forwarded-* headers are believed.
    #[serde(default)]
    pub trusted_proxies: Vec<IpAddr>,
    /// Largest header section accepted (names and values), bytes: 431 with a Redfish body above
    /// it; past twice this (plus 8 KiB for the request line) the connection is refused outright.
    #[serde(default = "default_max_header_bytes")]
    pub max_header_bytes: usize,
    /// Most header fields accepted: 431 with a Redfish body above it, the connection refused
    /// outright past twice this.
    #[serde(default = "default_max_headers")]
    pub max_headers: usize,
    /// Deepest nesting of objects and arrays in a JSON request body: 400 MalformedJSON beyond it.
    #[serde(default = "default_max_json_depth")]
    pub max_json_depth: usize,
    /// A client must send a whole request head within this, milliseconds (slow-header clients
    /// are cut; also how long an idle keep-alive connection is kept).
    #[serde(default = "default_header_read_timeout")]
    pub header_read_timeout_ms: u64,
    /// A response write that makes no progress for this long, milliseconds, ends the connection
    /// (a client that stops reading).
    #[serde(default = "default_write_timeout")]
    pub write_timeout_ms: u64,
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
    /// A file holding the password instead (a container secret such as
    /// `/run/secrets/admin_password`); one trailing newline is ignored. [`FrontendConfig::load`]
    /// reads it into `password`. At most one of `password` and `password_file`.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
}

impl Default for BootstrapAdmin {
    fn default() -> Self {
        BootstrapAdmin {
            username: default_admin(),
            password: None,
            password_file: None,
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
fn default_max_image() -> u64 {
    4 * 1024 * 1024 * 1024
}
fn default_upload_timeout() -> u64 {
    3_600_000
}
fn default_max_header_bytes() -> usize {
    16 * 1024
}
fn default_max_headers() -> usize {
    64
}
fn default_max_json_depth() -> usize {
    64
}
fn default_header_read_timeout() -> u64 {
    30_000
}
fn default_write_timeout() -> u64 {
    30_000
}

impl FrontendConfig {
    pub fn load(
        file: Option<&std::path::Path>,
        env: &svc_common::Environment,
    ) -> Result<Self, ConfigError> {
        let mut cfg: FrontendConfig = svc_common::load_section(file, "frontend", env)?;
        cfg.validate()?;
        cfg.resolve_secret_files()?;
        Ok(cfg)
    }

    /// Reads `bootstrap_admin.password_file` into `bootstrap_admin.password`.
    pub fn resolve_secret_files(&mut self) -> Result<(), ConfigError> {
        let admin = &mut self.bootstrap_admin;
        if let Some(path) = admin.password_file.take() {
            let secret = svc_common::secret::read_secret_file(&path)
                .map_err(|e| ConfigError::at("frontend.bootstrap_admin.password_file", e))?;
            admin.password = Some(secret);
        }
        Ok(())
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
        if let Some(ops) = self.metrics_listen {
            svc_common::ops::check_listen(ops, self.listen, "frontend.metrics_listen")?;
        }
        if self.bootstrap_admin.username.trim().is_empty() {
            return Err(ConfigError::at(
                "frontend.bootstrap_admin.username",
                "must not be empty",
            ));
        }
        if self.bootstrap_admin.password.is_some() && self.bootstrap_admin.password_file.is_some() {
            return Err(ConfigError::at(
                "frontend.bootstrap_admin.password_file",
                "set either password or password_file, not both",
            ));
        }
        if let Some(path) = &self.bootstrap_admin.password_file {
            svc_common::secret::check_secret_file(path)
                .map_err(|e| ConfigError::at("frontend.bootstrap_admin.password_file", e))?;
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
        let positive = [
            ("frontend.max_header_bytes", self.max_header_bytes as u64),
            ("frontend.max_headers", self.max_headers as u64),
            ("frontend.max_json_depth", self.max_json_depth as u64),
            (
                "frontend.header_read_timeout_ms",
                self.header_read_timeout_ms,
            ),
            ("frontend.write_timeout_ms", self.write_timeout_ms),
            ("frontend.max_image_bytes", self.max_image_bytes),
            ("frontend.upload_timeout_ms", self.upload_timeout_ms),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(ConfigError::at(key, "must be greater than 0"));
            }
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
            metrics_listen: None,
            aggregator_endpoint: default_aggregator_endpoint(),
            state_dir: default_state_dir(),
            bootstrap_admin: BootstrapAdmin::default(),
            request_timeout_ms: 1000,
            max_body_bytes: 1024,
            max_image_bytes: default_max_image(),
            upload_timeout_ms: default_upload_timeout(),
            trusted_proxies: vec![],
            max_header_bytes: default_max_header_bytes(),
            max_headers: default_max_headers(),
            max_json_depth: default_max_json_depth(),
            header_read_timeout_ms: default_header_read_timeout(),
            write_timeout_ms: default_write_timeout(),
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
                Box::new(|c| c.metrics_listen = Some("0.0.0.0:8080".parse().expect("addr"))),
                "frontend.metrics_listen",
            ),
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
                Box::new(|c| {
                    c.bootstrap_admin.password = Some("x".into());
                    c.bootstrap_admin.password_file = Some("/etc/hostname".into());
                }),
                "frontend.bootstrap_admin.password_file",
            ),
            (
                Box::new(|c| c.bootstrap_admin.password_file = Some("/nonexistent/pw".into())),
                "frontend.bootstrap_admin.password_file",
            ),
            (
                Box::new(|c| c.max_body_bytes = 0),
                "frontend.max_body_bytes",
            ),
            (Box::new(|c| c.max_headers = 0), "frontend.max_headers"),
            (
                Box::new(|c| c.max_header_bytes = 0),
                "frontend.max_header_bytes",
            ),
            (
                Box::new(|c| c.max_json_depth = 0),
                "frontend.max_json_depth",
            ),
            (
                Box::new(|c| c.header_read_timeout_ms = 0),
                "frontend.header_read_timeout_ms",
            ),
            (
                Box::new(|c| c.write_timeout_ms = 0),
                "frontend.write_timeout_ms",
            ),
        ];
        for (mutate, key) in rows {
            let mut c = base();
            mutate(&mut c);
            let e = c.validate().expect_err("rejected").to_string();
            assert!(e.contains(key), "{e}");
        }
    }

    #[test]
    fn the_admin_password_can_come_from_a_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret = dir.path().join("admin_password");
        std::fs::write(&secret, "s3cret-from-file\n").expect("write");
        let file = dir.path().join("reddrum.toml");
        std::fs::write(
            &file,
            format!(
                "[frontend]\n[frontend.bootstrap_admin]\npassword_file = \"{}\"\n",
                secret.display()
            ),
        )
        .expect("write");
        let env = svc_common::Environment::default();
        let cfg = FrontendConfig::load(Some(&file), &env).expect("loads");
        assert_eq!(
            cfg.bootstrap_admin.password.as_deref(),
            Some("s3cret-from-file")
        );
        assert!(cfg.bootstrap_admin.password_file.is_none());
        // Both, or an unreadable file, stop the start with the key named.
        std::fs::write(
            &file,
            "[frontend]\n[frontend.bootstrap_admin]\npassword = \"a\"\npassword_file = \"/etc/hostname\"\n",
        )
        .expect("write");
        let e = FrontendConfig::load(Some(&file), &env)
            .expect_err("both")
            .to_string();
        assert!(e.contains("frontend.bootstrap_admin.password_file"), "{e}");
        std::fs::write(
            &file,
            "[frontend]\n[frontend.bootstrap_admin]\npassword_file = \"/nonexistent/pw\"\n",
        )
        .expect("write");
        let e = FrontendConfig::load(Some(&file), &env)
            .expect_err("missing")
            .to_string();
        assert!(e.contains("frontend.bootstrap_admin.password_file"), "{e}");
    }
}
