//! The `[aggregator]` section: typed, defaulted, and validated at start with errors that name the key.
//! The rack's own resources have their sub-sections in [`rack`].

pub mod rack;

use rack::{
    HostConfig, ManagerConfig, PduConfig, RackConfig, RackSettings, ReadingsConfig, SwitchConfig,
};
use redfish::ids::BmcId;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use svc_common::ConfigError;
/// The environment a config is loaded with (for callers without svc-common).
pub use svc_common::Environment as ConfigEnv;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregatorConfig {
    /// Where the gRPC service listens (the frontend's `aggregator_endpoint`).
    #[serde(default = "default_grpc_listen")]
    pub grpc_listen: SocketAddr,
    /// The operations listener (`/metrics`, `/healthz`, `/readyz`); unset: none.
    #[serde(default)]
    pub metrics_listen: Option<SocketAddr>,
    /// SQLite lives here.
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// Seconds between discovery passes over every BMC.
    #[serde(default = "default_discovery_interval")]
    pub discovery_interval_secs: u64,
    /// Longest wait, seconds, between two tries of a BMC that is down or has failing collections
    /// (1 s first, doubling up to this; never beyond `discovery_interval_secs`).
    #[serde(default = "default_retry_max")]
    pub retry_max_secs: u64,
    /// How many BMCs are discovered at once; unset: as many as there are BMCs, between 16 and
    /// 256 (a fleet is listed in a few rounds, however large).
    #[serde(default)]
    pub discovery_concurrency: Option<usize>,
    /// Connect timeout to a BMC, milliseconds. Past it the BMC is unreachable (503).
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_ms: u64,
    /// Whole-request timeout to a BMC, milliseconds. Past it the client gets 504.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_ms: u64,
    /// Requests in flight to one BMC at once; small BMC web servers fall over under load.
    #[serde(default = "default_per_bmc_concurrency")]
    pub per_bmc_concurrency: usize,
    /// Largest BMC reply accepted, bytes.
    #[serde(default = "default_max_reply_bytes")]
    pub max_reply_bytes: usize,
    /// One firmware image streamed to one BMC (a multipart push), milliseconds: the whole
    /// upload and the BMC's answer. Past it that BMC's upload fails (the others go on).
    #[serde(default = "default_upload_timeout")]
    pub upload_timeout_ms: u64,
    #[serde(default)]
    pub bmcs: Vec<BmcConfig>,
    /// The key that encrypts the passwords of AggregationSources added through the API (32
    /// bytes). Created (0600) when absent. Default: `<state_dir>/sources.key`; a container
    /// secret is a good home.
    #[serde(default)]
    pub sources_key_file: Option<PathBuf>,
    /// The original's `redfish_aggregator_inside_switch`: true when the aggregator runs inside the
    /// management switch; false serves a separate host chassis that contains the manager.
    #[serde(default = "default_true")]
    pub inside_switch: bool,
    #[serde(default)]
    pub rack: RackConfig,
    #[serde(default)]
    pub switch: SwitchConfig,
    #[serde(default)]
    pub host: HostConfig,
    #[serde(default)]
    pub manager: ManagerConfig,
    #[serde(default)]
    pub pdu: PduConfig,
    #[serde(default)]
    pub readings: ReadingsConfig,
    /// Where BMCs without a Server-Sent Events stream POST their events (the push
    /// subscription's Destination points here); unset: such BMCs are not subscribed to, and
    /// their power and health changes are polled instead.
    #[serde(default)]
    pub events_inbound_listen: Option<SocketAddr>,
    /// The URL of that listener as the BMCs reach it (`http://10.0.0.1:8091/events`): the
    /// aggregator's address on the management network, not a loopback one. Each BMC's
    /// subscription gets `<url>/<bmcId>`. Required with `events_inbound_listen`.
    #[serde(default)]
    pub events_inbound_url: Option<String>,
    /// Seconds between checks that each BMC still holds the aggregator's push subscription
    /// (a BMC restart may lose it: it is made again).
    #[serde(default = "default_events_verify")]
    pub events_verify_secs: u64,
    /// Where this config came from, so `Manager.Reset` can read it again (not a config key).
    #[serde(skip)]
    pub source: Option<ConfigSource>,
}

