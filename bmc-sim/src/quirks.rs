//! Quirks: ways in which real BMCs differ from the DMTF mockups and break aggregators.
//!
//! Each one is off by default and changes the whole tree a BMC serves (links, collections, actions,
//! `Location` headers and the BMC's own routing), not one body. Those that change the tree's shape
//! are applied when the tree is built (`tree::Shape`); the others (`session_service_500`,
//! `async_power_secs`, the host of `advertised_host`) act while requests are served.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::tree::{MemberIds, Shape};

/// Member ids the `encoded_ids` quirk gives the system, the chassis and the manager: each needs
/// percent-encoding in a URI (a space) or has a reserved character a client may mangle (`:`,
/// `+`, which form decoding would turn into a space).
pub(crate) const ENCODED_IDS: [&str; 3] = ["System 1", "Chassis:1", "BMC 1+2"];

/// The member a `missing_member` BMC lists in `/redfish/v1/Systems` but does not serve.
pub(crate) const GHOST_SYSTEM: &str = "ghost";

/// Field behaviours a simulated BMC can be started with; `Default` is none of them.
///
/// In TOML this is the `quirks` table (top level: the default of every BMC; per `[[bmc]]`:
/// replaces that default); on the command line, repeatable `--quirk NAME[=VALUE]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Quirks {
    /// Systems, Chassis and Managers members have UUID ids (`4c4c4544-...`), stable per BMC id;
    /// everything below them hangs under those ids.
    pub uuid_ids: bool,
    /// Systems, Chassis and Managers members have ids that need percent-encoding (`System 1`,
    /// `Chassis:1`, `BMC 1+2`); links carry them encoded (`/redfish/v1/Systems/System%201`) and
    /// requests are decoded once before routing.
    pub encoded_ids: bool,
    /// No SessionService: no link to it in the ServiceRoot, 404 under `/redfish/v1/SessionService`;
    /// only Basic authentication works.
    pub no_session_service: bool,
    /// The SessionService is advertised but every request under it (GET, POST of a session)
    /// answers 500; Basic authentication still works.
    pub session_service_500: bool,
    /// `ComputerSystem.Reset` succeeds at once but PowerState changes this many seconds later
    /// (0: at once). A reset sent while one is pending replaces it.
    pub async_power_secs: u64,
    /// `/redfish/v1/Systems` lists a member that answers 404 (`/redfish/v1/Systems/ghost`), and
    /// `UpdateService.FirmwareInventory` links a collection that answers 404.
    pub missing_member: bool,
    /// Absolute URLs (idrac's absolute links, `Location` headers, and with this quirk also the
    /// ServiceRoot's links and the members of Systems, Chassis and Managers) name this host
    /// (`host` or `host:port`; without a port the BMC's own) instead of the address it listens on.
    pub advertised_host: Option<String>,
    /// No EventService at all: no link in the ServiceRoot, 404 under `/redfish/v1/EventService`
    /// (older or stripped-down BMCs); power changes are then only seen by polling.
    pub no_event_service: bool,
    /// No Server-Sent Events stream even where the profile has one (older firmware): the
    /// EventService offers push subscriptions only.
    pub no_sse: bool,
}

impl Quirks {
    /// Every quirk name, as in TOML and `--quirk`.
    pub const NAMES: [&'static str; 9] = [
        "uuid_ids",
        "encoded_ids",
        "no_session_service",
        "session_service_500",
        "async_power_secs",
        "missing_member",
        "advertised_host",
        "no_event_service",
        "no_sse",
    ];

    /// True if no quirk is set.
    pub fn is_none(&self) -> bool {
        *self == Quirks::default()
    }

