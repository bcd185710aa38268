//! BMC ids and `<bmc>-<member>` prefixing.

use proptest::prelude::*;
use redfish::ids::{BmcId, prefix_member, split_member};

/// (bmc, member).
type Split = Option<(&'static str, &'static str)>;

#[test]
fn bmc_id_validation_table() {
    // (input, valid, why)
    let rows: &[(&str, bool, &str)] = &[
        ("s1", true, "short, letter first"),
        ("rack1_node07", true, "underscore allowed"),
        ("A", true, "single letter"),
        ("Z9_", true, "trailing underscore"),
        ("abcdefghijklmnopqrstuvwxyz012345", true, "exactly 32"),
        ("abcdefghijklmnopqrstuvwxyz0123456", false, "33 chars"),
        ("", false, "empty"),
        ("1bmc", false, "digit first"),
        ("_bmc", false, "underscore first"),
        ("bmc-1", false, "'-' is the separator"),
        ("bmc 1", false, "space"),
        ("bmc.1", false, "dot"),
        ("bmc/1", false, "slash"),
        ("bmcé", false, "non-ASCII"),
        ("é", false, "non-ASCII first"),
        ("s1\n", false, "newline"),
    ];
    for (input, valid, why) in rows {
        assert_eq!(BmcId::parse(input).is_ok(), *valid, "{input:?}: {why}");
        assert_eq!(BmcId::is_valid(input), *valid, "{input:?}: {why}");
    }
}

#[test]
fn bmc_id_accessors_and_error_text() {
    let id = BmcId::parse("s1").expect("valid");
    assert_eq!(id.as_str(), "s1");
    assert_eq!(id.to_string(), "s1");
    assert_eq!("s1".parse::<BmcId>().expect("valid"), id);
    let err = BmcId::parse("bad-id").expect_err("invalid");
    assert_eq!(err.value, "bad-id");
    assert!(err.to_string().contains("bad-id"), "{err}");
}

#[test]
fn split_member_table() {
    // (aggregated id, expected split, vendor shape)
    let rows: &[(&str, Split, &str)] = &[
        ("s1-1", Some(("s1", "1")), "iLO/Supermicro numeric"),
        (
            "s1-System.Embedded.1",
            Some(("s1", "System.Embedded.1")),
            "iDRAC",
        ),
        ("s1-system", Some(("s1", "system")), "OpenBMC"),
        (
            "s1-bmc_active",
            Some(("s1", "bmc_active")),
            "OpenBMC firmware",
        ),
        (
            "rack2_n3-0b0e6e4e-5a1b-4c2d-8e9f-001122334455",
            Some(("rack2_n3", "0b0e6e4e-5a1b-4c2d-8e9f-001122334455")),
            "UUID member: split at the FIRST '-'",
        ),
        (
            "s1-s1-1",
            Some(("s1", "s1-1")),
            "member that looks prefixed",
        ),
        ("s1--", Some(("s1", "-")), "member is '-'"),
        ("s1-a%2Fb", Some(("s1", "a%2Fb")), "percent-encoded member"),
        ("Rack1", None, "aggregate's own id: no separator"),
        ("s1-", None, "empty member"),
        ("-1", None, "empty bmc"),
        ("1s-1", None, "bmc part not a BmcId"),
        ("s.1-1", None, "bmc part has '.'"),
        ("", None, "empty"),
    ];
    for (input, expected, why) in rows {
        assert_eq!(split_member(input), *expected, "{input:?}: {why}");
    }
}

#[test]
fn prefix_member_table() {
    let s1 = BmcId::parse("s1").expect("valid");
    assert_eq!(prefix_member(&s1, "1"), "s1-1");
    assert_eq!(
        prefix_member(&s1, "System.Embedded.1"),
        "s1-System.Embedded.1"
    );
    assert_eq!(prefix_member(&s1, "a-b"), "s1-a-b");
    assert_eq!(prefix_member(&s1, ""), "s1-");
}

proptest! {
    #[test]
    fn split_inverts_prefix(bmc in "[A-Za-z][A-Za-z0-9_]{0,31}", member in "\\PC+") {
        let id = BmcId::parse(&bmc).expect("generated valid");
        let aggregated = prefix_member(&id, &member);
        prop_assert_eq!(split_member(&aggregated), Some((bmc.as_str(), member.as_str())));
    }

    #[test]
    fn parse_and_split_never_panic(s in "\\PC*") {
        let _ = BmcId::parse(&s);
        let _ = split_member(&s);
    }
}
