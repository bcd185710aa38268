//! BMC ids and the `<bmcId>-<memberId>` aggregated member id scheme (the original RedDrum one).
//!
//! A BMC id never contains `-`, so the FIRST `-` of an aggregated id always ends the BMC part,
//! while member ids keep any `-` they have (UUIDs, `System-1`).

use std::fmt;

/// Longest accepted BMC id; keeps prefixed ids and log lines short.
pub const MAX_BMC_ID_LEN: usize = 32;

/// The separator between the BMC id and the BMC's own member id.
pub const SEPARATOR: char = '-';

/// A validated BMC id: 1..=32 chars of `[A-Za-z0-9_]`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BmcId(String);

/// Why a string is not a [`BmcId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid BMC id {value:?}: {reason}")]
pub struct InvalidBmcId {
    /// The rejected input.
    pub value: String,
    /// What rule it broke.
    pub reason: &'static str,
}

impl BmcId {
    /// Validates `s` as a BMC id.
    pub fn parse(s: &str) -> Result<BmcId, InvalidBmcId> {
        match check(s) {
            None => Ok(BmcId(s.to_owned())),
            Some(reason) => Err(InvalidBmcId {
                value: s.to_owned(),
                reason,
            }),
        }
    }

    /// True when `s` would parse; no allocation (used on every proxied path).
    pub fn is_valid(s: &str) -> bool {
        check(s).is_none()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check(s: &str) -> Option<&'static str> {
    let mut bytes = s.bytes();
    match bytes.next() {
        None => return Some("must not be empty"),
        Some(b) if !b.is_ascii_alphabetic() => return Some("must start with a letter"),
        Some(_) => {}
    }
    if s.len() > MAX_BMC_ID_LEN {
        return Some("must be at most 32 characters");
    }
    if !bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Some("only letters, digits and '_' are allowed ('-' is the member separator)");
    }
    None
}

impl fmt::Display for BmcId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for BmcId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for BmcId {
    type Err = InvalidBmcId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BmcId::parse(s)
    }
}

impl TryFrom<&str> for BmcId {
    type Error = InvalidBmcId;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        BmcId::parse(s)
    }
}

/// `"<bmc>-<member>"`: the id a BMC's member has in the aggregate.
pub fn prefix_member(bmc: &BmcId, member_id: &str) -> String {
    let mut out = String::with_capacity(bmc.0.len() + 1 + member_id.len());
    out.push_str(&bmc.0);
    out.push(SEPARATOR);
    out.push_str(member_id);
    out
}

/// Splits an aggregated id at its first `-` into `(bmc, member)`; `None` unless both sides are
/// non-empty and the BMC part is a valid [`BmcId`] (so the aggregate's own ids, e.g. `Rack1`, are
/// never mistaken for a BMC's).
pub fn split_member(aggregated: &str) -> Option<(&str, &str)> {
    let (bmc, member) = aggregated.split_once(SEPARATOR)?;
    (BmcId::is_valid(bmc) && !member.is_empty()).then_some((bmc, member))
}