    /// Sets one quirk by name, as `--quirk NAME[=VALUE]` does: a flag without value is turned on
    /// (`uuid_ids`; `uuid_ids=false` turns it off); `async_power_secs` and `advertised_host`
    /// need a value. `-` may stand for `_` in the name.
    pub fn set(&mut self, name: &str, value: Option<&str>) -> Result<(), String> {
        let name = name.trim().replace('-', "_");
        let flag = |v: Option<&str>| -> Result<bool, String> {
            match v.map(str::trim) {
                None | Some("true") => Ok(true),
                Some("false") => Ok(false),
                Some(other) => Err(format!(
                    "quirk {name}: expected true or false, got {other:?}"
                )),
            }
        };
        let needed = |v: Option<&str>| -> Result<String, String> {
            v.map(|s| s.trim().to_string())
                .ok_or_else(|| format!("quirk {name} needs a value ({name}=...)"))
        };
        match name.as_str() {
            "uuid_ids" => self.uuid_ids = flag(value)?,
            "encoded_ids" => self.encoded_ids = flag(value)?,
            "no_session_service" => self.no_session_service = flag(value)?,
            "session_service_500" => self.session_service_500 = flag(value)?,
            "missing_member" => self.missing_member = flag(value)?,
            "no_event_service" => self.no_event_service = flag(value)?,
            "no_sse" => self.no_sse = flag(value)?,
            "async_power_secs" => {
                let v = needed(value)?;
                self.async_power_secs = v.parse().map_err(|_| {
                    format!("quirk async_power_secs: {v:?} is not a whole number of seconds")
                })?;
            }
            "advertised_host" => {
                let v = needed(value)?;
                self.advertised_host = (!v.is_empty()).then_some(v);
            }
            _ => {
                return Err(format!(
                    "unknown quirk {name:?} (expected one of {})",
                    Quirks::NAMES.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// Refuses contradictory combinations and a malformed host.
    pub fn check(&self) -> Result<(), String> {
        if self.uuid_ids && self.encoded_ids {
            return Err("uuid_ids and encoded_ids both choose the member ids; set one".into());
        }
        if self.no_session_service && self.session_service_500 {
            return Err(
                "no_session_service and session_service_500 contradict each other; set one".into(),
            );
        }
        if let Some(host) = &self.advertised_host {
            check_host(host).map_err(|e| format!("advertised_host {host:?}: {e}"))?;
        }
        Ok(())
    }

    /// What these quirks change in the tree of BMC `bmc_id` (equal shapes share a template).
    pub(crate) fn shape(&self, bmc_id: &str) -> Shape {
        let ids = if self.uuid_ids {
            MemberIds::Uuids(["system", "chassis", "manager"].map(|role| stable_uuid(bmc_id, role)))
        } else if self.encoded_ids {
            MemberIds::Encoded
        } else {
            MemberIds::Profile
        };
        Shape {
            ids,
            absolute_links: self.advertised_host.is_some(),
            no_session_service: self.no_session_service,
            missing_member: self.missing_member,
            no_event_service: self.no_event_service,
            no_sse: self.no_sse,
        }
    }

    /// The host name of `advertised_host`, for the certificate's names (no port, no brackets).
    pub(crate) fn advertised_name(&self) -> Option<String> {
        let host = self.advertised_host.as_deref()?;
        let (name, _) = split_host_port(host).ok()?;
        Some(
            name.trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
        )
    }

    /// `scheme://host:port` absolute URLs get under `advertised_host`, for a BMC on `port`.
    pub(crate) fn advertised_base(&self, scheme: &str, port: u16) -> Option<String> {
        let host = self.advertised_host.as_deref()?;
        let (name, own_port) = split_host_port(host).ok()?;
        Some(format!("{scheme}://{name}:{}", own_port.unwrap_or(port)))
    }
}

/// A parsed `--quirk NAME[=VALUE]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuirkArg {
    /// The quirk's name.
    pub name: String,
    /// Its value, if given.
    pub value: Option<String>,
}

impl FromStr for QuirkArg {
    type Err = String;

    /// Parses `NAME` or `NAME=VALUE`, checking the name and value against [`Quirks::set`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, value) = match s.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (s, None),
        };
        Quirks::default().set(name, value)?;
        Ok(QuirkArg {
            name: name.to_string(),
            value: value.map(str::to_string),
        })
    }
}

impl Quirks {
    /// Quirks from `--quirk` arguments, in order (a later one for the same name wins).
    pub fn from_args(args: &[QuirkArg]) -> Result<Quirks, String> {
        let mut q = Quirks::default();
        for a in args {
            q.set(&a.name, a.value.as_deref())?;
        }
        q.check()?;
        Ok(q)
    }
}

/// `host` or `host:port`, `[v6]` or `[v6]:port` -> (host as written, port).
fn split_host_port(s: &str) -> Result<(&str, Option<u16>), String> {
    let (host, port) = if s.starts_with('[') {
        let end = s.find(']').ok_or("unclosed '['")?;
        let rest = &s[end + 1..];
        let port = match rest.strip_prefix(':') {
            Some(p) => Some(p),
            None if rest.is_empty() => None,
            None => return Err(format!("unexpected {rest:?} after the address")),
        };
        (&s[..=end], port)
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err(format!("port {p:?} is not 1..65535")),
        },
    };
    Ok((host, port))
}

/// A host name or address an absolute URL can carry as it is.
fn check_host(s: &str) -> Result<(), String> {
    let (host, _) = split_host_port(s)?;
    let inner = host.trim_start_matches('[').trim_end_matches(']');
    let ok = !inner.is_empty()
        && inner.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || b == b'-'
                || b == b'.'
                || (host.starts_with('[') && b == b':')
        });
    if ok {
        Ok(())
    } else {
        Err(
            "expected a host name, an IPv4 address or a [IPv6] address, optionally with :port"
                .into(),
        )
    }
}