/// The file and environment a config was loaded from.
#[derive(Debug, Clone)]
pub struct ConfigSource {
    pub file: Option<PathBuf>,
    pub env: svc_common::Environment,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BmcConfig {
    /// Becomes the prefix of this BMC's member ids: `<id>-<memberId>`.
    pub id: String,
    /// `http://host[:port]` or `https://host[:port]`.
    pub url: String,
    pub username: String,
    /// Exactly one of `password` and `password_file`.
    #[serde(default)]
    pub password: Option<String>,
    /// A file holding the password (a container secret such as `/run/secrets/bmc_password`);
    /// one trailing newline is ignored. Read at start, when the config is validated.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// BMCs ship self-signed certificates; verification is still on unless turned off here.
    #[serde(default = "default_true")]
    pub verify_tls: bool,
    /// PEM file of CA certificates to trust for this BMC (instead of the system roots).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Pin the certificate the BMC presents at the first connection and refuse any other until
    /// an operator accepts it (for self-signed certificates); takes the place of `verify_tls`.
    #[serde(default)]
    pub trust_on_first_use: bool,
    /// The PDU socket feeding this server, for the reseat action (`{socket}` in the command).
    #[serde(default)]
    pub pdu_socket: Option<String>,
}

fn default_events_verify() -> u64 {
    60
}
fn default_grpc_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 50051))
}
fn default_state_dir() -> PathBuf {
    PathBuf::from("/var/lib/reddrum/aggregator")
}
fn default_discovery_interval() -> u64 {
    300
}
fn default_retry_max() -> u64 {
    30
}
fn default_connect_timeout() -> u64 {
    3_000
}
fn default_request_timeout() -> u64 {
    30_000
}
fn default_per_bmc_concurrency() -> usize {
    4
}
fn default_max_reply_bytes() -> usize {
    50 * 1024 * 1024
}
fn default_upload_timeout() -> u64 {
    3_600_000
}
fn default_true() -> bool {
    true
}

impl std::fmt::Debug for BmcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password.
        f.debug_struct("BmcConfig")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password_file", &self.password_file)
            .finish_non_exhaustive()
    }
}

/// A BMC entry after validation: the id parsed, the URL split into what the client needs.
#[derive(Clone)]
pub struct ValidBmc {
    pub id: BmcId,
    pub base_url: url::Url,
    pub username: String,
    pub password: String,
    pub verify_tls: bool,
    pub ca_file: Option<PathBuf>,
    pub pdu_socket: Option<String>,
    /// The certificate is pinned at first use (see `crate::tofu`).
    pub trust_on_first_use: bool,
}

impl std::fmt::Debug for ValidBmc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password.
        f.debug_struct("ValidBmc")
            .field("id", &self.id.as_str())
            .field("base_url", &self.base_url.as_str())
            .field("username", &self.username)
            .field("verify_tls", &self.verify_tls)
            .field("trust_on_first_use", &self.trust_on_first_use)
            .finish_non_exhaustive()
    }
}

impl ValidBmc {
    /// True when a reconnect is needed to apply `other` (anything but the PDU socket changed).
    pub fn same_connection(&self, other: &ValidBmc) -> bool {
        self.id == other.id
            && self.base_url == other.base_url
            && self.username == other.username
            && self.password == other.password
            && self.verify_tls == other.verify_tls
            && self.ca_file == other.ca_file
            && self.trust_on_first_use == other.trust_on_first_use
    }
}

impl AggregatorConfig {
    pub fn load(
        file: Option<&std::path::Path>,
        env: &svc_common::Environment,
    ) -> Result<Self, ConfigError> {
        let mut cfg: AggregatorConfig = svc_common::load_section(file, "aggregator", env)?;
        cfg.validate()?;
        cfg.source = Some(ConfigSource {
            file: file.map(std::path::Path::to_path_buf),
            env: env.clone(),
        });
        Ok(cfg)
    }

    /// Reads the config again from where it was first loaded (for `Manager.Reset`).
    pub fn reload(&self) -> Result<AggregatorConfig, ConfigError> {
        match &self.source {
            Some(src) => AggregatorConfig::load(src.file.as_deref(), &src.env),
            None => {
                self.validate()?;
                Ok(self.clone())
            }
        }
    }

    /// The rack resources' part of the config.
    pub fn rack_settings(&self) -> RackSettings {
        RackSettings {
            inside_switch: self.inside_switch,
            rack: self.rack.clone(),
            switch: self.switch.clone(),
            host: self.host.clone(),
            manager: self.manager.clone(),
            pdu: self.pdu.clone(),
            readings: self.readings.clone(),
        }
    }

