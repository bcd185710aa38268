//! The Redfish standard privileges (DSP0266 "Privilege model") and the set a principal holds:
//! standard ones as bits, OEM ones by name.

use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Privilege {
    Login,
    ConfigureManager,
    ConfigureUsers,
    ConfigureComponents,
    ConfigureSelf,
}

impl Privilege {
    /// In the order the Privileges schema lists them.
    pub const ALL: [Privilege; 5] = [
        Privilege::Login,
        Privilege::ConfigureManager,
        Privilege::ConfigureUsers,
        Privilege::ConfigureSelf,
        Privilege::ConfigureComponents,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Privilege::Login => "Login",
            Privilege::ConfigureManager => "ConfigureManager",
            Privilege::ConfigureUsers => "ConfigureUsers",
            Privilege::ConfigureComponents => "ConfigureComponents",
            Privilege::ConfigureSelf => "ConfigureSelf",
        }
    }

    pub fn parse(name: &str) -> Option<Privilege> {
        Privilege::ALL.into_iter().find(|p| p.name() == name)
    }

    fn bit(self) -> u8 {
        match self {
            Privilege::Login => 1,
            Privilege::ConfigureManager => 2,
            Privilege::ConfigureUsers => 4,
            Privilege::ConfigureComponents => 8,
            Privilege::ConfigureSelf => 16,
        }
    }
}

/// What a role grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrivilegeSet {
    bits: u8,
    oem: BTreeSet<String>,
}

impl PrivilegeSet {
    pub fn new(standard: &[Privilege], oem: &[String]) -> Self {
        PrivilegeSet {
            bits: standard.iter().fold(0, |b, p| b | p.bit()),
            oem: oem.iter().cloned().collect(),
        }
    }

    pub fn has(&self, p: Privilege) -> bool {
        self.bits & p.bit() != 0
    }

    pub fn has_oem(&self, name: &str) -> bool {
        self.oem.contains(name)
    }

    /// True when every privilege of `other` is also in `self`.
    pub fn contains_all(&self, other: &PrivilegeSet) -> bool {
        self.contains_standard(other) && other.oem.is_subset(&self.oem)
    }

    /// True when every standard privilege of `other` is also in `self` (OEM ones aside).
    pub fn contains_standard(&self, other: &PrivilegeSet) -> bool {
        self.bits & other.bits == other.bits
    }

    /// Standard privileges held, in schema order.
    pub fn standard(&self) -> Vec<Privilege> {
        Privilege::ALL
            .into_iter()
            .filter(|p| self.has(*p))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Privilege::ALL {
            assert_eq!(Privilege::parse(p.name()), Some(p));
        }
        assert_eq!(Privilege::parse("NoAuth"), None);
        assert_eq!(Privilege::parse("login"), None);
    }

    #[test]
    fn sets_compare_standard_and_oem() {
        let admin = PrivilegeSet::new(&Privilege::ALL, &["OemPower".into()]);
        let ro = PrivilegeSet::new(&[Privilege::Login, Privilege::ConfigureSelf], &[]);
        assert!(admin.contains_all(&ro));
        assert!(!ro.contains_all(&admin));
        let plain = PrivilegeSet::new(&Privilege::ALL, &[]);
        assert!(!plain.contains_all(&admin));
        assert!(plain.contains_standard(&admin));
        assert!(admin.has_oem("OemPower"));
        assert_eq!(ro.standard(), [Privilege::Login, Privilege::ConfigureSelf]);
    }
}