/// A UUID (RFC 9562 version 8, "custom") derived from the BMC id and a role, so the same BMC gets
/// the same ids in every run and different BMCs get different ones.
pub(crate) fn stable_uuid(bmc_id: &str, role: &str) -> String {
    // FNV-1a then a splitmix64 finaliser: deterministic across runs and Rust versions, unlike
    // std's hasher, and well mixed enough for a handful of ids.
    let hash = |salt: u8| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in bmc_id
            .bytes()
            .chain([0])
            .chain(role.bytes())
            .chain([0, salt])
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^ (h >> 31)
    };
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&hash(1).to_be_bytes());
    b[8..].copy_from_slice(&hash(2).to_be_bytes());
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_stable_per_bmc_and_role() {
        let a = stable_uuid("bmc1", "system");
        assert_eq!(a, stable_uuid("bmc1", "system"));
        assert_ne!(a, stable_uuid("bmc2", "system"));
        assert_ne!(a, stable_uuid("bmc1", "chassis"));
        let groups: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{a}");
        assert!(
            a.bytes()
                .all(|c| c == b'-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }

    #[test]
    fn names_values_and_combinations() {
        let mut q = Quirks::default();
        q.set("uuid-ids", None).expect("flag");
        q.set("async_power_secs", Some("5")).expect("secs");
        q.set("advertised_host", Some("bmc-s1.example.net"))
            .expect("host");
        assert!(q.uuid_ids && q.async_power_secs == 5);
        assert!(q.check().is_ok());
        assert!(q.set("async_power_secs", None).is_err());
        assert!(q.set("async_power_secs", Some("-1")).is_err());
        assert!(q.set("uuid_ids", Some("yes")).is_err());
        assert!(q.set("bogus", None).is_err());
        q.encoded_ids = true;
        assert!(q.check().is_err(), "uuid_ids with encoded_ids");
        for bad in [
            "",
            "a/b",
            "host:0",
            "host:99999",
            "a b",
            "[::1",
            "user@host",
        ] {
            let q = Quirks {
                advertised_host: Some(bad.into()),
                ..Quirks::default()
            };
            assert!(q.check().is_err(), "{bad:?}");
        }
        let q = Quirks {
            advertised_host: Some("[fd00::1]:8443".into()),
            ..Quirks::default()
        };
        assert!(q.check().is_ok());
        assert_eq!(
            q.advertised_base("https", 1).as_deref(),
            Some("https://[fd00::1]:8443")
        );
        assert_eq!(q.advertised_name().as_deref(), Some("fd00::1"));
    }
}