    /// Checks every value an operator can get wrong; the first problem is reported with its key.
    /// The inbound event listener and its URL come together; the URL is http(s) with a host.
    fn check_events_inbound(&self) -> Result<(), ConfigError> {
        match (&self.events_inbound_listen, &self.events_inbound_url) {
            (None, None) => Ok(()),
            (Some(_), None) => Err(ConfigError::at(
                "aggregator.events_inbound_url",
                "missing: set the URL by which the BMCs reach events_inbound_listen (http://<this host's management address>:<port>/events)",
            )),
            (None, Some(_)) => Err(ConfigError::at(
                "aggregator.events_inbound_listen",
                "missing: events_inbound_url is set, but no listener (e.g. \"0.0.0.0:8091\")",
            )),
            (Some(listen), Some(url)) => {
                if *listen == self.grpc_listen || Some(*listen) == self.metrics_listen {
                    return Err(ConfigError::at(
                        "aggregator.events_inbound_listen",
                        "must differ from grpc_listen and metrics_listen",
                    ));
                }
                crate::intake::InboundUrl::parse(url)
                    .map(|_| ())
                    .map_err(|e| ConfigError::at("aggregator.events_inbound_url", e))
            }
        }
    }

    pub fn validate(&self) -> Result<Vec<ValidBmc>, ConfigError> {
        let positive = [
            ("discovery_interval_secs", self.discovery_interval_secs),
            ("retry_max_secs", self.retry_max_secs),
            ("connect_timeout_ms", self.connect_timeout_ms),
            ("request_timeout_ms", self.request_timeout_ms),
            (
                "discovery_concurrency",
                self.discovery_concurrency.unwrap_or(1) as u64,
            ),
            ("per_bmc_concurrency", self.per_bmc_concurrency as u64),
            ("max_reply_bytes", self.max_reply_bytes as u64),
            ("upload_timeout_ms", self.upload_timeout_ms),
            ("events_verify_secs", self.events_verify_secs),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(ConfigError::at(
                    &format!("aggregator.{key}"),
                    "must be greater than 0",
                ));
            }
        }
        if let Some(ops) = self.metrics_listen {
            svc_common::ops::check_listen(ops, self.grpc_listen, "aggregator.metrics_listen")?;
        }
        self.rack_settings().validate()?;
        self.check_events_inbound()?;
        let mut seen = std::collections::HashSet::new();
        self.bmcs
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let key = |k: &str| format!("aggregator.bmcs[{i}].{k}");
                let id = BmcId::parse(&b.id).map_err(|e| ConfigError::at(&key("id"), e))?;
                if !seen.insert(b.id.clone()) {
                    return Err(ConfigError::at(
                        &key("id"),
                        format!("duplicate BMC id '{}'", b.id),
                    ));
                }
                let base_url =
                    parse_bmc_url(&b.url).map_err(|e| ConfigError::at(&key("url"), e))?;
                if b.username.is_empty() {
                    return Err(ConfigError::at(&key("username"), "must not be empty"));
                }
                let password = match (&b.password, &b.password_file) {
                    (Some(p), None) => p.clone(),
                    (None, Some(file)) => svc_common::secret::read_secret_file(file)
                        .map_err(|e| ConfigError::at(&key("password_file"), e))?,
                    (Some(_), Some(_)) => {
                        return Err(ConfigError::at(
                            &key("password_file"),
                            "set either password or password_file, not both",
                        ));
                    }
                    (None, None) => {
                        return Err(ConfigError::at(
                            &key("password"),
                            "missing: set password or password_file",
                        ));
                    }
                };
                if let Some(ca) = &b.ca_file
                    && !ca.is_file()
                {
                    return Err(ConfigError::at(
                        &key("ca_file"),
                        format!("{} is not a readable file", ca.display()),
                    ));
                }
                if let Some(socket) = &b.pdu_socket
                    && socket.trim().is_empty()
                {
                    return Err(ConfigError::at(&key("pdu_socket"), "must not be empty"));
                }
                if b.trust_on_first_use {
                    check_tofu(&base_url, b.ca_file.is_some())
                        .map_err(|e| ConfigError::at(&key("trust_on_first_use"), e))?;
                }
                Ok(ValidBmc {
                    id,
                    base_url,
                    username: b.username.clone(),
                    password,
                    verify_tls: b.verify_tls,
                    ca_file: b.ca_file.clone(),
                    pdu_socket: b.pdu_socket.clone(),
                    trust_on_first_use: b.trust_on_first_use,
                })
            })
            .collect()
    }
}

/// Trust on first use pins a TLS certificate: it needs https, and it replaces a CA.
pub fn check_tofu(url: &url::Url, has_ca_file: bool) -> Result<(), String> {
    if url.scheme() != "https" {
        return Err(format!(
            "needs an https url ('{url}' has no certificate to pin)"
        ));
    }
    if has_ca_file {
        return Err(
            "cannot be combined with ca_file (a pinned certificate replaces the CA)".into(),
        );
    }
    Ok(())
}

pub fn parse_bmc_url(raw: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("'{raw}' is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "unsupported scheme '{}' in '{raw}' (expected http or https)",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("'{raw}' has no host"));
    }
    if !(url.path() == "/" || url.path().is_empty()) || url.query().is_some() {
        return Err(format!(
            "'{raw}' must be scheme://host[:port] only; the Redfish path is implied"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "'{raw}' must not carry credentials; use username and password"
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> AggregatorConfig {
        AggregatorConfig {
            grpc_listen: default_grpc_listen(),
            metrics_listen: None,
            state_dir: default_state_dir(),
            discovery_interval_secs: 300,
            retry_max_secs: 30,
            sources_key_file: None,
            discovery_concurrency: None,
            connect_timeout_ms: 3000,
            request_timeout_ms: 30000,
            per_bmc_concurrency: 4,
            max_reply_bytes: 1 << 20,
            upload_timeout_ms: 3_600_000,
            bmcs: vec![bmc("s1", "https://10.0.0.11")],
            inside_switch: true,
            rack: RackConfig::default(),
            switch: SwitchConfig::default(),
            host: HostConfig::default(),
            manager: ManagerConfig::default(),
            pdu: PduConfig::default(),
            readings: ReadingsConfig::default(),
            events_inbound_listen: None,
            events_inbound_url: None,
            events_verify_secs: 60,
            source: None,
        }
    }

    fn bmc(id: &str, url: &str) -> BmcConfig {
        BmcConfig {
            id: id.into(),
            url: url.into(),
            username: "root".into(),
            password: Some("calvin".into()),
            password_file: None,
            verify_tls: false,
            ca_file: None,
            pdu_socket: None,
            trust_on_first_use: false,
        }
    }

    fn error_of(cfg: AggregatorConfig) -> String {
        cfg.validate().expect_err("must be rejected").to_string()
    }

    #[test]
    fn the_inbound_event_listener_needs_its_url_and_the_url_a_host() {
        let listen = Some("127.0.0.1:8091".parse().expect("addr"));
        let rows = [
            (listen, None, "aggregator.events_inbound_url"),
            (
                None,
                Some("http://10.0.0.1:8091/events"),
                "aggregator.events_inbound_listen",
            ),
            (
                listen,
                Some("ftp://10.0.0.1/events"),
                "aggregator.events_inbound_url",
            ),
            (
                listen,
                Some("http://10.0.0.1/events?x=1"),
                "aggregator.events_inbound_url",
            ),
        ];
        for (listen, url, key) in rows {
            let mut cfg = base();
            cfg.events_inbound_listen = listen;
            cfg.events_inbound_url = url.map(str::to_owned);
            let e = error_of(cfg);
            assert!(e.contains(key), "{url:?}: {e}");
        }
        let mut cfg = base();
        cfg.events_inbound_listen = listen;
        cfg.events_inbound_url = Some("http://10.0.0.1:8091/events".into());
        assert!(cfg.validate().is_ok());
    }

    #[test]
    fn a_good_config_validates() {
        let bmcs = base().validate().expect("valid");
        assert_eq!(bmcs[0].id.as_str(), "s1");
        assert_eq!(bmcs[0].base_url.host_str(), Some("10.0.0.11"));
    }

    #[test]
    fn no_bmcs_is_allowed_for_an_empty_rack() {
        let mut c = base();
        c.bmcs.clear();
        assert!(c.validate().expect("valid").is_empty());
    }

    #[test]
    fn bad_values_name_their_key() {
        type Mutation = Box<dyn Fn(&mut AggregatorConfig)>;
        let rows: Vec<(&str, Mutation, &str)> = vec![
            (
                "operations port on the gRPC port",
                Box::new(|c| c.metrics_listen = Some(c.grpc_listen)),
                "aggregator.metrics_listen",
            ),
            (
                "scheme",
                Box::new(|c| c.bmcs[0].url = "ftp://10.0.0.1".into()),
                "aggregator.bmcs[0].url",
            ),
            (
                "not a url",
                Box::new(|c| c.bmcs[0].url = "10.0.0.1".into()),
                "aggregator.bmcs[0].url",
            ),
            (
                "path",
                Box::new(|c| c.bmcs[0].url = "https://h/redfish".into()),
                "aggregator.bmcs[0].url",
            ),
            (
                "creds in url",
                Box::new(|c| c.bmcs[0].url = "https://u:p@h".into()),
                "aggregator.bmcs[0].url",
            ),
            (
                "dash in id",
                Box::new(|c| c.bmcs[0].id = "rack-1".into()),
                "aggregator.bmcs[0].id",
            ),
            (
                "empty id",
                Box::new(|c| c.bmcs[0].id = String::new()),
                "aggregator.bmcs[0].id",
            ),
            (
                "dup id",
                Box::new(|c| c.bmcs.push(bmc("s1", "http://h2"))),
                "aggregator.bmcs[1].id",
            ),
            (
                "empty user",
                Box::new(|c| c.bmcs[0].username = String::new()),
                "aggregator.bmcs[0].username",
            ),
            (
                "ca file",
                Box::new(|c| c.bmcs[0].ca_file = Some("/nope.pem".into())),
                "aggregator.bmcs[0].ca_file",
            ),
            (
                "no password",
                Box::new(|c| c.bmcs[0].password = None),
                "aggregator.bmcs[0].password",
            ),
            (
                "both passwords",
                Box::new(|c| c.bmcs[0].password_file = Some("/etc/hostname".into())),
                "aggregator.bmcs[0].password_file",
            ),
            (
                "unreadable password file",
                Box::new(|c| {
                    c.bmcs[0].password = None;
                    c.bmcs[0].password_file = Some("/nonexistent/bmc-password".into());
                }),
                "aggregator.bmcs[0].password_file",
            ),
            (
                "zero timeout",
                Box::new(|c| c.request_timeout_ms = 0),
                "aggregator.request_timeout_ms",
            ),
            (
                "empty pdu socket",
                Box::new(|c| c.bmcs[0].pdu_socket = Some(" ".into())),
                "aggregator.bmcs[0].pdu_socket",
            ),
            (
                "rack id like a member",
                Box::new(|c| c.rack.id = "s1-rack".into()),
                "aggregator.rack.id",
            ),
            (
                "tofu over http",
                Box::new(|c| {
                    c.bmcs[0].url = "http://10.0.0.11".into();
                    c.bmcs[0].trust_on_first_use = true;
                }),
                "aggregator.bmcs[0].trust_on_first_use",
            ),
            (
                "tofu and a CA",
                Box::new(|c| {
                    c.bmcs[0].trust_on_first_use = true;
                    c.bmcs[0].ca_file = Some("/etc/hostname".into());
                }),
                "aggregator.bmcs[0].trust_on_first_use",
            ),
            (
                "zero concurrency",
                Box::new(|c| c.per_bmc_concurrency = 0),
                "aggregator.per_bmc_concurrency",
            ),
        ];
        for (name, mutate, key) in rows {
            let mut c = base();
            mutate(&mut c);
            let e = error_of(c);
            assert!(e.contains(key), "{name}: {e}");
        }
    }

    #[test]
    fn a_bmc_password_can_come_from_a_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret = dir.path().join("bmc_password");
        std::fs::write(&secret, "from-a-file\n").expect("write");
        let file = dir.path().join("reddrum.toml");
        std::fs::write(
            &file,
            format!(
                "[aggregator]\n[[aggregator.bmcs]]\nid = \"s1\"\nurl = \"https://10.0.0.11\"\nusername = \"root\"\npassword_file = \"{}\"\n",
                secret.display()
            ),
        )
        .expect("write");
        let cfg = AggregatorConfig::load(Some(&file), &svc_common::Environment::default())
            .expect("loads");
        let bmcs = cfg.validate().expect("valid");
        assert_eq!(bmcs[0].password, "from-a-file");
        std::fs::remove_file(&secret).expect("rm");
        let e = AggregatorConfig::load(Some(&file), &svc_common::Environment::default())
            .expect_err("unreadable")
            .to_string();
        assert!(e.contains("aggregator.bmcs[0].password_file"), "{e}");
    }
}
